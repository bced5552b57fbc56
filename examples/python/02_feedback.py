"""Feedback loop: record what happened to sent invites, see the next recommendation
change, and turn the outcome log into campaign history for the next graph build.

Run: python examples/python/02_feedback.py
"""
import pandas as pd

import invitegraph as ig

DAY = 86_400
NOW = 1_700_000_000

# User 123 is friends with 200..203; 200 chats with 123 a lot, 201 and 202 bought item 42.
friends = pd.DataFrame({"src": [123, 123, 123, 123], "dst": [200, 201, 202, 203]})
events = pd.DataFrame({"src": [200, 200, 123], "dst": [123, 123, 200],
                       "kind": ["chat", "chat", "chat"],
                       "ts": [NOW - 1 * DAY, NOW - 2 * DAY, NOW]})
orders = pd.DataFrame({"user": [201, 202], "item": [42, 42], "ts": [NOW - 3 * DAY, NOW - 9 * DAY]})
g = ig.build_graph(friendships=friends, interactions=events, purchases=orders, progress=False)

rec = ig.Recommender(g, fatigue_half_life_days=7.0)
print("Before feedback:")
print(rec.recommend(inviter=123, item=42, k=3).to_string(index=False))

# One "sent" row per invite, then its outcome: 200 declined three invites this week,
# 202 accepted one.
log = pd.DataFrame({
    "inviter": [123] * 8,
    "invitee": [200, 200, 200, 200, 200, 200, 202, 202],
    "item": [42] * 8,
    "ts": [NOW - 6 * DAY, NOW - 6 * DAY + 3600, NOW - 3 * DAY, NOW - 3 * DAY + 3600, NOW,
           NOW + 3600, NOW - 6 * DAY, NOW - 5 * DAY],
    "outcome": ["sent", "declined", "sent", "declined", "sent", "declined", "sent",
                "accepted"],
})
print()
print("Recorded:", rec.record_outcomes(log))
for user in (200, 202):
    state = rec.feedback_for(user)
    print(f"  user {user}: accept rate {state.accept_rate:.3f}, "
          f"fatigue {state.fatigue:.3f}")

print()
print("After feedback (the very next call sees it):")
print(rec.recommend(inviter=123, item=42, k=3).to_string(index=False))

# The same log as campaign history, in build_graph's `campaigns` layout.
history = ig.history_from_outcomes(log)
print()
print(history.to_string(index=False))
g2 = ig.build_graph(friendships=friends, interactions=events, purchases=orders,
                    campaigns=history, progress=False)
print(f"user 202 has now joined {int(g2.profile(202)['joins'])} campaign(s)")
