"""invitegraph.spark.edges: events -> arcs from exact partial aggregates."""
from __future__ import annotations

from typing import Any, Iterator, Optional

import numpy as np
import pandas as pd

from .. import _core
from .._frames import GraphConfig
from .._errors import InvalidArgumentError
from ._common import (DataFrame, F, _CHANNELS, _EDGE_SCHEMA, _PARTIAL_SCHEMA, _config,
                      _plausible_as_of, _ts_long)


# ---------------------------------------------------------------------------------------
# Edges


def _partials_of(table: str, as_of: int, config: GraphConfig, num_threads: int):
    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        from .._frames import GraphBuilder  # executors import the package afresh

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


