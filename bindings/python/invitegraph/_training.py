"""Training sets from campaign history, without leakage (see ``training.h``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np
import pandas as pd

from . import _core
from ._columns import category_column, int_column, list_column, table_columns, ts_column
from ._frames import _outcome_columns
from ._progress import ProgressArg, progress_callback
from ._errors import InvalidArgumentError

_HISTORY = (("inviter", "item", "joined"), ("ts", "category", "invited"))


def history_arrays(history: Any, table: str = "history") -> dict:
    """The columns of a campaign-history table as the arrays the C++ core takes."""
    c = table_columns(history, table, *_HISTORY)
    joined_offsets, joined = list_column(c["joined"], table, "joined")
    out = dict(inviter=int_column(c["inviter"], table, "inviter"),
               item=int_column(c["item"], table, "item"),
               joined_offsets=joined_offsets, joined=joined)
    if "ts" in c:
        out["ts"] = ts_column(c["ts"], table)
    if "category" in c:
        out["category"] = category_column(c["category"], table)
    if "invited" in c:
        out["invited_offsets"], out["invited"] = list_column(c["invited"], table, "invited")
    return out


@dataclass
class TrainingSet:
    """Labelled candidate rows of past campaigns.

    ``frame`` has columns ``record, inviter, item, candidate``, one column per feature
    (:func:`feature_names`), then ``label`` and ``weight``. ``record`` is the history row
    the candidate row came from: the group (campaign) id for pairwise models.
    ``report`` counts records, rows, positives and the joiners that were not among the
    candidates (unrankable), and how many leakage-free graphs were rebuilt.
    """

    frame: pd.DataFrame
    report: dict = field(default_factory=dict)

    @property
    def X(self) -> pd.DataFrame:
        return self.frame[_core.feature_names()]

    @property
    def y(self) -> pd.Series:
        return self.frame["label"]

    @property
    def group(self) -> pd.Series:
        return self.frame["record"]

    @property
    def weight(self) -> pd.Series:
        return self.frame["weight"]

    def __len__(self) -> int:
        return len(self.frame)


def training_set(graph: Any, history: Any, *, folds: int = 10, as_of_step_days: float = 0.0,
                 uninvited_weight: float = 0.0, seed: int = 0, include_two_hop: bool = True,
                 max_two_hop: int = 100, hub_degree_cap: int = 1000, num_threads: int = 0,
                 progress: ProgressArg = None, outcomes: Any = None,
                 accept_prior_mean: float = 0.2, accept_prior_strength: float = 5.0,
                 fatigue_half_life_days: float = 7.0,
                 attribute_features: Optional[dict] = None) -> TrainingSet:
    """Candidate rows of each past campaign, labelled by who joined, with leakage-free features.

    Parameters
    ----------
    graph : SocialGraph
        Built with ``keep_events=True`` (the default of :func:`build_graph`).
    history : DataFrame, columns ``inviter, item, joined`` (list of user ids); optional
        ``ts``, ``category``, ``invited`` (list of user ids)
        One row per past campaign. It may or may not be among the campaigns the graph was
        built from: either way a record never sees its own outcome. Its ``ts`` and the
        ``outcomes``' must be plausible under the graph's ``GraphConfig.time_limits``.
    folds : int
        Records without ``ts``: their features come from the graph rebuilt without their
        fold's campaigns. Folds are a hash of (inviter, item) modulo ``folds``, so a fold
        may hold several records (a record then also loses their campaigns, never keeps
        its own); with one record per fold this is leave-one-out.
    as_of_step_days : float
        Records with ``ts``: features as of ``ts`` (events strictly before it). 0 rebuilds
        one graph per distinct ``ts``; a positive step shares one graph, as of the step's
        start, between the records of each step (faster, never later than ``ts``).
    uninvited_weight : float
        With ``invited`` lists: invited non-joiners are the negatives; candidates never
        invited are dropped (0) or kept as negatives with this sample weight.
    seed : int
        Fold assignment.
    include_two_hop, max_two_hop, hub_degree_cap
        Candidate generation, as for :class:`Recommender`.
    outcomes : DataFrame, columns ``inviter, invitee, item, ts, outcome``, optional
        Recorded invite outcomes (as for :meth:`Recommender.record_outcomes`), so that
        ``candidate_accept_rate`` and ``candidate_fatigue`` are what ``recommend`` would
        have seen: a record with ``ts`` sees the outcomes strictly before it, one without
        sees all but those of its fold's (inviter, item) pairs. Without outcomes the two
        columns are constant and a learned model gives them no weight.
    accept_prior_mean, accept_prior_strength, fatigue_half_life_days
        As the serving :class:`Recommender`'s.
    attribute_features : dict, optional
        The profile columns behind the attribute features, as the serving
        :class:`Recommender`'s ``attribute_features`` (so ``category_tag_match`` and
        friends are computed the same way in training and serving).
    """
    from ._frames import _attribute_feature_args
    cols = history_arrays(history)
    with progress_callback(progress, "training set") as cb:
        d = _core.build_training_set(
            graph, cols.pop("inviter"), cols.pop("item"), cols.pop("joined_offsets"),
            cols.pop("joined"), **cols, folds=int(folds),
            as_of_step_days=float(as_of_step_days), uninvited_weight=float(uninvited_weight),
            seed=int(seed), include_two_hop=bool(include_two_hop),
            max_two_hop=int(max_two_hop), hub_degree_cap=int(hub_degree_cap),
            num_threads=int(num_threads), progress=cb,
            outcomes=None if outcomes is None else _outcome_columns(outcomes),
            accept_prior_mean=float(accept_prior_mean),
            accept_prior_strength=float(accept_prior_strength),
            fatigue_half_life_days=float(fatigue_half_life_days),
            **_attribute_feature_args(attribute_features))
    frame = pd.DataFrame(d["x"], columns=_core.feature_names(), copy=False)
    for i, name in enumerate(("record", "inviter", "item", "candidate")):
        frame.insert(i, name, d[name])
    frame["label"] = d["label"].astype(np.int8)
    frame["weight"] = d["weight"]
    return TrainingSet(frame=frame, report=d["report"])


def training_frame(graph: Any, history: Any, **options: Any
                   ) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """``(X, y, group)`` of :func:`training_set`: named feature columns, 0/1 labels and the
    history row (campaign id) of each row -- ready for scikit-learn or LightGBM.

    The report is kept in ``X.attrs["training_report"]``.
    """
    t = training_set(graph, history, **options)
    X = t.X
    X.attrs["training_report"] = t.report
    return X, t.y, t.group


def fit_ranker(graph: Any, history: Any, model: str = "logistic", l2: float = 1.0, *,
               class_weight: str = "balanced", max_iter: int = 100,
               max_pairs_per_positive: int = 20, seed: int = 0, num_threads: int = 0,
               progress: ProgressArg = None, **training_options: Any):
    """Learns a ranker from campaign history: :func:`training_set`, then a fit in C++.

    ``model`` is ``"logistic"`` (calibrated P(join)) or ``"pairwise"`` (RankNet-style,
    pairs within each campaign); see :func:`fit_ranker_arrays` for ``l2``,
    ``class_weight``, ``max_iter`` and ``max_pairs_per_positive``. Other keywords
    (``folds``, ``as_of_step_days``, ``uninvited_weight``, candidate options) go to
    :func:`training_set`. The returned :class:`Ranker` carries ``training_report`` and
    ``fit_report`` dicts; pass it to :class:`Recommender` or ``save`` it.
    """
    from ._fit import fit_ranker_arrays

    t = training_set(graph, history, seed=seed, num_threads=num_threads, progress=progress,
                     **training_options)
    if len(t) == 0:
        raise InvalidArgumentError(f"history gave no training rows: {t.report}")
    ranker, report = fit_ranker_arrays(
        t.frame[_core.feature_names()].to_numpy(), t.y.to_numpy(), weight=t.weight.to_numpy(),
        group=t.group.to_numpy(), model=model, l2=l2, class_weight=class_weight,
        max_iter=max_iter, max_pairs_per_positive=max_pairs_per_positive, seed=seed,
        num_threads=num_threads, progress=progress)
    ranker.training_report = t.report
    ranker.fit_report = report
    return ranker
