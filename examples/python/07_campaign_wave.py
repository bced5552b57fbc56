"""Campaign rules that need the whole picture: lists spread across communities
(diversity), urgency as the deadline nears, the probability that a team fills, and one
campaign wave across many inviters with a per-recipient exposure limit.

Run: python examples/python/07_campaign_wave.py
"""
import numpy as np

import invitegraph as ig

# A synthetic shop with a campaign history; a logistic ranker fitted on it gives
# calibrated join probabilities, which team fill and waves are computed from.
world = ig.synth.generate(n_users=3000, seed=4, campaigns_per_user=0.2, progress=False)
g = ig.build_graph(**world.tables(), progress=False)
history = world.campaigns[["inviter", "item", "joined", "ts", "invited", "category"]]
ranker = ig.fit_ranker(g, history, model="logistic", as_of_step_days=30)
print(g, "with", g.communities()["community"].nunique(), "communities")

policy = ig.Policy(max_invites_per_recipient={"1d": 3}, diversity=0.5, fatigue_penalty=0.5)
rec = ig.Recommender(g, ranker=ranker, policy=policy)
inviter, item = int(history["inviter"].iloc[-1]), int(history["item"].iloc[-1])
communities = g.communities().set_index("user")["community"]

# 1. A team of 5 with one member already in, ending in 6 hours: urgency is 0.75 with
#    the default one-day window, so the 2-hop pool is wider, diversity is relaxed to
#    0.5 * 0.25, and k rises from 2 towards the 3 the team still needs.
team = ig.Campaign(item=item, team_size=5, members=[int(history["joined"].iloc[-1][0])]
                   if len(history["joined"].iloc[-1]) else [], ends_at=g.as_of + 6 * 3600)
top = rec.recommend(inviter, k=2, campaign=team)
top["community"] = communities.loc[top["candidate"]].to_numpy()
print(f"\nUser {inviter}, item {item}: urgency {top.attrs['urgency']:.2f}, k served "
      f"{top.attrs['k']}, team still needs {top.attrs['still_needed']}")
print(top[["candidate", "community", "join_probability", "reasons"]].to_string(index=False))
print(f"P(team fills if all are invited) = {top.attrs['fill_probability']:.3f}, "
      f"expected joins {top.attrs['expected_joins']:.2f}")

# 2. Without urgency, diversity spreads a longer list across communities.
calm = rec.recommend(inviter, item=item, k=8)
plain = ig.Recommender(g, ranker=ranker).recommend(inviter, item=item, k=8)
print(f"\nCommunities in the top 8: {communities.loc[plain['candidate']].nunique()} by score "
      f"alone, {communities.loc[calm['candidate']].nunique()} with diversity=0.5")

# 3. One wave: 400 inviters push the same item. Naive top-5 lists pile onto the same
#    popular recipients; the wave lets each recipient appear in at most 2 lists and
#    maximises the expected joins under that limit.
rng = np.random.default_rng(0)
inviters = rng.choice(np.asarray(g.user_ids()), size=400, replace=False)
wave = rec.recommend_wave_result(inviters, item, k=5, recipient_capacity=2)
r = wave.report  # a WaveReport; wave.frame holds the lists
print(f"\nWave of {r.requests} inviters ({r.method} assignment, "
      f"{r.solve_seconds * 1000:.0f} ms):")
print(f"  naive top-5: {r.naive_suggestions} suggestions, expected joins "
      f"{r.naive_expected_joins:.1f}, max lists per recipient "
      f"{r.naive_max_recipient_load} ({r.naive_recipients_over_capacity} recipients "
      "over 2)")
print(f"  wave:        {r.suggestions} suggestions, expected joins "
      f"{r.expected_joins:.1f}, max lists per recipient {r.max_recipient_load}")
