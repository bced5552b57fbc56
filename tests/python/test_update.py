"""SocialGraph.update and SocialGraph.forget against graphs built from scratch."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import invitegraph as ig

DAY = 86_400
START = 1_700_000_000
CHANNEL_STEP = 2 ** (1 / 22) - 1      # half an 8-bit log code: 3.2 %
TIE_STEP = 2 ** (1 / 4096) - 1        # half a 16-bit log code: 0.017 %


@pytest.fixture(scope="module")
def world():
    return ig.synth.generate(400, seed=3, days=60.0, progress=False)


def _split(tables: dict, t1: int, seed: int) -> tuple[dict, dict]:
    """Base: a random ~60 % of the rows at or before t1; update: the rest."""
    rng = np.random.default_rng(seed)
    base, new = {}, {}
    for name, df in tables.items():
        keep = rng.random(len(df)) < 0.6
        if "ts" in df:
            keep &= df["ts"].to_numpy() <= t1
        base[name], new[name] = df[keep].reset_index(drop=True), df[~keep].reset_index(drop=True)
    return base, new


def _arcs(g: ig.SocialGraph) -> pd.DataFrame:
    return g.arcs().set_index(["src", "dst"]).sort_index()


def _check_like_rebuilt(u: ig.SocialGraph, full: ig.SocialGraph, updates: int = 1) -> None:
    assert u.as_of == full.as_of
    assert sorted(u.user_ids()) == sorted(full.user_ids())
    a, b = _arcs(u), _arcs(full)
    assert a.index.equals(b.index)
    assert (a["is_friend"] == b["is_friend"]).all()
    assert (a["days_since_last_interaction"] - b["days_since_last_interaction"]).abs().max() <= 1
    channel_tol = 2 ** ((updates + 1) / 22) - 1
    for name in ig.channel_names():
        x, y = a[name].to_numpy(np.float64), b[name].to_numpy(np.float64)
        assert np.all(np.abs(x - y) <= channel_tol * np.maximum(x, y) + 2 ** -10), name
    x, y = a["tie_strength"].to_numpy(np.float64), b["tie_strength"].to_numpy(np.float64)
    assert np.all(np.abs(x - y) <= 2 * (updates + 1) * TIE_STEP * np.maximum(x, y)
                  + 2 ** -14 + 8 * 2 ** -10)
    for user in full.user_ids()[::7]:
        p, q = u.profile(int(user)), full.profile(int(user))
        for key in ("degree", "first_seen", "is_new", "joins", "exposures"):
            assert p[key] == q[key], (user, key)
        assert p["join_rate"] == pytest.approx(q["join_rate"], rel=1e-6)
        assert p["purchase_weight"] == pytest.approx(q["purchase_weight"], rel=1e-5, abs=1e-7)
        assert sorted(p["category_affinity"]) == sorted(q["category_affinity"])
        for c, w in q["category_affinity"].items():
            assert p["category_affinity"][c] == pytest.approx(w, rel=1e-5, abs=1e-7)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                HealthCheck.function_scoped_fixture])
@given(split_day=st.integers(10, 50), gap_days=st.integers(0, 40), seed=st.integers(0, 2**16))
def test_update_equals_rebuild(world, split_day, gap_days, seed):
    tables = world.tables()
    t_end = int(max(tables["interactions"]["ts"].max(), tables["purchases"]["ts"].max(),
                    tables["campaigns"]["ts"].max()))
    t1 = START + split_day * DAY
    t2 = t_end + gap_days * DAY
    base, new = _split(tables, t1, seed)
    # Without the participation guard: an update cannot tie a new campaign to
    # purchases of an earlier batch, a rebuild can (docs/updating.md).
    off = ig.GraphConfig(participation_window_days=-1)
    g = ig.build_graph(**base, as_of=t1, progress=False, keep_events=False, config=off)
    u = g.update(**new, as_of=t2)
    full = ig.build_graph(**tables, as_of=t2, progress=False, keep_events=False,
                          config=off)
    _check_like_rebuilt(u, full)
    # Activity windows: exact once the gap exceeds the window, else bounded by the
    # base graph's 30-day count.
    for user in full.user_ids()[::11]:
        p, q = u.profile(int(user)), full.profile(int(user))
        before = g.profile(int(user))["activity_30d"] if int(user) in g else 0.0
        slack = 1e-4 + (0.0 if t2 - t1 > 30 * DAY else before)
        assert abs(p["activity_30d"] - q["activity_30d"]) <= slack
        assert abs(p["activity_7d"] - q["activity_7d"]) <= slack


def test_update_keeps_the_old_graph_and_reports_bad_rows(world):
    tables = world.tables()
    t1 = START + 30 * DAY
    base, new = _split(tables, t1, 1)
    g = ig.build_graph(**base, as_of=t1, progress=False, keep_events=False)
    before = g.to_bytes()
    bad = new["interactions"].copy()
    bad.loc[3, "src"] = -5
    with pytest.raises(ValueError, match=r"interactions\.src\[3\]=-5"):
        g.update(interactions=bad)
    with pytest.raises(ValueError, match=r"before the graph's as_of"):
        g.update(interactions=new["interactions"], as_of=t1 - 1)
    with pytest.raises(ValueError, match=r"interactions\.ts\[\d+\]=\d+: timestamp is after"):
        g.update(interactions=new["interactions"], as_of=t1)
    assert g.to_bytes() == before
    u = g.update(**new)
    assert u.as_of == max(int(df["ts"].max()) for df in new.values() if "ts" in df)
    assert g.to_bytes() == before
    assert len(u.communities()) == len(u)
    with pytest.raises(ValueError, match="communities=False"):
        u.update(communities=False).community_columns()


SECRET_A = 0x5A5A5A5A5A5A5A5A
SECRET_B = 0x3C3C3C3C3C3C3C3C


def _le(user: int) -> bytes:
    return int(user).to_bytes(8, "little")


def _with_secrets(world) -> dict:
    tables = world.tables()
    others = world.users["user"].to_numpy()[:20]
    secrets = np.array([SECRET_A, SECRET_B] * 10, dtype=np.int64)
    ts = START + 50 * DAY
    tables["friendships"] = pd.concat([tables["friendships"], pd.DataFrame(
        {"src": secrets, "dst": others})], ignore_index=True)
    inter = pd.DataFrame({"src": np.r_[secrets, others], "dst": np.r_[others, secrets],
                          "kind": ["chat"] * 40, "ts": [ts] * 40})
    inter["kind"] = pd.Categorical(inter["kind"], categories=ig.channel_names())
    tables["interactions"] = pd.concat([tables["interactions"], inter], ignore_index=True)
    tables["purchases"] = pd.concat([tables["purchases"], pd.DataFrame(
        {"user": secrets[:4], "item": world.items["item"].to_numpy()[:4],
         "category": world.items["category"].to_numpy()[:4], "amount": 1.0, "ts": ts})],
        ignore_index=True)
    return tables


def test_forget_leaves_no_trace(world, tmp_path):
    g = ig.build_graph(**_with_secrets(world), progress=False, keep_events=False)
    assert _le(SECRET_A) in g.to_bytes() and _le(SECRET_B) in g.to_bytes()
    f = g.forget([SECRET_A, SECRET_B, 424242424242])
    assert len(f) == len(g) - 2
    assert SECRET_A not in f and SECRET_B not in f
    path = tmp_path / "forgotten.igs"
    f.save(path)
    data = path.read_bytes()
    assert _le(SECRET_A) not in data and _le(SECRET_B) not in data
    # Arcs in both directions are gone; the rest keep their weights.
    arcs = f.arcs()
    assert not arcs["src"].isin([SECRET_A, SECRET_B]).any()
    assert not arcs["dst"].isin([SECRET_A, SECRET_B]).any()
    kept = _arcs(g)
    kept = kept[~kept.index.get_level_values(0).isin([SECRET_A, SECRET_B])
                & ~kept.index.get_level_values(1).isin([SECRET_A, SECRET_B])]
    pd.testing.assert_frame_equal(_arcs(f), kept)
    # Recommendations never surface them.
    inviters = world.users["user"].to_numpy()[:20]
    before = ig.Recommender(g).recommend_batch(inviters=inviters, k=50)
    assert before["candidate"].isin([SECRET_A, SECRET_B]).any()
    after = ig.Recommender(f).recommend_batch(inviters=inviters, k=50)
    assert not after["candidate"].isin([SECRET_A, SECRET_B]).any()
    with pytest.raises(KeyError, match="424242424242"):
        g.forget([SECRET_A, 424242424242], ignore_unknown=False)
    with pytest.raises(ValueError, match=r"users\[0\]=-3"):
        g.forget([-3])


def test_forget_pickles_and_updates(world):
    import pickle
    g = ig.build_graph(**_with_secrets(world), progress=False, keep_events=False)
    f = g.forget(np.array([SECRET_A], dtype=np.int64), communities=False)
    assert f.stats()["num_communities"] == f.communities()["community"].nunique()
    again = pickle.loads(pickle.dumps(f))
    assert again.to_bytes() == f.to_bytes()
    u = f.update(interactions={"src": [SECRET_A], "dst": [1], "kind": ["chat"],
                               "ts": [f.as_of]})
    assert SECRET_A in u and len(u) == len(f) + (0 if 1 in f else 1) + 1
