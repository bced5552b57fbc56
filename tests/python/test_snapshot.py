"""Graph snapshots: save/load, bytes and pickling, and damaged files."""
import multiprocessing as mp
import pickle

import numpy as np
import pytest

import invitegraph as ig


def _same_graph(a: ig.SocialGraph, b: ig.SocialGraph) -> None:
    assert (a.num_nodes, a.num_arcs, a.as_of) == (b.num_nodes, b.num_arcs, b.as_of)
    x, y = a.arc_columns(), b.arc_columns()
    assert x.keys() == y.keys()
    for k in x:
        np.testing.assert_array_equal(x[k], y[k], err_msg=k)
    for u in a.user_ids():
        assert a.profile(int(u)) == b.profile(int(u))
    assert a.communities().equals(b.communities())
    sa, sb = a.stats(), b.stats()
    for k in ("num_items", "num_categories", "num_events", "num_communities", "arc_bytes"):
        assert sa[k] == sb[k], k


def _lists(rec: ig.Recommender, users) -> list:
    return [rec.recommend(inviter=int(u), item=3, k=5)[["candidate", "score"]]
            .to_numpy().tolist() for u in users]


def test_save_load_round_trip(tmp_path, shop_frames):
    g = ig.build_graph(**shop_frames, progress=False)
    path = tmp_path / "g.igsnap"
    n = g.save(path)
    assert n == path.stat().st_size > 0
    h = ig.SocialGraph.load(path)
    _same_graph(g, h)
    assert not h.has_events
    users = g.user_ids()[:20]
    assert _lists(ig.Recommender(g), users) == _lists(ig.Recommender(h), users)
    assert g.to_bytes() == path.read_bytes()
    _same_graph(g, ig.SocialGraph.from_bytes(g.to_bytes()))


def test_pickle_graph_and_ranker(shop_frames):
    g = ig.build_graph(**shop_frames, progress=False)
    h = pickle.loads(pickle.dumps(g))
    _same_graph(g, h)
    r = ig.make_ranker("linear(adamic_adar=2.0)")
    assert pickle.loads(pickle.dumps(r)).spec == r.spec


def _child_recommend(g: ig.SocialGraph, user: int) -> list:
    return ig.Recommender(g).recommend(inviter=user, item=3, k=5).candidate.tolist()


def test_graph_crosses_a_process_boundary(shop_frames):
    g = ig.build_graph(**shop_frames, progress=False)
    user = int(g.user_ids()[0])
    with mp.get_context("spawn").Pool(1) as pool:
        got = pool.apply(_child_recommend, (g, user))
    assert got == _child_recommend(g, user)


def test_damaged_snapshots_are_clear_errors(tmp_path, shop_frames):
    g = ig.build_graph(**shop_frames, progress=False)
    data = g.to_bytes()
    with pytest.raises(ig.Error, match="truncated"):
        ig.SocialGraph.from_bytes(data[:-10])
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0x04
    with pytest.raises(ig.Error, match="checksum mismatch"):
        ig.SocialGraph.from_bytes(bytes(flipped))
    with pytest.raises(ig.Error, match="not an invitegraph snapshot"):
        ig.SocialGraph.from_bytes(b"x" * 100)
    with pytest.raises(FileNotFoundError):
        ig.SocialGraph.load(tmp_path / "missing.igsnap")
    bad = tmp_path / "bad.igsnap"
    bad.write_bytes(data[: len(data) // 3])
    with pytest.raises(ig.Error, match="bad.igsnap"):
        ig.SocialGraph.load(bad)
