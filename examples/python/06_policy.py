"""Policies: opt-outs, blocked pairs and team members filtered before the top-k cut,
per-recipient invite caps from recorded sends (reserved atomically), and documented
boosts and a fatigue penalty that show up in the reasons.

Run: python examples/python/06_policy.py
"""
import pandas as pd

import invitegraph as ig

DAY = 86_400
NOW = 1_700_000_000

# User 1 is friends with 2..9; the higher the id, the more they chat with 1.
chatters = [u for u in range(2, 10) for _ in range(u)]
g = ig.build_graph(
    friendships={"src": [1] * 8, "dst": list(range(2, 10))},
    interactions={"src": chatters, "dst": [1] * len(chatters),
                  "kind": ["chat"] * len(chatters), "ts": [NOW - DAY] * len(chatters)},
    as_of=NOW, progress=False)

print("Without a policy:")
print(ig.Recommender(g).recommend(inviter=1, k=4).to_string(index=False))

policy = ig.Policy(
    max_invites_per_recipient={"1d": 2, "7d": 5},   # recorded sends, across all inviters
    exclude=[9],                                     # opted out
    blocked_pairs=pd.DataFrame({"inviter": [1], "candidate": [8]}),
    new_user_boost=0.2, active_user_boost=0.1, fatigue_penalty=0.5,
)
rec = ig.Recommender(g, ranker="linear", policy=policy)

# 7 is already in the team; the list is still full (filters run before the cut).
team = ig.Campaign(members=[7])
print()
print("With the policy (9 opted out, 1-8 blocked, 7 in the team):")
print(rec.recommend(inviter=1, k=4, campaign=team).to_string(index=False))

# Send through reserve_invites: it checks the caps and records "sent" atomically, so
# caps hold even when many threads recommend and send at once.
granted = rec.reserve_invites(1, [6, 6, 6, 5], item=42, ts=NOW)
print()
print("Reserved [6, 6, 6, 5]:", granted.tolist())
print("Sends to 6 in the last day:", rec.recent_sends(6, "1d"))

print()
print("After the sends (6 is at its cap; 5 is fatigued):")
print(rec.recommend(inviter=1, k=4, campaign=team).to_string(index=False))
