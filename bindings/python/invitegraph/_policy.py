"""Policies (filters and score adjustments before the top-k cut) and campaigns."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

import numpy as np
import pandas as pd

from . import _core
from ._columns import int_column

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")


def _seconds(window: Any) -> int:
    """Seconds of a cap window: "1d", "12h", "30m", "45s", "2w", an int or a Timedelta."""
    if isinstance(window, str):
        m = _DURATION.match(window)
        if not m:
            raise ValueError(f"max_invites_per_recipient: window {window!r}: expected e.g. "
                             "'1d', '12h', '30m', '45s', '2w' or seconds")
        return int(m.group(1)) * _UNITS[m.group(2)]
    if isinstance(window, (pd.Timedelta, np.timedelta64)) or hasattr(window, "total_seconds"):
        return int(pd.Timedelta(window).total_seconds())
    if isinstance(window, (int, np.integer)) and not isinstance(window, bool):
        return int(window)
    raise ValueError(f"max_invites_per_recipient: window {window!r}: expected e.g. '1d' or "
                     "seconds")


def _pairs(blocked: Any) -> list[tuple[int, int]]:
    if blocked is None:
        return []
    if isinstance(blocked, pd.DataFrame):
        cols = [c for c in ("inviter", "candidate") if c in blocked.columns]
        if len(cols) != 2:
            if blocked.shape[1] != 2:
                raise ValueError("blocked_pairs: expected columns inviter, candidate (or two "
                                 f"columns), got {list(blocked.columns)}")
            cols = list(blocked.columns)
        a = int_column(blocked[cols[0]].to_numpy(), "blocked_pairs", "inviter")
        b = int_column(blocked[cols[1]].to_numpy(), "blocked_pairs", "candidate")
    else:
        arr = np.asarray(list(blocked) if not hasattr(blocked, "shape") else blocked)
        if arr.size == 0:
            return []
        if arr.ndim != 2 or arr.shape[1] != 2:
            raise ValueError("blocked_pairs: expected (inviter, candidate) pairs, got shape "
                             f"{arr.shape}")
        a = int_column(arr[:, 0], "blocked_pairs", "inviter")
        b = int_column(arr[:, 1], "blocked_pairs", "candidate")
    return list(zip(a.tolist(), b.tolist()))


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

    The inviter and the campaign's ``members`` are always removed. Filters run before the
    cut, so a list has exactly ``k`` rows whenever ``k`` candidates survive them. The
    suggestion ``score`` is the adjusted score the list is ordered by.
    """

    def __init__(self, max_invites_per_recipient: Optional[dict] = None,
                 exclude: Optional[Iterable[int]] = None, blocked_pairs: Any = None,
                 new_user_boost: float = 0.0, active_user_boost: float = 0.0,
                 fatigue_penalty: float = 0.0):
        caps = [(_seconds(w), int(n)) for w, n in (max_invites_per_recipient or {}).items()]
        ex = [] if exclude is None else int_column(
            np.asarray(list(exclude), dtype=np.int64), "policy", "exclude").tolist()
        self._p = _core.Policy(exclude=ex, blocked_pairs=_pairs(blocked_pairs),
                               max_invites_per_recipient=caps,
                               new_user_boost=float(new_user_boost),
                               active_user_boost=float(active_user_boost),
                               fatigue_penalty=float(fatigue_penalty))

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

    def __repr__(self) -> str:
        return (f"Policy(max_invites_per_recipient={self.max_invites_per_recipient}, "
                f"exclude=<{len(self._p.exclude)} ids>, "
                f"blocked_pairs=<{len(self._p.blocked_pairs)} pairs>, "
                f"new_user_boost={self.new_user_boost}, "
                f"active_user_boost={self.active_user_boost}, "
                f"fatigue_penalty={self.fatigue_penalty})")


@dataclass(frozen=True)
class Campaign:
    """What an inviter is recruiting for.

    ``item`` and ``category`` as in :meth:`Recommender.recommend`; ``members`` are the
    team's current members, never suggested.
    """

    item: Optional[int] = None
    category: Optional[int] = None
    members: tuple = field(default_factory=tuple)
