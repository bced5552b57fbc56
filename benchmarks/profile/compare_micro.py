"""Runs micro_benchmark variants interleaved and prints medians and ratios to the floor.

    python benchmarks/profile/compare_micro.py --reps 3 \\
        before=/path/to/old/micro_benchmark \\
        after=build/benchmarks/micro_benchmark \\
        "no cascade=build/benchmarks/micro_benchmark --cascade_size=0" \\
        [--users 1000000] [--filter REGEX]

Each variant is NAME=COMMAND; the runs go A, B, C, A, B, C, ... so that a noisy spell
of the shared machine hits every variant alike. For every benchmark it prints the
median over the repetitions of p50_us, p99_us and inviters_per_s, and each variant's
Recommend figures as multiples of the floor (BM_TwoHopFloor*) of the same run.
"""
from __future__ import annotations

import argparse
import json
import shlex
import statistics
import subprocess
import sys
from collections import defaultdict


def run(command: str, users: int, flt: str) -> dict:
    argv = shlex.split(command) + [f"--users={users}", "--benchmark_format=json",
                                   f"--benchmark_filter={flt}"]
    out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    result = {}
    for b in json.loads(out)["benchmarks"]:
        result[b["name"]] = {k: b.get(k, 0.0) for k in ("p50_us", "p99_us",
                                                          "inviters_per_s")}
    return result


def floor_of(name: str) -> str:
    return "BM_TwoHopFloorCampaign" if "Campaign" in name else "BM_TwoHopFloor"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("variants", nargs="+", help="NAME=COMMAND")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--filter", default=".")
    args = ap.parse_args()
    variants = [v.split("=", 1) for v in args.variants]
    runs: dict = defaultdict(list)  # name -> list of results
    for rep in range(args.reps):
        for name, command in variants:
            print(f"rep {rep + 1}/{args.reps}: {name}", file=sys.stderr, flush=True)
            runs[name].append(run(command, args.users, args.filter))
    benches: list = []  # every benchmark any variant ran, in order of appearance
    for name, _ in variants:
        for b in runs[name][0]:
            if b not in benches:
                benches.append(b)
    print(f"Medians of {args.reps} runs, {args.users:,} users.\n")
    print("| benchmark | " + " | ".join(n for n, _ in variants) + " |")
    print("|---|" + "---:|" * len(variants))
    for b in benches:
        for key, unit in (("p50_us", "p50 µs"), ("p99_us", "p99 µs"),
                          ("inviters_per_s", "inviters/s")):
            cells = []
            for name, _ in variants:
                values = [r[b][key] for r in runs[name] if b in r and r[b][key]]
                cells.append(f"{statistics.median(values):,.1f}" if values else "")
            if any(cells):
                print(f"| {b} {unit} | " + " | ".join(cells) + " |")
    print("\nRecommend as a multiple of the floor of the same run (median of the "
          "per-run ratios):\n")
    print("| ratio | " + " | ".join(n for n, _ in variants) + " |")
    print("|---|" + "---:|" * len(variants))
    for b in benches:
        if "Floor" in b or "Batch" in b:
            continue
        for key in ("p50_us", "p99_us"):
            cells = []
            for name, _ in variants:
                ratios = [r[b][key] / r[floor_of(b)][key] for r in runs[name]
                          if b in r and floor_of(b) in r and r[floor_of(b)][key]]
                cells.append(f"{statistics.median(ratios):.2f}×" if ratios else "")
            print(f"| {b} {key[:3]} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
