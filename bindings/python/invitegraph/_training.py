"""Training sets from campaign history, without leakage (see ``training.h``)."""
from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass, field
from typing import Any, Optional, Union

import numpy as np
import pandas as pd

from . import _core
from ._columns import category_column, int_column, list_column, table_columns, ts_column
from ._frames import _outcome_columns
from ._progress import ProgressArg, progress_callback
from ._errors import ArgumentTypeError, InvalidArgumentError
from ._options import (AttributeFeatureOptions, ScoringOptions, TrainingOptions, replace,
                       scoring_options)

_HISTORY = (("inviter", "item", "joined"), ("ts", "category", "invited"))

#: The training defaults, read from C++ ``TrainingOptions`` (the one place that decides them):
#: ``folds``, ``as_of_step_days`` (1: features as of the start of each record's day),
#: ``uninvited_weight`` (1: candidates never invited are negatives like the invited
#: non-joiners) and ``step_hidden_warn_share`` (see :class:`TrainingWarning`).
TRAINING_DEFAULTS = dict(_core.training_defaults)


class TrainingWarning(UserWarning):
    """The campaign history makes a training setting unsafe; the message names the numbers
    and the fix. Raised by :func:`training_set` (and :func:`fit_ranker`,
    :func:`invitegraph.evaluate`, ...) for each entry of the report's ``warnings``:

    - ``uninvited_weight=0`` dropped candidates that were never invited: the model then
      learns to order only the friends inviters already chose (and where joiners came
      without an invitation, that never-invited means joined), while ``recommend`` ranks
      every candidate: on such a synthetic world NDCG@10 fell from 0.236 to 0.174, below
      the untrained hand-set ranker's 0.205 (docs/training.md, "Training defaults");
    - ``as_of_step_days`` hid more than ``step_hidden_warn_share`` (25 %) of the events
      before the records' ``ts`` from their features (``report["step_hidden_share"]``):
      the step is long for the history, so pass a smaller one, or 0 for exact as-of.

    Silence one on purpose with ``warnings.filterwarnings("ignore",
    category=ig.TrainingWarning)``.
    """


def _caller_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first frame outside this package
    (the user's call, whether it went through fit_ranker, evaluate or training_set)."""
    level, frame = 1, sys._getframe(1)  # level 1: the function that calls warn
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if name != "invitegraph" and not name.startswith("invitegraph."):
            break
        level += 1
        frame = frame.f_back
    return level


def _warn_unsafe(report: dict) -> None:
    for message in report.get("warnings", ()):
        warnings.warn(message, TrainingWarning, stacklevel=_caller_stacklevel())


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
    candidates (unrankable), and how many leakage-free graphs were rebuilt; it also holds
    ``uninvited_dropped`` (rows dropped by ``uninvited_weight=0``), ``step_hidden_share``
    (the share of the events before the records' ``ts`` that the as-of step hid) and
    ``warnings`` (raised as :class:`TrainingWarning`).
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


def training_options(options: Optional[TrainingOptions] = None,
                     scoring: Optional[ScoringOptions] = None, **keywords: Any
                     ) -> TrainingOptions:
    """The :class:`TrainingOptions` :func:`training_set` runs with: ``options`` (default
    ``TrainingOptions()``), its ``scoring`` replaced by ``scoring`` when given, then the
    keywords applied on top: TrainingOptions fields (``folds``, ``as_of_step_days``,
    ``uninvited_weight``, ``seed``, ``num_threads``) and scoring keywords (see
    :class:`Recommender`, which takes the same). ``None`` changes nothing."""
    if options is None:
        options = TrainingOptions()
    elif not isinstance(options, TrainingOptions):
        raise ArgumentTypeError(f"options: expected an invitegraph.TrainingOptions, got "
                                f"{type(options).__name__}")
    own = {k: keywords.pop(k) for k in list(keywords)
           if k in TrainingOptions._fields and k != "scoring"}
    return replace(options, scoring=scoring_options(
        options.scoring if scoring is None else scoring, **keywords), **own)


def training_set(graph: Any, history: Any, *, folds: Optional[int] = None,
                 as_of_step_days: Optional[float] = None,
                 uninvited_weight: Optional[float] = None,
                 seed: Optional[int] = None, include_two_hop: Optional[bool] = None,
                 max_two_hop: Optional[int] = None, hub_degree_cap: Optional[int] = None,
                 expansion_budget: Optional[int] = None,
                 num_threads: Optional[int] = None,
                 progress: ProgressArg = None, outcomes: Any = None,
                 accept_prior_mean: Optional[float] = None,
                 accept_prior_strength: Optional[float] = None,
                 fatigue_half_life_days: Optional[float] = None,
                 attribute_features: Union[None, dict, AttributeFeatureOptions] = None,
                 scoring: Optional[ScoringOptions] = None,
                 options: Optional[TrainingOptions] = None) -> TrainingSet:
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
    options : TrainingOptions, optional
        All the settings below but ``outcomes`` and ``progress`` in one object (default
        ``TrainingOptions()``); keywords given are applied on top of it. Every keyword
        that names an option defaults to None: the option's value there.
    scoring : ScoringOptions, optional
        Candidates, feedback priors and attribute features: pass the serving
        :class:`Recommender`'s (``rec.scoring``) so the rows are the ones it scores
        (default ``options.scoring``). The scoring keywords below apply on top.
    folds : int, optional
        Records without ``ts``: their features come from the graph rebuilt without their
        fold's campaigns. Folds are a hash of (inviter, item) modulo ``folds``, so a fold
        may hold several records (a record then also loses their campaigns, never keeps
        its own); with one record per fold this is leave-one-out.
    as_of_step_days : float, optional (:class:`TrainingOptions` default: 1)
        Records with ``ts``: features as of the start of the record's step of this many
        days (counted from unix time 0; events strictly before it), shared by the records
        of the step: never later than ``ts``, at most one step older. 0 gives features
        exactly as of each ``ts``, one rebuild per distinct ``ts``: on second-resolution
        histories 6-11x the CPU time for a held-out NDCG@10 at most 0.004 higher
        (docs/training.md, "Training defaults"). A :class:`TrainingWarning` says when the
        step hides more than 25 % of the events before the records' ``ts``.
    uninvited_weight : float, optional (:class:`TrainingOptions` default: 1)
        With ``invited`` lists: joiners are positives, invited non-joiners negatives, and
        candidates never invited negatives with this sample weight. ``recommend`` ranks
        every candidate, so the model must see them: 0 drops them, and then the model only
        learns to order the friends inviters already chose (where joiners came without an
        invitation, its NDCG@10 fell from 0.236 to 0.174 on a synthetic world, below the
        hand-set ranker's); a :class:`TrainingWarning` says so.
    seed : int, optional
        Fold assignment.
    include_two_hop, max_two_hop, hub_degree_cap, expansion_budget : optional
        Candidate generation (:class:`CandidateOptions`), as for :class:`Recommender`.
    num_threads : int, optional
        0 (the default): all cores; the rows do not depend on it.
    outcomes : DataFrame, columns ``inviter, invitee, item, ts, outcome``, optional
        Recorded invite outcomes (as for :meth:`Recommender.record_outcomes`), so that
        ``candidate_accept_rate`` and ``candidate_fatigue`` are what ``recommend`` would
        have seen: a record with ``ts`` sees the outcomes strictly before it, one without
        sees all but those of its fold's (inviter, item) pairs. Without outcomes the two
        columns are constant and a learned model gives them no weight.
    accept_prior_mean, accept_prior_strength, fatigue_half_life_days : float, optional
        :class:`FeedbackConfig` fields, as the serving :class:`Recommender`'s.
    attribute_features : dict or AttributeFeatureOptions, optional
        The profile columns behind the attribute features, as the serving
        :class:`Recommender`'s ``attribute_features`` (so ``category_tag_match`` and
        friends are computed the same way in training and serving).
    """
    opts = training_options(
        options, scoring, folds=folds, as_of_step_days=as_of_step_days,
        uninvited_weight=uninvited_weight, seed=seed, num_threads=num_threads,
        include_two_hop=include_two_hop, max_two_hop=max_two_hop,
        hub_degree_cap=hub_degree_cap, expansion_budget=expansion_budget,
        accept_prior_mean=accept_prior_mean,
        accept_prior_strength=accept_prior_strength,
        fatigue_half_life_days=fatigue_half_life_days,
        attribute_features=attribute_features)
    cols = history_arrays(history)
    with progress_callback(progress, "training set") as cb:
        d = _core.build_training_set(
            graph, cols.pop("inviter"), cols.pop("item"), cols.pop("joined_offsets"),
            cols.pop("joined"), **cols, options=opts, progress=cb,
            outcomes=None if outcomes is None else _outcome_columns(outcomes))
    frame = pd.DataFrame(d["x"], columns=_core.feature_names(), copy=False)
    for i, name in enumerate(("record", "inviter", "item", "candidate")):
        frame.insert(i, name, d[name])
    frame["label"] = d["label"].astype(np.int8)
    frame["weight"] = d["weight"]
    _warn_unsafe(d["report"])
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


def fit_ranker(graph: Any, history: Any, model: str = _core.fit_defaults["model"],
               l2: float = 1.0, *,
               class_weight: str = "balanced", max_iter: int = 100,
               max_pairs_per_positive: int = 20, seed: int = 0, num_threads: int = 0,
               progress: ProgressArg = None, **training_options: Any):
    """Learns a ranker from campaign history: :func:`training_set`, then a fit in C++.

    ``model`` is ``"pairwise"`` (the default: RankNet-style, pairs within each campaign;
    the best built-in model on every dataset of docs/training.md, "Evidence") or
    ``"logistic"``, both Platt-calibrated to P(join); see :func:`fit_ranker_arrays` for ``l2``,
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
