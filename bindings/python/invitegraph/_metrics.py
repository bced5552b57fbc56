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


def _per_group(values: np.ndarray, group: np.ndarray, index: pd.Index) -> np.ndarray:
    """Sum of ``values`` per group, in the order of ``index`` (0 for absent groups)."""
    return pd.Series(values).groupby(group).sum().reindex(index, fill_value=0).to_numpy(
        dtype=np.float64)


def group_metrics(group: np.ndarray, candidate: np.ndarray, label: np.ndarray,
                  score: np.ndarray, ks: tuple = (10,), relevant: pd.Series | None = None
                  ) -> pd.DataFrame:
    """Ranking metrics of each group (campaign record) with at least one relevant item.

    One row per group (index: group id), columns ``recall@k``, ``ndcg@k``,
    ``hit_rate@k`` for each k, then ``ap`` and ``rr``. ``relevant`` (indexed by group)
    counts every relevant item of a group, also those not among its rows (joiners that
    were not candidates): they can never be hit, so they lower recall, NDCG and AP. By
    default only the labelled rows count.

    With n relevant items and hits at 1-based ranks r_1 < r_2 < ...:

    - recall@k = #{r_i <= k} / n; hit_rate@k = 1 if any r_i <= k
    - ndcg@k = sum_{r_i <= k} 1/log2(r_i + 1) / sum_{j=1..min(n,k)} 1/log2(j + 1)
    - ap = (1/n) sum_i i / r_i (precision at each hit, over the whole list; Manning,
      Raghavan, Schuetze, IR book 8.4); rr = 1 / r_1, or 0 when nothing was hit.
    """
    group = np.asarray(group)
    hit = np.asarray(label) > 0
    ranks = ranks_within_groups(group, np.asarray(candidate), np.asarray(score))
    n_rel = (relevant if relevant is not None
             else pd.Series(hit.astype(np.int64)).groupby(group).sum())
    n_rel = n_rel[n_rel > 0]
    index = n_rel.index
    n = n_rel.to_numpy(dtype=np.float64)
    out = {}
    # Position of each hit among its group's hits (1-based), for precision at the hit.
    hr = pd.Series(np.where(hit, ranks, 0))
    nth_hit = hr.where(hit).groupby(group).rank(method="first").fillna(0).to_numpy()
    discounts = np.cumsum(1.0 / np.log2(np.arange(2, max(ks) + 2)))
    for k in ks:
        top = hit & (ranks <= k)
        n_top = _per_group(top.astype(np.float64), group, index)
        dcg = _per_group(np.where(top, 1.0 / np.log2(ranks + 1.0), 0.0), group, index)
        out[f"recall@{k}"] = n_top / n
        out[f"ndcg@{k}"] = dcg / discounts[np.minimum(n, k).astype(np.int64) - 1]
        out[f"hit_rate@{k}"] = (n_top > 0).astype(np.float64)
    out["ap"] = _per_group(np.where(hit, nth_hit / np.maximum(ranks, 1), 0.0), group,
                           index) / n
    first = pd.Series(np.where(hit, ranks, np.iinfo(np.int64).max)).groupby(group).min()
    first = first.reindex(index, fill_value=np.iinfo(np.int64).max).to_numpy()
    out["rr"] = np.where(first < np.iinfo(np.int64).max, 1.0 / np.maximum(first, 1), 0.0)
    return pd.DataFrame(out, index=index)


def ndcg_at_k(group: np.ndarray, candidate: np.ndarray, label: np.ndarray, score: np.ndarray,
              k: int, relevant: pd.Series | None = None) -> float:
    """Mean NDCG@k over groups with at least one relevant row (see :func:`group_metrics`)."""
    m = group_metrics(group, candidate, label, score, (k,), relevant)
    return float(m[f"ndcg@{k}"].mean()) if len(m) else float("nan")


def gini(load: np.ndarray) -> float:
    """Gini coefficient of non-negative loads: 0 when equal, (n-1)/n when one has all.

    G = sum_ij |x_i - x_j| / (2 n^2 mean), computed on sorted x as
    2 sum_i i x_(i) / (n sum x) - (n + 1) / n (i 1-based); NaN for no load at all.
    """
    x = np.sort(np.asarray(load, dtype=np.float64))
    n, total = len(x), x.sum()
    if n == 0 or total <= 0:
        return float("nan")
    return float(2.0 * np.dot(np.arange(1, n + 1), x) / (n * total) - (n + 1.0) / n)


def expected_calibration_error(label: np.ndarray, prob: np.ndarray, bins: int = 10) -> float:
    """Binned ECE: sum_b (n_b / N) |mean(label in b) - mean(prob in b)| over ``bins``
    equal-width bins of [0, 1] (Naeini, Cooper, Hauskrecht, AAAI 2015; Guo et al.,
    ICML 2017); the last bin includes 1. NaN when any probability is NaN."""
    p = np.asarray(prob, dtype=np.float64)
    y = (np.asarray(label) > 0).astype(np.float64)
    if len(p) == 0 or np.isnan(p).any():
        return float("nan")
    b = np.minimum((np.clip(p, 0.0, 1.0) * bins).astype(np.int64), bins - 1)
    n_b = np.bincount(b, minlength=bins)
    gap = np.abs(np.bincount(b, y, minlength=bins) - np.bincount(b, p, minlength=bins))
    return float(gap.sum() / len(p)) if n_b.sum() else float("nan")


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
