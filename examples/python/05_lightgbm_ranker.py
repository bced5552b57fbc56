"""A LightGBM model as the ranker, explained by TreeSHAP.

The documented path for any outside model: fit it on the leakage-free rows of
``ig.training_set`` (each past campaign's candidates, features as of its start, labelled
by who joined), then plug it in as ``ranker=``. Reasons are the largest positive TreeSHAP
contributions, ``predict(X, pred_contrib=True)``. Trees score each row on its own, so
``batch_rows`` can stack many requests into one ``predict_proba`` call in
``recommend_batch`` with identical results.

The settings below (few leaves, at least 200 rows per leaf, half the columns per tree, an
L2 penalty of 10) matched or beat the built-in logistic model on the synthetic world;
looser ones fell below it (docs/training.md, "Plug in your own model").

Run: python examples/python/05_lightgbm_ranker.py
"""
import numpy as np
from lightgbm import LGBMClassifier

import invitegraph as ig

world = ig.synth.generate(5000, seed=7, progress=False)
g = ig.build_graph(**world.tables(), progress=False)
campaigns = world.campaigns.sort_values(["ts", "inviter"], kind="stable")
# The first 80 % of the campaigns to learn from, the rest held out.
cut = int(campaigns["ts"].quantile(0.8))
past, held_out = campaigns[campaigns.ts < cut], campaigns[campaigns.ts >= cut]

rows = ig.training_set(g, past, progress=False)
model = LGBMClassifier(n_estimators=300, learning_rate=0.03, num_leaves=15,
                       min_child_samples=200, subsample=0.8, subsample_freq=1,
                       colsample_bytree=0.5, reg_lambda=10.0, random_state=0, n_jobs=1,
                       verbose=-1).fit(rows.X, rows.y, sample_weight=rows.weight)
print(f"fitted {type(model).__name__} on {len(rows):,} candidate rows "
      f"({int(rows.y.sum())} joined)")
gain = model.booster_.feature_importance("gain")
print("most used features:", ", ".join(rows.X.columns[np.argsort(gain)[::-1][:3]]))

rec = ig.Recommender(g, ranker=model, batch_rows=4096)
print(f"ranker: {rec.ranker_spec}\n")
for c in held_out.head(2).itertuples():
    top = rec.recommend(int(c.inviter), item=int(c.item), k=5)
    print(f"inviter {c.inviter}, item {c.item}; joined: {sorted(int(j) for j in c.joined)}")
    for r in top.itertuples():
        print(f"  {r.rank}. user {r.candidate:<6} p(join) {r.score:.3f}  {', '.join(r.reasons)}")
    print()

# Held-out quality next to the built-in models, on the rows serving would score
# (max_reasons=0 skips TreeSHAP, the costly part, where only the order matters).
report = ig.evaluate(ig.Recommender(g, ranker=model, max_reasons=0), held_out, k=10,
                     n_boot=200, baselines=False,
                     systems={"pairwise (default)": ig.fit_ranker(g, past, progress=False),
                              "linear (hand-set)": "linear"})
print(report[["ndcg@10", "ndcg@10_lo", "ndcg@10_hi"]].round(3).to_string())
