"""Typed results: what :meth:`GraphBuilder.counts`, :meth:`SocialGraph.stats`,
:meth:`Recommender.feedback_for` and the batch and wave calls return.

Each is a frozen dataclass with documented, typed fields, so IDEs and mypy see them
(``g.stats().num_nodes``). They replace dicts, and still read as the dicts they replace:
``g.stats()["num_nodes"]``, ``"num_nodes" in g.stats()``, ``dict(g.stats())``,
``g.stats().keys()`` and comparison with a dict keep working; :meth:`to_dict` gives a
plain dict (for ``json.dumps`` or to add keys).
"""
from __future__ import annotations

import dataclasses
from typing import Any, Dict, KeysView, Tuple

import pandas as pd


class _Record:
    """The dict reading of a result dataclass: ``r[field]``, ``keys()``, ``in``,
    ``to_dict()`` and ``==`` against a dict with the same keys and values."""

    __slots__ = ()

    def to_dict(self) -> Dict[str, Any]:
        """The fields as a new dict, in declaration order (the old dict's key order)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    def keys(self) -> KeysView[str]:
        """The field names, as the replaced dict's ``keys()`` (so ``dict(r)`` works)."""
        return self.to_dict().keys()

    def __getitem__(self, key: str) -> Any:
        if not isinstance(key, str) or key not in self.keys():
            raise KeyError(key)
        return getattr(self, key)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in self.keys()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, dict):
            return self.to_dict() == other
        if type(other) is type(self):
            return self.to_dict() == other.to_dict()
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # as the dicts they replace


@dataclasses.dataclass(frozen=True, eq=False)
class StagedCounts(_Record):
    """Rows and distinct ids a :class:`GraphBuilder` has staged (:meth:`GraphBuilder.counts`).

    Rows skipped as already applied (same ``event_id``, or equal under
    ``GraphConfig(dedupe="exact")``) are counted in ``duplicate_*``, not in the row counts.
    """

    friendships: int
    """Friendship rows staged."""
    interactions: int
    """Interaction rows staged."""
    purchases: int
    """Purchase rows staged."""
    campaigns: int
    """Campaign rows staged."""
    profiles: int
    """Profile rows staged."""
    users: int
    """Distinct user ids seen in any table."""
    items: int
    """Distinct item ids seen."""
    duplicate_interactions: int
    """Interaction rows skipped as already applied."""
    duplicate_purchases: int
    """Purchase rows skipped as already applied."""
    duplicate_campaigns: int
    """Campaign rows skipped as already applied (with their implied joins and purchases)."""


@dataclasses.dataclass(frozen=True, eq=False)
class GraphStats(_Record):
    """Sizes, memory and build times of a :class:`SocialGraph` (:meth:`SocialGraph.stats`)."""

    num_nodes: int
    """Users."""
    num_arcs: int
    """Directed arcs (the arc set is symmetric)."""
    num_items: int
    """Distinct items purchased."""
    num_categories: int
    """Distinct item categories."""
    num_events: int
    """Interactions, purchases and friendships ingested."""
    arc_bytes: int
    """Bytes of the arcs (targets and arc records)."""
    offset_bytes: int
    """Bytes of the CSR row offsets."""
    total_bytes: int
    """Bytes of everything the graph holds."""
    bytes_per_arc: float
    """``arc_bytes / num_arcs`` (0 without arcs)."""
    as_of: int
    """Reference time of the decayed weights (unix seconds)."""
    num_communities: int
    """Distinct community labels (0 when built with ``communities=False``)."""
    build_seconds: float
    """Wall time of the build (or update, or forget)."""
    community_seconds: float
    """Part of ``build_seconds`` spent detecting communities."""
    duplicates_skipped: int
    """Rows skipped as already applied (event ids, ``dedupe``): a build's total; an
    update's own."""
    purchases_matched: int
    """Purchase rows recognised as campaign participations
    (``GraphConfig.participation_window_days``) and counted once, through their
    campaign: a build's total; an update's own."""
    centrality_seconds: float
    """Part of ``build_seconds`` spent on PageRank, k-core numbers and clustering."""
    pagerank_seconds: float
    """Wall time of PageRank (the three centrality steps may overlap)."""
    core_seconds: float
    """Wall time of the k-core peeling."""
    clustering_seconds: float
    """Wall time of the local clustering coefficients."""


@dataclasses.dataclass(frozen=True, eq=False)
class RecipientFeedback(_Record):
    """Recorded-outcome state of one user (:meth:`Recommender.feedback_for`)."""

    in_graph: bool
    """Whether the user is in the recommender's graph (state is kept either way)."""
    successes: int
    """``accepted`` outcomes recorded."""
    failures: int
    """``declined`` and ``ignored`` outcomes recorded."""
    accept_rate: float
    """Posterior mean accept rate (the prior mean without data)."""
    fatigue: float
    """Decayed count of invites received, at ``as_of``."""
    as_of: int
    """The "now" this is evaluated at (unix seconds)."""


@dataclasses.dataclass(frozen=True, eq=False)
class WaveReport(_Record):
    """How a campaign wave was assigned (:meth:`Recommender.recommend_wave_result`).

    The ``naive_*`` fields give the same requests served one by one (top ``k`` by
    adjusted score, each blind to the others) over the same candidates, for comparison.
    """

    requests: int
    """Requests served (skipped unknown inviters excluded)."""
    suggestions: int
    """Suggestions assigned."""
    expected_joins: float
    """Sum of the suggestions' ``join_probability``: the objective maximised."""
    max_recipient_load: int
    """Most lists one recipient appears in."""
    short_requests: int
    """Requests given fewer than ``k`` suggestions."""
    naive_suggestions: int
    """Suggestions of naive per-inviter top-``k``."""
    naive_expected_joins: float
    """Expected joins of naive top-``k``."""
    naive_max_recipient_load: int
    """Most lists one recipient appears in under naive top-``k``."""
    naive_recipients_over_capacity: int
    """Recipients naive top-``k`` puts in more than ``recipient_capacity`` lists."""
    method: str
    """``"exact"`` (min-cost flow) or ``"greedy"``: the method used."""
    solve_seconds: float
    """Wall time of the assignment."""
    seconds: float
    """Wall time of the whole wave (candidates, scoring and assignment)."""


@dataclasses.dataclass(frozen=True)
class BatchResult:
    """:meth:`Recommender.recommend_batch_result`: the suggestions and the skipped requests."""

    frame: pd.DataFrame
    """The suggestions, as :meth:`Recommender.recommend_batch` returns them (its ``attrs``
    filled as there)."""
    unknown_inviters: Tuple[int, ...]
    """Inviter ids of the requests skipped because the inviter is not in the graph, one
    per skipped request, in request order (empty when every inviter is known)."""


@dataclasses.dataclass(frozen=True)
class WaveResult:
    """:meth:`Recommender.recommend_wave_result`: the wave's lists, its report and the
    skipped requests."""

    frame: pd.DataFrame
    """The suggestions, as :meth:`Recommender.recommend_wave` returns them (its ``attrs``
    filled as there)."""
    report: WaveReport
    """How the wave was assigned, next to naive top-``k``."""
    unknown_inviters: Tuple[int, ...]
    """Inviter ids of the requests left out because the inviter is not in the graph, one
    per skipped request, in request order (empty when every inviter is known)."""
