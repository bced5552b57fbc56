"""The leakage report: features that separate the labels too well in training (leakage.h)."""
from __future__ import annotations

from typing import Any, Union

import numpy as np
import pandas as pd

from . import _core
from ._errors import ArgumentTypeError
from ._training import TrainingSet, training_set

_COLUMNS = ("train_auc", "held_out_auc", "train_separation", "held_out_separation", "gap",
            "gap_z", "suspicious")


class LeakageReport(pd.DataFrame):
    """One row per feature (index ``feature``), the most suspicious first: ``train_auc``
    and ``held_out_auc`` (the feature alone as a score of the label, over all rows; NaN
    when a side has no joiner or no non-joiner), ``train_separation`` and
    ``held_out_separation`` (``|2 AUC - 1|``: 0 none, 1 perfect, either direction),
    ``gap`` (training minus held-out separation), ``gap_z`` (the gap in standard errors)
    and ``suspicious``. ``attrs``: ``suspicious`` (the flagged names), ``train_rows``,
    ``train_positives``, ``held_out_rows``, ``held_out_positives``, ``min_gap``, ``z``,
    ``note``, and ``train_training_report`` / ``held_out_training_report`` (the
    :class:`TrainingSet` reports) for the rows built here."""

    @property
    def _constructor(self):
        return LeakageReport


def _rows(graph: Any, records: Any, name: str, options: dict) -> TrainingSet:
    if isinstance(records, TrainingSet):
        return records
    if not isinstance(records, pd.DataFrame):
        raise ArgumentTypeError(f"{name}: expected a campaign-history DataFrame or an "
                                f"invitegraph.TrainingSet, got {type(records).__name__}")
    return training_set(graph, records, **options)


def leakage_report(graph: Any, train: Union[pd.DataFrame, TrainingSet],
                   held_out: Union[pd.DataFrame, TrainingSet], *,
                   min_gap: float = _core.leakage_defaults["min_gap"],
                   z: float = _core.leakage_defaults["z"],
                   **training_options: Any) -> LeakageReport:
    """Does a feature separate the labels far better in training than at serving?

    A feature computed from the label itself -- a joiner's own purchase of the item,
    when the shop's purchase log holds the participations (docs/training.md) -- tells
    joiners from the rest almost perfectly in the training rows and much less on
    campaigns the model has not seen, where the label does not exist yet. A model fitted
    on it learns the leak. Read this before trusting a model.

    Parameters
    ----------
    graph : SocialGraph
        As for :func:`training_set`.
    train : DataFrame or TrainingSet
        The campaign records the model learns from (their rows are built with
        ``training_options``, as :func:`fit_ranker` builds them), or rows already built.
    held_out : DataFrame or TrainingSet
        Later campaigns, not among ``train``. Their rows are built as serving builds
        them, as :func:`invitegraph.evaluate` does: every candidate a negative with
        weight 1 (``uninvited_weight=1``) and features exactly as of each record's
        ``ts`` (``as_of_step_days=0``), other ``training_options`` as given. Records
        without ``ts`` get their campaign left out instead, which sees the whole log,
        later purchases included: give ``ts`` where you have it. The report compares
        the two sides, so a leak present in both shows no gap.
    min_gap, z : float
        A feature is ``suspicious`` when its training separation exceeds its held-out
        separation by more than ``min_gap`` and by more than ``z`` standard errors of the
        difference (Hanley and McNeil's standard error of each AUC, Radiology 1982): the
        gap alone would flag noise on a few dozen held-out joiners, the z test alone
        every small drift on a million rows. The formula assumes continuous scores and
        independent rows, so read ``gap_z`` as a screen, not a p-value.
    training_options
        Passed to :func:`training_set` (``folds``, ``as_of_step_days``, candidate and
        scoring options, ``outcomes``, ...).
    """
    options = {"progress": False, **training_options}
    t = _rows(graph, train, "train", options)
    h = _rows(graph, held_out, "held_out", {**options, **_core.serving_row_options})
    d = _core._compare_separation(
        t.X, np.ascontiguousarray(t.y.to_numpy(), dtype=np.float32), h.X,
        np.ascontiguousarray(h.y.to_numpy(), dtype=np.float32), float(min_gap), float(z))
    frame = pd.DataFrame(d["features"]).set_index("feature")
    frame = frame.sort_values(["suspicious", "gap"], ascending=False, kind="stable")
    out = LeakageReport(frame[list(_COLUMNS)])
    flagged = list(out.index[out["suspicious"]])
    out.attrs.update(
        suspicious=flagged, min_gap=float(min_gap), z=float(z),
        **{k: int(d[k]) for k in ("train_rows", "train_positives", "held_out_rows",
                                  "held_out_positives")},
        note=(f"{len(flagged)} of {len(out)} features separate the labels more than "
              f"{min_gap:g} better (and {z:g} standard errors) in the training rows than "
              "in rows built as serving builds them"
              + (": " + ", ".join(flagged) if flagged else "")))
    if not isinstance(train, TrainingSet):
        out.attrs["train_training_report"] = dict(t.report)
    if not isinstance(held_out, TrainingSet):
        out.attrs["held_out_training_report"] = dict(h.report)
    return out
