"""Progress bars for long C++ calls: tqdm in terminals and notebooks, quiet otherwise."""
from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Optional

ProgressArg = Any  # None (auto), bool, or a callable(done, total)


def _in_notebook() -> bool:
    """Whether this code runs inside a Jupyter kernel (not merely imports ipykernel)."""
    if "IPython" not in sys.modules:
        return False
    shell = sys.modules["IPython"].get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def _interactive() -> bool:
    if _in_notebook():
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


@contextmanager
def progress_callback(progress: ProgressArg, desc: str) -> Iterator[Optional[Callable]]:
    """Yields the callable to hand to C++ (or None), closing any bar afterwards.

    ``progress`` is None (a bar when interactive), True/False, or a callable(done, total).
    """
    if callable(progress):
        yield progress
        return
    show = _interactive() if progress is None else bool(progress)
    if not show:
        yield None
        return
    from tqdm.auto import tqdm

    bar = tqdm(total=0, desc=desc, leave=False)

    def update(done: int, total: int) -> None:
        if bar.total != total:
            bar.total = total
        bar.n = done
        bar.refresh()

    try:
        yield update
    finally:
        bar.close()
