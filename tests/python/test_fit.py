"""Learned rankers from Python: fit_ranker_arrays against scikit-learn, persistence,
use in the Recommender, and error messages.

Regularisation mapping: fit_ranker_arrays(model="logistic", l2=λ) minimises
``sum_i s_i logloss_i + λ/2 |w|^2`` over standardised transformed features with an
unpenalised intercept. scikit-learn's LogisticRegression(C=c) minimises
``c * sum_i s_i logloss_i + 1/2 |w|^2``, also without penalising the intercept, which
has the same minimiser when c = 1/λ.
"""
from __future__ import annotations

import json
import pickle
import threading

import numpy as np
import pandas as pd
import pytest

import invitegraph as ig

NAMES = ig.feature_names()
F = len(NAMES)


def simulate(rows: int, seed: int, group_size: int = 30):
    """Raw feature rows (expm1 of uniforms, some 0/1 flags, one constant column) and
    labels from a logistic model over the transformed features."""
    rng = np.random.default_rng(seed)
    X = np.expm1(2.0 * rng.random((rows, F))).astype(np.float32)
    X[:, 3::4] = (rng.random((rows, len(range(3, F, 4)))) < 0.4).astype(np.float32)
    X[:, NAMES.index("candidate_is_new")] = 0.0
    T = transformed(X)
    beta = np.array([(0.8, -0.6, 0.4, 1.0, -0.3, 0.5, -0.9)[f % 7] for f in range(F)])
    beta[NAMES.index("candidate_is_new")] = 0.0
    logit = T @ beta
    logit += -1.0 - logit.mean()
    y = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.float32)
    group = (np.arange(rows) * 7919) % max(1, rows // group_size)
    return X, y, group, logit


def transformed(X: np.ndarray) -> np.ndarray:
    """T_f(x_f) for every feature, read off the built-in linear ranker with one
    weight set to 1 and the others to 0 (so the test does not re-implement it)."""
    cols = []
    for name in NAMES:
        spec = "linear(" + ",".join(f"{n}={1 if n == name else 0}" for n in NAMES) + ")"
        cols.append(ig.make_ranker(spec).score(X).astype(np.float64))
    return np.stack(cols, axis=1)


def params(ranker: ig.Ranker) -> dict:
    return json.loads(ranker.to_json())["params"]


def standardised(ranker: ig.Ranker, X: np.ndarray) -> np.ndarray:
    p = params(ranker)
    mean = np.array([p[f"mean.{n}"] for n in NAMES])
    scale = np.array([p[f"scale.{n}"] for n in NAMES])
    return (transformed(X) - mean) / scale


@pytest.fixture(scope="module")
def data():
    return simulate(20_000, seed=3)


@pytest.mark.parametrize("class_weight,weighted", [("none", True), ("balanced", False)])
def test_logistic_matches_scikit_learn(data, class_weight, weighted):
    from sklearn.linear_model import LogisticRegression

    X, y, group, _ = data
    weight = (np.random.default_rng(4).random(len(y)) * 2).astype(np.float32) if weighted \
        else None
    l2 = 0.5
    ranker, report = ig.fit_ranker_arrays(X, y, weight=weight, l2=l2,
                                          class_weight=class_weight)
    assert report["converged"]
    assert report["rows"] == len(y)
    p = params(ranker)
    ours = np.array([p["intercept"]] + [p[f"w.{n}"] for n in NAMES])

    Z = standardised(ranker, X)
    sk = LogisticRegression(C=1.0 / l2, solver="newton-cholesky", tol=1e-12,
                            max_iter=1000,
                            class_weight=None if class_weight == "none" else "balanced")
    sk.fit(Z, y, sample_weight=weight)
    theirs = np.concatenate([sk.intercept_, sk.coef_[0]])
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)
    assert np.abs(theirs[1:]).max() > 0.3  # not a trivially zero model


def test_logistic_is_calibrated_and_explained(data):
    X, y, _, logit = data
    ranker, _ = ig.fit_ranker_arrays(X, y, l2=1.0)
    s = ranker.score(X)
    assert s.dtype == np.float32 and s.shape == (len(y),)
    assert abs(float(s.mean()) - float(y.mean())) < 1e-5
    # Close to the true probabilities: a fit on 20k rows of 28 features recovers them
    # to a few points almost everywhere (the worst rows, at the extremes, a bit more).
    err = np.abs(s - 1 / (1 + np.exp(-logit)))
    assert err.mean() < 0.02 and np.quantile(err, 0.999) < 0.1
    p = params(ranker)
    bias = p["a"] * p["intercept"] + p["b"]
    for row in (0, 5, 123):
        parts = ranker.explain(X, row)
        assert parts.shape == (F,)
        q = float(s[row])
        assert bias + parts.sum() == pytest.approx(np.log(q / (1 - q)), abs=1e-3)


def test_pairwise_orders_groups(data):
    X, y, group, logit = data
    ranker, report = ig.fit_ranker_arrays(X, y, group=group, model="pairwise",
                                          max_pairs_per_positive=10, seed=5)
    assert report["pairs"] > 0
    s = ranker.score(X)

    def auc(score):
        df = pd.DataFrame({"g": group, "y": y, "s": score})
        out = []
        for _, d in df.groupby("g"):
            pos, neg = d.s[d.y == 1].to_numpy(), d.s[d.y == 0].to_numpy()
            if len(pos) and len(neg):
                out.append((pos[:, None] > neg[None, :]).mean())
        return np.mean(out)

    assert auc(s) > auc(logit) - 0.01
    assert auc(s) > 0.7
    # Platt-calibrated: a probability whose mean is the base rate.
    assert ranker.calibrated
    assert 0 <= s.min() and s.max() <= 1
    assert s.mean() == pytest.approx(y.mean(), abs=0.01)


def test_a_pairwise_recommender_gives_join_probabilities():
    # Waves and fill probabilities need P(join): a pairwise ranker now gives it.
    world = ig.synth.generate(800, seed=4, campaigns_per_user=0.3, progress=False)
    g = ig.build_graph(**world.tables(), progress=False)
    ranker = ig.fit_ranker(g, world.campaigns, model="pairwise", progress=False)
    rec = ig.Recommender(g, ranker=ranker)
    inviter = int(world.campaigns["inviter"].iloc[-1])
    top = rec.recommend(inviter=inviter, item=int(world.campaigns["item"].iloc[-1]), k=5)
    assert len(top) > 0
    assert top["join_probability"].between(0, 1).all()
    assert (top["join_probability"] == top["score"]).all()


def test_round_trips_keep_scores(data, tmp_path):
    X, y, group, _ = data
    for model in ("logistic", "pairwise"):
        r, _ = ig.fit_ranker_arrays(X, y, group=group, model=model)
        want = r.score(X)
        assert r.schema == NAMES
        path = tmp_path / f"{model}.json"
        r.save(str(path))
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(model)) == \
            [f"{model}.json"]
        doc = json.loads(path.read_text())
        assert doc["format"] == "invitegraph.ranker"
        assert doc["format_version"] == 1
        assert doc["library_version"] == ig.__version__
        assert doc["kind"] == model
        assert doc["features"] == NAMES
        for loaded in (ig.load_ranker(str(path)), ig.ranker_from_json(r.to_json()),
                       pickle.loads(pickle.dumps(r)), ig.make_ranker(r.spec)):
            assert loaded.spec == r.spec
            np.testing.assert_array_equal(loaded.score(X), want)
    lin = ig.make_ranker("linear(jaccard=2)")
    lin.save(str(tmp_path / "linear.json"))
    assert ig.load_ranker(str(tmp_path / "linear.json")).spec == "linear(jaccard=2)"


def test_dataframes_are_reordered_by_name(data):
    X, y, group, _ = data
    df = pd.DataFrame(X, columns=NAMES)
    shuffled = df[list(reversed(NAMES))].assign(candidate=np.arange(len(df)))
    r1, rep1 = ig.fit_ranker_arrays(X, y)
    r2, rep2 = ig.fit_ranker_arrays(shuffled, pd.Series(y.astype(int)))
    assert r1.spec == r2.spec
    np.testing.assert_array_equal(r1.score(shuffled), r1.score(X))
    with pytest.raises(ValueError, match="missing feature column.*jaccard"):
        r1.score(df.drop(columns=["jaccard"]))
    with pytest.raises(ValueError, match="missing feature column.*adamic_adar"):
        ig.fit_ranker_arrays(df.drop(columns=["adamic_adar"]), y)


def test_fits_do_not_depend_on_threads_and_release_the_gil(data):
    X, y, group, _ = data
    kw = dict(group=group, model="pairwise", max_pairs_per_positive=5, seed=9)
    one, _ = ig.fit_ranker_arrays(X, y, num_threads=1, **kw)
    two, _ = ig.fit_ranker_arrays(X, y, num_threads=2, **kw)
    assert one.spec == two.spec
    results = [None, None]

    def run(i):
        results[i] = ig.fit_ranker_arrays(X, y, num_threads=1, **kw)[0].spec

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [one.spec, one.spec]


def test_recommender_takes_a_ranker_object(synth_graph, synth_requests):
    inviters, items = synth_requests
    base = ig.Recommender(synth_graph)
    frames, labels, groups = [], [], []
    for i, (u, item) in enumerate(zip(inviters[:80], items[:80])):
        f = base.features(int(u), int(item))
        frames.append(f)
        # "Joined" when the tie is strong: the learned model should find that.
        labels.append((f["tie_strength"] > f["tie_strength"].median()).to_numpy())
        groups.append(np.full(len(f), i))
    df = pd.concat(frames, ignore_index=True)
    ranker, _ = ig.fit_ranker_arrays(df, np.concatenate(labels), group=np.concatenate(groups))
    rec = ig.Recommender(synth_graph, ranker=ranker)
    assert rec.ranker_spec == ranker.spec
    u, item = int(inviters[0]), int(items[0])
    out = rec.recommend(u, item, k=5)
    feats = rec.features(u, item)
    scores = ranker.score(feats)  # the extra "candidate" column is ignored
    assert out.score.iloc[0] == pytest.approx(float(scores.max()))
    assert ig.Recommender(synth_graph, ranker="linear").ranker_spec == "linear"


def test_errors_name_the_argument(data, tmp_path):
    X, y, group, _ = data
    bad_y = y.copy()
    bad_y[3] = 2
    with pytest.raises(ValueError, match=r"y\[3\]=2"):
        ig.fit_ranker_arrays(X, bad_y)
    with pytest.raises(ValueError, match="only one class"):
        ig.fit_ranker_arrays(X, np.zeros(len(y)))
    with pytest.raises(ValueError, match=r"weight\[1\]=-1"):
        ig.fit_ranker_arrays(X, y, weight=np.r_[1.0, -1.0, np.ones(len(y) - 2)])
    with pytest.raises(ValueError, match="label has 10 entries"):
        ig.fit_ranker_arrays(X, y[:10])
    bad_x = X.copy()
    bad_x[7, NAMES.index("jaccard")] = np.nan
    with pytest.raises(ValueError, match=r"x\[7, jaccard\]=nan"):
        ig.fit_ranker_arrays(bad_x, y)
    with pytest.raises(ValueError, match=r"shape \(20000, 3\)"):
        ig.fit_ranker_arrays(X[:, :3], y)
    with pytest.raises(TypeError, match="real numbers"):
        ig.fit_ranker_arrays(np.full((2, F), "a"), y[:2])
    with pytest.raises(ValueError, match="group is empty"):
        ig.fit_ranker_arrays(X, y, model="pairwise")
    with pytest.raises(ValueError, match="model='tree'"):
        ig.fit_ranker_arrays(X, y, model="tree")
    with pytest.raises(ValueError, match="class_weight='auto'"):
        ig.fit_ranker_arrays(X, y, class_weight="auto")
    with pytest.raises(TypeError, match="ranker"):
        ig.Recommender(ig.build_graph(friendships={"src": [1], "dst": [2]}, progress=False),
                       ranker=3)
    # Persistence.
    with pytest.raises(FileNotFoundError, match="absent.json"):
        ig.load_ranker(str(tmp_path / "absent.json"))
    with pytest.raises(ValueError, match="malformed"):
        ig.ranker_from_json('{"format": "invitegraph.ranker", ')
    r, _ = ig.fit_ranker_arrays(X[:2000], y[:2000])
    doc = json.loads(r.to_json())
    doc["features"] = doc["features"][::-1]
    with pytest.raises(ig.Error, match="reordered"):
        ig.ranker_from_json(json.dumps(doc))
    doc = json.loads(r.to_json())
    doc["format_version"] = 7
    with pytest.raises(ig.Error, match="newer"):
        ig.ranker_from_json(json.dumps(doc))
    truncated = tmp_path / "cut.json"
    truncated.write_text(r.to_json()[:100])
    with pytest.raises(ValueError, match="cut.json.*malformed"):
        ig.load_ranker(str(truncated))
