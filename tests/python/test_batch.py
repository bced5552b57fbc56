"""recommend_batch is exactly the single calls stacked, whatever the thread count, and
everything is deterministic across builds."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

import invitegraph as ig

BATCH_COLUMNS = ["inviter", "item", "candidate", "score", "ranker_score", "join_probability",
                 "rank", "reasons"]


def stacked_single_calls(rec: ig.Recommender, inviters, items, k: int) -> pd.DataFrame:
    parts = []
    for u, item in zip(inviters, items):
        df = rec.recommend(int(u), item=None if item is None else int(item), k=k)
        df.insert(0, "item", np.int64(-1 if item is None else item))
        df.insert(0, "inviter", np.int64(u))
        parts.append(df)
    out = pd.concat(parts, ignore_index=True)
    out["inviter"] = out["inviter"].astype(np.int64)
    out["item"] = out["item"].astype(np.int64)
    return out


def assert_same_rows(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == BATCH_COLUMNS
    assert len(got) == len(want)
    for col in ("inviter", "item", "candidate", "rank"):
        np.testing.assert_array_equal(got[col].to_numpy(), want[col].to_numpy(), err_msg=col)
    # Bit-identical scores, identical reason lists.
    np.testing.assert_array_equal(got["score"].to_numpy(), want["score"].to_numpy())
    assert got["reasons"].tolist() == want["reasons"].tolist()


def test_batch_equals_single_calls(synth_graph, synth_requests):
    rec = ig.Recommender(synth_graph)
    inviters, items = synth_requests
    batch = rec.recommend_batch(inviters=inviters, items=items, k=10, progress=False)
    assert_same_rows(batch, stacked_single_calls(rec, inviters, items, 10))
    assert (batch["inviter"] != batch["candidate"]).all(), "an inviter was suggested to itself"
    assert not batch.duplicated(["inviter", "candidate"]).any()
    # Request order is kept, and every request got min(k, #candidates) rows.
    sizes = batch.groupby("inviter", sort=False).size()
    assert sizes.index.tolist() == inviters.tolist()
    assert (sizes <= 10).all() and (sizes > 0).all()


def test_batch_with_one_item_or_none(synth_graph, synth_requests):
    rec = ig.Recommender(synth_graph)
    inviters = synth_requests[0][:60]
    one = rec.recommend_batch(inviters, items=17, k=5, progress=False)
    assert_same_rows(one, stacked_single_calls(rec, inviters, [17] * len(inviters), 5))
    none = rec.recommend_batch(inviters, items=None, k=5, progress=False)
    assert_same_rows(none, stacked_single_calls(rec, inviters, [None] * len(inviters), 5))


def test_batch_input_forms(synth_graph):
    rec = ig.Recommender(synth_graph)
    inviters = [5, 9, 5, 2999]  # duplicates are separate requests
    items = [3, 4, 3, 5]
    ref = rec.recommend_batch(inviters, items, k=4, progress=False)
    assert_same_rows(ref, stacked_single_calls(rec, inviters, items, 4))
    for inv, it in [(np.array(inviters, dtype=np.int32), np.array(items, dtype=np.uint16)),
                    (pd.Series(inviters), pd.Series(items)),
                    ((u for u in inviters), items),
                    (tuple(inviters), tuple(items))]:
        assert_same_rows(rec.recommend_batch(inv, it, k=4, progress=False), ref)
    empty = rec.recommend_batch([], items=[], k=4, progress=False)
    assert list(empty.columns) == BATCH_COLUMNS and len(empty) == 0
    assert empty["reasons"].dtype == object


@pytest.mark.parametrize("num_threads", [2, 4, 0])
def test_batch_independent_of_thread_count(synth_graph, num_threads):
    rec = ig.Recommender(synth_graph)
    rng = np.random.default_rng(4)
    inviters = rng.integers(0, 3000, size=1500)
    items = rng.integers(0, 300, size=1500)
    one = rec.recommend_batch(inviters, items, k=8, num_threads=1, progress=False)
    many = rec.recommend_batch(inviters, items, k=8, num_threads=num_threads, progress=False)
    assert_same_rows(many, one)


def test_concurrent_python_threads_share_a_recommender(synth_graph, synth_requests):
    rec = ig.Recommender(synth_graph)
    inviters, items = synth_requests
    want = [rec.recommend(int(u), int(i), k=6) for u, i in zip(inviters[:80], items[:80])]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda ui: rec.recommend(int(ui[0]), int(ui[1]), k=6),
                            zip(inviters[:80], items[:80])))
    for a, b in zip(got, want):
        pd.testing.assert_frame_equal(a, b, check_exact=True)


def _fingerprint(g: ig.SocialGraph, users) -> dict:
    offsets, targets = g.csr()
    rec = ig.Recommender(g)
    return {
        "users": np.asarray(g.user_ids()).tolist(),
        "offsets": np.asarray(offsets).tolist(),
        "targets": np.asarray(targets).tolist(),
        "as_of": g.as_of,
        "profiles": [g.profile(int(u)) for u in users],
        "arcs": [g.arc(int(u), int(v)) for u in users for v in g.neighbors(int(u))],
        "features": [rec.features(int(u), item=3).to_numpy().tobytes() for u in users],
    }


def test_repeated_builds_are_identical(synth_world):
    users = np.arange(0, 3000, 97)
    tables = synth_world.tables()
    a = ig.build_graph(**tables, progress=False)
    b = ig.build_graph(**tables, progress=False)
    assert _fingerprint(a, users) == _fingerprint(b, users)
    inviters = np.arange(0, 3000, 7)
    assert_same_rows(ig.Recommender(a).recommend_batch(inviters, 11, progress=False),
                     ig.Recommender(b).recommend_batch(inviters, 11, progress=False))


def test_build_independent_of_thread_count(synth_world):
    users = np.arange(1, 3000, 101)
    prints = [
        _fingerprint(ig.build_graph(**synth_world.tables(),
                                    config=ig.GraphConfig(num_threads=n), progress=False),
                     users)
        for n in (1, 2, 3)
    ]
    assert prints[0] == prints[1] == prints[2]


def test_repeated_requests_are_identical(synth_graph, synth_requests):
    inviters, items = synth_requests
    a, b = ig.Recommender(synth_graph), ig.Recommender(synth_graph)
    for u, i in zip(inviters[:20], items[:20]):
        first = a.recommend(int(u), int(i), k=10)
        pd.testing.assert_frame_equal(first, a.recommend(int(u), int(i), k=10), check_exact=True)
        pd.testing.assert_frame_equal(first, b.recommend(int(u), int(i), k=10), check_exact=True)


def _with_unknown_inviters(inviters, items):
    """The requests with unknown inviters at the start, inside, repeated and last; returns
    (inviters, items, the unknown ids in request order)."""
    unknown = {0: 10**9, 1: 10**12 + 3, 70: 10**9, 200: 4_000_000}
    inv, it, want = [], [], []
    for i, (u, item) in enumerate(zip(inviters, items)):
        if i in unknown:
            inv.append(unknown[i])
            it.append(int(item))
            want.append(unknown[i])
        inv.append(int(u))
        it.append(int(item))
    inv.append(10**12 + 3)
    it.append(3)
    want.append(10**12 + 3)
    return np.array(inv, dtype=np.int64), np.array(it, dtype=np.int64), tuple(want)


@pytest.mark.parametrize("num_threads", [1, 2])
def test_batch_skips_unknown_inviters_and_reports_them(synth_graph, synth_requests,
                                                       num_threads):
    rec = ig.Recommender(synth_graph)
    inviters, items = synth_requests
    assert all(int(u) in synth_graph for u in inviters)
    inv, it, unknown = _with_unknown_inviters(inviters, items)
    assert not any(u in synth_graph for u in unknown)
    got = rec.recommend_batch(inv, it, k=6, num_threads=num_threads, progress=False)
    assert_same_rows(got, stacked_single_calls(rec, inviters, items, 6))
    assert got.attrs["unknown_inviters"] == unknown
    np.testing.assert_array_equal(np.isin(inv, got.attrs["unknown_inviters"]),
                                  [u in unknown for u in inv.tolist()])
    # Every inviter known: an empty report. Only unknown ones: no rows, all reported.
    known = rec.recommend_batch(inviters[:30], items[:30], k=6, progress=False)
    assert known.attrs["unknown_inviters"] == ()
    none = rec.recommend_batch(list(unknown), 5, k=6, progress=False)
    assert list(none.columns) == BATCH_COLUMNS and len(none) == 0
    assert none.attrs["unknown_inviters"] == unknown
    # The report keeps the usual frame operations working (arrays in attrs break them).
    both = pd.concat([got, known, got], ignore_index=True)
    assert len(both) == 2 * len(got) + len(known)
    assert len(got.merge(known, on=["inviter", "candidate"], how="outer")) > 0


def test_batch_unknown_inviters_raise(synth_graph, synth_requests):
    rec = ig.Recommender(synth_graph)
    inviters, items = synth_requests
    inv, it, unknown = _with_unknown_inviters(inviters, items)
    # From row 3 on, the first unknown inviter is the one inserted before request 70.
    assert inv[72] == 10**9 and not set(inv[3:72].tolist()) & set(unknown)
    with pytest.raises(KeyError, match=r"inviters\[69\]=1000000000 is not in the graph"):
        rec.recommend_batch(inv[3:], it[3:], k=6, unknown_inviters="raise", progress=False)
    with pytest.raises(KeyError, match=r"inviters\[0\]=1000000000"):
        rec.recommend_batch(inv, it, k=6, num_threads=2, unknown_inviters="raise",
                            progress=False)
    for bad in ("ignore", "Skip", None, 1):
        with pytest.raises(ValueError, match=r"unknown_inviters=.*'skip' or 'raise'"):
            rec.recommend_batch(inviters[:5], items[:5], unknown_inviters=bad)
    # Known inviters only: "raise" serves them as "skip" does.
    assert_same_rows(rec.recommend_batch(inviters[:50], items[:50], k=4,
                                         unknown_inviters="raise", progress=False),
                     stacked_single_calls(rec, inviters[:50], items[:50], 4))


def test_cascade_size(synth_graph, synth_requests):
    """cascade_size: validated, kept by config and pickling; as large as the pool it
    changes nothing, and a small one changes some lists but never their length."""
    import pickle

    inviters, items = synth_requests
    inviters, items = inviters[:150], items[:150]
    with pytest.raises(ig.InvalidArgumentError, match="cascade_size=-1"):
        ig.Recommender(synth_graph, cascade_size=-1)
    assert ig.Recommender(synth_graph).config.cascade_size == ig.RecommenderConfig().cascade_size
    full = ig.Recommender(synth_graph, cascade_size=0)
    huge = ig.Recommender(synth_graph, cascade_size=1 << 20)
    small = ig.Recommender(synth_graph, cascade_size=12)
    assert pickle.loads(pickle.dumps(small)).config.cascade_size == 12
    want = full.recommend_batch(inviters, items=items, k=10, progress=False)
    assert_same_rows(huge.recommend_batch(inviters, items=items, k=10, progress=False), want)
    got = small.recommend_batch(inviters, items=items, k=10, progress=False)
    assert len(got) == len(want)
    assert not np.array_equal(got["candidate"].to_numpy(), want["candidate"].to_numpy())
    # Each list is the full ranker's order over the candidates the cut kept.
    assert_same_rows(got, stacked_single_calls(small, inviters, items, 10))
