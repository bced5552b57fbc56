"""Learned rankers on arrays: :func:`fit_ranker_arrays` and ranker persistence.

    ranker, report = ig.fit_ranker_arrays(X, y, group=campaign_ids)
    ranker.save("ranker.json")
    rec = ig.Recommender(g, ranker=ig.load_ranker("ranker.json"))
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from . import _core
from ._columns import int_column
from ._progress import ProgressArg, progress_callback
from ._errors import ArgumentTypeError, InvalidArgumentError, SnapshotNotFoundError

Ranker = _core.Ranker
ranker_from_json = _core.ranker_from_json
make_ranker = _core.make_ranker


def load_ranker(path: Any) -> Ranker:
    """Loads a ranker saved with ``Ranker.save``; checks format, version and feature schema."""
    import os

    if not os.path.exists(path):
        raise SnapshotNotFoundError(f"no ranker file at {path}")
    return _core.load_ranker(os.fspath(path))


def _float_column(values: Any, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise InvalidArgumentError(
            f"{name}: expected a one-dimensional column, got shape {arr.shape}")
    if arr.dtype.kind not in "biuf":
        raise ArgumentTypeError(f"{name}: expected numbers, got dtype {arr.dtype}")
    return np.ascontiguousarray(arr, dtype=np.float32)


def _labels(y: Any) -> np.ndarray:
    arr = _float_column(y, "y")
    bad = (arr != 0) & (arr != 1)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InvalidArgumentError(f"y[{row}]={np.asarray(y)[row].item()!r}: labels must be 0 or 1")
    return arr


def fit_ranker_arrays(X: Any, y: Any, weight: Any = None, group: Any = None,
                      model: str = "logistic", l2: float = 1.0,
                      class_weight: str = "balanced", max_iter: int = 100,
                      max_pairs_per_positive: int = 20, seed: int = 0,
                      num_threads: int = 0, *, tol: float = 1e-8,
                      progress: ProgressArg = None) -> tuple[Ranker, dict]:
    """Fits a learned ranker on feature rows; the GIL is released during the fit.

    Parameters
    ----------
    X : DataFrame or array
        Raw feature values as ``Recommender.features`` returns them: a DataFrame with
        the columns of :func:`feature_names` (any order, extra columns ignored) or a
        ``(rows, len(feature_names()))`` array in that column order (cast to float32).
    y : array of 0/1
        Whether the candidate joined.
    weight : array of float >= 0, optional
        Row weights (default all 1).
    group : array of int, optional
        Campaign id per row; required by ``model="pairwise"``, whose pairs stay
        within a group. A group's rows need not be contiguous.
    model : "logistic" or "pairwise"
        The default here is ``logistic``, which needs no ``group``: these are any rows.
        :func:`fit_ranker`, which builds its rows from campaigns, defaults to
        ``pairwise``, the best built-in model on every dataset measured
        (docs/training.md, "Evidence").
        ``logistic``: L2-penalised logistic regression on standardised transformed
        features, then Platt-calibrated, so ``score`` is P(join). It minimises
        ``sum_i s_i logloss_i + l2/2 |w|^2`` (intercept unpenalised), which is
        scikit-learn's ``LogisticRegression(C=1/l2)`` on the same inputs.
        ``pairwise``: RankNet-style ``sum log(1 + exp(-(s_pos - s_neg))) + l2/2 |w|^2``
        over each positive and up to ``max_pairs_per_positive`` negatives of its group
        (0 = all), then Platt-calibrated too: ``score`` is P(join) in the pairwise
        model's order.
    l2 : float >= 0
    class_weight : "balanced" or "none"
        ``balanced`` gives each class half the total weight (logistic only;
        calibration uses the original weights).
    max_iter, tol : Newton iterations and stopping tolerance.
    seed : int
        Pair sampling seed. Results are bit-identical for any ``num_threads``.
    num_threads : int
        0 = all cores.
    progress : None, bool or callable(done, total)

    Returns
    -------
    (Ranker, dict)
        The ranker and a report with ``iterations, seconds, rows, pairs, final_loss,
        converged``.
    """
    labels = _labels(y)
    w = None if weight is None else _float_column(weight, "weight")
    g = None if group is None else int_column(group, "fit_ranker_arrays", "group")
    with progress_callback(progress, f"fit {model}") as cb:
        return _core._fit_ranker_arrays(
            X, labels, w, g, str(model), float(l2), str(class_weight), int(max_iter),
            float(tol), int(max_pairs_per_positive), int(seed), int(num_threads), cb)


def _ranker_or_spec(ranker: Any) -> Any:
    """Validates the ``ranker`` argument of :class:`Recommender`."""
    if isinstance(ranker, (str, Ranker)):
        return ranker
    raise ArgumentTypeError(f"ranker: expected a spec string such as 'linear' or an "
                            f"invitegraph.Ranker, got {type(ranker).__name__}")


__all__ = ["Ranker", "fit_ranker_arrays", "load_ranker", "make_ranker",
           "ranker_from_json"]
