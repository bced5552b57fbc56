"""Cascade ranking: NDCG@10 of served lists against cascade_size, three public datasets.

    python benchmarks/python/cascade_quality.py [--data ../shared/data]
        [--sizes 0,10,20,30,40,50,75,100,200] [--only Ciao]

Chooses ``RecommenderConfig.cascade_size`` (docs/performance.md, "Cascade ranking"): the
learned rankers' NDCG@10 must stay within 0.005 of no cascade (``cascade_size=0``).

For each dataset of ``evaluate_datasets.py`` (same campaign records, same training
options): build the graph, fit the logistic and pairwise rankers on the "train" records
(``ig.fit_ranker``, default options, the dataset's ``ScoringOptions``), then *serve* every
"test" record through ``Recommender.recommend(inviter, item, k=10, category=...)`` with
each cascade size, for those two rankers and the hand-set linear one. Every recommender
gets the same ``scoring=`` as the training rows (Last.fm: ``include_two_hop=False``).

Leakage: a test record is served from the graph ``ig.evaluate`` would rank its rows on.
Records with ``ts`` (Ciao, CollegeMsg) share a graph built from the events strictly
before the start of their ``as_of_step_days`` step (``as_of`` = that start, every user
of the whole graph a node), as ``ig.training_set`` rebuilds it; Last.fm records have no
``ts`` and its tables hold no campaigns (the hidden listening rows are not in the graph),
so they are served from the whole graph, which is what the fold rebuilds give there.

NDCG@10 is ``ig.evaluate``'s (``invitegraph._metrics.group_metrics``): binary relevance,
every distinct joiner of a record relevant, reachable or not, ideal DCG over
min(#joiners, 10), averaged over test records with at least one joiner (a record whose
inviter is not in its graph scores 0). As a check, the no-cascade row is compared with
``ig.evaluate`` on the same records (the library's own protocol on leakage-free training
rows): they must agree, which shows that the serving graphs and lists reproduce it.
"pool" is the mean number of candidates per request (``Recommender.features`` rows),
"cut" the share of requests whose pool is larger than ``max(cascade_size, k)``, and
"changed" the share of served lists that differ from no cascade's.

Runs single-threaded (``num_threads=1`` everywhere); a few minutes in all.

Datasets (cite when reporting): Last.fm (Cantador, Brusilovsky, Kuflik, HetRec 2011),
Ciao (Tang, Gao, Liu, WSDM 2012), CollegeMsg (Panzarasa, Opsahl, Carley, JASIST 2009).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

import invitegraph as ig
from invitegraph._metrics import group_metrics

from evaluate_datasets import DATASETS, K, _default_data

SIZES = (0, 10, 20, 30, 40, 50, 75, 100, 200)
RANKERS = ("linear", "logistic", "pairwise")
DAY = 86400


def serving_graphs(tables: dict, graph: ig.SocialGraph, test: pd.DataFrame, rows: dict,
                   config: ig.GraphConfig):
    """Yields (graph, test row positions): the graph each test record is served from."""
    if "ts" not in test.columns:
        # Fold rebuilds leave out the fold's campaigns; with none in the graph they are
        # the whole graph.
        assert "campaigns" not in tables, "records without ts need fold rebuilds"
        yield graph, np.arange(len(test))
        return
    step = int(round(rows.get("as_of_step_days", ig.TrainingOptions().as_of_step_days)
                     * DAY))
    ts = test["ts"].to_numpy(np.int64)
    cuts = ts - ts % step if step > 0 else ts
    # ig.training_set's rebuild keeps every user of the staged events, in their order,
    # also those whose events all come later (they count in PageRank's n): staging the
    # whole graph's users first, as a profiles table without attributes, does the same.
    users = pd.DataFrame({"user": graph.user_ids()})
    for cut in np.unique(cuts):
        b = ig.GraphBuilder(config).add_profiles(users)
        for name, t in tables.items():
            getattr(b, f"add_{name}")(t[t["ts"] < cut] if "ts" in t.columns else t)
        g = b.build(as_of=int(cut), progress=False, communities=False,
                    centrality=graph.has_centrality)
        yield g, np.flatnonzero(cuts == cut)


def serve(rec: ig.Recommender, requests: list) -> list:
    """The served candidate lists (best first) of (inviter, item, category) requests."""
    out = []
    for inviter, item, category in requests:
        try:
            out.append(rec.recommend(inviter, item, k=K, category=category)
                       ["candidate"].to_numpy(np.int64))
        except KeyError:  # the inviter is not in this graph yet: nothing served
            out.append(np.zeros(0, np.int64))
    return out


def ndcg(lists: list, joined: list, n_join: pd.Series) -> float:
    """Mean NDCG@K of served lists, as ig.evaluate computes it (every joiner relevant)."""
    group = np.concatenate([np.full(len(l), r) for r, l in enumerate(lists)])
    cand = np.concatenate(lists)
    label = np.concatenate([np.isin(l, j) for l, j in zip(lists, joined)]).astype(np.int8)
    rank = np.concatenate([np.arange(1, len(l) + 1) for l in lists])
    m = group_metrics(group, cand, label, -rank.astype(np.float64), (K,), n_join)
    return float(m[f"ndcg@{K}"].mean())


def run(name: str, data: Path, sizes: tuple,
        expansion_budget: int = 0) -> tuple[pd.DataFrame, str]:
    loader, campaigns, options = DATASETS[name]
    t0 = time.perf_counter()
    ds = getattr(ig.datasets, loader)(data)
    tables, history = getattr(ig.datasets, campaigns)(ds, seed=0)
    config = ig.GraphConfig(num_threads=1)
    g = ig.build_graph(**tables, config=config, progress=False)
    train = history[history["split"] == "train"].drop(columns="split")
    test = history[history["split"] == "test"].drop(columns="split").reset_index(drop=True)
    candidates = {k: v for k, v in options.items() if k == "include_two_hop"}
    if expansion_budget:
        candidates["expansion_budget"] = expansion_budget
    scoring = ig.ScoringOptions(candidates=candidates)
    rows = {k: v for k, v in options.items() if k != "include_two_hop"}
    rankers = {"linear": "linear"}
    for model in ("logistic", "pairwise"):
        rankers[model] = ig.fit_ranker(g, train, model=model, scoring=scoring, num_threads=1,
                                       progress=False, **rows)

    joined = [np.unique(np.asarray(j, dtype=np.int64)) for j in test["joined"]]
    n_join = pd.Series([len(j) for j in joined], dtype=np.int64)
    category = test["category"].to_numpy() if "category" in test.columns else None
    requests = [(int(test["inviter"].iat[r]), int(test["item"].iat[r]),
                 None if category is None else int(category[r])) for r in range(len(test))]
    lists = {(r, m): [None] * len(test) for r in rankers for m in sizes}
    pool = np.zeros(len(test), np.int64)
    unknown = 0
    graphs = 0
    for gg, pos in serving_graphs(tables, g, test, rows, config):
        graphs += 1
        part = [requests[p] for p in pos]
        full = ig.Recommender(gg, scoring=scoring, cascade_size=0)
        for p, (inviter, item, cat) in zip(pos, part):
            if inviter not in gg:
                unknown += 1
                continue
            f = full.features(inviter, item, category=cat)
            pool[p] = int((f["candidate"] != inviter).sum())
        for rname, ranker in rankers.items():
            for m in sizes:
                rec = ig.Recommender(gg, ranker, scoring=scoring, cascade_size=m)
                for p, served in zip(pos, serve(rec, part)):
                    lists[rname, m][p] = served

    # The check: no cascade must reproduce ig.evaluate's NDCG@K on the same records.
    check = ig.evaluate(ig.Recommender(g, rankers["logistic"], scoring=scoring), test, k=K,
                        systems={"pairwise": rankers["pairwise"], "linear": "linear"},
                        baselines=False, n_boot=1, num_threads=1, **rows)
    evaluated = dict(zip(("logistic", "pairwise", "linear"), check[f"ndcg@{K}"]))

    scored = n_join > 0
    table = []
    for m in sizes:
        row = {"M": m, "cut": float((pool[scored] > max(m, K)).mean()) if m else 0.0}
        for rname in rankers:
            row[rname] = ndcg(lists[rname, m], joined, n_join)
            row[f"{rname} changed"] = float(np.mean(
                [not np.array_equal(a, b) for a, b in zip(lists[rname, m], lists[rname, 0])]))
        table.append(row)
    table = pd.DataFrame(table).set_index("M")
    for rname in rankers:
        if 0 in table.index:
            table[f"{rname} delta"] = table[rname] - table.at[0, rname]
            gap = abs(table.at[0, rname] - evaluated[rname])
            assert gap < 1e-9, f"{name} {rname}: served {table.at[0, rname]} vs ig.evaluate " \
                f"{evaluated[rname]}"
    seconds = time.perf_counter() - t0
    header = (f"**{name}**: {len(train):,} train / {len(test):,} test records "
              f"({int(scored.sum()):,} with joiners, {unknown} with an inviter not yet in "
              f"the graph), served from {graphs} leakage-free graph(s); pool per request: "
              f"mean {pool[scored].mean():.1f}, median {np.median(pool[scored]):.0f}, "
              f"max {pool.max()}; no-cascade NDCG@{K} equals ig.evaluate's "
              f"(logistic {evaluated['logistic']:.4f}, pairwise {evaluated['pairwise']:.4f}, "
              f"linear {evaluated['linear']:.4f}); {seconds:.0f} s")
    return table, header


def markdown(table: pd.DataFrame) -> str:
    def d(v):
        return "0" if v == 0 else f"{v:+.4f}"

    lines = [f"| M | cut | NDCG@{K} logistic | Δ | changed | NDCG@{K} pairwise | Δ | changed "
             f"| NDCG@{K} linear (hand-set) | Δ |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for m, r in table.iterrows():
        lines.append(
            f"| {'0 (no cascade)' if m == 0 else m} | {r['cut']:.1%} "
            f"| {r['logistic']:.4f} | {d(r['logistic delta'])} | {r['logistic changed']:.1%} "
            f"| {r['pairwise']:.4f} | {d(r['pairwise delta'])} | {r['pairwise changed']:.1%} "
            f"| {r['linear']:.4f} | {d(r['linear delta'])} |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=_default_data())
    p.add_argument("--sizes", default=",".join(map(str, SIZES)),
                   help="cascade sizes, comma-separated; 0 (no cascade) is the reference")
    p.add_argument("--only", choices=list(DATASETS), action="append")
    p.add_argument("--expansion-budget", type=int, default=0,
                   help="CandidateOptions.expansion_budget for training and serving "
                        "(0: none), to measure what a budget costs")
    args = p.parse_args()
    sizes = tuple(sorted({0, *(int(s) for s in args.sizes.split(","))}))
    within = {}
    for name in args.only or DATASETS:
        try:
            table, header = run(name, args.data, sizes, args.expansion_budget)
        except FileNotFoundError as e:
            print(f"{name}: skipped ({e})\n")
            continue
        print(header + "\n")
        print(markdown(table) + "\n")
        ok = (table[["logistic delta", "pairwise delta"]].abs() <= 0.005).all(axis=1)
        within[name] = set(table.index[ok])
    if within:
        common = sorted(set.intersection(*within.values()) - {0})
        above = [m for m in common if all(s in common for s in sizes if s >= m)]
        print(f"Cascade sizes with both learned rankers within 0.005 of no cascade on "
              f"{', '.join(within)}: {common or 'none'}; smallest from which every larger "
              f"size measured is: {above[0] if above else 'none'}")


if __name__ == "__main__":
    main()
