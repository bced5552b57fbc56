"""The graph: :class:`SocialGraph`, :class:`GraphBuilder` and :func:`build_graph`.

How the Python surface is built (one rule for the package): a public class with
behaviour is a Python class that holds a private core object from ``_core`` and defines
every public method itself, with a docstring and type hints: :class:`SocialGraph` holds
``self._g`` (a ``_core.SocialGraph``), :class:`GraphBuilder` ``self._b``,
:class:`Recommender` ``self._r``, :class:`Policy` ``self._p``. Nothing is attached to a
compiled class after import. Plain option and value structs (``GraphConfig``,
``TimeLimits``, ``AbuseOptions``) are the compiled classes, re-exported. Every function
that makes a graph returns a :class:`SocialGraph`; the ``_core`` functions that take a
graph also take a :class:`SocialGraph` (``bindings/graph_bindings.cc`` registers the
conversion), so the package hands graphs to ``_core`` as they are. Results that used to
be dicts are typed dataclasses (``_results.py``).
"""
from __future__ import annotations

import os
from typing import Any, Dict, Iterable, List, Optional, Tuple, Union

import numpy as np
import numpy.typing as npt
import pandas as pd

from . import _core
from ._abuse import AbuseReport, _evidence_frame, build_abuse_options
from ._columns import (category_column, float_column, int_column, kind_column, list_column,
                       profile_columns, row_labels, table_columns, ts_column, unix_seconds)
from ._errors import ArgumentTypeError, InvalidArgumentError
from ._progress import ProgressArg, progress_callback
from ._results import GraphStats, StagedCounts

GraphConfig = _core.GraphConfig
TimeLimits = _core.TimeLimits

#: A user or item id: an int or a NumPy integer (a float holding an exact integer is
#: accepted too, and anything else refused, naming the argument and the value).
Id = Union[int, np.integer]
#: A table: a pandas DataFrame or a dict of equally long columns.
Table = Any
#: A path: a string or an ``os.PathLike``.
PathArg = Union[str, "os.PathLike[str]"]


class SocialGraph:
    """The immutable social graph: symmetric contact arcs with decayed per-channel
    weights and tie strength, user profiles, communities, influence measures and an item
    index.

    Make one with :func:`build_graph`, :meth:`GraphBuilder.build`, :meth:`load` or
    :meth:`from_bytes`; :meth:`update`, :meth:`forget` and :meth:`with_abuse` make new
    graphs from it. Safe to share across threads; pickles (and ``copy.deepcopy``) as its
    snapshot bytes, kept events included.
    """

    __slots__ = ("_g", "__weakref__")
    _g: _core.SocialGraph

    def __init__(self, graph: _core.SocialGraph):
        """Wraps a core graph (internal: make graphs with :func:`build_graph`,
        :meth:`GraphBuilder.build`, :meth:`load` or :meth:`from_bytes`)."""
        if not isinstance(graph, _core.SocialGraph):
            raise ArgumentTypeError(
                "SocialGraph: make one with invitegraph.build_graph, GraphBuilder.build or "
                f"SocialGraph.load, not from {type(graph).__name__}")
        self._g = graph

    # -- sizes and settings ------------------------------------------------------------

    @property
    def num_nodes(self) -> int:
        """Number of users."""
        return self._g.num_nodes

    @property
    def num_arcs(self) -> int:
        """Number of directed arcs (the arc set is symmetric)."""
        return self._g.num_arcs

    @property
    def as_of(self) -> int:
        """Reference time of the decayed weights (unix seconds)."""
        return self._g.as_of

    @property
    def config(self) -> GraphConfig:
        """The :class:`GraphConfig` the graph was built with (:meth:`update` uses it)."""
        return self._g.config

    @property
    def has_events(self) -> bool:
        """True if built with ``keep_events`` (what :func:`training_set` needs)."""
        return self._g.has_events

    @property
    def mapped(self) -> bool:
        """True if the arcs are served from a mapped snapshot file (:meth:`load` with
        ``mmap=True``). Graphs made from it (:meth:`update`, :meth:`forget`) own theirs;
        a pickle of it is a copy."""
        return self._g.mapped

    @property
    def has_abuse(self) -> bool:
        """True if abuse scores are attached (:meth:`with_abuse`)."""
        return self._g.has_abuse

    @property
    def has_centrality(self) -> bool:
        """True if PageRank, k-core numbers and clustering were computed."""
        return self._g.has_centrality

    def stats(self) -> GraphStats:
        """Sizes, memory and build times (see :class:`GraphStats`).

        ``community_seconds`` and ``centrality_seconds`` are part of ``build_seconds``;
        ``pagerank_seconds``, ``core_seconds`` and ``clustering_seconds`` are the wall
        time of each centrality step, which may overlap; ``duplicates_skipped`` counts
        the rows this build or update skipped as already applied (event ids,
        ``dedupe``). Reads as the dict it used to be, too: ``g.stats()["num_nodes"]``.
        """
        return GraphStats(**self._g.stats())

    def __len__(self) -> int:
        """Number of users."""
        return len(self._g)

    def __contains__(self, user: object) -> bool:
        """Whether ``user`` (an exact integer id) is in the graph; never raises."""
        return user in self._g

    def __repr__(self) -> str:
        return repr(self._g)

    # -- users, arcs, items ------------------------------------------------------------

    def user_ids(self) -> npt.NDArray[np.int64]:
        """External ids indexed by internal node id (a read-only view)."""
        return self._g.user_ids()

    def csr(self) -> Tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint32]]:
        """``(row offsets, targets)`` of the CSR over internal node ids (read-only views):
        row ``u``'s targets are ``targets[offsets[u]:offsets[u + 1]]``, sorted."""
        return self._g.csr()

    def neighbors(self, user: Id) -> npt.NDArray[np.int64]:
        """External ids of the user's contacts. ``KeyError`` for an unknown user."""
        return self._g.neighbors(user)

    def degree(self, user: Id) -> int:
        """The user's number of contacts. ``KeyError`` for an unknown user."""
        return self._g.degree(user)

    def arc(self, src: Id, dst: Id) -> Optional[Dict[str, Any]]:
        """The arc ``src -> dst`` as a dict (``target, tie_strength, channel_weight``
        (by kind), ``days_since_last_interaction, is_friend``), or None if the two are
        not in contact. ``KeyError`` for an unknown user."""
        return self._g.arc(src, dst)

    def arcs(self) -> pd.DataFrame:
        """Every directed arc with its decayed weights, one row per arc.

        Returns
        -------
        pandas.DataFrame
            ``src``, ``dst`` (int64 external ids), ``tie_strength``,
            ``days_since_last_interaction``, ``is_friend`` (bool), then one float32
            column per interaction kind (:func:`channel_names` order) holding the
            decayed count ``sum 2^(-(as_of - ts) / (half_life_days * 86400))`` of the
            events ``src -> dst`` of that kind, as stored (8-bit log-quantised: relative
            error <= 3.2 %, below 9.8e-4 reads as 0). The arc set is symmetric, so an arc
            may carry only zeros. Rows are in CSR order (by internal id of ``src``, then
            of ``dst``).
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

    def arc_columns(self) -> Dict[str, np.ndarray]:
        """Every directed arc as columns (external ids), in CSR order: ``src, dst,
        tie_strength, days_since_last_interaction, is_friend`` (uint8) and
        ``channel_weight`` (arcs x channels, :func:`channel_names` order). :meth:`arcs`
        gives a DataFrame."""
        return self._g.arc_columns()

    def profile(self, user: Id) -> Dict[str, Any]:
        """The user's graph-derived profile as a dict: ``user, degree, activity_7d,
        activity_30d, first_seen, is_new, joins, exposures, join_rate,
        purchase_weight`` and ``category_affinity`` (by category). ``KeyError`` for an
        unknown user."""
        return self._g.profile(user)

    def item_category(self, item: Id) -> Optional[int]:
        """The item's category, or None if unknown."""
        return self._g.item_category(item)

    def item_buyers(self, item: Id) -> npt.NDArray[np.int64]:
        """External ids of the item's buyers."""
        return self._g.item_buyers(item)

    def adamic_adar_top(self, inviters: Iterable[Id], k: int = 20,
                        num_threads: int = 0) -> pd.DataFrame:
        """The ``k`` best Adamic-Adar candidates of each inviter (GIL released, parallel).

        Over the undirected contact graph, the candidates of ``u`` are the users at
        distance exactly 2 (not ``u``, not a contact of ``u``), scored
        ``AA(u, v) = sum over common contacts z of 1 / ln(degree(z))`` with every common
        contact counted (no hub cap, unlike the recommender's candidate pool).

        Returns
        -------
        pandas.DataFrame
            ``inviter``, ``candidate`` (int64) and ``score`` (float64): for each inviter
            in the given order, its candidates by score descending, ties by smaller
            candidate id; fewer than ``k`` rows when it has fewer candidates. The same
            for every ``num_threads`` (0: all cores). ``KeyError`` for an unknown
            inviter.
        """
        cols = self.adamic_adar_columns(inviters, k=k, num_threads=num_threads)
        return pd.DataFrame({"inviter": cols["inviter"], "candidate": cols["candidate"],
                             "score": cols["score"]})

    def adamic_adar_columns(self, inviters: Iterable[Id], k: int = 20,
                            num_threads: int = 0) -> Dict[str, np.ndarray]:
        """:meth:`adamic_adar_top` as columns ``inviter, candidate, score``."""
        return self._g.adamic_adar_columns(inviters, k=k, num_threads=num_threads)

    # -- profiles ----------------------------------------------------------------------

    def profiles(self) -> pd.DataFrame:
        """The profile attributes as a DataFrame: ``user`` then one column per attribute
        (categories as pandas Categoricals, tags as lists of strings, numbers as float64
        with NaN for missing), one row per user in node order."""
        out: Dict[str, Any] = {"user": np.asarray(self.user_ids())}
        for a in self.attribute_info():
            if a["builtin"]:
                continue
            c = self.attribute_column(a["name"])
            assert c is not None  # attribute_info lists only columns the graph has
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

    def attributes(self) -> pd.DataFrame:
        """What audiences and attribute features can read: ``name, type`` (category,
        tags or number), ``builtin`` (graph-derived) and ``values`` (the distinct strings
        users hold)."""
        return pd.DataFrame(self.attribute_info(),
                            columns=["name", "type", "builtin", "values"])

    def attribute_info(self) -> List[Dict[str, Any]]:
        """Profile attributes as dicts ``{name, type, builtin, values}``: the columns by
        name, then the built-in number attributes audiences may use. :meth:`attributes`
        gives a DataFrame."""
        return self._g.attribute_info()

    def attribute_column(self, name: str) -> Optional[Dict[str, Any]]:
        """One profile column by internal node id, ``{type, dictionary, codes,
        tag_offsets, numbers}``, or None if the graph has no such column.
        :meth:`profiles` gives a DataFrame."""
        return self._g.attribute_column(name)

    # -- communities and influence -----------------------------------------------------

    def communities(self) -> pd.DataFrame:
        """Communities found at build time, one row per user.

        The local-moving phase of Louvain (level 1) over tie strength (symmetrised), in a
        fixed seeded order with exact integer gains: the same events give the same
        partition whatever ``num_threads`` or the row order.

        Returns
        -------
        pandas.DataFrame
            ``user`` (int64) and ``community`` (int64, dense labels ``0..C-1`` numbered in
            order of first appearance), in internal node order; ``C`` is
            ``stats().num_communities``.
        """
        cols = self.community_columns()
        return pd.DataFrame({"user": np.array(cols["user"], dtype=np.int64),
                             "community": np.array(cols["community"], dtype=np.int64)})

    def community_columns(self) -> Dict[str, np.ndarray]:
        """Columns of :meth:`communities`: ``user`` (int64) and ``community`` (uint32),
        read-only views indexed by internal node id. ``ValueError`` if the graph was
        built with ``communities=False``."""
        return self._g.community_columns()

    def community(self, user: Id) -> int:
        """The user's community label. ``KeyError`` for an unknown user."""
        return self._g.community(user)

    def centrality(self) -> pd.DataFrame:
        """Influence measures computed at build time, one row per user.

        On the undirected, unweighted contact graph, with NetworkX's definitions:
        ``pagerank`` as ``nx.pagerank`` with its defaults (damping 0.85, sums to 1 over
        all users), ``core_number`` as ``nx.core_number`` (the largest k such that the
        user is in a subgraph where everyone has at least k contacts) and ``clustering``
        as ``nx.clustering`` (share of pairs of the user's contacts that are contacts
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

    def centrality_columns(self) -> Dict[str, np.ndarray]:
        """Columns of :meth:`centrality`: ``user`` (int64), ``pagerank`` (float32),
        ``core_number`` (uint32) and ``clustering`` (float32), read-only views indexed by
        internal node id. ``ValueError`` without centrality."""
        return self._g.centrality_columns()

    def pagerank(self, user: Id) -> float:
        """The user's PageRank (0 without centrality). ``KeyError`` for an unknown user."""
        return self._g.pagerank(user)

    def core_number(self, user: Id) -> int:
        """The user's k-core number (0 without centrality). ``KeyError`` for an unknown
        user."""
        return self._g.core_number(user)

    def clustering(self, user: Id) -> float:
        """The user's local clustering coefficient (0 without centrality). ``KeyError``
        for an unknown user."""
        return self._g.clustering(user)

    # -- abuse -------------------------------------------------------------------------

    def with_abuse(self, report: AbuseReport) -> "SocialGraph":
        """This graph with ``report``'s scores attached (a new graph; this one is
        unchanged).

        The report must come from :func:`detect_abuse` on this graph (same users in the
        same order). Snapshots and pickles keep the scores; ``forget`` keeps the others'
        scores; ``update`` drops them (score the new graph again). Training sets built
        from this graph rescore each as-of rebuild with the report's options, so
        ``candidate_suspicion`` and ``candidate_reputation`` are learnable without
        leakage.
        """
        u = report.users
        return SocialGraph(_core.graph_with_abuse(
            self._g, u["user"].to_numpy(np.int64), u["suspicion"].to_numpy(np.float32),
            u["reputation"].to_numpy(np.float32),
            np.ascontiguousarray(report._evidence, dtype=np.uint32), report.options))

    def abuse(self) -> pd.DataFrame:
        """The attached abuse scores: ``user, suspicion, reputation`` and the evidence
        flags.

        Raises ValueError when none are attached (see :meth:`with_abuse`).
        """
        cols = _core.graph_abuse_columns(self._g)
        if cols is None:
            raise InvalidArgumentError("this graph has no abuse scores: attach them with "
                                       "g.with_abuse(ig.detect_abuse(g)) or "
                                       "build_graph(abuse=True)")
        return pd.DataFrame({"user": np.array(cols["user"]), "suspicion": cols["suspicion"],
                             "reputation": cols["reputation"],
                             **_evidence_frame(cols["evidence"])})

    # -- new graphs from this one ------------------------------------------------------

    def update(self, friendships: Table = None, interactions: Table = None,
               purchases: Table = None, campaigns: Table = None, as_of: Any = None,
               communities: bool = True, centrality: bool = True,
               profiles: Table = None) -> "SocialGraph":
        """A new graph with new event tables folded in, without re-reading history.

        Decayed weights are rebased to ``as_of`` (``w(t2) = w(t1) * 2^(-(t2 - t1) /
        half_life) + new``), counts add, first-seen times take the minimum, new users and
        items get ids after the old ones and the CSR rows are merged; this graph is not
        changed. The result equals :func:`build_graph` on all events up to quantisation
        (channel weights within 6.5 % after one update, tie strength within 0.07 %; see
        docs/updating.md, "Update", also for how activity windows are approximated). The
        graph's own :class:`GraphConfig` is used. The GIL is released.

        Parameters
        ----------
        friendships, interactions, purchases, campaigns
            New rows only, in :func:`build_graph`'s layout; bad rows raise ``ValueError``
            naming table, column, row and value. Rows whose ``event_id`` (or, under the
            graph's ``GraphConfig(dedupe="exact")``, whose content) was already applied
            to this graph or any graph it was built or updated from are skipped;
            ``stats().duplicates_skipped`` of the result counts them.
        as_of : int or timestamp, optional
            Default: the later of ``self.as_of`` and the latest new timestamp. Earlier
            than ``self.as_of``, or earlier than a new event, raises ``ValueError``.
        communities : bool
            Re-detect communities over the merged graph; False leaves none.
        centrality : bool
            Recompute PageRank, k-core numbers and clustering over the merged graph;
            False leaves none.
        profiles : DataFrame, optional
            New or changed user attributes (see :func:`build_graph`): given values
            replace the graph's, missing ones keep them; a column must keep its type.
        """
        b = _add_tables(GraphBuilder(self.config), friendships, interactions, purchases,
                        campaigns, profiles)
        return SocialGraph(self._g._update(b._b, as_of=unix_seconds(as_of, "as_of"),
                                           communities=bool(communities),
                                           centrality=bool(centrality)))

    def forget(self, user_ids: Iterable[Id], *, ignore_unknown: bool = True,
               communities: bool = True, centrality: bool = True) -> "SocialGraph":
        """A new graph without the given users.

        Drops their nodes, arcs in both directions, profiles, purchases (their rows and
        their entries among item buyers) and community labels. Remaining users keep their
        data; internal node ids are renumbered. Values other users derived from the
        forgotten users' events at build time (first seen, activity, joins, exposures) are
        kept. The GIL is released.

        Parameters
        ----------
        user_ids : array-like of int64
            External ids. Unknown ids are skipped (``len(g) - len(g2)`` is the number
            forgotten) unless ``ignore_unknown=False``, which raises ``KeyError``.
        communities : bool
            Re-detect communities without the forgotten users (default); False keeps the
            others' labels, renumbered densely.
        centrality : bool
            Recompute PageRank, k-core numbers and clustering without the forgotten users
            (default; only if this graph has them); False drops them.
        """
        return SocialGraph(self._g.forget(user_ids, ignore_unknown=ignore_unknown,
                                          communities=communities, centrality=centrality))

    # -- snapshots and pickling --------------------------------------------------------

    def save(self, path: PathArg, *, events: bool = True) -> int:
        """Writes a snapshot; returns the bytes written.

        Versioned and checksummed; written to a temporary file, fsynced and renamed, so a
        crash mid-write leaves the old file whole (temporary files of saves that were
        killed are removed by the next save or load of the path). With ``events=True``
        (the default) the kept events (:attr:`has_events`) are saved too, so the loaded
        graph can still build training sets; ``events=False`` leaves them out (smaller,
        for a graph that will only serve). The GIL is released.
        """
        return self._g.save(path, events=events)

    @classmethod
    def load(cls, path: PathArg, *, mmap: bool = False, verify: bool = False,
             num_threads: int = 0) -> "SocialGraph":
        """Reads a snapshot written by :meth:`save`, validating every length, checksum
        and value.

        A truncated, damaged or other-version file, or a path that is not a regular file
        (a directory, a FIFO), raises :class:`invitegraph.SnapshotError` naming the
        problem; a missing file :class:`invitegraph.SnapshotNotFoundError` (a
        ``FileNotFoundError``). The GIL is released.

        ``mmap=True`` serves the arcs (row offsets, neighbour ids, arc records: most of
        the file) from a read-only mapping of the file instead of reading them, so the
        graph is ready in a time independent of the number of arcs and its arcs share
        the page cache (:attr:`mapped`). Everything else is read and checked; the
        neighbour ids and arc records are trusted unless ``verify=True``, which checks
        them as a read does (no copy, but time in proportion to the arcs). A mapped
        graph keeps its file even when :meth:`save` replaces the path or the path is
        deleted; a file rewritten in place by another program is not safe to map. See
        the "Mapped loads" section of the snapshot docs. ``num_threads`` bounds the
        threads the checks use (0: all cores); the result is the same for any count.
        """
        return cls(_core.SocialGraph.load(path, mmap=mmap, verify=verify,
                                          num_threads=num_threads))

    def to_bytes(self, *, events: bool = True) -> bytes:
        """The snapshot as bytes (what pickling uses, with the kept events;
        ``events=False`` leaves them out, as :meth:`save`)."""
        return self._g.to_bytes(events=events)

    @classmethod
    def from_bytes(cls, data: bytes) -> "SocialGraph":
        """A graph from :meth:`to_bytes` output (validated as :meth:`load` validates a
        file)."""
        return cls(_core.SocialGraph.from_bytes(data))

    # A pickle (and copy.copy, copy.deepcopy) is the core graph's pickle state: its
    # snapshot bytes, kept events included, so an unpickled graph trains as the original
    # does. The core validates the state (a damaged one is a SnapshotError).
    def __getstate__(self) -> Tuple[bytes]:
        return self._g.__getstate__()

    def __setstate__(self, state: Tuple[bytes]) -> None:
        core = _core.SocialGraph.__new__(_core.SocialGraph)
        core.__setstate__(state)
        self._g = core


_FRIENDSHIPS = (("src", "dst"), ())
_INTERACTIONS = (("src", "dst", "kind", "ts"), ("event_id",))
_PURCHASES = (("user", "item", "ts"), ("category", "amount", "event_id"))
_CAMPAIGNS = (("inviter", "item", "joined"), ("ts", "category", "invited", "event_id"))


def _event_ids(c: dict, table: str) -> Optional[np.ndarray]:
    """The optional ``event_id`` column (any int64; idempotent ingestion)."""
    return int_column(c["event_id"], table, "event_id") if "event_id" in c else None


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

    def add_friendships(self, table: Table) -> "GraphBuilder":
        """Undirected declared contacts: columns ``src, dst`` (see :func:`build_graph`)."""
        with row_labels(table, "friendships"):
            self._add_friendships(table)
        return self

    def _add_friendships(self, table: Table) -> None:
        c = table_columns(table, "friendships", *_FRIENDSHIPS)
        self._b.add_friendships(int_column(c["src"], "friendships", "src"),
                                int_column(c["dst"], "friendships", "dst"))

    def add_interactions(self, table: Table) -> "GraphBuilder":
        """Directed events: columns ``src, dst, kind, ts``, optional ``event_id`` (see
        :func:`build_graph`)."""
        with row_labels(table, "interactions"):
            self._add_interactions(table)
        return self

    def _add_interactions(self, table: Table) -> None:
        c = table_columns(table, "interactions", *_INTERACTIONS)
        codes, names = kind_column(c["kind"], "interactions")
        self._b.add_interactions(int_column(c["src"], "interactions", "src"),
                                 int_column(c["dst"], "interactions", "dst"), codes, names,
                                 ts_column(c["ts"], "interactions"),
                                 event_id=_event_ids(c, "interactions"))

    def add_purchases(self, table: Table) -> "GraphBuilder":
        """Purchases: columns ``user, item, ts``, optional ``category, amount, event_id``
        (see :func:`build_graph`)."""
        with row_labels(table, "purchases"):
            self._add_purchases(table)
        return self

    def _add_purchases(self, table: Table) -> None:
        c = table_columns(table, "purchases", *_PURCHASES)
        self._b.add_purchases(
            int_column(c["user"], "purchases", "user"), int_column(c["item"], "purchases", "item"),
            ts_column(c["ts"], "purchases"),
            category=category_column(c["category"], "purchases") if "category" in c else None,
            amount=float_column(c["amount"], "purchases", "amount") if "amount" in c else None,
            event_id=_event_ids(c, "purchases"))

    def add_campaigns(self, table: Table) -> "GraphBuilder":
        """Past campaigns: columns ``inviter, item, joined`` (lists of user ids), optional
        ``ts, category, invited, event_id`` (see :func:`build_graph`)."""
        with row_labels(table, "campaigns"):
            self._add_campaigns(table)
        return self

    def _add_campaigns(self, table: Table) -> None:
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

    def add_profiles(self, table: Table) -> "GraphBuilder":
        """User attributes: a ``user`` column plus any named columns (see
        :func:`build_graph`). Validated whole; a later batch replaces the values it gives
        and keeps those it leaves missing."""
        with row_labels(table, "profiles"):
            user, columns = profile_columns(table)
            self._b.add_profiles(user, columns)
        return self

    def counts(self) -> StagedCounts:
        """Rows and distinct ids staged so far (``friendships, interactions, purchases,
        campaigns, profiles, users, items``), and rows skipped as already applied
        (``duplicate_interactions, duplicate_purchases, duplicate_campaigns``); see
        :class:`StagedCounts`. Reads as the dict it used to be, too:
        ``b.counts()["users"]``."""
        return StagedCounts(**self._b.counts())

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
            return SocialGraph(self._b.build(as_of=unix_seconds(as_of, "as_of"), progress=cb,
                                             keep_events=bool(keep_events),
                                             communities=bool(communities), abuse=opts,
                                             centrality=bool(centrality)))


def _add_tables(b: GraphBuilder, friendships: Table, interactions: Table, purchases: Table,
                campaigns: Table, profiles: Table = None) -> GraphBuilder:
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


def build_graph(friendships: Table = None, interactions: Table = None, purchases: Table = None,
                campaigns: Table = None, as_of: Any = None,
                config: Optional[GraphConfig] = None,
                progress: ProgressArg = None, keep_events: bool = True,
                communities: bool = True, abuse: Any = None,
                centrality: bool = True, profiles: Table = None) -> SocialGraph:
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
        was already seen in its table is skipped (``stats().duplicates_skipped``);
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
