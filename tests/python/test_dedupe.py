"""Idempotent ingestion through the Python API: event_id columns and
GraphConfig(dedupe="exact")."""
from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

import invitegraph as ig

KEYED = ("interactions", "purchases", "campaigns")


@pytest.fixture(scope="module")
def tables() -> dict:
    t = ig.synth.generate(300, seed=5, days=40.0, progress=False).tables()
    rng = np.random.default_rng(5)
    out = {}
    for name, df in t.items():
        df = df.reset_index(drop=True)
        if name in KEYED:
            # Distinct ids, negative ones included.
            ids = rng.choice(np.arange(-10**6, 10**6), size=len(df), replace=False)
            df = df.assign(event_id=ids.astype(np.int64))
        out[name] = df
    return out


def _without_ids(tables: dict) -> dict:
    return {k: df.drop(columns="event_id", errors="ignore") for k, df in tables.items()}


def _arcs(g: ig.SocialGraph) -> pd.DataFrame:
    return g.arcs().set_index(["src", "dst"]).sort_index()


def _same_graph(a: ig.SocialGraph, b: ig.SocialGraph) -> None:
    assert a.as_of == b.as_of
    assert sorted(a.user_ids()) == sorted(b.user_ids())
    pd.testing.assert_frame_equal(_arcs(a), _arcs(b))
    for u in list(a.user_ids())[:50]:
        assert a.profile(int(u)) == b.profile(int(u))
    assert a.stats()["num_events"] == b.stats()["num_events"]


def _build(tables: dict, as_of: int, **kw) -> ig.SocialGraph:
    return ig.build_graph(**tables, as_of=as_of, progress=False, keep_events=False, **kw)


def _as_of(tables: dict) -> int:
    return int(max(df["ts"].max() for df in tables.values() if "ts" in df))


def _rows(df: pd.DataFrame, idx) -> pd.DataFrame:
    return df.iloc[np.asarray(idx, dtype=np.int64)].reset_index(drop=True)


def test_every_table_twice_equals_once(tables):
    as_of = _as_of(tables)
    reference = _build(_without_ids(tables), as_of)
    b = ig.GraphBuilder()
    b.add_friendships(tables["friendships"])
    for name in KEYED:
        getattr(b, f"add_{name}")(tables[name])
        getattr(b, f"add_{name}")(tables[name])
    counts = b.counts()
    for name in KEYED:
        assert counts[name] == len(tables[name])
        assert counts[f"duplicate_{name}"] == len(tables[name])
    g = b.build(as_of=as_of, progress=False, keep_events=False)
    _same_graph(g, reference)
    assert g.stats()["duplicates_skipped"] == sum(len(tables[n]) for n in KEYED)
    assert reference.stats()["duplicates_skipped"] == 0


def test_shuffled_overlapping_batches_equal_once(tables):
    as_of = _as_of(tables)
    reference = _build(_without_ids(tables), as_of)
    rng = np.random.default_rng(11)
    b = ig.GraphBuilder()
    b.add_friendships(tables["friendships"])
    extra = {}
    for name in KEYED:
        n = len(tables[name])
        extra[name] = int(rng.integers(5, 50))
        rows = rng.permutation(np.concatenate([np.arange(n), rng.integers(0, n, extra[name])]))
        for part in np.array_split(rows, 3):
            getattr(b, f"add_{name}")(_rows(tables[name], part))
    for name in KEYED:
        assert b.counts()[f"duplicate_{name}"] == extra[name]
    g = b.build(as_of=as_of, progress=False, keep_events=False)
    _same_graph(g, reference)
    assert g.stats()["duplicates_skipped"] == sum(extra.values())


def test_exact_dedupe_without_ids(tables):
    plain = _without_ids(tables)
    as_of = _as_of(plain)
    config = ig.GraphConfig(dedupe="exact")
    once = ig.GraphBuilder(config)
    for name, df in plain.items():
        getattr(once, f"add_{name}")(df)
    # The synthetic tables may hold identical rows of their own: counted here.
    inherent = {n: once.counts()[f"duplicate_{n}"] for n in KEYED}
    reference = once.build(as_of=as_of, progress=False, keep_events=False)

    rng = np.random.default_rng(3)
    b = ig.GraphBuilder(config)
    b.add_friendships(plain["friendships"])
    extra = {}
    for name in KEYED:
        n = len(plain[name])
        extra[name] = int(rng.integers(5, 50))
        rows = rng.permutation(np.concatenate([np.arange(n), rng.integers(0, n, extra[name])]))
        for part in np.array_split(rows, 2):
            getattr(b, f"add_{name}")(_rows(plain[name], part))
    for name in KEYED:
        assert b.counts()[f"duplicate_{name}"] == inherent[name] + extra[name]
    _same_graph(b.build(as_of=as_of, progress=False, keep_events=False), reference)


def test_default_counts_repeats_twice(tables):
    plain = _without_ids(tables)
    as_of = _as_of(plain)
    once = _build(plain, as_of)
    twice = _build({k: pd.concat([df, df], ignore_index=True) for k, df in plain.items()},
                   as_of)
    assert twice.stats()["duplicates_skipped"] == 0
    assert twice.stats()["num_events"] == 2 * once.stats()["num_events"]
    assert not _arcs(twice)["tie_strength"].equals(_arcs(once)["tie_strength"])


def _split(tables: dict, seed: int) -> tuple[dict, dict, dict]:
    """A (built), B (the update) and a random part of A to replay."""
    rng = np.random.default_rng(seed)
    a, b, replay = {}, {}, {}
    for name, df in tables.items():
        in_a = rng.random(len(df)) < 0.6
        a[name], b[name] = df[in_a].reset_index(drop=True), df[~in_a].reset_index(drop=True)
        if name in KEYED:
            replay[name] = a[name].sample(frac=0.5, random_state=seed).reset_index(drop=True)
    return a, b, replay


@pytest.mark.parametrize("ids", [True, False])
def test_update_skips_what_the_graph_applied(tables, ids, tmp_path):
    data = tables if ids else _without_ids(tables)
    # Repeated rows are the subject, not the participation guard (repeated
    # campaigns would claim repeated purchases).
    config = (ig.GraphConfig(participation_window_days=-1) if ids else
              ig.GraphConfig(dedupe="exact", participation_window_days=-1))
    as_of = _as_of(data)
    a, b, replay = _split(data, 7)
    base = _build(a, as_of, config=config)
    expected = base.update(**b, as_of=as_of)
    with_replay = {k: pd.concat([b[k], replay[k]], ignore_index=True) if k in replay else b[k]
                   for k in b}
    got = base.update(**with_replay, as_of=as_of)
    _same_graph(got, expected)
    assert got.stats()["duplicates_skipped"] == sum(len(df) for df in replay.values())

    # Through a snapshot, and the updated graph keeps both key sets.
    base.save(tmp_path / "base.igs")
    loaded = ig.SocialGraph.load(tmp_path / "base.igs")
    assert loaded.config.dedupe == config.dedupe
    _same_graph(loaded.update(**with_replay, as_of=as_of), expected)
    again = pickle.loads(pickle.dumps(got)).update(
        **{k: data[k] for k in KEYED}, as_of=as_of)
    assert again.stats()["duplicates_skipped"] == sum(len(data[k]) for k in KEYED)
    assert again.stats()["num_events"] == got.stats()["num_events"]


def test_config_dedupe_pickles_and_rejects_unknown_modes():
    c = ig.GraphConfig(dedupe="exact", half_life_days=10.0)
    d = pickle.loads(pickle.dumps(c))
    assert d.dedupe == "exact" and d.half_life_days == 10.0
    assert ig.GraphConfig().dedupe == "none"
    with pytest.raises(ValueError, match="dedupe='fuzzy'.*none, exact"):
        ig.GraphConfig(dedupe="fuzzy")
    c.dedupe = "none"
    assert c.dedupe == "none"


def test_first_id_wins_and_tables_have_own_ids():
    b = ig.GraphBuilder()
    b.add_interactions({"src": [1, 3], "dst": [2, 4], "kind": ["chat", "chat"],
                        "ts": [100, 100], "event_id": [7, 7]})
    b.add_purchases({"user": [3], "item": [9], "ts": [100], "event_id": [7]})
    assert b.counts()["interactions"] == 1
    assert b.counts()["duplicate_interactions"] == 1
    assert b.counts()["purchases"] == 1
    g = b.build(progress=False)
    assert g.arc(1, 2) is not None
    assert 4 not in g and g.degree(3) == 0


@pytest.mark.parametrize("ids, message", [
    (np.array([5.0, 1.5]), r"interactions\.event_id\[1\]=1\.5: not an integer"),
    (pd.Series([5, None], dtype="Int64"), r"interactions\.event_id\[1\]=<NA>: missing value"),
    (pd.Series([5, None], dtype=object), r"interactions\.event_id\[1\]=None: missing value"),
    (pd.Series([5, "x"], dtype=object), r"interactions\.event_id\[1\]='x': expected an integer, got str"),
    (np.array([5.0, np.nan]), r"interactions\.event_id\[1\]=nan: missing or non-finite"),
])
def test_bad_event_ids_name_table_column_row_and_value(ids, message):
    b = ig.GraphBuilder()
    table = {"src": [1, 2], "dst": [2, 3], "kind": ["chat", "like"], "ts": [10, 20],
             "event_id": ids}
    with pytest.raises(ValueError, match=message):
        b.add_interactions(table)
    assert b.counts()["interactions"] == 0


def test_bad_rows_leave_no_ids_behind():
    b = ig.GraphBuilder()
    bad = {"user": [1, 2], "item": [5, -1], "ts": [10, 20], "event_id": [1, 2]}
    with pytest.raises(ValueError, match=r"purchases\.item\[1\]=-1"):
        b.add_purchases(bad)
    b.add_purchases({"user": [1, 2], "item": [5, 6], "ts": [10, 20], "event_id": [1, 2]})
    assert b.counts()["purchases"] == 2
    assert b.counts()["duplicate_purchases"] == 0


def test_campaign_ids_skip_their_joins():
    camps = pd.DataFrame({"inviter": [1, 1], "item": [5, 5], "ts": [100, 100],
                          "joined": [[2, 3], [2, 3]], "event_id": [1, 1]})
    g = ig.build_graph(campaigns=camps, progress=False)
    assert g.stats()["duplicates_skipped"] == 1
    assert g.profile(2)["joins"] == 1
    twice = ig.build_graph(campaigns=camps.drop(columns="event_id"), progress=False)
    assert twice.profile(2)["joins"] == 2
