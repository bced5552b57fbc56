"""One Python surface: SocialGraph is a Python class around the core graph, every
graph-making call returns it, and results that were dicts are typed dataclasses that
still read as the dicts they replace."""
from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle

import numpy as np
import pandas as pd
import pytest

import invitegraph as ig
from invitegraph import _core

from conftest import T0

# The methods that used to be attached to the compiled class after import.
ONCE_ATTACHED = ("profiles", "attributes", "communities", "centrality", "with_abuse", "abuse",
                 "arcs", "adamic_adar_top", "update")


class LogisticTie:
    """A calibrated model (predict_proba), which waves need."""

    def predict_proba(self, X):
        p = 1.0 / (1.0 + np.exp(1.0 - X["tie_strength"].to_numpy(np.float64)))
        return np.column_stack([1 - p, p])


def _public(cls) -> list[str]:
    return [n for n in dir(cls) if not n.startswith("_")]


def test_social_graph_is_a_python_class_holding_the_core_graph(shop_graph):
    assert type(shop_graph) is ig.SocialGraph
    assert isinstance(shop_graph._g, _core.SocialGraph)
    assert not isinstance(shop_graph, _core.SocialGraph)
    assert ig.SocialGraph.__module__ == "invitegraph._graph"
    # Nothing is attached to the compiled class any more.
    for name in ONCE_ATTACHED:
        assert not hasattr(_core.SocialGraph, name), name


def test_every_core_method_keeps_its_spelling_on_the_python_class():
    core = set(_public(_core.SocialGraph))
    assert core <= set(_public(ig.SocialGraph)), core - set(_public(ig.SocialGraph))
    assert set(ONCE_ATTACHED) <= set(_public(ig.SocialGraph))
    for cls in (ig.SocialGraph, ig.GraphBuilder):
        assert all(n in cls.__dict__ for n in _public(cls)), cls  # defined, not inherited


@pytest.mark.parametrize("cls", [ig.SocialGraph, ig.GraphBuilder])
def test_public_methods_carry_a_docstring_and_a_return_type(cls):
    for name in _public(cls):
        member = inspect.getattr_static(cls, name)
        fn = member.fget if isinstance(member, property) else getattr(cls, name)
        assert inspect.getdoc(fn), f"{cls.__name__}.{name} has no docstring"
        assert "return" in fn.__annotations__, f"{cls.__name__}.{name} has no return type"


def test_every_graph_making_call_returns_the_python_class(shop_frames, shop_graph, tmp_path):
    b = ig.GraphBuilder()
    b.add_friendships(shop_frames["friendships"])
    made = {
        "build_graph": ig.build_graph(friendships=shop_frames["friendships"], progress=False),
        "GraphBuilder.build": b.build(progress=False),
        "update": shop_graph.update(interactions=pd.DataFrame(
            {"src": [5], "dst": [9], "kind": ["chat"], "ts": [T0 + 60]})),
        "forget": shop_graph.forget([9]),
        "with_abuse": shop_graph.with_abuse(ig.detect_abuse(shop_graph)),
        "from_bytes": ig.SocialGraph.from_bytes(shop_graph.to_bytes()),
        "pickle": pickle.loads(pickle.dumps(shop_graph)),
        "copy": copy.copy(shop_graph),
        "deepcopy": copy.deepcopy(shop_graph),
    }
    shop_graph.save(tmp_path / "g.igs")
    made["load"] = ig.SocialGraph.load(tmp_path / "g.igs")
    for how, g in made.items():
        assert type(g) is ig.SocialGraph, how
        assert isinstance(g._g, _core.SocialGraph), how
    for how in ("from_bytes", "pickle", "copy", "deepcopy", "load"):
        assert made[how].to_bytes() == shop_graph.to_bytes(), how
        assert made[how]._g is not shop_graph._g
    assert made["with_abuse"].has_abuse and not shop_graph.has_abuse
    assert len(made["forget"]) == len(shop_graph) - 1


def test_core_bindings_take_the_python_graph(shop_graph):
    # The registered conversion: Recommender, Audience and detect_abuse take it as it is.
    rec = ig.Recommender(shop_graph)
    assert rec.graph is shop_graph
    assert list(rec.recommend(123, k=2)["candidate"]) == list(
        ig.Recommender(shop_graph).recommend(123, k=2)["candidate"])
    audience = _core.Audience.compile("degree >= 2", shop_graph)
    assert audience.compiled_for(shop_graph)
    assert _core.SocialGraph(shop_graph).to_bytes() == shop_graph.to_bytes()
    with pytest.raises(TypeError, match="invitegraph.SocialGraph"):
        _core.SocialGraph(object())
    with pytest.raises(TypeError):
        ig.Recommender("not a graph")


def test_the_python_graph_cannot_be_made_from_anything_else():
    with pytest.raises(TypeError, match="build_graph"):
        ig.SocialGraph(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(AttributeError):
        ig.build_graph(friendships={"src": [1], "dst": [2]}, progress=False).extra = 1


# --------------------------------------------------------------------------------------
# Typed results


def _core_stats(g: ig.SocialGraph) -> dict:
    return g._g.stats()


def test_stats_is_a_frozen_dataclass_of_the_core_figures(shop_graph):
    s = shop_graph.stats()
    assert isinstance(s, ig.GraphStats)
    core = _core_stats(shop_graph)
    assert [f.name for f in dataclasses.fields(s)] == list(core)  # same names, same order
    assert s.num_nodes == len(shop_graph) == core["num_nodes"]
    assert s.num_arcs == shop_graph.num_arcs and s.as_of == shop_graph.as_of == T0
    assert isinstance(s.bytes_per_arc, float) and s.bytes_per_arc > 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.num_nodes = 0  # type: ignore[misc]


def test_stats_still_reads_as_the_dict_it_replaces(shop_graph):
    s = shop_graph.stats()
    core = _core_stats(shop_graph)
    timings = {k for k in core if k.endswith("_seconds")}
    assert s["num_nodes"] == s.num_nodes and s["as_of"] == T0
    assert "num_arcs" in s and "nope" not in s and 3 not in s
    assert list(s.keys()) == list(core)
    plain = dict(s)
    assert {k: v for k, v in plain.items() if k not in timings} == \
        {k: v for k, v in core.items() if k not in timings}
    assert s == s.to_dict() and s == plain and s == dataclasses.replace(s)
    assert s != {**plain, "num_nodes": -1}
    assert s != dataclasses.replace(s, num_nodes=-1)
    with pytest.raises(KeyError):
        s["nope"]
    with pytest.raises(TypeError):
        hash(s)  # as a dict


def test_counts_is_typed_and_reads_as_before(shop_frames):
    b = ig.GraphBuilder()
    b.add_friendships(shop_frames["friendships"])
    b.add_interactions({**shop_frames["interactions"],
                        "event_id": np.arange(len(shop_frames["interactions"]))})
    b.add_interactions({**shop_frames["interactions"],
                        "event_id": np.arange(len(shop_frames["interactions"]))})
    c = b.counts()
    assert isinstance(c, ig.StagedCounts)
    assert [f.name for f in dataclasses.fields(c)] == list(b._b.counts())
    assert c.friendships == c["friendships"] == len(shop_frames["friendships"])
    assert c.interactions == len(shop_frames["interactions"])
    assert c.duplicate_interactions == len(shop_frames["interactions"])
    assert c.items == 0 and c["items"] == 0  # a field, though dicts had an items() method
    assert c == b._b.counts()


def test_feedback_for_is_typed_and_reads_as_before(shop_graph):
    rec = ig.Recommender(shop_graph)
    rec.record_outcomes(pd.DataFrame({"inviter": [123, 123], "invitee": [6, 6],
                                      "item": [42, 42], "ts": [T0, T0],
                                      "outcome": ["sent", "accepted"]}))
    f = rec.feedback_for(6)
    assert isinstance(f, ig.RecipientFeedback)
    assert f.in_graph is True and f.successes == 1 and f.failures == 0
    assert f.fatigue == pytest.approx(1.0) and f.as_of == T0
    assert f == rec._r.feedback_for(6) and f["accept_rate"] == f.accept_rate
    assert rec.feedback_for(10**9).in_graph is False


def _wave_setup(synth_world, synth_graph):
    rec = ig.Recommender(synth_graph, ranker=LogisticTie())
    inviters = synth_world.campaigns["inviter"].drop_duplicates().to_numpy()[:60]
    return rec, np.append(inviters, 10**12)  # the last one is not in the graph


def test_wave_result_types_the_report_and_keeps_the_attrs(synth_world, synth_graph):
    rec, inviters = _wave_setup(synth_world, synth_graph)
    res = rec.recommend_wave_result(inviters, 7, k=3, recipient_capacity=2, progress=False)
    assert isinstance(res, ig.WaveResult) and isinstance(res.report, ig.WaveReport)
    r = res.report
    assert r.requests == len(inviters) - 1 and r.suggestions == len(res.frame) > 0
    assert r.method in ("exact", "greedy") and r.max_recipient_load <= 2
    assert r.expected_joins == pytest.approx(res.frame["join_probability"].sum())
    assert res.unknown_inviters == (10**12,)
    # df.attrs is filled as before: the report's fields plus the skipped inviters.
    assert res.frame.attrs == {**r.to_dict(), "unknown_inviters": (10**12,)}
    plain = rec.recommend_wave(inviters, 7, k=3, recipient_capacity=2, progress=False)
    pd.testing.assert_frame_equal(plain, res.frame)
    assert {k: v for k, v in plain.attrs.items() if not k.endswith("seconds")} == \
        {k: v for k, v in res.frame.attrs.items() if not k.endswith("seconds")}


def test_batch_result_types_the_skipped_inviters(synth_world, synth_graph):
    rec, inviters = _wave_setup(synth_world, synth_graph)
    res = rec.recommend_batch_result(inviters, k=3, progress=False)
    assert isinstance(res, ig.BatchResult)
    assert res.unknown_inviters == (10**12,) == res.frame.attrs["unknown_inviters"]
    assert all(isinstance(u, int) for u in res.unknown_inviters)
    pd.testing.assert_frame_equal(rec.recommend_batch(inviters, k=3, progress=False),
                                  res.frame)
    known = rec.recommend_batch_result(inviters[:5], k=3, progress=False)
    assert known.unknown_inviters == ()
