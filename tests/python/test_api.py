"""The public API as users write it, checked against values worked out by hand.

The oracle below re-derives the documented semantics from the raw rows of the hand-made
shop (conftest.SHOP): tie strength = friendship weight + sum over events of
channel weight * 2**(-age / half_life); campaign joins are team_join events joiner ->
inviter plus purchases; category affinity is the decayed share of a user's purchases in
the category; join rate is Beta-smoothed joins / exposures; link-prediction features come
from networkx on the undirected contact graph.
"""
from __future__ import annotations

import datetime as dt
import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import invitegraph as ig
from conftest import DAY, SHOP, T0

DEFAULT_CHANNEL_WEIGHTS = {"chat": 1.0, "like": 0.3, "comment": 0.5, "share": 0.8,
                           "visit": 0.2, "assist": 1.5, "team_join": 2.0,
                           "invite_accepted": 2.0}
NEVER_DAYS = 3650.0
SUGGESTION_COLUMNS = ["candidate", "score", "ranker_score", "join_probability", "rank", "reasons"]
BATCH_COLUMNS = ["inviter", "item", "candidate", "score", "ranker_score", "join_probability",
                 "rank", "reasons"]


# --------------------------------------------------------------------------------------
# Oracle for the hand-made shop.
# --------------------------------------------------------------------------------------
def _channel_events():
    """(src, dst, kind, ts) of every channel event, campaign joins included."""
    i = SHOP["interactions"]
    events = list(zip(i["src"], i["dst"], i["kind"], i["ts"]))
    c = SHOP["campaigns"]
    for inviter, joined, ts in zip(c["inviter"], c["joined"], c["ts"]):
        events += [(j, inviter, "team_join", ts) for j in joined]
    return events


def _contact_graph() -> nx.Graph:
    g = nx.Graph()
    g.add_edges_from(zip(SHOP["friendships"]["src"], SHOP["friendships"]["dst"]))
    g.add_edges_from((s, d) for s, d, _, _ in _channel_events())
    return g


def _decay(age_s: float, half_life_days: float) -> float:
    return 2.0 ** (-(age_s / DAY) / half_life_days)


def ref_channel(u, v, kind, as_of, half_life):
    return sum(_decay(as_of - ts, half_life)
               for s, d, k, ts in _channel_events() if (s, d, k) == (u, v, kind))


def ref_tie(u, v, as_of, half_life, weights=DEFAULT_CHANNEL_WEIGHTS, friendship_weight=1.0):
    f = SHOP["friendships"]
    friends = {frozenset(p) for p in zip(f["src"], f["dst"])}
    tie = friendship_weight if frozenset((u, v)) in friends else 0.0
    return tie + sum(weights[k] * ref_channel(u, v, k, as_of, half_life) for k in weights)


def ref_days(u, v, as_of):
    ages = [(as_of - ts) / DAY for s, d, _, ts in _channel_events() if {s, d} == {u, v}]
    return float(math.floor(min(ages))) if ages else NEVER_DAYS


def _item_category():
    cats = {}
    for item, cat in zip(SHOP["purchases"]["item"], SHOP["purchases"]["category"]):
        cats.setdefault(item, cat)
    for item, cat in zip(SHOP["campaigns"]["item"], SHOP["campaigns"]["category"]):
        cats.setdefault(item, cat)
    return cats


def _purchase_rows():
    """(user, item, ts) of every purchase: orders, campaign joins, the inviter's order."""
    p, c = SHOP["purchases"], SHOP["campaigns"]
    rows = list(zip(p["user"], p["item"], p["ts"]))
    for inviter, item, joined, ts in zip(c["inviter"], c["item"], c["joined"], c["ts"]):
        rows.append((inviter, item, ts))
        rows += [(j, item, ts) for j in joined]
    return rows


def ref_category_profile(user, as_of, half_life):
    """Decayed purchase weight per category."""
    cats = _item_category()
    prof = {}
    for u, item, ts in _purchase_rows():
        if u == user:
            prof[cats[item]] = prof.get(cats[item], 0.0) + _decay(as_of - ts, half_life)
    return prof


def ref_item_profile(user, as_of, half_life):
    """Decayed purchase weight per item."""
    prof = {}
    for u, item, ts in _purchase_rows():
        if u == user:
            prof[item] = prof.get(item, 0.0) + _decay(as_of - ts, half_life)
    return prof


def cosine(a: dict, b: dict) -> float:
    norm = math.sqrt(sum(w * w for w in a.values())) * math.sqrt(sum(w * w for w in b.values()))
    return sum(w * b.get(k, 0.0) for k, w in a.items()) / norm if norm else 0.0


def ref_join_rate(user, prior_mean=0.1, prior_strength=10.0):
    c = SHOP["campaigns"]
    joins = sum(user in j for j in c["joined"])
    exposures = max(sum(user in inv for inv in c["invited"]), joins)
    return (joins + prior_mean * prior_strength) / (exposures + prior_strength)


def ref_first_seen(user):
    i, p, c = SHOP["interactions"], SHOP["purchases"], SHOP["campaigns"]
    ts = [t for s, d, t in zip(i["src"], i["dst"], i["ts"]) if user in (s, d)]
    ts += [t for u, t in zip(p["user"], p["ts"]) if u == user]
    ts += [t for inv, j, t in zip(c["inviter"], c["joined"], c["ts"]) if user == inv or user in j]
    return min(ts) if ts else None


def ref_features(inviter, item, as_of, half_life):
    """Expected feature rows (dict per candidate) for the shop."""
    g = _contact_graph()
    cats = _item_category()
    cat = cats.get(item)
    prof_u = ref_category_profile(inviter, as_of, half_life)
    items_u = ref_item_profile(inviter, as_of, half_life)
    out = {}
    two_hop = {w for v in g[inviter] for w in g[v]} - set(g[inviter]) - {inviter}
    for v in sorted(set(g[inviter]) | two_hop):
        one_hop = v in g[inviter]
        prof_v = ref_category_profile(v, as_of, half_life)
        total_v = sum(prof_v.values())
        dot = sum(prof_u.get(k, 0.0) * w for k, w in prof_v.items())
        norm = math.sqrt(sum(w * w for w in prof_u.values())) * \
            math.sqrt(sum(w * w for w in prof_v.values()))
        first = ref_first_seen(v)
        f = SHOP["friendships"]
        row = {
            "tie_strength": ref_tie(inviter, v, as_of, half_life),
            "reverse_tie_strength": ref_tie(v, inviter, as_of, half_life),
            "days_since_last_interaction": ref_days(inviter, v, as_of) if one_hop else NEVER_DAYS,
            "is_friend": float(frozenset((inviter, v)) in
                               {frozenset(p) for p in zip(f["src"], f["dst"])}),
            "is_two_hop": float(not one_hop),
            "common_neighbors": float(len(list(nx.common_neighbors(g, inviter, v)))),
            "adamic_adar": next(nx.adamic_adar_index(g, [(inviter, v)]))[2],
            "jaccard": next(nx.jaccard_coefficient(g, [(inviter, v)]))[2],
            "candidate_bought_item": float(
                any(u == v and it == item for u, it in zip(SHOP["purchases"]["user"],
                                                            SHOP["purchases"]["item"]))
                or any(v in j and it == item for it, j in zip(SHOP["campaigns"]["item"],
                                                               SHOP["campaigns"]["joined"]))),
            "candidate_category_affinity": prof_v.get(cat, 0.0) / total_v if total_v else 0.0,
            "shopping_similarity": dot / norm if norm else 0.0,
            "candidate_is_new": float(first is not None and as_of - first <= 30 * DAY),
            "candidate_join_rate": ref_join_rate(v),
            "candidate_degree": float(g.degree(v)),
            "item_similarity": cosine(items_u, ref_item_profile(v, as_of, half_life)),
            "candidate_purchases": sum(ref_item_profile(v, as_of, half_life).values()),
            # No recorded outcomes: the prior mean and no fatigue.
            "candidate_accept_rate": 0.2,
            "candidate_fatigue": 0.0,
        }
        for kind in DEFAULT_CHANNEL_WEIGHTS:
            row[f"{kind}_weight"] = ref_channel(inviter, v, kind, as_of, half_life)
        out[v] = row
    return out


def _channel_close(got: float, want: float) -> bool:
    """Channel weights are stored as round(16 * log2(1 + w)) (8 bits)."""
    return abs(math.log2(1.0 + got) - math.log2(1.0 + want)) <= 1.0 / 32 + 1e-6


def linear_score(row: pd.Series, weights: dict) -> float:
    """score = sum_f w_f * T_f(x_f): log1p for counts and weights, exp(-days/30) for
    recency, identity for indicators, shares and rates."""
    log1p = {"tie_strength", "reverse_tie_strength", "common_neighbors", "adamic_adar",
             "candidate_activity_7d", "candidate_activity_30d", "candidate_degree",
             "candidate_purchases", "candidate_fatigue"}
    log1p |= {f"{k}_weight" for k in DEFAULT_CHANNEL_WEIGHTS}
    s = 0.0
    for name, w in weights.items():
        x = float(row[name])
        if name in log1p:
            x = math.log1p(max(0.0, x))
        elif name == "days_since_last_interaction":
            x = math.exp(-x / 30.0)
        s += w * x
    return s


def check_suggestions(df: pd.DataFrame, inviter: int, k: int, n_candidates: int,
                      max_reasons: int = 3) -> None:
    assert list(df.columns) == SUGGESTION_COLUMNS
    assert df["candidate"].dtype == np.int64
    assert df["score"].dtype.kind == "f"
    assert df["rank"].dtype.kind == "i"
    assert df["reasons"].dtype == object
    assert len(df) == min(k, n_candidates)
    assert df["rank"].tolist() == list(range(1, len(df) + 1))
    assert (np.diff(df["score"].to_numpy()) <= 0).all(), "scores must be sorted descending"
    assert inviter not in set(df["candidate"])
    assert df["candidate"].is_unique
    for reasons in df["reasons"]:
        assert isinstance(reasons, list)
        assert all(isinstance(r, str) and r for r in reasons)
        assert len(reasons) <= max_reasons
        assert len(set(reasons)) == len(reasons)


# --------------------------------------------------------------------------------------
# Usage exactly as in the README.
# --------------------------------------------------------------------------------------
def test_quickstart_usage(shop_frames):
    friends_df, events_df = shop_frames["friendships"], shop_frames["interactions"]
    orders_df, history_df = shop_frames["purchases"], shop_frames["campaigns"]
    g = ig.build_graph(friendships=friends_df, interactions=events_df, purchases=orders_df,
                       campaigns=history_df, as_of=None,
                       config=ig.GraphConfig(half_life_days=30.0,
                                             channel_weights={"chat": 1.0, "assist": 1.5}),
                       progress=False)
    assert isinstance(g, ig.SocialGraph)
    assert len(g) == g.num_nodes == 6
    assert g.num_arcs == 2 * _contact_graph().number_of_edges()
    assert 123 in g and 42 not in g
    rec = ig.Recommender(g)

    top = rec.recommend(inviter=123, item=42, k=10)
    check_suggestions(top, inviter=123, k=10, n_candidates=4)
    assert set(top["candidate"]) == {5, 6, 7, 8}

    batch = rec.recommend_batch(inviters=[123, 5, 7], items=[42, 42, 7], k=10)
    assert list(batch.columns) == BATCH_COLUMNS
    assert batch["inviter"].dtype == np.int64 and batch["item"].dtype == np.int64
    assert batch["inviter"].drop_duplicates().tolist() == [123, 5, 7]
    for (inviter, item), part in batch.groupby(["inviter", "item"], sort=False):
        assert {123: 42, 5: 42, 7: 7}[inviter] == item
        check_suggestions(part[SUGGESTION_COLUMNS].reset_index(drop=True), inviter, 10,
                          n_candidates=len(rec.features(inviter, item)))

    feats = rec.features(inviter=123, item=42)
    assert list(feats.columns) == ["candidate"] + ig.feature_names()
    assert feats["candidate"].dtype == np.int64
    assert all(feats[c].dtype.kind == "f" for c in ig.feature_names())
    assert sorted(feats["candidate"]) == [5, 6, 7, 8]


def test_feature_names_are_documented_set():
    names = ig.feature_names()
    assert len(names) == len(set(names))
    for required in ("tie_strength", "common_neighbors", "adamic_adar", "jaccard",
                     "is_two_hop", "candidate_bought_item"):
        assert required in names
    assert ig.channel_names() == list(DEFAULT_CHANNEL_WEIGHTS)
    assert set(ig.linear_weights()) == set(names)
    assert "linear" in ig.ranker_names()


@pytest.mark.parametrize("as_of", [None, T0 + 10 * DAY])
@pytest.mark.parametrize("half_life", [30.0, 7.0])
def test_features_match_hand_oracle(shop_frames, as_of, half_life):
    g = ig.build_graph(**shop_frames, as_of=as_of,
                       config=ig.GraphConfig(half_life_days=half_life), progress=False)
    ref_as_of = T0 if as_of is None else as_of
    assert g.as_of == ref_as_of
    feats = ig.Recommender(g).features(inviter=123, item=42).set_index("candidate")
    want = ref_features(123, 42, ref_as_of, half_life)
    assert sorted(feats.index) == sorted(want)
    for v, row in want.items():
        got = feats.loc[v]
        for name, value in row.items():
            if name.endswith("_weight"):
                assert _channel_close(got[name], value), (v, name, got[name], value)
            elif name in ("tie_strength", "reverse_tie_strength"):
                assert got[name] == pytest.approx(value, rel=1e-3, abs=1e-6), (v, name)
            else:
                assert got[name] == pytest.approx(value, rel=1e-5, abs=1e-6), (v, name)
        assert got["candidate_activity_30d"] >= got["candidate_activity_7d"] >= 0


def test_hand_values_spelled_out(shop_graph):
    """A few of the oracle's numbers written down, so the oracle itself is checked."""
    f = ig.Recommender(shop_graph).features(123, item=42).set_index("candidate")
    assert f.loc[5, "tie_strength"] == pytest.approx(2.0, rel=1e-3)      # friend + chat now
    assert f.loc[6, "tie_strength"] == pytest.approx(1.0, rel=1e-3)      # friend only
    assert f.loc[8, "tie_strength"] == pytest.approx(2 ** (-9 / 30), rel=1e-3)
    assert f.loc[5, "reverse_tie_strength"] == pytest.approx(
        1 + 1.5 * 2 ** (-1 / 30) + 2.0 * 2 ** (-20 / 30), rel=1e-3)
    assert f.loc[7, "is_two_hop"] == 1 and f.loc[7, "tie_strength"] == 0
    assert f.loc[7, "common_neighbors"] == 2
    assert f.loc[7, "adamic_adar"] == pytest.approx(1 / math.log(2) + 1 / math.log(3), rel=1e-5)
    assert f.loc[7, "jaccard"] == pytest.approx(2 / 4, rel=1e-5)
    assert f.loc[8, "days_since_last_interaction"] == 9
    assert f.loc[6, "days_since_last_interaction"] == NEVER_DAYS
    assert f.loc[5, "candidate_join_rate"] == pytest.approx(2 / 11, rel=1e-5)
    assert f.loc[6, "candidate_join_rate"] == pytest.approx(1 / 11, rel=1e-5)
    assert f.loc[8, "candidate_join_rate"] == pytest.approx(0.1, rel=1e-5)
    assert f.loc[8, "candidate_is_new"] == 0 and f.loc[6, "candidate_is_new"] == 1
    assert f.loc[[5, 7], "candidate_bought_item"].tolist() == [1, 1]
    assert f.loc[[6, 8], "candidate_bought_item"].tolist() == [0, 0]
    assert f.loc[8, "shopping_similarity"] == 0 and f.loc[5, "shopping_similarity"] == \
        pytest.approx(1.0, rel=1e-5)
    # 123's only purchase is its campaign's item 42; 5 and 7 bought 42 only, 8 item 7.
    assert f.loc[5, "item_similarity"] == pytest.approx(1.0, rel=1e-5)
    assert f.loc[7, "item_similarity"] == pytest.approx(1.0, rel=1e-5)
    assert f.loc[8, "item_similarity"] == 0 and f.loc[6, "item_similarity"] == 0
    assert f.loc[5, "candidate_purchases"] == pytest.approx(2 ** (-5 / 30) + 2 ** (-20 / 30),
                                                            rel=1e-5)  # order + campaign join
    assert f.loc[6, "candidate_purchases"] == 0
    np.testing.assert_allclose(f["candidate_accept_rate"], 0.2, rtol=1e-6)  # prior only
    assert (f["candidate_fatigue"] == 0).all()


def test_graph_accessors(shop_graph):
    g = shop_graph
    cg = _contact_graph()
    for u in cg:
        assert set(g.neighbors(u).tolist()) == set(cg[u])
        assert g.degree(u) == cg.degree(u)
    assert g.arc(123, 9) is None
    assert g.arc(123, 5)["is_friend"] is True and g.arc(123, 8)["is_friend"] is False
    assert g.item_category(42) == 1 and g.item_category(7) == 2
    assert g.item_category(12345) is None
    # README: a campaign is a purchase of the item by each joiner and by the inviter.
    assert sorted(g.item_buyers(42).tolist()) == [5, 7, 123]
    assert g.item_buyers(7).tolist() == [8]
    p = g.profile(5)
    assert p["joins"] == 1 and p["exposures"] == 1
    assert p["join_rate"] == pytest.approx(2 / 11, rel=1e-5)
    with pytest.raises(KeyError, match="777"):
        g.profile(777)
    with pytest.raises(KeyError, match="777"):
        g.neighbors(777)


def test_scores_follow_linear_formula(shop_graph, synth_graph, synth_requests):
    weights = ig.linear_weights()
    cases = [(shop_graph, 123, 42), (shop_graph, 7, 42), (shop_graph, 9, None)]
    inviters, items = synth_requests
    cases += [(synth_graph, int(u), int(i)) for u, i in zip(inviters[:10], items[:10])]
    for g, inviter, item in cases:
        rec = ig.Recommender(g)
        feats = rec.features(inviter, item=item)
        expected = pd.DataFrame({
            "candidate": feats["candidate"],
            "score": [linear_score(r, weights) for _, r in feats.iterrows()],
        })
        top = rec.recommend(inviter, item=item, k=len(feats) + 5)
        check_suggestions(top, inviter, len(feats) + 5, len(feats))
        merged = top.merge(expected, on="candidate", suffixes=("", "_ref"))
        assert len(merged) == len(feats)
        np.testing.assert_allclose(merged["score"], merged["score_ref"], rtol=1e-4, atol=1e-5)
        # Best first: score descending, then candidate id ascending.
        order = sorted(zip(top["score"], top["candidate"]), key=lambda t: (-t[0], t[1]))
        assert [c for _, c in order] == top["candidate"].tolist()


def test_ranker_spec_changes_one_weight(synth_graph, synth_requests):
    inviters, items = synth_requests
    base = ig.Recommender(synth_graph)
    heavy = ig.Recommender(synth_graph, ranker="linear(adamic_adar=2.0)")
    assert base.ranker_spec == "linear"
    assert "adamic_adar" in heavy.ranker_spec
    delta = 2.0 - ig.linear_weights()["adamic_adar"]
    for u, item in zip(inviters[:5], items[:5]):
        n = len(base.features(int(u), int(item)))
        a = base.recommend(int(u), int(item), k=n).set_index("candidate")
        b = heavy.recommend(int(u), int(item), k=n).set_index("candidate")
        aa = base.features(int(u), int(item)).set_index("candidate")["adamic_adar"]
        np.testing.assert_allclose(b["score"] - a.loc[b.index, "score"],
                                   delta * np.log1p(aa.loc[b.index]), rtol=1e-4, atol=1e-4)


def test_ties_broken_by_candidate_id():
    # A star whose leaves are indistinguishable: equal scores, so ids decide.
    g = ig.build_graph(friendships={"src": [10, 10, 10, 10], "dst": [30, 20, 40, 15]},
                       progress=False)
    top = ig.Recommender(g).recommend(10, k=10)
    assert top["candidate"].tolist() == [15, 20, 30, 40]
    assert top["score"].nunique() == 1
    assert top["rank"].tolist() == [1, 2, 3, 4]


def test_k_cuts_a_prefix(synth_graph, synth_requests):
    rec = ig.Recommender(synth_graph)
    inviters, items = synth_requests
    u, item = int(inviters[0]), int(items[0])
    full = rec.recommend(u, item=item, k=1000)
    for k in (1, 3, 10):
        part = rec.recommend(u, item=item, k=k)
        check_suggestions(part, u, k, len(full))
        pd.testing.assert_frame_equal(part, full.iloc[:k])
    empty = rec.recommend(u, item=item, k=0)
    assert list(empty.columns) == SUGGESTION_COLUMNS and len(empty) == 0
    assert empty["candidate"].dtype == np.int64 and empty["reasons"].dtype == object


def test_max_reasons_and_two_hop_options(shop_graph):
    none = ig.Recommender(shop_graph, max_reasons=0).recommend(123, item=42)
    assert none["reasons"].map(len).eq(0).all()
    one = ig.Recommender(shop_graph, max_reasons=1).recommend(123, item=42)
    check_suggestions(one, 123, 10, 4, max_reasons=1)
    direct = ig.Recommender(shop_graph, include_two_hop=False)
    assert sorted(direct.features(123)["candidate"]) == [5, 6, 8]
    assert sorted(direct.recommend(123)["candidate"]) == [5, 6, 8]
    zero = ig.Recommender(shop_graph, max_two_hop=0)
    assert sorted(zero.features(123)["candidate"]) == [5, 6, 8]


def test_unknown_item_and_no_item(shop_graph):
    rec = ig.Recommender(shop_graph)
    for item in (None, 99999):
        f = rec.features(123, item=item)
        assert (f["candidate_bought_item"] == 0).all()
        assert (f["candidate_category_affinity"] == 0).all()
        check_suggestions(rec.recommend(123, item=item), 123, 10, 4)
    # An explicit category stands in for the item's.
    f = rec.features(123, category=1).set_index("candidate")
    assert f.loc[7, "candidate_category_affinity"] == pytest.approx(1.0, rel=1e-5)
    assert f.loc[8, "candidate_category_affinity"] == 0


# --------------------------------------------------------------------------------------
# Input forms.
# --------------------------------------------------------------------------------------
def test_dict_of_arrays_equals_dataframes(shop_frames, shop_arrays, shop_config,
                                          graph_snapshot):
    a = ig.build_graph(**shop_frames, config=shop_config, progress=False)
    b = ig.build_graph(**shop_arrays, config=shop_config, progress=False)
    assert graph_snapshot(a) == graph_snapshot(b)
    for inviter in (123, 7):
        pd.testing.assert_frame_equal(ig.Recommender(a).recommend(inviter, item=42),
                                      ig.Recommender(b).recommend(inviter, item=42))
        pd.testing.assert_frame_equal(ig.Recommender(a).features(inviter, item=42),
                                      ig.Recommender(b).features(inviter, item=42))


def test_dict_of_lists_and_series(shop_frames, graph_snapshot):
    lists = {name: {k: v.tolist() for k, v in df.items()} for name, df in shop_frames.items()}
    series = {name: {k: v for k, v in df.items()} for name, df in shop_frames.items()}
    a = ig.build_graph(**shop_frames, progress=False)
    assert graph_snapshot(ig.build_graph(**lists, progress=False)) == graph_snapshot(a)
    assert graph_snapshot(ig.build_graph(**series, progress=False)) == graph_snapshot(a)


@pytest.mark.parametrize("friendships", [
    "omitted",
    "none",
    pd.DataFrame({"src": pd.Series([], dtype=np.int64), "dst": pd.Series([], dtype=np.int64)}),
    pd.DataFrame({"src": [], "dst": []}),
    {"src": np.array([], dtype=np.int64), "dst": np.array([], dtype=np.int64)},
    {"src": [], "dst": []},
], ids=["omitted", "none", "empty-int-frame", "empty-object-frame", "empty-arrays",
        "empty-lists"])
def test_interactions_define_the_graph(shop_frames, graph_snapshot, friendships):
    events = shop_frames["interactions"]
    if isinstance(friendships, str):
        kwargs = {} if friendships == "omitted" else {"friendships": None}
    else:
        kwargs = {"friendships": friendships}
    g = ig.build_graph(interactions=events, **kwargs, progress=False)
    expected = nx.Graph(list(zip(events["src"], events["dst"])))
    assert sorted(g.user_ids().tolist()) == sorted(expected)
    for u in expected:
        assert set(g.neighbors(u).tolist()) == set(expected[u])
        for v in expected[u]:
            arc = g.arc(u, v)
            assert arc["is_friend"] is False
            # Only events u -> v give u -> v a tie; the reverse arc exists but is empty.
            want = sum(DEFAULT_CHANNEL_WEIGHTS[k] * 2 ** (-((T0 - ts) / DAY) / 30)
                       for s, d, k, ts in zip(events["src"], events["dst"], events["kind"],
                                              events["ts"]) if (s, d) == (u, v))
            assert arc["tie_strength"] == pytest.approx(want, rel=1e-3, abs=1e-6)
    base = ig.build_graph(interactions=events, progress=False)
    assert graph_snapshot(g) == graph_snapshot(base)
    rec = ig.Recommender(g)
    check_suggestions(rec.recommend(123, k=10), 123, 10, len(rec.features(123)))


def _campaign_graph(campaigns, as_of=T0):
    frames = {k: pd.DataFrame(v) for k, v in SHOP.items()}
    return ig.build_graph(friendships=frames["friendships"],
                          interactions=frames["interactions"], campaigns=campaigns,
                          as_of=as_of, progress=False)


def test_campaigns_required_columns_only():
    g = _campaign_graph(pd.DataFrame({"inviter": [123], "item": [42], "joined": [[5]]}))
    # Without ts the join happens at as_of: weight 2 ** 0 = 1, zero days ago.
    arc = g.arc(5, 123)
    assert arc["channel_weight"]["team_join"] == pytest.approx(1.0, rel=1e-6)
    assert arc["days_since_last_interaction"] == 0
    # Without invited lists the inviter's contacts were exposed: 5, 6 and 8.
    for user, joins, exposures in [(5, 1, 1), (6, 0, 1), (8, 0, 1), (7, 0, 0)]:
        p = g.profile(user)
        assert (p["joins"], p["exposures"]) == (joins, exposures), user
        assert p["join_rate"] == pytest.approx((joins + 1.0) / (exposures + 10.0), rel=1e-5)
    assert g.item_category(42) is None
    assert 5 in set(g.item_buyers(42).tolist())


def test_campaigns_with_ts_category_invited():
    g = _campaign_graph(pd.DataFrame({
        "inviter": [123, 123], "item": [42, 43], "joined": [[5], []],
        "ts": [T0 - 20 * DAY, T0 - 2 * DAY], "category": [4, 5],
        "invited": [[5, 6], [6, 7]]}))
    arc = g.arc(5, 123)
    assert _channel_close(arc["channel_weight"]["team_join"], 2 ** (-20 / 30))
    assert arc["tie_strength"] == pytest.approx(
        1.0 + 1.5 * 2 ** (-1 / 30) + 2.0 * 2 ** (-20 / 30), rel=1e-3)
    for user, joins, exposures in [(5, 1, 1), (6, 0, 2), (7, 0, 1), (8, 0, 0)]:
        p = g.profile(user)
        assert (p["joins"], p["exposures"]) == (joins, exposures), user
    assert g.item_category(42) == 4 and g.item_category(43) == 5


@pytest.mark.parametrize("cells", [[None], [np.nan], [[]], [np.array([], dtype=np.int64)]],
                         ids=["none", "nan", "empty-list", "empty-array"])
def test_campaign_without_joiners(cells):
    g = _campaign_graph(pd.DataFrame({"inviter": [123], "item": [42], "joined": cells}))
    assert g.profile(5)["joins"] == 0
    assert g.arc(5, 123)["channel_weight"]["team_join"] == 0


@pytest.mark.parametrize("as_of", [
    T0 + 5 * DAY,
    np.int64(T0 + 5 * DAY),
    float(T0 + 5 * DAY) + 0.75,
    pd.Timestamp(T0 + 5 * DAY, unit="s"),
    pd.Timestamp(T0 + 5 * DAY, unit="s", tz="UTC").tz_convert("Asia/Tokyo"),
    dt.datetime.fromtimestamp(T0 + 5 * DAY, tz=dt.timezone.utc),
    np.datetime64(T0 + 5 * DAY, "s"),
    pd.Timestamp(T0 + 5 * DAY, unit="s").isoformat(),
], ids=["int", "np.int64", "float", "Timestamp", "Timestamp-tz", "datetime", "datetime64",
        "iso-string"])
def test_as_of_forms(shop_frames, graph_snapshot, as_of):
    g = ig.build_graph(**shop_frames, as_of=as_of, progress=False)
    assert g.as_of == T0 + 5 * DAY
    ref = ig.build_graph(**shop_frames, as_of=T0 + 5 * DAY, progress=False)
    assert graph_snapshot(g) == graph_snapshot(ref)
    # Five more days of decay on the 123 -> 8 chat (9 + 5 days old).
    assert g.arc(123, 8)["tie_strength"] == pytest.approx(2 ** (-14 / 30), rel=1e-3)
    assert g.arc(123, 8)["days_since_last_interaction"] == 14


def _to_datetime(frames: dict, how: str) -> dict:
    out = {}
    for name, df in frames.items():
        df = df.copy()
        if "ts" in df:
            secs = df["ts"].to_numpy()
            if how == "series-ns":
                df["ts"] = pd.to_datetime(secs, unit="s")
            elif how == "series-tz":
                df["ts"] = pd.to_datetime(secs, unit="s", utc=True).tz_convert("US/Pacific")
            elif how == "numpy-s":
                df = {k: (secs.astype("datetime64[s]") if k == "ts" else v.to_numpy())
                      for k, v in df.items()}
            elif how == "numpy-ms":
                df = {k: ((secs * 1000).astype("datetime64[ms]") if k == "ts" else v.to_numpy())
                      for k, v in df.items()}
        out[name] = df
    return out


@pytest.mark.parametrize("how", ["series-ns", "series-tz", "numpy-s", "numpy-ms"])
def test_datetime64_ts_columns(shop_frames, graph_snapshot, how):
    ref = ig.build_graph(**shop_frames, progress=False)
    g = ig.build_graph(**_to_datetime(shop_frames, how), progress=False)
    assert g.as_of == T0
    assert graph_snapshot(g) == graph_snapshot(ref)


def test_frame_with_gappy_index_and_shuffled_rows(shop_frames, graph_snapshot):
    """Row positions, not index labels, matter; row order changes internal ids only."""
    ref = ig.build_graph(**shop_frames, progress=False)
    gappy = {k: v.set_axis(np.arange(len(v)) * 7 + 3) for k, v in shop_frames.items()}
    assert graph_snapshot(ig.build_graph(**gappy, progress=False)) == graph_snapshot(ref)
    shuffled = {k: v.sample(frac=1.0, random_state=3) for k, v in shop_frames.items()}
    g = ig.build_graph(**shuffled, progress=False)
    for inviter in (123, 5, 7, 9):
        a = ig.Recommender(g).recommend(inviter, item=42)
        b = ig.Recommender(ref).recommend(inviter, item=42)
        pd.testing.assert_frame_equal(a, b)


def test_categorical_kind_column(shop_frames, graph_snapshot):
    ref = ig.build_graph(**shop_frames, progress=False)
    frames = dict(shop_frames)
    events = frames["interactions"].copy()
    events["kind"] = pd.Categorical(events["kind"],
                                    categories=["visit", "share", "like", "chat", "assist",
                                                "poke"])  # unused 'poke' is harmless
    frames["interactions"] = events
    assert graph_snapshot(ig.build_graph(**frames, progress=False)) == graph_snapshot(ref)


def test_numeric_id_dtypes(shop_frames, graph_snapshot):
    """int32, uint64, integral floats and nullable Int64 ids are all the same ids."""
    ref = ig.build_graph(**shop_frames, progress=False)
    for conv in (np.int32, np.uint64, np.float64, "Int64"):
        frames = {k: v.copy() for k, v in shop_frames.items()}
        for col in ("src", "dst"):
            frames["friendships"][col] = frames["friendships"][col].astype(conv)
        frames["purchases"]["user"] = frames["purchases"]["user"].astype(conv)
        g = ig.build_graph(**frames, progress=False)
        assert graph_snapshot(g) == graph_snapshot(ref), conv


@pytest.mark.parametrize("category", [
    [1, np.nan], [1, None], pd.array([1, None], dtype="Int64"),
    pd.array([1.0, None], dtype="Float64"), pd.Categorical([1, None]), [-1, -1],
], ids=["nan", "none", "Int64-NA", "Float64-NA", "categorical-NA", "minus-one"])
def test_missing_category_means_unknown(category):
    orders = pd.DataFrame({"user": [1, 2], "item": [10, 11], "ts": [5, 6],
                           "category": category})
    g = ig.build_graph(purchases=orders, progress=False)
    assert g.item_category(11) is None
    assert g.item_category(10) == (None if list(category)[0] == -1 else 1)


def test_duplicate_and_reversed_friendships_count_once(graph_snapshot):
    once = ig.build_graph(friendships={"src": [1, 2], "dst": [2, 3]}, progress=False)
    many = ig.build_graph(friendships={"src": [1, 2, 2, 1, 3], "dst": [2, 1, 3, 2, 2]},
                          progress=False)
    for u, v in [(1, 2), (2, 1), (2, 3), (3, 2)]:
        assert many.arc(u, v) == once.arc(u, v)
        assert many.arc(u, v)["tie_strength"] == pytest.approx(1.0, rel=1e-3)
    assert many.num_arcs == once.num_arcs == 4


# What each reason code claims about the suggested candidate's own feature row.
REASON_CLAIMS = {
    "friend": lambda f: f["is_friend"] == 1,
    "friend_of_friend": lambda f: f["is_two_hop"] == 1,
    "close_contact": lambda f: f["tie_strength"] > 0,
    "reaches_out_to_you": lambda f: f["reverse_tie_strength"] > 0,
    "frequent_chat": lambda f: f["chat_weight"] > 0,
    "assisted_before": lambda f: f["assist_weight"] > 0,
    "teamed_up_before": lambda f: f["team_join_weight"] > 0,
    "bought_this_item": lambda f: f["candidate_bought_item"] == 1,
    "likes_this_category": lambda f: f["candidate_category_affinity"] > 0,
    "similar_shopper": lambda f: f["shopping_similarity"] > 0,
    "active_this_week": lambda f: f["candidate_activity_7d"] > 0,
    "active_this_month": lambda f: f["candidate_activity_30d"] > 0,
    "new_user": lambda f: f["candidate_is_new"] == 1,
    "well_connected": lambda f: f["candidate_degree"] > 0,
    "similar_taste": lambda f: f["item_similarity"] > 0,
    "active_shopper": lambda f: f["candidate_purchases"] > 0,
    "accepts_invites_often": lambda f: f["candidate_accept_rate"] >= 0.5,
}


def check_reasons_describe_candidate(rec: ig.Recommender, inviter: int, item) -> int:
    feats = rec.features(inviter, item=item).set_index("candidate")
    top = rec.recommend(inviter, item=item, k=len(feats))
    checked = 0
    for cand, reasons in zip(top["candidate"], top["reasons"]):
        f = feats.loc[cand]
        for r in reasons:
            if r.startswith("shared_friends:"):
                assert int(r.split(":")[1]) == int(f["common_neighbors"]) > 0, (cand, r)
            elif r.startswith("recent_contact:"):
                days = int(r.split(":")[1].rstrip("d"))
                assert days == int(f["days_since_last_interaction"]), (cand, r)
                assert days < NEVER_DAYS
            elif r in REASON_CLAIMS:
                assert REASON_CLAIMS[r](f), (inviter, cand, r)
            checked += 1
    return checked


def test_reasons_describe_their_own_candidate(shop_graph, synth_graph, synth_requests):
    checked = check_reasons_describe_candidate(ig.Recommender(shop_graph), 123, 42)
    inviters, items = synth_requests
    rec = ig.Recommender(synth_graph, max_reasons=5)
    for u, i in zip(inviters[:40], items[:40]):
        checked += check_reasons_describe_candidate(rec, int(u), int(i))
    assert checked > 100


def test_user_without_contacts_gets_no_suggestions():
    g = ig.build_graph(friendships={"src": [1], "dst": [2]},
                       purchases={"user": [9], "item": [4], "ts": [0]}, progress=False)
    rec = ig.Recommender(g)
    top = rec.recommend(9, item=4)
    assert list(top.columns) == SUGGESTION_COLUMNS and len(top) == 0
    assert len(rec.features(9)) == 0
    assert list(rec.features(9).columns) == ["candidate"] + ig.feature_names()
    assert g.item_buyers(12345).tolist() == []
    assert g.item_buyers(4).tolist() == [9]


def test_exposures_per_campaign_batch():
    """Rows of a batch with `invited` expose exactly those users; rows of a batch without
    it expose the inviter's contacts."""
    b = ig.GraphBuilder()
    b.add_friendships({"src": [1, 1, 1, 2], "dst": [2, 3, 4, 5]})
    b.add_campaigns({"inviter": [1], "item": [9], "joined": [[2]], "invited": [[2, 5]]})
    b.add_campaigns({"inviter": [1], "item": [9], "joined": [[3]]})
    g = b.build(as_of=100, progress=False)
    # user: (joins, exposures)
    want = {2: (1, 2), 3: (1, 1), 4: (0, 1), 5: (0, 1), 1: (0, 0)}
    for user, (joins, exposures) in want.items():
        p = g.profile(user)
        assert (p["joins"], p["exposures"]) == (joins, exposures), user
        assert p["join_rate"] == pytest.approx((joins + 1.0) / (exposures + 10.0), rel=1e-5)
