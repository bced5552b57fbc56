"""Ranking metrics over grouped candidate rows (one group per campaign record)."""
from __future__ import annotations

import numpy as np
import pandas as pd


def ranks_within_groups(group: np.ndarray, candidate: np.ndarray, score: np.ndarray) -> np.ndarray:
    """1-based rank of each row within its group: score descending (NaN last), then
    candidate id ascending -- the order :meth:`Recommender.recommend` uses."""
    s = np.where(np.isnan(score), -np.inf, score.astype(np.float64))
    order = np.lexsort((candidate, -s, group))
    ranks = np.empty(len(order), dtype=np.int64)
    g = group[order]
    starts = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    pos = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    ranks[order] = pos + 1
    return ranks


def ndcg_at_k(group: np.ndarray, candidate: np.ndarray, label: np.ndarray, score: np.ndarray,
              k: int, relevant: pd.Series | None = None) -> float:
    """Mean NDCG@k over groups with at least one relevant row.

    ``relevant`` (indexed by group) counts the relevant items of each group including any
    that are not among its rows (unreachable joiners), so missing them costs; by default
    only the labelled rows count.
    """
    group = np.asarray(group)
    label = np.asarray(label) > 0
    ranks = ranks_within_groups(group, np.asarray(candidate), np.asarray(score))
    hit = label & (ranks <= k)
    dcg = pd.Series(np.where(hit, 1.0 / np.log2(ranks + 1.0), 0.0)).groupby(group).sum()
    n_rel = (relevant if relevant is not None
             else pd.Series(label.astype(np.int64)).groupby(group).sum())
    n_rel = n_rel.reindex(dcg.index).fillna(0).astype(np.int64)
    discounts = np.cumsum(1.0 / np.log2(np.arange(2, k + 2)))
    ok = n_rel > 0
    idcg = discounts[np.minimum(n_rel[ok].to_numpy(), k) - 1]
    return float(np.mean(dcg[ok].to_numpy() / idcg)) if ok.any() else float("nan")


def auc(label: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve (ties count one half), by ranks."""
    label = np.asarray(label) > 0
    s = np.asarray(score, dtype=np.float64)
    s = np.where(np.isnan(s), -np.inf, s)  # NaN ranks last, as in ranking
    r = pd.Series(s).rank(method="average").to_numpy()
    n_pos, n_neg = label.sum(), (~label).sum()
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    return float((r[label].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
