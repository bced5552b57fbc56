"""Training defaults: held-out NDCG@10 and fit time of ``ig.fit_ranker`` per setting.

    python benchmarks/python/training_defaults.py [--data ../shared/data] [--users 5000]
        [--repeats 3] [--n-boot 500] [--only NAME] [--steps 0,1,7,30] [--weights 0,0.1,0.5,1]

About 25 minutes on a busy 2-core machine (exact as-of on Ciao and the synthetic worlds
is most of it).

The two training options whose defaults matter are ``uninvited_weight`` (campaigns with
``invited`` lists: drop the candidates never invited, 0, or keep them as negatives with
that weight) and ``as_of_step_days`` (records with ``ts``: one rebuild per distinct ts, 0,
or one per step). For each dataset this fits the default learned ranker (logistic) on
the "train" records under each setting and scores every fitted model on the same
held-out rows with ``ig.evaluate`` (full protocol; rows as ``recommend`` sees them:
every candidate, ``uninvited_weight=1``, features exactly as of each record's ``ts``
-- ``as_of_step_days=0`` -- or with its campaign left out), next to the random-friend
baseline and the hand-set linear ranker. Fit time is the wall time of ``ig.fit_ranker``
(training rows + fit), median of ``--repeats`` runs, one run when the first takes more
than 10 s; the CPU time of the process (all threads) is given beside it, as it suffers
less from other jobs on a shared machine.

Data: Last.fm (Cantador, Brusilovsky, Kuflik, HetRec 2011), Ciao (Tang, Gao, Liu, WSDM
2012), CollegeMsg (Panzarasa, Opsahl, Carley, JASIST 2009), through the
``ig.datasets.*_campaigns`` helpers with the candidate options of
``evaluate_datasets.py``; none of them has ``invited`` lists, so ``uninvited_weight`` does
not change their rows, and Last.fm has no ``ts`` either. The synthetic world
(``ig.synth.generate(--users, seed=42)``) has ``invited`` lists and only invitees join;
"synthetic-links" adds joiners who came through the campaign's shared link without an
invitation (``with_link_joins``: users within two hops of the inviter who buy from the
campaign's category within two days after it). Both are split by time, 70/30. Datasets
whose folder is missing are skipped with a message.
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

import invitegraph as ig
from evaluate_datasets import DATASETS, _default_data

K = 10
RANDOM = "random friend"
LINEAR = "ranker: linear"
STEPS = (0.0, 1.0, 7.0, 30.0)
WEIGHTS = (0.0, 0.1, 0.5, 1.0)


def _settings(has_ts: bool, has_invited: bool) -> list[dict]:
    """The training settings worth fitting on data with / without ts and invited lists:
    every step with every weight, except that exact as-of (step 0, the expensive one) and
    steps above one day are fitted with the two ends of the weight range only."""
    steps = STEPS if has_ts else (None,)
    weights = WEIGHTS if has_invited else (None,)
    out = []
    for step in steps:
        for w in weights:
            if step is not None and step != 1.0 and w not in (None, min(WEIGHTS),
                                                               max(WEIGHTS)):
                continue
            s = {}
            if step is not None:
                s["as_of_step_days"] = step
            if w is not None:
                s["uninvited_weight"] = w
            out.append(s)
    return out


def _label(setting: dict) -> str:
    if not setting:
        return "(neither option applies)"
    return ", ".join(f"{k}={v:g}" for k, v in setting.items())


def _fit_seconds(fn, repeats: int):
    """``fn()``, and the median wall and CPU (this process, all threads) seconds of
    ``repeats`` calls; one call when the first takes more than 10 s of wall time."""
    out, wall, cpu = None, [], []
    while len(wall) < (repeats if not wall or wall[0] <= 10.0 else 1):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return out, statistics.median(wall), statistics.median(cpu), len(wall)


def measure(name: str, g, train: pd.DataFrame, test: pd.DataFrame, candidate: dict,
            rows: dict, repeats: int, n_boot: int) -> list[dict]:
    """Fits one ranker per setting on ``train`` and scores them all on ``test``."""
    settings = _settings("ts" in train.columns, "invited" in train.columns)
    systems, fits = {}, {}
    for s in settings:
        label = _label(s)

        def fit(s=s):
            return ig.fit_ranker(g, train, model="logistic", progress=False,
                                 **candidate, **rows, **s)

        ranker, seconds, cpu, runs = _fit_seconds(fit, repeats)
        systems[label] = ranker
        fits[label] = (seconds, cpu, runs, ranker.training_report)
        print(f"  {name}: {label}: fit {seconds:.2f} s wall, {cpu:.2f} s CPU "
              f"(median of {runs}), "
              f"{100 * ranker.training_report.get('step_hidden_share', 0):.2f} % hidden, "
              f"{ranker.training_report['rows']:,} rows, "
              f"{ranker.training_report['graphs_built']} rebuilds", flush=True)
    rec = ig.Recommender(g, ranker="linear", **candidate)
    evaluation = {k: v for k, v in rows.items() if k != "as_of_step_days"}
    report = ig.evaluate(rec, test, k=K, systems=systems, n_boot=n_boot,
                         as_of_step_days=0.0, **evaluation)
    out = []
    for system, r in report.iterrows():
        if system in fits:
            seconds, cpu, runs, tr = fits[system]
        elif system in (RANDOM, LINEAR):
            seconds, cpu, runs, tr = float("nan"), float("nan"), 0, {}
        else:
            continue
        out.append({"dataset": name, "setting": system,
                    "ndcg": r[f"ndcg@{K}"], "lo": r[f"ndcg@{K}_lo"], "hi": r[f"ndcg@{K}_hi"],
                    "seconds": seconds, "cpu": cpu, "runs": runs, "rows": tr.get("rows"),
                    "rebuilds": tr.get("graphs_built"),
                    "hidden": tr.get("step_hidden_share"),
                    "test_records": report.attrs["records_scored"]})
    return out


def public(name: str, data: Path, repeats: int, n_boot: int) -> list[dict]:
    loader, campaigns, options = DATASETS[name]
    ds = getattr(ig.datasets, loader)(data)
    tables, history = getattr(ig.datasets, campaigns)(ds, seed=0)
    g = ig.build_graph(**tables, progress=False)
    train = history[history["split"] == "train"].drop(columns="split").reset_index(drop=True)
    test = history[history["split"] == "test"].drop(columns="split").reset_index(drop=True)
    candidate = {k: v for k, v in options.items() if k == "include_two_hop"}
    rows = {k: v for k, v in options.items()
            if k not in ("include_two_hop", "as_of_step_days")}
    return measure(name, g, train, test, candidate, rows, repeats, n_boot)


def with_link_joins(world, window_days: float = 2.0) -> pd.DataFrame:
    """The world's campaigns with joiners who came through the campaign's shared link:
    users within two hops of the inviter, not invited, who buy an item of the campaign's
    category within ``window_days`` after it (they join the team-up instead)."""
    f = world.friendships[["src", "dst"]]
    one = pd.concat([f.rename(columns={"src": "u", "dst": "v"}),
                     f.rename(columns={"dst": "u", "src": "v"})], ignore_index=True)
    two = one.merge(one.rename(columns={"u": "v", "v": "x"}), on="v")[["u", "x"]]
    near = pd.concat([one, two.rename(columns={"x": "v"})]).drop_duplicates()
    near = near[near["u"] != near["v"]]
    c = world.campaigns.reset_index(drop=True)
    m = (pd.DataFrame({"rec": np.arange(len(c)), "u": c["inviter"], "category": c["category"],
                       "ts": c["ts"]})
         .merge(near, on="u")
         .merge(world.purchases[["user", "category", "ts"]]
                .rename(columns={"user": "v", "ts": "t2"}), on=["v", "category"]))
    m = m[(m["t2"] > m["ts"]) & (m["t2"] <= m["ts"] + window_days * 86_400)]
    link = m.groupby("rec")["v"].apply(set)
    joined = [np.array(sorted(set(j.tolist()) | (link.get(r, set()) - set(inv.tolist()))),
                       dtype=np.int64)
              for r, (inv, j) in enumerate(zip(c["invited"], c["joined"]))]
    return c.assign(joined=joined)


def synthetic(n_users: int, repeats: int, n_boot: int, links: bool = False) -> list[dict]:
    w = ig.synth.generate(n_users, seed=42, progress=False)
    tables = w.tables()
    name = f"synthetic, {n_users:,} users"
    if links:
        tables["campaigns"] = with_link_joins(w)
        name += ", shared-link joins"
    g = ig.build_graph(**tables, progress=False)
    train, test = ig.split_campaigns(tables["campaigns"], by="time", test_fraction=0.3)
    return measure(name, g, train, test, {}, {}, repeats, n_boot)


def markdown(results: list[dict]) -> str:
    lines = [f"| dataset | setting | NDCG@{K} [95% CI] | fit seconds (CPU) | training rows "
             "| rebuilds | events hidden by the step |", "|---|---|---:|---:|---:|---:|---:|"]
    for r in results:
        secs = "–" if r["runs"] == 0 else f"{r['seconds']:.2f} ({r['cpu']:.2f})"
        rows = "–" if r["rows"] is None else f"{r['rows']:,}"
        rebuilds = "–" if r["rebuilds"] is None else f"{r['rebuilds']:,}"
        hidden = "–" if not r.get("hidden") else f"{100 * r['hidden']:.1f} %"
        lines.append(f"| {r['dataset']} | {r['setting']} | {r['ndcg']:.3f} "
                     f"[{r['lo']:.3f}, {r['hi']:.3f}] | {secs} | {rows} | {rebuilds} "
                     f"| {hidden} |")
    return "\n".join(lines)


def main() -> None:
    global STEPS, WEIGHTS
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=None)
    p.add_argument("--users", type=int, default=5000)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--n-boot", type=int, default=500)
    p.add_argument("--only", choices=[*DATASETS, "synthetic", "synthetic-links"],
                   action="append")
    p.add_argument("--steps", default=",".join(f"{x:g}" for x in STEPS),
                   help="as_of_step_days values, comma-separated")
    p.add_argument("--weights", default=",".join(f"{x:g}" for x in WEIGHTS),
                   help="uninvited_weight values, comma-separated")
    args = p.parse_args()
    STEPS = tuple(float(x) for x in args.steps.split(","))
    WEIGHTS = tuple(float(x) for x in args.weights.split(","))
    data = args.data or _default_data()
    if not data.is_dir() and Path("/work/shared/data").is_dir():
        data = Path("/work/shared/data")
    results = []
    for name in args.only or [*DATASETS, "synthetic", "synthetic-links"]:
        t0 = time.perf_counter()
        try:
            if name.startswith("synthetic"):
                results += synthetic(args.users, args.repeats, args.n_boot,
                                     links=name == "synthetic-links")
            else:
                results += public(name, data, args.repeats, args.n_boot)
        except FileNotFoundError as e:
            print(f"{name}: skipped ({e})")
            continue
        print(f"{name}: {time.perf_counter() - t0:.0f} s in all", flush=True)
    print()
    print(markdown(results))


if __name__ == "__main__":
    main()
