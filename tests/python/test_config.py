"""GraphConfig: channel names are checked, and decay follows w = 2 ** (-age / half_life).

Channel weights are stored 8-bit log-quantised (about 2 % relative error for weights of
a few units), so they are compared with 3 % tolerance on sums kept above ~3; tie
strengths are 16-bit (0.02 %) and compared at 1e-3.
"""
from __future__ import annotations

import math

import pandas as pd
import pytest

import invitegraph as ig

T0 = 1_700_000_000
DAY = 86_400
AGES = [1, 5, 12, 30, 45, 60, 90]  # days; each event three times
REPEAT = 3


def _chat_events(ages=AGES, repeat=REPEAT, kind="chat", src=1, dst=2):
    rows = [(src, dst, kind, T0 - a * DAY) for a in ages for _ in range(repeat)]
    return pd.DataFrame(rows, columns=["src", "dst", "kind", "ts"])


def _expected(half_life, ages=AGES, repeat=REPEAT):
    return repeat * sum(2.0 ** (-a / half_life) for a in ages)


def test_defaults_are_documented():
    c = ig.GraphConfig()
    assert c.half_life_days == 30.0
    assert c.friendship_weight == 1.0
    assert c.new_user_days == 30.0
    assert c.join_rate_prior_mean == pytest.approx(0.1)
    assert c.join_rate_prior_strength == 10.0
    assert c.channel_weights == {}
    with pytest.raises(TypeError):
        ig.GraphConfig(30.0)  # keyword-only


def test_unknown_channel_lists_known_kinds():
    with pytest.raises(ValueError) as info:
        ig.GraphConfig(channel_weights={"chat": 1.0, "poke": 2.0})
    msg = str(info.value)
    assert "poke" in msg
    for kind in ig.channel_names():
        assert kind in msg


@pytest.mark.parametrize("value", [-1.0, float("nan"), float("inf")])
def test_bad_channel_weight(value):
    with pytest.raises(ValueError, match="chat"):
        ig.GraphConfig(channel_weights={"chat": value})


def test_unknown_channel_set_after_construction_fails_at_build():
    c = ig.GraphConfig()
    c.channel_weights = {"telepathy": 1.0}
    with pytest.raises(ValueError, match="telepathy"):
        ig.build_graph(interactions=_chat_events(), config=c, progress=False)


@pytest.mark.parametrize("half_life", [7.0, 30.0, 120.0])
def test_channel_weight_follows_half_life(half_life):
    g = ig.build_graph(interactions=_chat_events(), as_of=T0,
                       config=ig.GraphConfig(half_life_days=half_life), progress=False)
    assert g.config.half_life_days == half_life
    want = _expected(half_life)
    # The 8-bit log code keeps relative error within 2^(1/22) - 1 = 3.2 %.
    arc = g.arc(1, 2)
    assert arc["channel_weight"]["chat"] == pytest.approx(want, rel=0.0321)
    assert all(v == 0 for k, v in arc["channel_weight"].items() if k != "chat")
    assert arc["tie_strength"] == pytest.approx(1.0 * want, rel=1e-3)
    assert arc["days_since_last_interaction"] == 1
    assert arc["is_friend"] is False
    # The reverse arc exists (contacts are symmetric) but carries no events.
    back = g.arc(2, 1)
    assert back["tie_strength"] == 0 and back["channel_weight"]["chat"] == 0


@pytest.mark.parametrize("age", [0, 3, 10, 30, 75])
@pytest.mark.parametrize("half_life", [5.0, 30.0, 90.0])
def test_single_event_tie_strength_formula(age, half_life):
    events = _chat_events(ages=[age], repeat=1, kind="assist")
    g = ig.build_graph(interactions=events, as_of=T0,
                       config=ig.GraphConfig(half_life_days=half_life), progress=False)
    want = 1.5 * 2.0 ** (-age / half_life)
    got = g.arc(1, 2)["tie_strength"]
    # Stored as round(2048 * log2(1 + w)): half a step in that code, i.e. about 1e-4 of
    # (1 + w) -- tiny ties (w < ~1.7e-4) become 0, so compare in the code's space.
    assert abs(math.log2(1 + got) - math.log2(1 + want)) <= 0.5 / 2048 + 1e-9, (got, want)
    if want >= 0.5:
        assert got == pytest.approx(want, rel=1e-3)


def test_half_life_ratio_between_configs():
    """Doubling the half-life turns 2**(-a/h) into its square root."""
    short = ig.build_graph(interactions=_chat_events(ages=[40], repeat=1), as_of=T0,
                           config=ig.GraphConfig(half_life_days=10.0), progress=False)
    long = ig.build_graph(interactions=_chat_events(ages=[40], repeat=1), as_of=T0,
                          config=ig.GraphConfig(half_life_days=20.0), progress=False)
    a, b = short.arc(1, 2)["tie_strength"], long.arc(1, 2)["tie_strength"]
    assert a == pytest.approx(2 ** -4, rel=1e-3)
    assert b == pytest.approx(math.sqrt(a), rel=1e-3)


def test_channel_weights_override_defaults():
    events = pd.concat([_chat_events(), _chat_events(kind="like"), _chat_events(kind="assist")])
    cfg = ig.GraphConfig(half_life_days=30.0, channel_weights={"chat": 2.5, "like": 0.0})
    g = ig.build_graph(interactions=events, as_of=T0, config=cfg, progress=False)
    w = _expected(30.0)
    arc = g.arc(1, 2)
    # chat overridden, like switched off, assist keeps its default 1.5.
    assert arc["tie_strength"] == pytest.approx((2.5 + 0.0 + 1.5) * w, rel=1e-3)
    for kind in ("chat", "like", "assist"):
        assert arc["channel_weight"][kind] == pytest.approx(w, rel=0.0321)
    default = ig.build_graph(interactions=events, as_of=T0, progress=False)
    assert default.arc(1, 2)["tie_strength"] == pytest.approx((1.0 + 0.3 + 1.5) * w, rel=1e-3)


@pytest.mark.parametrize("weight", [0.0, 0.5, 3.0])
def test_friendship_weight(weight):
    g = ig.build_graph(friendships={"src": [1], "dst": [2]}, interactions=_chat_events(),
                       as_of=T0, config=ig.GraphConfig(friendship_weight=weight),
                       progress=False)
    assert g.arc(2, 1)["tie_strength"] == pytest.approx(weight, rel=1e-3, abs=1e-6)
    assert g.arc(2, 1)["is_friend"] is True
    assert g.arc(1, 2)["tie_strength"] == pytest.approx(weight + _expected(30.0), rel=1e-3)


@pytest.mark.parametrize("new_user_days, is_new", [(30.0, True), (10.0, True), (9.0, False)])
def test_new_user_days(new_user_days, is_new):
    events = pd.DataFrame({"src": [1, 3], "dst": [2, 1], "kind": ["chat", "chat"],
                           "ts": [T0 - 10 * DAY, T0 - 100 * DAY]})
    g = ig.build_graph(interactions=events, as_of=T0,
                       config=ig.GraphConfig(new_user_days=new_user_days), progress=False)
    assert g.profile(2)["is_new"] is is_new
    assert g.profile(3)["is_new"] is False
    assert g.profile(2)["first_seen"] == T0 - 10 * DAY


def test_join_rate_prior():
    campaigns = pd.DataFrame({"inviter": [1, 1, 1], "item": [5, 6, 7],
                              "joined": [[2], [2], []], "invited": [[2, 3], [2, 3], [2, 3]],
                              "ts": [T0 - DAY] * 3})
    cfg = ig.GraphConfig(join_rate_prior_mean=0.5, join_rate_prior_strength=2.0)
    g = ig.build_graph(campaigns=campaigns, as_of=T0, config=cfg, progress=False)
    assert g.profile(2)["join_rate"] == pytest.approx((2 + 1.0) / (3 + 2.0), rel=1e-5)
    assert g.profile(3)["join_rate"] == pytest.approx((0 + 1.0) / (3 + 2.0), rel=1e-5)


def _stored_single_chat(weight: float):
    """Arc 1 -> 2 after one chat whose decayed weight is `weight` (half-life 30 d)."""
    age_s = round(-30 * math.log2(weight) * DAY)
    g = ig.build_graph(interactions=_chat_events(ages=[age_s / DAY], repeat=1).astype(
        {"ts": "int64"}), as_of=T0, progress=False)
    return 2.0 ** (-(age_s / DAY) / 30), g.arc(1, 2)


DOC_GRID = [0.03, 0.05, 0.1, 0.2, 0.5, 0.7, 0.9]


def test_channel_weight_error_within_documented_bound():
    for w in DOC_GRID:
        want, arc = _stored_single_chat(w)
        assert arc["channel_weight"]["chat"] == pytest.approx(want, rel=0.0321), w


def test_tie_strength_error_within_documented_bound():
    for w in DOC_GRID:
        want, arc = _stored_single_chat(w)
        assert arc["tie_strength"] == pytest.approx(want, rel=2e-4), w
