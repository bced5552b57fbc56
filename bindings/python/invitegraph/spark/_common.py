"""What every part of invitegraph.spark shares: the PySpark import, the row schemas, and
``as_of`` on the driver."""
from __future__ import annotations

from typing import Any, Optional


from .. import _core
from .._frames import GraphConfig
from .._columns import unix_seconds
from .._errors import InvalidArgumentError

try:
    from pyspark.sql import DataFrame
    from pyspark.sql import functions as F
    from pyspark.sql import types as T
except ImportError as e:  # pragma: no cover - exercised only without pyspark
    raise ImportError("invitegraph.spark needs PySpark: pip install 'invitegraph[spark]'") from e


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


