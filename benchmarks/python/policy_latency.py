"""Latency cost of the policy chain: the same requests with and without a policy, then
with diversity over communities, then with an urgent team campaign as well.

Run: PYTHONPATH=bindings/python python benchmarks/python/policy_latency.py [n_users]

Builds the seeded synthetic world, records the same "sent" outcomes in both recommenders
(so features and ranker scores match), then times each request alone through the core
binding (no DataFrame) and prints the median per request in microseconds.
"""
import sys
import time

import numpy as np

import invitegraph as ig

n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
world = ig.synth.generate(n, seed=1, progress=False)
g = ig.build_graph(**world.tables(), progress=False)
rng = np.random.default_rng(7)
users = np.asarray(g.user_ids())
inviters = rng.choice(users, size=2000, replace=False)
items = rng.choice(world.items["item"].to_numpy(), size=2000)

policy = ig.Policy(max_invites_per_recipient={"1d": 3, "7d": 10},
                   exclude=rng.choice(users, size=n // 20, replace=False).tolist(),
                   blocked_pairs=list(zip(rng.choice(users, 2000).tolist(),
                                          rng.choice(users, 2000).tolist())),
                   new_user_boost=0.2, active_user_boost=0.1, fatigue_penalty=0.5)
diverse_policy = ig.Policy(max_invites_per_recipient={"1d": 3, "7d": 10},
                           exclude=policy.exclude, blocked_pairs=policy.blocked_pairs,
                           new_user_boost=0.2, active_user_boost=0.1, fatigue_penalty=0.5,
                           diversity=0.3)
plain = ig.Recommender(g)
rec = ig.Recommender(g, policy=policy)
diverse = ig.Recommender(g, policy=diverse_policy)
m = 5 * n  # sends: on average 5 per user over the last week
inviter = rng.choice(users, m)
invitee = rng.choice(users, m)
keep = inviter != invitee
log = {"inviter": inviter[keep], "invitee": invitee[keep], "item": np.ones(keep.sum(), int),
       "ts": g.as_of - rng.integers(0, 7 * 86_400, keep.sum()),
       "outcome": ["sent"] * int(keep.sum())}
for r in (plain, rec, diverse):
    r.record_outcomes(log)
# Urgent team campaigns: half an urgency window (12 h of the default 1 d) before the end
# of a team of 5 with one member, so the 2-hop pool is 2x wider and k may rise.
ends_at = g.as_of + 12 * 3600


def median_us(r, urgent=False):
    core = r._r
    times = []
    for inv, it in zip(inviters.tolist(), items.tolist()):
        t = time.perf_counter()
        if urgent:
            core.recommend(inv, it, 10, -1, [], 5, ends_at)
        else:
            core.recommend(inv, it, 10, -1, [])
        times.append(time.perf_counter() - t)
    return 1e6 * float(np.median(times))


variants = [("without policy", plain, False), ("with policy", rec, False),
            ("+ diversity 0.3", diverse, False), ("+ urgent team campaign", diverse, True)]
for _, r, urgent in variants:  # warm up
    median_us(r, urgent)
runs = {name: [] for name, _, _ in variants}
for _ in range(3):  # interleave to share the machine's noise
    for name, r, urgent in variants:
        runs[name].append(median_us(r, urgent))
base = np.median(runs["without policy"])
print(f"{n} users, {len(inviters)} requests, k=10, median of 3 runs:")
for name, _, _ in variants:
    m = np.median(runs[name])
    print(f"  {name:24s} {m:8.1f} us/request  (+{m - base:.1f} us)")
