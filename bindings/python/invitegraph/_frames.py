"""The pandas veneer over the C++ core: tables in, DataFrames out."""
from __future__ import annotations

import copy
import os

from typing import Any, Iterable, Optional, Union

import numpy as np
import pandas as pd

from . import _core
from ._columns import (check_text, int_column, outcome_column, row_labels, table_columns,
                       ts_column, unix_seconds)
from ._options import (AttributeFeatureOptions, RecommenderConfig, ScoringOptions,
                       scoring_options)
from ._policy import Campaign, Policy, _seconds
from ._progress import ProgressArg, progress_callback
from ._errors import ArgumentTypeError, InvalidArgumentError
# The graph classes live in _graph.py (its docstring: how the Python surface is built);
# imported here for the Recommender and for code that imported them from this module.
from ._graph import GraphBuilder, GraphConfig, SocialGraph, TimeLimits, build_graph
from ._results import BatchResult, RecipientFeedback, WaveReport, WaveResult

_OUTCOMES = (("inviter", "invitee", "item", "ts", "outcome"), ())


def _time_limits(value: Any) -> Optional[TimeLimits]:
    if value is None or isinstance(value, TimeLimits):
        return value
    raise ArgumentTypeError(f"time_limits: expected an invitegraph.TimeLimits, got "
                            f"{type(value).__name__}")


def _outcome_columns(table: Any) -> tuple:
    """(inviter, invitee, item, ts, outcome codes) of an outcome table, validated."""
    with row_labels(table, "outcomes"):
        return _outcome_columns_unlabelled(table)


def _outcome_columns_unlabelled(table: Any) -> tuple:
    c = table_columns(table, "outcomes", *_OUTCOMES)
    return (int_column(c["inviter"], "outcomes", "inviter"),
            int_column(c["invitee"], "outcomes", "invitee"),
            int_column(c["item"], "outcomes", "item"),
            ts_column(c["ts"], "outcomes"),
            outcome_column(c["outcome"], "outcomes", _core.outcome_names()))


def _split(offsets: np.ndarray, values: np.ndarray) -> pd.Series:
    """A column of Python lists from the offsets layout."""
    cells = [values[offsets[r]:offsets[r + 1]].tolist() for r in range(len(offsets) - 1)]
    return pd.Series(cells, dtype=object)


def history_from_outcomes(outcomes: Any,
                          time_limits: Optional[TimeLimits] = None) -> pd.DataFrame:
    """Past campaigns from an outcome log, ready for ``build_graph(campaigns=...)``.

    Parameters
    ----------
    outcomes : DataFrame or dict of arrays, columns ``inviter, invitee, item, ts, outcome``
        ``outcome`` is one of :func:`outcome_names` (strings or a pandas Categorical).
    time_limits : TimeLimits, optional
        Plausible ``ts`` (default ``TimeLimits()``: 1970 to one day after the wall
        clock); a ``ts`` in milliseconds or far ahead raises ``ValueError``.

    Returns
    -------
    DataFrame with one row per ``(inviter, item)``, sorted by both, and columns
    ``inviter, item, ts`` (its earliest row, unix seconds), ``invited`` (list of the
    distinct invitees, any outcome) and ``joined`` (list of those who accepted), lists
    ascending. A bad row raises ``ValueError`` naming column, row and value.
    """
    d = _core.history_from_outcomes(*_outcome_columns(outcomes),
                                    time_limits=_time_limits(time_limits))
    return pd.DataFrame({
        "inviter": d["inviter"], "item": d["item"], "ts": d["ts"],
        "invited": _split(d["invited_offsets"], d["invited"]),
        "joined": _split(d["joined_offsets"], d["joined"]),
    })


def _count(value: Any, name: str) -> int:
    """A count option (max_two_hop, k, ...): an exact integer in [0, 2^31 - 1]."""
    return _core.exact_int(value, name, 0, 2**31 - 1)


def _suggestion_frame(cols: dict) -> pd.DataFrame:
    cols = dict(cols)
    # An object column of lists even when empty (an empty list alone would become float64).
    cols["reasons"] = pd.Series(cols["reasons"], dtype=object)
    return pd.DataFrame(cols)


class Recommender:
    """Ranked, explained invitees over a :class:`SocialGraph`.

    Parameters
    ----------
    graph : SocialGraph
    ranker : str, Ranker or model
        A ranker spec, e.g. ``"linear"`` or ``"linear(adamic_adar=2.0)"``; a
        :class:`Ranker` object (fitted, loaded or made from a spec); or your own
        model: an object with ``predict_proba`` (score: probability of class 1), else
        with ``predict`` (score: its output), else a callable taking a feature
        DataFrame and returning one score per row. The model gets a read-only,
        zero-copy view of each request's feature rows (the columns of
        :meth:`features`), as a DataFrame, or as a NumPy array if it was fitted on
        one; copy what you keep. LightGBM models and linear scikit-learn models are
        explained (TreeSHAP, ``coef_ * x``); other models' suggestions carry the
        reason ``"reasons_unavailable"``.
    scoring : ScoringOptions, optional
        Candidates, feedback priors and attribute features: the options a training set
        must share to give the rows this recommender scores (pass the same object to
        :func:`training_set`). Default ``ScoringOptions()``; the keywords below are
        applied on top of it.
    include_two_hop, max_two_hop, hub_degree_cap, expansion_budget : optional
        :class:`CandidateOptions` fields: whether friends of friends are candidates,
        how many are kept per request (best Adamic-Adar first), the contact degree
        above which a contact is not expanded, and the most neighbour entries the 2-hop
        expansion reads (strongest ties first; 0: no limit). None: ``scoring``'s value.
    max_reasons : int, optional
        Reason codes per suggestion (:class:`RecommenderConfig`). None: its default.
    cascade_size : int, optional
        Cascade ranking (:class:`RecommenderConfig`): only the best ``cascade_size``
        candidates of a request by a cheap first-stage score (tie, recency, friendship,
        common neighbours, Adamic-Adar) get full features, the ranker, the policy and
        reasons; never fewer than ``k``. ``0``: every candidate is scored. None: its
        default (see the performance page of the docs for how it was chosen).
    accept_prior_mean, accept_prior_strength, fatigue_half_life_days : float, optional
        :class:`FeedbackConfig` fields: the Beta prior of each invitee's accept rate
        (``candidate_accept_rate``; mean in [0, 1], strength in pseudo-invites > 0) and
        the half-life in days of each received invite in ``candidate_fatigue``. None:
        ``scoring``'s value.
    policy : Policy, optional
        Filters (opt-outs, blocked pairs, caps) and score adjustments (boosts, fatigue
        penalty) applied before the top-k cut; see :class:`Policy`.
    attribute_features : dict or AttributeFeatureOptions, optional
        The profile columns behind the attribute features: ``region`` and ``age_band``,
        category columns for ``same_region`` / ``same_age_band``; ``tags``, the tags
        column for ``tag_overlap``; and ``category_tags``, ``{item category: [tags]}``,
        for ``category_tag_match`` (the share of the campaign category's tags the
        candidate has). Keys given replace ``scoring``'s; the defaults are
        :class:`AttributeFeatureOptions`'. Columns the graph lacks give 0; a column of
        the wrong type raises.
    time_limits : TimeLimits, optional
        Plausible times of :meth:`record_outcomes` and :meth:`reserve_invites` rows (up
        to ``max_future_seconds`` after "now", default one day) and of a campaign's
        ``ends_at`` (up to ``max_ends_at_future_seconds``, default 366 days); also the
        bound of the feedback clock, which never runs ahead of "now" (the wall clock
        unless ``TimeLimits(now=...)``). Default ``TimeLimits()``.
    state : str, optional
        Where recipient protection state (caps' send times, fatigue, accept-rate
        counts) lives: ``"memory"`` (this process; the default), ``"journal:DIR"``
        (durable: an append-only log in DIR, on disk before :meth:`reserve_invites` or
        :meth:`record_outcomes` returns, replayed when a recommender opens DIR again;
        one process at a time) or ``"redis://HOST:PORT[/DB]"`` (shared by every
        process naming the same server: caps hold across replicas). Options follow a
        ``?``, e.g. ``"journal:state?sync=group"``; see the state page of the docs.
        A pickled copy of the recommender holds the state as it was, in memory.
    batch_rows : int
        For a model ranker. ``0`` (default): one model call per request, so
        :meth:`recommend_batch` returns exactly what :meth:`recommend` does. ``> 0``:
        :meth:`recommend_batch` stacks consecutive requests' rows into one model call
        of about this many rows (e.g. 4096), which saves the model's per-call overhead
        (milliseconds for scikit-learn and LightGBM on a DataFrame). Results still
        equal single calls when a row's score does not depend on the other rows of
        the call, as for tree ensembles such as LightGBM; float32 matrix products
        (linear models fitted on float32 features) may differ in the last bit.

    The recommender is thread-safe: :meth:`recommend` and :meth:`record_outcomes` may
    run concurrently from Python threads (both release the GIL).
    """

    def __init__(self, graph: SocialGraph, ranker: Any = "linear", *,
                 include_two_hop: Optional[bool] = None, max_two_hop: Optional[int] = None,
                 hub_degree_cap: Optional[int] = None,
                 expansion_budget: Optional[int] = None, max_reasons: Optional[int] = None,
                 cascade_size: Optional[int] = None,
                 accept_prior_mean: Optional[float] = None,
                 accept_prior_strength: Optional[float] = None,
                 fatigue_half_life_days: Optional[float] = None, batch_rows: int = 0,
                 policy: Optional[Policy] = None,
                 attribute_features: Union[None, dict, AttributeFeatureOptions] = None,
                 time_limits: Optional[TimeLimits] = None,
                 scoring: Optional[ScoringOptions] = None,
                 state: Optional[str] = None):
        if policy is not None and not isinstance(policy, Policy):
            raise ArgumentTypeError(
                f"policy: expected an invitegraph.Policy, got {type(policy).__name__}")
        if ranker is None:
            raise ArgumentTypeError("ranker: expected a spec string such as 'linear', a Ranker, a "
                                    "model with predict_proba/predict or a callable, got None")
        scoring = scoring_options(
            scoring, include_two_hop=include_two_hop, max_two_hop=max_two_hop,
            hub_degree_cap=hub_degree_cap, expansion_budget=expansion_budget,
        accept_prior_mean=accept_prior_mean,
            accept_prior_strength=accept_prior_strength,
            fatigue_half_life_days=fatigue_half_life_days,
            attribute_features=attribute_features)
        config = {"scoring": scoring, "max_reasons": max_reasons,
                  "cascade_size": cascade_size,
                  "policy": None if policy is None else policy._p,
                  "time_limits": _time_limits(time_limits), "state": state}
        config = RecommenderConfig(**{k: v for k, v in config.items() if v is not None})
        self._r = _core.Recommender(graph, ranker, config=config,
                                    batch_rows=_count(batch_rows, "batch_rows"))
        self._audiences: dict = {}
        # What pickling needs to make this recommender again.
        self._init = dict(scoring=scoring, max_reasons=max_reasons,
                          cascade_size=cascade_size, batch_rows=batch_rows,
                          policy=policy, time_limits=time_limits)
        self.graph = graph
        self.policy = policy
        # What ig.evaluate needs to score training rows as recommend() would: the ranker
        # as given (spec, Ranker or model) and the scoring options, whole.
        self.ranker = ranker
        self.candidate_options = {"scoring": scoring}

    @property
    def scoring(self) -> ScoringOptions:
        """The :class:`ScoringOptions` this recommender features requests with (a copy:
        changing it changes nothing here). Pass it to :func:`training_set` for rows
        featurised the same way."""
        return copy.copy(self.candidate_options["scoring"])

    @property
    def config(self) -> RecommenderConfig:
        """The whole :class:`RecommenderConfig` (a copy)."""
        return self._r.config

    @property
    def ranker_spec(self) -> str:
        return self._r.ranker_spec

    def audience(self, expression: Any) -> Optional["_core.Audience"]:
        """The audience ``expression`` compiled for this recommender's graph, cached by
        its text (None and "" give None: everyone). Raises ``ValueError`` naming an
        unknown attribute (and listing the graph's), a type error or bad syntax with its
        position. See docs/audiences.md, "Audiences", for the language."""
        if expression is None or isinstance(expression, _core.Audience):
            return expression
        if not isinstance(expression, str):
            raise ArgumentTypeError(f"audience: expected an expression string, got "
                                    f"{type(expression).__name__}")
        if not expression.strip():
            return None
        check_text(expression, "audience")
        compiled = self._audiences.get(expression)
        if compiled is None:
            compiled = _core.Audience.compile(expression, self._r.graph)
            if len(self._audiences) >= 256:
                self._audiences.clear()
            self._audiences[expression] = compiled
        return compiled

    def recommend(self, inviter: int, item: Optional[int] = None, k: int = 10,
                  category: Optional[int] = None,
                  campaign: Optional[Campaign] = None,
                  audience: Optional[str] = None) -> pd.DataFrame:
        """Top-``k`` invitees for ``inviter`` starting a campaign for ``item``.

        ``campaign`` (a :class:`Campaign`) gives the item and category when those
        arguments are None, its ``members`` (never suggested), its ``team_size`` and its
        ``ends_at`` (urgency; see :class:`Policy`).

        Returns a DataFrame with columns ``candidate, score, ranker_score,
        join_probability, rank, reasons``, best first: ``score`` is the ranker's score
        plus the policy's adjustments, ``ranker_score`` the ranker's own, and
        ``join_probability`` the calibrated P(join) when the ranker gives one (a fitted
        ``"logistic"`` ranker, or a model with ``predict_proba``), else NaN. Its ``attrs``
        describe the list: ``k`` (as served; urgency may raise it), ``urgency`` in
        [0, 1], ``still_needed`` (joiners the team needs, -1 without ``team_size``),
        ``expected_joins`` (sum of ``join_probability``) and ``fill_probability`` (the
        probability that at least ``still_needed`` of the suggestions join if all are
        invited, joins taken as independent; NaN without calibrated probabilities or a
        team size), so a product can show "invite 3 more". Raises ``KeyError`` if the
        inviter is not in the graph.
        """
        members: list = []
        team_size, ends_at = 0, None
        if campaign is not None:
            if not isinstance(campaign, Campaign):
                raise ArgumentTypeError("campaign: expected an invitegraph.Campaign, got "
                                        f"{type(campaign).__name__}")
            item = campaign.item if item is None else item
            category = campaign.category if category is None else category
            members = campaign.members
            team_size, ends_at = campaign.team_size, campaign.ends_at
            if audience is None:
                audience = campaign.audience
        audience = self.audience(audience)
        cols, about = self._r.recommend(inviter, item, k, category, members, team_size,
                                        ends_at, audience)
        df = _suggestion_frame(cols)
        df.attrs.update(about)
        return df

    def reserve_invites(self, inviter: int, invitees: Iterable[int], item: int,
                        ts: Any) -> np.ndarray:
        """Atomically reserves sends under the policy's caps.

        For each invitee in order, if one more send keeps every cap of
        ``policy.max_invites_per_recipient``, records a ``sent`` outcome
        ``(inviter, invitee, item)`` at ``max(ts, now)`` and marks it granted; otherwise
        records nothing for it (a ``ts`` ahead of the present is taken as the present:
        a reservation is a send happening now). Safe to call from many threads at
        once: sends recorded this way never exceed a cap. Send only the granted
        invitees.

        Returns a bool array, True where granted. Raises ``KeyError`` for an invitee not
        in the graph and ``ValueError`` for a bad row; then nothing is recorded.
        """
        seconds = unix_seconds(ts, "ts")
        return self._r.reserve_invites(inviter, invitees, item, seconds)

    def recent_sends(self, user: int, window: Any) -> int:
        """Recorded sends to ``user`` in the last ``window`` ("1d", seconds, ...) before
        "now"; kept only with caps, within the longest cap window."""
        return self._r.recent_sends(user, _seconds(window, "window"))

    def recommend_batch(self, inviters: Iterable[int], items: Any = None, k: int = 10,
                        num_threads: int = 0, progress: ProgressArg = None,
                        audience: Optional[str] = None,
                        unknown_inviters: str = "skip") -> pd.DataFrame:
        """:meth:`recommend` for each ``(inviters[i], items[i])`` on all cores.

        ``items`` may be a sequence as long as ``inviters``, one item for all, or None.
        Returns columns ``inviter, item, candidate, score, ranker_score,
        join_probability, rank, reasons``; rows equal those of the single calls for any
        ``num_threads``. ``audience`` (an expression, see :meth:`audience`) applies to
        every request, compiled once.

        ``unknown_inviters``: what a request whose inviter is not in the graph gets (new
        users who are not in the snapshot yet are normal in a batch). ``"skip"`` (the
        default): no rows, and the other requests are served as usual;
        ``df.attrs["unknown_inviters"]`` holds the skipped requests' inviter ids, one per
        skipped request in request order (a tuple of ints, empty when every inviter is
        known: a tuple because pandas compares ``attrs`` in ``concat`` and ``merge``, which
        NumPy arrays there would break), so a job can count them or give them a
        cold-start list of its own; ``np.isin(inviters, df.attrs["unknown_inviters"])``
        marks the skipped requests. ``"raise"``: ``KeyError`` naming the first,
        ``inviters[i]=id``, and nothing is returned. Any other value is a ``ValueError``.
        :meth:`recommend_batch_result` gives the skipped ids as a typed field instead.
        """
        return self.recommend_batch_result(
            inviters, items, k=k, num_threads=num_threads, progress=progress,
            audience=audience, unknown_inviters=unknown_inviters).frame

    def recommend_batch_result(self, inviters: Iterable[int], items: Any = None, k: int = 10,
                               num_threads: int = 0, progress: ProgressArg = None,
                               audience: Optional[str] = None,
                               unknown_inviters: str = "skip") -> BatchResult:
        """:meth:`recommend_batch` with the skipped requests typed, not in ``df.attrs``.

        Same arguments; returns a :class:`BatchResult`: ``frame`` (what
        :meth:`recommend_batch` returns, ``attrs`` included) and ``unknown_inviters``
        (a tuple of ints, as ``frame.attrs["unknown_inviters"]``).
        """
        inv, it = self._requests(inviters, items, "recommend_batch")
        with progress_callback(progress, "recommend") as cb:
            cols, unknown = self._r.recommend_batch(inv, it, k, num_threads, cb,
                                                    self.audience(audience),
                                                    str(unknown_inviters))
        df = _suggestion_frame(cols)
        skipped = tuple(inv[unknown].tolist())
        df.attrs["unknown_inviters"] = skipped
        return BatchResult(frame=df, unknown_inviters=skipped)

    def recommend_wave(self, inviters: Iterable[int], items: Any = None, k: int = 5,
                       recipient_capacity: int = 1, method: str = "auto",
                       exact_work_limit: int = 50_000_000, num_threads: int = 0,
                       progress: ProgressArg = None,
                       audience: Optional[str] = None,
                       unknown_inviters: str = "skip") -> pd.DataFrame:
        """One campaign wave across many inviters, with a per-recipient exposure limit.

        Assigns up to ``k`` suggestions to each ``(inviters[i], items[i])`` so that no
        recipient appears in more than ``recipient_capacity`` lists (nor in more than
        its invite caps still allow), maximising the total expected joins: the sum of
        the suggestions' calibrated ``join_probability``. The ranker must be calibrated
        (a fitted ``"logistic"`` ranker or a model with ``predict_proba``). Eligibility is
        :meth:`recommend`'s (the policy's filters apply); score adjustments and
        diversity do not enter the objective. Each list is ordered and explained as
        :meth:`recommend` would.

        ``method``: ``"exact"`` (min-cost flow, optimal), ``"greedy"`` (pairs by join
        probability, each taken while both sides have room; at least half the optimum,
        fast) or ``"auto"`` (exact when the estimated work is at most
        ``exact_work_limit``, about 0.4 s at the default).

        Returns the suggestions as :meth:`recommend_batch` does; ``df.attrs`` holds the
        report: ``expected_joins``, ``max_recipient_load``, ``suggestions``,
        ``short_requests`` (requests given fewer than ``k``), the same figures for
        naive per-inviter top-``k`` over the same candidates (``naive_expected_joins``,
        ``naive_max_recipient_load``, ``naive_suggestions``,
        ``naive_recipients_over_capacity``), ``method`` used, ``solve_seconds`` and
        ``seconds``. ``audience`` (see :meth:`audience`) limits every list to its
        members. ``unknown_inviters`` is :meth:`recommend_batch`'s: by default requests
        whose inviter is not in the graph are left out of the wave and reported in
        ``attrs["unknown_inviters"]`` (``requests`` counts the others); ``"raise"`` makes
        them a ``KeyError``. Raises ``ValueError`` for a repeated ``(inviter, item)``
        (skipped rows included) or a capacity below 1, and :class:`invitegraph.Error` for
        an uncalibrated ranker. :meth:`recommend_wave_result` gives the report as a typed
        :class:`WaveReport` instead (``wave.report.expected_joins``).
        """
        return self.recommend_wave_result(
            inviters, items, k=k, recipient_capacity=recipient_capacity, method=method,
            exact_work_limit=exact_work_limit, num_threads=num_threads, progress=progress,
            audience=audience, unknown_inviters=unknown_inviters).frame

    def recommend_wave_result(self, inviters: Iterable[int], items: Any = None, k: int = 5,
                              recipient_capacity: int = 1, method: str = "auto",
                              exact_work_limit: int = 50_000_000, num_threads: int = 0,
                              progress: ProgressArg = None,
                              audience: Optional[str] = None,
                              unknown_inviters: str = "skip") -> WaveResult:
        """:meth:`recommend_wave` with its report typed, not in ``df.attrs``.

        Same arguments; returns a :class:`WaveResult`: ``frame`` (what
        :meth:`recommend_wave` returns, ``attrs`` included), ``report`` (a
        :class:`WaveReport`: ``wave.report.expected_joins``, ...) and
        ``unknown_inviters`` (a tuple of ints).
        """
        inv, it = self._requests(inviters, items, "recommend_wave")
        with progress_callback(progress, "wave") as cb:
            cols, about, unknown = self._r.recommend_wave(
                inv, it, k, recipient_capacity, str(method), exact_work_limit, num_threads,
                cb, self.audience(audience), str(unknown_inviters))
        df = _suggestion_frame(cols)
        report = WaveReport(**about)
        skipped = tuple(inv[unknown].tolist())
        df.attrs.update(report.to_dict())
        df.attrs["unknown_inviters"] = skipped
        return WaveResult(frame=df, report=report, unknown_inviters=skipped)

    def _requests(self, inviters: Iterable[int], items: Any,
                  what: str) -> tuple[np.ndarray, np.ndarray]:
        inv = _core.exact_ints(inviters, f"{what}.inviters")
        if items is None or np.isscalar(items):
            one = -1 if items is None else _core.exact_int(items, f"{what}.items")
            it = np.full(len(inv), one, dtype=np.int64)
        else:
            it = _core.exact_ints(items, f"{what}.items")
        return inv, it

    def features(self, inviter: int, item: Optional[int] = None,
                 category: Optional[int] = None,
                 audience: Optional[str] = None) -> pd.DataFrame:
        """One row per candidate that :meth:`recommend` scores, one column per feature
        (only the ``audience``'s members when one is given)."""
        cands, x = self._r.features(inviter, item, category, self.audience(audience))
        df = pd.DataFrame(x, columns=_core.feature_names())
        df.insert(0, "candidate", cands)
        return df

    def record_outcomes(self, outcomes: Any) -> dict:
        """Feeds invite outcomes back; the very next :meth:`recommend` sees them.

        Parameters
        ----------
        outcomes : DataFrame or dict of arrays, columns ``inviter, invitee, item, ts, outcome``
            ``outcome`` is one of :func:`outcome_names` (strings or a pandas Categorical):
            ``sent`` is one invite received by ``invitee`` (its fatigue grows by one, decaying
            with ``fatigue_half_life_days``); ``accepted`` is a success and ``declined`` /
            ``ignored`` a failure of its accept-rate posterior. Log a ``sent`` row per invite
            and, later, its outcome.

        Returns
        -------
        dict with ``applied`` (rows whose invitee is in the graph) and ``unknown_invitees``
        (rows whose invitee is not; their state is kept, see :meth:`feedback_for`).

        A bad row raises ``ValueError`` naming column, row and value, and nothing of the
        table is applied; that includes a ``ts`` in milliseconds or further ahead than
        ``time_limits.max_future_seconds``. A row ahead within that tolerance counts
        against caps and fatigue at its own time but does not move "now" (see
        :meth:`feedback_for`).
        """
        return self._r.record_outcomes(*_outcome_columns(outcomes))

    def feedback_for(self, user: int) -> RecipientFeedback:
        """Recorded-outcome state of ``user`` (a :class:`RecipientFeedback`): ``in_graph,
        successes, failures, accept_rate, fatigue`` and ``as_of``, the "now" it is
        evaluated at (the latest of the graph's as_of and every recorded ts, but never
        later than the ``time_limits``' now: the wall clock by default). Reads as the
        dict it used to be, too: ``rec.feedback_for(u)["fatigue"]``."""
        return RecipientFeedback(**self._r.feedback_for(user))

    def swap_graph(self, graph: SocialGraph) -> None:
        """Switches this recommender (and every thread using it) to ``graph`` without
        stopping: requests already running finish on the old graph, later ones use the
        new one, none fails or sees a mix. Recorded outcomes and send caps carry over by
        user id. Typical use: ``rec.swap_graph(ig.SocialGraph.load(new_path))`` after
        the nightly build. The GIL is released."""
        if not isinstance(graph, SocialGraph):
            raise ArgumentTypeError(f"graph: expected an invitegraph.SocialGraph, "
                                    f"got {type(graph).__name__}")
        self._r.swap_graph(graph)
        self.graph = graph
        self._audiences.clear()  # compiled for the old graph

    def forget_users(self, users: Iterable[int]) -> int:
        """Erases every recorded outcome and send time of ``users`` (as recipients);
        returns how many had any. Pair it with ``graph.forget(users)`` and
        :meth:`swap_graph` to remove a user everywhere. With ``state="journal:DIR"``
        the journal is compacted before this returns, so no file in DIR holds them;
        with Redis every process sharing the server forgets them."""
        return self._r.forget_users(users)

    def state_info(self) -> dict:
        """What the state store has done: ``backend`` (``"memory"``, ``"journal"`` or
        ``"redis"``); for a journal, ``replayed_events`` when it was opened,
        ``dropped_records`` / ``dropped_bytes`` of a corrupted or torn tail dropped
        then, ``log_bytes`` and ``compactions``; for Redis, ``followed_events``,
        ``max_follow_lag_ms`` (how stale other processes' writes were at worst when
        they arrived here) and ``connected``."""
        return self._r.state_info()

    def save_state(self, path: Any) -> int:
        """Writes the recorded outcomes and send times (by user id) as a snapshot:
        versioned, checksummed, written atomically. Returns the bytes written."""
        return self._r.save_state(os.fspath(path))

    def load_state(self, path: Any) -> None:
        """Replaces the recorded state with a snapshot from :meth:`save_state`; a
        damaged file raises ``invitegraph.Error`` and leaves the state as it was. A file
        saved before time limits existed may hold a clock moved far ahead by an
        implausible row: the clock is held to "now", and send or fatigue times beyond
        ``now + max_future_seconds`` are clamped to that bound (they still count)."""
        self._r.load_state(os.fspath(path))

    def __getstate__(self) -> dict:
        # The graph pickles as its snapshot bytes without the kept events (a
        # Recommender only serves; they would double what Spark broadcasts), the ranker
        # as itself (a spec, a Ranker, or your model, which must be picklable), the
        # state as its snapshot.
        return {"graph": self.graph.to_bytes(events=False), "ranker": self.ranker,
                "init": self._init, "state": self._r.state_to_bytes()}

    def __setstate__(self, st: dict) -> None:
        graph = st["graph"]
        if isinstance(graph, (bytes, bytearray)):
            graph = SocialGraph.from_bytes(graph)
        self.__init__(graph, st["ranker"], **st["init"])
        self._r.state_from_bytes(st["state"])

    def __repr__(self) -> str:
        return f"<Recommender ranker={self.ranker_spec!r} graph={self.graph!r}>"
