"""Loaders for the public datasets in ``shared/data`` and the campaign histories the
project derives from them for learning and evaluation.

Each loader returns a :class:`Dataset` whose ``tables`` are the keyword arguments of
:func:`invitegraph.build_graph`. The datasets are research data published by their authors
(see ``shared/data/README.md``); cite them when you report numbers:

- Last.fm: Cantador, Brusilovsky, Kuflik. HetRec 2011 workshop, RecSys 2011.
- Ciao: Tang, Gao, Liu. "mTrust: Discerning multi-faceted trust in a connected world",
  WSDM 2012.
- CollegeMsg: Panzarasa, Opsahl, Carley. JASIST 60(5), 2009; SNAP.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

import numpy as np
import pandas as pd

PathLike = Union[str, Path]
_DAY = 86_400


@dataclass
class Dataset:
    name: str
    tables: dict = field(default_factory=dict)
    citation: str = ""


def _dir(path: PathLike, sub: str, must_have: str) -> Path:
    p = Path(path)
    if not (p / must_have).exists() and (p / sub / must_have).exists():
        p = p / sub
    if not (p / must_have).exists():
        raise FileNotFoundError(f"{p / must_have} not found: pass the folder holding {sub}/")
    return p


def _friend_pairs(a: np.ndarray, b: np.ndarray) -> pd.DataFrame:
    """Undirected pairs, each once (lower id first), self-loops dropped."""
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    df = pd.DataFrame({"src": lo, "dst": hi})
    return df[df["src"] != df["dst"]].drop_duplicates().reset_index(drop=True)


def load_lastfm(path: PathLike) -> Dataset:
    """Last.fm (HetRec 2011): friendships and (user, artist, play count) rows.

    Artists are the items; a listening row becomes a purchase with ``amount`` = play
    count. The data has no timestamps: every purchase is at ``ts = 0``, so nothing decays.
    """
    p = _dir(path, "lastfm-hetrec2011", "user_friends.dat")
    f = pd.read_csv(p / "user_friends.dat", sep="\t")
    ua = pd.read_csv(p / "user_artists.dat", sep="\t")
    friendships = _friend_pairs(f["userID"].to_numpy(np.int64), f["friendID"].to_numpy(np.int64))
    purchases = pd.DataFrame({"user": ua["userID"].astype(np.int64),
                              "item": ua["artistID"].astype(np.int64),
                              "ts": np.zeros(len(ua), dtype=np.int64),
                              "amount": ua["weight"].astype(np.float64)})
    return Dataset("lastfm", {"friendships": friendships, "purchases": purchases},
                   "Cantador, Brusilovsky, Kuflik. HetRec 2011, RecSys 2011.")


def load_ciao(path: PathLike) -> Dataset:
    """Ciao: trust edges (as undirected friendships) and ratings (as purchases with the
    product category, ``amount`` = rating, ``ts`` = unix seconds at day resolution)."""
    p = _dir(path, "ciao", "trust.tsv")
    t = pd.read_csv(p / "trust.tsv", sep="\t")
    r = pd.read_csv(p / "ratings.tsv", sep="\t")
    friendships = _friend_pairs(t["truster"].to_numpy(np.int64), t["trustee"].to_numpy(np.int64))
    purchases = pd.DataFrame({"user": r["user"].astype(np.int64),
                              "item": r["item"].astype(np.int64),
                              "category": r["category"].astype(np.int64),
                              "amount": r["rating"].astype(np.float64),
                              "ts": r["timestamp"].astype(np.int64)})
    return Dataset("ciao", {"friendships": friendships, "purchases": purchases},
                   "Tang, Gao, Liu. mTrust, WSDM 2012.")


def load_collegemsg(path: PathLike) -> Dataset:
    """CollegeMsg (SNAP): timestamped private messages as ``chat`` interactions."""
    p = _dir(path, "collegemsg", "CollegeMsg.txt")
    m = pd.read_csv(p / "CollegeMsg.txt", sep=" ", header=None, names=["src", "dst", "ts"])
    m = m[m["src"] != m["dst"]]
    interactions = pd.DataFrame({"src": m["src"].astype(np.int64),
                                 "dst": m["dst"].astype(np.int64),
                                 "kind": pd.Categorical(["chat"] * len(m)),
                                 "ts": m["ts"].astype(np.int64)})
    return Dataset("collegemsg", {"interactions": interactions.reset_index(drop=True)},
                   "Panzarasa, Opsahl, Carley. JASIST 60(5), 2009; SNAP.")


def _split_by_item(items: np.ndarray, test_fraction: float, seed: int) -> np.ndarray:
    """True for test items: a seeded permutation of the distinct items."""
    distinct = np.unique(items)
    rng = np.random.default_rng(seed)
    test = set(rng.permutation(distinct)[: int(round(len(distinct) * test_fraction))].tolist())
    return np.fromiter((i in test for i in items), dtype=bool, count=len(items))


def lastfm_campaigns(ds: Dataset, hide_fraction: float = 0.2, test_fraction: float = 0.3,
                     max_records: int = 4000, seed: int = 0) -> tuple[dict, pd.DataFrame]:
    """Hide a share of the (user, artist) rows and turn them into campaign records.

    A record is (inviter u, artist a) where u's listening to a stays visible and at least
    one friend of u has a hidden row for a; ``joined`` are those friends. Friends who
    visibly listen to a are not joiners (there is nothing to find out about them). The
    returned tables (``friendships`` and the visible ``purchases``) build the graph; the
    history has a ``split`` column ("train"/"test") that splits by artist, so no artist's
    hidden rows label both sides.
    """
    purchases = ds.tables["purchases"]
    rng = np.random.default_rng(seed)
    hidden = rng.random(len(purchases)) < hide_fraction
    visible = purchases[~hidden].reset_index(drop=True)
    hid = purchases[hidden]
    f = ds.tables["friendships"]
    friends = pd.concat([f.rename(columns={"src": "u", "dst": "v"}),
                         f.rename(columns={"dst": "u", "src": "v"})], ignore_index=True)
    # (u, a) visible, v friend of u, (v, a) hidden.
    cand = visible[["user", "item"]].rename(columns={"user": "u"}).merge(friends, on="u")
    joined = cand.merge(hid[["user", "item"]].rename(columns={"user": "v"}), on=["v", "item"])
    history = (joined.groupby(["u", "item"])["v"].apply(lambda s: sorted(s.tolist()))
               .reset_index().rename(columns={"u": "inviter", "v": "joined"}))
    if len(history) > max_records:
        history = history.sample(n=max_records, random_state=seed).sort_values(
            ["inviter", "item"]).reset_index(drop=True)
    test = _split_by_item(history["item"].to_numpy(), test_fraction, seed)
    history["split"] = np.where(test, "test", "train")
    return {"friendships": ds.tables["friendships"], "purchases": visible}, history


def ciao_campaigns(ds: Dataset, window_days: float = 90.0, cut_quantile: float = 0.8,
                   max_records: int = 6000, seed: int = 0) -> tuple[dict, pd.DataFrame]:
    """Campaign records from Ciao ratings, split in time.

    A record is a rating (inviter u, item i of category c, at ts); ``joined`` are u's
    trust contacts who rate an item of category c within ``window_days`` after ts. Records
    before ``cut - window`` are "train" (their labels end before the cut), records from the
    cut on are "test". Features are computed as of each record's ts (see
    :func:`invitegraph.training_set`), so the graph tables are all events.
    """
    p = ds.tables["purchases"].sort_values("ts", kind="stable").reset_index(drop=True)
    f = ds.tables["friendships"]
    friends = pd.concat([f.rename(columns={"src": "u", "dst": "v"}),
                         f.rename(columns={"dst": "u", "src": "v"})], ignore_index=True)
    cut = int(np.quantile(p["ts"], cut_quantile))
    window = int(window_days * _DAY)
    rec = p[["user", "item", "category", "ts"]].rename(columns={"user": "u"})
    rec = rec[rec["u"].isin(friends["u"])].drop_duplicates(["u", "category", "ts"])
    rec = rec[(rec["ts"] < cut - window) | (rec["ts"] >= cut)]
    if len(rec) > max_records:
        rec = rec.sample(n=max_records, random_state=seed)
    rec = rec.sort_values(["ts", "u", "item"]).reset_index(drop=True)
    rec["record"] = np.arange(len(rec))
    later = rec.merge(friends, on="u").merge(
        p[["user", "category", "ts"]].rename(columns={"user": "v", "ts": "t2"}),
        on=["v", "category"])
    later = later[(later["t2"] > later["ts"]) & (later["t2"] <= later["ts"] + window)]
    joined = later.groupby("record")["v"].apply(lambda s: sorted(set(s.tolist())))
    history = pd.DataFrame({"inviter": rec["u"], "item": rec["item"],
                            "category": rec["category"], "ts": rec["ts"]})
    history["joined"] = [joined.get(r, []) for r in rec["record"]]
    history["split"] = np.where(rec["ts"] >= cut, "test", "train")
    return dict(ds.tables), history


def collegemsg_campaigns(ds: Dataset, gap_days: float = 1.0, window_days: float = 7.0,
                         cut_quantile: float = 0.8, max_records: int = 4000,
                         seed: int = 0) -> tuple[dict, pd.DataFrame]:
    """Campaign records from the CollegeMsg message log, split in time.

    The log has no purchases, so a "campaign" is a user starting to talk again: a record
    is a message of sender u at ``ts`` that comes more than ``gap_days`` after u's
    previous message (or is u's first), and ``joined`` are the distinct people u messages
    within ``window_days`` from ``ts`` on (the recipient at ``ts`` included) -- whom u
    turns to, as an inviter turns to friends. There are no items: every record has the
    placeholder ``item = 0``, which nobody bought, so the item features are all zero.
    Records whose window ends before the ``cut_quantile`` time quantile are "train",
    records from the cut on are "test". Features are computed as of each record's ts
    (:func:`invitegraph.training_set`), so the graph tables are the whole log; with
    second-resolution ``ts``, pass ``as_of_step_days`` (e.g. 1) to share rebuilds.
    """
    m = ds.tables["interactions"].sort_values(["ts", "src", "dst"], kind="stable")
    m = m.reset_index(drop=True)
    src, dst, ts = (m[c].to_numpy(np.int64) for c in ("src", "dst", "ts"))
    prev = m.groupby("src")["ts"].shift(1).to_numpy(dtype=np.float64)
    start = np.isnan(prev) | (ts - prev > gap_days * _DAY)
    cut = int(np.quantile(ts, cut_quantile))
    window = int(window_days * _DAY)
    rec = pd.DataFrame({"inviter": src[start], "ts": ts[start]})
    rec = rec[(rec["ts"] + window <= cut) | (rec["ts"] >= cut)]
    if len(rec) > max_records:
        rec = rec.sample(n=max_records, random_state=seed)
    rec = rec.sort_values(["ts", "inviter"], kind="stable").reset_index(drop=True)
    rec["record"] = np.arange(len(rec))
    sent = pd.DataFrame({"inviter": src, "v": dst, "t2": ts})
    later = rec.merge(sent, on="inviter")
    later = later[(later["t2"] >= later["ts"]) & (later["t2"] < later["ts"] + window)]
    joined = later.groupby("record")["v"].apply(lambda s: sorted(set(s.tolist())))
    history = pd.DataFrame({"inviter": rec["inviter"], "item": np.zeros(len(rec), np.int64),
                            "ts": rec["ts"]})
    history["joined"] = [joined.get(r, []) for r in rec["record"]]
    history["split"] = np.where(rec["ts"] >= cut, "test", "train")
    return dict(ds.tables), history
