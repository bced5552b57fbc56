"""Ranking metrics against hand-computed values."""
import math

import numpy as np
import pandas as pd

from invitegraph._metrics import auc, ndcg_at_k, ranks_within_groups


def test_ranks_break_ties_by_candidate_and_put_nan_last():
    g = np.array([0, 0, 0, 0, 1])
    c = np.array([9, 3, 5, 1, 2])
    s = np.array([0.5, 0.5, np.nan, 0.7, 0.0])
    assert ranks_within_groups(g, c, s).tolist() == [3, 2, 4, 1, 1]


def test_ndcg_hand_computed():
    # Group 0: relevant at ranks 1 and 3 -> (1 + 1/log2(4)) / (1 + 1/log2(3)).
    # Group 1: relevant at rank 2 -> (1/log2(3)) / 1. Group 2 has no relevant row: skipped.
    g = np.array([0, 0, 0, 1, 1, 2])
    c = np.array([1, 2, 3, 1, 2, 1])
    label = np.array([1, 0, 1, 0, 1, 0])
    score = np.array([3.0, 2.0, 1.0, 5.0, 4.0, 1.0])
    want0 = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    want1 = 1 / math.log2(3)
    assert math.isclose(ndcg_at_k(g, c, label, score, k=3), (want0 + want1) / 2)
    # At k=2 the third row no longer counts.
    assert math.isclose(ndcg_at_k(g, c, label, score, k=2),
                        (1 / (1 + 1 / math.log2(3)) + want1) / 2)
    # An unreachable joiner in group 1 raises its ideal DCG.
    rel = pd.Series({0: 2, 1: 2, 2: 0})
    assert math.isclose(ndcg_at_k(g, c, label, score, k=3, relevant=rel),
                        (want0 + want1 / (1 + 1 / math.log2(3))) / 2)


def test_auc_hand_computed():
    label = np.array([1, 0, 1, 0, 0])
    score = np.array([0.8, 0.8, 0.3, 0.1, 0.5])
    # Pairs (pos, neg): 0.8 vs {0.8 tie, 0.1, 0.5} = 2.5; 0.3 vs {0.8, 0.1, 0.5} = 1.
    assert math.isclose(auc(label, score), 3.5 / 6)


def test_auc_ranks_nan_last():
    label = np.array([1, 0, 0])
    assert auc(label, np.array([0.5, np.nan, 0.9])) == 0.5
