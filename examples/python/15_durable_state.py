"""Recipient protection that survives a restart: caps and fatigue kept in a journal
(``state="journal:DIR"``), so a service that crashes or is redeployed does not invite the
same people again. With several replicas, ``state="redis://HOST:PORT"`` shares one cap
across all of them (docs/state.md).

Run: python examples/python/15_durable_state.py
"""
import tempfile

import invitegraph as ig

DAY = 86_400
NOW = 1_700_000_000

graph = ig.build_graph(friendships={"src": [1, 1, 1, 1, 1], "dst": [2, 3, 4, 5, 6]},
                       as_of=NOW, progress=False)


def open_recommender(directory: str) -> ig.Recommender:
    """At most two invites per recipient a week, kept in the journal `directory`."""
    return ig.Recommender(graph, policy=ig.Policy(max_invites_per_recipient={"7d": 2}),
                          time_limits=ig.TimeLimits(now=NOW + DAY),  # a repeatable run
                          state=f"journal:{directory}")


with tempfile.TemporaryDirectory() as tmp:
    rec = open_recommender(tmp)
    # Two campaigns invite user 2; each grant is on disk when the call returns.
    print("first campaign, invite 2 and 3:", rec.reserve_invites(1, [2, 3], item=42, ts=NOW))
    print("second campaign, invite 2:", rec.reserve_invites(1, [2], item=43, ts=NOW + 60))
    del rec  # the process "crashes": everything in memory is gone

    rec = open_recommender(tmp)
    print(f"after the restart: {rec.state_info()['replayed_events']} events replayed, "
          f"2 has {rec.recent_sends(2, 7 * DAY)} sends this week")
    granted = rec.reserve_invites(1, [2, 4], item=44, ts=NOW + 120)
    print("third campaign, invite 2 and 4:", granted)
    assert granted.tolist() == [False, True]  # 2 is at the cap, across the restart
    del rec
