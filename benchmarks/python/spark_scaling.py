"""How invitegraph.spark's time grows with data size and partition count, on this machine.

    PYTHONPATH=bindings/python python benchmarks/python/spark_scaling.py \\
        [--users 10000 40000 160000] [--partitions 1 2 4 8] [--requests 1000] [--reps 3] \\
        [--master local[2]] [--json out.json] [--markdown out.md]

One seeded synthetic world per size (``ig.synth.generate``, seed 42) goes into one Spark
session (``local[2]`` by default: this machine has 2 cores, so partition counts above 2
show the per-task overhead, not more parallelism). For each size and partition count:

* ``edges``: ``invitegraph.spark.edges`` (partials in ``mapInPandas``, integer merge,
  finish in the core) against the Spark SQL a data team would write without us: a
  ``GROUP BY src, dst, kind`` of ``pow(2, -(as_of - ts) / half_life)``. Both written to
  Spark's ``noop`` sink, so the whole plan runs and nothing is collected.
* ``shard recommend``: ``--requests`` random (inviter, item) requests, ``shards`` =
  partitions, from the raw events (neighbourhood joins, routing, local builds, answers).
* ``broadcast recommend``: the same requests against a broadcast ``Recommender``.
* ``routed rows``: events delivered to the shards over events in the input (the shuffle
  amplification of shard mode) and the mean share of the users each shard needs.

The single-machine figures (``build_graph`` and ``recommend_batch`` on 2 threads) are in
the same run, for scale. Every time is the median of ``--reps`` runs after ``--warmup``
runs;
the first run of each size is checked against the single machine (edges equal ``g.arcs()``,
shard suggestions equal ``recommend_batch``'s).
"""
from __future__ import annotations

import argparse
import json
import time
import warnings

import numpy as np
import pandas as pd

import invitegraph as ig
from timing import median_seconds

warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
warnings.filterwarnings("ignore", message="The copy keyword is deprecated")


def timed(fn, reps, warmup=1):
    return median_seconds(fn, reps, warmup)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--users", type=int, nargs="+", default=[10_000, 40_000, 160_000])
    ap.add_argument("--partitions", type=int, nargs="+", default=[1, 2, 4, 8])
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--shard-partitions", type=int, nargs="*", default=None,
                    help="partition counts that also time shard mode (default: all); shard "
                         "runs are timed once, without a warm-up, being minutes long")
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--json")
    ap.add_argument("--markdown")
    args = ap.parse_args()

    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    from invitegraph import spark as igs

    spark = (SparkSession.builder.master(args.master).appName("invitegraph-scaling")
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.driver.memory", "6g")
             .config("spark.sql.adaptive.enabled", "false")  # keep the partition counts
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    rows = []
    for n in args.users:
        w = ig.synth.generate(n_users=n, seed=42, num_threads=2)
        tables = w.tables()
        c = tables["campaigns"].copy()
        for col in ("joined", "invited"):
            c[col] = [np.asarray(x, dtype=np.int64).tolist() for x in c[col]]
        tables["campaigns"] = c
        inter = tables["interactions"].assign(kind=tables["interactions"]["kind"].astype(str))
        tables["interactions"] = inter
        n_events = sum(len(t) for t in tables.values())
        t0 = time.perf_counter()
        g = ig.build_graph(**tables, progress=False, communities=False)
        build_s = time.perf_counter() - t0
        rng = np.random.default_rng(7)
        req = pd.DataFrame({"inviter": rng.choice(np.asarray(g.user_ids()), args.requests),
                            "item": rng.integers(0, max(1, g.stats()["num_items"]),
                                                 args.requests)})
        rec = ig.Recommender(g)
        one_rec_s = timed(lambda: rec.recommend_batch(req["inviter"], req["item"], k=10,
                                                      num_threads=2, progress=False), 3)
        sdf = {k: spark.createDataFrame(v).cache() for k, v in tables.items()}
        for v in sdf.values():
            v.count()
        sreq = spark.createDataFrame(req).cache()
        sreq.count()
        half_life_s = g.config.half_life_days * 86400.0
        checked = n != args.users[0]  # the equality check runs at the smallest size
        shard_ps = args.partitions if args.shard_partitions is None else args.shard_partitions
        for p in args.partitions:
            spark.conf.set("spark.sql.shuffle.partitions", str(p))
            parts = {k: v.repartition(p) for k, v in sdf.items()}
            edges = igs.edges(parts["interactions"], parts["friendships"], parts["campaigns"],
                              as_of=g.as_of)
            sql = (parts["interactions"]
                   .groupBy("src", "dst", "kind")
                   .agg(F.sum(F.pow(F.lit(2.0), -(F.lit(g.as_of) - F.col("ts")) / half_life_s))
                        .alias("w")))
            shard = igs.recommend(sreq.repartition(p), events=parts, shards=p, k=10)
            bcast = igs.recommend(sreq.repartition(p), recommender=rec, k=10)
            if not checked and p in shard_ps:
                got = edges.toPandas().sort_values(["src", "dst"]).reset_index(drop=True)
                want = g.arcs().sort_values(["src", "dst"]).reset_index(drop=True)
                pd.testing.assert_frame_equal(got, want)
                s = shard.toPandas().sort_values(["inviter", "item", "rank"])
                b = rec.recommend_batch(req["inviter"], req["item"], k=10, progress=False)
                b = b.drop_duplicates(["inviter", "item", "rank"])
                s = s.drop_duplicates(["inviter", "item", "rank"])
                b = b.sort_values(["inviter", "item", "rank"])
                assert np.array_equal(s["candidate"].to_numpy(), b["candidate"].to_numpy())
                checked = True

            def run(df):
                return lambda: df.write.format("noop").mode("overwrite").save()

            r = dict(users=n, events=n_events, arcs=g.num_arcs, partitions=p,
                     edges_s=timed(run(edges), args.reps, args.warmup),
                     sql_group_by_s=timed(run(sql), args.reps, args.warmup),
                     broadcast_recommend_s=timed(run(bcast), args.reps, args.warmup),
                     single_build_s=build_s, single_recommend_s=one_rec_s)
            if p not in shard_ps:
                rows.append(r)
                print(json.dumps(r), flush=True)
                continue
            r["shard_recommend_s"] = timed(run(shard), 1, 0)
            # Shard-mode amplification: routed event rows over input rows.
            req_sh = sreq.withColumn("_shard", igs._shard_of("inviter", p))
            seeds = req_sh.select("_shard", F.col("inviter").alias("node"))
            needed = igs.neighbourhoods(seeds, parts)
            pairs = needed.count()
            r["needed_per_request"] = pairs / args.requests
            r["shard_fraction"] = pairs / p / g.num_nodes  # of the graph, per shard
            routed = igs._prepare_shards(parts, seeds, p, spark.createDataFrame(
                [], igs._LONG_SCHEMA)).count()
            r["routed_over_events"] = routed / n_events
            igs.release()
            rows.append(r)
            print(json.dumps(r), flush=True)
        for v in sdf.values():
            v.unpersist()
    spark.stop()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("| users | events | partitions | edges | Spark SQL group-by | edges / SQL "
                    "| shard recommend | broadcast recommend | routed / events, graph share "
                    "per shard "
                    "| one machine: build, recommend |\n|" + "---|" * 10 + "\n")
            for r in rows:
                shard = (f"{r['shard_recommend_s']:.1f} s" if "shard_recommend_s" in r
                         else "")
                routed = (f"{r['routed_over_events']:.2f}×, {r['shard_fraction']:.0%}"
                          if "routed_over_events" in r else "")
                f.write(f"| {r['users']:,} | {r['events']:,} | {r['partitions']} "
                        f"| {r['edges_s']:.2f} s | {r['sql_group_by_s']:.2f} s "
                        f"| {r['edges_s'] / r['sql_group_by_s']:.2f}× "
                        f"| {shard} "
                        f"| {r['broadcast_recommend_s']:.2f} s "
                        f"| {routed} "
                        f"| {r['single_build_s']:.2f} s, {r['single_recommend_s']:.2f} s |\n")


if __name__ == "__main__":
    main()
