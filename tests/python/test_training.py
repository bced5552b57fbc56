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
    # The oracle rebuilds from subsets of the rows; the participation guard ties
    # purchase rows to campaigns across them (its own test: test_participations).
    off = ig.GraphConfig(participation_window_days=-1)
    g = ig.build_graph(**t, progress=False, config=off)
    history = t["campaigns"]
    ts = ig.training_set(g, history, as_of_step_days=0, progress=False)
    assert ts.report["records"] == len(history)
    assert ts.report["graphs_built"] == history["ts"].nunique()
    assert ts.report["step_hidden_share"] == 0 and ts.report["warnings"] == []
    with_joiners = [r for r in range(len(history)) if len(history["joined"].iloc[r])][:3]
    for r in with_joiners:
        rec = history.iloc[r]
        cut = rec["ts"]
        past = ig.build_graph(
            friendships=t["friendships"],
            interactions=t["interactions"][t["interactions"]["ts"] < cut],
            purchases=t["purchases"][t["purchases"]["ts"] < cut],
            campaigns=history[history["ts"] < cut], as_of=cut, progress=False, config=off)
        got = _rows_by_candidate(ts.frame[ts.frame["record"] == r])
        # Every candidate recommend would score, invited or not (uninvited_weight=1).
        _assert_same(got, _features(past, rec["inviter"], rec["item"], rec["category"]))
        rows = ts.frame.loc[ts.frame["record"] == r].set_index("candidate")
        assert {c for c, l in rows["label"].items() if l == 1} == set(rec["joined"]) & set(got)
        assert (rows["weight"] == 1).all()
        assert not set(got) <= set(rec["invited"])  # some were never invited


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
    # By default the candidates never invited (5, 8) are negatives like 7.
    assert dict(zip(rows["candidate"], rows["label"])) == {5: 0, 6: 1, 7: 0, 8: 0}
    assert dict(zip(rows["candidate"], rows["weight"])) == {5: 1.0, 6: 1.0, 7: 1.0, 8: 1.0}
    assert list(y) == list(rows["label"]) and list(group) == [0, 0, 0, 0]
    rep = X.attrs["training_report"]
    assert rep["joiners"] == 2 and rep["joiners_found"] == 1 and rep["joiners_missing"] == 1
    assert rep["uninvited_dropped"] == 0 and rep["warnings"] == []
    kept = ig.training_set(g, history, uninvited_weight=0.5, progress=False).frame
    weights = dict(zip(kept["candidate"], kept["weight"]))
    assert weights == {5: 0.5, 6: 1.0, 7: 1.0, 8: 0.5}
    with pytest.warns(ig.TrainingWarning, match="uninvited_weight=0 dropped 2 of 4"):
        dropped = ig.training_set(g, history, uninvited_weight=0, progress=False)
    assert dict(zip(dropped.frame["candidate"], dropped.frame["label"])) == {6: 1, 7: 0}
    assert dropped.report["uninvited_dropped"] == 2


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
    # Exact as-of: the outcome and the second record fall in one day.
    t = ig.training_set(g, history, outcomes=outcomes, as_of_step_days=0,
                        progress=False).frame
    rate = t[t["candidate"] == 6].set_index("record")["candidate_accept_rate"]
    assert rate[0] == pytest.approx(0.2)                    # before the outcome: the prior
    assert rate[1] == pytest.approx((1 + 0.2 * 5) / (1 + 5))  # after it
    fatigue = t[t["candidate"] == 6].set_index("record")["candidate_fatigue"]
    assert fatigue[0] == 0 and fatigue[1] == pytest.approx(2 ** (-100 / (7 * 86400)), rel=1e-4)
    with pytest.raises(ValueError, match=r"outcomes\.outcome\[0\]"):
        ig.training_set(g, history, outcomes=outcomes.assign(outcome=["bogus", "sent"]),
                        progress=False)


# --------------------------------------------------------------------------------------
# Defaults, warnings, and training on graphs that went through a snapshot.
# --------------------------------------------------------------------------------------
def test_training_defaults_are_the_documented_ones():
    import inspect

    # docs/training.md, "Training defaults": one-day steps, uninvited candidates weigh 1. They are
    # declared once, in C++ TrainingOptions; the keywords default to None ("its value").
    defaults = ig.TrainingOptions()
    assert defaults.as_of_step_days == 1.0
    assert defaults.uninvited_weight == 1.0
    assert defaults.folds == 10
    params = inspect.signature(ig.training_set).parameters
    for name in ("as_of_step_days", "uninvited_weight", "folds"):
        assert params[name].default is None
    assert ig._core.training_defaults["as_of_step_days"] == 1.0
    assert ig._core.training_defaults["uninvited_weight"] == 1.0
    assert ig._core.training_defaults["step_hidden_warn_share"] == 0.25


def _invited_history():
    # 123 started a campaign for item 42; 6 joined, 7 (2-hop) was invited, 5 and 8 not.
    return pd.DataFrame({"inviter": [123], "item": [42], "joined": [[6]],
                         "invited": [[6, 7]]})


def test_dropping_uninvited_candidates_warns_and_only_then(shop_frames):
    import warnings

    g = ig.build_graph(**shop_frames, progress=False)
    history = _invited_history()
    with pytest.warns(ig.TrainingWarning) as caught:
        ig.training_set(g, history, uninvited_weight=0, progress=False)
    assert len(caught) == 1 and caught[0].filename == __file__  # points at the caller
    assert "such a model ranks them poorly" in str(caught[0].message)
    with pytest.warns(ig.TrainingWarning, match="uninvited_weight=0") as caught:
        ig.fit_ranker(g, pd.concat([history] * 2, ignore_index=True), uninvited_weight=0,
                      progress=False)
    assert caught[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # The default, a positive weight, or nothing to drop: silent.
        ig.training_set(g, history, progress=False)
        ig.training_set(g, history, uninvited_weight=0.2, progress=False)
        ig.training_set(g, history.drop(columns="invited"), uninvited_weight=0,
                        progress=False)
        ig.training_set(g, history.assign(invited=[[5, 6, 7, 8]]), uninvited_weight=0,
                        progress=False)


def test_a_step_that_hides_the_history_warns(shop_frames):
    import warnings

    g = ig.build_graph(**shop_frames, progress=False)
    day = 86_400
    T0 = int(g.as_of)
    # A record 3000 s after the shop's campaign (20 days old), in the same UTC day: a
    # one-day step shows it the graph as of that day's start, without the campaign, one
    # of the three events before it.
    ts = T0 - 20 * day + 3000
    times = pd.concat([shop_frames[t]["ts"] for t in ("interactions", "purchases",
                                                      "campaigns")]).to_numpy()
    before = int((times < ts).sum())
    hidden = int(((times >= ts - ts % day) & (times < ts)).sum())
    assert (hidden, before) == (1, 3)
    history = pd.DataFrame({"inviter": [123], "item": [42], "joined": [[6]], "ts": [ts]})
    with pytest.warns(ig.TrainingWarning, match=r"as_of_step_days=1 hid 33\.3%") as caught:
        t = ig.training_set(g, history, progress=False)
    assert t.report["step_hidden_share"] == pytest.approx(1 / 3)
    assert caught[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exact = ig.training_set(g, history, as_of_step_days=0, progress=False)
        # A record a day later hides one event of nine (the day-old assist): 11 %,
        # below the 25 % that warns.
        quiet = ig.training_set(g, history.assign(ts=[T0 - day + 3000]), progress=False)
    assert exact.report["step_hidden_share"] == 0
    assert quiet.report["step_hidden_share"] == pytest.approx(1 / 9)


def test_a_pickled_or_saved_graph_trains_as_the_original(world_tables, tmp_path):
    import pickle

    t = world_tables
    g = ig.build_graph(**t, progress=False)
    history = t["campaigns"]
    want = ig.training_set(g, history, progress=False).frame
    path = tmp_path / "g.igsnap"
    g.save(path)
    for h in (pickle.loads(pickle.dumps(g)), ig.SocialGraph.load(path)):
        assert h.has_events
        pd.testing.assert_frame_equal(ig.training_set(h, history, progress=False).frame,
                                      want)
    # Left out on purpose: the error says so, and how to keep them.
    lean = ig.SocialGraph.from_bytes(g.to_bytes(events=False))
    with pytest.raises(ig.Error, match="saved without them.*keep_events"):
        ig.training_set(lean, history, progress=False)
    # A Recommender pickles its graph without them (it only serves).
    rec = pickle.loads(pickle.dumps(ig.Recommender(g)))
    assert not rec.graph.has_events
    with pytest.raises(ig.Error, match="pickled Recommender"):
        ig.fit_ranker(rec.graph, history, progress=False)
