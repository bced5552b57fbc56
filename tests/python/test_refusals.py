"""What invitegraph refuses on the request side (issue 18): ids and counts that are not
exact integers, and one exception family for every failure.

The id/count rule is checked property-style: for every request-side entry point, any
value that is not exactly an integer in range is refused with an error naming the
argument, never truncated; an integral value of any accepted type (int, NumPy integer,
integral float below 2^53) behaves exactly as the int.
"""
from __future__ import annotations

import math
import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, HealthCheck
from hypothesis import strategies as st

import invitegraph as ig

from conftest import T0

FRIENDS = {"src": [1, 1, 2, 2, 3, 4, 5], "dst": [2, 3, 3, 4, 5, 6, 6]}


@pytest.fixture(scope="module")
def graph() -> ig.SocialGraph:
    return ig.build_graph(friendships=FRIENDS, progress=False)


@pytest.fixture(scope="module")
def rec(graph) -> ig.Recommender:
    return ig.Recommender(graph, policy=ig.Policy(max_invites_per_recipient={"1d": 5}))


# Values that are not an exact integer: fractions, NaN and infinities, floats whose
# magnitude is 2^53 or more (not one exact integer), bools, strings, None, containers.
_not_integers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).filter(
        lambda x: not math.isfinite(x) or x != math.floor(x) or abs(x) >= 2.0**53),
    st.sampled_from([2.5, -0.5, float("nan"), float("inf"), 2.0**53, -(2.0**60),
                     np.float64(1.5), np.float32(2.5), True, False, np.bool_(True), "5",
                     "", None, b"1", [1], (1,), 1 + 0j]),
    st.text(max_size=3),
)
# Integers outside int64.
_huge = st.one_of(st.integers(min_value=2**63), st.integers(max_value=-(2**63) - 1))

# Each entry point with one id or count slot; bad values in the slot must be refused.
# (name in the message, call). For the optional slots (item, category), None means
# "none" and is not a bad value.
OPTIONAL = {"recommend.item", "recommend.category", "features.item", "campaign.item"}
ID_SLOTS = {
    "forget": ("user_ids[0]", lambda g, r, v: g.forget([v])),
    "forget_users": ("users[0]", lambda g, r, v: r.forget_users([v])),
    "recommend.inviter": ("inviter", lambda g, r, v: r.recommend(inviter=v)),
    "recommend.item": ("item", lambda g, r, v: r.recommend(inviter=1, item=v)),
    "recommend.category": ("category", lambda g, r, v: r.recommend(inviter=1, category=v)),
    "features.inviter": ("inviter", lambda g, r, v: r.features(v)),
    "features.item": ("item", lambda g, r, v: r.features(1, item=v)),
    "policy.exclude": ("exclude[0]", lambda g, r, v: ig.Policy(exclude=[v])),
    "campaign.members": ("members[0]", lambda g, r, v: ig.Campaign(members=[v])),
    "campaign.item": ("campaign.item", lambda g, r, v: ig.Campaign(item=v)),
    "reserve.inviter": ("inviter", lambda g, r, v: r.reserve_invites(v, [2], 7, T0)),
    "reserve.invitees": ("invitees[0]", lambda g, r, v: r.reserve_invites(1, [v], 7, T0)),
    "reserve.item": ("item", lambda g, r, v: r.reserve_invites(1, [2], v, T0)),
    "adamic_adar.inviters": ("inviters[0]", lambda g, r, v: g.adamic_adar_top([v])),
    "batch.inviters": ("inviters[0]", lambda g, r, v: r.recommend_batch([v])),
    "batch.items": ("items", lambda g, r, v: r.recommend_batch([1], items=[v])),
    "feedback_for": ("user", lambda g, r, v: r.feedback_for(v)),
    "recent_sends": ("user", lambda g, r, v: r.recent_sends(v, "1d")),
    "neighbors": ("user", lambda g, r, v: g.neighbors(v)),
    "degree": ("user", lambda g, r, v: g.degree(v)),
    "profile": ("user", lambda g, r, v: g.profile(v)),
    "arc": ("src", lambda g, r, v: g.arc(v, 2)),
    "item_buyers": ("item", lambda g, r, v: g.item_buyers(v)),
}

COUNT_SLOTS = {
    "recommend.k": ("k", lambda g, r, v: r.recommend(1, k=v)),
    "batch.k": ("k", lambda g, r, v: r.recommend_batch([1], k=v)),
    "batch.num_threads": ("num_threads", lambda g, r, v: r.recommend_batch([1], num_threads=v)),
    "adamic_adar.k": ("k", lambda g, r, v: g.adamic_adar_top([1], k=v)),
    "cap": ("max_invites_per_recipient", lambda g, r, v: ig.Policy(
        max_invites_per_recipient={"1d": v})),
    "team_size": ("team_size", lambda g, r, v: ig.Campaign(team_size=v)),
    "max_two_hop": ("max_two_hop", lambda g, r, v: ig.Recommender(g, max_two_hop=v)),
}

# Count keywords whose None is documented as "the default" (options keywords).
COUNT_DEFAULTS = {"max_two_hop"}

_QUIET = settings(max_examples=25, deadline=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture])


def _refused(call, g, r, v, name):
    with pytest.raises(ig.InvalidArgumentError) as info:
        call(g, r, v)
    assert name in str(info.value), str(info.value)
    return info.value


@pytest.mark.parametrize("slot", sorted(ID_SLOTS))
@given(value=st.one_of(_not_integers, _huge))
@_QUIET
def test_ids_that_are_not_exact_integers_are_refused(graph, rec, slot, value):
    if value is None and slot in OPTIONAL:
        return
    name, call = ID_SLOTS[slot]
    err = _refused(call, graph, rec, value, name)
    # Also a ValueError (bad value) or TypeError (wrong type), and never a pybind dump.
    assert isinstance(err, ValueError)
    assert "incompatible function arguments" not in str(err)


@pytest.mark.parametrize("slot", sorted(COUNT_SLOTS))
@given(value=st.one_of(_not_integers, _huge, st.integers(min_value=2**31, max_value=2**62),
                       st.integers(max_value=-1)))
@_QUIET
def test_counts_that_are_not_exact_integers_in_range_are_refused(graph, rec, slot, value):
    if value is None and slot in COUNT_DEFAULTS:
        return  # None means "the options' default" there, by design
    name, call = COUNT_SLOTS[slot]
    _refused(call, graph, rec, value, name)


@pytest.mark.parametrize("as_type", [int, np.int64, np.int32, np.uint16, float, np.float64],
                         ids=lambda t: t.__name__)
def test_integral_values_of_any_accepted_type_act_as_ints(graph, rec, as_type):
    expect = rec.recommend(inviter=1, item=7, k=3)
    got = rec.recommend(inviter=as_type(1), item=as_type(7), k=as_type(3))
    pd.testing.assert_frame_equal(got, expect)
    assert len(graph.forget([as_type(2)])) == len(graph) - 1
    assert ig.Policy(exclude=[as_type(4)], max_invites_per_recipient={"1d": as_type(2)}) \
        .exclude == [4]


def test_forget_never_applies_a_truncated_id(graph):
    """The issue's erasure bug: forget([2.5]) used to forget user 2."""
    with pytest.raises(ig.InvalidArgumentError, match=r"user_ids\[0\]=2\.5: not an integer"):
        graph.forget([2.5])
    with pytest.raises(ig.InvalidArgumentError, match=r"user_ids\[1\]=nan"):
        graph.forget(np.array([1.0, np.nan]))
    assert 2 in graph.forget([3])


def test_one_item_for_a_whole_batch_follows_the_rule(rec):
    for bad in (2.5, True, "7", float("nan"), 2**63):
        with pytest.raises(ig.InvalidArgumentError, match=r"recommend_batch\.items="):
            rec.recommend_batch([1, 2], items=bad)
    pd.testing.assert_frame_equal(rec.recommend_batch([1, 2], items=7.0),
                                  rec.recommend_batch([1, 2], items=7))


def test_count_errors_name_the_argument(rec):
    with pytest.raises(ig.InvalidArgumentError, match=r"^k=1\.5: not an integer$"):
        rec.recommend(1, k=1.5)
    with pytest.raises(ig.ArgumentTypeError, match=r"^k='5': expected an integer, got str$"):
        rec.recommend(1, k="5")
    with pytest.raises(TypeError, match=r"^k=True: expected an integer, got bool$"):
        rec.recommend(1, k=True)
    with pytest.raises(ValueError, match=r"^k=2147483648: must be between 0 and 2147483647$"):
        rec.recommend(1, k=2**31)
    with pytest.raises(ValueError, match=r"max_invites_per_recipient\['1d'\]=2\.7"):
        ig.Policy(max_invites_per_recipient={"1d": 2.7})


def test_float_ids_at_2_53_and_beyond_are_refused_in_tables():
    # 2^53 and 2^53 + 1 are one float: accepting them would merge two users.
    big = float(2**53)
    with pytest.raises(ig.InvalidArgumentError, match=r"friendships\.src\[1\]=9007199254740992"):
        ig.build_graph(friendships={"src": [1.0, big], "dst": [2.0, 3.0]}, progress=False)
    g = ig.build_graph(friendships={"src": [1.0, big - 1], "dst": [2.0, 3.0]}, progress=False)
    assert int(big - 1) in g


def test_tables_and_requests_share_the_rule(graph, rec):
    """The same value is refused with the same reason by a table column and a request."""
    for value, reason in [(2.5, "not an integer"), (True, "expected an integer, got bool"),
                          ("x", "expected an integer, got str"),
                          (float("nan"), "missing")]:
        with pytest.raises(ig.InvalidArgumentError) as table:
            ig.build_graph(friendships=pd.DataFrame({"src": pd.Series([1, value], dtype=object),
                                                     "dst": [2, 3]}), progress=False)
        with pytest.raises(ig.InvalidArgumentError) as request:
            rec.forget_users([1, value])
        assert reason in str(table.value) and reason in str(request.value)


# ----------------------------------------------------------------------------------------
# One exception family
# ----------------------------------------------------------------------------------------

def test_the_hierarchy():
    assert issubclass(ig.InvalidArgumentError, ig.Error)
    assert issubclass(ig.InvalidArgumentError, ValueError)
    assert issubclass(ig.ArgumentTypeError, ig.InvalidArgumentError)
    assert issubclass(ig.ArgumentTypeError, TypeError)
    assert issubclass(ig.NotFoundError, KeyError) and issubclass(ig.NotFoundError, ig.Error)
    assert issubclass(ig.OutOfRangeError, IndexError)
    assert issubclass(ig.SnapshotError, OSError) and issubclass(ig.SnapshotError, ig.Error)
    assert issubclass(ig.SnapshotNotFoundError, FileNotFoundError)
    assert issubclass(ig.SnapshotPermissionError, PermissionError)
    # Every class pickles under its public name (errors cross process pools).
    for cls in (ig.Error, ig.InvalidArgumentError, ig.NotFoundError, ig.SnapshotError):
        e = pickle.loads(pickle.dumps(cls("boom")))
        assert type(e) is cls and str(e) == "boom"
    assert str(ig.NotFoundError("user=9: not in the graph")) == "user=9: not in the graph"


def test_unknown_ids_are_not_found_errors(rec):
    with pytest.raises(ig.NotFoundError, match="999"):
        rec.recommend(999)
    with pytest.raises(ig.NotFoundError, match=r"^user=999: not in the graph$"):
        rec.graph.neighbors(999)


def test_snapshot_failures_are_snapshot_errors(graph, tmp_path):
    with pytest.raises(ig.SnapshotNotFoundError):
        ig.SocialGraph.load(tmp_path / "absent.igsnap")
    with pytest.raises(FileNotFoundError):
        ig.SocialGraph.load(tmp_path / "absent.igsnap")
    # A directory (was MemoryError: std::bad_array_new_length).
    with pytest.raises(ig.Error):
        ig.SocialGraph.load(tmp_path)
    damaged = tmp_path / "g.igsnap"
    graph.save(damaged)
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    with pytest.raises(ig.SnapshotError):
        ig.SocialGraph.load(damaged)
    with pytest.raises(ig.SnapshotError):
        ig.SocialGraph.from_bytes(bytes(data))
    with pytest.raises(ig.SnapshotNotFoundError):
        ig.load_ranker(tmp_path / "absent.json")


def test_state_snapshot_failures_are_snapshot_errors(rec, tmp_path):
    with pytest.raises(ig.SnapshotNotFoundError):
        rec.load_state(tmp_path / "absent.state")
    (tmp_path / "junk.state").write_bytes(b"not a snapshot at all")
    with pytest.raises(ig.SnapshotError):
        rec.load_state(tmp_path / "junk.state")


def test_lone_surrogates_are_refused_as_bad_text():
    # Strings decoded with errors="surrogateescape" carry lone surrogates that UTF-8
    # cannot encode; they used to surface as "RuntimeError: Unable to cast".
    bad = "caf\udce9"
    with pytest.raises(ig.InvalidArgumentError, match=r"profiles\.region\[1\]"):
        ig.build_graph(friendships=FRIENDS, profiles={"user": [1, 2], "region": ["eu", bad]},
                       progress=False)
    with pytest.raises(ig.InvalidArgumentError, match=r"profiles\.tags\[0\]"):
        ig.build_graph(friendships=FRIENDS, profiles={"user": [1], "tags": [[bad]]},
                       progress=False)
    with pytest.raises(ig.InvalidArgumentError, match="column name"):
        ig.build_graph(friendships=FRIENDS, profiles={"user": [1], bad: ["x"]}, progress=False)
    with pytest.raises(ig.InvalidArgumentError, match=r"interactions\.kind\[0\]"):
        ig.build_graph(interactions={"src": [1], "dst": [2], "kind": [bad], "ts": [T0]},
                       progress=False)
    g = ig.build_graph(friendships=FRIENDS, progress=False)
    with pytest.raises(ig.InvalidArgumentError, match="audience"):
        ig.Recommender(g).recommend(1, audience=f"region == '{bad}'")


def test_errors_name_the_index_label_of_a_filtered_frame():
    df = pd.DataFrame({"src": [1, 2, 3, 4], "dst": [2, 3, 4.5, 5]},
                      index=["a", "b", "c", "d"])
    with pytest.raises(ig.InvalidArgumentError,
                       match=r"friendships\.dst\[2\]=4\.5: not an integer "
                             r"\(row 2 has index label 'c'\)"):
        ig.build_graph(friendships=df, progress=False)
    filtered = pd.DataFrame({"src": [1, 2, 3], "dst": [2, 3, -4.5]}).query("src > 1")
    with pytest.raises(ig.InvalidArgumentError, match=r"\[1\].*index label 2\)"):
        ig.build_graph(friendships=filtered, progress=False)
    # A default index adds nothing.
    with pytest.raises(ig.InvalidArgumentError) as info:
        ig.build_graph(friendships={"src": [1], "dst": [2.5]}, progress=False)
    assert "index label" not in str(info.value)


def test_outcome_errors_name_the_index_label(rec):
    out = pd.DataFrame({"inviter": [1, 1], "invitee": [2, 3], "item": [7, 7],
                        "ts": [T0, T0], "outcome": ["sent", "bogus"]}, index=[10, 20])
    with pytest.raises(ig.InvalidArgumentError, match=r"outcomes\.outcome\[1\].*index label 20"):
        rec.record_outcomes(out)


def test_a_bad_graph_pickle_state_is_a_snapshot_error():
    # It used to raise a bare RuntimeError (a std::runtime_error in the binding).
    with pytest.raises(ig.SnapshotError):
        ig.SocialGraph.__new__(ig.SocialGraph).__setstate__((b"x", b"y"))
