"""Link-prediction features and candidate sets agree with networkx.

Graphs: Zachary's karate club (networkx.karate_club_graph, every node as inviter) and the
Last.fm friend graph (Cantador, Brusilovsky, Kuflik, HetRec 2011; 50 inviters drawn with
a fixed seed), built from friendships only. The Last.fm case skips when the shared data
folder is absent.
"""
from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import invitegraph as ig

REL = 1e-4


def _oracle(G: nx.Graph, u, candidates) -> pd.DataFrame:
    pairs = [(u, int(v)) for v in candidates]
    return pd.DataFrame({
        "candidate": [v for _, v in pairs],
        "common_neighbors": [len(list(nx.common_neighbors(G, a, b))) for a, b in pairs],
        "adamic_adar": [s for _, _, s in nx.adamic_adar_index(G, pairs)],
        "jaccard": [s for _, _, s in nx.jaccard_coefficient(G, pairs)],
    })


def _distance_two(G: nx.Graph, u) -> set:
    return {v for v, d in nx.single_source_shortest_path_length(G, u, cutoff=2).items()
            if d == 2}


def check_inviter(G: nx.Graph, rec: ig.Recommender, u, *, all_two_hop: bool) -> int:
    """Compares one inviter's feature rows with networkx; returns the number of rows."""
    f = rec.features(u)
    assert f["candidate"].is_unique
    assert u not in set(f["candidate"])
    one_hop = set(f.loc[f["is_two_hop"] == 0, "candidate"])
    two_hop = set(f.loc[f["is_two_hop"] == 1, "candidate"])
    assert one_hop == set(G[u]), f"1-hop candidates of {u} differ from networkx neighbours"
    assert (f.loc[f["is_two_hop"] == 0, "candidate_degree"].to_numpy() > 0).all()
    d2 = _distance_two(G, u)
    assert two_hop <= d2, f"2-hop candidates of {u} not at distance 2: {two_hop - d2}"
    if all_two_hop:
        assert two_hop == d2
    want = _oracle(G, u, f["candidate"])
    for col in ("common_neighbors", "adamic_adar", "jaccard"):
        np.testing.assert_allclose(f[col].to_numpy(np.float64), want[col].to_numpy(np.float64),
                                   rtol=REL, atol=1e-6,
                                   err_msg=f"{col} of inviter {u} differs from networkx")
    degrees = np.array([G.degree(int(v)) for v in f["candidate"]], dtype=np.float64)
    np.testing.assert_array_equal(f["candidate_degree"].to_numpy(np.float64), degrees)
    return len(f)


def check_two_hop_cut(G: nx.Graph, rec: ig.Recommender, u, max_two_hop: int) -> None:
    """The kept 2-hop candidates are the best by Adamic-Adar (ties may go either way)."""
    f = rec.features(u)
    kept = f.loc[f["is_two_hop"] == 1]
    d2 = sorted(_distance_two(G, u))
    assert len(kept) == min(max_two_hop, len(d2))
    if len(d2) <= max_two_hop:
        return
    dropped = sorted(set(d2) - set(kept["candidate"]))
    best_dropped = max(s for _, _, s in nx.adamic_adar_index(G, [(u, v) for v in dropped]))
    assert kept["adamic_adar"].min() >= best_dropped * (1 - REL) - 1e-6


# --------------------------------------------------------------------------------------
# Karate club.
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def karate():
    G = nx.karate_club_graph()
    edges = np.array(G.edges(), dtype=np.int64)
    g = ig.build_graph(friendships=pd.DataFrame({"src": edges[:, 0], "dst": edges[:, 1]}),
                       progress=False)
    return G, g


@pytest.mark.parametrize("hub_degree_cap", [1000, 5, 0],
                         ids=["no-hubs", "cap-5", "cap-0"])
def test_karate_features_match_networkx(karate, hub_degree_cap):
    G, g = karate
    assert g.num_nodes == G.number_of_nodes()
    assert g.num_arcs == 2 * G.number_of_edges()
    rec = ig.Recommender(g, max_two_hop=10_000, hub_degree_cap=hub_degree_cap)
    rows = sum(check_inviter(G, rec, u, all_two_hop=hub_degree_cap >= 1000) for u in G)
    assert rows > G.number_of_nodes()


def test_karate_two_hop_cut_keeps_best_adamic_adar(karate):
    G, g = karate
    rec = ig.Recommender(g, max_two_hop=5)
    for u in G:
        check_two_hop_cut(G, rec, u, 5)


def test_karate_neighbors_and_recommendations(karate):
    G, g = karate
    rec = ig.Recommender(g)
    batch = rec.recommend_batch(list(G), k=1000, progress=False)
    for u, part in batch.groupby("inviter"):
        assert set(g.neighbors(u).tolist()) == set(G[u])
        reachable = set(G[u]) | _distance_two(G, u)
        assert set(part["candidate"]) == reachable
        assert u not in set(part["candidate"])


def test_id_mapping_survives_mixed_id_spaces():
    """Ids that are small, huge and interleaved across batches map consistently (the id
    map switches between a direct table and a hash); networkx is the oracle."""
    rng = np.random.default_rng(11)
    G0 = nx.gnm_random_graph(400, 1600, seed=5)
    big = rng.choice(np.arange(10**12, 10**12 + 10**6), size=200, replace=False)
    relabel = {n: (int(big[n // 2]) if n % 2 else n * 3) for n in G0}
    G = nx.relabel_nodes(G0, relabel)
    edges = np.array(G.edges(), dtype=np.int64)
    b = ig.GraphBuilder()
    for part in np.array_split(edges, 7):
        b.add_friendships({"src": part[:, 0], "dst": part[:, 1]})
    g = b.build(progress=False)
    assert sorted(g.user_ids().tolist()) == sorted(n for n in G if G.degree(n) > 0)
    rec = ig.Recommender(g, max_two_hop=10_000)
    for u in list(G)[::10]:
        if G.degree(u):
            check_inviter(G, rec, u, all_two_hop=True)


def test_id_mapping_when_hashed_ids_move_to_direct_table():
    """An id first seen as 'sparse' (150000 among a dozen users) becomes dense once many
    more users arrive; its contacts must not change."""
    G = nx.Graph()
    G.add_edges_from([(150_000, 1), (150_000, 2), (1, 2), (3, 150_000)])
    b = ig.GraphBuilder()
    b.add_friendships({"src": [150_000, 150_000, 1], "dst": [1, 2, 2]})
    chain = np.arange(10, 40_010, dtype=np.int64)
    G.add_edges_from(zip(chain[:-1].tolist(), chain[1:].tolist()))
    G.add_edges_from([(160_000, 5), (3, 150_000)])
    b.add_friendships({"src": np.concatenate([chain[:-1], [160_000, 3]]),
                       "dst": np.concatenate([chain[1:], [5, 150_000]])})
    g = b.build(progress=False)
    assert g.num_nodes == G.number_of_nodes()
    for u in (150_000, 1, 2, 3, 5, 160_000, 10, 40_009):
        assert set(g.neighbors(u).tolist()) == set(G[u]), u
    rec = ig.Recommender(g)
    check_inviter(G, rec, 150_000, all_two_hop=True)
    check_inviter(G, rec, 3, all_two_hop=True)


# --------------------------------------------------------------------------------------
# Last.fm.
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def lastfm(lastfm_friends):
    G = nx.from_pandas_edgelist(lastfm_friends, "src", "dst")
    g = ig.build_graph(friendships=lastfm_friends, progress=False)
    rng = np.random.default_rng(2011)
    inviters = rng.choice(np.array(sorted(G), dtype=np.int64), size=50, replace=False)
    return G, g, [int(u) for u in inviters]


def test_lastfm_graph_shape(lastfm):
    G, g, _ = lastfm
    assert g.num_nodes == G.number_of_nodes() == 1892
    assert g.num_arcs == 2 * G.number_of_edges() == 2 * 12717


@pytest.mark.parametrize("max_two_hop", [100, 100_000], ids=["default-cut", "all-two-hop"])
def test_lastfm_features_match_networkx(lastfm, max_two_hop):
    G, g, inviters = lastfm
    rec = ig.Recommender(g, max_two_hop=max_two_hop)
    rows = 0
    for u in inviters:
        rows += check_inviter(G, rec, u, all_two_hop=max_two_hop >= 100_000)
        check_two_hop_cut(G, rec, u, max_two_hop)
    assert rows >= 50


def test_lastfm_hub_cap_keeps_exact_counts(lastfm):
    """With a tiny hub cap, counts come from a different code path; they must not change."""
    G, g, inviters = lastfm
    rec = ig.Recommender(g, hub_degree_cap=3)
    for u in inviters[:25]:
        check_inviter(G, rec, u, all_two_hop=False)
