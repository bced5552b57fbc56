"""ig.evaluate on the three public datasets: the learned ranker against the baselines.

    python benchmarks/python/evaluate_datasets.py [--data ../shared/data] [--n-boot 1000]

For each dataset: build the graph from the tables its ``*_campaigns`` helper returns,
fit the default (pairwise) ranker on the "train" records (``ig.fit_ranker``, leakage-free
rows) and evaluate it with ``ig.evaluate`` on the "test" records (full protocol, every candidate of
the inviter ranked; 95% bootstrap CIs over test records, seed 0) next to the hand-set
linear ranker and the baselines. Prints one Markdown table per dataset.

Datasets (cite when reporting): Last.fm (Cantador, Brusilovsky, Kuflik, HetRec 2011),
Ciao (Tang, Gao, Liu, WSDM 2012), CollegeMsg (Panzarasa, Opsahl, Carley, JASIST 2009).
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import pandas as pd

import invitegraph as ig

K = 10


def _default_data() -> Path:
    env = os.environ.get("INVITEGRAPH_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "shared" / "data"


# name -> (loader, campaigns helper, training/evaluation options); the options are those
# of benchmarks/python/learning_to_rank.py, so the two benchmarks see the same rows.
DATASETS = {
    "Last.fm": ("load_lastfm", "lastfm_campaigns", dict(include_two_hop=False, folds=5)),
    "Ciao": ("load_ciao", "ciao_campaigns", dict(as_of_step_days=30)),
    "CollegeMsg": ("load_collegemsg", "collegemsg_campaigns", dict(as_of_step_days=1)),
}


def run(name: str, data: Path, n_boot: int) -> tuple[pd.DataFrame, str]:
    loader, campaigns, options = DATASETS[name]
    t0 = time.perf_counter()
    ds = getattr(ig.datasets, loader)(data)
    tables, history = getattr(ig.datasets, campaigns)(ds, seed=0)
    g = ig.build_graph(**tables, progress=False)
    train = history[history["split"] == "train"].drop(columns="split")
    test = history[history["split"] == "test"].drop(columns="split")
    candidate = {k: v for k, v in options.items() if k == "include_two_hop"}
    rows = {k: v for k, v in options.items() if k != "include_two_hop"}
    ranker = ig.fit_ranker(g, train, progress=False, **options)  # the default: pairwise
    rec = ig.Recommender(g, ranker=ranker, **candidate)
    report = ig.evaluate(rec, test, k=(5, 10, 20), systems={"ranker: linear (hand-set)":
                                                            "linear"},
                         n_boot=n_boot, **rows)
    seconds = time.perf_counter() - t0
    a = report.attrs
    header = (f"**{name}**: {len(train):,} train / {a['records']:,} test records "
              f"({a['records_scored']:,} with joiners), coverage "
              f"{report['coverage'].iloc[0]:.3f} ({a['joiners_reachable']:,} of "
              f"{a['joiners']:,} joiners were candidates), {seconds:.0f} s")
    return report, header


def markdown(report: pd.DataFrame) -> str:
    def ci(row, m):
        return f"{row[m]:.3f} [{row[m + '_lo']:.3f}, {row[m + '_hi']:.3f}]"

    lines = [f"| system | NDCG@{K} [95% CI] | Recall@{K} | HitRate@{K} | MAP | MRR "
             f"| Gini@{K} | ECE |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for system, r in report.iterrows():
        ece = "–" if pd.isna(r["ece"]) else f"{r['ece']:.3f}"
        lines.append(f"| {system} | {ci(r, f'ndcg@{K}')} | {r[f'recall@{K}']:.3f} "
                     f"| {r[f'hit_rate@{K}']:.3f} | {r['map']:.3f} | {r['mrr']:.3f} "
                     f"| {r[f'gini@{K}']:.3f} | {ece} |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=_default_data())
    p.add_argument("--n-boot", type=int, default=1000)
    p.add_argument("--only", choices=list(DATASETS), action="append")
    args = p.parse_args()
    for name in args.only or DATASETS:
        try:
            report, header = run(name, args.data, args.n_boot)
        except FileNotFoundError as e:
            print(f"{name}: skipped ({e})\n")
            continue
        print(header + "\n")
        print(markdown(report) + "\n")


if __name__ == "__main__":
    main()
