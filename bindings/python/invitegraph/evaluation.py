"""Side-by-side ranking quality of rankers on held-out campaign records.

    train = ig.training_set(g, history[history.split == "train"])
    test = ig.training_set(g, history[history.split == "test"])
    ranker = ig.fit_ranker_arrays(train.X, train.y, group=train.group)[0]
    table = ig.evaluation.compare_rankers(test, {"logistic": ranker, "linear": "linear"},
                                          history=history[history.split == "test"])

Every system ranks the same candidate rows of each test record (the rows
:func:`invitegraph.training_set` produced, with leakage-free features), ties broken by
candidate id as :meth:`Recommender.recommend` does. NDCG@k counts every joiner of a
record as relevant, also those that were not among its candidates, so a system is never
rewarded for a small candidate pool.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, Optional

import numpy as np
import pandas as pd

from . import _core
from ._metrics import auc, ndcg_at_k, ranks_within_groups

Scorer = Callable[[pd.DataFrame], np.ndarray]


def _scorer(system: Any) -> Scorer:
    """A function from a feature DataFrame to scores, for any kind of system."""
    if isinstance(system, str):
        system = _core.make_ranker(system)
    if hasattr(system, "score") and hasattr(system, "spec"):  # a C++ ranker
        return lambda X: np.asarray(system.score(X), dtype=np.float64)
    if hasattr(system, "predict_proba"):
        classes = list(getattr(system, "classes_", [0, 1]))
        col = classes.index(1) if 1 in classes else 1
        return lambda X: np.asarray(system.predict_proba(X))[:, col]
    if hasattr(system, "predict"):
        return lambda X: np.asarray(system.predict(X), dtype=np.float64)
    if callable(system):
        return lambda X: np.asarray(system(X), dtype=np.float64)
    raise TypeError(f"cannot score with {type(system).__name__}: expected a ranker spec, "
                    "a Ranker, a model with predict_proba/predict, or a callable")


def single_feature_systems() -> dict[str, Scorer]:
    """One baseline per feature: the feature alone, oriented as the default linear ranker
    uses it (features with a negative default weight, such as ``days_since_last_interaction``
    and ``is_two_hop``, count downwards)."""
    weights = _core.linear_weights()
    out = {}
    for name in _core.feature_names():
        sign = -1.0 if weights[name] < 0 or name == "days_since_last_interaction" else 1.0
        out[f"feature:{name}"] = (lambda X, n=name, s=sign:
                                  s * X[n].to_numpy(dtype=np.float64))
    return out


def compare_rankers(test: Any, systems: Mapping[str, Any], k: int = 10,
                    history: Optional[pd.DataFrame] = None,
                    include_single_features: bool = True) -> pd.DataFrame:
    """NDCG@k, recall@k and AUC of each system on the rows of ``test`` (a TrainingSet).

    ``history`` (the records ``test`` was built from, same row order) supplies the number
    of joiners of each record, unreachable ones included; without it only labelled rows
    count. Returns one row per system, best NDCG first.
    """
    frame = test.frame
    X = frame[_core.feature_names()]
    group = frame["record"].to_numpy()
    cand = frame["candidate"].to_numpy()
    label = frame["label"].to_numpy()
    relevant = None
    if history is not None:
        records = test.report.get("records", len(history))
        if len(history) != records:
            raise ValueError(f"history has {len(history)} rows but the training set was "
                             f"built from {records} records: pass the same history")
        relevant = pd.Series([len(set(np.asarray(j).tolist())) for j in history["joined"]],
                             dtype=np.int64)
    all_systems = dict(systems)
    if include_single_features:
        all_systems.update(single_feature_systems())
    n_rel = (relevant if relevant is not None
             else pd.Series(label).groupby(group).sum())
    rows = []
    for name, system in all_systems.items():
        score = _scorer(system)(X)
        ranks = ranks_within_groups(group, cand, score)
        hits = pd.Series((label > 0) & (ranks <= k)).groupby(group).sum()
        nr = n_rel.reindex(hits.index).fillna(0)
        ok = nr > 0
        rows.append({
            "system": name,
            f"ndcg@{k}": ndcg_at_k(group, cand, label, score, k, relevant),
            f"recall@{k}": float((hits[ok] / nr[ok]).mean()) if ok.any() else np.nan,
            "auc": auc(label, score),
        })
    return (pd.DataFrame(rows).sort_values(f"ndcg@{k}", ascending=False, kind="stable")
            .reset_index(drop=True))
