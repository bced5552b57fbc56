"""Synthetic social-commerce worlds with known hidden truth (generated in C++)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Mapping, Optional, Union

import numpy as np
import pandas as pd

from . import _core
from ._progress import ProgressArg, progress_callback


@dataclass
class World:
    """The tables :func:`invitegraph.build_graph` takes, plus the hidden truth."""

    friendships: pd.DataFrame   # src, dst, tie (hidden tie strength)
    interactions: pd.DataFrame  # src, dst, kind, ts
    purchases: pd.DataFrame     # user, item, category, amount, ts
    campaigns: pd.DataFrame     # inviter, item, category, ts, invited, joined
    invitations: pd.DataFrame   # campaign (row), inviter, invitee, joined, join_prob (hidden)
    users: pd.DataFrame         # user, community, responsiveness, activity, abuse, abuse_group
    items: pd.DataFrame         # item, category
    interest: np.ndarray        # users x categories, rows sum to 1 (0 for planted accounts)
    # Planted abuse truth (empty without abuse): the honest beneficiary of each ring,
    # and the honest targets of each lockstep group.
    ring_beneficiary: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    lockstep_targets: List[np.ndarray] = field(default_factory=list)

    def tables(self) -> dict:
        """Keyword arguments for build_graph."""
        return dict(friendships=self.friendships[["src", "dst"]],
                    interactions=self.interactions, purchases=self.purchases,
                    campaigns=self.campaigns)


def _split(offsets: np.ndarray, values: np.ndarray) -> list:
    return np.split(values, offsets[1:-1]) if len(offsets) > 1 else []


#: Values of the ``abuse`` column of :attr:`World.users`, by code (C++ ``synth::AbuseKind``).
ABUSE_KINDS = ("honest", "ring", "lockstep")


def generate(n_users: int, seed: int = 0, *, avg_friends: float = 25.0,
             n_communities: int = 0, n_categories: int = 20, n_items: int = 0,
             interactions_per_friend: float = 2.0, purchases_per_user: float = 5.0,
             campaigns_per_user: float = 0.1, start: int = 1_700_000_000, days: float = 180.0,
             num_threads: int = 0, progress: ProgressArg = None,
             abuse: Optional[Mapping[str, Union[int, float]]] = None,
             participations_in_purchases: bool = False) -> World:
    """Generates a world of ``n_users`` users, deterministic for ``seed``.

    Communities, power-law friendships with hidden tie strengths, interactions that
    follow them, interest-driven purchases and a campaign history where joining depends
    on tie strength x item interest x responsiveness. Users are ids ``0..n_users-1``.

    Parameters
    ----------
    participations_in_purchases : bool
        As a group-buying shop's purchase log holds them (C++
        ``synth::Options::participations_in_purchases``): one purchase row per
        participant (the inviter and each joiner) of every honest campaign, of its item
        and category, at its time, at the item's price, after the interest-driven
        purchases (which stay as they are). Every participation is then in the data
        twice, as a campaign row and as a purchase: the trap of a purchase log that
        holds the training labels.
    abuse : mapping, optional
        Plants abuse with its truth returned (C++ ``synth::Abuse``; None or ``{}``
        plants nothing and leaves the world unchanged). Keys, with their defaults:
        ``ring_prevalence`` (0, share of all users in fake-assist rings),
        ``ring_size_min`` / ``ring_size_max`` (4 / 12), ``ring_assists_per_pair``
        (3, mean assists in each direction of every member pair, at least 1),
        ``ring_camouflage_friends`` (3, honest friends declared per member, each sent
        1-3 like/visit events), ``ring_purchase_share`` (0, members with 1-2 small
        purchases), ``lockstep_prevalence`` (0, share of all users that are lockstep
        clickers), ``lockstep_group_min`` / ``lockstep_group_max`` (8 / 20 clickers per
        group), ``lockstep_targets_min`` / ``lockstep_targets_max`` (10 / 40 honest
        targets per group), ``lockstep_window_seconds`` (300: each clicker assists each
        target of its group once, with probability 0.9, within one such window) and
        ``fresh_days`` (20: planted events fall in the last ``fresh_days`` days). Every
        member of a ring also assists the ring's honest beneficiary 2-5 times. An
        unknown key is a ValueError naming it.

        Honest users are ids ``0..n_honest-1`` and form exactly the world generated
        for ``n_honest`` users without abuse; planted accounts follow (rings, then
        lockstep groups), in no campaign, with community -1 and zero interest. Their
        rows come after the honest rows of each table.

    Returns
    -------
    World
        ``users`` gains the truth columns ``abuse`` (categorical "honest" / "ring" /
        "lockstep") and ``abuse_group`` (ring index for ring members, group index for
        clickers, -1 for honest users); ``ring_beneficiary`` holds each ring's
        beneficiary and ``lockstep_targets`` each group's targets.
    """
    with progress_callback(progress, "synth") as cb:
        d = _core.synth_generate(
            int(n_users), int(seed), avg_friends=avg_friends, n_communities=n_communities,
            n_categories=n_categories, n_items=n_items,
            interactions_per_friend=interactions_per_friend,
            purchases_per_user=purchases_per_user, campaigns_per_user=campaigns_per_user,
            start=start, days=days, num_threads=num_threads, progress=cb,
            abuse=None if abuse is None else dict(abuse),
            participations_in_purchases=bool(participations_in_purchases))
    names = np.array(_core.channel_names(), dtype=object)
    kinds = pd.Categorical.from_codes(d["inter_kind"].astype(np.int32), categories=names)
    campaigns = pd.DataFrame({
        "inviter": d["campaign_inviter"], "item": d["campaign_item"],
        "category": d["campaign_category"], "ts": d["campaign_ts"],
        "invited": _split(d["invited_offsets"], d["invited"]),
        "joined": _split(d["joined_offsets"], d["joined"]),
    })
    sizes = np.diff(d["invited_offsets"])
    row = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
    joined_pairs = {(int(r), int(u)) for r, us in enumerate(campaigns["joined"]) for u in us}
    invitations = pd.DataFrame({
        "campaign": row, "inviter": d["campaign_inviter"][row], "invitee": d["invited"],
        "joined": np.fromiter(((int(r), int(u)) in joined_pairs
                               for r, u in zip(row, d["invited"])), dtype=bool,
                              count=len(row)),
        "join_prob": d["invited_join_prob"],
    })
    n = int(n_users)
    return World(
        friendships=pd.DataFrame({"src": d["friend_src"], "dst": d["friend_dst"],
                                  "tie": d["friend_tie"]}),
        interactions=pd.DataFrame({"src": d["inter_src"], "dst": d["inter_dst"],
                                   "kind": kinds, "ts": d["inter_ts"]}),
        purchases=pd.DataFrame({"user": d["purchase_user"], "item": d["purchase_item"],
                                "category": d["purchase_category"],
                                "amount": d["purchase_amount"], "ts": d["purchase_ts"]}),
        campaigns=campaigns,
        invitations=invitations,
        users=pd.DataFrame({"user": np.arange(n, dtype=np.int64),
                            "community": d["user_community"],
                            "responsiveness": d["user_responsiveness"],
                            "activity": d["user_activity"],
                            "abuse": pd.Categorical.from_codes(
                                d["user_abuse"].astype(np.int8),
                                categories=list(ABUSE_KINDS)),
                            "abuse_group": d["user_abuse_group"].astype(np.int64)}),
        items=pd.DataFrame({"item": np.arange(len(d["item_category"]), dtype=np.int64),
                            "category": d["item_category"]}),
        interest=d["user_interest"].reshape(n, int(d["n_categories"])),
        ring_beneficiary=d["ring_beneficiary"],
        lockstep_targets=_split(d["lockstep_target_offsets"], d["lockstep_targets"]),
    )
