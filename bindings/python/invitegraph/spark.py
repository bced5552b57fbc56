"""invitegraph inside Apache Spark: edges, recommendations and training sets at scale.

Needs PySpark (``pip install "invitegraph[spark]"``) and a Java runtime. Every function
takes Spark DataFrames with the columns of :func:`invitegraph.build_graph`'s tables and
returns a Spark DataFrame; the work runs in the executors through the C++ core
(``mapInPandas`` / ``applyInPandas``), and the results equal the single-machine ones:

- :func:`edges`: events -> one row per directed arc, exactly as ``g.arcs()``. Each
  partition reduces its events to exact partial aggregates (decayed counts in integer
  units of 2^-32, all decayed to one ``as_of``), Spark merges them with integer sums, and
  the core finishes each arc. No result depends on how the rows were partitioned.
- :func:`recommend`: (inviter, item) requests -> suggestions, in one of two modes.
  *Broadcast* (``graph=`` or ``recommender=``): the snapshot goes to every executor once
  and each partition of requests runs ``recommend_batch`` on it; for graphs that fit one
  executor. *Shard* (``events=``): requests are hashed by inviter into ``shards``; Spark
  joins each shard's inviters to their 2-hop neighbourhood and routes every event that
  touches it to the shard, where the core builds a local graph and answers. For graphs
  that fit no executor.
- :func:`training_set` / :func:`fit_ranker`: the labelled candidate rows of past campaigns,
  by the same sharding, each shard running the leakage-free :func:`invitegraph.training_set`.

Shard mode and the single machine agree because builds number users, items and categories
in ascending id order (a subset keeps the relative order, so every float sum and tie-break
runs in the same order) and every decayed sum is order-free. It builds without
communities and abuse scores: ``Policy(diversity=...)`` and the abuse policy thresholds
need the broadcast mode. See ``docs/scaling.md`` for sizing and where the time goes.
"""
from __future__ import annotations

import warnings
from typing import Any, Iterator, Optional

import numpy as np
import pandas as pd

from . import _core
from ._frames import GraphConfig, Recommender, SocialGraph, _count, build_graph
from ._columns import unix_seconds
from ._errors import InvalidArgumentError

try:
    from pyspark.sql import DataFrame, Window
    from pyspark.sql import functions as F
    from pyspark.sql import types as T
except ImportError as e:  # pragma: no cover - exercised only without pyspark
    raise ImportError("invitegraph.spark needs PySpark: pip install 'invitegraph[spark]'") from e

__all__ = ["edges", "recommend", "training_set", "fit_ranker", "neighbourhoods", "as_of_of",
           "release"]

_CHANNELS = list(_core.channel_names())

_PARTIAL_SCHEMA = T.StructType(
    [T.StructField("src", T.LongType(), False), T.StructField("dst", T.LongType(), False)]
    + [T.StructField(f"q_{c}", T.LongType(), False) for c in _CHANNELS]
    + [T.StructField("min_age_s", T.LongType(), False),
       T.StructField("is_friend", T.BooleanType(), False)])

_EDGE_SCHEMA = T.StructType(
    [T.StructField("src", T.LongType(), False), T.StructField("dst", T.LongType(), False),
     T.StructField("tie_strength", T.FloatType(), False),
     T.StructField("days_since_last_interaction", T.FloatType(), False),
     T.StructField("is_friend", T.BooleanType(), False)]
    + [T.StructField(c, T.FloatType(), False) for c in _CHANNELS])

_SUGGESTION_SCHEMA = T.StructType([
    T.StructField("inviter", T.LongType(), False), T.StructField("item", T.LongType(), False),
    T.StructField("candidate", T.LongType(), False),
    # NaN (no calibrated probability) travels through Arrow as null.
    T.StructField("score", T.DoubleType(), True),
    T.StructField("ranker_score", T.DoubleType(), True),
    T.StructField("join_probability", T.DoubleType(), True),
    T.StructField("rank", T.IntegerType(), False),
    T.StructField("reasons", T.ArrayType(T.StringType()), False)])

# The tables of shard mode, tagged in one long frame per shard (column ``_t``).
_FRIEND, _INTER, _PURCHASE, _CAMPAIGN, _REQUEST = range(5)
_LONG_SCHEMA = T.StructType([
    T.StructField("_shard", T.IntegerType(), False), T.StructField("_t", T.ByteType(), False),
    T.StructField("a", T.LongType(), True), T.StructField("b", T.LongType(), True),
    T.StructField("kind", T.StringType(), True), T.StructField("ts", T.LongType(), True),
    T.StructField("category", T.LongType(), True), T.StructField("amount", T.DoubleType(), True),
    # Id lists as comma-joined strings: Arrow list columns reached the Python workers at
    # 60 k rows/s (100 s of 110 s for 6 M routed rows at 10 k users), strings at 400 k/s.
    T.StructField("joined", T.StringType(), True),
    T.StructField("invited", T.StringType(), True),
    T.StructField("record", T.LongType(), True)])


def _config(config: Optional[GraphConfig]) -> GraphConfig:
    return config if config is not None else GraphConfig()


def as_of_of(*tables: Optional[DataFrame]) -> int:
    """The default ``as_of`` of :func:`invitegraph.build_graph` over these Spark tables:
    the latest ``ts`` of any of them (one aggregate per table)."""
    best = None
    for t in tables:
        if t is None or "ts" not in t.columns:
            continue
        v = t.select(F.max(F.col("ts").cast("long"))).first()[0]
        if v is not None:
            best = v if best is None else max(best, v)
    if best is None:
        raise InvalidArgumentError("as_of: no table has a ts column with values; pass as_of")
    return int(best)


def _plausible_as_of(as_of: Any, tables: list, config: GraphConfig) -> int:
    """``as_of`` in unix seconds (default: the latest ``ts`` of ``tables``), refused on
    the driver, before any job runs, when it is implausible under
    ``config.time_limits`` -- executors check their rows the same way, but a default
    moved by one bad row would otherwise fail whichever partition runs first."""
    if as_of is None:
        value, where = as_of_of(*tables), "as_of (the latest ts of the tables)"
    else:
        value, where = unix_seconds(as_of, "as_of"), "as_of"
    _core.check_timestamp(value, config.time_limits, where)
    return value


def _ts_long(df: DataFrame) -> DataFrame:
    """ts as unix seconds (a Spark timestamp column is converted)."""
    if "ts" in df.columns and isinstance(df.schema["ts"].dataType, T.TimestampType):
        return df.withColumn("ts", F.col("ts").cast("long"))
    return df


# ---------------------------------------------------------------------------------------
# Edges


def _partials_of(table: str, as_of: int, config: GraphConfig, num_threads: int):
    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        from ._frames import GraphBuilder  # executors import the package afresh

        b = GraphBuilder(config)
        add = getattr(b, f"add_{table}")
        rows = 0
        for batch in batches:  # the whole partition into one builder
            if len(batch):
                add(batch)
                rows += len(batch)
        if rows == 0:
            return
        cols = b._b.partial_arc_columns(as_of=as_of, num_threads=num_threads)
        out = pd.DataFrame({"src": cols["src"], "dst": cols["dst"]})
        for i, c in enumerate(_CHANNELS):
            out[f"q_{c}"] = cols["channel_fixed"][:, i]
        out["min_age_s"] = cols["min_age_s"]
        out["is_friend"] = cols["is_friend"].astype(bool)
        yield out
    return run


def _finish(config: GraphConfig):
    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            fixed = np.ascontiguousarray(
                batch[[f"q_{c}" for c in _CHANNELS]].to_numpy(dtype=np.int64))
            done = _core.finish_arc_columns(
                config, fixed, np.ascontiguousarray(batch["min_age_s"].to_numpy(np.int64)),
                np.ascontiguousarray(batch["is_friend"].to_numpy(np.uint8)))
            out = pd.DataFrame({"src": batch["src"].to_numpy(np.int64),
                                "dst": batch["dst"].to_numpy(np.int64),
                                "tie_strength": done["tie_strength"],
                                "days_since_last_interaction":
                                    done["days_since_last_interaction"],
                                "is_friend": batch["is_friend"].to_numpy(bool)})
            for i, c in enumerate(_CHANNELS):
                out[c] = done["channel_weight"][:, i]
            yield out
    return run


def edges(interactions: Optional[DataFrame] = None, friendships: Optional[DataFrame] = None,
          campaigns: Optional[DataFrame] = None, *, as_of: Any = None,
          config: Optional[GraphConfig] = None, num_threads: int = 1) -> DataFrame:
    """The weighted, directed arcs of these events, computed in the executors.

    Parameters
    ----------
    interactions, friendships, campaigns : Spark DataFrames
        As for :func:`invitegraph.build_graph` (``ts`` as unix seconds or a timestamp;
        campaigns' ``joined`` an array of user ids). Purchases make no arcs. A table with
        an ``event_id`` column is deduplicated by it first (one row per id; rows with a
        null id are all kept). ``GraphConfig(dedupe="exact")`` raises ``ValueError``.
    as_of : int or timestamp, optional
        Every weight is decayed to it; default the latest ``ts`` of these tables (pass the
        graph's ``as_of`` to compare with a graph that also saw later purchases).
    config : GraphConfig
        Half-life, channel and friendship weights.
    num_threads : int
        Core threads per task (Spark already runs one task per core).

    Returns
    -------
    Spark DataFrame
        ``src, dst, tie_strength, days_since_last_interaction, is_friend`` and one float
        column per channel, one row per arc, both directions (a reverse arc may carry only
        zeros): the rows of ``build_graph(...).arcs()``, value for value.
    """
    config = _config(config)
    tables = {"interactions": interactions, "friendships": friendships,
              "campaigns": campaigns}
    tables = {k: _ts_long(v) for k, v in tables.items() if v is not None}
    if not tables:
        raise InvalidArgumentError("edges: pass interactions, friendships or campaigns")
    # Idempotent ingestion: a replayed row must not count twice, but the builders
    # below only see one partition each, so duplicates are dropped across the whole
    # table first (which of two rows sharing an id survives is Spark's choice: rows
    # sharing an id are taken to be the same event).
    # Rows without an id are never duplicates of each other (Spark would take all
    # null ids for one value). GraphConfig(dedupe="exact") is refused: each
    # partition's builder could only compare the rows it holds.
    if getattr(config, "dedupe", "none") not in ("none", None):
        raise InvalidArgumentError("igs.edges: GraphConfig(dedupe='exact') is not supported in "
                                   "Spark (partitions see only their own rows); drop exact "
                                   "duplicates with df.dropDuplicates() first")

    def once(v):
        if "event_id" not in v.columns:
            return v
        with_id = v.where(F.col("event_id").isNotNull()).dropDuplicates(["event_id"])
        return with_id.unionByName(v.where(F.col("event_id").isNull()))

    tables = {k: once(v) for k, v in tables.items()}
    as_of = _plausible_as_of(as_of, list(tables.values()), config)
    parts = [df.mapInPandas(_partials_of(name, as_of, config, num_threads), _PARTIAL_SCHEMA)
             for name, df in tables.items()]
    partials = parts[0]
    for p in parts[1:]:
        partials = partials.unionByName(p)
    # Exact merge: integer sums, the least age (-1 = none) and an "or".
    merged = partials.groupBy("src", "dst").agg(
        *[F.sum(f"q_{c}").alias(f"q_{c}") for c in _CHANNELS],
        F.coalesce(F.min(F.when(F.col("min_age_s") >= 0, F.col("min_age_s"))),
                   F.lit(-1).cast("long")).alias("min_age_s"),
        F.max("is_friend").alias("is_friend"))
    return merged.mapInPandas(_finish(config), _EDGE_SCHEMA)


# ---------------------------------------------------------------------------------------
# Recommendations, broadcast mode


def _suggestions_out(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[["inviter", "item", "candidate", "score", "ranker_score",
                 "join_probability", "rank", "reasons"]].copy()
    out["rank"] = out["rank"].astype(np.int32)
    out["reasons"] = [list(r) for r in out["reasons"]]
    return out


def _known(graph: SocialGraph, inviters: np.ndarray) -> np.ndarray:
    return np.isin(inviters, np.asarray(graph.user_ids()))


def _requests_frame(requests: DataFrame) -> DataFrame:
    if "inviter" not in requests.columns:
        raise InvalidArgumentError("requests: needs an 'inviter' column (and optionally 'item')")
    item = F.col("item").cast("long") if "item" in requests.columns else F.lit(None)
    return requests.select(F.col("inviter").cast("long").alias("inviter"),
                           item.cast("long").alias("item"))


_UNKNOWN_INVITERS = ("skip", "raise")


def _unknown_inviter(inviter: int) -> KeyError:
    # The request's position within an executor's batch means nothing to the caller: the
    # message names the id alone.
    return KeyError(f"igs.recommend: inviter {inviter} is not in the graph "
                    "(unknown_inviters='raise'; the default 'skip' leaves it out)")


def _answer(rec: Recommender, batch: pd.DataFrame, k: int, num_threads: int,
            unknown_inviters: str) -> pd.DataFrame:
    inviters = batch["inviter"].to_numpy(np.int64)
    items = batch["item"].fillna(-1).to_numpy(np.int64)
    try:
        frame = rec.recommend_batch(inviters, items, k=k, num_threads=num_threads,
                                    progress=False, unknown_inviters=unknown_inviters)
    except KeyError:
        graph = rec.graph
        first = next((int(u) for u in inviters if int(u) not in graph), None)
        if first is None:
            raise
        raise _unknown_inviter(first) from None
    return _suggestions_out(frame)


def _broadcast_recommend(requests: DataFrame, rec: Recommender, k: int,
                         num_threads: int, unknown_inviters: str) -> DataFrame:
    spark = requests.sparkSession
    shared = spark.sparkContext.broadcast(rec)  # pickled once: the snapshot and state

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        r = shared.value  # unpickled once per Python worker
        for batch in batches:
            out = _answer(r, batch, k, num_threads, unknown_inviters)
            if len(out):
                yield out
    return _requests_frame(requests).mapInPandas(run, _SUGGESTION_SCHEMA)


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


def _shard_recommend(requests: DataFrame, events: dict, k: int, shards: Optional[int],
                     as_of: Any, config: GraphConfig, num_threads: int,
                     unknown_inviters: str, recommender_options: dict) -> DataFrame:
    shards = shards or _default_shards(requests.sparkSession)
    as_of = _plausible_as_of(
        as_of, [_ts_long(v) for v in events.values() if v is not None], config)
    req = _requests_frame(requests).withColumn("_shard", _shard_of("inviter", shards))
    seeds = req.select("_shard", F.col("inviter").alias("node"))
    req_long = req.select(
        "_shard", F.lit(_REQUEST).cast("byte").alias("_t"), F.col("inviter").alias("a"),
        F.col("item").alias("b"),
        *[F.lit(None).cast(f.dataType).alias(f.name) for f in _LONG_SCHEMA.fields[4:]])
    columns = _columns_of(events)
    long = _prepare_shards(events, seeds, shards, req_long)

    def run(pdf: pd.DataFrame) -> pd.DataFrame:
        r = pdf[pdf["_t"] == _REQUEST]
        g = _local_graph(pdf[pdf["_t"] != _REQUEST], as_of, config, columns, False)
        if g is None or not len(r):
            if len(r) and unknown_inviters == "raise":  # no event names any inviter here
                raise _unknown_inviter(int(r["a"].iloc[0]))
            return pd.DataFrame({f.name: [] for f in _SUGGESTION_SCHEMA.fields})
        rec = Recommender(g, **recommender_options)
        batch = pd.DataFrame({"inviter": r["a"].to_numpy(np.int64), "item": r["b"]})
        out = _answer(rec, batch, k, num_threads, unknown_inviters)
        return out if len(out) else pd.DataFrame({f.name: [] for f in _SUGGESTION_SCHEMA.fields})

    return long.groupBy("_shard").applyInPandas(run, _SUGGESTION_SCHEMA)


def recommend(requests: DataFrame, *, k: int = 10, graph: Optional[SocialGraph] = None,
              recommender: Optional[Recommender] = None, events: Optional[dict] = None,
              shards: Optional[int] = None, as_of: Any = None,
              config: Optional[GraphConfig] = None, num_threads: int = 1,
              unknown_inviters: str = "skip", **recommender_options: Any) -> DataFrame:
    """Suggestions for a DataFrame of ``(inviter[, item])`` requests.

    Broadcast mode: ``recommender=`` (with its state, policy and ranker) or ``graph=``
    (plus ``ranker=``, ``policy=`` and other :class:`invitegraph.Recommender` options).
    Shard mode: ``events=dict(friendships=..., interactions=..., purchases=...,
    campaigns=...)`` as Spark DataFrames, ``shards`` groups (default: the default
    parallelism), ``as_of`` (default: the latest ts), ``config`` and the Recommender
    options; the executors build each shard's neighbourhood graph (no communities, no
    abuse scores, no recorded outcomes).

    Returns ``inviter, item (-1: none), candidate, score, ranker_score,
    join_probability, rank, reasons``: the rows ``Recommender.recommend_batch`` gives
    on the whole graph, in no particular order.

    ``unknown_inviters``: what requests whose inviter is not in the graph get (shard
    mode: the graph the events build, so users no event names); new users are normal in
    a batch. ``"skip"`` (the default) gives them no rows and does not fail the job; to
    list them, anti-join the requests with the known users, e.g.
    ``requests.join(spark.createDataFrame(pd.DataFrame({"inviter":
    np.asarray(graph.user_ids())})), "inviter", "left_anti")`` (in shard mode, with the
    users the events name). ``"raise"`` fails the job with a ``KeyError`` naming an
    unknown inviter. Any other value is a ``ValueError``, raised here before any Spark
    work.
    """
    if unknown_inviters not in _UNKNOWN_INVITERS:
        raise InvalidArgumentError(f"igs.recommend: unknown_inviters={unknown_inviters!r}: "
                                   "expected 'skip' or 'raise'")
    modes = (graph is not None) + (recommender is not None) + (events is not None)
    if modes != 1:
        raise InvalidArgumentError("recommend: pass exactly one of graph=, recommender= or events=")
    if events is not None:
        policy = recommender_options.get("policy")
        if policy is not None and getattr(policy, "diversity", 0) > 0:
            raise InvalidArgumentError("recommend: Policy(diversity=...) needs communities, which "
                                       "shard mode does not compute; use broadcast mode (graph=)")
        return _shard_recommend(requests, events, _count(k, "k"), shards, as_of,
                                _config(config), _count(num_threads, "num_threads"),
                                unknown_inviters, recommender_options)
    if config is not None or as_of is not None or shards is not None:
        raise InvalidArgumentError(
            "recommend: config, as_of and shards are for shard mode (events=)")
    if recommender is None:
        recommender = Recommender(graph, **recommender_options)
    elif recommender_options:
        raise InvalidArgumentError("recommend: pass Recommender options or a recommender, "
                                   "not both")
    return _broadcast_recommend(requests, recommender, _count(k, "k"),
                                _count(num_threads, "num_threads"), unknown_inviters)


# ---------------------------------------------------------------------------------------
# Training sets


def _training_schema() -> T.StructType:
    return T.StructType(
        [T.StructField(c, T.LongType(), False)
         for c in ("record", "inviter", "item", "candidate")]
        + [T.StructField(f, T.FloatType(), False) for f in _core.feature_names()]
        + [T.StructField("label", T.ByteType(), False),
           T.StructField("weight", T.FloatType(), False)])


def training_set(history: DataFrame, *, events: dict, shards: Optional[int] = None,
                 as_of: Any = None, config: Optional[GraphConfig] = None,
                 num_threads: int = 1, **options: Any) -> DataFrame:
    """:func:`invitegraph.training_set` at scale: the labelled candidate rows of each past
    campaign in ``history``, with leakage-free features, as a Spark DataFrame.

    ``history`` has ``inviter, item, joined`` (array of user ids), optional ``ts,
    category, invited``, and a ``record`` column (a unique id per row, carried to the
    output; the single-machine ``record`` is the row's position). Records are sharded by
    inviter; each shard builds its neighbourhood graph from ``events`` (as in
    :func:`recommend`) with the events kept, then runs the single-machine extraction on
    it. ``options`` are :func:`invitegraph.training_set`'s (``folds``, ``seed``,
    ``as_of_step_days``, ``uninvited_weight``, ``scoring`` and the scoring keywords,
    ``options``); ``outcomes`` is not supported here.

    Returns ``record, inviter, item, candidate``, the features, ``label`` and ``weight``,
    in no particular order: the single machine's rows, value for value. The defaults are
    the single machine's (:class:`invitegraph.TrainingOptions`'); ``options=`` and
    ``scoring=`` objects are accepted as there. A
    :class:`invitegraph.TrainingWarning` about ``uninvited_weight=0`` is raised here on
    the driver, one about the step stays in the executors' logs.
    """
    from ._training import TrainingWarning, training_options, training_set as one_machine

    if "outcomes" in options:
        raise InvalidArgumentError("training_set: outcomes are not supported in Spark")
    # The options the executors will run with, resolved (and validated) once here.
    resolved = training_options(**{k: v for k, v in options.items() if k != "progress"})
    if "invited" in history.columns and resolved.uninvited_weight == 0:
        # The executors' own warnings stay in their logs: say it here too.
        warnings.warn("uninvited_weight=0 with an 'invited' column drops the candidates "
                      "never invited: the model learns to order only the friends inviters "
                      "already chose (and where joiners came without an invitation, that "
                      "never-invited means joined), but recommend ranks every candidate, "
                      "and such a model ranks them poorly (README \"Training defaults\"); "
                      "keep the default uninvited_weight=1 unless you model the invited "
                      "alone",
                      TrainingWarning, stacklevel=2)
    if "record" not in history.columns:
        raise InvalidArgumentError("history: needs a 'record' column (a unique id per row)")
    config = _config(config)
    evs = {k: _ts_long(v) for k, v in events.items() if v is not None}
    as_of = _plausible_as_of(as_of, list(evs.values()), config)
    h = _ts_long(history)
    if "ts" in history.columns:
        # Each record sees the events before its ts: records are independent.
        shards = shards or _default_shards(history.sparkSession)
        h = h.withColumn("_shard", _shard_of("inviter", shards))
    else:
        # A record without ts loses its whole fold's campaigns, so a fold's records
        # must share a shard: one shard per fold.
        folds, fold_seed = resolved.folds, resolved.seed
        if shards is not None and shards != folds:
            raise InvalidArgumentError(f"training_set: records without ts are sharded by fold; "
                                       f"shards={shards} must equal folds={folds} or be None")
        shards = folds

        @F.pandas_udf("int")
        def fold_of(inviter: pd.Series, item: pd.Series) -> pd.Series:
            return pd.Series(_core.training_folds(
                np.ascontiguousarray(inviter.to_numpy(np.int64)),
                np.ascontiguousarray(item.to_numpy(np.int64)), fold_seed, folds))

        h = h.withColumn("_shard", fold_of(F.col("inviter").cast("long"),
                                           F.col("item").cast("long")))
    seeds = h.select("_shard", F.col("inviter").cast("long").alias("node"))
    hcols = [x for x in ("ts", "category", "invited") if x in history.columns]
    full = {f.name: F.lit(None).cast(f.dataType) for f in _LONG_SCHEMA.fields[4:]}
    full.update(joined=_joined_ids("joined"), record=F.col("record").cast("long"))
    for x in hcols:
        full[x] = _joined_ids(x) if x == "invited" else F.col(x)
    req_long = h.select("_shard", F.lit(_REQUEST).cast("byte").alias("_t"),
                        F.col("inviter").cast("long").alias("a"),
                        F.col("item").cast("long").alias("b"),
                        *[full[f.name].cast(f.dataType).alias(f.name)
                          for f in _LONG_SCHEMA.fields[4:]])
    columns = _columns_of(evs)
    long = _prepare_shards(evs, seeds, shards, req_long)
    schema = _training_schema()
    names = [f.name for f in schema.fields]

    def run(pdf: pd.DataFrame) -> pd.DataFrame:
        r = pdf[pdf["_t"] == _REQUEST]
        g = _local_graph(pdf[pdf["_t"] != _REQUEST], as_of, config, columns, True)
        if g is None or not len(r):
            return pd.DataFrame({n: [] for n in names})
        known = _known(g, r["a"].to_numpy(np.int64))
        r = r[known]
        if not len(r):
            return pd.DataFrame({n: [] for n in names})
        hist = {"inviter": r["a"].to_numpy(np.int64), "item": r["b"].to_numpy(np.int64),
                "joined": _split_ids(r["joined"])}
        for x in hcols:
            hist[x] = r[x].to_numpy() if x != "invited" else _split_ids(r[x])
        if "ts" in hist:
            hist["ts"] = r["ts"].to_numpy(np.int64)
        t = one_machine(g, pd.DataFrame(hist), num_threads=num_threads, progress=False,
                        **options)
        out = t.frame
        out["record"] = r["record"].to_numpy(np.int64)[out["record"].to_numpy()]
        return out[names]

    return long.groupBy("_shard").applyInPandas(run, schema)


def fit_ranker(history: DataFrame, *, events: dict, model: str = "logistic",
               l2: float = 1.0, class_weight: str = "balanced", max_iter: int = 100,
               max_pairs_per_positive: int = 20, seed: int = 0, num_threads: int = 0,
               **options: Any):
    """:func:`training_set` in Spark, then the fit on the driver (the rows are collected:
    sample ``history`` first if they would not fit). Same parameters as
    :func:`invitegraph.fit_ranker`; returns a :class:`invitegraph.Ranker` with
    ``training_report`` (rows, positives, records) and ``fit_report``."""
    from ._fit import fit_ranker_arrays

    rows = training_set(history, events=events, seed=seed, **options).toPandas()
    if not len(rows):
        raise InvalidArgumentError("history gave no training rows")
    rows = rows.sort_values(["record", "candidate"], kind="stable")
    ranker, report = fit_ranker_arrays(
        rows[list(_core.feature_names())].to_numpy(), rows["label"].to_numpy(),
        weight=rows["weight"].to_numpy(), group=rows["record"].to_numpy(), model=model,
        l2=l2, class_weight=class_weight, max_iter=max_iter,
        max_pairs_per_positive=max_pairs_per_positive, seed=seed, num_threads=num_threads,
        progress=False)
    ranker.training_report = {"rows": int(len(rows)), "positives": int(rows["label"].sum()),
                              "records": int(rows["record"].nunique())}
    ranker.fit_report = report
    return ranker
