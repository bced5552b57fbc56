"""Abuse resistance: fake-assist rings, lockstep helpers, reputation (C++: abuse.h)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np
import pandas as pd

from . import _core
from ._columns import int_column, kind_column, table_columns, ts_column
from ._errors import ArgumentTypeError, InvalidArgumentError, NotFoundError

if TYPE_CHECKING:  # _graph imports this module
    from ._graph import SocialGraph

AbuseOptions = _core.AbuseOptions

_EVIDENCE = _core.abuse_evidence_names()
_ARC_KINDS = _core.arc_abuse_kind_names()


def _evidence_frame(bits: np.ndarray) -> dict:
    return {name: (bits & np.uint32(1 << b)) != 0 for b, name in enumerate(_EVIDENCE)}


def _reason(ring_score: np.ndarray, lockstep_score: np.ndarray,
            flagged: np.ndarray) -> pd.Categorical:
    """The structural signal behind each flag: "ring", "lockstep" or "" (not flagged)."""
    out = np.where(~flagged, "", np.where(ring_score >= lockstep_score, "ring", "lockstep"))
    return pd.Categorical(out, categories=["", "ring", "lockstep"])


@dataclass
class AbuseReport:
    """What :func:`detect_abuse` found.

    Attributes
    ----------
    users : DataFrame
        One row per user of the graph (in the graph's node order): ``user``,
        ``suspicion`` and ``reputation`` in [0, 1], ``flagged`` and the other evidence
        flags (``fresh_account``, ``no_purchases``, ``ring_member``, ``lockstep``,
        ``taker``), ``reason`` (``"ring"``/``"lockstep"`` for flagged users), the scores
        behind them (``ring_score``, ``lockstep_score``), ``account_age_days`` (-1: never
        seen), decayed ``assists_given`` / ``assists_received``, ``ring`` and
        ``lockstep_group`` (-1: none), ``lockstep_partners``, ``lockstep_targets``.
    rings : DataFrame
        One row per ring: ``ring``, ``size``, ``density``, ``insularity``,
        ``fresh_share``, ``no_purchase_share``, ``score``.
    groups : DataFrame
        One row per lockstep group: ``group``, ``size``, ``targets``.
    arcs : DataFrame
        Arcs touching a suspicious user, both directions: ``src``, ``dst``,
        ``suspicion`` (the larger of the two ends'), ``kind`` (``"same_ring"``,
        ``"lockstep_assist"`` or ``"suspicious_end"``).
    stats : dict
        Counts, whether lockstep was computed (it needs assist events) and ``seconds``.
    """

    users: pd.DataFrame
    rings: pd.DataFrame
    groups: pd.DataFrame
    arcs: pd.DataFrame
    stats: dict = field(default_factory=dict)
    options: Optional[AbuseOptions] = None
    _evidence: np.ndarray = field(default=None, repr=False)

    @property
    def flagged(self) -> pd.DataFrame:
        """The flagged users' rows, most suspicious first."""
        f = self.users[self.users["flagged"]]
        return f.sort_values(["suspicion", "user"], ascending=[False, True])

    def evidence(self, user: int) -> list[str]:
        """The evidence names of one user, e.g. ``["fresh_account", "ring_member"]``."""
        rows = np.flatnonzero(self.users["user"].to_numpy() == int(user))
        if len(rows) == 0:
            raise NotFoundError(f"user {user} is not in the report")
        bits = int(self._evidence[rows[0]])
        return [n for b, n in enumerate(_EVIDENCE) if bits & (1 << b)]

    def __repr__(self) -> str:
        s = self.stats
        return (f"AbuseReport(users={s.get('users')}, flagged={s.get('flagged')}, "
                f"rings={s.get('rings')}, lockstep_groups={s.get('lockstep_groups')}, "
                f"lockstep_computed={s.get('lockstep_computed')})")


def _report(cols: dict, options: AbuseOptions) -> AbuseReport:
    u = cols["users"]
    ev = u["evidence"]
    flags = _evidence_frame(ev)
    users = pd.DataFrame({
        "user": u["user"], "suspicion": u["suspicion"], "reputation": u["reputation"],
        **flags,
        "reason": _reason(u["ring_score"], u["lockstep_score"], flags["flagged"]),
        "ring_score": u["ring_score"], "lockstep_score": u["lockstep_score"],
        "account_age_days": u["account_age_days"],
        "assists_given": u["assists_given"], "assists_received": u["assists_received"],
        "ring": u["ring"], "lockstep_group": u["lockstep_group"],
        "lockstep_partners": u["lockstep_partners"],
        "lockstep_targets": u["lockstep_targets"],
    })
    r = cols["rings"]
    rings = pd.DataFrame({"ring": np.arange(len(r["size"]), dtype=np.int32), **r})
    g = cols["groups"]
    groups = pd.DataFrame({"group": np.arange(len(g["size"]), dtype=np.int32), **g})
    a = cols["arcs"]
    arcs = pd.DataFrame({
        "src": a["src"], "dst": a["dst"], "suspicion": a["suspicion"],
        "kind": pd.Categorical.from_codes(a["kind"].astype(np.int8), categories=_ARC_KINDS),
    })
    return AbuseReport(users=users, rings=rings, groups=groups, arcs=arcs,
                       stats=dict(cols["stats"]), options=options, _evidence=ev)


def _make_options(kwargs: dict) -> AbuseOptions:
    for k in kwargs:
        if k not in AbuseOptions._fields:
            raise InvalidArgumentError(
                f"unknown abuse threshold {k!r}; valid: {', '.join(AbuseOptions._fields)}")
    return AbuseOptions(**kwargs)


def _options(options: Optional[AbuseOptions], kwargs: dict) -> AbuseOptions:
    if options is not None and kwargs:
        raise InvalidArgumentError("pass either options= or keyword thresholds, not both")
    return options if options is not None else _make_options(kwargs)


def detect_abuse(graph: SocialGraph, interactions: Any = None, *,
                 options: Optional[AbuseOptions] = None, **thresholds: Any) -> AbuseReport:
    """Scores every user of ``graph`` for abuse, with the evidence behind each score.

    Signals (formulas in docs/abuse.md, "Signals"): account age and purchases;
    rings of the reciprocal assist graph (dense blocks found by a triangle-support cut);
    lockstep assists (users who assisted the same targets within a short window, for
    several targets, CopyCatch style); and the balance of help given and received,
    which gives the "help before you ask" reputation.

    Parameters
    ----------
    graph : SocialGraph
    interactions : DataFrame (``src, dst, kind, ts``), optional
        The events lockstep is found in (only ``kind == "assist"`` rows are read; users
        outside the graph are skipped and counted in ``stats``). Default: the graph's
        kept events (``keep_events=True``, the Python default); without either, lockstep
        is not computed.
    options : AbuseOptions, optional
    **thresholds
        Or the :class:`AbuseOptions` fields as keywords (``fresh_days``,
        ``min_ring_size``, ``flag_above``, ...; ``help(ig.AbuseOptions)`` lists them
        with their defaults).

    Returns
    -------
    AbuseReport
        Attach its scores with ``graph.with_abuse(report)`` so features
        (``candidate_suspicion``, ``candidate_reputation``) and the policy
        (``exclude_suspicion_above``, ``suspicion_penalty``, ``suspicious_tie_discount``)
        see them.
    """
    opts = _options(options, thresholds)
    if interactions is None:
        return _report(_core.detect_abuse(graph, opts), opts)
    c = table_columns(interactions, "interactions", ("src", "dst", "kind", "ts"))
    codes, names = kind_column(c["kind"], "interactions")
    if "assist" in names:
        rows = np.flatnonzero(codes == names.index("assist"))
    else:
        rows = np.empty(0, dtype=np.int64)
    src = int_column(np.asarray(c["src"])[rows], "interactions", "src")
    dst = int_column(np.asarray(c["dst"])[rows], "interactions", "dst")
    ts = ts_column(np.asarray(c["ts"])[rows] if len(rows) else np.empty(0, np.int64),
                   "interactions")
    return _report(_core.detect_abuse(graph, opts, src=src, dst=dst, ts=ts), opts)


def build_abuse_options(abuse: Union[None, bool, dict, AbuseOptions]) -> Optional[AbuseOptions]:
    """``build_graph(abuse=...)``: None/False (no scores), True (defaults), a dict of
    thresholds, or AbuseOptions."""
    if abuse is None or abuse is False:
        return None
    if abuse is True:
        return AbuseOptions()
    if isinstance(abuse, AbuseOptions):
        return abuse
    if isinstance(abuse, dict):
        return _make_options(abuse)
    raise ArgumentTypeError(f"abuse: expected None, a bool, a dict or AbuseOptions, got {abuse!r}")
