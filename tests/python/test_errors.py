"""Bad input fails loudly: ValueError naming table, column, row and value; KeyError for
unknown users; TypeError for things that are not tables. Rejected batches change nothing."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import invitegraph as ig
from conftest import stats_without_timings

FRIENDS = {"src": [1, 2, 3], "dst": [2, 3, 4]}
EVENTS = {"src": [1, 2, 3], "dst": [2, 3, 1], "kind": ["chat", "like", "share"],
          "ts": [10, 20, 30]}
ORDERS = {"user": [1, 2, 3], "item": [7, 8, 7], "ts": [10, 20, 30], "category": [0, 1, 0],
          "amount": [1.0, 2.0, 3.0]}
HISTORY = {"inviter": [1, 2], "item": [7, 8], "joined": [[2], [3, 4]], "ts": [5, 6],
           "invited": [[2, 3], [3, 4]]}


def _with(table: dict, **changes) -> pd.DataFrame:
    cols = {k: list(v) for k, v in table.items()}
    cols.update(changes)
    return pd.DataFrame(cols)


def _assert_names(message: str, *parts: str) -> None:
    for p in parts:
        assert p in message, f"{p!r} not in error message {message!r}"


# (case id, build_graph kwargs, fragments the message must contain)
VALUE_ERRORS = [
    # Negative ids.
    ("neg-friend-src", dict(friendships=_with(FRIENDS, src=[1, 2, -3])),
     ["friendships.src[2]=-3"]),
    ("neg-event-dst", dict(interactions=_with(EVENTS, dst=[2, -9, 1])),
     ["interactions.dst[1]=-9"]),
    ("neg-order-item", dict(purchases=_with(ORDERS, item=[7, 8, -1])),
     ["purchases.item[2]=-1"]),
    ("neg-order-user", dict(purchases=_with(ORDERS, user=[-5, 2, 3])),
     ["purchases.user[0]=-5"]),
    ("neg-campaign-inviter", dict(campaigns=_with(HISTORY, inviter=[1, -2])),
     ["campaigns.inviter[1]=-2"]),
    ("neg-campaign-joined", dict(campaigns=_with(HISTORY, joined=[[2], [3, -4]])),
     ["campaigns.joined[1]=-4"]),
    ("neg-campaign-invited", dict(campaigns=_with(HISTORY, invited=[[2, -3], [3, 4]])),
     ["campaigns.invited[0]=-3"]),
    # Missing ids.
    ("nan-friend-dst", dict(friendships=_with(FRIENDS, dst=[2.0, np.nan, 4.0])),
     ["friendships.dst[1]=", "nan"]),
    ("none-event-src", dict(interactions=_with(EVENTS, src=[1, 2, None])),
     ["interactions.src[2]=", "missing"]),
    ("none-dict-src", dict(friendships={"src": [1, None, 3], "dst": [2, 3, 4]}),
     ["friendships.src[1]=None", "missing"]),
    ("na-int64-user", dict(purchases=_with(ORDERS, user=pd.array([1, None, 3], dtype="Int64"))),
     ["purchases.user[1]=", "missing"]),
    ("none-campaign-item", dict(campaigns=_with(HISTORY, item=[7, None])),
     ["campaigns.item[1]=", "missing"]),
    ("none-in-joined", dict(campaigns=_with(HISTORY, joined=[[2, None], [3]])),
     ["campaigns.joined[0]=", "None", "missing"]),
    ("nat-ts", dict(interactions=_with(EVENTS, ts=pd.to_datetime([10, None, 30], unit="s"))),
     ["interactions.ts[1]=NaT"]),
    # Self-loops.
    ("self-loop-friends", dict(friendships=_with(FRIENDS, dst=[2, 3, 3])),
     ["friendships.src[2]=3", "self-loop"]),
    ("self-loop-events", dict(interactions=_with(EVENTS, dst=[2, 2, 1])),
     ["interactions.src[1]=2", "self-loop"]),
    ("inviter-joins-itself", dict(campaigns=_with(HISTORY, joined=[[2], [2, 3]])),
     ["campaigns.joined[1]=2", "inviter"]),
    ("inviter-invites-itself", dict(campaigns=_with(HISTORY, invited=[[1, 2], [3, 4]])),
     ["campaigns.invited[0]=1", "inviter"]),
    # Timestamps.
    ("event-after-as-of", dict(interactions=_with(EVENTS, ts=[10, 200, 30]), as_of=100),
     ["interactions.ts[1]=200", "as_of=100"]),
    ("order-after-as-of", dict(purchases=_with(ORDERS, ts=[10, 20, 101]), as_of=100),
     ["purchases.ts[2]=101", "as_of=100"]),
    ("campaign-after-as-of", dict(campaigns=_with(HISTORY, ts=[5, 150]), as_of=100),
     ["campaigns.ts[1]=150", "as_of=100"]),
    ("negative-ts", dict(interactions=_with(EVENTS, ts=[10, -20, 30])),
     ["interactions.ts[1]=-20"]),
    ("pre-1970-datetime",
     dict(interactions=_with(EVENTS, ts=pd.to_datetime(["2020-01-01", "1969-12-31",
                                                        "2020-01-02"]))),
     ["interactions.ts[1]=-86400"]),
    # Kinds.
    ("unknown-kind", dict(interactions=_with(EVENTS, kind=["chat", "poke", "like"])),
     ["interactions.kind[1]='poke'"] + ig.channel_names()),
    ("missing-kind", dict(interactions=_with(EVENTS, kind=["chat", "like", None])),
     ["interactions.kind[2]", "missing"] + ig.channel_names()),
    ("numeric-kind", dict(interactions=_with(EVENTS, kind=["chat", 3, "like"])),
     ["interactions.kind[1]=3"]),
    # Amounts and categories.
    ("nan-amount", dict(purchases=_with(ORDERS, amount=[1.0, np.nan, 3.0])),
     ["purchases.amount[1]=nan"]),
    ("inf-amount", dict(purchases=_with(ORDERS, amount=[1.0, 2.0, np.inf])),
     ["purchases.amount[2]=inf"]),
    ("negative-amount", dict(purchases=_with(ORDERS, amount=[1.0, -2.0, 3.0])),
     ["purchases.amount[1]=-2"]),
    ("string-amount", dict(purchases=_with(ORDERS, amount=[1.0, "2.5", 3.0])),
     ["purchases.amount[1]='2.5'"]),
    ("string-category", dict(purchases=_with(ORDERS, category=[0, "toys", 1])),
     ["purchases.category[1]='toys'"]),
    ("string-category-with-missing", dict(purchases=_with(ORDERS, category=[None, "toys", 1])),
     ["purchases.category[1]='toys'"]),
    ("fractional-category", dict(campaigns=_with(HISTORY, category=[1.5, np.nan])),
     ["campaigns.category[0]=1.5"]),
    ("negative-category", dict(purchases=_with(ORDERS, category=[0, -5, 1])),
     ["purchases.category[1]=-5"]),
    # Wrong dtypes in id columns.
    ("string-id", dict(friendships=_with(FRIENDS, src=[1, "x", 3])),
     ["friendships.src[1]='x'"]),
    ("digit-string-id", dict(friendships=_with(FRIENDS, src=["1", "2", "3"])),
     ["friendships.src[0]='1'"]),
    ("string-ids-numpy", dict(friendships={"src": np.array(["1", "2"]), "dst": np.array([2, 3])}),
     ["friendships.src"]),
    ("fractional-id", dict(friendships=_with(FRIENDS, dst=[2.0, 3.5, 4.0])),
     ["friendships.dst[1]=3.5"]),
    ("bool-ids", dict(friendships=_with(FRIENDS, src=[True, False, True])),
     ["friendships.src", "bool"]),
    ("huge-uint", dict(friendships={"src": np.array([1, 2**63], dtype=np.uint64),
                                    "dst": np.array([2, 3], dtype=np.uint64)}),
     ["friendships.src[1]=9223372036854775808"]),
    ("string-ts", dict(interactions=_with(EVENTS, ts=["10", "20", "30"])),
     ["interactions.ts[0]='10'"]),
    ("joined-not-a-list", dict(campaigns=_with(HISTORY, joined=[[2], 3])),
     ["campaigns.joined[1]=3", "list"]),
    ("joined-string", dict(campaigns=_with(HISTORY, joined=[[2], "3,4"])),
     ["campaigns.joined[1]='3,4'"]),
    # Shapes.
    ("length-mismatch", dict(friendships={"src": [1, 2, 3], "dst": [2, 3]}),
     ["friendships", "'dst'", "2 rows", "'src'", "3"]),
    ("optional-length-mismatch", dict(purchases={**ORDERS, "amount": [1.0, 2.0]}),
     ["purchases", "'amount'", "2 rows", "3"]),
    ("missing-dst", dict(friendships={"src": [1, 2]}), ["friendships", "dst"]),
    ("missing-ts", dict(interactions={k: v for k, v in EVENTS.items() if k != "ts"}),
     ["interactions", "ts"]),
    ("missing-joined", dict(campaigns={"inviter": [1], "item": [7]}), ["campaigns", "joined"]),
    ("missing-item", dict(purchases={"user": [1], "ts": [3]}), ["purchases", "item"]),
    ("2d-column", dict(friendships={"src": np.array([[1, 2]]), "dst": np.array([[2, 3]])}),
     ["friendships.src"]),
]


@pytest.mark.parametrize("kwargs, parts", [c[1:] for c in VALUE_ERRORS],
                         ids=[c[0] for c in VALUE_ERRORS])
def test_value_errors_name_table_column_row_value(kwargs, parts):
    with pytest.raises(ValueError) as info:
        ig.build_graph(**kwargs, progress=False)
    _assert_names(str(info.value), *parts)


@pytest.mark.parametrize("bad", [[(1, 2), (2, 3)], np.array([[1, 2], [2, 3]]), "friends.csv",
                                 42, pd.Series([1, 2])],
                         ids=["list", "ndarray", "path", "int", "series"])
@pytest.mark.parametrize("table", ["friendships", "interactions", "purchases", "campaigns"])
def test_non_table_is_type_error(table, bad):
    with pytest.raises(TypeError, match=table):
        ig.build_graph(**{table: bad}, progress=False)


def test_unknown_users_are_key_errors():
    g = ig.build_graph(friendships=FRIENDS, progress=False)
    rec = ig.Recommender(g)
    with pytest.raises(KeyError, match="999"):
        rec.recommend(inviter=999, item=7)
    with pytest.raises(KeyError, match="999"):
        rec.features(inviter=999)
    with pytest.raises(KeyError, match=r"inviters\[2\]=999"):
        rec.recommend_batch(inviters=[1, 2, 999], items=7, unknown_inviters="raise")
    assert rec.recommend_batch(inviters=[1, 2, 999], items=7).attrs["unknown_inviters"] == (999,)
    with pytest.raises(KeyError):
        g.arc(1, 999)
    assert 999 not in g


def test_request_value_errors():
    rec = ig.Recommender(ig.build_graph(friendships=FRIENDS, progress=False))
    with pytest.raises(ValueError, match="k=-1"):
        rec.recommend(1, k=-1)
    with pytest.raises(ValueError, match="k=-1"):
        rec.recommend_batch([1, 2], k=-1)
    with pytest.raises(ValueError, match="inviters"):
        rec.recommend_batch(inviters=[1, 2, 3], items=[7, 8])
    with pytest.raises(ValueError, match=r"recommend_batch\.inviters\[1\]=nan"):
        rec.recommend_batch(inviters=[1.0, np.nan])
    with pytest.raises(ValueError, match=r"recommend_batch\.items"):
        rec.recommend_batch(inviters=[1, 2], items=["a", "b"])


def test_recommender_and_config_errors():
    g = ig.build_graph(friendships=FRIENDS, progress=False)
    with pytest.raises(ValueError, match="linear"):
        ig.Recommender(g, ranker="nonexistent")
    with pytest.raises(TypeError, match="ranker"):
        ig.Recommender(g, ranker=None)
    with pytest.raises(ValueError, match="max_two_hop"):
        ig.Recommender(g, max_two_hop=-1)
    with pytest.raises(ValueError, match="max_reasons"):
        ig.Recommender(g, max_reasons=-1)
    for field, value in [("half_life_days", 0.0), ("half_life_days", float("nan")),
                         ("friendship_weight", -1.0), ("join_rate_prior_mean", 1.5)]:
        with pytest.raises(ValueError, match=field):
            ig.build_graph(friendships=FRIENDS, config=ig.GraphConfig(**{field: value}),
                           progress=False)
    with pytest.raises(ValueError, match="as_of"):
        ig.build_graph(friendships=FRIENDS, as_of="not a date", progress=False)
    with pytest.raises(ValueError, match="as_of"):
        ig.build_graph(friendships=FRIENDS, as_of=float("nan"), progress=False)
    for missing in (pd.NaT, np.datetime64("NaT")):
        with pytest.raises(ValueError, match="as_of"):
            ig.build_graph(friendships=FRIENDS, as_of=missing, progress=False)


def test_nothing_to_build_is_an_error():
    with pytest.raises(ig.Error, match="nothing to build"):
        ig.build_graph(progress=False)
    with pytest.raises(ig.Error, match="nothing to build"):
        ig.build_graph(friendships={"src": [], "dst": []}, progress=False)
    # One family (issue 18): ig.Error is the base of every failure, bad input included,
    # so it is no longer a RuntimeError (which `except RuntimeError` would then catch).
    assert issubclass(ig.Error, Exception) and not issubclass(ig.Error, RuntimeError)


# --------------------------------------------------------------------------------------
# Validate-then-commit.
# --------------------------------------------------------------------------------------
GOOD_BATCHES = [
    ("add_friendships", FRIENDS),
    ("add_interactions", EVENTS),
    ("add_purchases", ORDERS),
    ("add_campaigns", HISTORY),
]

# Each bad batch brings new ids (500+) in its first rows, so that a partial commit would
# show up in counts() and in the user order of the built graph; the fault is last.
BAD_BATCHES = [
    ("add_friendships", {"src": [500, 501, -1], "dst": [502, 503, 504]}),
    ("add_friendships", {"src": [500, 501, 505], "dst": [502, 503, 505]}),
    ("add_friendships", {"src": [500, 501, "x"], "dst": [502, 503, 504]}),
    ("add_friendships", {"src": [500, 501, None], "dst": [502, 503, 504]}),
    ("add_interactions", {"src": [500, 501, 502], "dst": [503, 504, 505],
                          "kind": ["chat", "like", "poke"], "ts": [1, 2, 3]}),
    ("add_interactions", {"src": [500, 501, 502], "dst": [503, 504, 502],
                          "kind": ["chat", "like", "chat"], "ts": [1, 2, 3]}),
    ("add_interactions", {"src": [500, 501, 502], "dst": [503, 504, 505],
                          "kind": ["chat", "like", "chat"], "ts": [1, 2, -3]}),
    ("add_purchases", {"user": [500, 501, 502], "item": [600, 601, 602], "ts": [1, 2, 3],
                       "amount": [1.0, 2.0, np.nan]}),
    ("add_purchases", {"user": [500, 501, 502], "item": [600, 601, 602], "ts": [1, 2, 3],
                       "category": [1, 2, -7]}),
    ("add_purchases", {"user": [500, 501, 502], "item": [600, 601, -602], "ts": [1, 2, 3]}),
    ("add_campaigns", {"inviter": [500, 501], "item": [600, 601], "joined": [[502], [501]]}),
    ("add_campaigns", {"inviter": [500, 501], "item": [600, 601], "joined": [[502], [503]],
                       "invited": [[502], [503, -1]]}),
    ("add_campaigns", {"inviter": [500, 501], "item": [600, 601], "joined": [[502], [503]],
                       "category": [1, -3]}),
    ("add_campaigns", {"inviter": [500, 501], "item": [600, 601], "joined": [[502], [None]]}),
]


def _external_view(g: ig.SocialGraph) -> dict:
    """Observable state keyed by external ids only (internal ids depend on row order)."""
    users = sorted(int(u) for u in g.user_ids())
    return {
        "users": users,
        "arcs": {(u, int(v)): g.arc(u, int(v)) for u in users for v in g.neighbors(u)},
        "profiles": {u: g.profile(u) for u in users},
        "stats": stats_without_timings(g),
        "as_of": g.as_of,
    }


@pytest.mark.parametrize("method, bad", BAD_BATCHES,
                         ids=[f"{m}-{i}" for i, (m, _) in enumerate(BAD_BATCHES)])
@pytest.mark.parametrize("after", [1, 3], ids=["early", "late"])
def test_rejected_batch_changes_nothing(method, bad, after, graph_snapshot):
    config = ig.GraphConfig(half_life_days=10.0)
    b = ig.GraphBuilder(config)
    ref = ig.GraphBuilder(config)
    for name, table in GOOD_BATCHES[:after]:
        getattr(b, name)(table)
        getattr(ref, name)(table)
    before = b.counts()
    with pytest.raises(ValueError):
        getattr(b, method)(bad)
    assert b.counts() == before
    for name, table in GOOD_BATCHES[after:]:
        getattr(b, name)(table)
        getattr(ref, name)(table)
    assert b.counts() == ref.counts()
    assert graph_snapshot(b.build(progress=False)) == graph_snapshot(ref.build(progress=False))


def test_builder_counts_and_chaining():
    b = ig.GraphBuilder()
    assert b.counts() == {"friendships": 0, "interactions": 0, "purchases": 0, "campaigns": 0,
                          "profiles": 0, "users": 0, "items": 0, "duplicate_interactions": 0,
                          "duplicate_purchases": 0, "duplicate_campaigns": 0}
    assert b.add_friendships(FRIENDS) is b
    b.add_interactions(EVENTS).add_purchases(ORDERS).add_campaigns(HISTORY)
    c = b.counts()
    assert c["friendships"] == 3 and c["campaigns"] == 2
    users = set(FRIENDS["src"]) | set(FRIENDS["dst"]) | set(EVENTS["src"]) | \
        set(EVENTS["dst"]) | set(ORDERS["user"]) | set(HISTORY["inviter"])
    users |= {u for cell in HISTORY["joined"] + HISTORY["invited"] for u in cell}
    assert c["users"] == len(users)
    assert c["items"] == len(set(ORDERS["item"]) | set(HISTORY["item"]))
    # Joins are counted as interactions and purchases (documented in StagedCounts).
    assert c["interactions"] >= 3 and c["purchases"] >= 3
    assert b.add_profiles({"user": [1, 2], "tier": [1, 2]}) is b
    assert b.counts()["profiles"] == 2 and b.counts()["users"] == c["users"]


def test_batches_compose_like_one_table():
    """Two add_* calls give the same graph as one call with the rows concatenated."""
    events2 = {"src": [4, 5], "dst": [5, 1], "kind": ["visit", "assist"], "ts": [40, 50]}
    split = ig.GraphBuilder().add_friendships(FRIENDS).add_interactions(EVENTS)
    split.add_interactions(events2)
    whole = ig.GraphBuilder().add_friendships(FRIENDS).add_interactions(
        {k: EVENTS[k] + events2[k] for k in EVENTS})
    assert split.counts() == whole.counts()
    assert _external_view(split.build(progress=False)) == \
        _external_view(whole.build(progress=False))


def test_late_timestamp_row_counted_across_batches():
    b = ig.GraphBuilder().add_interactions(EVENTS)
    b.add_interactions({"src": [7, 8], "dst": [8, 9], "kind": ["chat", "chat"], "ts": [5, 99]})
    with pytest.raises(ValueError) as info:
        b.build(as_of=50, progress=False)
    _assert_names(str(info.value), "interactions.ts[4]=99", "as_of=50")
    # Build is repeatable: a later as_of works on the same builder.
    g = b.build(as_of=99, progress=False)
    assert g.as_of == 99 and 9 in g
    assert b.build(progress=False).as_of == 99


def test_error_messages_are_single_line_and_specific():
    with pytest.raises(ValueError) as info:
        ig.build_graph(interactions=_with(EVENTS, kind=["chat", "like", "gossip"]),
                       progress=False)
    msg = str(info.value)
    assert "\n" not in msg
    assert re.search(r"interactions\.kind\[2\]='gossip'", msg)
    # Every known kind is listed once.
    for kind in ig.channel_names():
        assert re.search(rf"\b{kind}\b", msg)


def test_counts_are_table_rows_campaign_events_derived_at_build():
    b = ig.GraphBuilder().add_campaigns({"inviter": [1, 2], "item": [7, 8],
                                         "joined": [[2], [3, 4]]})
    c = b.counts()
    assert c["campaigns"] == 2
    assert c["interactions"] == 0  # team_join rows are derived at build, not staged
    assert c["purchases"] == 0
    g = b.build(progress=False)
    assert g.arc(2, 1)["channel_weight"]["team_join"] > 0  # ...and do reach the graph
    assert sorted(g.item_buyers(8).tolist()) == [2, 3, 4]
