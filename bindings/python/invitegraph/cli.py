"""The `invitegraph` command: demo | build | recommend | evaluate.

    invitegraph demo                       # synthetic world, explained lists, hit rate
    invitegraph build --friendships f.csv --interactions i.parquet
    invitegraph recommend --interactions i.csv --requests r.csv --k 10 --out s.csv
    invitegraph evaluate --interactions i.csv --history h.csv --split time --fit logistic \
        --out report.csv --plot report.png
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import pandas as pd

from . import _core, synth
from ._frames import GraphConfig, Recommender, TimeLimits, build_graph
from ._training import fit_ranker
from .evaluation import evaluate, split_campaigns
from ._errors import InvalidArgumentError


def _read_table(path: Optional[str]) -> Optional[pd.DataFrame]:
    if path is None:
        return None
    p = Path(path)
    if not p.exists():
        raise SystemExit(f"invitegraph: no such file: {path}")
    if p.suffix in (".parquet", ".pq"):
        return pd.read_parquet(p)
    sep = "\t" if p.suffix in (".tsv", ".tab") else ","
    return pd.read_csv(p, sep=sep)


def _parse_id_list(cell) -> list:
    """A list cell from CSV: '1;2;3', '[1, 2, 3]' or empty."""
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return []
    if isinstance(cell, (list, tuple, np.ndarray)):
        return list(cell)
    parts = [x for x in re.split(r"[;,\s\[\]]+", str(cell)) if x]
    try:
        return [int(x) for x in parts]
    except ValueError:
        raise InvalidArgumentError(f"cannot read {cell!r} as a list of user ids") from None


def _read_campaigns(path: Optional[str]) -> Optional[pd.DataFrame]:
    df = _read_table(path)
    if df is None:
        return None
    for col in ("joined", "invited"):
        if col in df.columns:
            df[col] = [_parse_id_list(c) for c in df[col]]
    return df


def _config(args) -> GraphConfig:
    weights = {}
    for spec in args.channel_weight or []:
        name, _, value = spec.partition("=")
        weights[name] = float(value)
    limits = TimeLimits(max_future_seconds=args.max_future_seconds, now=args.now)
    return GraphConfig(half_life_days=args.half_life_days, channel_weights=weights,
                       time_limits=limits)


def _graph_from_files(args):
    return build_graph(friendships=_read_table(args.friendships),
                       interactions=_read_table(args.interactions),
                       purchases=_read_table(args.purchases),
                       campaigns=_read_campaigns(args.campaigns), as_of=args.as_of,
                       config=_config(args), progress=None if args.progress else False)


def _write(df: pd.DataFrame, out: Optional[str]) -> None:
    if out is None:
        with pd.option_context("display.max_rows", 200, "display.width", 160):
            print(df.to_string(index=False))
        return
    df = df.copy()
    if "reasons" in df.columns:
        df["reasons"] = [";".join(r) for r in df["reasons"]]
    if out.endswith((".parquet", ".pq")):
        df.to_parquet(out, index=False)
    else:
        df.to_csv(out, index=False)
    print(f"wrote {len(df)} rows to {out}", file=sys.stderr)


def _hit_rate(lists: dict, truth: list, rows: list) -> float:
    """Share of `rows` whose list holds at least one true joiner."""
    hits = [bool(set(lists.get(i, ())) & set(truth[i])) for i in rows]
    return float(np.mean(hits)) if hits else float("nan")


def cmd_demo(args) -> int:
    t0 = time.perf_counter()
    world = synth.generate(args.users, seed=args.seed, progress=False)
    t_gen = time.perf_counter() - t0
    camp = world.campaigns.sort_values(["ts", "inviter"], kind="stable").reset_index(drop=True)
    cut = int(camp["ts"].quantile(0.8))
    train, test = camp[camp.ts <= cut], camp[camp.ts > cut]
    inter = world.interactions[world.interactions.ts <= cut]
    purch = world.purchases[world.purchases.ts <= cut]
    t0 = time.perf_counter()
    g = build_graph(friendships=world.friendships[["src", "dst"]], interactions=inter,
                    purchases=purch, campaigns=train, as_of=cut, progress=False)
    t_build = time.perf_counter() - t0
    rec = Recommender(g)
    print(f"invitegraph demo: synthetic world of {args.users:,} users (seed {args.seed}), "
          f"generated in {t_gen:.1f} s")
    st = g.stats()
    print(f"graph as of the 80% time cut: {st['num_nodes']:,} users, {st['num_arcs']:,} arcs "
          f"({st['bytes_per_arc']:.0f} B/arc), {st['num_events']:,} events, built in "
          f"{t_build:.2f} s; {len(train):,} training / {len(test):,} held-out campaigns")
    print()
    for row in test.head(args.show).itertuples():
        inviter, item = int(row.inviter), int(row.item)
        df = rec.recommend(inviter=inviter, item=item, k=5)
        joined = set(int(x) for x in row.joined)
        print(f"inviter {inviter} starts a team-up for item {item} (category "
              f"{g.item_category(item)}); who actually joined: {sorted(joined) or 'nobody'}")
        for r in df.itertuples():
            mark = "  <- joined" if r.candidate in joined else ""
            print(f"  {r.rank}. user {r.candidate:<8} score {r.score:6.3f}  "
                  f"{', '.join(r.reasons)}{mark}")
        print()
    test = test[[int(i) in g for i in test.inviter]].reset_index(drop=True)
    truth = [list(map(int, j)) for j in test.joined]
    t0 = time.perf_counter()
    batch = rec.recommend_batch(test.inviter.to_numpy(), test.item.to_numpy(), k=args.k,
                                progress=False)
    t_rec = time.perf_counter() - t0
    req = batch.groupby(["inviter", "item"], sort=False)["candidate"].apply(list).to_dict()
    ours = {i: req.get((int(r.inviter), int(r.item)), []) for i, r in enumerate(test.itertuples())}
    rng = np.random.default_rng(args.seed)
    rand = {}
    for i, r in enumerate(test.itertuples()):
        nb = g.neighbors(int(r.inviter))
        rand[i] = list(rng.choice(nb, size=min(args.k, len(nb)), replace=False)) if len(nb) else []
    with_joiners = [i for i, j in enumerate(truth) if j]
    ours_hr = _hit_rate(ours, truth, with_joiners)
    rand_hr = _hit_rate(rand, truth, with_joiners)
    print(f"held-out hit rate@{args.k} over {len(with_joiners):,} campaigns with joiners "
          f"(any joiner in the list):")
    print(f"  invitegraph (linear ranker): {ours_hr:.3f}")
    print(f"  random friend baseline:      {rand_hr:.3f}")
    print(f"  recommend_batch: {len(test):,} requests in {t_rec:.2f} s "
          f"({len(test) / max(t_rec, 1e-9):,.0f} requests/s)")
    return 0


def cmd_build(args) -> int:
    t0 = time.perf_counter()
    g = _graph_from_files(args)
    st = g.stats().to_dict()
    st["wall_seconds"] = round(time.perf_counter() - t0, 3)
    print(json.dumps(st, indent=2))
    return 0


def cmd_recommend(args) -> int:
    g = _graph_from_files(args)
    rec = Recommender(g, ranker=args.ranker)
    if args.requests:
        req = _read_table(args.requests)
        if "inviter" not in req.columns:
            raise SystemExit("invitegraph: --requests needs an 'inviter' column (and optionally 'item')")
        inviters = req["inviter"].to_numpy()
        items = req["item"].to_numpy() if "item" in req.columns else None
    elif args.inviter:
        inviters = np.array(args.inviter, dtype=np.int64)
        items = None if args.item is None else np.full(len(inviters), args.item, dtype=np.int64)
    else:
        raise SystemExit("invitegraph: give --inviter ID (repeatable) or --requests FILE")
    df = rec.recommend_batch(inviters, items, k=args.k, progress=None if args.progress else False,
                             unknown_inviters=args.unknown_inviters)
    unknown = df.attrs["unknown_inviters"]
    if unknown:
        distinct = list(dict.fromkeys(unknown))
        shown = ", ".join(map(str, distinct[:10])) + (", ..." if len(distinct) > 10 else "")
        print(f"invitegraph: skipped {len(unknown)} of {len(inviters)} requests: inviter not "
              f"in the graph ({shown}); --unknown-inviters raise makes this an error",
              file=sys.stderr)
    _write(df, args.out)
    return 0


def cmd_evaluate(args) -> int:
    try:
        ks = tuple(int(x) for x in args.k.split(","))
    except ValueError:
        raise InvalidArgumentError(f"--k {args.k!r}: expected cut-offs such as 5,10,20") from None
    history = _read_campaigns(args.history)
    g = _graph_from_files(args)
    options = {} if args.as_of_step_days is None else {"as_of_step_days": args.as_of_step_days}
    if args.split == "none":
        train, test = None, history
    else:
        train, test = split_campaigns(history, by=args.split, test_fraction=args.test_fraction,
                                      seed=args.seed)
    ranker = args.ranker
    if args.fit:
        if train is None or len(train) == 0:
            raise InvalidArgumentError("--fit needs training records: pass --split time, "
                                       "leave_last_out or random")
        ranker = fit_ranker(g, train, model=args.fit, seed=args.seed, **options)
    report = evaluate(Recommender(g, ranker=ranker), test, k=ks, protocol=args.protocol,
                      negatives=args.negatives, n_boot=args.n_boot, seed=args.seed, **options)
    print(f"invitegraph evaluate: {report.attrs['note']}", file=sys.stderr)
    _write(report.reset_index(), args.out)
    if args.plot:
        import matplotlib.pyplot as plt

        fig = report.plot()
        fig.savefig(args.plot, dpi=120)
        plt.close(fig)
        print(f"wrote {args.plot}", file=sys.stderr)
    return 0


def _add_input_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("input tables (CSV, TSV or Parquet)")
    g.add_argument("--friendships", help="columns src, dst")
    g.add_argument("--interactions", help="columns src, dst, kind, ts")
    g.add_argument("--purchases", help="columns user, item, ts[, category, amount]")
    g.add_argument("--campaigns",
                   help="columns inviter, item, joined[, ts, category, invited]; lists as '1;2;3'")
    p.add_argument("--as-of", type=int, default=None, help="unix seconds (default: latest ts)")
    p.add_argument("--half-life-days", type=float, default=30.0)
    p.add_argument("--max-future-seconds", type=int, default=86400,
                   help="how far after now a ts or --as-of may be (default one day); "
                        "later, e.g. milliseconds, is an error")
    p.add_argument("--now", type=int, default=None,
                   help="unix seconds taken as now (default: the wall clock)")
    p.add_argument("--channel-weight", action="append", metavar="KIND=W",
                   help=f"tie-strength weight of a kind ({', '.join(_core.channel_names())})")
    p.add_argument("--progress", action="store_true", help="show progress bars")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="invitegraph", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="synthetic world: explained invite lists and hit rate")
    d.add_argument("--users", type=int, default=20_000)
    d.add_argument("--seed", type=int, default=7)
    d.add_argument("--k", type=int, default=10)
    d.add_argument("--show", type=int, default=3, help="inviters to show")
    d.set_defaults(func=cmd_demo)
    b = sub.add_parser("build", help="build a graph from files and print its statistics")
    _add_input_args(b)
    b.set_defaults(func=cmd_build)
    r = sub.add_parser("recommend", help="build from files and recommend invitees")
    _add_input_args(r)
    r.add_argument("--inviter", type=int, action="append", help="inviter id (repeatable)")
    r.add_argument("--item", type=int, default=None, help="item for --inviter requests")
    r.add_argument("--requests", help="file with columns inviter[, item]")
    r.add_argument("--k", type=int, default=10)
    r.add_argument("--ranker", default="linear", help="ranker spec, e.g. linear")
    r.add_argument("--out", help="output CSV or Parquet (default: print)")
    r.add_argument("--unknown-inviters", choices=("skip", "raise"), default="skip",
                   help="requests whose inviter is not in the graph: skip them (default; "
                        "their count goes to stderr) or fail")
    r.set_defaults(func=cmd_recommend)
    e = sub.add_parser("evaluate", help="replay held-out campaigns: metrics vs baselines")
    _add_input_args(e)
    e.add_argument("--history", required=True,
                   help="campaign records: inviter, item, joined[, ts, category, invited]")
    e.add_argument("--split", choices=("none", "time", "leave_last_out", "random"),
                   default="none", help="hold out part of --history (none: evaluate it all)")
    e.add_argument("--test-fraction", type=float, default=0.2)
    e.add_argument("--fit", choices=("logistic", "pairwise"),
                   help="fit this ranker on the training part instead of using --ranker")
    e.add_argument("--ranker", default="linear", help="ranker spec (without --fit)")
    e.add_argument("--k", default="5,10,20", help="cut-offs, comma-separated")
    e.add_argument("--protocol", choices=("full", "sampled"), default="full")
    e.add_argument("--negatives", type=int, default=99, help="per joiner, with sampled")
    e.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples")
    e.add_argument("--as-of-step-days", type=float, default=None,
                   help="share feature rebuilds within steps of this many days, for --fit "
                        "and the evaluation rows (default: the library's, one day for "
                        "--fit, exact as of each ts for the evaluation)")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--out", help="report CSV or Parquet (default: print)")
    e.add_argument("--plot", help="PNG of recall@k and NDCG@k with CIs")
    e.set_defaults(func=cmd_evaluate)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, KeyError, TypeError, _core.Error) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f"invitegraph: error: {msg}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
