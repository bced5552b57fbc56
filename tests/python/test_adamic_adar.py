"""SocialGraph.adamic_adar_top against NetworkX, and SocialGraph.arcs against the events."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import invitegraph as ig

nx = pytest.importorskip("networkx")

T = 1_700_000_000
DAY = 86_400


def random_graph(seed: int, n: int = 80, m: int = 200):
    rng = np.random.default_rng(seed)
    src = rng.integers(0, n, m) * 7 + 1000   # sparse, non-dense external ids
    dst = rng.integers(0, n, m) * 7 + 1000
    keep = src != dst
    f = pd.DataFrame({"src": src[keep], "dst": dst[keep]})
    g = ig.build_graph(friendships=f, as_of=T, progress=False, communities=False)
    ref = nx.Graph()
    ref.add_edges_from(zip(f["src"].tolist(), f["dst"].tolist()))
    return g, ref


def brute_force(ref, u):
    contacts = set(ref[u])
    cands = {w for z in contacts for w in ref[z]} - contacts - {u}
    return {v: s for _, v, s in nx.adamic_adar_index(ref, [(u, v) for v in cands])}


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("k", [1, 5, 500])
def test_matches_networkx(seed, k):
    g, ref = random_graph(seed)
    inviters = np.array(sorted(ref.nodes), dtype=np.int64)
    top = g.adamic_adar_top(inviters, k=k, num_threads=2)
    assert list(top.columns) == ["inviter", "candidate", "score"]
    assert top["inviter"].dtype == np.int64 and top["score"].dtype == np.float64
    for u in inviters.tolist():
        want = brute_force(ref, u)
        got = top[top["inviter"] == u]
        assert len(got) == min(k, len(want))
        best = sorted(want.values(), reverse=True)[:k]
        np.testing.assert_allclose(got["score"].to_numpy(), best, rtol=1e-12)
        for v, s in zip(got["candidate"].tolist(), got["score"].tolist()):
            assert want[v] == pytest.approx(s, rel=1e-12)
        # Sorted by score descending, ties by smaller candidate id.
        keys = list(zip((-got["score"]).tolist(), got["candidate"].tolist()))
        assert keys == sorted(keys)


def test_order_follows_inviters_and_threads_do_not_matter():
    g, ref = random_graph(5, n=200, m=800)
    inviters = np.array(sorted(ref.nodes), dtype=np.int64)[::-1].copy()
    one = g.adamic_adar_top(inviters, k=20, num_threads=1)
    two = g.adamic_adar_top(list(inviters), k=20, num_threads=2)
    pd.testing.assert_frame_equal(one, two)
    assert one["inviter"].drop_duplicates().tolist() == [
        u for u in inviters.tolist() if len(brute_force(ref, u))]


def test_errors():
    g, ref = random_graph(0)
    with pytest.raises(KeyError):
        g.adamic_adar_top([123456789], k=3)
    with pytest.raises(ValueError):
        g.adamic_adar_top([next(iter(ref.nodes))], k=-1)
    assert len(g.adamic_adar_top([next(iter(ref.nodes))], k=0)) == 0


def test_arcs_hold_the_decayed_weights_per_direction_and_channel():
    inter = pd.DataFrame({
        "src": [1, 1, 2, 1, 3],
        "dst": [2, 2, 1, 3, 1],
        "kind": ["chat", "chat", "like", "assist", "chat"],
        "ts": [T, T - 30 * DAY, T - 60 * DAY, T - 15 * DAY, T],
    })
    g = ig.build_graph(interactions=inter, as_of=T, progress=False, communities=False,
                       config=ig.GraphConfig(half_life_days=30.0))
    arcs = g.arcs().set_index(["src", "dst"])
    assert len(arcs) == g.num_arcs == 4
    assert list(arcs.columns[3:]) == ig.channel_names()
    assert arcs.loc[(1, 2), "chat"] == pytest.approx(1.5, rel=0.033)  # 1 + 2^-1, 8-bit
    assert arcs.loc[(2, 1), "like"] == 0.25  # 2^-2: powers of two are exact
    assert arcs.loc[(1, 3), "assist"] == pytest.approx(2 ** -0.5, rel=0.033)
    assert arcs.loc[(3, 1), "chat"] == 1.0
    assert arcs.loc[(2, 1), "chat"] == 0.0
    assert not arcs["is_friend"].any()
    assert arcs.loc[(1, 2), "tie_strength"] == pytest.approx(g.arc(1, 2)["tie_strength"])
