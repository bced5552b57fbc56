"""invitegraph.spark.training_set and fit_ranker: leakage-free training rows per shard."""
from __future__ import annotations

import warnings
from typing import Any, Optional

import numpy as np
import pandas as pd

from .. import _core
from .._frames import GraphConfig
from .._errors import ArgumentTypeError, InvalidArgumentError
from ._common import (DataFrame, F, T, _LONG_SCHEMA, _REQUEST, _config, _plausible_as_of,
                      _ts_long)
from ._recommend import _known
from ._shards import (_columns_of, _default_shards, _joined_ids, _local_graph, _prepare_shards,
                      _shard_of, _split_ids)


# ---------------------------------------------------------------------------------------
# Training sets


def _training_schema(position: bool = False) -> T.StructType:
    return T.StructType(
        [T.StructField(c, T.LongType(), False)
         for c in ("record", "inviter", "item", "candidate")]
        + [T.StructField(f, T.FloatType(), False) for f in _core.feature_names()]
        + [T.StructField("label", T.ByteType(), False),
           T.StructField("weight", T.FloatType(), False)]
        + ([T.StructField("_position", T.LongType(), False)] if position else []))


def training_set(history: DataFrame, *, events: dict, shards: Optional[int] = None,
                 as_of: Any = None, config: Optional[GraphConfig] = None,
                 num_threads: int = 1, purchases_matched: Any = None,
                 _position: bool = False, **options: Any) -> DataFrame:
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

    The participation guard (``config``'s ``participation_window_days``, see
    docs/training.md) runs in each shard as on one machine. ``purchases_matched``, a
    Spark accumulator (``spark.sparkContext.accumulator(0)``), receives each shard's
    report count when the rows are computed: summed over shards, so a purchase row that
    several shards' graphs hold counts once in each (and a retried task counts again).
    """
    from .._training import TrainingWarning, training_options, training_set as one_machine

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
                      "and such a model ranks them poorly (docs/training.md, \"Training "
                      "defaults\"); keep the default uninvited_weight=1 unless you model the "
                      "invited alone",
                      TrainingWarning, stacklevel=2)
    if purchases_matched is not None:
        from pyspark import Accumulator

        if not isinstance(purchases_matched, Accumulator):
            raise ArgumentTypeError(
                "purchases_matched: expected a pyspark Accumulator "
                "(spark.sparkContext.accumulator(0)), got "
                f"{type(purchases_matched).__name__}")
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
    # _position (fit_ranker's): each row's place in its record's rows on one machine,
    # whose order the pairwise model's seeded pair sampling follows.
    schema = _training_schema(_position)
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
        if purchases_matched is not None:
            purchases_matched.add(int(t.report["purchases_matched"]))
        out = t.frame
        out["record"] = r["record"].to_numpy(np.int64)[out["record"].to_numpy()]
        if _position:
            out["_position"] = np.arange(len(out), dtype=np.int64)
        return out[names]

    return long.groupBy("_shard").applyInPandas(run, schema)


def fit_ranker(history: DataFrame, *, events: dict,
               model: str = _core.fit_defaults["model"], l2: float = 1.0,
               class_weight: str = "balanced", max_iter: int = 100,
               max_pairs_per_positive: int = 20, seed: int = 0, num_threads: int = 0,
               **options: Any):
    """:func:`training_set` in Spark, then the fit on the driver (the rows are collected:
    sample ``history`` first if they would not fit). Same parameters as
    :func:`invitegraph.fit_ranker`; returns a :class:`invitegraph.Ranker` with
    ``training_report`` (rows, positives, records, and purchases_matched summed over the
    shards as :func:`training_set` says) and ``fit_report``."""
    from .._fit import fit_ranker_arrays

    matched = history.sparkSession.sparkContext.accumulator(0)
    rows = training_set(history, events=events, seed=seed, purchases_matched=matched,
                        _position=True, **options).toPandas()
    if not len(rows):
        raise InvalidArgumentError("history gave no training rows")
    # The single machine's row order: by record, then as its rows came (the pairwise
    # model samples pairs by row).
    rows = rows.sort_values(["record", "_position"], kind="stable")
    ranker, report = fit_ranker_arrays(
        rows[list(_core.feature_names())].to_numpy(), rows["label"].to_numpy(),
        weight=rows["weight"].to_numpy(), group=rows["record"].to_numpy(), model=model,
        l2=l2, class_weight=class_weight, max_iter=max_iter,
        max_pairs_per_positive=max_pairs_per_positive, seed=seed, num_threads=num_threads,
        progress=False)
    ranker.training_report = {"rows": int(len(rows)), "positives": int(rows["label"].sum()),
                              "records": int(rows["record"].nunique()),
                              "purchases_matched": int(matched.value)}
    ranker.fit_report = report
    return ranker

