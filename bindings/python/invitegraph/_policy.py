"""Policies (filters and score adjustments before the top-k cut) and campaigns."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Collection, Iterable, Optional

import numpy as np
import pandas as pd

from . import _core
from ._columns import int_column, unix_seconds
from ._errors import ArgumentTypeError, InvalidArgumentError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")


def _seconds(window: Any, name: str = "max_invites_per_recipient") -> int:
    """Seconds of a window: "1d", "12h", "30m", "45s", "2w", an int or a Timedelta."""
    if isinstance(window, str):
        m = _DURATION.match(window)
        if not m:
            raise InvalidArgumentError(f"{name}: window {window!r}: expected e.g. "
                                       "'1d', '12h', '30m', '45s', '2w' or seconds")
        return int(m.group(1)) * _UNITS[m.group(2)]
    if isinstance(window, (pd.Timedelta, np.timedelta64)) or hasattr(window, "total_seconds"):
        return int(pd.Timedelta(window).total_seconds())
    if isinstance(window, (int, np.integer)) and not isinstance(window, bool):
        return int(window)
    raise InvalidArgumentError(f"{name}: window {window!r}: expected e.g. '1d' or seconds")


def _pairs(blocked: Any) -> list[tuple[int, int]]:
    if blocked is None:
        return []
    if isinstance(blocked, pd.DataFrame):
        cols = [c for c in ("inviter", "candidate") if c in blocked.columns]
        if len(cols) != 2:
            if blocked.shape[1] != 2:
                raise InvalidArgumentError(
                    "blocked_pairs: expected columns inviter, candidate (or two "
                    f"columns), got {list(blocked.columns)}")
            cols = list(blocked.columns)
        a = int_column(blocked[cols[0]].to_numpy(), "blocked_pairs", "inviter")
        b = int_column(blocked[cols[1]].to_numpy(), "blocked_pairs", "candidate")
    else:
        arr = np.asarray(list(blocked) if not hasattr(blocked, "shape") else blocked)
        if arr.size == 0:
            return []
        if arr.ndim != 2 or arr.shape[1] != 2:
            raise InvalidArgumentError(
                "blocked_pairs: expected (inviter, candidate) pairs, got shape "
                f"{arr.shape}")
        a = int_column(arr[:, 0], "blocked_pairs", "inviter")
        b = int_column(arr[:, 1], "blocked_pairs", "candidate")
    return list(zip(a.tolist(), b.tolist()))


def _policy_from_kwargs(kwargs: dict) -> "Policy":
    return Policy(**kwargs)


class Policy:
    """Campaign rules a :class:`Recommender` applies to every request before the top-k cut.

    Parameters
    ----------
    max_invites_per_recipient : dict, optional
        ``{window: max}``, e.g. ``{"1d": 3, "7d": 10}`` (windows as ``"45s"``, ``"30m"``,
        ``"12h"``, ``"1d"``, ``"2w"``, seconds or Timedelta). A recipient with ``max`` or
        more *recorded* ``sent`` outcomes (across all inviters) in any window ending at the
        recommender's "now" is not suggested. A recommendation is not a send: record
        ``sent`` when you send, or reserve with :meth:`Recommender.reserve_invites`, which
        checks and records atomically so caps hold under concurrency.
    exclude : iterable of user ids, optional
        Never suggested (opt-outs).
    blocked_pairs : DataFrame with columns ``inviter, candidate``, or (inviter, candidate) pairs
        That inviter is never shown that candidate.
    new_user_boost : float
        Added to the score of candidates with ``candidate_is_new == 1`` (reason
        ``"new_user_boost"``).
    active_user_boost : float
        Added to the score of candidates with any activity in the last 7 days
        (``candidate_activity_7d > 0``; reason ``"active_user_boost"``).
    fatigue_penalty : float, >= 0
        ``fatigue_penalty * log1p(candidate_fatigue)`` is subtracted (reason ``"fatigued"``).
    diversity : float in [0, 1]
        0 (default) keeps the score order. Higher spreads the list across the graph's
        communities (:meth:`SocialGraph.communities`): with ``r`` the adjusted scores
        rescaled to [0, 1] over the request's surviving candidates and ``n`` how many
        were already picked from a candidate's community, each pick takes the candidate
        maximising ``r - diversity * n``. At 1 every community gets one pick before any
        gets a second. A candidate picked ahead of a better-scored one carries the reason
        ``"diversifies_list"``. Needs a graph built with communities.
    urgency_window : window, optional (default: the C++ Policy's, one day)
        Urgency grows linearly from 0, this long before a campaign's ``ends_at``, to 1 at
        the end (the recommender's "now" is the latest of the graph's ``as_of`` and every
        recorded outcome). As it grows, the 2-hop pool widens to ``max_two_hop * (1 +
        urgency * (urgency_two_hop_factor - 1))``, diversity relaxes to ``diversity *
        (1 - urgency)``, and, with ``urgency_raises_k`` and a ``team_size``, ``k`` rises to
        ``k + round(urgency * (still_needed - k))`` when the team needs more than ``k``.
    urgency_two_hop_factor : float, >= 1
    urgency_raises_k : bool
    exclude_suspicion_above : float in [0, 1], optional (default 1: never)
        Abuse (:func:`invitegraph.detect_abuse`): candidates whose ``candidate_suspicion``
        exceeds this are dropped. Needs a graph with abuse scores
        (:meth:`SocialGraph.with_abuse`, ``build_graph(abuse=True)``); on a graph without
        them suspicion is 0 and nothing happens.
    penalize_suspicion_above : float in [0, 1], optional (default 0)
    suspicion_penalty : float, >= 0
        Candidates with suspicion above ``penalize_suspicion_above`` lose
        ``suspicion_penalty * suspicion`` (reason ``"suspected_abuse"``).
    suspicious_tie_discount : float in [0, 1]
        Scales the inviter-candidate arc's ``tie_strength``, ``reverse_tie_strength`` and
        channel-weight features by ``1 - suspicious_tie_discount * s`` before scoring, with
        ``s`` the larger suspicion of the two.

    The inviter and the campaign's ``members`` are always removed. Filters run before the
    cut, so a list has exactly ``k`` rows whenever ``k`` candidates survive them. The
    suggestion ``score`` is the adjusted score the list is ordered by. A parameter left
    None keeps the value of a default C++ ``Policy`` (``help(invitegraph._core.Policy)``
    lists them); the default Policy filters nothing and adjusts nothing.
    """

    def __init__(self, max_invites_per_recipient: Optional[dict] = None,
                 exclude: Optional[Iterable[int]] = None, blocked_pairs: Any = None,
                 new_user_boost: Optional[float] = None,
                 active_user_boost: Optional[float] = None,
                 fatigue_penalty: Optional[float] = None, diversity: Optional[float] = None,
                 urgency_window: Any = None, urgency_two_hop_factor: Optional[float] = None,
                 urgency_raises_k: Optional[bool] = None,
                 exclude_suspicion_above: Optional[float] = None,
                 penalize_suspicion_above: Optional[float] = None,
                 suspicion_penalty: Optional[float] = None,
                 suspicious_tie_discount: Optional[float] = None):
        # None: the C++ Policy's default (read from the bound struct, never restated).
        if max_invites_per_recipient is not None and \
                not isinstance(max_invites_per_recipient, dict):
            raise ArgumentTypeError(
                        f"max_invites_per_recipient={max_invites_per_recipient!r}: expected a dict "
                        f"such as {{'1d': 2}}")
        caps = [(_seconds(w), _core.exact_int(n, f"max_invites_per_recipient[{w!r}]", 0, 2**31 - 1))
                for w, n in (max_invites_per_recipient or {}).items()]
        ex = () if exclude is None else _core.exact_ints(exclude, "policy.exclude")
        fields = dict(exclude=ex, blocked_pairs=_pairs(blocked_pairs),
                      max_invites_per_recipient=caps, new_user_boost=new_user_boost,
                      active_user_boost=active_user_boost, fatigue_penalty=fatigue_penalty,
                      diversity=diversity,
                      urgency_window_seconds=None if urgency_window is None
                      else _seconds(urgency_window, "urgency_window"),
                      urgency_two_hop_factor=urgency_two_hop_factor,
                      urgency_raises_k=None if urgency_raises_k is None
                      else bool(urgency_raises_k),
                      exclude_suspicion_above=exclude_suspicion_above,
                      penalize_suspicion_above=penalize_suspicion_above,
                      suspicion_penalty=suspicion_penalty,
                      suspicious_tie_discount=suspicious_tie_discount)
        self._p = _core.Policy(**{k: v for k, v in fields.items() if v is not None})

    def __reduce__(self):
        kwargs = dict(max_invites_per_recipient=self.max_invites_per_recipient,
                      exclude=self.exclude, blocked_pairs=self.blocked_pairs,
                      new_user_boost=self.new_user_boost,
                      active_user_boost=self.active_user_boost,
                      fatigue_penalty=self.fatigue_penalty, diversity=self.diversity,
                      urgency_window=self.urgency_window,
                      urgency_two_hop_factor=self.urgency_two_hop_factor,
                      urgency_raises_k=self.urgency_raises_k,
                      exclude_suspicion_above=self.exclude_suspicion_above,
                      penalize_suspicion_above=self.penalize_suspicion_above,
                      suspicion_penalty=self.suspicion_penalty,
                      suspicious_tie_discount=self.suspicious_tie_discount)
        return (_policy_from_kwargs, (kwargs,))

    @property
    def max_invites_per_recipient(self) -> dict:
        """``{window_seconds: max}``."""
        return dict(self._p.max_invites_per_recipient)

    @property
    def exclude(self) -> list:
        return list(self._p.exclude)

    @property
    def blocked_pairs(self) -> list:
        return list(self._p.blocked_pairs)

    @property
    def new_user_boost(self) -> float:
        return self._p.new_user_boost

    @property
    def active_user_boost(self) -> float:
        return self._p.active_user_boost

    @property
    def fatigue_penalty(self) -> float:
        return self._p.fatigue_penalty

    @property
    def diversity(self) -> float:
        return self._p.diversity

    @property
    def urgency_window(self) -> int:
        """Seconds."""
        return self._p.urgency_window_seconds

    @property
    def urgency_two_hop_factor(self) -> float:
        return self._p.urgency_two_hop_factor

    @property
    def urgency_raises_k(self) -> bool:
        return self._p.urgency_raises_k

    @property
    def exclude_suspicion_above(self) -> float:
        return self._p.exclude_suspicion_above

    @property
    def penalize_suspicion_above(self) -> float:
        return self._p.penalize_suspicion_above

    @property
    def suspicion_penalty(self) -> float:
        return self._p.suspicion_penalty

    @property
    def suspicious_tie_discount(self) -> float:
        return self._p.suspicious_tie_discount

    def __repr__(self) -> str:
        return (f"Policy(max_invites_per_recipient={self.max_invites_per_recipient}, "
                f"exclude=<{len(self._p.exclude)} ids>, "
                f"blocked_pairs=<{len(self._p.blocked_pairs)} pairs>, "
                f"new_user_boost={self.new_user_boost}, "
                f"active_user_boost={self.active_user_boost}, "
                f"fatigue_penalty={self.fatigue_penalty}, diversity={self.diversity}, "
                f"urgency_window={self.urgency_window}, "
                f"urgency_two_hop_factor={self.urgency_two_hop_factor}, "
                f"urgency_raises_k={self.urgency_raises_k}, "
                f"exclude_suspicion_above={self.exclude_suspicion_above}, "
                f"penalize_suspicion_above={self.penalize_suspicion_above}, "
                f"suspicion_penalty={self.suspicion_penalty}, "
                f"suspicious_tie_discount={self.suspicious_tie_discount})")


@dataclass(frozen=True)
class Campaign:
    """What an inviter is recruiting for.

    ``item`` and ``category`` as in :meth:`Recommender.recommend`. ``members`` are the
    team's current members besides the inviter, never suggested. ``team_size`` counts
    everyone the team needs, the inviter included (0: not a team campaign), so the team
    still needs ``team_size - 1 - len(members)`` joiners. ``ends_at`` (unix seconds, a
    timestamp or a date string) drives the policy's urgency. ``audience`` is an
    expression over the candidate's (and ``inviter.``) attributes, e.g. ``"age_band in
    ['25-30'] and 'skincare' in tags and region == inviter.region"``: only its members
    are ranked, before the cut (see :meth:`Recommender.audience` and
    docs/audiences.md, "Audiences").
    """

    item: Optional[int] = None
    category: Optional[int] = None
    members: Collection[int] = field(default_factory=tuple)  # kept as a tuple of ints
    team_size: int = 0
    ends_at: Any = None
    audience: Optional[str] = None

    def __post_init__(self) -> None:
        # Ids and counts under the one rule of _core.exact_int: 2.5 is refused, not cut.
        for name in ("item", "category"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, _core.exact_int(value, f"campaign.{name}"))
        object.__setattr__(self, "team_size",
                           _core.exact_int(self.team_size, "campaign.team_size", 0, 2**31 - 1))
        object.__setattr__(self, "members", tuple(
            _core.exact_ints(self.members, "campaign.members").tolist()))
        object.__setattr__(self, "ends_at", unix_seconds(self.ends_at, "ends_at"))
        if self.audience is not None and not isinstance(self.audience, str):
            raise ArgumentTypeError(f"audience: expected an expression string, got "
                                    f"{type(self.audience).__name__}")
