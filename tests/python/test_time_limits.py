"""Plausible times from Python: every entry point that takes a time refuses
milliseconds, the year 3000 and int64 max with a ValueError naming field, row and value
(the C++ check, surfaced as is), leaves what was there untouched, and the feedback clock
cannot be moved by one row to un-cap recipients."""
from __future__ import annotations

import pickle
import re
import time

import numpy as np
import pandas as pd
import pytest

import invitegraph as ig
from conftest import DAY, T0

HOUR = 3600
YEAR_3000 = 32_503_680_000
INT64_MAX = 2**63 - 1


def _now() -> int:
    return int(time.time())


def _fan(now: int) -> ig.SocialGraph:
    """1 is friends with 2..6 and chatted with 2 an hour before ``now``."""
    return ig.build_graph(
        friendships={"src": [1, 1, 1, 1, 1], "dst": [2, 3, 4, 5, 6]},
        interactions={"src": [1], "dst": [2], "kind": ["chat"], "ts": [now - HOUR]},
        progress=False, communities=False)


def _sent(inviter, invitee, ts) -> pd.DataFrame:
    return pd.DataFrame({"inviter": [inviter], "invitee": [invitee], "item": [42],
                         "ts": [ts], "outcome": ["sent"]})


def _capped(now: int, **kwargs) -> ig.Recommender:
    rec = ig.Recommender(_fan(now), policy=ig.Policy(max_invites_per_recipient={"1h": 1}),
                         **kwargs)
    assert rec.reserve_invites(1, [3], 42, ts=now - 60).tolist() == [True]
    assert rec.reserve_invites(1, [3], 42, ts=now - 60).tolist() == [False]
    return rec


# The attack, on the wall clock as a product runs it: one row must not erase
# a capped recipient's protection.
@pytest.mark.parametrize("bad", [YEAR_3000, INT64_MAX, "ms"], ids=["y3000", "int64", "ms"])
def test_one_implausible_outcome_row_is_refused_and_uncaps_nobody(bad, tmp_path):
    now = _now()
    bad = now * 1000 if bad == "ms" else bad
    rec = _capped(now)
    fatigue = rec.feedback_for(3)["fatigue"]
    clock = rec.feedback_for(3)["as_of"]
    with pytest.raises(ValueError, match=re.escape(f"outcomes.ts[0]={bad}")):
        rec.record_outcomes(_sent(2, 4, bad))
    assert rec.recent_sends(3, "1h") == 1
    assert rec.reserve_invites(1, [3], 42, ts=now).tolist() == [False]
    assert 3 not in rec.recommend(1, k=10)["candidate"].tolist()
    assert rec.feedback_for(3)["fatigue"] == fatigue
    assert rec.feedback_for(3)["as_of"] == clock
    assert rec.feedback_for(4)["fatigue"] == 0  # nothing of the table applied
    # And what save_state persists still holds the cap.
    rec.save_state(tmp_path / "state.igs")
    again = ig.Recommender(_fan(now), policy=ig.Policy(max_invites_per_recipient={"1h": 1}))
    again.load_state(tmp_path / "state.igs")
    assert again.recent_sends(3, "1h") == 1
    assert again.reserve_invites(1, [3], 42, ts=now).tolist() == [False]


def test_a_row_ahead_within_the_tolerance_uncaps_nobody():
    now = _now()
    rec = _capped(now)
    # Twelve hours ahead is within a day of clock skew: accepted, but "now" stays in
    # the present, so 3's one-hour window is not aged away.
    assert rec.record_outcomes(_sent(2, 4, now + 12 * HOUR)) == {"applied": 1,
                                                                  "unknown_invitees": 0}
    assert rec.feedback_for(3)["as_of"] <= _now()
    assert rec.recent_sends(3, "1h") == 1
    assert rec.reserve_invites(1, [3], 42, ts=now).tolist() == [False]
    # The send stamped ahead counts against 4's cap now, as one whole send.
    assert rec.recent_sends(4, "1h") == 1
    assert rec.reserve_invites(1, [4], 42, ts=now).tolist() == [False]
    assert rec.feedback_for(4)["fatigue"] == 1.0
    # A reservation stamped ahead is a send now: it cannot check an emptier window.
    assert rec.reserve_invites(1, [3], 42, ts=now + 2 * HOUR).tolist() == [False]


def test_reserve_invites_refuses_implausible_ts():
    now = _now()
    rec = _capped(now)
    for bad in (YEAR_3000, INT64_MAX, now * 1000):
        with pytest.raises(ValueError, match=re.escape(f"reserve_invites.ts={bad}")):
            rec.reserve_invites(1, [5], 42, ts=bad)
    with pytest.raises(ValueError, match="looks like milliseconds"):
        rec.reserve_invites(1, [5], 42, ts=pd.Timestamp(now, unit="s").value // 1_000_000)
    assert rec.recent_sends(5, "1h") == 0


# Fixed "now" from here on: messages and bounds do not depend on the wall clock.
LIMITS = ig.TimeLimits(now=T0)


def _builder() -> ig.GraphBuilder:
    return ig.GraphBuilder(ig.GraphConfig(time_limits=LIMITS))


def _tables(ts):
    return {
        "interactions": {"src": [1, 2], "dst": [2, 3], "kind": ["chat", "like"], "ts": ts},
        "purchases": {"user": [1, 2], "item": [7, 8], "ts": ts},
        "campaigns": {"inviter": [1, 2], "item": [7, 8], "joined": [[2], [3]], "ts": ts},
    }


@pytest.mark.parametrize("table", ["interactions", "purchases", "campaigns"])
@pytest.mark.parametrize("bad,hint", [(T0 * 1000, "looks like milliseconds"),
                                      (T0 * 1_000_000_000, "looks like nanoseconds"),
                                      (YEAR_3000, "3000-01-01T00:00:00Z"),
                                      (INT64_MAX, "after the year 9999")],
                         ids=["ms", "ns", "y3000", "int64"])
def test_every_table_refuses_implausible_times_and_keeps_earlier_batches(table, bad, hint):
    b = _builder()
    b.add_interactions({"src": [5], "dst": [6], "kind": ["chat"], "ts": [T0 - DAY]})
    before = b.counts()
    with pytest.raises(ValueError, match=re.escape(f"{table}.ts[1]={bad}")) as e:
        getattr(b, f"add_{table}")(_tables([T0, bad])[table])
    assert hint in str(e.value)
    assert "2023-11-15T22:13:20Z" in str(e.value)  # the latest plausible time, as a date
    assert b.counts() == before
    assert b.build(progress=False).as_of == T0 - DAY


def test_datetime_columns_pass_and_build_graph_names_the_row():
    ts = pd.to_datetime([T0 - DAY, T0], unit="s")
    g = ig.build_graph(interactions={"src": [1, 2], "dst": [2, 3], "kind": ["chat", "chat"],
                                     "ts": ts}, progress=False)
    assert g.as_of == T0
    with pytest.raises(ValueError, match=r"interactions\.ts\[1\]=\d+000: .*milliseconds"):
        ig.build_graph(interactions=_tables([T0, _now() * 1000])["interactions"],
                       progress=False)


def test_as_of_of_build_update_and_partials_is_checked():
    b = _builder().add_interactions(_tables([T0 - 10, T0 - 5])["interactions"])
    for bad in (T0 * 1000, YEAR_3000, INT64_MAX):
        with pytest.raises(ValueError, match=re.escape(f"BuildOptions.as_of={bad}")):
            b.build(as_of=bad)
    with pytest.raises(ValueError, match=re.escape(f"as_of={YEAR_3000}")):
        b._b.partial_arc_columns(as_of=YEAR_3000)
    g = b.build(as_of=T0 + HOUR, progress=False)  # within the tolerance
    assert g.as_of == T0 + HOUR
    # update: the graph keeps its limits, new rows and as_of are checked by them.
    assert g.config.time_limits == LIMITS
    with pytest.raises(ValueError, match=re.escape(f"interactions.ts[0]={T0 * 1000}")):
        g.update(interactions=_tables([T0 * 1000, T0])["interactions"])
    with pytest.raises(ValueError, match=re.escape(f"UpdateOptions.as_of={YEAR_3000}")):
        g.update(interactions=_tables([T0, T0])["interactions"], as_of=YEAR_3000)
    assert g.update(interactions=_tables([T0, T0])["interactions"]).as_of == T0 + HOUR


def test_the_window_is_configurable_and_travels():
    strict = ig.GraphConfig(time_limits=ig.TimeLimits(now=T0, max_future_seconds=0))
    b = ig.GraphBuilder(strict)
    with pytest.raises(ValueError, match="max_future_seconds=0"):
        b.add_purchases({"user": [1], "item": [7], "ts": [T0 + 1]})
    b.add_purchases({"user": [1], "item": [7], "ts": [T0]})
    late = ig.GraphConfig(time_limits=ig.TimeLimits(earliest=T0 - DAY, now=T0))
    with pytest.raises(ValueError, match="TimeLimits.earliest=1699913600"):
        ig.GraphBuilder(late).add_purchases({"user": [1], "item": [7], "ts": [100]})
    # A replay far in the future of the data's own time, or a wider window, accepts it.
    wide = ig.GraphConfig(time_limits=ig.TimeLimits(max_future_seconds=2000 * 365 * DAY))
    ig.GraphBuilder(wide).add_purchases({"user": [1], "item": [7], "ts": [YEAR_3000]})
    # Pickles (Spark ships configs) and snapshots keep the limits.
    assert pickle.loads(pickle.dumps(strict)).time_limits == strict.time_limits
    g = b.build(progress=False)
    assert ig.SocialGraph.from_bytes(g.to_bytes()).config.time_limits == strict.time_limits
    # Bad limits are named.
    with pytest.raises(ValueError, match=r"TimeLimits\.max_future_seconds=-1"):
        ig.TimeLimits(max_future_seconds=-1)
    with pytest.raises(ValueError, match=r"TimeLimits\.earliest=-5"):
        ig.TimeLimits(earliest=-5)
    with pytest.raises(TypeError, match="time_limits"):
        ig.Recommender(g, time_limits={"now": T0})
    assert ig.TimeLimits().now is None and ig.TimeLimits().max_future_seconds == DAY
    assert abs(ig.TimeLimits().current_now() - _now()) < 3600
    assert ig.TimeLimits(now=T0).current_now() == T0


def test_recommender_limits_outcomes_campaigns_and_history(shop_graph):
    rec = ig.Recommender(shop_graph, time_limits=ig.TimeLimits(now=T0, max_future_seconds=HOUR))
    with pytest.raises(ValueError, match=re.escape(f"outcomes.ts[0]={T0 + 2 * HOUR}")):
        rec.record_outcomes(_sent(123, 6, T0 + 2 * HOUR))
    assert rec.record_outcomes(_sent(123, 6, T0 + HOUR))["applied"] == 1
    assert rec.feedback_for(6)["as_of"] == T0
    # Campaign deadlines may be months ahead, not milliseconds or centuries.
    assert rec.recommend(123, k=2, campaign=ig.Campaign(
        ends_at=pd.Timestamp(T0, unit="s") + pd.Timedelta(days=200))).attrs["urgency"] == 0
    for bad in (T0 * 1000, YEAR_3000):
        with pytest.raises(ValueError, match=re.escape(f"campaign.ends_at={bad}")):
            rec.recommend(123, k=2, campaign=ig.Campaign(ends_at=bad))
    with pytest.raises(ValueError, match="max_ends_at_future_seconds"):
        rec.recommend(123, k=2, campaign=ig.Campaign(ends_at=T0 + 400 * DAY))
    # Pickling keeps them.
    back = pickle.loads(pickle.dumps(rec))
    with pytest.raises(ValueError, match="outcomes.ts"):
        back.record_outcomes(_sent(123, 5, T0 + 2 * HOUR))
    # history_from_outcomes takes them too.
    log = _sent(123, 6, T0 + 2 * HOUR)
    with pytest.raises(ValueError, match="outcomes.ts"):
        ig.history_from_outcomes(log, time_limits=ig.TimeLimits(now=T0,
                                                                max_future_seconds=HOUR))
    assert ig.history_from_outcomes(log)["ts"].tolist() == [T0 + 2 * HOUR]
    with pytest.raises(ValueError, match="outcomes.ts.0.=32503680000"):
        ig.history_from_outcomes(_sent(123, 6, YEAR_3000))


def test_training_history_is_checked_by_the_graph_limits(shop_graph):
    history = pd.DataFrame({"inviter": [123], "item": [42], "joined": [[5]],
                            "ts": [T0 * 1000]})
    with pytest.raises(ValueError, match=re.escape(f"history.ts[0]={T0 * 1000}")):
        ig.training_set(shop_graph, history, progress=False)


def test_check_timestamp_is_the_same_check():
    ig.check_timestamp(T0, ig.TimeLimits(now=T0))
    with pytest.raises(ValueError, match=r"x\[3\]=1700000000000: .*ts // 1000"):
        ig.check_timestamp(T0 * 1000, ig.TimeLimits(now=T0), "x[3]")
    ig.check_timestamp(T0 + 30 * DAY, ig.TimeLimits(now=T0), deadline=True)
    with pytest.raises(ValueError, match="max_future_seconds=86400"):
        ig.check_timestamp(T0 + 30 * DAY, ig.TimeLimits(now=T0))


def test_cli_names_the_row_and_takes_the_window(tmp_path, capsys):
    from invitegraph import cli

    path = tmp_path / "events.csv"
    pd.DataFrame({"src": [1, 2], "dst": [2, 3], "kind": ["chat", "chat"],
                  "ts": [T0, T0 * 1000]}).to_csv(path, index=False)
    assert cli.main(["build", "--interactions", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"interactions.ts[1]={T0 * 1000}" in err and "milliseconds" in err
    pd.DataFrame({"src": [1, 2], "dst": [2, 3], "kind": ["chat", "chat"],
                  "ts": [T0, T0 + 2 * DAY]}).to_csv(path, index=False)
    assert cli.main(["build", "--interactions", str(path), "--now", str(T0)]) == 2
    assert "max_future_seconds=86400" in capsys.readouterr().err
    assert cli.main(["build", "--interactions", str(path), "--now", str(T0),
                     "--max-future-seconds", str(3 * DAY)]) == 0
    assert f'"as_of": {T0 + 2 * DAY}' in capsys.readouterr().out
