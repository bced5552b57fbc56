"""Influence features: PageRank, k-core number and local clustering of every user.

Computed once per build (in parallel, identical for any thread count) on the contact
graph, with NetworkX's definitions, and fed to the rankers as ``candidate_pagerank``
(PageRank x number of users, 1 = average), ``candidate_core_number`` and
``candidate_clustering``.

Run: python examples/python/12_centrality.py
"""
import invitegraph as ig

world = ig.synth.generate(5_000, seed=3, progress=False)
g = ig.build_graph(**world.tables(), progress=False, communities=False)

c = g.centrality()               # user, pagerank, core_number, clustering
print(c.describe().loc[["mean", "max"]].round(4))
print("most central users:")
print(c.nlargest(5, "pagerank").to_string(index=False))
st = g.stats()
print(f"centrality: {st.centrality_seconds:.3f} s of a {st.build_seconds:.3f} s build")

# The same numbers as ranking features for one inviter's candidates.
rec = ig.Recommender(g)
inviter = int(c.user.iloc[0])
x = rec.features(inviter)
print(x[["candidate", "candidate_pagerank", "candidate_core_number",
         "candidate_clustering"]].head())

# centrality=False skips the step: the features are 0 and g.centrality() raises.
plain = ig.build_graph(**world.tables(), progress=False, communities=False,
                       centrality=False)
print("has centrality without the step:", plain.has_centrality)
