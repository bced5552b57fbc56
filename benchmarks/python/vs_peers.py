"""invitegraph against the tools a data team would otherwise use, on the same data.

    PYTHONPATH=bindings/python python benchmarks/python/vs_peers.py --scale S \\
        [--json out.json] [--markdown out.md] [--build-dir build-bench]
    ... --smoke        tiny sizes, correctness checks only (tests/python/test_vs_peers_smoke.py)

One seeded synthetic world (``ig.synth.generate``) is written once as NumPy columns; each
part then runs in its own Python subprocess that loads those columns, so every peak RSS
(``os.wait4`` of that child) is the part's own plus the loaded input, reported separately.

Parts and what they are compared on:

* edges: interaction events -> decayed weight per (src, dst, kind),
  ``sum 2^(-(as_of - ts) / (half_life_days * 86400))``. invitegraph: ``GraphBuilder``
  with the interactions only (add + build, communities off); DuckDB ``GROUP BY`` over the
  same NumPy columns (threads=2); pandas ``groupby(sort=False)``. Checked: same groups,
  weights within invitegraph's 8-bit storage error (3.2 %).
* adamic-adar: top 20 distance-2 candidates by Adamic-Adar for 10k random inviters over
  the undirected contact graph (friendships + interaction pairs). invitegraph:
  ``g.adamic_adar_top`` (C++, 2 threads, through the binding); DuckDB SQL self-join;
  NetworKit ``MissingLinksFinder.findFromNode`` + ``AdamicAdarIndex.runOn`` (2 threads);
  NetworkX ``adamic_adar_index`` (S and smoke only, on a subset of inviters, reported as
  throughput). Checked: rank-by-rank scores to 1e-9 and the same candidates except ties
  at the cut. Graph loading is untimed for everyone.
* recommend: ``micro_benchmark`` (Google Benchmark, built with
  -DINVITEGRAPH_BUILD_BENCHMARKS=ON) on a world with the same knobs: full Recommend p50/p99
  and RecommendBatch throughput against the bare 2-hop loop (count friends of friends).

Every timed figure is the median of ``reps`` runs after one warm-up run whose output is
the one checked; nothing is reported as a ratio unless its check passed.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable, Optional

import numpy as np

HALF_LIFE_DAYS = 30.0
TOP_K = 20
# Relative error bound of a stored channel weight (social_graph.h), plus float slack.
WEIGHT_RTOL = 0.033
# Parts whose warm-up run takes longer than this are timed once, not `reps` times.
CHEAP_SECONDS = 30.0

SCALES = {
    # users, declared friendships per user, interaction events per friendship,
    # inviters for Adamic-Adar, NetworkX inviters (0: skip), reps, pandas reps,
    # edge check sample (keep rows with src % n == 0), micro_benchmark requests
    "smoke": dict(users=2_000, avg_friends=8.0, ipf=2.0, inviters=200, nx_inviters=50,
                  reps=1, pandas_reps=1, sample=1, requests=200),
    "S": dict(users=100_000, avg_friends=25.0, ipf=4.0, inviters=10_000, nx_inviters=200,
              reps=3, pandas_reps=3, sample=1, requests=20_000),
    "M": dict(users=1_000_000, avg_friends=25.0, ipf=4.0, inviters=10_000, nx_inviters=0,
              reps=3, pandas_reps=1, sample=50, requests=20_000),
    "L": dict(users=10_000_000, avg_friends=25.0, ipf=4.0, inviters=10_000, nx_inviters=0,
              reps=1, pandas_reps=1, sample=500, requests=20_000),
}

PEER_PACKAGES = {"duckdb": "duckdb", "pandas": "pandas", "networkit": "networkit",
                 "networkx": "networkx"}


# ---------------------------------------------------------------- child side: helpers


def _rss_now() -> int:
    """Current resident set size in bytes (Linux /proc, no dependency)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _load(data: str, *names: str) -> dict:
    return {n: np.load(os.path.join(data, n + ".npy")) for n in names}


_WORK_PEAK: list = []


def _timed(fn: Callable[[], Any], reps: int) -> tuple:
    """(output of a warm-up run, list of `reps` wall times of further runs).

    A run that takes longer than CHEAP_SECONDS is not cheap: then one timed run only.
    """
    t0 = time.perf_counter()
    out = fn()
    if time.perf_counter() - t0 > CHEAP_SECONDS:
        reps = min(reps, 1)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    # High-water mark before the output is read back for the check.
    _WORK_PEAK.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    return out, times


def _save_edges(out_path: str, src, dst, kind, weight, sample: int) -> dict:
    src = np.asarray(src, dtype=np.int64)
    keep = (src % sample) == 0 if sample > 1 else slice(None)
    np.savez(out_path, src=src[keep], dst=np.asarray(dst, dtype=np.int64)[keep],
             kind=np.asarray(kind, dtype=np.int64)[keep],
             weight=np.asarray(weight, dtype=np.float64)[keep])
    return {"groups": int(len(src)), "weight_sum": float(np.sum(weight, dtype=np.float64))}


def _interaction_frame(d: dict):
    import pandas as pd
    return pd.DataFrame({"src": d["inter_src"], "dst": d["inter_dst"],
                         "kind": d["inter_kind"], "ts": d["inter_ts"]})


def part_ours_edges(data: str, meta: dict, out: str) -> dict:
    import pandas as pd
    import invitegraph as ig
    d = _load(data, "inter_src", "inter_dst", "inter_kind", "inter_ts")
    names = meta["channels"]
    rss0 = _rss_now()
    table = {"src": d["inter_src"], "dst": d["inter_dst"],
             "kind": pd.Categorical.from_codes(d["inter_kind"].astype(np.int32),
                                               categories=names),
             "ts": d["inter_ts"]}

    def run():
        b = ig.GraphBuilder(ig.GraphConfig(half_life_days=HALF_LIFE_DAYS, num_threads=2))
        b.add_interactions(table)
        return b.build(as_of=meta["as_of"], progress=False, keep_events=False,
                       communities=False)

    g, times = _timed(run, meta["reps"])
    arcs = g.arc_columns()
    w = arcs["channel_weight"]
    arc_i, chan = np.nonzero(w)
    summary = _save_edges(out + ".npz", arcs["src"][arc_i], arcs["dst"][arc_i], chan,
                          w[arc_i, chan], meta["sample"])
    st = g.stats()
    return dict(summary, times=times, rss_after_load=rss0, num_arcs=st["num_arcs"],
                bytes_per_arc=st["bytes_per_arc"],
                graph_bytes_per_arc=st["total_bytes"] / max(1, st["num_arcs"]))


def part_duckdb_edges(data: str, meta: dict, out: str) -> dict:
    import duckdb
    d = _load(data, "inter_src", "inter_dst", "inter_kind", "inter_ts")
    inter = _interaction_frame(d)
    rss0 = _rss_now()
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.register("inter", inter)
    query = f"""
        CREATE OR REPLACE TABLE edges AS
        SELECT src, dst, kind,
               SUM(pow(2.0, (ts - {int(meta['as_of'])}) / {HALF_LIFE_DAYS * 86400.0}))
                   AS weight
        FROM inter GROUP BY src, dst, kind"""
    _, times = _timed(lambda: con.execute(query), meta["reps"])
    r = con.execute("SELECT src, dst, kind, weight FROM edges").fetchnumpy()
    summary = _save_edges(out + ".npz", r["src"], r["dst"], r["kind"], r["weight"],
                          meta["sample"])
    return dict(summary, times=times, rss_after_load=rss0,
                version=duckdb.__version__)


def part_pandas_edges(data: str, meta: dict, out: str) -> dict:
    import pandas as pd
    d = _load(data, "inter_src", "inter_dst", "inter_kind", "inter_ts")
    inter = _interaction_frame(d)
    rss0 = _rss_now()
    scale = 1.0 / (HALF_LIFE_DAYS * 86400.0)

    def run():
        w = np.exp2((inter["ts"].to_numpy() - int(meta["as_of"])) * scale)
        return (inter[["src", "dst", "kind"]].assign(weight=w)
                .groupby(["src", "dst", "kind"], sort=False)["weight"].sum())

    s, times = _timed(run, meta["pandas_reps"])
    idx = s.index
    summary = _save_edges(out + ".npz", idx.get_level_values(0), idx.get_level_values(1),
                          idx.get_level_values(2), s.to_numpy(), meta["sample"])
    return dict(summary, times=times, rss_after_load=rss0, version=pd.__version__)


def _save_top(out: str, inviter, candidate, score) -> None:
    np.savez(out + ".npz", inviter=np.asarray(inviter, dtype=np.int64),
             candidate=np.asarray(candidate, dtype=np.int64),
             score=np.asarray(score, dtype=np.float64))


def part_ours_aa(data: str, meta: dict, out: str) -> dict:
    import pandas as pd
    import invitegraph as ig
    d = _load(data, "friend_src", "friend_dst", "inter_src", "inter_dst", "inter_kind",
              "inter_ts", "inviters")
    rss0 = _rss_now()
    names = meta["channels"]
    t0 = time.perf_counter()
    b = ig.GraphBuilder(ig.GraphConfig(half_life_days=HALF_LIFE_DAYS, num_threads=2))
    b.add_friendships({"src": d["friend_src"], "dst": d["friend_dst"]})
    b.add_interactions({"src": d["inter_src"], "dst": d["inter_dst"],
                        "kind": pd.Categorical.from_codes(d["inter_kind"].astype(np.int32),
                                                          categories=names),
                        "ts": d["inter_ts"]})
    g = b.build(as_of=meta["as_of"], progress=False, keep_events=False, communities=False)
    load_s = time.perf_counter() - t0
    inviters = d["inviters"]
    top, times = _timed(lambda: g.adamic_adar_top(inviters, k=TOP_K, num_threads=2),
                        meta["reps"])
    _save_top(out, top["inviter"], top["candidate"], top["score"])
    st = g.stats()
    return dict(times=times, rss_after_load=rss0, load_seconds=load_s,
                num_arcs=st["num_arcs"], bytes_per_arc=st["bytes_per_arc"],
                graph_bytes_per_arc=st["total_bytes"] / max(1, st["num_arcs"]),
                inviters=int(len(inviters)))


def part_duckdb_aa(data: str, meta: dict, out: str) -> dict:
    import duckdb
    import pandas as pd
    d = _load(data, "edge_u", "edge_v", "inviters")
    rss0 = _rss_now()
    con = duckdb.connect()
    con.execute("SET threads = 2")
    t0 = time.perf_counter()
    con.register("und", pd.DataFrame({"u": d["edge_u"], "v": d["edge_v"]}))
    con.register("inv_df", pd.DataFrame({"u": d["inviters"]}))
    # Native tables: both directions, and each node's 1 / ln(degree) on its arcs.
    con.execute("""
        CREATE TABLE e AS SELECT u AS src, v AS dst FROM und
                          UNION ALL SELECT v, u FROM und""")
    con.execute("CREATE TABLE deg AS SELECT src AS node, COUNT(*) AS d FROM e GROUP BY src")
    con.execute("""
        CREATE TABLE ew AS
        SELECT e.src, e.dst, 1.0 / ln(deg.d) AS w FROM e JOIN deg ON deg.node = e.src""")
    con.execute("CREATE TABLE inv AS SELECT u FROM inv_df")
    load_s = time.perf_counter() - t0
    query = f"""
        WITH paths AS (
            SELECT e1.src AS u, e2.dst AS v, SUM(e2.w) AS score
            FROM inv
            JOIN e AS e1 ON e1.src = inv.u
            JOIN ew AS e2 ON e2.src = e1.dst
            WHERE e2.dst <> e1.src
            GROUP BY e1.src, e2.dst)
        SELECT p.u, p.v, p.score FROM paths AS p
        ANTI JOIN e ON e.src = p.u AND e.dst = p.v
        QUALIFY row_number() OVER (PARTITION BY p.u ORDER BY p.score DESC, p.v) <= {TOP_K}
        """
    # e2.w is 1 / ln(degree(e2.src)) = the weight of the common contact z = e1.dst.
    r, times = _timed(lambda: con.execute(query).fetchnumpy(), meta["reps"])
    _save_top(out, r["u"], r["v"], r["score"])
    return dict(times=times, rss_after_load=rss0, load_seconds=load_s,
                version=duckdb.__version__)


def part_networkit_aa(data: str, meta: dict, out: str) -> dict:
    import networkit as nk
    d = _load(data, "edge_u", "edge_v", "inviters")
    rss0 = _rss_now()
    nk.setNumberOfThreads(2)
    t0 = time.perf_counter()
    g = nk.Graph(int(meta["users"]))
    g.addEdges((d["edge_u"].astype(np.uint64), d["edge_v"].astype(np.uint64)))
    load_s = time.perf_counter() - t0
    inviters = [int(u) for u in d["inviters"]]
    finder = nk.linkprediction.MissingLinksFinder(g)
    index = nk.linkprediction.AdamicAdarIndex(g)
    chunk = 250

    def run():
        rows_u, rows_v, rows_s = [], [], []
        for start in range(0, len(inviters), chunk):
            pairs = []
            for u in inviters[start:start + chunk]:
                pairs.extend(finder.findFromNode(u, 2))  # (u, v) at distance exactly 2
            if not pairs:
                continue
            scored = index.runOn(pairs)  # parallel
            u = np.fromiter((p[0][0] for p in scored), dtype=np.int64, count=len(scored))
            v = np.fromiter((p[0][1] for p in scored), dtype=np.int64, count=len(scored))
            s = np.fromiter((p[1] for p in scored), dtype=np.float64, count=len(scored))
            order = np.lexsort((v, -s, u))
            u, v, s = u[order], v[order], s[order]
            first = np.r_[0, np.flatnonzero(np.diff(u)) + 1]
            rank = np.arange(len(u)) - np.repeat(first, np.diff(np.r_[first, len(u)]))
            keep = rank < TOP_K
            rows_u.append(u[keep])
            rows_v.append(v[keep])
            rows_s.append(s[keep])
        cat = (lambda xs, t: np.concatenate(xs) if xs else np.zeros(0, t))
        return cat(rows_u, np.int64), cat(rows_v, np.int64), cat(rows_s, np.float64)

    (u, v, s), times = _timed(run, meta["reps"])
    _save_top(out, u, v, s)
    return dict(times=times, rss_after_load=rss0, load_seconds=load_s,
                version=nk.__version__)


def part_networkx_aa(data: str, meta: dict, out: str) -> dict:
    import heapq
    import networkx as nx
    d = _load(data, "edge_u", "edge_v", "inviters")
    rss0 = _rss_now()
    t0 = time.perf_counter()
    g = nx.Graph()
    g.add_edges_from(zip(d["edge_u"].tolist(), d["edge_v"].tolist()))
    load_s = time.perf_counter() - t0
    inviters = [int(u) for u in d["inviters"][:meta["nx_inviters"]]]

    def run():
        rows = []
        for u in inviters:
            if u not in g:
                continue
            contacts = set(g[u])
            cands = {w for z in contacts for w in g[z]} - contacts - {u}
            # A list: NetworkX walks the ebunch twice (a generator would give nothing).
            scored = nx.adamic_adar_index(g, [(u, v) for v in cands])
            best = heapq.nsmallest(TOP_K, ((-s, v) for _, v, s in scored))
            rows.extend((u, v, -ns) for ns, v in best)
        return rows

    rows, times = _timed(run, meta["reps"])
    arr = np.array(rows, dtype=np.float64).reshape(-1, 3)
    _save_top(out, arr[:, 0], arr[:, 1], arr[:, 2])
    return dict(times=times, rss_after_load=rss0, load_seconds=load_s,
                inviters=len(inviters), version=nx.__version__)


PARTS = {
    "ours_edges": part_ours_edges, "duckdb_edges": part_duckdb_edges,
    "pandas_edges": part_pandas_edges, "ours_aa": part_ours_aa,
    "duckdb_aa": part_duckdb_aa, "networkit_aa": part_networkit_aa,
    "networkx_aa": part_networkx_aa,
}


def part_generate(data: str, meta: dict) -> dict:
    """Writes the world's columns, the undirected contact edges and the inviters."""
    import invitegraph as ig
    t0 = time.perf_counter()
    w = ig.synth.generate(meta["users"], seed=meta["seed"], avg_friends=meta["avg_friends"],
                          interactions_per_friend=meta["ipf"], num_threads=2, progress=False)
    gen_s = time.perf_counter() - t0
    inter = w.interactions
    cols = {"friend_src": w.friendships["src"].to_numpy(np.int64),
            "friend_dst": w.friendships["dst"].to_numpy(np.int64),
            "inter_src": inter["src"].to_numpy(np.int64),
            "inter_dst": inter["dst"].to_numpy(np.int64),
            "inter_kind": inter["kind"].cat.codes.to_numpy().astype(np.int8),
            "inter_ts": inter["ts"].to_numpy(np.int64)}
    channels = [str(c) for c in inter["kind"].cat.categories]
    del w, inter
    # Undirected contact pairs u < v: declared friendships plus any interaction pair.
    a = np.concatenate([cols["friend_src"], cols["inter_src"]])
    b = np.concatenate([cols["friend_dst"], cols["inter_dst"]])
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    del a, b
    key = np.unique(lo * np.int64(meta["users"]) + hi)
    del lo, hi
    cols["edge_u"] = key // meta["users"]
    cols["edge_v"] = key % meta["users"]
    del key
    rng = np.random.default_rng(meta["seed"])
    present = np.unique(np.concatenate([cols["edge_u"], cols["edge_v"]]))
    cols["inviters"] = np.sort(rng.choice(present, size=min(meta["inviters"], len(present)),
                                          replace=False))
    for name, col in cols.items():
        np.save(os.path.join(data, name + ".npy"), col)
    return {"synth_seconds": gen_s, "interactions": int(len(cols["inter_src"])),
            "friendships": int(len(cols["friend_src"])),
            "contact_edges": int(len(cols["edge_u"])),
            "as_of": int(cols["inter_ts"].max()), "channels": channels,
            "input_bytes": int(sum(c.nbytes for c in cols.values()))}


def child_main(args: argparse.Namespace) -> None:
    with open(args.meta) as f:
        meta = json.load(f)
    if args.part == "generate":
        result = part_generate(args.data, meta)
    else:
        result = PARTS[args.part](args.data, meta, args.out)
        result["peak_rss_work"] = _WORK_PEAK[-1] if _WORK_PEAK else None
    with open(args.out + ".json", "w") as f:
        json.dump(result, f)


# ---------------------------------------------------------------- parent side


def run_child(cmd: list, log_path: str, timeout: Optional[float] = None) -> tuple:
    """Runs cmd; returns (exit status, peak RSS in bytes of that child, wall seconds)."""
    t0 = time.perf_counter()
    with open(log_path, "w") as log:
        p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if deadline is not None and time.monotonic() > deadline:
                p.kill()
                pid, status, usage = os.wait4(p.pid, 0)
                break
            time.sleep(0.05)
        p.returncode = os.waitstatus_to_exitcode(status)
    return p.returncode, usage.ru_maxrss * 1024, time.perf_counter() - t0


def run_part(part: str, work: str, meta_path: str, missing: Optional[str]) -> dict:
    if missing:
        return {"part": part, "skipped": f"package {missing} is not installed"}
    out = os.path.join(work, part)
    rc, rss, wall = run_child(
        [sys.executable, os.path.abspath(__file__), "--part", part, "--data", work,
         "--meta", meta_path, "--out", out], out + ".log")
    if rc != 0:
        with open(out + ".log") as f:
            tail = f.read()[-3000:]
        return {"part": part, "error": f"exit {rc}", "log_tail": tail}
    with open(out + ".json") as f:
        r = json.load(f)
    r.update(part=part, peak_rss=rss, wall_seconds=wall,
             median_seconds=statistics.median(r["times"]) if r["times"] else None)
    return r


def _outputs(work: str, ours: dict, peer: dict) -> tuple:
    """(our saved output, the peer's, None), or (None, None, verdict) if one did not run."""
    if "skipped" in peer:
        return None, None, {"ok": None, "why": peer["skipped"]}
    if "error" in peer or "error" in ours:
        return None, None, {"ok": False, "why": "part did not run"}
    return (np.load(os.path.join(work, ours["part"] + ".npz")),
            np.load(os.path.join(work, peer["part"] + ".npz")), None)


def check_edges(work: str, ours: dict, peer: dict) -> dict:
    """Same (src, dst, kind) groups, weights within the storage error."""
    a, b, verdict = _outputs(work, ours, peer)
    if verdict:
        return verdict

    def sort(z):
        o = np.lexsort((z["kind"], z["dst"], z["src"]))
        return z["src"][o], z["dst"][o], z["kind"][o], z["weight"][o]
    sa, da, ka, wa = sort(a)
    sb, db, kb, wb = sort(b)
    res = {"groups_ours": ours["groups"], "groups_peer": peer["groups"],
           "checked_rows": int(len(sa))}
    if ours["groups"] != peer["groups"] or len(sa) != len(sb) or not (
            np.array_equal(sa, sb) and np.array_equal(da, db) and np.array_equal(ka, kb)):
        return dict(res, ok=False, why="different (src, dst, kind) groups")
    rel = np.abs(wa - wb) / np.maximum(wb, 1e-300)
    res["max_rel_error"] = float(rel.max()) if len(rel) else 0.0
    res["weight_sum_rel_error"] = abs(ours["weight_sum"] - peer["weight_sum"]) / max(
        peer["weight_sum"], 1e-300)
    res["ok"] = bool(res["max_rel_error"] <= WEIGHT_RTOL)
    if not res["ok"]:
        res["why"] = f"weight off by {res['max_rel_error']:.3g} relative"
    return res


def check_top(work: str, ours: dict, peer: dict, tol: float = 1e-9) -> dict:
    """Per inviter: same scores rank by rank; same candidates except ties at the cut."""
    a, b, verdict = _outputs(work, ours, peer)
    if verdict:
        return verdict

    def lists(z):
        out: dict = {}
        for u, v, s in zip(z["inviter"].tolist(), z["candidate"].tolist(),
                           z["score"].tolist()):
            out.setdefault(int(u), []).append((int(v), float(s)))
        for lst in out.values():
            lst.sort(key=lambda t: (-t[1], t[0]))
        return out
    la, lb = lists(a), lists(b)
    bad = []
    for u in sorted(lb):  # the peer may cover a subset of inviters (NetworkX)
        x, y = la.get(u, []), lb[u]
        if len(x) != len(y):
            bad.append(f"inviter {u}: {len(x)} vs {len(y)} candidates")
            continue
        if any(abs(p[1] - q[1]) > tol * max(1.0, abs(q[1])) for p, q in zip(x, y)):
            bad.append(f"inviter {u}: scores differ")
            continue
        cut = y[-1][1] if y else 0.0
        sx = {v for v, s in x if s > cut + tol}
        sy = {v for v, s in y if s > cut + tol}
        if sx != sy:
            bad.append(f"inviter {u}: different candidates above the cut")
    if set(lb) - set(la):
        bad.append(f"{len(set(lb) - set(la))} inviters only in the peer's output")
    if len(lb) < len(la) and peer["part"] != "networkx_aa":
        bad.append(f"peer answered {len(lb)} of {len(la)} inviters")
    if not lb:
        bad.append("the peer returned no candidates at all")
    res = {"inviters_checked": len(lb), "ok": not bad}
    if bad:
        res["why"] = "; ".join(bad[:5])
    return res


def run_micro(build_dir: str, meta: dict, work: str) -> dict:
    exe = os.path.join(build_dir, "benchmarks", "micro_benchmark")
    if not os.path.exists(exe):
        return {"skipped": f"{exe} not found (configure with -DINVITEGRAPH_BUILD_BENCHMARKS=ON "
                           "and build target micro_benchmark)"}
    out = os.path.join(work, "micro.json")
    min_time = "0.05" if meta["scale"] == "smoke" else "2"
    cmd = [exe, f"--users={meta['users']}", f"--avg_friends={meta['avg_friends']}",
           f"--interactions_per_friend={meta['ipf']}", f"--seed={meta['seed']}",
           f"--requests={meta['requests']}", f"--benchmark_min_time={min_time}",
           "--benchmark_format=json", f"--benchmark_out={out}"]
    rc, rss, wall = run_child(cmd, os.path.join(work, "micro.log"))
    if rc != 0:
        return {"error": f"exit {rc}", "cmd": " ".join(cmd)}
    with open(out) as f:
        raw = json.load(f)
    res = {"peak_rss": rss, "wall_seconds": wall, "cmd": " ".join(cmd),
           "context": {k: raw["context"][k] for k in
                       ("users", "synth_seconds", "build_seconds", "num_events", "num_arcs",
                        "bytes_per_arc", "graph_bytes_per_arc", "num_cpus", "requests")
                       if k in raw["context"]}}
    for bm in raw["benchmarks"]:
        res[bm["name"]] = {k: bm[k] for k in ("p50_us", "p99_us", "inviters_per_s",
                                               "reached_per_inviter", "iterations")
                           if k in bm}
    return res


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def _missing(pkg: str) -> Optional[str]:
    import importlib.util
    return None if importlib.util.find_spec(pkg) else pkg


def _fmt_s(x: Optional[float]) -> str:
    if x is None:
        return "—"
    return f"{x * 1e3:.0f} ms" if x < 1 else f"{x:.2f} s"


def _fmt_b(x: Optional[float]) -> str:
    return "—" if x is None else f"{x / 2**20:,.0f} MiB"


def _ratio(peer: Optional[float], ours: Optional[float]) -> str:
    if not peer or not ours:
        return "—"
    r = peer / ours if peer >= ours else ours / peer
    # Two decimals near parity, where "1.0× faster" would hide who won.
    txt = f"{r:.2f}×" if r < 1.1 else f"{r:.1f}×"
    return f"{txt} slower" if peer >= ours else f"{txt} faster"


def markdown(res: dict) -> str:
    m = res["meta"]
    p = res["parts"]
    c = res["checks"]
    lines = [
        f"### vs peers, scale {m['scale']}: {m['users']:,} users, "
        f"{m['interactions']:,} interaction events, {m['friendships']:,} friendships, "
        f"{m['contact_edges']:,} contact edges, seed {m['seed']}",
        "",
        ("**Smoke run: parts ran concurrently, so times are meaningless; only the checks "
         "count.**\n\n" if m["scale"] == "smoke" else "") +
        f"Machine: {res['machine']}. Command: `{res['command']}`. Median of "
        f"up to {m['reps']} timed runs after a checked warm-up (pandas: {m['pandas_reps']}; "
        f"one when the warm-up took over {CHEAP_SECONDS:.0f} s). "
        "Peak RSS is that part's process up to the end of its timed runs (before its "
        "output is read back for the check), input columns and, for Adamic–Adar, "
        "loading the graph included; in brackets the RSS once the input was loaded.",
        "",
        "| work | tool | time (runs) | vs invitegraph | peak RSS (loaded) | check |",
        "|---|---|---:|---:|---:|---|"]

    def row(work, name, part, ours_part, check, time_s=None, note=""):
        r = p.get(part, {})
        if "skipped" in r or "error" in r:
            lines.append(f"| {work} | {name} | {r.get('skipped') or r.get('error')} | | | |")
            return
        t = time_s if time_s is not None else r.get("median_seconds")
        ours_t = p.get(ours_part, {}).get("median_seconds")
        ok = c.get(check, {}).get("ok") if check else True
        ratio = _ratio(t, ours_t) if (part != ours_part and ok) else ""
        status = "" if not check else ("✓" if ok else "✗ " + c[check].get("why", ""))
        runs = len(r.get("times", []))
        lines.append(f"| {work} | {name} | {_fmt_s(t)}{note} ({runs}) | {ratio} | "
                     f"{_fmt_b(r.get('peak_rss_work', r.get('peak_rss')))} "
                     f"({_fmt_b(r.get('rss_after_load'))}) | "
                     f"{status} |")

    work = "events → decayed (src, dst, kind) weights"
    row(work, "invitegraph (add + build, 2 threads)", "ours_edges", "ours_edges", None)
    row(work, "DuckDB GROUP BY", "duckdb_edges", "ours_edges", "edges_duckdb")
    row(work, "pandas groupby", "pandas_edges", "ours_edges", "edges_pandas")
    work = f"Adamic–Adar top-{TOP_K}, {m['inviters']:,} inviters"
    row(work, "invitegraph adamic_adar_top", "ours_aa", "ours_aa", None)
    row(work, "DuckDB SQL self-join", "duckdb_aa", "ours_aa", "aa_duckdb")
    row(work, "NetworKit MissingLinksFinder + AdamicAdarIndex", "networkit_aa", "ours_aa",
        "aa_networkit")
    nx_r = p.get("networkx_aa")
    if nx_r is not None:
        if "median_seconds" in nx_r and nx_r.get("inviters"):
            per = nx_r["median_seconds"] / nx_r["inviters"]
            row(work, f"NetworkX adamic_adar_index ({nx_r['inviters']} inviters, scaled)",
                "networkx_aa", "ours_aa", "aa_networkx", time_s=per * m["inviters"],
                note=" (est.)")
        else:
            row(work, "NetworkX adamic_adar_index", "networkx_aa", "ours_aa", "aa_networkx")
    mic = res.get("micro", {})
    if "BM_Recommend" in mic:
        rec, floor = mic["BM_Recommend"], mic["BM_TwoHopFloor"]
        b1 = mic.get("BM_RecommendBatch/1/real_time", {}).get("inviters_per_s")
        b2 = mic.get("BM_RecommendBatch/2/real_time", {}).get("inviters_per_s")
        lines += [
            "",
            "| full `Recommend` (k = 20, random users) | p50 | p99 | throughput |",
            "|---|---:|---:|---:|",
            f"| Recommend, 1 request at a time | {rec['p50_us']:.0f} µs | "
            f"{rec['p99_us']:.0f} µs | {rec['inviters_per_s']:,.0f} /s |",
            f"| RecommendBatch, 1 / 2 threads | | | {b1 or 0:,.0f} / {b2 or 0:,.0f} /s |",
            f"| floor: bare 2-hop loop (count friends of friends, "
            f"{floor.get('reached_per_inviter', 0):,.0f} reached per inviter) | "
            f"{floor['p50_us']:.1f} µs | {floor['p99_us']:.1f} µs | "
            f"{floor['inviters_per_s']:,.0f} /s |",
            f"| Recommend / floor | {rec['p50_us'] / max(floor['p50_us'], 1e-9):.1f}× | "
            f"{rec['p99_us'] / max(floor['p99_us'], 1e-9):.1f}× | |",
            "",
            f"Memory: {float(mic['context']['bytes_per_arc']):.1f} bytes per directed arc "
            f"(target + record), {float(mic['context']['graph_bytes_per_arc']):.1f} for the "
            f"whole graph; full build (all tables, communities) in "
            f"{float(mic['context']['build_seconds']):.1f} s, peak RSS of that process "
            f"(world + graph) {_fmt_b(mic['peak_rss'])}. Contact graph alone: "
            f"{p.get('ours_aa', {}).get('bytes_per_arc', 0):.1f} bytes per arc.",
        ]
    else:
        lines += ["", f"Recommend latency: {mic.get('skipped') or mic.get('error')}"]
    return "\n".join(lines) + "\n"


def main(argv: Optional[list] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", choices=["S", "M", "L"], default="S")
    ap.add_argument("--smoke", action="store_true",
                    help="tiny sizes; correctness checks only")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--json", help="write the full results here")
    ap.add_argument("--markdown", help="write the markdown table here")
    ap.add_argument("--build-dir", default="build-bench",
                    help="CMake build dir holding benchmarks/micro_benchmark")
    ap.add_argument("--workdir", help="keep the data and per-part outputs here")
    ap.add_argument("--part", help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    ap.add_argument("--meta", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.part:
        child_main(args)
        return 0

    scale = "smoke" if args.smoke else args.scale
    meta = dict(SCALES[scale], scale=scale, seed=args.seed)
    work = args.workdir or tempfile.mkdtemp(prefix="vs_peers_")
    os.makedirs(work, exist_ok=True)
    meta_path = os.path.join(work, "meta.json")
    with open(meta_path, "w") as f:
        json.dump(meta, f)
    try:
        t0 = time.perf_counter()
        rc, gen_rss, _ = run_child(
            [sys.executable, os.path.abspath(__file__), "--part", "generate", "--data", work,
             "--meta", meta_path, "--out", os.path.join(work, "generate")],
            os.path.join(work, "generate.log"))
        if rc != 0:
            with open(os.path.join(work, "generate.log")) as f:
                sys.stderr.write(f.read()[-3000:])
            return 1
        with open(os.path.join(work, "generate.json")) as f:
            meta.update(json.load(f))
        meta["generate_peak_rss"] = gen_rss
        with open(meta_path, "w") as f:
            json.dump(meta, f)
        print(f"[vs_peers] {scale}: {meta['interactions']:,} interactions, "
              f"{meta['contact_edges']:,} contact edges in {time.perf_counter() - t0:.1f} s",
              file=sys.stderr)
        need = {"ours_edges": None, "duckdb_edges": _missing("duckdb"),
                "pandas_edges": _missing("pandas"), "ours_aa": None,
                "duckdb_aa": _missing("duckdb"), "networkit_aa": _missing("networkit")}
        if meta["nx_inviters"]:
            need["networkx_aa"] = _missing("networkx")
        parts = {}

        def one(item):
            part, missing = item
            t1 = time.perf_counter()
            r = run_part(part, work, meta_path, missing)
            print(f"[vs_peers] {part}: {time.perf_counter() - t1:.1f} s "
                  f"{r.get('error') or r.get('skipped') or ''}", file=sys.stderr)
            return part, r

        if scale == "smoke":
            # Correctness only: run the parts side by side (timings are meaningless).
            from concurrent.futures import ThreadPoolExecutor
            with ThreadPoolExecutor(len(need)) as pool:
                micro_future = pool.submit(run_micro, args.build_dir, meta, work)
                parts = dict(pool.map(one, need.items()))
                micro = micro_future.result()
        else:
            parts = dict(map(one, need.items()))
            t1 = time.perf_counter()
            micro = run_micro(args.build_dir, meta, work)
            print(f"[vs_peers] micro_benchmark: {time.perf_counter() - t1:.1f} s "
                  f"{micro.get('error') or micro.get('skipped') or ''}", file=sys.stderr)
        checks = {
            "edges_duckdb": check_edges(work, parts["ours_edges"], parts["duckdb_edges"]),
            "edges_pandas": check_edges(work, parts["ours_edges"], parts["pandas_edges"]),
            "aa_duckdb": check_top(work, parts["ours_aa"], parts["duckdb_aa"]),
            "aa_networkit": check_top(work, parts["ours_aa"], parts["networkit_aa"]),
        }
        if "networkx_aa" in parts:
            checks["aa_networkx"] = check_top(work, parts["ours_aa"], parts["networkx_aa"])
        for name, part in (("contact_graph", "ours_aa"),):
            arcs = parts[part].get("num_arcs")
            checks[name] = {"ok": arcs == 2 * meta["contact_edges"],
                            "why": f"{arcs} arcs for {meta['contact_edges']} edges"}
        for r in parts.values():
            if "log_tail" in r:
                print(f"[vs_peers] {r['part']} failed:\n{r['log_tail']}", file=sys.stderr)
        res = {
            "meta": meta, "parts": parts, "checks": checks, "micro": micro,
            "machine": f"{_cpu_model()}, {os.cpu_count()} cores, "
                       f"{os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / 2**30:.0f} "
                       f"GiB, Python {platform.python_version()}",
            "command": "python benchmarks/python/vs_peers.py " + " ".join(
                sys.argv[1:] if argv is None else argv),
            "total_seconds": time.perf_counter() - t0,
        }
        md = markdown(res)
        print(md)
        if args.markdown:
            with open(args.markdown, "w") as f:
                f.write(md)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(res, f, indent=1)
        failed = [k for k, v in checks.items() if v.get("ok") is False]
        if failed:
            print(f"[vs_peers] CHECKS FAILED: {failed}", file=sys.stderr)
            return 2
        return 0
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
