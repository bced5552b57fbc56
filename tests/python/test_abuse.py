"""Abuse detection from Python: quality on planted worlds, a NetworkX oracle for the
rings, the report's consistency, scores riding on the graph, and the policy step."""
from __future__ import annotations

import pickle

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import invitegraph as ig

PLANT = dict(ring_prevalence=0.01, lockstep_prevalence=0.01)


@pytest.fixture(scope="module")
def world():
    return ig.synth.generate(20_000, 11, abuse=PLANT, progress=False)


@pytest.fixture(scope="module")
def graph(world):
    return ig.build_graph(world.friendships, world.interactions, world.purchases,
                          world.campaigns, progress=False, communities=False)


@pytest.fixture(scope="module")
def report(graph):
    return ig.detect_abuse(graph)


def _truth(world, report):
    return world.users.set_index("user")["abuse"].reindex(report.users["user"]).to_numpy()


def test_planted_abuse_is_found_at_one_percent(world, report):
    truth = _truth(world, report)
    flagged = report.users["flagged"].to_numpy()
    ring_member = report.users["ring_member"].to_numpy()
    lockstep = report.users["lockstep"].to_numpy()
    for kind, found in (("ring", flagged & ring_member), ("lockstep", flagged & lockstep)):
        planted = truth == kind
        assert planted.sum() >= 150
        precision = (found & planted).sum() / max(found.sum(), 1)
        recall = (found & planted).sum() / planted.sum()
        assert precision >= 0.9, kind
        assert recall >= 0.9, kind
    honest = truth == "honest"
    assert (flagged & honest).sum() / honest.sum() < 0.01
    assert report.stats["lockstep_computed"]
    assert report.stats["flagged"] == flagged.sum()


def test_rings_match_a_networkx_oracle(graph, report):
    # R: both decayed assist weights >= 0.5; strong edges: >= min_ring_size - 2 common
    # R-neighbours; rings: components of strong edges with >= 4 users.
    a = graph.arcs()
    w = a.set_index(["src", "dst"])["assist"]
    strong_w = w[w >= 0.5]
    pairs = set(strong_w.index)
    r = nx.Graph()
    r.add_edges_from((s, d) for s, d in pairs if (d, s) in pairs and s < d)
    strong = nx.Graph()
    strong.add_edges_from((u, v) for u, v in r.edges
                          if len(set(r[u]) & set(r[v])) >= 2)
    want = {frozenset(c) for c in nx.connected_components(strong) if len(c) >= 4}
    u = report.users
    got = {frozenset(g["user"]) for _, g in u[u["ring"] >= 0].groupby("ring")}
    assert got == want
    assert report.stats["reciprocal_edges"] == r.number_of_edges()
    assert len(report.rings) == len(want)
    sizes = u[u["ring"] >= 0].groupby("ring").size()
    assert (report.rings.set_index("ring")["size"] == sizes).all()


def test_report_is_consistent(report):
    u = report.users
    assert ((u["suspicion"] >= 0) & (u["suspicion"] <= 1)).all()
    assert ((u["reputation"] >= 0) & (u["reputation"] <= 1)).all()
    assert (u["flagged"] == (u["suspicion"] > 0.5)).all()
    assert (u.loc[u["flagged"], "reason"] != "").all()
    assert (u.loc[~u["flagged"], "reason"] == "").all()
    # suspicion = max(ring, lockstep) * (0.5 + 0.5 * account)
    account = 0.5 * u["fresh_account"] + 0.5 * u["no_purchases"]
    want = np.maximum(u["ring_score"], u["lockstep_score"]) * (0.5 + 0.5 * account)
    np.testing.assert_allclose(u["suspicion"], want, rtol=1e-5, atol=1e-7)
    # reputation = (1 - s) (given + 2) / (given + received + 4)
    rep = (1 - u["suspicion"]) * (u["assists_given"] + 2) / (
        u["assists_given"] + u["assists_received"] + 4)
    np.testing.assert_allclose(u["reputation"], rep, rtol=1e-4)
    first = report.flagged.iloc[0]
    names = report.evidence(int(first["user"]))
    assert "flagged" in names and ("ring_member" in names or "lockstep" in names)
    arcs = report.arcs
    s = u.set_index("user")["suspicion"]
    np.testing.assert_allclose(
        arcs["suspicion"], np.maximum(s[arcs["src"]].to_numpy(), s[arcs["dst"]].to_numpy()))
    assert set(arcs["kind"].cat.categories) == {"suspicious_end", "same_ring",
                                                 "lockstep_assist"}
    with pytest.raises(KeyError):
        report.evidence(-5)


def test_events_from_a_table_equal_the_kept_ones(world, graph, report):
    again = ig.detect_abuse(graph, world.interactions)
    np.testing.assert_array_equal(again.users["suspicion"], report.users["suspicion"])
    bare = ig.build_graph(world.friendships, world.interactions, world.purchases,
                          world.campaigns, progress=False, communities=False,
                          keep_events=False)
    none = ig.detect_abuse(bare)
    assert not none.stats["lockstep_computed"]
    assert not none.users["lockstep"].any()
    # The same thresholds as keywords or as AbuseOptions.
    opts = ig.AbuseOptions(min_ring_size=5, flag_above=0.6)
    a = ig.detect_abuse(graph, options=opts)
    b = ig.detect_abuse(graph, min_ring_size=5, flag_above=0.6)
    np.testing.assert_array_equal(a.users["flagged"], b.users["flagged"])
    assert (a.rings["size"] >= 5).all()


def test_bad_thresholds_are_named(graph):
    with pytest.raises(ValueError, match="min_ring_size"):
        ig.detect_abuse(graph, min_ring_size=2)
    with pytest.raises(ValueError, match="unknown abuse threshold 'ring_size'"):
        ig.detect_abuse(graph, ring_size=4)
    with pytest.raises(ValueError, match="not both"):
        ig.detect_abuse(graph, options=ig.AbuseOptions(), flag_above=0.3)
    with pytest.raises(TypeError, match="abuse"):
        ig.build_graph(friendships=pd.DataFrame({"src": [1], "dst": [2]}),
                       progress=False, abuse="yes")


def test_scores_ride_on_the_graph(world, graph, report):
    assert not graph.has_abuse
    with pytest.raises(ValueError, match="no abuse scores"):
        graph.abuse()
    g = graph.with_abuse(report)
    assert g.has_abuse
    np.testing.assert_array_equal(g.abuse()["suspicion"], report.users["suspicion"])
    np.testing.assert_array_equal(g.abuse()["flagged"], report.users["flagged"])
    back = pickle.loads(pickle.dumps(g))
    np.testing.assert_array_equal(back.abuse()["reputation"], report.users["reputation"])
    built = ig.build_graph(world.friendships, world.interactions, world.purchases,
                           world.campaigns, progress=False, communities=False, abuse=True)
    np.testing.assert_array_equal(built.abuse()["suspicion"], report.users["suspicion"])
    gone = int(report.flagged.iloc[0]["user"])
    f = g.forget([gone])
    assert gone not in set(f.abuse()["user"])
    kept = f.abuse().set_index("user")["suspicion"]
    np.testing.assert_array_equal(
        kept, report.users.set_index("user")["suspicion"].drop(gone).reindex(kept.index))
    with pytest.raises(ValueError, match="WithAbuse"):
        f.with_abuse(report)


def test_policy_keeps_suspects_out(world, graph, report):
    g = graph.with_abuse(report)
    flagged = set(report.flagged["user"])
    inviters = [int(b) for b in world.ring_beneficiary[:10]]
    open_rec = ig.Recommender(graph)
    before = open_rec.recommend_batch(inviters, k=10)
    assert before["candidate"].isin(flagged).any()  # the ring surfaces unguarded
    guarded = ig.Recommender(g, policy=ig.Policy(exclude_suspicion_above=0.5))
    after = guarded.recommend_batch(inviters, k=10)
    assert not after["candidate"].isin(flagged).any()
    assert (after.groupby("inviter").size() == 10).all()  # still exactly k

    pen = ig.Recommender(g, policy=ig.Policy(suspicion_penalty=1.0,
                                              penalize_suspicion_above=0.2))
    s = pen.recommend(inviters[0], k=200)
    susp = g.abuse().set_index("user")["suspicion"]
    for row in s.itertuples():
        hit = susp[row.candidate] > 0.2
        assert ("suspected_abuse" in row.reasons) == hit
        assert row.score == pytest.approx(row.ranker_score - (susp[row.candidate] if hit else 0),
                                          abs=1e-5)

    f = ig.Recommender(g).features(inviters[0])
    plain = ig.Recommender(graph).features(inviters[0])
    np.testing.assert_allclose(f["candidate_suspicion"], susp[f["candidate"]].to_numpy())
    assert (plain["candidate_suspicion"] == 0).all()
    assert (plain["candidate_reputation"] == 0.5).all()

    disc = ig.Recommender(g, policy=ig.Policy(suspicious_tie_discount=1.0)).features(inviters[0])
    keep = 1 - np.maximum(susp[f["candidate"]].to_numpy(), susp[inviters[0]])
    np.testing.assert_allclose(disc["tie_strength"], f["tie_strength"] * keep, rtol=1e-5)
    with pytest.raises(ValueError, match="suspicious_tie_discount"):
        ig.Policy(suspicious_tie_discount=1.5)
    p = ig.Policy(exclude_suspicion_above=0.4, suspicion_penalty=2)
    q = pickle.loads(pickle.dumps(p))
    assert (q.exclude_suspicion_above, q.suspicion_penalty) == (0.4, 2)


def test_training_rows_carry_scores_as_of_each_record():
    w = ig.synth.generate(3_000, 2, abuse=PLANT, progress=False)
    t = w.tables()
    scored = ig.build_graph(**t, progress=False, communities=False, abuse=True)
    plain = ig.build_graph(**t, progress=False, communities=False)
    history = t["campaigns"]
    a = ig.training_set(scored, history, as_of_step_days=0, progress=False).frame
    b = ig.training_set(plain, history, as_of_step_days=30, progress=False).frame
    assert (b["candidate_reputation"] == 0.5).all() and (b["candidate_suspicion"] == 0).all()
    assert a["candidate_reputation"].nunique() > 10
    # Each record's rows are scored on its own as-of rebuild, so they equal a
    # recommender's features on a graph built from the events before that time.
    last = int(np.argmax(history["ts"].to_numpy()))
    rec = a[a["record"] == last]
    cut = int(history.iloc[last]["ts"])
    past = ig.build_graph(
        friendships=t["friendships"],
        interactions=t["interactions"][t["interactions"]["ts"] < cut],
        purchases=t["purchases"][t["purchases"]["ts"] < cut],
        campaigns=t["campaigns"][t["campaigns"]["ts"] < cut], as_of=cut,
        progress=False, communities=False, abuse=True)
    f = ig.Recommender(past).features(int(history.iloc[last]["inviter"]))
    want = f.set_index("candidate")["candidate_reputation"]
    got = rec.set_index("candidate")["candidate_reputation"]
    common = got.index.intersection(want.index)
    assert len(common) > 0
    np.testing.assert_allclose(got[common], want[common], rtol=1e-5)
