"""User attributes and campaign audiences.

Profiles carry who each user is (region, age band, interest tags, any number); a
campaign's audience is an expression over the candidate's and the inviter's
attributes, compiled once in C++ and applied to every candidate before the top-k cut.
The attribute features (same_region, same_age_band, tag_overlap, category_tag_match)
let a fitted ranker learn from the same columns.

Run: python examples/python/14_audiences.py
"""
import numpy as np
import pandas as pd

import invitegraph as ig

world = ig.synth.generate(3_000, seed=5, progress=False)
tables = world.tables()

# Profiles for every user: strings become categories, lists become tags, numbers stay.
rng = np.random.default_rng(5)
users = np.unique(np.concatenate([tables["friendships"]["src"], tables["friendships"]["dst"]]))
interests = ["skincare", "baby", "sports", "books", "games"]
profiles = pd.DataFrame({
    "user": users,
    "region": rng.choice(["north", "south", "east", "west"], len(users)),
    "age_band": pd.Categorical(rng.choice(["18-24", "25-30", "31-35", "36+"], len(users))),
    "tags": [list(rng.choice(interests, rng.integers(0, 3), replace=False)) for _ in users],
    "signup_ts": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 600, len(users)),
                                                             unit="D"),
})
g = ig.build_graph(**tables, profiles=profiles, progress=False, communities=False)
print(g.attributes().query("not builtin")[["name", "type", "values"]].to_string(index=False))

# Category 2's shoppers care about skincare and baby products.
rec = ig.Recommender(g, attribute_features={"category_tags": {2: ["skincare", "baby"]}})
inviter = int(next(u for u, t in zip(users, profiles["tags"]) if "skincare" in t))
crowd = ig.Campaign(category=2, audience="age_band in ['25-30', '31-35'] and "
                                         "'skincare' in tags and region == inviter.region")
print("\neveryone:\n", rec.recommend(inviter, k=5, category=2)[["candidate", "score"]])
top = rec.recommend(inviter, k=5, campaign=crowd)
print("audience:\n", top[["candidate", "score"]])
p = g.profiles().set_index("user")
print(p.loc[top["candidate"], ["region", "age_band", "tags"]])

# One audience for a whole batch: compiled once, evaluated per candidate in C++.
batch = rec.recommend_batch(users[:200], k=5,
                            audience="'skincare' in tags and activity_30d >= 1")
print(f"\nbatch: {len(batch)} suggestions for 200 inviters, all active skincare fans:",
      bool(all(("skincare" in p.loc[c, "tags"]) for c in batch["candidate"])))

# Typos and type errors are caught when the campaign is set up.
try:
    rec.audience("age_band < 30")
except ValueError as e:
    print("\n" + str(e))

print("\nattribute features of the first candidates:")
print(rec.features(inviter, category=2)[["candidate", "same_region", "same_age_band",
                                          "tag_overlap", "category_tag_match"]]
      .sort_values("tag_overlap", ascending=False).head())
