"""Latency cost of the policy chain: the same requests with and without a policy.

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
plain = ig.Recommender(g)
rec = ig.Recommender(g, policy=policy)
m = 5 * n  # sends: on average 5 per user over the last week
inviter = rng.choice(users, m)
invitee = rng.choice(users, m)
keep = inviter != invitee
log = {"inviter": inviter[keep], "invitee": invitee[keep], "item": np.ones(keep.sum(), int),
       "ts": g.as_of - rng.integers(0, 7 * 86_400, keep.sum()),
       "outcome": ["sent"] * int(keep.sum())}
plain.record_outcomes(log)
rec.record_outcomes(log)


def median_us(r):
    core = r._r
    times = []
    for inv, it in zip(inviters.tolist(), items.tolist()):
        t = time.perf_counter()
        core.recommend(inv, it, 10, -1, [])
        times.append(time.perf_counter() - t)
    return 1e6 * float(np.median(times))


for r in (plain, rec):  # warm up
    median_us(r)
a, b = [], []
for _ in range(3):  # interleave to share the machine's noise
    a.append(median_us(plain))
    b.append(median_us(rec))
print(f"{n} users, {len(inviters)} requests, k=10, median of 3 runs:")
print(f"  without policy  {np.median(a):8.1f} us/request")
print(f"  with policy     {np.median(b):8.1f} us/request  (+{np.median(b) - np.median(a):.1f} us)")
