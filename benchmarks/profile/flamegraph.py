"""Folded stacks from ``perf script`` and a flame graph of them as SVG.

    perf script -i perf.data | python benchmarks/profile/flamegraph.py \\
        --root TimeRequests --title "Recommend" --out request.svg

Each sample's call chain (deepest frame first, as ``perf script`` prints it) is cut to
the frames under the first frame containing ``--root``, so the graph shows one code
path (e.g. the timed request loop of micro_benchmark) and not the set-up around it.
Frame widths are shares of those samples; hover a frame for its name and share.
``--folded FILE`` also writes the folded stacks (``a;b;c count`` per line).
"""
from __future__ import annotations

import argparse
import collections
import html
import re
import sys
from typing import Dict, Iterable, List

WIDTH = 1200
ROW = 16
FONT = 11


def read_stacks(lines: Iterable[str], root: str) -> collections.Counter:
    """Counts of call chains (root first) from perf script's text output."""
    stacks: collections.Counter = collections.Counter()
    frames: List[str] = []

    def flush() -> None:
        chain = list(reversed(frames))
        for i, frame in enumerate(chain):
            if root in frame:
                stacks[tuple(chain[i:])] += 1
                break
        frames.clear()

    for line in lines:
        if not line.strip():
            flush()
        elif line[0] in " \t":
            parts = line.strip().split(" ", 1)
            if len(parts) == 2:
                name = parts[1].rsplit(" (", 1)[0]
                frames.append(re.sub(r"\+0x[0-9a-f]+$", "", name))
    flush()
    return stacks


def short(name: str) -> str:
    """A frame name without argument lists and template arguments."""
    out, depth = [], 0
    for ch in name:
        if ch in "<(":
            depth += 1
        elif ch in ">)":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(ch)
    s = "".join(out).replace("invitegraph::", "").replace("internal::", "")
    return s.strip() or name


def colour(name: str) -> str:
    h = sum(ord(c) for c in name)
    return f"rgb({205 + h % 50},{90 + h % 110},{40 + h % 40})"


def render(stacks: collections.Counter, title: str) -> str:
    total = sum(stacks.values())
    # Tree of frames: children keyed by name, in first-seen order.
    tree: Dict = {"n": 0, "kids": {}}
    for chain, count in sorted(stacks.items()):
        node = tree
        node["n"] += count
        for frame in chain:
            node = node["kids"].setdefault(frame, {"n": 0, "kids": {}})
            node["n"] += count
    depth_max = max((len(c) for c in stacks), default=0)
    height = (depth_max + 3) * ROW
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
           f'font-family="monospace" font-size="{FONT}">',
           f'<rect width="100%" height="100%" fill="#fdfdf5"/>',
           f'<text x="{WIDTH / 2}" y="{ROW}" text-anchor="middle" font-size="{FONT + 3}">'
           f'{html.escape(title)} ({total} samples)</text>']

    def draw(node: Dict, x: float, depth: int) -> None:
        for name, kid in node["kids"].items():
            w = WIDTH * kid["n"] / total
            y = height - (depth + 1) * ROW
            label = short(name)
            share = 100.0 * kid["n"] / total
            out.append(f'<g><title>{html.escape(name)} ({share:.1f}%)</title>'
                       f'<rect x="{x:.2f}" y="{y}" width="{max(w - 0.5, 0.1):.2f}" '
                       f'height="{ROW - 1}" fill="{colour(label)}"/>')
            chars = int(w / (FONT * 0.6))
            if chars >= 4:
                text = label if len(label) <= chars else label[:chars - 2] + ".."
                out.append(f'<text x="{x + 2:.2f}" y="{y + ROW - 4}">'
                           f'{html.escape(text)}</text>')
            out.append("</g>")
            draw(kid, x, depth + 1)
            x += w

    draw(tree, 0.0, 0)
    out.append("</svg>")
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", required=True, help="keep frames under the first frame "
                    "whose name contains this")
    ap.add_argument("--title", default="")
    ap.add_argument("--out", required=True, help="SVG file to write")
    ap.add_argument("--folded", help="also write the folded stacks here")
    args = ap.parse_args()
    stacks = read_stacks(sys.stdin, args.root)
    if not stacks:
        print(f"no samples under a frame containing {args.root!r}", file=sys.stderr)
        return 1
    if args.folded:
        with open(args.folded, "w") as f:
            for chain, count in sorted(stacks.items()):
                f.write(";".join(chain) + f" {count}\n")
    with open(args.out, "w") as f:
        f.write(render(stacks, args.title))
    return 0


if __name__ == "__main__":
    sys.exit(main())
