"""The feedback loop from Python: record_outcomes against hand-computed posteriors and
fatigue, its effect on the next recommend, history_from_outcomes, bad input, and
recording from Python threads while others recommend."""
from __future__ import annotations

import math
import re
import threading

import numpy as np
import pandas as pd
import pytest

import invitegraph as ig
from conftest import DAY, T0

OUTCOME_COLUMNS = ["inviter", "invitee", "item", "ts", "outcome"]


def outcomes(*rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=OUTCOME_COLUMNS)


# Candidates of 123 in the shop are 5, 6, 7 and 8. Defaults: prior mean 0.2, strength 5,
# fatigue half-life 7 days.
FIRST = outcomes(
    (123, 6, 42, T0 - 7 * DAY, "sent"),
    (123, 6, 42, T0 - 6 * DAY, "declined"),
    (123, 8, 42, T0 - 14 * DAY, "sent"),
    (123, 8, 42, T0, "sent"),
    (123, 8, 42, T0 - 13 * DAY, "accepted"),
    (5, 77, 42, T0, "ignored"),  # 77 is not in the graph
)


def test_outcome_names():
    assert ig.outcome_names() == ["sent", "accepted", "declined", "ignored"]


def test_record_outcomes_hand_values(shop_graph):
    rec = ig.Recommender(shop_graph)
    assert rec.record_outcomes(FIRST) == {"applied": 5, "unknown_invitees": 1}

    six = rec.feedback_for(6)
    assert six["in_graph"] is True
    assert (six["successes"], six["failures"]) == (0, 1)
    assert six["accept_rate"] == pytest.approx(1 / 6)       # (0 + 0.2 * 5) / (1 + 5)
    assert six["fatigue"] == pytest.approx(0.5)             # one half-life old
    eight = rec.feedback_for(8)
    assert eight["accept_rate"] == pytest.approx(2 / 6)     # (1 + 1) / (1 + 5)
    assert eight["fatigue"] == pytest.approx(1 + 0.25)      # now + two half-lives old
    assert eight["as_of"] == T0
    aside = rec.feedback_for(77)
    assert aside["in_graph"] is False and aside["failures"] == 1
    assert aside["accept_rate"] == pytest.approx(1 / 6)

    f = rec.features(123, item=42).set_index("candidate")
    assert f.loc[6, "candidate_accept_rate"] == pytest.approx(1 / 6, rel=1e-6)
    assert f.loc[6, "candidate_fatigue"] == pytest.approx(0.5, rel=1e-6)
    assert f.loc[8, "candidate_accept_rate"] == pytest.approx(1 / 3, rel=1e-6)
    assert f.loc[8, "candidate_fatigue"] == pytest.approx(1.25, rel=1e-6)
    assert f.loc[5, "candidate_accept_rate"] == pytest.approx(0.2, rel=1e-6)
    assert f.loc[5, "candidate_fatigue"] == 0

    # A row a week after as_of moves "now": every fatigue halves once more.
    rec.record_outcomes(outcomes((123, 7, 42, T0 + 7 * DAY, "sent")))
    assert rec.feedback_for(6)["fatigue"] == pytest.approx(0.25)
    assert rec.feedback_for(8)["fatigue"] == pytest.approx(0.625)
    assert rec.feedback_for(7)["fatigue"] == pytest.approx(1.0)
    assert rec.feedback_for(7)["as_of"] == T0 + 7 * DAY


def test_feedback_changes_the_next_recommend(shop_graph):
    rec = ig.Recommender(shop_graph)
    before = rec.recommend(123, item=42).set_index("candidate")["score"]
    rec.record_outcomes(FIRST)
    after = rec.recommend(123, item=42).set_index("candidate")["score"]
    w = ig.linear_weights()
    want6 = w["candidate_accept_rate"] * (1 / 6 - 0.2) + \
        w["candidate_fatigue"] * math.log1p(0.5)
    want8 = w["candidate_accept_rate"] * (1 / 3 - 0.2) + \
        w["candidate_fatigue"] * math.log1p(1.25)
    assert after[6] - before[6] == pytest.approx(want6, rel=1e-4)
    assert after[8] - before[8] == pytest.approx(want8, rel=1e-4)
    assert after[5] == before[5] and after[7] == before[7]

    # Twenty invites this week, all declined, cost the top candidate its place.
    ranked = rec.recommend(123, item=42).set_index("candidate")["score"]
    top = ranked.index[0]
    spam = outcomes(*[(123, int(top), 42, T0, o) for o in ["sent", "declined"] * 20])
    rec.record_outcomes(spam)
    now = rec.recommend(123, item=42).set_index("candidate")["score"]
    assert now.index[0] != top
    # accept rate 0.2 -> 1 / 25, fatigue 0 -> 20
    want = w["candidate_accept_rate"] * (1 / 25 - 0.2) + w["candidate_fatigue"] * math.log1p(20)
    assert now[top] - ranked[top] == pytest.approx(want, rel=1e-4)


def test_outcome_column_forms(shop_graph):
    cat = FIRST.copy()
    cat["outcome"] = pd.Categorical(cat["outcome"],
                                    categories=["ignored", "declined", "maybe", "accepted",
                                                "sent"])  # an unused 'maybe' is harmless
    as_arrays = {k: FIRST[k].to_numpy() for k in OUTCOME_COLUMNS}
    as_lists = {k: FIRST[k].tolist() for k in OUTCOME_COLUMNS}
    dated = FIRST.assign(ts=pd.to_datetime(FIRST["ts"], unit="s"))
    want = ig.Recommender(shop_graph)
    want.record_outcomes(FIRST)
    for table in (cat, as_arrays, as_lists, dated):
        rec = ig.Recommender(shop_graph)
        assert rec.record_outcomes(table) == {"applied": 5, "unknown_invitees": 1}
        for u in (5, 6, 7, 8, 77):
            assert rec.feedback_for(u) == want.feedback_for(u)


def test_feedback_config(shop_graph):
    rec = ig.Recommender(shop_graph, accept_prior_mean=0.5, accept_prior_strength=2,
                         fatigue_half_life_days=1)
    rec.record_outcomes(outcomes((123, 6, 42, T0 - DAY, "sent"),
                                 (123, 6, 42, T0, "ignored")))
    assert rec.feedback_for(6)["accept_rate"] == pytest.approx(1 / 3)  # (0 + 1) / (1 + 2)
    assert rec.feedback_for(6)["fatigue"] == pytest.approx(0.5)
    assert rec.feedback_for(5)["accept_rate"] == pytest.approx(0.5)
    # Each Recommender starts with its own, empty state.
    assert ig.Recommender(shop_graph).feedback_for(6)["failures"] == 0
    for kwargs, field in [({"accept_prior_mean": 1.5}, "accept_prior_mean=1.5"),
                          ({"accept_prior_strength": 0}, "accept_prior_strength=0"),
                          ({"fatigue_half_life_days": -2}, "fatigue_half_life_days=-2")]:
        with pytest.raises(ValueError, match=re.escape(field)):
            ig.Recommender(shop_graph, **kwargs)


# (case id, column changes, message fragments; "*" stands for anything)
BAD = [
    ("neg-invitee", {"invitee": [6, -2]}, "outcomes.invitee[1]=-2"),
    ("neg-inviter", {"inviter": [-1, 123]}, "outcomes.inviter[0]=-1"),
    ("neg-item", {"item": [42, -42]}, "outcomes.item[1]=-42"),
    ("neg-ts", {"ts": [T0, -1]}, "outcomes.ts[1]=-1"),
    ("self", {"invitee": [6, 123]}, "outcomes.invitee[1]=123"),
    ("unknown-outcome", {"outcome": ["sent", "joined"]},
     "outcomes.outcome[1]='joined': unknown outcome; known outcomes: sent, accepted, declined"),
    ("missing-outcome", {"outcome": ["sent", None]}, "outcomes.outcome[1]=*missing"),
    ("int-outcome", {"outcome": ["sent", 1]}, "outcomes.outcome[1]=1"),
    ("nan-id", {"invitee": [6.0, np.nan]}, "outcomes.invitee[1]=*missing"),
    ("float-id", {"item": [42.5, 42]}, "outcomes.item[0]=42.5"),
]


@pytest.mark.parametrize("change,fragment", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_rows_name_column_and_row_and_apply_nothing(shop_graph, change, fragment):
    table = {"inviter": [123, 123], "invitee": [6, 8], "item": [42, 42], "ts": [T0, T0],
             "outcome": ["sent", "declined"]}
    table.update(change)
    pattern = ".*".join(re.escape(part) for part in fragment.split("*"))
    rec = ig.Recommender(shop_graph)
    with pytest.raises(ValueError, match=pattern):
        rec.record_outcomes(pd.DataFrame(table))
    with pytest.raises(ValueError, match=pattern):
        ig.history_from_outcomes(pd.DataFrame(table))
    for u in (6, 8):
        state = rec.feedback_for(u)
        assert (state["successes"], state["failures"], state["fatigue"]) == (0, 0, 0)


def test_table_shape_errors(shop_graph):
    rec = ig.Recommender(shop_graph)
    with pytest.raises(ValueError, match=r"missing column\(s\) \['outcome'\]"):
        rec.record_outcomes(FIRST.drop(columns="outcome"))
    with pytest.raises(ValueError, match="column 'ts' has 1 rows but 'inviter' has 2"):
        rec.record_outcomes({"inviter": [1, 2], "invitee": [3, 4], "item": [5, 6],
                             "ts": [7], "outcome": ["sent", "sent"]})
    with pytest.raises(TypeError, match="DataFrame"):
        rec.record_outcomes([1, 2, 3])
    assert rec.record_outcomes(FIRST.iloc[:0]) == {"applied": 0, "unknown_invitees": 0}


def test_history_from_outcomes():
    log = outcomes(
        (5, 7, 42, 300, "sent"),
        (5, 6, 42, 200, "sent"),
        (1, 2, 9, 500, "sent"),
        (5, 7, 42, 400, "accepted"),
        (5, 6, 42, 450, "declined"),
        (5, 7, 42, 410, "accepted"),
        (5, 8, 43, 100, "ignored"),
        (1, 3, 9, 600, "accepted"),
    )
    h = ig.history_from_outcomes(log)
    assert list(h.columns) == ["inviter", "item", "ts", "invited", "joined"]
    assert h["inviter"].tolist() == [1, 5, 5]
    assert h["item"].tolist() == [9, 42, 43]
    assert h["ts"].tolist() == [500, 200, 100]
    assert h["invited"].tolist() == [[2, 3], [6, 7], [8]]
    assert h["joined"].tolist() == [[3], [7], []]
    assert all(h[c].dtype == np.int64 for c in ("inviter", "item", "ts"))
    assert all(isinstance(x, int) for cell in h["invited"] for x in cell)
    # The same list-column convention as build_graph's campaigns.
    g = ig.build_graph(campaigns=h, progress=False)
    assert g.profile(7)["joins"] == 1 and g.profile(6)["exposures"] == 1
    assert g.profile(8)["joins"] == 0 and g.profile(8)["exposures"] == 1

    empty = ig.history_from_outcomes(log.iloc[:0])
    assert list(empty.columns) == ["inviter", "item", "ts", "invited", "joined"]
    assert len(empty) == 0 and empty["inviter"].dtype == np.int64


def _synth_outcomes(graph: ig.SocialGraph, n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    users = np.asarray(graph.user_ids())
    inviter = rng.choice(users, n)
    invitee = rng.choice(np.concatenate([users, np.arange(10**9, 10**9 + 50)]), n)
    invitee = np.where(invitee == inviter, 10**9 + 99, invitee)
    return pd.DataFrame({
        "inviter": inviter, "invitee": invitee, "item": rng.integers(0, 50, n),
        "ts": graph.as_of + rng.integers(-30 * DAY, 3 * DAY, n),
        "outcome": rng.choice(ig.outcome_names(), n, p=[0.5, 0.15, 0.2, 0.15]),
    })


def test_threads_record_while_others_recommend(synth_graph, synth_requests):
    log = _synth_outcomes(synth_graph, 6000, seed=4)
    # Each writer owns the invitees of one parity, in order, so the final state is
    # the same as applying everything sequentially (bit for bit).
    writers = [[part for _, part in log[log["invitee"] % 2 == w].groupby(
        np.arange((log["invitee"] % 2 == w).sum()) // 100)] for w in (0, 1)]
    sequential = ig.Recommender(synth_graph)
    for batches in writers:
        for b in batches:
            sequential.record_outcomes(b)

    rec = ig.Recommender(synth_graph)
    inviters, items = synth_requests
    done = threading.Event()
    errors: list = []
    served = [0, 0]

    def write(batches):
        try:
            for b in batches:
                rec.record_outcomes(b)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    def read(t):
        try:
            while not done.is_set() or served[t] < 50:
                i = served[t] % len(inviters)
                top = rec.recommend(int(inviters[i]), int(items[i]), k=5)
                assert len(top) <= 5
                served[t] += 1
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    readers = [threading.Thread(target=read, args=(t,)) for t in (0, 1)]
    writer_threads = [threading.Thread(target=write, args=(b,)) for b in writers]
    for t in readers + writer_threads:
        t.start()
    for t in writer_threads:
        t.join()
    done.set()
    for t in readers:
        t.join()
    assert not errors, errors
    assert min(served) >= 50

    for u in pd.unique(log["invitee"]):
        assert rec.feedback_for(int(u)) == sequential.feedback_for(int(u)), u
    for u, i in zip(inviters[:40], items[:40]):
        pd.testing.assert_frame_equal(rec.recommend(int(u), int(i), k=8),
                                      sequential.recommend(int(u), int(i), k=8),
                                      check_exact=True)
