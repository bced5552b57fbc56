"""Find fake-assist rings and bought lockstep helpers, and keep them out of invite lists.

A synthetic shop where 1 % of the accounts are ring members (fresh accounts without
purchases that only assist each other and farm one beneficiary) and 1 % are clickers
hired in groups to assist many unrelated shoppers within minutes. ``detect_abuse``
scores every user with the evidence behind the score; attached to the graph, the scores
become features (``candidate_suspicion``, ``candidate_reputation``) and the policy drops
or penalises suspects.

Run: python examples/python/10_abuse.py
"""
import invitegraph as ig

world = ig.synth.generate(20_000, seed=5, progress=False,
                          abuse=dict(ring_prevalence=0.01, lockstep_prevalence=0.01))
g = ig.build_graph(**world.tables(), progress=False, communities=False)

report = ig.detect_abuse(g)          # lockstep from the graph's kept events
print(report)
print(report.flagged[["user", "suspicion", "reason", "ring", "lockstep_group",
                      "account_age_days", "lockstep_targets"]].head())
print(report.rings.head(3))

# How well it did against the planted truth.
truth = world.users.set_index("user")["abuse"].reindex(report.users["user"]).to_numpy()
flagged = report.users["flagged"].to_numpy()
for kind in ("ring", "lockstep"):
    planted = truth == kind
    print(f"{kind}: recall {(flagged & planted).sum() / planted.sum():.3f}")
honest = truth == "honest"
print(f"precision {(flagged & ~honest).sum() / flagged.sum():.3f}, "
      f"honest users flagged {(flagged & honest).sum()} of {honest.sum()}")

# The ring's beneficiary: its strongest ties are the ring members who assist it.
guarded = g.with_abuse(report)
beneficiary = int(world.ring_beneficiary[0])
bad = set(report.flagged["user"])
for name, rec in (("no scores", ig.Recommender(g)),
                  ("suspects excluded", ig.Recommender(
                      guarded, policy=ig.Policy(exclude_suspicion_above=0.5,
                                                suspicious_tie_discount=1.0)))):
    s = rec.recommend(beneficiary, k=10)
    print(f"{name}: {s['candidate'].isin(bad).sum()} of 10 suggestions are flagged accounts")
assert not ig.Recommender(guarded, policy=ig.Policy(exclude_suspicion_above=0.5)) \
    .recommend(beneficiary, k=10)["candidate"].isin(bad).any()

# Or score at build time, and down-weight instead of dropping (the reason is shown).
g2 = ig.build_graph(**world.tables(), progress=False, communities=False, abuse=True)
rec = ig.Recommender(g2, policy=ig.Policy(suspicion_penalty=5.0, penalize_suspicion_above=0.5))
s = rec.recommend(beneficiary, k=1000)
penalised = s[s["reasons"].map(lambda r: "suspected_abuse" in r)]
print(f"{len(penalised)} penalised candidates, best at rank {penalised['rank'].min()} of {len(s)}")
print(penalised[["candidate", "rank", "ranker_score", "score", "reasons"]].head(3).to_string())
