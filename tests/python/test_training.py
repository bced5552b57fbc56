"""Training sets from campaign history: labels, reports, and no leakage.

The leakage oracle is a graph built from scratch, with pandas, from only the events a
record may see; its feature rows must equal the record's training rows.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import invitegraph as ig


@pytest.fixture(scope="module")
def world_tables():
    w = ig.synth.generate(n_users=600, seed=21, avg_friends=8, n_categories=6, n_items=80,
                          campaigns_per_user=0.3, days=60)
    return w.tables()


def _rows_by_candidate(frame: pd.DataFrame) -> dict:
    names = ig.feature_names()
    return {int(c): row for c, row in zip(frame["candidate"], frame[names].to_numpy())}


def _features(graph, inviter, item, category) -> dict:
    f = ig.Recommender(graph).features(inviter, item, category=category)
    f = f[f["candidate"] != inviter]
    return _rows_by_candidate(f)


def _assert_same(got: dict, want: dict, subset: bool = False):
    if subset:  # rows of invited candidates only
        assert got and got.keys() <= want.keys()
        want = {c: want[c] for c in got}
    assert got.keys() == want.keys()
    for c in want:
        np.testing.assert_allclose(got[c], want[c], rtol=1e-5, atol=1e-6,
                                   err_msg=f"candidate {c}")


def test_timed_records_see_only_earlier_events(world_tables):
    t = world_tables
    g = ig.build_graph(**t, progress=False)
    history = t["campaigns"]
    ts = ig.training_set(g, history, progress=False)
    assert ts.report["records"] == len(history)
    assert ts.report["graphs_built"] == history["ts"].nunique()
    with_joiners = [r for r in range(len(history)) if len(history["joined"].iloc[r])][:3]
    for r in with_joiners:
        rec = history.iloc[r]
        cut = rec["ts"]
        past = ig.build_graph(
            friendships=t["friendships"],
            interactions=t["interactions"][t["interactions"]["ts"] < cut],
            purchases=t["purchases"][t["purchases"]["ts"] < cut],
            campaigns=history[history["ts"] < cut], as_of=cut, progress=False)
        got = _rows_by_candidate(ts.frame[ts.frame["record"] == r])
        _assert_same(got, _features(past, rec["inviter"], rec["item"], rec["category"]),
                     subset=True)
        labels = ts.frame.loc[ts.frame["record"] == r].set_index("candidate")["label"]
        # Invited lists are given: rows are exactly the invited candidates.
        assert set(labels.index) <= set(rec["invited"])
        assert {c for c, l in labels.items() if l == 1} == set(rec["joined"]) & set(labels.index)


def test_untimed_records_leave_their_campaign_out(world_tables):
    t = world_tables
    g = ig.build_graph(**t, progress=False)
    history = t["campaigns"].drop(columns=["ts", "invited"]).iloc[:3]
    ts = ig.training_set(g, history, folds=1000, seed=1, progress=False)
    assert ts.report["graphs_built"] == 3
    camps = t["campaigns"]
    for r in range(3):
        rec = history.iloc[r]
        same = (camps["inviter"] == rec["inviter"]) & (camps["item"] == rec["item"])
        loo = ig.build_graph(friendships=t["friendships"], interactions=t["interactions"],
                             purchases=t["purchases"], campaigns=camps[~same],
                             as_of=g.as_of, progress=False)
        got = _rows_by_candidate(ts.frame[ts.frame["record"] == r])
        _assert_same(got, _features(loo, rec["inviter"], rec["item"], rec["category"]))


def test_training_frame_and_report(shop_frames):
    g = ig.build_graph(**shop_frames, progress=False)
    # 123 started a campaign for item 42; 6 joined, 7 (2-hop) was invited; 77 is unknown.
    history = pd.DataFrame({"inviter": [123], "item": [42], "joined": [[6, 77]],
                            "invited": [[6, 7]]})
    X, y, group = ig.training_frame(g, history, progress=False)
    assert list(X.columns) == ig.feature_names()
    rows = ig.training_set(g, history, progress=False).frame
    assert dict(zip(rows["candidate"], rows["label"])) == {6: 1, 7: 0}
    assert list(y) == list(rows["label"]) and list(group) == [0, 0]
    rep = X.attrs["training_report"]
    assert rep["joiners"] == 2 and rep["joiners_found"] == 1 and rep["joiners_missing"] == 1
    kept = ig.training_set(g, history, uninvited_weight=0.5, progress=False).frame
    weights = dict(zip(kept["candidate"], kept["weight"]))
    assert weights == {5: 0.5, 6: 1.0, 7: 1.0, 8: 0.5}


def test_training_set_errors(shop_frames):
    history = pd.DataFrame({"inviter": [123, -1], "item": [42, 42], "joined": [[6], []]})
    g = ig.build_graph(**shop_frames, progress=False)
    with pytest.raises(ValueError, match=r"history\.inviter\[1\]=-1"):
        ig.training_set(g, history, progress=False)
    with pytest.raises(ValueError, match="folds=1"):
        ig.training_set(g, history.iloc[:1], folds=1, progress=False)
    lean = ig.build_graph(**shop_frames, progress=False, keep_events=False)
    assert not lean.has_events
    with pytest.raises(ig.Error, match="keep_events"):
        ig.training_set(lean, history.iloc[:1], progress=False)
    with pytest.raises(ValueError, match="joined"):
        ig.training_set(g, history.drop(columns=["joined"]), progress=False)


def test_training_rows_see_earlier_outcomes(shop_frames):
    g = ig.build_graph(**shop_frames, progress=False)
    T0 = int(g.as_of)
    outcomes = pd.DataFrame({"inviter": [123, 123], "invitee": [6, 6], "item": [42, 42],
                             "ts": [T0 - 100, T0 - 100], "outcome": ["sent", "accepted"]})
    history = pd.DataFrame({"inviter": [123, 123], "item": [42, 42], "joined": [[6], [6]],
                            "ts": [T0 - 200, T0]})
    t = ig.training_set(g, history, outcomes=outcomes, progress=False).frame
    rate = t[t["candidate"] == 6].set_index("record")["candidate_accept_rate"]
    assert rate[0] == pytest.approx(0.2)                    # before the outcome: the prior
    assert rate[1] == pytest.approx((1 + 0.2 * 5) / (1 + 5))  # after it
    fatigue = t[t["candidate"] == 6].set_index("record")["candidate_fatigue"]
    assert fatigue[0] == 0 and fatigue[1] == pytest.approx(2 ** (-100 / (7 * 86400)), rel=1e-4)
    with pytest.raises(ValueError, match=r"outcomes\.outcome\[0\]"):
        ig.training_set(g, history, outcomes=outcomes.assign(outcome=["bogus", "sent"]),
                        progress=False)
