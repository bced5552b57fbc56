"""Graph snapshots: save/load, bytes and pickling, and damaged files."""
import multiprocessing as mp
import pickle
import struct

import numpy as np
import pandas as pd
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
    assert g.has_events and h.has_events  # the kept events travel with the graph
    users = g.user_ids()[:20]
    assert _lists(ig.Recommender(g), users) == _lists(ig.Recommender(h), users)
    assert g.to_bytes() == path.read_bytes()
    _same_graph(g, ig.SocialGraph.from_bytes(g.to_bytes()))
    # events=False: a smaller file of the same graph, without them.
    lean = tmp_path / "lean.igsnap"
    assert g.save(lean, events=False) < n
    assert lean.read_bytes() == g.to_bytes(events=False)
    h = ig.SocialGraph.load(lean)
    _same_graph(g, h)
    assert not h.has_events


def test_a_mapped_graph_answers_as_a_read_one_and_outlives_its_file(tmp_path, shop_frames):
    g = ig.build_graph(**shop_frames, progress=False)
    path = tmp_path / "g.igsnap"
    g.save(path)
    read = ig.SocialGraph.load(path)
    users = g.user_ids()[:20]
    expected = _lists(ig.Recommender(read), users)
    for verify in (False, True):
        mapped = ig.SocialGraph.load(path, mmap=True, verify=verify)
        assert mapped.mapped and not read.mapped and not g.mapped
        _same_graph(read, mapped)
        assert _lists(ig.Recommender(mapped), users) == expected
    # save() renames a new file over the path: the mapping keeps the old file, and
    # deleting the path does not disturb it either.
    mapped = ig.SocialGraph.load(path, mmap=True)
    other = ig.build_graph(friendships={"src": [1], "dst": [2]}, as_of=g.as_of,
                           progress=False)
    other.save(path)
    assert ig.SocialGraph.load(path).num_nodes == 2
    path.unlink()
    _same_graph(read, mapped)
    rec = ig.Recommender(other)
    rec.swap_graph(mapped)
    assert _lists(rec, users) == expected
    # A pickle of it is a copy that owns its arcs; save() writes it out again.
    copy = pickle.loads(pickle.dumps(mapped))
    assert not copy.mapped
    _same_graph(read, copy)
    again = tmp_path / "again.igsnap"
    mapped.save(again)
    _same_graph(read, ig.SocialGraph.load(again))


def test_a_mapped_load_trusts_only_the_arcs_unless_verified(tmp_path, shop_frames):
    g = ig.build_graph(**shop_frames, progress=False)
    data = g.to_bytes(events=False)
    path = tmp_path / "g.igsnap"
    path.write_bytes(data[:-10])
    with pytest.raises(ig.SnapshotError, match="truncated"):
        ig.SocialGraph.load(path, mmap=True)
    with pytest.raises(FileNotFoundError):
        ig.SocialGraph.load(tmp_path / "missing.igsnap", mmap=True)
    # The last payload byte belongs to the last section, a per-user column: checked.
    damaged = bytearray(data)
    damaged[-1] ^= 0x01
    path.write_bytes(bytes(damaged))
    with pytest.raises(ig.SnapshotError, match="checksum mismatch"):
        ig.SocialGraph.load(path, mmap=True)
    # A neighbour id is trusted without verify (docs/snapshots.md, "Mapped loads"),
    # checked with it.
    (count,) = struct.unpack_from("<Q", data, 40)
    tables = [struct.unpack_from("<4sIQQ", data, 56 + 32 * i) for i in range(count)]
    offset, length = next((o, n) for tag, _, o, n in tables if tag == b"TGTS")
    damaged = bytearray(data)
    damaged[offset + length // 2] ^= 0x01
    path.write_bytes(bytes(damaged))
    assert ig.SocialGraph.load(path, mmap=True).mapped
    with pytest.raises(ig.SnapshotError, match="section TGTS: checksum mismatch"):
        ig.SocialGraph.load(path, mmap=True, verify=True)
    with pytest.raises(ig.InvalidArgumentError, match="num_threads"):
        ig.SocialGraph.load(path, mmap=True, num_threads=-1)


def test_pickle_graph_and_ranker(shop_frames):
    g = ig.build_graph(**shop_frames, progress=False)
    h = pickle.loads(pickle.dumps(g))
    _same_graph(g, h)
    assert h.has_events
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
    flipped[len(data) // 2] ^= 0x04  # a payload or padding byte, as the layout has it
    with pytest.raises(ig.Error, match="the file is damaged"):
        ig.SocialGraph.from_bytes(bytes(flipped))
    with pytest.raises(ig.Error, match="not an invitegraph snapshot"):
        ig.SocialGraph.from_bytes(b"x" * 100)
    with pytest.raises(FileNotFoundError):
        ig.SocialGraph.load(tmp_path / "missing.igsnap")
    bad = tmp_path / "bad.igsnap"
    bad.write_bytes(data[: len(data) // 3])
    with pytest.raises(ig.Error, match="bad.igsnap"):
        ig.SocialGraph.load(bad)


def _accepted(inviter: int, invitees: list, ts: int) -> dict:
    n = len(invitees)
    return {"inviter": [inviter] * n, "invitee": invitees, "item": [1] * n,
            "ts": [ts] * n, "outcome": ["accepted"] * n}


def test_recommender_pickles_with_its_state(shop_frames):
    g = ig.build_graph(**shop_frames, progress=False)
    users = [int(u) for u in g.user_ids()]
    rec = ig.Recommender(g, "linear(adamic_adar=2.0)", max_two_hop=7,
                         policy=ig.Policy(max_invites_per_recipient={"1d": 2},
                                          exclude=[users[-1]], diversity=0.2))
    rec.record_outcomes(_accepted(users[0], users[1:4], g.as_of + 60))
    assert list(rec.reserve_invites(users[0], [users[2]] * 3, 1, g.as_of + 90)) == \
        [True, True, False]
    copy = pickle.loads(pickle.dumps(rec))
    assert copy.ranker_spec == rec.ranker_spec
    assert copy.policy.diversity == 0.2 and copy.policy.exclude == [users[-1]]
    for u in users[:6]:
        assert copy.feedback_for(u) == rec.feedback_for(u)
        assert copy.recent_sends(u, 86400) == rec.recent_sends(u, 86400)
    assert _lists(copy, users[:10]) == _lists(rec, users[:10])


def test_swap_graph_keeps_state_and_serves_threads(shop_frames):
    import threading
    g = ig.build_graph(**shop_frames, progress=False)
    frames2 = dict(shop_frames)
    frames2["interactions"] = shop_frames["interactions"].iloc[::2]
    g2 = ig.build_graph(**frames2, progress=False)
    users = [int(u) for u in g.user_ids() if u in g2]
    rec = ig.Recommender(g)
    rec.record_outcomes(_accepted(users[0], users[1:3], g.as_of + 5))
    before = rec.feedback_for(users[1])
    # The state carries over, so the expected lists come with the same outcomes.
    expected = {}
    for i, graph in enumerate((g, g2)):
        fresh = ig.Recommender(graph)
        fresh.record_outcomes(_accepted(users[0], users[1:3], g.as_of + 5))
        expected[i] = _lists(fresh, users)
    assert expected[0] != expected[1]
    errors, mixed = [], []

    def serve():
        try:
            for _ in range(30):
                got = _lists(rec, users)
                for i, row in enumerate(got):
                    if row != expected[0][i] and row != expected[1][i]:
                        mixed.append(users[i])
        except Exception as e:  # noqa: BLE001 - any failure is the finding
            errors.append(e)

    threads = [threading.Thread(target=serve) for _ in range(3)]
    for t in threads:
        t.start()
    for i in range(40):
        rec.swap_graph(g2 if i % 2 == 0 else g)
    for t in threads:
        t.join()
    assert not errors and not mixed
    assert rec.feedback_for(users[1])["successes"] == before["successes"] == 1
    with pytest.raises(TypeError, match="SocialGraph"):
        rec.swap_graph("not a graph")


def test_state_files_and_forget(tmp_path, shop_frames):
    g = ig.build_graph(**shop_frames, progress=False)
    users = [int(u) for u in g.user_ids()]
    rec = ig.Recommender(g)
    rec.record_outcomes(_accepted(users[0], users[1:4], g.as_of + 5))
    path = tmp_path / "state.igsnap"
    assert rec.save_state(path) == path.stat().st_size
    other = ig.Recommender(g)
    other.load_state(path)
    assert other.feedback_for(users[2]) == rec.feedback_for(users[2])
    assert rec.forget_users([users[2], 123456789]) == 1
    assert rec.feedback_for(users[2])["successes"] == 0
    assert rec.feedback_for(users[1])["successes"] == 1
    damaged = bytearray(path.read_bytes())
    damaged[-2] ^= 1
    path.write_bytes(bytes(damaged))
    with pytest.raises(ig.Error, match="damaged"):
        other.load_state(path)
    assert other.feedback_for(users[2])["successes"] == 1  # unchanged


def test_kept_events_leave_snapshots_with_forget(shop_frames):
    # Snapshots of a graph with kept events carry the raw rows; forget drops them, so a
    # forgotten user's id is nowhere in the file.
    secret = 987_654_321_987
    frames = dict(shop_frames)
    frames["friendships"] = pd.concat(
        [shop_frames["friendships"], pd.DataFrame({"src": [secret], "dst": [5]})],
        ignore_index=True)
    g = ig.build_graph(**frames, progress=False)
    le = secret.to_bytes(8, "little")
    assert g.has_events and g.to_bytes().count(le) == 2  # the graph's ids and the events'
    f = g.forget([secret])
    assert not f.has_events and le not in f.to_bytes()
