"""What SocialGraph.update costs next to a full rebuild.

A synthetic world is split by time: the latest 1 % (or 10 %) of the timestamped events
are "new". The base graph is built from the rest; then the new events are folded in with
``update`` and, for comparison, the graph is rebuilt from all events. Communities are off
in both (they cost the same either way: one Louvain pass over the merged graph), so the
numbers compare the ingest work. Medians of ``--repeats`` runs.

Run: PYTHONPATH=bindings/python python benchmarks/python/update_cost.py [--users 200000]
"""
from __future__ import annotations

import argparse

import numpy as np

import invitegraph as ig
from timing import median_seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=200_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    world = ig.synth.generate(args.users, seed=args.seed, progress=False)
    tables = world.tables()
    n_events = sum(len(df) for df in tables.values())
    ts = np.concatenate([tables[k]["ts"].to_numpy() for k in
                         ("interactions", "purchases", "campaigns")])
    as_of = int(ts.max())
    print(f"{args.users:,} users, {n_events:,} event rows "
          f"({len(tables['interactions']):,} interactions); repeats={args.repeats}")

    def rebuild():
        return ig.build_graph(**tables, as_of=as_of, progress=False, keep_events=False,
                              communities=False)

    full_s = median_seconds(rebuild, args.repeats)
    full = rebuild()
    print(f"full rebuild: {full_s:.3f} s ({full.num_arcs:,} arcs)")
    print("| new events | rows | update (s) | rebuild (s) | update / rebuild |")
    print("|---:|---:|---:|---:|---:|")
    for share in (0.01, 0.10):
        cut = int(np.quantile(ts, 1 - share))
        base, new = {}, {}
        for name, df in tables.items():
            is_new = df["ts"].to_numpy() > cut if "ts" in df else np.zeros(len(df), bool)
            base[name], new[name] = df[~is_new], df[is_new]
        g = ig.build_graph(**base, as_of=cut, progress=False, keep_events=False,
                           communities=False)
        rows = sum(len(df) for df in new.values())
        upd_s = median_seconds(lambda: g.update(**new, as_of=as_of, communities=False),
                                args.repeats)
        print(f"| {share:.0%} | {rows:,} | {upd_s:.3f} | {full_s:.3f} | "
              f"{upd_s / full_s:.2f} |")


if __name__ == "__main__":
    main()
