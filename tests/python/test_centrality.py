"""Influence measures (``SocialGraph.centrality()``) and the features built on them.

The oracle is NetworkX on the Last.fm friend graph (Cantador, Brusilovsky, Kuflik,
HetRec 2011), built from friendships only: ``nx.pagerank`` with its defaults,
``nx.core_number`` and ``nx.clustering``. The Last.fm cases skip when the shared data
folder is absent.
"""
from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import invitegraph as ig


def _nx_graph(g: ig.SocialGraph) -> nx.Graph:
    """The contact graph of ``g`` as an undirected NetworkX graph over user ids."""
    offsets, targets = g.csr()
    users = np.asarray(g.user_ids())
    h = nx.Graph()
    h.add_nodes_from(int(u) for u in users)
    for u in range(g.num_nodes):
        for v in targets[offsets[u]:offsets[u + 1]]:
            if u < v:
                h.add_edge(int(users[u]), int(users[v]))
    return h


def _two_triangles_and_a_tail() -> pd.DataFrame:
    # Triangles {1, 2, 3} and {4, 5, 6} joined by 3-4, and a tail 6-7.
    return pd.DataFrame({"src": [1, 1, 2, 4, 4, 5, 3, 6], "dst": [2, 3, 3, 5, 6, 6, 4, 7]})


def test_centrality_frame():
    g = ig.build_graph(friendships=_two_triangles_and_a_tail(), progress=False)
    assert g.has_centrality
    df = g.centrality()
    assert list(df.columns) == ["user", "pagerank", "core_number", "clustering"]
    assert df.user.dtype == np.int64 and df.core_number.dtype == np.int64
    assert df.pagerank.dtype == np.float64 and df.clustering.dtype == np.float64
    assert df.user.tolist() == [int(u) for u in g.user_ids()]
    assert df.pagerank.sum() == pytest.approx(1.0, abs=1e-6)
    h = _nx_graph(g)
    want_core = nx.core_number(h)
    want_cl = nx.clustering(h)
    for row in df.itertuples():
        assert row.core_number == want_core[row.user] == g.core_number(row.user)
        assert row.clustering == pytest.approx(want_cl[row.user], abs=1e-6)
        assert g.pagerank(row.user) == pytest.approx(row.pagerank, rel=1e-6)
        assert g.clustering(row.user) == pytest.approx(row.clustering, rel=1e-6)
    with pytest.raises(KeyError):
        g.pagerank(12345)
    st = g.stats()
    assert 0 < st["centrality_seconds"] <= st["build_seconds"]


def test_centrality_false_raises_and_zeroes_features():
    g = ig.build_graph(friendships=_two_triangles_and_a_tail(), progress=False,
                       centrality=False)
    assert not g.has_centrality
    with pytest.raises(ValueError, match="centrality=False"):
        g.centrality()
    assert g.pagerank(1) == 0 and g.core_number(1) == 0 and g.clustering(1) == 0
    x = ig.Recommender(g).features(1)
    assert len(x) > 0
    for col in ("candidate_pagerank", "candidate_core_number", "candidate_clustering"):
        assert (x[col] == 0).all()


def test_update_forget_and_snapshot_keep_centrality(tmp_path):
    g = ig.build_graph(friendships=_two_triangles_and_a_tail(), progress=False)
    g2 = g.update(friendships=pd.DataFrame({"src": [7, 8], "dst": [8, 5]}))
    h2 = _nx_graph(g2)
    assert g2.centrality().set_index("user").core_number.to_dict() == nx.core_number(h2)
    assert not g.update(friendships=pd.DataFrame({"src": [7], "dst": [8]}),
                        centrality=False).has_centrality
    g3 = g.forget([3])
    h3 = _nx_graph(g3)
    got = g3.centrality().set_index("user")
    assert got.core_number.to_dict() == nx.core_number(h3)
    for u, c in nx.clustering(h3).items():
        assert got.clustering[u] == pytest.approx(c, abs=1e-6)
    assert not g.forget([3], centrality=False).has_centrality
    g.save(tmp_path / "g.igsnap")
    back = ig.SocialGraph.load(tmp_path / "g.igsnap")
    pd.testing.assert_frame_equal(back.centrality(), g.centrality())


def test_centrality_same_for_any_thread_count():
    rng = np.random.default_rng(3)
    src = rng.integers(0, 3000, size=20000)
    dst = rng.integers(0, 3000, size=20000)
    edges = pd.DataFrame({"src": src, "dst": dst})
    edges = edges[edges.src != edges.dst]
    frames = [ig.build_graph(friendships=edges, config=ig.GraphConfig(num_threads=t),
                             progress=False, communities=False).centrality()
              for t in (1, 2, 5)]
    pd.testing.assert_frame_equal(frames[0], frames[1], check_exact=True)
    pd.testing.assert_frame_equal(frames[0], frames[2], check_exact=True)


@pytest.fixture(scope="module")
def lastfm_graph(lastfm_friends):
    return ig.build_graph(friendships=lastfm_friends, progress=False, communities=False)


def test_lastfm_centrality_matches_networkx(lastfm_graph):
    g = lastfm_graph
    df = g.centrality().set_index("user")
    h = _nx_graph(g)
    assert h.number_of_nodes() == g.num_nodes and 2 * h.number_of_edges() == g.num_arcs
    want_pr = nx.pagerank(h)
    want_core = nx.core_number(h)
    want_cl = nx.clustering(h)
    pr = df.pagerank.to_dict()
    worst = max(abs(pr[u] - want_pr[u]) for u in h)
    assert worst < 1e-6, worst
    assert df.core_number.to_dict() == want_core
    assert max(abs(df.clustering[u] - want_cl[u]) for u in h) < 1e-6
    # Not a degenerate graph: the measures spread.
    assert df.core_number.max() >= 10 and df.clustering.nunique() > 100


def test_lastfm_features_equal_centrality(lastfm_graph):
    g = lastfm_graph
    df = g.centrality().set_index("user")
    rec = ig.Recommender(g)
    users = [int(u) for u in g.user_ids()[::150]]
    rows = 0
    for inviter in users:
        x = rec.features(inviter)
        if x.empty:
            continue
        rows += len(x)
        cand = x.candidate.to_numpy()
        np.testing.assert_allclose(x.candidate_pagerank,
                                   df.pagerank.loc[cand].to_numpy() * g.num_nodes,
                                   rtol=1e-6)
        np.testing.assert_array_equal(x.candidate_core_number,
                                      df.core_number.loc[cand].to_numpy())
        np.testing.assert_allclose(x.candidate_clustering,
                                   df.clustering.loc[cand].to_numpy(), rtol=1e-6)
    assert rows > 100
