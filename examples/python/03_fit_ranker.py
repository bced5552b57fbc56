"""Learning to rank from campaign history: leakage-free training rows, a ranker fitted
in C++ and checked with the leakage report, a LightGBM model plugged in, and the
feedback loop -- on a synthetic world.

Run: python examples/python/03_fit_ranker.py
"""
import os
import tempfile

import lightgbm as lgb
import numpy as np
import pandas as pd

import invitegraph as ig
from invitegraph.evaluation import compare_rankers

# A world with a campaign history: who started a team-up for which item, whom they
# invited, who joined. The graph keeps its events (keep_events=True, the default), so
# each training record's features can be computed as of its own start time.
world = ig.synth.generate(n_users=2000, seed=5, campaigns_per_user=0.3, progress=False)
tables = world.tables()
g = ig.build_graph(**tables, progress=False)
history = tables["campaigns"]                       # inviter, item, category, ts, invited, joined
cut = history["ts"].quantile(0.8)
train_df, test_df = history[history["ts"] < cut], history[history["ts"] >= cut]

# 1. The built-in pairwise model, fitted in C++ on leakage-free rows and calibrated: the
#    defaults are the recipe (pairwise, one-day as-of steps, every candidate with the
#    never-invited as negatives).
ranker = ig.fit_ranker(g, train_df)
print("training rows:", ranker.training_report["rows"],
      "positives:", ranker.training_report["positives"],
      "leakage-free graphs:", ranker.training_report["graphs_built"])
rec = ig.Recommender(g, ranker=ranker)
inviter, item = int(test_df["inviter"].iloc[0]), int(test_df["item"].iloc[0])
print(f"\nTop 5 for user {inviter}, item {item} (score = P(join)):")
print(rec.recommend(inviter=inviter, item=item, k=5).to_string(index=False))

# Before trusting it: does a feature separate joiners far better in the training rows than
# in rows built as serving builds them (a feature reading the label would)?
leakage = ig.leakage_report(g, train_df, test_df)
print("\nLeakage report:", leakage.attrs["note"])

path = os.path.join(tempfile.mkdtemp(), "ranker.json")
ranker.save(path)
ranker = ig.load_ranker(path)                      # spec, weights, feature schema, version

# 2. Any model: the same rows as a pandas frame, LightGBM on top.
X, y, group = ig.training_frame(g, train_df)
model = lgb.LGBMClassifier(n_estimators=300, learning_rate=0.03, num_leaves=15,
                           min_child_samples=200, subsample=0.8, subsample_freq=1,
                           colsample_bytree=0.5, reg_lambda=10.0, random_state=0,
                           verbose=-1).fit(X, y)
rec_lgb = ig.Recommender(g, ranker=model)          # reasons from TreeSHAP
print(f"\nLightGBM, same request:")
print(rec_lgb.recommend(inviter=inviter, item=item, k=5).to_string(index=False))

# 3. Held-out campaigns: learned models against the hand-set one and single features.
test = ig.training_set(g, test_df, progress=False)
table = compare_rankers(test, {"pairwise": ranker, "lightgbm": model, "linear": "linear"},
                        k=10, history=test_df.reset_index(drop=True))
print("\nHeld-out campaigns (NDCG@10 counts every joiner):")
print(table.head(6).to_string(index=False, float_format=lambda v: f"{v:.3f}"))

# 4. Feedback: what happened to the invites just sent updates the next request. The
#    learned model above was trained without an outcome log (accept rate and fatigue were
#    constant in its rows, so it gives them no weight; pass ``outcomes=log`` to
#    fit_ranker / training_set to learn them); the hand-set ranker weighs them.
rec = ig.Recommender(g)
top = rec.recommend(inviter=inviter, item=item, k=3)
print(f"\nHand-set ranker before feedback: {top['candidate'].tolist()}")
outcomes = pd.DataFrame({
    "inviter": inviter, "invitee": np.repeat(top["candidate"].to_numpy(), 2),
    "item": item, "ts": int(g.as_of),
    "outcome": ["sent", "declined"] * len(top)})
print("recorded:", rec.record_outcomes(outcomes))
after = rec.recommend(inviter=inviter, item=item, k=3)
print(f"after all three declined: {after['candidate'].tolist()}")
print("\nThe same log as training history:")
print(ig.history_from_outcomes(outcomes).to_string(index=False))
