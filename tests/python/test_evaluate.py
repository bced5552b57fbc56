"""ig.evaluate, ig.split_campaigns and the metrics behind them, on hand-worked examples."""
from __future__ import annotations

import importlib.util
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import invitegraph as ig
from invitegraph._metrics import expected_calibration_error, gini, group_metrics
from invitegraph.cli import main as cli_main

from conftest import REPO_ROOT, data_dir


# --------------------------------------------------------------------------------------
# Metrics, worked by hand.
#
# Group 0: candidates 1..4 scored 0.9, 0.8, 0.7, 0.1, so ranked 1, 2, 3, 4; joiners are 2
#   and 4 (ranks 2 and 4) plus one joiner who was no candidate: 3 relevant.
#   recall@2 = 1/3, recall@5 = 2/3; hit_rate@1 = 0, hit_rate@2 = 1
#   ndcg@2 = (1/log2 3) / (1 + 1/log2 3) = 0.63093 / 1.63093 = 0.386853
#   ndcg@5 = (1/log2 3 + 1/log2 5) / (1 + 1/log2 3 + 1/log2 4) = 1.06161 / 2.13093
#   ap = (1/3) (1/2 + 2/4) = 1/3; rr = 1/2
# Group 1: candidates 5 and 6 tie at 0.5, so 5 is first (candidate id); 6 joined.
#   recall@1 = 0, recall@2 = 1; ndcg@2 = 1/log2 3; ap = rr = 1/2
# Group 2: nobody joined, so it is not scored.
# --------------------------------------------------------------------------------------
GROUP = np.array([0, 0, 0, 0, 1, 1, 2])
CAND = np.array([1, 2, 3, 4, 6, 5, 7])
LABEL = np.array([0, 1, 0, 1, 1, 0, 0])
SCORE = np.array([0.9, 0.8, 0.7, 0.1, 0.5, 0.5, 0.3])
RELEVANT = pd.Series([3, 1, 0])


def test_group_metrics_by_hand():
    m = group_metrics(GROUP, CAND, LABEL, SCORE, (1, 2, 5), RELEVANT)
    assert list(m.index) == [0, 1]
    l3 = 1 / math.log2(3)
    expected = {
        "recall@1": [0, 0], "recall@2": [1 / 3, 1], "recall@5": [2 / 3, 1],
        "hit_rate@1": [0, 0], "hit_rate@2": [1, 1], "hit_rate@5": [1, 1],
        "ndcg@1": [0, 0], "ndcg@2": [l3 / (1 + l3), l3],
        "ndcg@5": [(l3 + 1 / math.log2(5)) / (1 + l3 + 0.5), l3],
        "ap": [1 / 3, 1 / 2], "rr": [1 / 2, 1 / 2],
    }
    for col, values in expected.items():
        np.testing.assert_allclose(m[col].to_numpy(), values, rtol=1e-12, err_msg=col)
    assert m.loc[0, "ndcg@2"] == pytest.approx(0.386853, abs=1e-6)


def test_group_metrics_without_relevant_counts_only_labelled_rows():
    # Group 0 then has 2 relevant: ap = (1/2)(1/2 + 2/4) = 1/2, recall@2 = 1/2.
    m = group_metrics(GROUP, CAND, LABEL, SCORE, (2,))
    assert m.loc[0, "ap"] == pytest.approx(0.5)
    assert m.loc[0, "recall@2"] == pytest.approx(0.5)


def test_gini_by_hand():
    # [0, 0, 1, 3]: sum over ordered pairs |x_i - x_j| = 20, / (2 n^2 mean) = 20 / 32.
    assert gini(np.array([0, 0, 1, 3])) == pytest.approx(0.625)
    assert gini(np.array([2, 2, 2])) == pytest.approx(0.0)
    assert gini(np.array([0, 0, 0, 5])) == pytest.approx(0.75)  # (n - 1) / n
    assert math.isnan(gini(np.zeros(3)))


def test_expected_calibration_error_by_hand():
    y = np.array([1, 0, 1, 0])
    p = np.array([0.95, 0.85, 0.15, 0.05])
    # 10 bins, one row each: (0.05 + 0.85 + 0.85 + 0.05) / 4 = 0.45.
    assert expected_calibration_error(y, p, 10) == pytest.approx(0.45)
    # 2 bins: [0.05, 0.15] vs labels {0, 1}: |1 - 0.2| = 0.8; [0.85, 0.95]: |1 - 1.8| = 0.8.
    assert expected_calibration_error(y, p, 2) == pytest.approx(0.4)
    assert expected_calibration_error(np.array([1, 0]), np.array([0.5, 0.5])) == 0.0
    assert math.isnan(expected_calibration_error(y, np.full(4, np.nan)))


# --------------------------------------------------------------------------------------
# split_campaigns
# --------------------------------------------------------------------------------------
def _history(**cols) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    base = {"inviter": [1] * n, "item": [42] * n, "joined": [[5]] * n}
    base.update(cols)
    return pd.DataFrame(base)


def test_split_by_time_keeps_every_test_record_after_every_training_record():
    h = _history(ts=[5, 1, 3, 2, 4])
    train, test = ig.split_campaigns(h, by="time", test_fraction=0.4)
    assert test["ts"].tolist() == [5, 4]      # the cut is ts = 4; original row order
    assert train["ts"].tolist() == [1, 3, 2]


def test_split_leave_last_out_holds_out_each_inviters_last_record():
    h = _history(inviter=[1, 1, 2, 3, 3, 3], ts=[10, 20, 5, 1, 3, 2])
    train, test = ig.split_campaigns(h, by="leave_last_out")
    # Inviter 1: ts 20; inviter 2 has one record and stays in train; inviter 3: ts 3.
    assert list(zip(test.inviter, test.ts)) == [(1, 20), (3, 3)]
    assert len(train) == 4
    # Without ts the last row of each inviter goes.
    train, test = ig.split_campaigns(h.drop(columns="ts"), by="leave_last_out")
    assert test.index.size == 2 and test["inviter"].tolist() == [1, 3]
    assert h.drop(columns="ts").iloc[[1, 5]]["inviter"].tolist() == [1, 3]


def test_split_random_is_seeded():
    h = _history(ts=list(range(10)))
    a = ig.split_campaigns(h, by="random", test_fraction=0.3, seed=1)[1]
    b = ig.split_campaigns(h, by="random", test_fraction=0.3, seed=1)[1]
    assert len(a) == 3 and a.equals(b)


@pytest.mark.parametrize("kwargs, message", [
    ({"by": "month"}, "by='month'"),
    ({"test_fraction": 1.5}, "test_fraction=1.5"),
    ({"test_fraction": 0}, "test_fraction=0"),
])
def test_split_bad_arguments_name_argument_and_value(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ig.split_campaigns(_history(ts=[1, 2]), **kwargs)


def test_split_by_time_needs_ts():
    with pytest.raises(ValueError, match="no 'ts' column"):
        ig.split_campaigns(_history(item=[1, 2]), by="time")


# --------------------------------------------------------------------------------------
# evaluate on the hand-made shop.
#
# The record (123, item 42) without ts: features come from the graph without the
# campaign of (123, 42). Candidates of 123: 5, 6, 8 (contacts) and 7 (two hops). Joiners:
# 7 and 999, who is no candidate, so coverage = 1/2.
# A system scoring is_two_hop puts 7 first: recall@1 = 1/2, ndcg@1 = 1,
#   ndcg@5 = 1 / (1 + 1/log2 3), map = (1/2)(1/1) = 1/2, mrr = 1; its top-1 lists load
#   the pool {5, 6, 7, 8} as [0, 0, 1, 0]: gini@1 = 3/4.
# The random friend baseline ranks contacts before friends of friends: 7 is 4th,
#   mrr = 1/4, map = (1/2)(1/4) = 1/8, recall@3 = 0, whatever the seed.
# --------------------------------------------------------------------------------------
SHOP_TEST = pd.DataFrame({"inviter": [123], "item": [42], "joined": [[7, 999]]})


def _two_hop_first(X: pd.DataFrame) -> np.ndarray:
    return X["is_two_hop"].to_numpy(dtype=np.float64)


def test_evaluate_shop_by_hand(shop_graph):
    rec = ig.Recommender(shop_graph)
    report = ig.evaluate(rec, SHOP_TEST, k=(1, 3, 5), systems={"two hop": _two_hop_first},
                         n_boot=50)
    assert isinstance(report, ig.EvaluationReport) and isinstance(report, pd.DataFrame)
    assert report.index[0] == "ranker: linear"
    assert set(ig.evaluation.BASELINES) <= set(report.index)
    r = report.loc["two hop"]
    assert r["recall@1"] == pytest.approx(0.5)
    assert r["ndcg@1"] == pytest.approx(1.0)
    assert r["ndcg@5"] == pytest.approx(1 / (1 + 1 / math.log2(3)))
    assert r["map"] == pytest.approx(0.5) and r["mrr"] == pytest.approx(1.0)
    assert r["gini@1"] == pytest.approx(0.75)
    # One record: every resample is that record, so the CI is the point.
    assert r["ndcg@5_lo"] == r["ndcg@5"] == r["ndcg@5_hi"]
    assert (report["coverage"] == 0.5).all()
    b = report.loc["random friend"]
    assert b["mrr"] == pytest.approx(0.25) and b["map"] == pytest.approx(0.125)
    assert b["recall@3"] == 0.0
    assert math.isnan(r["ece"]) and math.isnan(report.loc["ranker: linear", "ece"])
    assert report.attrs["protocol"] == "full" and report.attrs["k"] == [1, 3, 5]
    assert report.attrs["joiners"] == 2 and report.attrs["joiners_reachable"] == 1
    assert "full protocol" in report.attrs["note"]
    # Slicing keeps the report type (and its plot method).
    assert isinstance(report.head(2), ig.EvaluationReport)


def test_evaluate_sampled_protocol(shop_graph):
    rec = ig.Recommender(shop_graph)
    report = ig.evaluate(rec, SHOP_TEST, k=(1, 3), protocol="sampled", negatives=2,
                         systems={"two hop": _two_hop_first}, n_boot=20)
    # 7 against 2 of {5, 6, 8}: the two-hop system ranks it first, random friend last.
    assert report.loc["two hop", "hit_rate@1"] == 1.0
    assert report.loc["two hop", "mrr"] == 1.0
    assert report.loc["random friend", "mrr"] == pytest.approx(1 / 3)
    assert report.attrs["protocol"] == "sampled" and report.attrs["negatives"] == 2
    assert "not comparable" in report.attrs["note"]


@pytest.mark.parametrize("kwargs, message", [
    ({"protocol": "half"}, "protocol='half'"),
    ({"k": 0}, "k=0"),
    ({"protocol": "sampled", "negatives": 0}, "negatives=0"),
    ({"ci": 1.0}, "ci=1.0"),
])
def test_evaluate_bad_arguments(shop_graph, kwargs, message):
    with pytest.raises(ValueError, match=message):
        ig.evaluate(ig.Recommender(shop_graph), SHOP_TEST, **kwargs)


def test_evaluate_needs_a_recommender(shop_graph):
    with pytest.raises(TypeError, match="recommender"):
        ig.evaluate("linear", SHOP_TEST)


# --------------------------------------------------------------------------------------
# Synthetic world: learned rankers, Python models, bootstrap, plot.
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def synth_split(synth_world):
    camp = synth_world.campaigns.sort_values("ts", kind="stable").head(600)
    return ig.split_campaigns(camp, by="time", test_fraction=0.3)


@pytest.fixture(scope="module")
def synth_report(synth_graph, synth_split):
    train, test = synth_split
    ranker = ig.fit_ranker(synth_graph, train, as_of_step_days=7)
    return ig.evaluate(ig.Recommender(synth_graph, ranker=ranker), test, k=(5, 10, 20),
                       as_of_step_days=7, n_boot=200)


def test_learned_ranker_beats_random_and_is_calibrated(synth_report):
    r = synth_report  # fit_ranker's default model: pairwise, calibrated
    assert r.index[0] == "ranker: pairwise"
    assert r.loc["ranker: pairwise", "ndcg@10"] > r.loc["random friend", "ndcg@10_hi"]
    for m in ("recall", "ndcg", "hit_rate"):
        values = r.loc["ranker: pairwise", [f"{m}@{k}" for k in (5, 10, 20)]].to_numpy()
        if m != "ndcg":
            assert (np.diff(values) >= 0).all(), m   # more slots never hit less
    lo, mid, hi = r[["ndcg@10_lo", "ndcg@10", "ndcg@10_hi"]].to_numpy().T
    assert (lo <= mid).all() and (mid <= hi).all() and (lo < hi).any()
    assert 0 <= r.loc["ranker: pairwise", "ece"] < 0.1
    assert r.drop(index="ranker: pairwise")["ece"].isna().all()
    assert ((r["gini@10"] >= 0) & (r["gini@10"] <= 1)).all()
    assert 0 < r["coverage"].iloc[0] <= 1 and r["coverage"].nunique() == 1


def test_evaluate_is_seeded(synth_graph, synth_split):
    rec = ig.Recommender(synth_graph)
    test = synth_split[1].head(60)
    a = ig.evaluate(rec, test, k=10, as_of_step_days=7, n_boot=100, seed=3)
    b = ig.evaluate(rec, test, k=10, as_of_step_days=7, n_boot=100, seed=3)
    pd.testing.assert_frame_equal(a, b)


def test_evaluate_python_models(synth_graph, synth_split):
    lightgbm = pytest.importorskip("lightgbm")
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    train, test = synth_split
    X, y, _ = ig.training_frame(synth_graph, train, as_of_step_days=7)
    test = test.head(80)
    lgbm = lightgbm.LGBMClassifier(n_estimators=30, verbose=-1).fit(X, y)
    r = ig.evaluate(ig.Recommender(synth_graph, ranker=lgbm), test, k=10,
                    as_of_step_days=7, n_boot=50, baselines=False)
    assert list(r.index) == ["model: LGBMClassifier"]
    assert 0 <= r["ece"].iloc[0] <= 1
    # Fitted on an array: scored on an array, as the recommender's adapter does. (Scaled:
    # the rows hold every candidate, and raw features leave lbfgs short of converging.)
    lr = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(
        X.to_numpy(), y.to_numpy())
    r = ig.evaluate(ig.Recommender(synth_graph, ranker=lr), test, k=10, as_of_step_days=7,
                    n_boot=50, baselines=False)
    assert r["ndcg@10"].iloc[0] > 0


def test_report_plot(synth_report, tmp_path):
    import matplotlib.pyplot as plt

    fig = synth_report.plot()
    try:
        assert len(fig.axes) == 2
        assert fig.axes[0].get_ylabel() == "recall@k"
        assert len(fig.axes[0].lines) == len(synth_report)
        fig.savefig(tmp_path / "report.png")
        assert (tmp_path / "report.png").stat().st_size > 0
    finally:
        plt.close(fig)
    fig, ax = plt.subplots()
    try:
        assert synth_report.plot("hit_rate", ax=ax) is fig
        with pytest.raises(ValueError, match="metric='auc'"):
            synth_report.plot("auc", ax=ax)
    finally:
        plt.close(fig)


# --------------------------------------------------------------------------------------
# Command line.
# --------------------------------------------------------------------------------------
def test_cli_evaluate(synth_world, tmp_path, capsys):
    tables = synth_world.tables()
    paths = {}
    for name in ("friendships", "interactions", "purchases"):
        paths[name] = tmp_path / f"{name}.parquet"
        tables[name].to_parquet(paths[name])
    history = synth_world.campaigns.sort_values("ts", kind="stable").head(300).copy()
    history["joined"] = [";".join(map(str, j)) for j in history["joined"]]
    history = history.drop(columns=[c for c in ("invited",) if c in history.columns])
    history.to_csv(tmp_path / "history.csv", index=False)
    out, png = tmp_path / "report.csv", tmp_path / "report.png"
    code = cli_main(["evaluate", "--friendships", str(paths["friendships"]),
                     "--interactions", str(paths["interactions"]),
                     "--purchases", str(paths["purchases"]),
                     "--history", str(tmp_path / "history.csv"), "--split", "time",
                     "--fit", "logistic", "--k", "5,10", "--as-of-step-days", "7",
                     "--n-boot", "50", "--out", str(out), "--plot", str(png)])
    assert code == 0
    report = pd.read_csv(out)
    assert report["system"].iloc[0] == "ranker: logistic"
    assert {"ndcg@10", "ndcg@10_lo", "ndcg@10_hi", "map", "coverage", "ece"} <= set(report)
    assert png.stat().st_size > 0
    assert "full protocol" in capsys.readouterr().err
    assert cli_main(["evaluate", "--history", str(tmp_path / "history.csv"),
                     "--friendships", str(paths["friendships"]), "--k", "x"]) == 2


# --------------------------------------------------------------------------------------
# Real data: loaders and the notebook.
# --------------------------------------------------------------------------------------
def _need(sub: str):
    path = data_dir() / sub
    if not path.is_dir():
        pytest.skip(f"{sub} data not found at {path} (set INVITEGRAPH_DATA to the folder "
                    f"holding {sub}/)")
    return data_dir()


@pytest.mark.parametrize("loader, sub", [("load_lastfm", "lastfm-hetrec2011"),
                                         ("load_ciao", "ciao"),
                                         ("load_collegemsg", "collegemsg")])
def test_loaders_build_graphs(loader, sub):
    ds = getattr(ig.datasets, loader)(_need(sub))
    g = ig.build_graph(**ds.tables, progress=False)
    assert g.stats()["num_nodes"] > 1000


def test_collegemsg_campaigns_evaluate():
    ds = ig.datasets.load_collegemsg(_need("collegemsg"))
    tables, history = ig.datasets.collegemsg_campaigns(ds, max_records=300)
    assert set(history["split"]) == {"train", "test"}
    train, test = history[history.split == "train"], history[history.split == "test"]
    assert train["ts"].max() < test["ts"].min()
    assert all(len(j) > 0 for j in history["joined"])
    g = ig.build_graph(**tables, progress=False)
    r = ig.evaluate(ig.Recommender(g), test.drop(columns="split"), k=10, n_boot=50,
                    as_of_step_days=7)
    assert r.loc["most interacted (tie_strength)", "ndcg@10"] > r.loc["random friend",
                                                                       "ndcg@10"]


_RUN_NOTEBOOK = """
import sys, nbformat, nbclient
nb = nbformat.read(sys.argv[1], as_version=4)
nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                        resources={"metadata": {"path": sys.argv[2]}}).execute()
print("".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", [])))
"""


def test_notebook_runs():
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("nbclient")
    if importlib.util.find_spec("ipykernel") is None:  # not imported: see below
        pytest.skip("ipykernel is not installed (pip install ipykernel)")
    data = _need("lastfm-hetrec2011")
    path = REPO_ROOT / "examples" / "python" / "evaluate_lastfm.ipynb"
    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), \
        "commit the notebook without outputs"
    # In a child process: executing a notebook imports ipykernel, which would make this
    # process's progress bars think they run in a notebook.
    # The package this test imported (the source tree, or the installed wheel on CI).
    package_root = str(Path(ig.__file__).resolve().parents[1])
    env = dict(os.environ, INVITEGRAPH_DATA=str(data), PYTHONPATH=os.pathsep.join(
        [package_root, os.environ.get("PYTHONPATH", "")]))
    run = subprocess.run([sys.executable, "-c", _RUN_NOTEBOOK, str(path), str(path.parent)],
                         env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "ranker: pairwise" in run.stdout and "full protocol" in run.stdout
