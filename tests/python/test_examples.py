"""The Python examples run cleanly as users would run them."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import REPO_ROOT

EXAMPLES = REPO_ROOT / "examples" / "python"


# Each example and the optional packages it needs beyond invitegraph's own.
NEEDS = {
    "01_quickstart.py": [],
    "02_feedback.py": [],
    "03_fit_ranker.py": [],
    "04_sklearn_ranker.py": ["sklearn"],
    "05_lightgbm_ranker.py": ["lightgbm"],
}


@pytest.mark.parametrize("name", list(NEEDS))
def test_example_runs(name):
    script = EXAMPLES / name
    if not script.is_file():
        pytest.skip(f"{script.relative_to(REPO_ROOT)} does not exist yet")
    for module in NEEDS[name]:
        pytest.importorskip(module)
    env = dict(os.environ)
    env.setdefault("INVITEGRAPH_DATA", str(REPO_ROOT.parent / "shared" / "data"))
    proc = subprocess.run([sys.executable, str(script)], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, (
        f"{name} exited {proc.returncode}\n--- stdout ---\n{proc.stdout[-3000:]}"
        f"\n--- stderr ---\n{proc.stderr[-3000:]}")
