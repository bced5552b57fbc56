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


# --------------------------------------------------------------------------------------
# Planted abuse (ground truth for abuse detectors).
# --------------------------------------------------------------------------------------
END = 1_700_000_000 + 180 * 86_400
PLANTED = dict(ring_prevalence=0.01, lockstep_prevalence=0.01)


@pytest.fixture(scope="module")
def planted():
    return ig.synth.generate(20_000, seed=21, abuse=PLANTED, progress=False)


def _members(w, kind: str) -> dict:
    u = w.users[w.users["abuse"] == kind]
    return {int(g): grp["user"].to_numpy() for g, grp in u.groupby("abuse_group")}


def test_default_world_plants_nothing(synth_world):
    u = synth_world.users
    assert list(u["abuse"].cat.categories) == ["honest", "ring", "lockstep"]
    assert (u["abuse"] == "honest").all()
    assert (u["abuse_group"] == -1).all()
    assert len(synth_world.ring_beneficiary) == 0
    assert synth_world.lockstep_targets == []
    # Planting options without prevalence change nothing.
    for abuse in ({}, dict(ring_prevalence=0.0, ring_size_min=5, fresh_days=2.0)):
        w = ig.synth.generate(3000, seed=1, abuse=abuse, progress=False)
        assert _worlds_equal(synth_world, w)


def test_planted_prevalence_and_ids(planted):
    u = planted.users
    counts = u["abuse"].value_counts()
    assert abs(counts["ring"] / 20_000 - 0.01) <= 0.0002
    assert abs(counts["lockstep"] / 20_000 - 0.01) <= 0.0004
    n_honest = int(counts["honest"])
    # Honest ids first, then rings, then lockstep groups.
    assert (u["abuse"].iloc[:n_honest] == "honest").all()
    assert u["abuse"].cat.codes.is_monotonic_increasing
    planted_rows = u.iloc[n_honest:]
    assert (planted_rows["abuse_group"] >= 0).all()
    assert (planted_rows["community"] == -1).all()
    assert (planted.interest[n_honest:] == 0).all()
    rings = _members(planted, "ring")
    assert sorted(rings) == list(range(len(planted.ring_beneficiary)))
    assert all(4 <= len(m) <= 12 for m in rings.values())
    assert (planted.ring_beneficiary < n_honest).all()
    groups = _members(planted, "lockstep")
    assert sorted(groups) == list(range(len(planted.lockstep_targets)))
    for t in planted.lockstep_targets:
        assert 10 <= len(t) <= 40 and len(set(t.tolist())) == len(t)
        assert (t < n_honest).all()
    # Planted accounts are in no campaign and, by default, buy nothing.
    assert (planted.campaigns["inviter"] < n_honest).all()
    assert (planted.invitations["invitee"] < n_honest).all()
    assert (planted.purchases["user"] < n_honest).all()


def test_rings_are_fresh_reciprocal_assist_cliques(planted):
    n_honest = int((planted.users["abuse"] == "honest").sum())
    inter = planted.interactions
    mine = inter[inter["src"] >= n_honest]
    assert len(mine) > 0
    assert (mine["ts"] >= END - 20 * 86_400).all() and (mine["ts"] < END).all()
    assist = mine[mine["kind"] == "assist"]
    pairs = set(zip(assist["src"].tolist(), assist["dst"].tolist()))
    for ring, members in _members(planted, "ring").items():
        beneficiary = int(planted.ring_beneficiary[ring])
        for a in members.tolist():
            assert (a, beneficiary) in pairs
            for b in members.tolist():
                assert a == b or (a, b) in pairs, f"ring {ring}: no assist {a}->{b}"


def test_lockstep_bursts_fall_in_one_window(planted):
    users = planted.users.set_index("user")
    inter = planted.interactions
    clicks = inter[inter["src"].map(users["abuse"]).eq("lockstep") & (inter["kind"] == "assist")]
    clicks = clicks.assign(group=clicks["src"].map(users["abuse_group"]))
    spread = clicks.groupby(["group", "dst"])["ts"].agg(lambda t: t.max() - t.min())
    assert (spread < 300).all()
    expected = {(g, int(t)) for g, ts in enumerate(planted.lockstep_targets) for t in ts}
    assert set(spread.index.tolist()) == expected


def test_planted_world_any_thread_count():
    kw = dict(seed=4, abuse=dict(PLANTED, ring_purchase_share=0.5), progress=False)
    one = ig.synth.generate(5000, num_threads=1, **kw)
    two = ig.synth.generate(5000, num_threads=2, **kw)
    assert _worlds_equal(one, two)
    np.testing.assert_array_equal(one.ring_beneficiary, two.ring_beneficiary)
    assert len(one.lockstep_targets) == len(two.lockstep_targets) > 0
    for a, b in zip(one.lockstep_targets, two.lockstep_targets):
        np.testing.assert_array_equal(a, b)
    # ring_purchase_share gives some ring members purchases.
    buyers = set(one.purchases["user"]) & set(one.users.loc[one.users["abuse"] == "ring", "user"])
    assert buyers


def test_abuse_accepts_any_mapping():
    from types import MappingProxyType
    w = ig.synth.generate(2000, seed=3, abuse=MappingProxyType({"ring_prevalence": 0.02}),
                          progress=False)
    assert (w.users["abuse"] == "ring").sum() == 40


def test_abuse_unknown_key_is_value_error():
    with pytest.raises(ValueError, match="ring_size_mx"):
        ig.synth.generate(1000, seed=0, abuse={"ring_size_mx": 5}, progress=False)


@pytest.mark.parametrize("key, value", [("ring_size_min", 2), ("lockstep_prevalence", 1.5),
                                        ("fresh_days", 0.0), ("lockstep_window_seconds", 0)])
def test_abuse_out_of_range_names_the_field(key, value):
    with pytest.raises(ValueError, match=f"abuse.{key}="):
        ig.synth.generate(1000, seed=0, abuse={key: value}, progress=False)


def test_abuse_wrong_type_is_type_error():
    with pytest.raises(TypeError, match="ring_size_min"):
        ig.synth.generate(1000, seed=0, abuse={"ring_size_min": 4.5}, progress=False)


def test_planted_world_builds_a_graph(planted):
    g = ig.build_graph(**planted.tables(), progress=False)
    assert g.num_nodes <= 20_000
    members = next(iter(_members(planted, "ring").values()))
    a, b = int(members[0]), int(members[1])
    assert g.arc(a, b)["channel_weight"]["assist"] > 0
    assert g.arc(b, a)["channel_weight"]["assist"] > 0
    clicker = int(next(iter(_members(planted, "lockstep").values()))[0])
    assert any(g.arc(clicker, int(t)) is not None for t in planted.lockstep_targets[0])


def test_participations_in_purchases_holds_each_participation_twice():
    plain = ig.synth.generate(2_000, seed=5, progress=False)
    trap = ig.synth.generate(2_000, seed=5, progress=False, participations_in_purchases=True)
    n = len(plain.purchases)
    # The interest-driven purchases and every other table are unchanged.
    pd.testing.assert_frame_equal(trap.purchases.iloc[:n].reset_index(drop=True),
                                  plain.purchases)
    pd.testing.assert_frame_equal(trap.campaigns, plain.campaigns)
    pd.testing.assert_frame_equal(trap.interactions, plain.interactions)
    # Then one row per participant (inviter, joiners) of each campaign, in order.
    rows = [(c.inviter if k == 0 else u, c.item, c.category, c.ts)
            for c in plain.campaigns.itertuples()
            for k, u in enumerate([c.inviter, *c.joined])]
    added = trap.purchases.iloc[n:]
    assert list(zip(added.user, added.item, added.category, added.ts)) == rows
    assert (added.amount > 0).all()
