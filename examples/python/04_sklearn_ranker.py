"""Your own model as the ranker: learn from past team-ups with scikit-learn, rank with it.

Features come from ``rec.features(inviter, item)`` -- the very rows the recommender
scores -- labelled by who joined each past campaign. The fitted model plugs in as
``ig.Recommender(g, ranker=model)``; a linear model is explained by ``coef_ * x``.

Run: python examples/python/04_sklearn_ranker.py
"""
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

import invitegraph as ig

world = ig.synth.generate(8000, seed=7, progress=False)
campaigns = world.campaigns.sort_values(["ts", "inviter"], kind="stable")
# Features as of t1 for the campaigns of (t1, t2] to learn from; held-out campaigns after t2.
t1, t2 = (int(t) for t in campaigns["ts"].quantile([0.5, 0.8]))


def graph_as_of(t: int) -> ig.SocialGraph:
    return ig.build_graph(friendships=world.friendships[["src", "dst"]],
                          interactions=world.interactions[world.interactions.ts <= t],
                          purchases=world.purchases[world.purchases.ts <= t],
                          campaigns=campaigns[campaigns.ts <= t], as_of=t, progress=False)


def labelled_rows(rec: ig.Recommender, past: pd.DataFrame):
    """One row per (campaign, candidate) with the recommender's features; 1 if they joined."""
    xs, ys = [], []
    for c in past.itertuples():
        if int(c.inviter) not in rec.graph:
            continue
        rows = rec.features(int(c.inviter), item=int(c.item))
        xs.append(rows.drop(columns="candidate"))
        ys.append(rows["candidate"].isin(c.joined).astype(int))
    return pd.concat(xs, ignore_index=True), pd.concat(ys, ignore_index=True)


x, y = labelled_rows(ig.Recommender(graph_as_of(t1)), campaigns[(campaigns.ts > t1) &
                                                                  (campaigns.ts <= t2)])
model = LogisticRegression(solver="liblinear").fit(x, y)  # raw columns: coef_ * x explains
print(f"fitted {type(model).__name__} on {len(x):,} candidate rows ({int(y.sum())} joined)")
weights = pd.Series(model.coef_[0], index=x.columns).sort_values()
print("largest weights:", ", ".join(f"{k} {v:+.2f}" for k, v in weights.tail(3)[::-1].items()))

g = graph_as_of(t2)
rec = ig.Recommender(g, ranker=model)
print(f"ranker: {rec.ranker_spec}\n")
held_out = campaigns[(campaigns.ts > t2) & campaigns.inviter.map(lambda u: int(u) in g)]
for c in held_out.head(2).itertuples():
    top = rec.recommend(int(c.inviter), item=int(c.item), k=5)
    print(f"inviter {c.inviter}, item {c.item}; joined: {sorted(int(j) for j in c.joined)}")
    for r in top.itertuples():
        print(f"  {r.rank}. user {r.candidate:<6} p(join) {r.score:.3f}  {', '.join(r.reasons)}")
    print()


def hit_rate(rec: ig.Recommender) -> float:
    """Share of held-out campaigns with a joiner where some joiner is in the top 10."""
    top = rec.recommend_batch(held_out.inviter, held_out.item, k=10, progress=False)
    lists = top.groupby(["inviter", "item"], sort=False)["candidate"].apply(set)
    hits = [bool(lists.get((int(c.inviter), int(c.item)), set()) & set(map(int, c.joined)))
            for c in held_out.itertuples() if len(c.joined)]
    return float(np.mean(hits))


print(f"held-out hit rate@10: {type(model).__name__} {hit_rate(rec):.3f}, "
      f"built-in linear {hit_rate(ig.Recommender(g)):.3f}")
