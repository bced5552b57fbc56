"""What idempotent ingestion costs: build throughput with event ids, with
dedupe="exact" and with neither, and the memory per remembered key.

Random interactions (``--rows``, default 3 M, over ``--users`` users) go through the
low-level ``_core.GraphBuilder`` (exact-dtype columns, so no pandas conversion is
timed): ``add_interactions`` then ``build`` (communities off). Throughput is rows per
second of add + build, median of ``--repeats`` runs. Memory per key: the builder's
resident-set growth while adding the rows with ids minus without (the hash set of
applied keys plus the per-row key column), and the graph's ``stats()["total_bytes"]``
with ids minus without (the sorted key array), each divided by the rows.

Run: PYTHONPATH=bindings/python python benchmarks/python/dedupe_cost.py [--rows 3000000]
"""
from __future__ import annotations

import argparse
import gc
import statistics
import time

import numpy as np

import invitegraph as ig
from invitegraph import _core


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=3_000_000)
    ap.add_argument("--users", type=int, default=200_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()

    rng = np.random.default_rng(0)
    n = args.rows
    src = rng.integers(0, args.users, n, dtype=np.int64)
    dst = (src + rng.integers(1, args.users, n, dtype=np.int64)) % args.users
    codes = rng.integers(0, 5, n, dtype=np.int32)
    names = ["chat", "like", "comment", "share", "visit"]
    ts = 1_700_000_000 - rng.integers(0, 60 * 86_400, n, dtype=np.int64)
    ids = rng.permutation(n).astype(np.int64) * 7919 - 10**9

    def run(mode: str) -> tuple[float, int, int]:
        config = ig.GraphConfig(num_threads=args.threads,
                                dedupe="exact" if mode == "exact" else "none")
        gc.collect()
        rss0 = _rss_bytes()
        t0 = time.perf_counter()
        b = _core.GraphBuilder(config)
        b.add_interactions(src, dst, codes, names, ts,
                           event_id=ids if mode == "ids" else None)
        staged = _rss_bytes() - rss0
        g = b.build(communities=False)
        seconds = time.perf_counter() - t0
        total = g.stats()["total_bytes"]
        del b, g
        return seconds, staged, total

    results = {}
    for mode in ("none", "ids", "exact"):
        runs = [run(mode) for _ in range(args.repeats)]
        results[mode] = (statistics.median(r[0] for r in runs),
                         statistics.median(r[1] for r in runs), runs[0][2])
    base_s, base_rss, base_bytes = results["none"]
    print(f"{n:,} interactions, {args.users:,} users, threads={args.threads or 'all'}")
    print(f"{'mode':8} {'seconds':>8} {'rows/s':>12} {'vs none':>8} "
          f"{'builder B/row':>14} {'graph B/key':>12}")
    for mode, (s, rss, total) in results.items():
        print(f"{mode:8} {s:8.2f} {n / s:12,.0f} {base_s / s:8.2f} "
              f"{(rss - base_rss) / n if mode != 'none' else 0:14.1f} "
              f"{(total - base_bytes) / n if mode != 'none' else 0:12.1f}")


if __name__ == "__main__":
    main()
