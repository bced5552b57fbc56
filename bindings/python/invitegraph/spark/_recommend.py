"""invitegraph.spark.recommend, in broadcast and in shard mode."""
from __future__ import annotations

from typing import Any, Iterator, Optional

import numpy as np
import pandas as pd

from .._frames import GraphConfig, Recommender, SocialGraph, _count
from .._errors import InvalidArgumentError
from ._common import (DataFrame, F, _LONG_SCHEMA, _REQUEST, _SUGGESTION_SCHEMA, _config,
                      _plausible_as_of, _ts_long)
from ._shards import _columns_of, _default_shards, _local_graph, _prepare_shards, _shard_of


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


