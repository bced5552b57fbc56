"""Shard mode of invitegraph.spark: each shard's 2-hop neighbourhood, the events routed to
it and the local graph built from them."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np
import pandas as pd
from pyspark.sql import Window

from .._frames import GraphConfig, SocialGraph, build_graph
from .._errors import InvalidArgumentError
from ._common import DataFrame, F, _CAMPAIGN, _FRIEND, _INTER, _LONG_SCHEMA, _PURCHASE, _ts_long


# ---------------------------------------------------------------------------------------
# Shard mode: each shard's 2-hop neighbourhood and the events that touch it


def _adjacency(events: dict) -> DataFrame:
    """Distinct undirected contact pairs (a, b), both directions."""
    pairs = []
    for name in ("friendships", "interactions"):
        t = events.get(name)
        if t is not None:
            pairs.append(t.select(F.col("src").cast("long").alias("a"),
                                  F.col("dst").cast("long").alias("b")))
    c = events.get("campaigns")
    if c is not None:
        pairs.append(c.select(F.explode(F.col("joined").cast("array<long>")).alias("a"),
                              F.col("inviter").cast("long").alias("b")))
    if not pairs:
        raise InvalidArgumentError("events: need friendships, interactions or campaigns")
    one = pairs[0]
    for p in pairs[1:]:
        one = one.unionByName(p)
    return one.unionByName(one.select(F.col("b").alias("a"), F.col("a").alias("b"))).distinct()


def neighbourhoods(seeds: DataFrame, events: dict, hops: int = 2,
                   adjacency: Optional[DataFrame] = None) -> DataFrame:
    """``(_shard, node)``: every user within ``hops`` of a shard's seeds (``_shard, node``),
    by joins on the contact pairs of ``events``; the neighbourhood extraction of shard mode."""
    adj = adjacency if adjacency is not None else _adjacency(events)
    frontier = seeds.select("_shard", "node").distinct()
    reached = [frontier]
    for _ in range(hops):
        frontier = (frontier.join(adj, frontier.node == adj.a)
                    .select("_shard", F.col("b").alias("node")).distinct())
        reached.append(frontier)
    out = reached[0]
    for r in reached[1:]:
        out = out.unionByName(r)
    return out.distinct()


def _route(events: dict, shards_of: DataFrame, adj: DataFrame) -> DataFrame:
    """Each event once per shard whose neighbourhood it touches, in the long layout.

    ``shards_of`` maps each needed user (``_n``) to the array of shards needing it
    (``_shards``); an event goes to the distinct shards of its users, so each (shard,
    event) comes out once and duplicate rows keep their multiplicity."""
    out = []
    none = F.array().cast("array<int>")

    def long(df: DataFrame, t: int, **cols: Any) -> DataFrame:
        full = {f.name: F.lit(None).cast(f.dataType) for f in _LONG_SCHEMA.fields[2:]}
        full.update(cols)
        return df.select(F.col("_shard"), F.lit(t).cast("byte").alias("_t"),
                         *[full[f.name].cast(_LONG_SCHEMA[f.name].dataType).alias(f.name)
                           for f in _LONG_SCHEMA.fields[2:]])

    def of(side: str) -> DataFrame:
        return shards_of.select(F.col("_n").alias(f"_{side}"),
                                F.col("_shards").alias(f"_{side}_shards"))

    for name, t in (("friendships", _FRIEND), ("interactions", _INTER)):
        e = events.get(name)
        if e is None:
            continue
        both = (e.join(of("s"), e.src == F.col("_s"), "left")
                .join(of("d"), e.dst == F.col("_d"), "left")
                .withColumn("_shard", F.explode(F.array_distinct(F.concat(
                    F.coalesce("_s_shards", none), F.coalesce("_d_shards", none))))))
        cols = dict(a=F.col("src"), b=F.col("dst"))
        if t == _INTER:
            cols.update(kind=F.col("kind"), ts=F.col("ts"))
        out.append(long(both, t, **cols))
    p = events.get("purchases")
    if p is not None:
        routed = (p.join(of("u"), p.user == F.col("_u"))
                  .withColumn("_shard", F.explode("_u_shards")))
        out.append(long(routed, _PURCHASE, a=F.col("user"), b=F.col("item"), ts=F.col("ts"),
                        category=F.col("category") if "category" in p.columns else F.lit(None),
                        amount=F.col("amount") if "amount" in p.columns else F.lit(None)))
    c = events.get("campaigns")
    if c is not None:
        cols = [x for x in ("inviter", "item", "ts", "category", "joined", "invited")
                if x in c.columns]
        # Number identical rows, so that routing them through several users and dropping
        # the repeats keeps each row's multiplicity exactly.
        w = Window.partitionBy(*cols).orderBy(F.col("inviter"))
        cid = c.withColumn("_dup", F.row_number().over(w))
        people = [F.array(F.col("inviter").cast("long")), F.col("joined").cast("array<long>")]
        if "invited" in c.columns:
            people.append(F.coalesce(F.col("invited").cast("array<long>"),
                                     F.array().cast("array<long>")))
        ends = cid.withColumn("_n", F.explode(F.concat(*people)))
        # The inviter's contacts too: a campaign without an invited list exposes them all.
        contacts = cid.join(adj, cid.inviter == adj.a).drop("a").withColumnRenamed("b", "_n")
        routed = (ends.unionByName(contacts).join(shards_of, "_n")
                  .withColumn("_shard", F.explode("_shards"))
                  .dropDuplicates(["_shard", "_dup"] + cols))
        out.append(long(routed, _CAMPAIGN, a=F.col("inviter"), b=F.col("item"),
                        ts=F.col("ts") if "ts" in c.columns else F.lit(None),
                        category=F.col("category") if "category" in c.columns else F.lit(None),
                        joined=_joined_ids("joined"),
                        invited=_joined_ids("invited") if "invited" in c.columns
                        else F.lit(None)))
    one = out[0]
    for o in out[1:]:
        one = one.unionByName(o)
    return one


_PERSISTED: list = []


def _persist(df: DataFrame) -> DataFrame:
    from pyspark import StorageLevel

    out = df.persist(StorageLevel.MEMORY_AND_DISK)
    _PERSISTED.append(out)
    return out


def release() -> int:
    """Unpersists the intermediate tables shard-mode calls persisted (each call's contact
    pairs and user-to-shards map); call it once their results are written. Returns how
    many were freed. Stopping the Spark session frees them too."""
    n = len(_PERSISTED)
    while _PERSISTED:
        _PERSISTED.pop().unpersist()
    return n


def _consistent_categories(events: dict) -> dict:
    """Purchases and campaigns with each item's category set to its smallest one over all
    rows (what a whole build keeps), so no shard sees a different category."""
    parts = []
    for name, col in (("purchases", "category"), ("campaigns", "category")):
        t = events.get(name)
        if t is not None and col in t.columns:
            parts.append(t.select(F.col("item").cast("long").alias("item"),
                                  F.col(col).cast("long").alias("_cat")))
    if not parts:
        return events
    cats = parts[0]
    for p in parts[1:]:
        cats = cats.unionByName(p)
    cats = cats.where(F.col("_cat").isNotNull() & (F.col("_cat") >= 0)) \
        .groupBy("item").agg(F.min("_cat").alias("_cat"))
    out = dict(events)
    for name in ("purchases", "campaigns"):
        t = events.get(name)
        if t is not None and "category" in t.columns:
            out[name] = (t.join(cats, "item", "left")
                         .withColumn("category", F.coalesce(F.col("_cat"), F.col("category")))
                         .drop("_cat"))
    return out


def _joined_ids(col: str):
    """An array of ids as a comma-joined string (see _LONG_SCHEMA)."""
    return F.concat_ws(",", F.col(col).cast("array<string>"))


def _split_ids(cells) -> list:
    """_joined_ids back to int64 arrays; null or empty cells are empty lists."""
    return [np.array(x.split(","), dtype=np.int64) if isinstance(x, str) and x
            else np.zeros(0, np.int64) for x in cells]


def _tables_of(pdf: pd.DataFrame, columns: dict) -> dict:
    """The event tables of one shard's long frame, as build_graph takes them; optional
    columns only where the input table (``columns[name]``) had them."""
    tables = {}
    t = pdf["_t"].to_numpy()
    f = pdf[t == _FRIEND]
    if len(f):
        tables["friendships"] = pd.DataFrame({"src": f["a"].to_numpy(np.int64),
                                              "dst": f["b"].to_numpy(np.int64)})
    i = pdf[t == _INTER]
    if len(i):
        tables["interactions"] = pd.DataFrame({
            "src": i["a"].to_numpy(np.int64), "dst": i["b"].to_numpy(np.int64),
            "kind": i["kind"].to_numpy(object), "ts": i["ts"].to_numpy(np.int64)})
    p = pdf[t == _PURCHASE]
    if len(p):
        frame = {"user": p["a"].to_numpy(np.int64), "item": p["b"].to_numpy(np.int64),
                 "ts": p["ts"].to_numpy(np.int64)}
        for x in ("category", "amount"):
            if x in columns.get("purchases", ()):
                frame[x] = p[x].to_numpy()
        tables["purchases"] = pd.DataFrame(frame)
    campaign_cols = columns.get("campaigns", ())
    c = pdf[t == _CAMPAIGN]
    if len(c):
        frame = {"inviter": c["a"].to_numpy(np.int64), "item": c["b"].to_numpy(np.int64),
                 "joined": _split_ids(c["joined"])}
        if "ts" in campaign_cols:
            frame["ts"] = c["ts"].to_numpy(np.int64)
        if "category" in campaign_cols:
            frame["category"] = c["category"].to_numpy()
        if "invited" in campaign_cols:
            frame["invited"] = _split_ids(c["invited"])
        tables["campaigns"] = pd.DataFrame(frame)
    return tables


def _prepare_shards(events: dict, seeds: DataFrame, shards: int,
                    requests_long: DataFrame) -> DataFrame:
    events = {k: _ts_long(v) for k, v in events.items() if v is not None}
    events = _consistent_categories(events)
    # Both tables feed every branch of the plan; persisted, each is computed once
    # (without it, at 3k users, routing took 51 s instead of 12 s). release() frees them.
    adj = _persist(_adjacency(events))
    needed = neighbourhoods(seeds, events, adjacency=adj)
    shards_of = _persist(needed.groupBy(F.col("node").alias("_n")).agg(
        F.collect_set("_shard").alias("_shards")))
    return _route(events, shards_of, adj).unionByName(requests_long).repartition(
        shards, "_shard")


def _shard_of(col: str, shards: int):
    return F.pmod(F.xxhash64(F.col(col)), F.lit(shards)).cast("int")


def _local_graph(pdf: pd.DataFrame, as_of: int, config: GraphConfig, columns: dict,
                 keep_events: bool) -> Optional[SocialGraph]:
    tables = _tables_of(pdf, columns)
    if not tables:
        return None
    return build_graph(**tables, as_of=as_of, config=config, progress=False,
                       keep_events=keep_events, communities=False)


def _columns_of(events: dict) -> dict:
    return {name: tuple(df.columns) for name, df in events.items() if df is not None}


def _default_shards(spark) -> int:
    return max(1, int(spark.sparkContext.defaultParallelism))


