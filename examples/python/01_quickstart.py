"""Quickstart: from event tables to an explained invite list.

Run: python examples/python/01_quickstart.py
"""
import pandas as pd

import invitegraph as ig

DAY = 86_400
NOW = 1_700_000_000

# Declared contacts (undirected).
friends = pd.DataFrame({"src": [123, 123, 123, 200, 201], "dst": [200, 201, 202, 201, 300]})
# What people did with each other: kind is one of ig.channel_names().
events = pd.DataFrame({
    "src": [123, 123, 200, 201, 202, 300],
    "dst": [200, 200, 123, 123, 123, 201],
    "kind": ["chat", "chat", "assist", "like", "visit", "chat"],
    "ts": [NOW - 1 * DAY, NOW - 3 * DAY, NOW - 2 * DAY, NOW - 40 * DAY, NOW - 90 * DAY,
           NOW - 5 * DAY],
})
# Who bought what (category is optional).
orders = pd.DataFrame({"user": [201, 202, 300], "item": [42, 7, 42], "category": [5, 9, 5],
                       "ts": [NOW - 10 * DAY, NOW - 20 * DAY, NOW - 4 * DAY]})
# Past team-ups: who joined whose campaign.
history = pd.DataFrame({"inviter": [200], "item": [42], "joined": [[201]], "ts": [NOW - 30 * DAY]})

g = ig.build_graph(friendships=friends, interactions=events, purchases=orders,
                   campaigns=history, config=ig.GraphConfig(half_life_days=30.0,
                                                            channel_weights={"assist": 1.5}))
print(g)

rec = ig.Recommender(g)
print("Whom should user 123 invite to a team-up for item 42?")
print(rec.recommend(inviter=123, item=42, k=3).to_string(index=False))
print()
print(rec.features(inviter=123, item=42)[["candidate", "tie_strength", "common_neighbors",
                                         "candidate_bought_item"]].to_string(index=False))
