"""The synthetic world generator: deterministic per seed, well-formed, accepted by
build_graph."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import invitegraph as ig

TABLES = ("friendships", "interactions", "purchases", "campaigns", "users", "items")


def _frame_equal(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        return False
    for col in a.columns:
        x, y = a[col], b[col]
        if x.dtype == object:
            if not all(np.array_equal(np.asarray(p), np.asarray(q)) for p, q in zip(x, y)):
                return False
        elif not x.equals(y):
            return False
    return True


def _worlds_equal(a, b) -> bool:
    return all(_frame_equal(getattr(a, t), getattr(b, t)) for t in TABLES) and \
        np.array_equal(a.interest, b.interest)


def test_same_seed_same_world(synth_world):
    again = ig.synth.generate(3000, seed=1, progress=False)
    assert _worlds_equal(synth_world, again)


def test_same_seed_any_thread_count(synth_world):
    assert _worlds_equal(synth_world,
                         ig.synth.generate(3000, seed=1, num_threads=1, progress=False))
    assert _worlds_equal(synth_world,
                         ig.synth.generate(3000, seed=1, num_threads=3, progress=False))


def test_other_seed_other_world(synth_world):
    other = ig.synth.generate(3000, seed=2, progress=False)
    assert not _frame_equal(synth_world.friendships, other.friendships)
    assert not _frame_equal(synth_world.interactions, other.interactions)
    assert not _frame_equal(synth_world.campaigns, other.campaigns)
    # Same shape of world, though.
    assert len(other.users) == 3000
    assert abs(len(other.friendships) - len(synth_world.friendships)) < \
        0.2 * len(synth_world.friendships)


def test_tables_are_well_formed(synth_world):
    w = synth_world
    n = 3000
    assert w.users["user"].tolist() == list(range(n))
    for df, cols in [(w.friendships, ["src", "dst"]), (w.interactions, ["src", "dst"]),
                     (w.purchases, ["user"]), (w.campaigns, ["inviter"])]:
        for c in cols:
            assert df[c].between(0, n - 1).all(), c
    assert (w.friendships["src"] != w.friendships["dst"]).all(), "self-loop in friendships"
    assert (w.interactions["src"] != w.interactions["dst"]).all(), "self-loop in interactions"
    assert set(w.interactions["kind"].astype(str)) <= set(ig.channel_names())
    assert w.interactions["ts"].between(1_700_000_000, 1_700_000_000 + 180 * 86_400).all()
    assert w.purchases["item"].isin(w.items["item"]).all()
    assert (w.purchases["amount"] >= 0).all() and np.isfinite(w.purchases["amount"]).all()
    item_cat = dict(zip(w.items["item"], w.items["category"]))
    assert (w.purchases["category"] == w.purchases["item"].map(item_cat)).all()
    assert w.interest.shape == (n, 20)
    np.testing.assert_allclose(w.interest.sum(axis=1), 1.0, rtol=1e-5)
    assert (w.interest >= 0).all()
    assert len(w.campaigns) > 0
    for r in w.campaigns.itertuples():
        invited, joined = set(np.asarray(r.invited).tolist()), set(np.asarray(r.joined).tolist())
        assert joined <= invited, f"campaign {r.Index}: joined {joined - invited} not invited"
        assert r.inviter not in invited
        assert len(joined) == len(np.asarray(r.joined))  # no duplicate joiners


def test_world_tables_build_a_graph(synth_world):
    tables = synth_world.tables()
    assert set(tables) == {"friendships", "interactions", "purchases", "campaigns"}
    g = ig.build_graph(**tables, progress=False)
    latest = max(synth_world.interactions["ts"].max(), synth_world.purchases["ts"].max(),
                 synth_world.campaigns["ts"].max())
    assert g.as_of == latest
    assert g.num_nodes <= 3000
    # Every friendship is a contact in the graph.
    f = synth_world.friendships.sample(300, random_state=0)
    for s, d in zip(f["src"], f["dst"]):
        arc = g.arc(int(s), int(d))
        assert arc is not None and arc["is_friend"]
    # Joiners are contacts of their inviters (team_join arcs).
    for r in synth_world.campaigns.head(50).itertuples():
        for j in np.asarray(r.joined):
            assert g.arc(int(j), int(r.inviter))["channel_weight"]["team_join"] > 0
    rec = ig.Recommender(g)
    top = rec.recommend(int(synth_world.campaigns["inviter"].iloc[0]),
                        item=int(synth_world.campaigns["item"].iloc[0]), k=10)
    assert len(top) == 10


@pytest.mark.parametrize("n_users", [2, 3, 50])
def test_small_worlds(n_users):
    w = ig.synth.generate(n_users, seed=3, progress=False)
    assert len(w.users) == n_users
    assert (w.friendships["src"] != w.friendships["dst"]).all()
    if len(w.friendships) or len(w.interactions) or len(w.purchases):
        ig.build_graph(**w.tables(), progress=False)


@pytest.mark.parametrize("n_users", [0, 1, -5])
def test_too_small_world_is_value_error(n_users):
    with pytest.raises(ValueError, match="n_users"):
        ig.synth.generate(n_users, seed=0, progress=False)
