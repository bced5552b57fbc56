"""Shared fixtures of the invitegraph Python suite.

Run from the repository root without installing:

    PYTHONPATH=bindings/python python3 -m pytest

Real data (Last.fm friend graph) is read from ``../shared/data`` beside the repository,
or from the folder named by the environment variable ``INVITEGRAPH_DATA``; tests that
need it skip with a message when it is absent.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import invitegraph as ig

T0 = 1_700_000_000  # the latest event of the hand-made shop, hence its default as_of
DAY = 86_400

REPO_ROOT = Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    """Where the shared real datasets live (INVITEGRAPH_DATA wins)."""
    env = os.environ.get("INVITEGRAPH_DATA")
    if env:
        return Path(env)
    beside = REPO_ROOT.parent / "shared" / "data"
    # A clone made elsewhere (a CI scratch folder) still finds the workplace's copy.
    workplace = Path("/work/shared/data")
    return beside if beside.is_dir() or not workplace.is_dir() else workplace


# --------------------------------------------------------------------------------------
# The hand-made shop: small enough to work out every expected value by hand.
#
#   friendships      123-5, 123-6, 5-7, 6-7, 7-9
#   interactions     123->5 chat (age 0 d), 5->123 assist (1 d), 123->8 chat (9 d),
#                    8->6 like (3 d), 9->7 share (2 d)
#   purchases        5 and 7 bought item 42 (category 1, 5 d ago); 8 bought item 7
#                    (category 2, 40 d ago); 9 bought item 99 (category 1, 40 d ago)
#   campaigns        123 ran a team-up for item 42 (category 1) 20 d ago, invited 5 and 6;
#                    5 joined.
#
# Contact graph (undirected union): 123:{5,6,8} 5:{123,7} 6:{123,7,8} 7:{5,6,9}
# 8:{123,6} 9:{7}. Candidates of 123: 5, 6, 8 (1-hop) and 7 (2-hop).
# --------------------------------------------------------------------------------------
SHOP = {
    "friendships": {"src": [123, 123, 5, 6, 7], "dst": [5, 6, 7, 7, 9]},
    "interactions": {
        "src": [123, 5, 123, 8, 9],
        "dst": [5, 123, 8, 6, 7],
        "kind": ["chat", "assist", "chat", "like", "share"],
        "ts": [T0, T0 - 1 * DAY, T0 - 9 * DAY, T0 - 3 * DAY, T0 - 2 * DAY],
    },
    "purchases": {
        "user": [5, 7, 8, 9],
        "item": [42, 42, 7, 99],
        "ts": [T0 - 5 * DAY, T0 - 5 * DAY, T0 - 40 * DAY, T0 - 40 * DAY],
        "category": [1, 1, 2, 1],
        "amount": [10.0, 20.0, 5.0, 3.0],
    },
    "campaigns": {
        "inviter": [123],
        "item": [42],
        "joined": [[5]],
        "ts": [T0 - 20 * DAY],
        "category": [1],
        "invited": [[5, 6]],
    },
}


def _frames() -> dict:
    return {name: pd.DataFrame({k: list(v) for k, v in cols.items()})
            for name, cols in SHOP.items()}


def _arrays() -> dict:
    out = {}
    for name, cols in SHOP.items():
        table = {}
        for k, v in cols.items():
            if k == "kind":
                table[k] = np.array(v, dtype=object)
            elif k in ("joined", "invited"):
                cell = np.empty(len(v), dtype=object)
                for i, ids in enumerate(v):
                    cell[i] = np.array(ids, dtype=np.int64)
                table[k] = cell
            elif k == "amount":
                table[k] = np.array(v, dtype=np.float64)
            else:
                table[k] = np.array(v, dtype=np.int64)
        out[name] = table
    return out


@pytest.fixture
def shop_frames() -> dict:
    """The hand-made shop as pandas DataFrames (fresh copies)."""
    return _frames()


@pytest.fixture
def shop_arrays() -> dict:
    """The hand-made shop as dicts of NumPy arrays (fresh copies)."""
    return _arrays()


@pytest.fixture
def shop_config() -> ig.GraphConfig:
    return ig.GraphConfig(half_life_days=30.0, channel_weights={"chat": 1.0, "assist": 1.5})


@pytest.fixture
def shop_graph(shop_frames, shop_config) -> ig.SocialGraph:
    return ig.build_graph(friendships=shop_frames["friendships"],
                          interactions=shop_frames["interactions"],
                          purchases=shop_frames["purchases"],
                          campaigns=shop_frames["campaigns"], as_of=None,
                          config=shop_config, progress=False)


# --------------------------------------------------------------------------------------
# Synthetic world: one per session (generation and build take ~0.2 s).
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def synth_world():
    return ig.synth.generate(3000, seed=1, progress=False)


@pytest.fixture(scope="session")
def synth_graph(synth_world):
    return ig.build_graph(**synth_world.tables(), progress=False)


@pytest.fixture(scope="session")
def synth_requests(synth_world):
    """(inviters, items): 400 requests with a fixed seed, items drawn from the catalogue."""
    rng = np.random.default_rng(20240611)
    inviters = rng.choice(3000, size=400, replace=False).astype(np.int64)
    items = rng.choice(synth_world.items["item"].to_numpy(), size=400).astype(np.int64)
    return inviters, items


# --------------------------------------------------------------------------------------
# Real data.
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def lastfm_friends() -> pd.DataFrame:
    """Last.fm friend pairs (Cantador, Brusilovsky, Kuflik; HetRec 2011) as src, dst."""
    path = data_dir() / "lastfm-hetrec2011" / "user_friends.dat"
    if not path.is_file():
        pytest.skip(f"Last.fm data not found at {path} (set INVITEGRAPH_DATA to the folder "
                    f"holding lastfm-hetrec2011/)")
    df = pd.read_csv(path, sep="\t", dtype=np.int64)
    return df.rename(columns={"userID": "src", "friendID": "dst"})


# --------------------------------------------------------------------------------------
# Comparing graphs.
# --------------------------------------------------------------------------------------
def stats_without_timings(g: ig.SocialGraph) -> dict:
    """g.stats() less its wall-clock entries (every key ending in _seconds)."""
    return {k: v for k, v in g.stats().to_dict().items() if not k.endswith("_seconds")}


def _graph_snapshot(g: ig.SocialGraph) -> dict:
    """Everything observable about a (small) graph, as plain Python values."""
    users = [int(u) for u in g.user_ids()]
    offsets, targets = g.csr()
    arcs = {}
    for u in users:
        for v in g.neighbors(u):
            arcs[(u, int(v))] = g.arc(u, int(v))
    return {
        "as_of": g.as_of,
        "users": users,
        "offsets": np.asarray(offsets).tolist(),
        "targets": np.asarray(targets).tolist(),
        "arcs": arcs,
        "profiles": {u: g.profile(u) for u in users},
        "stats": stats_without_timings(g),
    }


@pytest.fixture
def graph_snapshot():
    """A function g -> dict of everything observable about a small graph."""
    return _graph_snapshot
