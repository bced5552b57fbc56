"""Offline evaluation of invite rankers on held-out campaign records.

    train, test = ig.split_campaigns(history, by="time", test_fraction=0.2)
    rec = ig.Recommender(g, ranker=ig.fit_ranker(g, train))
    report = ig.evaluate(rec, test, k=(5, 10, 20))    # one row per system
    report.plot()                                     # recall@k, NDCG@k with 95% CIs

Every system ranks the same candidate rows of each test record (the rows
:func:`invitegraph.training_set` produces, with leakage-free features: as of the record's
``ts``, or with its campaign left out), ties broken by candidate id as
:meth:`Recommender.recommend` does. Recall, NDCG and MAP count every joiner of a record
as relevant, also those that were not among its candidates, so a system is never
rewarded for a small candidate pool; ``coverage`` says how many joiners were reachable.

``compare_rankers`` is the older, lighter table (NDCG@k, recall@k, AUC) used by the
learning-to-rank benchmark.
"""
from __future__ import annotations

import os
import sys
from typing import Any, Callable, Mapping, Optional, Sequence, Union

import numpy as np
import pandas as pd

from . import _core
from ._metrics import (auc, expected_calibration_error, gini, group_metrics, ndcg_at_k,
                       ranks_within_groups)
from ._errors import ArgumentTypeError, InvalidArgumentError

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
        return lambda X: np.asarray(system.predict_proba(_model_input(system, X)))[:, col]
    if hasattr(system, "predict"):
        return lambda X: np.asarray(system.predict(_model_input(system, X)),
                                    dtype=np.float64)
    if callable(system):
        return lambda X: np.asarray(system(X), dtype=np.float64)
    raise ArgumentTypeError(f"cannot score with {type(system).__name__}: expected a ranker spec, "
                            "a Ranker, a model with predict_proba/predict, or a callable")


def _model_input(model: Any, X: pd.DataFrame) -> Any:
    """The feature rows as the model was fitted: its own columns, or an array when it was
    fitted without names (as the Recommender's model adapter passes them)."""
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        return X[list(names)]
    if hasattr(model, "n_features_in_"):
        return X.to_numpy()
    return X


def _probability(system: Any) -> Optional[Scorer]:
    """P(join) of a calibrated system (a calibrated Ranker, a model with predict_proba),
    else None."""
    if isinstance(system, str):
        system = _core.make_ranker(system)
    if isinstance(system, _core.Ranker):
        return _scorer(system) if system.calibrated else None
    return _scorer(system) if hasattr(system, "predict_proba") else None


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
            raise InvalidArgumentError(f"history has {len(history)} rows but the training set was "
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


# --------------------------------------------------------------------------------------
# Splitting campaign history.
# --------------------------------------------------------------------------------------
_SPLITS = ("time", "leave_last_out", "random")


def split_campaigns(history: pd.DataFrame, by: str = "time", test_fraction: float = 0.2,
                    seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Splits campaign records into ``(train, test)``, each in its original row order.

    Parameters
    ----------
    history : DataFrame
        Campaign records, as ``build_graph(campaigns=...)`` takes them.
    by : "time", "leave_last_out" or "random"
        ``time``: the records from the ``test_fraction`` quantile of ``ts`` on are the
        test set, so every training record is strictly earlier than every test record
        (records sharing the cut's ``ts`` all go to test). ``leave_last_out``: each
        inviter's last record (latest ``ts``, else last row; ties by row order) is held
        out, for inviters with at least two records; ``test_fraction`` is not used.
        ``random``: a seeded ``test_fraction`` share of the records.
    test_fraction : float in (0, 1)
    seed : int
        For ``random`` only.
    """
    if not isinstance(history, pd.DataFrame):
        raise ArgumentTypeError(f"history: expected a DataFrame, got {type(history).__name__}")
    if by not in _SPLITS:
        raise InvalidArgumentError(f"by={by!r}: expected one of {', '.join(map(repr, _SPLITS))}")
    if not 0.0 < float(test_fraction) < 1.0:
        raise InvalidArgumentError(f"test_fraction={test_fraction!r}: expected a number in (0, 1)")
    if "inviter" not in history.columns:
        raise InvalidArgumentError("history: missing column 'inviter'")
    n = len(history)
    if by == "time":
        if "ts" not in history.columns:
            raise InvalidArgumentError("by='time': history has no 'ts' column; use "
                                       "by='leave_last_out' or by='random'")
        ts = pd.to_numeric(history["ts"]).to_numpy()
        cut = np.sort(ts)[min(n - 1, int(np.floor(n * (1.0 - test_fraction))))] if n else 0
        test = ts >= cut
    elif by == "leave_last_out":
        order = np.arange(n)
        keys = ((history["ts"].to_numpy(), order) if "ts" in history.columns else (order,))
        frame = pd.DataFrame({"inviter": history["inviter"].to_numpy(), "pos": order})
        sorted_pos = np.lexsort(tuple(reversed(keys)) + (frame["inviter"].to_numpy(),))
        frame = frame.iloc[sorted_pos]
        last = ~frame["inviter"].duplicated(keep="last").to_numpy()
        many = frame.groupby("inviter")["pos"].transform("size").to_numpy() > 1
        test = np.zeros(n, dtype=bool)
        test[frame["pos"].to_numpy()[last & many]] = True
    else:
        rng = np.random.default_rng(seed)
        test = np.zeros(n, dtype=bool)
        test[rng.permutation(n)[: int(round(n * test_fraction))]] = True
    return (history[~test].reset_index(drop=True), history[test].reset_index(drop=True))


# --------------------------------------------------------------------------------------
# Baselines: functions of (candidate rows, rng) -> scores, higher first.
# --------------------------------------------------------------------------------------
def _feature(name: str) -> Callable[[pd.DataFrame, np.random.Generator], np.ndarray]:
    single = single_feature_systems()[f"feature:{name}"]
    return lambda rows, rng: single(rows)


def _random_friend(rows: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Direct contacts in random order, then friends of friends in random order."""
    return rng.random(len(rows)) - rows["is_two_hop"].to_numpy(dtype=np.float64)


def _bought_then_tie(rows: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Candidates who bought the item first; within each side, stronger tie first
    (then candidate id, as every ranking here)."""
    tie = rows["tie_strength"].to_numpy(dtype=np.float64)
    within = pd.Series(tie).rank(method="dense").to_numpy() / (len(tie) + 1.0)  # in (0, 1)
    return 2.0 * (rows["candidate_bought_item"].to_numpy(dtype=np.float64) > 0) + within


BASELINES = {
    "random friend": _random_friend,
    "most interacted (tie_strength)": _feature("tie_strength"),
    "co-participation (team_join_weight)": _feature("team_join_weight"),
    "popularity (candidate_degree)": _feature("candidate_degree"),
    "adamic-adar": _feature("adamic_adar"),
    "bought item, then tie_strength": _bought_then_tie,
}


# --------------------------------------------------------------------------------------
# The report.
# --------------------------------------------------------------------------------------
class EvaluationReport(pd.DataFrame):
    """The table :func:`evaluate` returns: a DataFrame, one row per system (index
    ``system``), with :meth:`plot`. ``attrs`` holds the protocol and its details."""

    @property
    def _constructor(self):
        return EvaluationReport

    def plot(self, metric: Union[str, Sequence[str]] = ("recall", "ndcg"), ax: Any = None):
        """metric@k against k for each system, with the bootstrap CI as a band.

        One panel per metric (``recall``, ``ndcg`` or ``hit_rate``), drawn on ``ax`` (one
        Axes per metric) or on a new figure; returns the figure. Without a display
        (and without ``MPLBACKEND``) the non-interactive Agg backend is used.
        """
        metrics = [metric] if isinstance(metric, str) else list(metric)
        ks = list(self.attrs.get("k", ()))
        for m in metrics:
            missing = [f"{m}@{k}" for k in ks if f"{m}@{k}" not in self.columns]
            if missing or not ks:
                raise InvalidArgumentError(
                    f"metric={m!r}: the report has no columns {missing or m}")
        if ax is None:
            import matplotlib

            if (sys.platform.startswith("linux") and not os.environ.get("DISPLAY")
                    and not os.environ.get("MPLBACKEND")):
                matplotlib.use("Agg")
            import matplotlib.pyplot as plt

            fig, axes = plt.subplots(1, len(metrics), figsize=(5.5 * len(metrics), 4),
                                     squeeze=False)
            axes = list(axes[0])
        else:
            axes = list(ax) if isinstance(ax, (list, tuple, np.ndarray)) else [ax]
            if len(axes) != len(metrics):
                raise InvalidArgumentError(f"ax: {len(axes)} Axes for {len(metrics)} metrics")
            fig = axes[0].figure
        for a, m in zip(axes, metrics):
            for system, row in self.iterrows():
                y = [row[f"{m}@{k}"] for k in ks]
                line, = a.plot(ks, y, marker="o", label=str(system))
                if f"{m}@{ks[0]}_lo" in self.columns:
                    a.fill_between(ks, [row[f"{m}@{k}_lo"] for k in ks],
                                   [row[f"{m}@{k}_hi"] for k in ks],
                                   color=line.get_color(), alpha=0.15, linewidth=0)
            a.set_xlabel("k")
            a.set_ylabel(f"{m}@k")
            a.set_xticks(ks)
            a.set_title(f"{m}@k ({self.attrs.get('protocol', '?')} protocol)")
            a.grid(alpha=0.3)
        axes[-1].legend(fontsize="small", loc="best")
        fig.tight_layout()
        return fig


# --------------------------------------------------------------------------------------
# evaluate()
# --------------------------------------------------------------------------------------
_PROTOCOLS = ("full", "sampled")


def _system_name(ranker: Any) -> str:
    if isinstance(ranker, str):
        return f"ranker: {ranker.split('(')[0]}"
    if isinstance(ranker, _core.Ranker):
        return f"ranker: {ranker.spec.split('(')[0]}"
    return f"model: {type(ranker).__name__}"


def _sampled_rows(group: np.ndarray, label: np.ndarray, negatives: int,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each positive row: itself and up to ``negatives`` non-joiner rows of its group,
    drawn without replacement. Returns (row index, trial id, campaign of the trial)."""
    rows, trial, camp = [], [], []
    frame = pd.DataFrame({"g": group, "pos": label > 0, "i": np.arange(len(group))})
    t = 0
    for g, part in frame.groupby("g", sort=True):
        pos = part["i"].to_numpy()[part["pos"].to_numpy()]
        neg = part["i"].to_numpy()[~part["pos"].to_numpy()]
        for p in pos:
            pick = rng.choice(neg, size=min(negatives, len(neg)), replace=False)
            rows.append(np.r_[p, pick])
            trial.append(np.full(len(pick) + 1, t))
            camp.append(g)
            t += 1
    if not rows:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(rows), np.concatenate(trial), np.asarray(camp)


def _bootstrap(per_campaign: pd.DataFrame, counts: np.ndarray, ci: float) -> dict:
    """Point estimate and percentile CI of each column's mean over campaigns, the
    campaigns resampled with replacement (``counts``: resamples x campaigns)."""
    out = {}
    values = per_campaign.to_numpy(dtype=np.float64)
    boot = counts @ values / counts.sum(axis=1, keepdims=True)
    lo, hi = np.percentile(boot, [50 * (1 - ci), 50 * (1 + ci)], axis=0)
    for j, col in enumerate(per_campaign.columns):
        out[col] = float(values[:, j].mean())
        out[f"{col}_lo"], out[f"{col}_hi"] = float(lo[j]), float(hi[j])
    return out


def evaluate(recommender: Any, test: pd.DataFrame, k: Union[int, Sequence[int]] = (5, 10, 20),
             *, protocol: str = "full", negatives: int = 99, systems: Optional[Mapping] = None,
             baselines: bool = True, n_boot: int = 1000, ci: float = 0.95,
             calibration_bins: int = 10, seed: int = 0, num_threads: int = 0,
             **training_options: Any) -> EvaluationReport:
    """Ranking quality of ``recommender`` and of the baselines on held-out records.

    Parameters
    ----------
    recommender : Recommender
        Its ranker (spec, :class:`Ranker` or Python model) scores the candidate rows of
        every record, built as :func:`invitegraph.training_set` builds them (with the
        recommender's candidate options, ``uninvited_weight=1``: every candidate
        ``recommend`` would score, features exactly as of the record's ``ts``
        (``as_of_step_days=0``, unlike training's one-day default; pass a step to trade
        exactness for speed) or with its campaign left out). Policies are not applied:
        this measures the ranker.
    test : DataFrame
        Campaign records, columns ``inviter, item, joined`` [``ts, category, invited``].
    k : int or sequence of int
        Cut-offs of recall, NDCG, hit rate and invite-load Gini.
    protocol : "full" or "sampled"
        ``full`` (default): each record's joiners are ranked among all its candidates.
        ``sampled``: each reachable joiner is ranked against ``negatives`` non-joiners
        of its record drawn at random (seeded, the same draw for every system), as many
        papers do; a joiner's metrics (with that joiner as the only relevant row) are
        then averaged per record. Sampled numbers are not comparable with full ones:
        with pools much larger than ``negatives`` they are far higher.
    systems : mapping name -> ranker spec, Ranker, model or callable, optional
        Further systems to score on the same rows.
    baselines : bool
        Include :data:`BASELINES` (random friend, most interacted contact,
        co-participation, popularity, Adamic-Adar, bought the item).
    n_boot, ci : bootstrap resamples of the test records and the CI level.
    calibration_bins : equal-width bins of the ECE.
    seed : int
        Random baseline, sampled negatives and bootstrap.
    training_options
        Passed to :func:`invitegraph.training_set` (``folds``, ``as_of_step_days``,
        ``outcomes``, ...).

    Returns
    -------
    EvaluationReport
        One row per system (index ``system``, the recommender first), columns:
        ``recall@k, ndcg@k, hit_rate@k`` per k, ``map, mrr`` and ``coverage``, each
        followed by ``_lo`` and ``_hi`` (the bootstrap CI: records resampled with
        replacement, the same resamples for every system); then ``gini@k`` per k (of
        the number of top-k lists each candidate of the test records is in, zeros
        included) and ``ece`` (binned calibration error of P(join) over all candidate
        rows; NaN for systems that give no probability). Ranking metrics average over
        records with at least one joiner; every joiner counts, reachable or not.
        ``coverage`` is the share of joiners that were candidates at all (the same for
        every system). ``attrs``: ``protocol``, ``k``, ``negatives``, ``records``,
        ``joiners``, ``n_boot``, ``ci``, ``seed``, ``note`` and ``training_report``.
    """
    from ._frames import Recommender
    from ._training import training_set

    if not isinstance(recommender, Recommender):
        raise ArgumentTypeError(f"recommender: expected an invitegraph.Recommender, got "
                                f"{type(recommender).__name__}")
    ks = (_core.exact_int(k, "k", 1),) if np.isscalar(k) else \
        tuple(_core.exact_ints(k, "k", 1).tolist())
    if not ks or min(ks) < 1:
        raise InvalidArgumentError(f"k={k!r}: expected positive cut-offs")
    ks = tuple(sorted(set(ks)))
    if protocol not in _PROTOCOLS:
        raise InvalidArgumentError(f"protocol={protocol!r}: expected 'full' or 'sampled'")
    negatives = _core.exact_int(negatives, "negatives", 0, 2**31 - 1)
    n_boot = _core.exact_int(n_boot, "n_boot", 0, 2**31 - 1)
    seed = _core.exact_int(seed, "seed")
    if protocol == "sampled" and negatives < 1:
        raise InvalidArgumentError(f"negatives={negatives!r}: expected at least 1")
    if n_boot < 1:
        raise InvalidArgumentError(f"n_boot={n_boot!r}: expected at least 1")
    if not 0.0 < float(ci) < 1.0:
        raise InvalidArgumentError(f"ci={ci!r}: expected a level in (0, 1)")
    if not isinstance(test, pd.DataFrame):
        raise ArgumentTypeError(f"test: expected a DataFrame, got {type(test).__name__}")
    test = test.reset_index(drop=True)
    # Rows as recommend sees them: every candidate, features exactly as of each ts (not
    # the training default's one-day steps, which trade that for speed).
    options = {**recommender.candidate_options, **_core.serving_row_options, "seed": seed,
               "num_threads": num_threads, "progress": False, **training_options}
    rows = training_set(recommender.graph, test, **options)
    frame = rows.frame
    X = frame[_core.feature_names()]
    group = frame["record"].to_numpy()
    cand = frame["candidate"].to_numpy()
    label = frame["label"].to_numpy()

    n_join = pd.Series([len(set(np.asarray(j).tolist())) for j in test["joined"]],
                       dtype=np.int64)
    reach = pd.Series(label.astype(np.int64)).groupby(group).sum().reindex(
        n_join.index, fill_value=0)
    campaigns = n_join.index[n_join > 0]  # records with a joiner: the ones scored
    if protocol == "sampled":
        campaigns = reach.index[reach > 0]
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(len(campaigns), np.full(len(campaigns), 1.0 / max(
        len(campaigns), 1)), size=int(n_boot)).astype(np.float64) if len(campaigns) else None
    if protocol == "sampled":
        s_rows, s_trial, s_camp = _sampled_rows(group, label, int(negatives),
                                                np.random.default_rng([seed, 1]))

    all_systems = {_system_name(recommender.ranker): recommender.ranker, **(systems or {})}
    scored = {name: (_scorer(s)(X), _probability(s)) for name, s in all_systems.items()}
    if baselines:
        for i, (name, fn) in enumerate(BASELINES.items()):
            scored[name] = (fn(X, np.random.default_rng([seed, 2, i])), None)

    pool = pd.Index(np.unique(cand))
    report = []
    for name, (score, prob) in scored.items():
        score = np.asarray(score, dtype=np.float64)
        if protocol == "full":
            per = group_metrics(group, cand, label, score, ks, n_join)
        else:
            trials = group_metrics(s_trial, cand[s_rows], label[s_rows], score[s_rows], ks)
            per = trials.groupby(s_camp[trials.index.to_numpy()]).mean()
        per = per.reindex(campaigns).rename(columns={"ap": "map", "rr": "mrr"})
        row = {"system": name}
        if counts is not None:
            row.update(_bootstrap(per, counts, float(ci)))
            joiners = n_join.reindex(campaigns).to_numpy(np.float64)
            reached = reach.reindex(campaigns).to_numpy(np.float64)
            boot = (counts @ reached) / np.maximum(counts @ joiners, 1.0)
            lo, hi = np.percentile(boot, [50 * (1 - ci), 50 * (1 + ci)])
            row.update(coverage=float(reached.sum() / max(joiners.sum(), 1.0)),
                       coverage_lo=float(lo), coverage_hi=float(hi))
        ranks = ranks_within_groups(group, cand, score)
        for kk in ks:
            load = pd.Series(cand[ranks <= kk]).value_counts().reindex(pool, fill_value=0)
            row[f"gini@{kk}"] = gini(load.to_numpy())
        row["ece"] = (expected_calibration_error(label, prob(X), calibration_bins)
                      if prob is not None else float("nan"))
        report.append(row)
    out = EvaluationReport(pd.DataFrame(report).set_index("system"))
    reachable = int(reach.sum())
    out.attrs.update(
        protocol=protocol, k=list(ks), negatives=int(negatives) if protocol == "sampled"
        else None, records=int(len(test)), records_scored=int(len(campaigns)),
        joiners=int(n_join.sum()), joiners_reachable=reachable, n_boot=int(n_boot),
        ci=float(ci), seed=int(seed), training_report=dict(rows.report),
        note=(f"{protocol} protocol: " + (
            "each record's joiners ranked among all its candidates"
            if protocol == "full" else
            f"each reachable joiner ranked against {int(negatives)} sampled non-joiners "
            "(not comparable with full-protocol numbers)")
            + f"; {len(campaigns)} of {len(test)} records scored; {reachable} of "
            f"{int(n_join.sum())} joiners were candidates"))
    return out
