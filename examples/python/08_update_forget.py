"""Keep a graph current without re-reading history, and forget a user on request.

A synthetic shop's first 50 days are built once; the last 10 days arrive later and are
folded in with ``update`` (the base graph may have come from a snapshot: no events are
needed). Then one user asks to be forgotten: ``forget`` returns a graph with no trace of
them (tests/python/test_update.py scans the saved bytes for the user's id).

Run: python examples/python/08_update_forget.py
"""
import os
import tempfile

import numpy as np

import invitegraph as ig

DAY = 86_400
world = ig.synth.generate(3_000, seed=1, days=60.0, progress=False)
tables = world.tables()
t_split = 1_700_000_000 + 50 * DAY

old = {k: df[df["ts"] <= t_split] if "ts" in df else df for k, df in tables.items()}
new = {k: df[df["ts"] > t_split] for k, df in tables.items() if "ts" in df}

# Day 50: build and snapshot.
base = ig.build_graph(**old, as_of=t_split, progress=False, keep_events=False)
with tempfile.TemporaryDirectory() as tmp:
    base.save(os.path.join(tmp, "day50.igs"))
    base = ig.SocialGraph.load(os.path.join(tmp, "day50.igs"))

# Day 60: fold in the last 10 days' events (a new graph; `base` is unchanged).
as_of = int(max(df["ts"].max() for df in new.values()))
g = base.update(**new, as_of=as_of)
full = ig.build_graph(**tables, as_of=as_of, progress=False, keep_events=False)
a = g.arcs().set_index(["src", "dst"]).sort_index()
b = full.arcs().set_index(["src", "dst"]).sort_index()
rel = np.abs(a["tie_strength"] - b["tie_strength"]) / b["tie_strength"].clip(lower=1e-3)
print(f"updated with {sum(len(df) for df in new.values()):,} new rows: "
      f"{len(g):,} users, {g.num_arcs:,} arcs (rebuild: {len(full):,}, {full.num_arcs:,})")
print(f"largest relative tie-strength difference to the rebuild: {rel.max():.5f}")

# A user asks to be forgotten.
user = int(ig.Recommender(g).recommend(inviter=0, k=1)["candidate"][0])
forgotten = g.forget([user])
with tempfile.TemporaryDirectory() as tmp:
    forgotten.save(os.path.join(tmp, "forgotten.igs"))     # the snapshot has no trace
    forgotten = ig.SocialGraph.load(os.path.join(tmp, "forgotten.igs"))
print(f"forgot user {user}: {len(g) - len(forgotten)} user removed, "
      f"still in the graph: {user in forgotten}, still recommended: "
      f"{user in set(ig.Recommender(forgotten).recommend(inviter=0, k=10)['candidate'])}")
