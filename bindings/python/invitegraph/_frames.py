"""The pandas veneer over the C++ core: tables in, DataFrames out."""
from __future__ import annotations

import copy
import os

from typing import Any, Iterable, Optional, Union

import numpy as np
import pandas as pd

from . import _core
from ._columns import (category_column, check_text, float_column, int_column, kind_column,
                       list_column, outcome_column, profile_columns, row_labels,
                       table_columns, ts_column, unix_seconds)
from ._abuse import _abuse, _with_abuse, build_abuse_options
from ._options import (AttributeFeatureOptions, RecommenderConfig, ScoringOptions,
                       scoring_options)
from ._policy import Campaign, Policy, _seconds
from ._progress import ProgressArg, progress_callback
from ._errors import ArgumentTypeError, InvalidArgumentError

GraphConfig = _core.GraphConfig
SocialGraph = _core.SocialGraph
TimeLimits = _core.TimeLimits


def _communities(self: SocialGraph) -> pd.DataFrame:
    """Communities found at build time, one row per user.

    The local-moving phase of Louvain (level 1) over tie strength (symmetrised), in a
    fixed seeded order with exact integer gains: the same events give the same partition
    whatever ``num_threads`` or the row order.

    Returns
    -------
    pandas.DataFrame
        ``user`` (int64) and ``community`` (int64, dense labels ``0..C-1`` numbered in
        order of first appearance), in internal node order; ``C`` is
        ``stats()["num_communities"]``.
    """
    cols = self.community_columns()
    return pd.DataFrame({"user": np.array(cols["user"], dtype=np.int64),
                         "community": np.array(cols["community"], dtype=np.int64)})


def _centrality(self: SocialGraph) -> pd.DataFrame:
    """Influence measures computed at build time, one row per user.

    On the undirected, unweighted contact graph, with NetworkX's definitions:
    ``pagerank`` as ``nx.pagerank`` with its defaults (damping 0.85, sums to 1 over all
    users), ``core_number`` as ``nx.core_number`` (the largest k such that the user is
    in a subgraph where everyone has at least k contacts) and ``clustering`` as
    ``nx.clustering`` (share of pairs of the user's contacts that are contacts
    themselves; 0 below two contacts). Identical for every ``num_threads``.

    Returns
    -------
    pandas.DataFrame
        ``user`` (int64), ``pagerank`` (float64), ``core_number`` (int64) and
        ``clustering`` (float64), in internal node order.

    Raises
    ------
    ValueError
        If the graph was built, updated or forgotten from with ``centrality=False``.
    """
    cols = self.centrality_columns()
    return pd.DataFrame({"user": np.array(cols["user"], dtype=np.int64),
                         "pagerank": np.array(cols["pagerank"], dtype=np.float64),
                         "core_number": np.array(cols["core_number"], dtype=np.int64),
                         "clustering": np.array(cols["clustering"], dtype=np.float64)})


def _profiles(self: SocialGraph) -> pd.DataFrame:
    """The profile attributes as a DataFrame: ``user`` then one column per attribute
    (categories as pandas Categoricals, tags as lists of strings, numbers as float64
    with NaN for missing), one row per user in node order."""
    out = {"user": np.asarray(self.user_ids())}
    for a in self.attribute_info():
        if a["builtin"]:
            continue
        c = self.attribute_column(a["name"])
        if c["type"] == "category":
            out[a["name"]] = pd.Categorical.from_codes(c["codes"], c["dictionary"])
        elif c["type"] == "tags":
            names, codes, off = c["dictionary"], c["codes"], c["tag_offsets"]
            out[a["name"]] = pd.Series(
                [[names[k] for k in codes[off[n]:off[n + 1]]] for n in range(len(off) - 1)],
                dtype=object)
        else:
            out[a["name"]] = c["numbers"]
    return pd.DataFrame(out)


def _attributes(self: SocialGraph) -> pd.DataFrame:
    """What audiences and attribute features can read: ``name, type`` (category, tags
    or number), ``builtin`` (graph-derived) and ``values`` (the distinct strings users
    hold)."""
    return pd.DataFrame(self.attribute_info(), columns=["name", "type", "builtin", "values"])


SocialGraph.profiles = _profiles
SocialGraph.attributes = _attributes
SocialGraph.communities = _communities
SocialGraph.centrality = _centrality
SocialGraph.with_abuse = _with_abuse
SocialGraph.abuse = _abuse


def _arcs(self: SocialGraph) -> pd.DataFrame:
    """Every directed arc with its decayed weights, one row per arc.

    Returns
    -------
    pandas.DataFrame
        ``src``, ``dst`` (int64 external ids), ``tie_strength``,
        ``days_since_last_interaction``, ``is_friend`` (bool), then one float32 column
        per interaction kind (:func:`channel_names` order) holding the decayed count
        ``sum 2^(-(as_of - ts) / (half_life_days * 86400))`` of the events ``src -> dst``
        of that kind, as stored (8-bit log-quantised: relative error <= 3.2 %, below
        9.8e-4 reads as 0). The arc set is symmetric, so an arc may carry only zeros.
        Rows are in CSR order (by internal id of ``src``, then of ``dst``).
    """
    cols = self.arc_columns()
    out = pd.DataFrame({"src": cols["src"], "dst": cols["dst"],
                        "tie_strength": cols["tie_strength"],
                        "days_since_last_interaction": cols["days_since_last_interaction"],
                        "is_friend": cols["is_friend"].astype(bool)})
    weights = cols["channel_weight"]
    for c, name in enumerate(_core.channel_names()):
        out[name] = weights[:, c]
    return out


def _adamic_adar_top(self: SocialGraph, inviters: Iterable[int], k: int = 20,
                     num_threads: int = 0) -> pd.DataFrame:
    """The ``k`` best Adamic-Adar candidates of each inviter (GIL released, parallel).

    Over the undirected contact graph, the candidates of ``u`` are the users at distance
    exactly 2 (not ``u``, not a contact of ``u``), scored
    ``AA(u, v) = sum over common contacts z of 1 / ln(degree(z))`` with every common
    contact counted (no hub cap, unlike the recommender's candidate pool).

    Returns
    -------
    pandas.DataFrame
        ``inviter``, ``candidate`` (int64) and ``score`` (float64): for each inviter in
        the given order, its candidates by score descending, ties by smaller candidate
        id; fewer than ``k`` rows when it has fewer candidates. The same for every
        ``num_threads`` (0: all cores). ``KeyError`` for an unknown inviter.
    """
    cols = self.adamic_adar_columns(inviters, k=k, num_threads=num_threads)
    return pd.DataFrame({"inviter": cols["inviter"], "candidate": cols["candidate"],
                         "score": cols["score"]})


SocialGraph.arcs = _arcs
SocialGraph.adamic_adar_top = _adamic_adar_top

_FRIENDSHIPS = (("src", "dst"), ())
_INTERACTIONS = (("src", "dst", "kind", "ts"), ("event_id",))
_PURCHASES = (("user", "item", "ts"), ("category", "amount", "event_id"))
_CAMPAIGNS = (("inviter", "item", "joined"), ("ts", "category", "invited", "event_id"))


def _event_ids(c: dict, table: str) -> Optional[np.ndarray]:
    """The optional ``event_id`` column (any int64; idempotent ingestion)."""
    return int_column(c["event_id"], table, "event_id") if "event_id" in c else None
_OUTCOMES = (("inviter", "invitee", "item", "ts", "outcome"), ())


class GraphBuilder:
    """Adds event tables batch by batch, then builds a :class:`SocialGraph`.

    Each ``add_*`` validates its whole table first; a bad row raises ``ValueError``
    naming table, column, row and value, and nothing of that table is kept, while
    earlier batches stay.

    Interactions, purchases and campaigns may carry an ``event_id`` column (int64): a
    row whose id was already applied to that table is skipped and counted in
    :meth:`counts` (``duplicate_*``), so a retried or replayed upload is harmless. The
    first row with an id wins, even if a later one differs in other columns. Without
    ids, ``GraphConfig(dedupe="exact")`` skips rows equal in every column instead.
    """

    def __init__(self, config: Optional[GraphConfig] = None):
        self._b = _core.GraphBuilder(config if config is not None else GraphConfig())

    def add_friendships(self, table: Any) -> "GraphBuilder":
        with row_labels(table, "friendships"):
            self._add_friendships(table)
        return self

    def _add_friendships(self, table: Any) -> None:
        c = table_columns(table, "friendships", *_FRIENDSHIPS)
        self._b.add_friendships(int_column(c["src"], "friendships", "src"),
                                int_column(c["dst"], "friendships", "dst"))

    def add_interactions(self, table: Any) -> "GraphBuilder":
        with row_labels(table, "interactions"):
            self._add_interactions(table)
        return self

    def _add_interactions(self, table: Any) -> None:
        c = table_columns(table, "interactions", *_INTERACTIONS)
        codes, names = kind_column(c["kind"], "interactions")
        self._b.add_interactions(int_column(c["src"], "interactions", "src"),
                                 int_column(c["dst"], "interactions", "dst"), codes, names,
                                 ts_column(c["ts"], "interactions"),
                                 event_id=_event_ids(c, "interactions"))

    def add_purchases(self, table: Any) -> "GraphBuilder":
        with row_labels(table, "purchases"):
            self._add_purchases(table)
        return self

    def _add_purchases(self, table: Any) -> None:
        c = table_columns(table, "purchases", *_PURCHASES)
        self._b.add_purchases(
            int_column(c["user"], "purchases", "user"), int_column(c["item"], "purchases", "item"),
            ts_column(c["ts"], "purchases"),
            category=category_column(c["category"], "purchases") if "category" in c else None,
            amount=float_column(c["amount"], "purchases", "amount") if "amount" in c else None,
            event_id=_event_ids(c, "purchases"))

    def add_campaigns(self, table: Any) -> "GraphBuilder":
        with row_labels(table, "campaigns"):
            self._add_campaigns(table)
        return self

    def _add_campaigns(self, table: Any) -> None:
        c = table_columns(table, "campaigns", *_CAMPAIGNS)
        joined_offsets, joined = list_column(c["joined"], "campaigns", "joined")
        invited_offsets = invited = None
        if "invited" in c:
            invited_offsets, invited = list_column(c["invited"], "campaigns", "invited")
        self._b.add_campaigns(
            int_column(c["inviter"], "campaigns", "inviter"),
            int_column(c["item"], "campaigns", "item"), joined_offsets, joined,
            ts=ts_column(c["ts"], "campaigns") if "ts" in c else None,
            category=category_column(c["category"], "campaigns") if "category" in c else None,
            invited_offsets=invited_offsets, invited=invited,
            event_id=_event_ids(c, "campaigns"))

    def add_profiles(self, table: Any) -> "GraphBuilder":
        """User attributes: a ``user`` column plus any named columns (see
        :func:`build_graph`). Validated whole; a later batch replaces the values it gives
        and keeps those it leaves missing."""
        with row_labels(table, "profiles"):
            user, columns = profile_columns(table)
            self._b.add_profiles(user, columns)
        return self

    def counts(self) -> dict:
        """Rows and distinct ids staged so far (``friendships, interactions, purchases,
        campaigns, users, items``), and rows skipped as already applied
        (``duplicate_interactions, duplicate_purchases, duplicate_campaigns``)."""
        return self._b.counts()

    def build(self, as_of: Any = None, progress: ProgressArg = None,
              keep_events: bool = True, communities: bool = True,
              abuse: Any = None, centrality: bool = True) -> SocialGraph:
        """Builds the graph as of ``as_of`` (default: the latest timestamp staged).

        ``keep_events`` keeps the staged rows with the graph (shared, not copied) so that
        :func:`training_set` and :func:`fit_ranker` can rebuild it without each training
        record's outcome; pass False to free them when you will not train on this graph.
        ``communities=False`` skips community detection (single-threaded; about 38 s at
        1 M users), leaving :meth:`SocialGraph.communities` empty. ``abuse`` (True, a
        dict of thresholds or :class:`AbuseOptions`) scores abuse from the staged events
        and attaches the scores, as ``g.with_abuse(ig.detect_abuse(g))`` would.
        ``centrality=False`` skips PageRank, k-core numbers and clustering, leaving
        :meth:`SocialGraph.centrality` unavailable and the influence features 0.
        """
        opts = build_abuse_options(abuse)
        with progress_callback(progress, "build graph") as cb:
            return self._b.build(as_of=unix_seconds(as_of, "as_of"), progress=cb,
                                 keep_events=bool(keep_events),
                                 communities=bool(communities), abuse=opts,
                                 centrality=bool(centrality))


def _add_tables(b: "GraphBuilder", friendships: Any, interactions: Any, purchases: Any,
                campaigns: Any, profiles: Any = None) -> "GraphBuilder":
    if profiles is not None:
        b.add_profiles(profiles)
    if friendships is not None:
        b.add_friendships(friendships)
    if interactions is not None:
        b.add_interactions(interactions)
    if purchases is not None:
        b.add_purchases(purchases)
    if campaigns is not None:
        b.add_campaigns(campaigns)
    return b


def _update(self: SocialGraph, friendships: Any = None, interactions: Any = None,
            purchases: Any = None, campaigns: Any = None, as_of: Any = None,
            communities: bool = True, centrality: bool = True,
            profiles: Any = None) -> SocialGraph:
    """A new graph with new event tables folded in, without re-reading history.

    Decayed weights are rebased to ``as_of`` (``w(t2) = w(t1) * 2^(-(t2 - t1) /
    half_life) + new``), counts add, first-seen times take the minimum, new users and
    items get ids after the old ones and the CSR rows are merged; this graph is not
    changed. The result equals :func:`build_graph` on all events up to quantisation
    (channel weights within 6.5 % after one update, tie strength within 0.07 %; see
    docs/updating.md, "Update", also for how activity windows are
    approximated). The graph's own :class:`GraphConfig` is used.

    Parameters
    ----------
    friendships, interactions, purchases, campaigns
        New rows only, in :func:`build_graph`'s layout; bad rows raise ``ValueError``
        naming table, column, row and value. Rows whose ``event_id`` (or, under the
        graph's ``GraphConfig(dedupe="exact")``, whose content) was already applied to
        this graph or any graph it was built or updated from are skipped;
        ``stats()["duplicates_skipped"]`` of the result counts them.
    as_of : int or timestamp, optional
        Default: the later of ``self.as_of`` and the latest new timestamp. Earlier than
        ``self.as_of``, or earlier than a new event, raises ``ValueError``.
    communities : bool
        Re-detect communities over the merged graph; False leaves none.
    centrality : bool
        Recompute PageRank, k-core numbers and clustering over the merged graph; False
        leaves none.
    profiles : DataFrame, optional
        New or changed user attributes (see :func:`build_graph`): given values replace
        the graph's, missing ones keep them; a column must keep its type.
    """
    b = _add_tables(GraphBuilder(self.config), friendships, interactions, purchases,
                    campaigns, profiles)
    return self._update(b._b, as_of=unix_seconds(as_of, "as_of"),
                        communities=bool(communities), centrality=bool(centrality))


SocialGraph.update = _update


def build_graph(friendships: Any = None, interactions: Any = None, purchases: Any = None,
                campaigns: Any = None, as_of: Any = None,
                config: Optional[GraphConfig] = None,
                progress: ProgressArg = None, keep_events: bool = True,
                communities: bool = True, abuse: Any = None,
                centrality: bool = True, profiles: Any = None) -> SocialGraph:
    """Builds a :class:`SocialGraph` from event tables.

    Parameters
    ----------
    friendships : DataFrame or dict of arrays, columns ``src, dst``
        Undirected declared contacts; may be empty or omitted when interactions define
        the graph.
    interactions : columns ``src, dst, kind, ts``; optional ``event_id``
        Directed events; ``kind`` is one of :func:`channel_names`, ``ts`` unix seconds
        (or datetime64).
    purchases : columns ``user, item, ts``; optional ``category, amount, event_id``
    campaigns : columns ``inviter, item, joined``; optional ``ts, category, invited, event_id``
        ``joined`` and ``invited`` are lists of user ids. Each joiner becomes a
        ``team_join`` interaction joiner -> inviter and a purchase.

        ``event_id`` (int64, any value) makes ingestion idempotent: a row whose id
        was already seen in its table is skipped (``stats()["duplicates_skipped"]``);
        the graph remembers the ids, in snapshots too, so ``update`` skips them later.
        Without ids, ``config=GraphConfig(dedupe="exact")`` skips exact duplicates.
    as_of : int or timestamp, optional
        Reference time for decay; default the latest timestamp seen. Later events are an
        error.
    config : GraphConfig, optional
    progress : None, bool or callable(done, total)
        None shows a bar when interactive.
    keep_events : bool
        Keep the event rows with the graph for :func:`training_set` / :func:`fit_ranker`
        (about the size of the input tables); False frees them.
    communities : bool
        Detect communities (``g.communities()``); False skips the step.
    abuse : None, True, dict or AbuseOptions
        Score abuse (:func:`detect_abuse`) from these events and attach the scores, so
        the ``candidate_suspicion`` / ``candidate_reputation`` features and the policy's
        abuse thresholds see them. A dict holds :class:`AbuseOptions` fields.
    centrality : bool
        Compute PageRank, k-core numbers and local clustering (``g.centrality()``, the
        ``candidate_pagerank`` / ``candidate_core_number`` / ``candidate_clustering``
        features); False skips the step.
    profiles : DataFrame or dict of arrays, column ``user`` plus any attribute columns
        Who each user is: strings (or a pandas Categorical) are categories
        (``region``, ``age_band``), lists of strings are tags, numbers, bools and
        datetimes are numbers (``signup_ts``); None/NaN is missing. Categories are
        dictionary-encoded; audiences (:meth:`Recommender.audience`) and the features
        ``same_region``, ``same_age_band``, ``tag_overlap`` and ``category_tag_match``
        read them. A user only profiles name becomes a node without contacts.
    """
    b = _add_tables(GraphBuilder(config), friendships, interactions, purchases, campaigns,
                    profiles)
    return b.build(as_of=as_of, progress=progress, keep_events=keep_events,
                   communities=communities, abuse=abuse, centrality=centrality)


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
    include_two_hop, max_two_hop, hub_degree_cap : optional
        :class:`CandidateOptions` fields: whether friends of friends are candidates,
        how many are kept per request (best Adamic-Adar first), and the contact degree
        above which a contact is not expanded. None: ``scoring``'s value.
    max_reasons : int, optional
        Reason codes per suggestion (:class:`RecommenderConfig`). None: its default.
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
                 hub_degree_cap: Optional[int] = None, max_reasons: Optional[int] = None,
                 accept_prior_mean: Optional[float] = None,
                 accept_prior_strength: Optional[float] = None,
                 fatigue_half_life_days: Optional[float] = None, batch_rows: int = 0,
                 policy: Optional[Policy] = None,
                 attribute_features: Union[None, dict, AttributeFeatureOptions] = None,
                 time_limits: Optional[TimeLimits] = None,
                 scoring: Optional[ScoringOptions] = None):
        if policy is not None and not isinstance(policy, Policy):
            raise ArgumentTypeError(
                f"policy: expected an invitegraph.Policy, got {type(policy).__name__}")
        if ranker is None:
            raise ArgumentTypeError("ranker: expected a spec string such as 'linear', a Ranker, a "
                                    "model with predict_proba/predict or a callable, got None")
        scoring = scoring_options(
            scoring, include_two_hop=include_two_hop, max_two_hop=max_two_hop,
            hub_degree_cap=hub_degree_cap, accept_prior_mean=accept_prior_mean,
            accept_prior_strength=accept_prior_strength,
            fatigue_half_life_days=fatigue_half_life_days,
            attribute_features=attribute_features)
        config = {"scoring": scoring, "max_reasons": max_reasons,
                  "policy": None if policy is None else policy._p,
                  "time_limits": _time_limits(time_limits)}
        config = RecommenderConfig(**{k: v for k, v in config.items() if v is not None})
        self._r = _core.Recommender(graph, ranker, config=config,
                                    batch_rows=_count(batch_rows, "batch_rows"))
        self._audiences: dict = {}
        # What pickling needs to make this recommender again.
        self._init = dict(scoring=scoring, max_reasons=max_reasons, batch_rows=batch_rows,
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
        """
        inv, it = self._requests(inviters, items, "recommend_batch")
        with progress_callback(progress, "recommend") as cb:
            cols, unknown = self._r.recommend_batch(inv, it, k, num_threads, cb,
                                                    self.audience(audience),
                                                    str(unknown_inviters))
        df = _suggestion_frame(cols)
        df.attrs["unknown_inviters"] = tuple(inv[unknown].tolist())
        return df

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
        an uncalibrated ranker.
        """
        inv, it = self._requests(inviters, items, "recommend_wave")
        with progress_callback(progress, "wave") as cb:
            cols, report, unknown = self._r.recommend_wave(
                inv, it, k, recipient_capacity, str(method), exact_work_limit, num_threads,
                cb, self.audience(audience), str(unknown_inviters))
        df = _suggestion_frame(cols)
        df.attrs.update(report)
        df.attrs["unknown_inviters"] = tuple(inv[unknown].tolist())
        return df

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

    def feedback_for(self, user: int) -> dict:
        """Recorded-outcome state of ``user``: ``in_graph, successes, failures,
        accept_rate, fatigue`` and ``as_of``, the "now" it is evaluated at (the latest of
        the graph's as_of and every recorded ts, but never later than the
        ``time_limits``' now: the wall clock by default)."""
        return self._r.feedback_for(user)

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
        :meth:`swap_graph` to remove a user everywhere."""
        return self._r.forget_users(users)

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
