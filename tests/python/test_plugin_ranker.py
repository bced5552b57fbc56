"""Any Python model as the ranker: scikit-learn, LightGBM, predict-only models and plain
callables, checked against the models' own outputs; errors; batch == single calls;
zero-copy inputs; and reasons that come from the model or are said to be unavailable."""
from __future__ import annotations

import faulthandler
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

import invitegraph as ig
from test_batch import assert_same_rows, stacked_single_calls

lightgbm = pytest.importorskip("lightgbm")
sklearn_linear = pytest.importorskip("sklearn.linear_model")

NAMES = ig.feature_names()
UNAVAILABLE = ["reasons_unavailable"]

# The reason code of each feature (docs/recommending.md, "Reason codes"); mirrors
# src/explain/reasons.cc.
REASON_CODES = {
    "tie_strength": "close_contact",
    "reverse_tie_strength": "reaches_out_to_you",
    "chat_weight": "frequent_chat",
    "like_weight": "likes_your_posts",
    "comment_weight": "comments_often",
    "share_weight": "shares_with_you",
    "visit_weight": "visits_often",
    "assist_weight": "assisted_before",
    "team_join_weight": "teamed_up_before",
    "invite_accepted_weight": "accepted_invites_before",
    "days_since_last_interaction": lambda x: f"recent_contact:{int(x['days_since_last_interaction'])}d",
    "is_friend": "friend",
    "is_two_hop": "friend_of_friend",
    "common_neighbors": lambda x: f"shared_friends:{int(x['common_neighbors'])}",
    "adamic_adar": lambda x: f"shared_friends:{int(x['common_neighbors'])}",
    "jaccard": lambda x: f"shared_friends:{int(x['common_neighbors'])}",
    "candidate_bought_item": "bought_this_item",
    "candidate_category_affinity": "likes_this_category",
    "shopping_similarity": "similar_shopper",
    "candidate_activity_7d": "active_this_week",
    "candidate_activity_30d": "active_this_month",
    "candidate_is_new": "new_user",
    "candidate_join_rate": "often_joins",
    "candidate_degree": "well_connected",
    "item_similarity": "similar_taste",
    "candidate_purchases": "active_shopper",
    "candidate_accept_rate": lambda x: ("accepts_invites_often"
                                        if x["candidate_accept_rate"] >= 0.5 else None),
    "candidate_fatigue": lambda x: None,
    "candidate_suspicion": lambda x: None,
    "candidate_reputation": "helps_others",
    "same_region": lambda x: "same_region" if x["same_region"] > 0 else None,
    "same_age_band": lambda x: "same_age_band" if x["same_age_band"] > 0 else None,
    "tag_overlap": lambda x: "shared_interests" if x["tag_overlap"] > 0 else None,
    "category_tag_match": lambda x: "interested_in_this_category" if x["category_tag_match"] > 0 else None,
    "candidate_pagerank": "influential",
    "candidate_core_number": "core_of_the_network",
    "candidate_clustering": "close_knit_circle",
}
MIN_CONTRIBUTION = np.float32(0.05)  # src/explain/reasons.cc kMinContribution


def expected_reasons(row: pd.Series, contribution: np.ndarray, max_reasons: int = 3) -> list:
    """Top positive contributions (>= 0.05, float32, stable order) -> codes, merged."""
    contribution = np.asarray(contribution, dtype=np.float32)
    out = []
    for f in np.argsort(-contribution, kind="stable"):
        if len(out) >= max_reasons or not contribution[f] >= MIN_CONTRIBUTION:
            break
        name = NAMES[f]
        if name not in REASON_CODES:
            pytest.fail(f"feature {name} has no reason code in REASON_CODES; add it "
                        f"(docs/recommending.md, 'Reason codes')")
        code = REASON_CODES[name]
        code = code(row) if callable(code) else code
        if code is not None and code not in out:
            out.append(code)
    return out


# --------------------------------------------------------------------------------------
# Training rows: the features of past campaigns' candidates, labelled by who joined.
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def training(synth_world, synth_graph):
    rec = ig.Recommender(synth_graph)
    xs, ys = [], []
    for c in synth_world.campaigns.head(150).itertuples():
        f = rec.features(int(c.inviter), item=int(c.item))
        xs.append(f.drop(columns="candidate"))
        ys.append(f["candidate"].isin(c.joined).astype(np.int64))
    x, y = pd.concat(xs, ignore_index=True), pd.concat(ys, ignore_index=True)
    assert list(x.columns) == NAMES and 20 < y.sum() < len(y) // 5
    return x, y


@pytest.fixture(scope="module")
def logistic(training):
    x, y = training
    return sklearn_linear.LogisticRegression(solver="liblinear").fit(x, y)


@pytest.fixture(scope="module")
def gbdt(training):
    x, y = training
    return lightgbm.LGBMClassifier(n_estimators=40, num_leaves=15, learning_rate=0.1,
                                   n_jobs=1, verbose=-1).fit(x, y)


@pytest.fixture(scope="module")
def requests(synth_requests):
    inviters, items = synth_requests
    return [(int(u), int(i)) for u, i in zip(inviters[:30], items[:30])]


def oracle_top_k(rec: ig.Recommender, inviter: int, item: int, k: int, score) -> pd.DataFrame:
    """The candidates sorted by the model's own scores (float32, then id), top k."""
    f = rec.features(inviter, item=item)
    # The rows as the adapter lends them: one C-ordered float32 block. (Matrix products
    # in float32 may round differently on a column-major copy.)
    x = pd.DataFrame(np.ascontiguousarray(f[NAMES].to_numpy()), columns=NAMES, copy=False)
    s = np.asarray(score(x), dtype=np.float64).astype(np.float32)
    df = pd.DataFrame({"candidate": f["candidate"].to_numpy(), "score": s})
    df = df.assign(neg=-df["score"]).sort_values(["neg", "candidate"], kind="stable")
    return df.head(k).reset_index(drop=True)[["candidate", "score"]]


def check_against_oracle(rec, base, requests, score, k=10):
    compared = 0
    for u, i in requests:
        got = rec.recommend(u, item=i, k=k)
        want = oracle_top_k(base, u, i, k, score)
        np.testing.assert_array_equal(got["candidate"].to_numpy(), want["candidate"].to_numpy())
        np.testing.assert_array_equal(got["score"].to_numpy(), want["score"].to_numpy())
        assert got["rank"].tolist() == list(range(1, len(got) + 1))
        compared += len(got)
    assert compared > 100


# --------------------------------------------------------------------------------------
# Scores: the model's own order.
# --------------------------------------------------------------------------------------
def test_logistic_regression_orders_like_its_predict_proba(synth_graph, logistic, requests):
    rec = ig.Recommender(synth_graph, ranker=logistic)
    assert rec.ranker_spec == "python(model=LogisticRegression,method=predict_proba)"
    check_against_oracle(rec, ig.Recommender(synth_graph), requests,
                         lambda x: logistic.predict_proba(x)[:, 1])


def test_lightgbm_orders_like_its_predict_proba(synth_graph, gbdt, requests):
    rec = ig.Recommender(synth_graph, ranker=gbdt)
    assert rec.ranker_spec == "python(model=LGBMClassifier,method=predict_proba)"
    check_against_oracle(rec, ig.Recommender(synth_graph), requests,
                         lambda x: gbdt.predict_proba(x)[:, 1])


def test_positive_class_is_found_through_classes(synth_graph, training, requests):
    x, y = training
    # Labels 1 (joined) and 2 (did not): class 1 is column 0 of predict_proba.
    model = sklearn_linear.LogisticRegression(solver="liblinear").fit(x, np.where(y == 1, 1, 2))
    assert list(model.classes_) == [1, 2]
    rec = ig.Recommender(synth_graph, ranker=model)
    base = ig.Recommender(synth_graph)
    check_against_oracle(rec, base, requests, lambda f: model.predict_proba(f)[:, 0])
    # Its coef_ points at class 2, so contributions flip sign: reasons still explain class 1.
    u, i = requests[0]
    top = rec.recommend(u, item=i, k=5)
    feats = base.features(u, item=i).set_index("candidate")
    for cand, reasons in zip(top["candidate"], top["reasons"]):
        row = feats.loc[cand]
        contrib = -model.coef_[0] * row[NAMES].to_numpy(dtype=np.float64)
        assert reasons == expected_reasons(row, contrib)


def test_predict_only_model_and_plain_callable(synth_graph, training, requests):
    x, y = training
    ridge = sklearn_linear.LinearRegression().fit(x, y)
    assert not hasattr(ridge, "predict_proba")
    rec = ig.Recommender(synth_graph, ranker=ridge)
    assert rec.ranker_spec == "python(model=LinearRegression,method=predict)"
    base = ig.Recommender(synth_graph)
    check_against_oracle(rec, base, requests, ridge.predict)

    def closeness(df: pd.DataFrame) -> pd.Series:
        return df["tie_strength"] * 2.0 + df["adamic_adar"]

    rec = ig.Recommender(synth_graph, ranker=closeness)
    assert rec.ranker_spec.startswith("python(model=") and "method=call" in rec.ranker_spec
    check_against_oracle(rec, base, requests, closeness)
    # A lambda returning a plain list works as well.
    rec = ig.Recommender(synth_graph, ranker=lambda df: list(df["candidate_degree"]))
    check_against_oracle(rec, base, requests[:12], lambda df: df["candidate_degree"])


def test_predict_proba_wins_over_predict_and_call(synth_graph, requests):
    class Both:
        def predict_proba(self, df):
            return np.column_stack([np.zeros(len(df)), df["jaccard"]])

        def predict(self, df):
            raise AssertionError("predict must not be used when predict_proba exists")

        def __call__(self, df):
            raise AssertionError("__call__ must not be used when a model method exists")

    rec = ig.Recommender(synth_graph, ranker=Both())
    assert "method=predict_proba" in rec.ranker_spec
    check_against_oracle(rec, ig.Recommender(synth_graph), requests[:12],
                         lambda df: df["jaccard"])


def test_model_on_a_subset_of_columns(synth_graph, training, requests):
    x, y = training
    cols = ["candidate_join_rate", "tie_strength", "adamic_adar"]  # not in feature order
    model = sklearn_linear.LogisticRegression(solver="liblinear").fit(x[cols], y)
    rec = ig.Recommender(synth_graph, ranker=model)
    base = ig.Recommender(synth_graph)
    check_against_oracle(rec, base, requests, lambda f: model.predict_proba(f[cols])[:, 1])
    u, i = requests[1]
    top = rec.recommend(u, item=i, k=5)
    feats = base.features(u, item=i).set_index("candidate")
    for cand, reasons in zip(top["candidate"], top["reasons"]):
        row = feats.loc[cand]
        contrib = np.zeros(len(NAMES))
        for c, w in zip(cols, model.coef_[0]):
            contrib[NAMES.index(c)] = w * np.float64(row[c])
        assert reasons == expected_reasons(row, contrib)


def test_model_fitted_on_a_numpy_array_gets_one(synth_graph, training, requests):
    x, y = training
    model = sklearn_linear.LogisticRegression(solver="liblinear").fit(x.to_numpy(), y)
    assert not hasattr(model, "feature_names_in_")
    rec = ig.Recommender(synth_graph, ranker=model)  # a DataFrame would warn (= error here)
    check_against_oracle(rec, ig.Recommender(synth_graph), requests,
                         lambda f: model.predict_proba(f.to_numpy())[:, 1])


# --------------------------------------------------------------------------------------
# Errors.
# --------------------------------------------------------------------------------------
def test_objects_that_are_not_models_are_a_type_error(synth_graph):
    for bad in [42, object(), [1, 2]]:
        with pytest.raises(TypeError, match="predict_proba or predict"):
            ig.Recommender(synth_graph, ranker=bad)
    with pytest.raises(TypeError, match="ranker"):
        ig.Recommender(synth_graph, ranker=None)


def test_models_fitted_on_other_columns_are_rejected_up_front(synth_graph, training):
    x, y = training
    from sklearn.tree import DecisionTreeClassifier
    with_candidate = x.assign(candidate=np.arange(len(x)))[["candidate", "jaccard"]]
    model = DecisionTreeClassifier(max_depth=2).fit(with_candidate, y)  # forgot to drop it
    with pytest.raises(ValueError, match=r"columns invitegraph does not produce: candidate\."):
        ig.Recommender(synth_graph, ranker=model)
    narrow = DecisionTreeClassifier(max_depth=2).fit(x.iloc[:, :3].to_numpy(), y)
    with pytest.raises(ValueError, match=rf"fitted on 3 unnamed columns.*provides {len(NAMES)}"):
        ig.Recommender(synth_graph, ranker=narrow)
    with pytest.raises(ValueError, match="batch_rows"):
        ig.Recommender(synth_graph, ranker=lambda df: df["jaccard"], batch_rows=-1)


@pytest.mark.parametrize("output, message", [
    (lambda df: np.ones(len(df) - 1), r"returned \d+ scores for \d+ feature rows"),
    (lambda df: np.where(np.arange(len(df)) == 2, np.nan, 1.0), r"returned nan at row 2 of"),
    (lambda df: np.full(len(df), np.inf), r"returned inf at row 0"),
    (lambda df: np.ones((len(df), 2)), r"returned an array of shape \(\d+, 2\); expected one "),
    (lambda df: 1.0, r"returned a single float"),
    (lambda df: ["high"] * len(df), r"returned a list that is not an array of numbers"),
])
def test_bad_model_output_is_a_clear_value_error(synth_graph, requests, output, message):
    def scorer(df):
        return output(df)

    rec = ig.Recommender(synth_graph, ranker=scorer)
    u, i = requests[0]
    with pytest.raises(ValueError, match=r"callable .*scorer " + message):
        rec.recommend(u, item=i)
    inviters = [u for u, _ in requests]
    with pytest.raises(ValueError, match=r"callable .*scorer " + message):
        rec.recommend_batch(inviters, [i for _, i in requests], num_threads=2, progress=False)


def test_predict_proba_output_is_checked_with_the_model_class_name(synth_graph, requests):
    class Shy:
        def predict_proba(self, df):
            return np.ones((len(df), 1))  # no column for class 1

    u, i = requests[0]
    with pytest.raises(ValueError, match=r"Shy\.predict_proba returned an array of shape "
                                         r"\(\d+, 1\); expected \(rows, classes\)"):
        ig.Recommender(synth_graph, ranker=Shy()).recommend(u, item=i)


class ModelError(Exception):
    pass


def test_model_exceptions_come_back_unchanged(synth_graph, requests):
    calls = []

    def flaky(df):
        calls.append(len(df))
        raise ModelError(f"cannot score {len(df)} rows")

    rec = ig.Recommender(synth_graph, ranker=flaky)
    u, i = requests[0]
    with pytest.raises(ModelError) as info:
        rec.recommend(u, item=i)
    assert info.value.args == (f"cannot score {calls[0]} rows",)
    assert any("flaky" in note for note in getattr(info.value, "__notes__", []))
    assert info.traceback[-1].name == "flaky"  # the model's own frame is still on the stack
    inviters = np.array([u for u, _ in requests] * 4)
    items = np.array([i for _, i in requests] * 4)
    for threads in (1, 2):
        with pytest.raises(ModelError, match="cannot score"):
            rec.recommend_batch(inviters, items, num_threads=threads, progress=False)
    # The recommender is still usable afterwards.
    assert len(ig.Recommender(synth_graph, ranker=lambda df: df["jaccard"])
               .recommend_batch(inviters, items, num_threads=2, progress=False)) > 0


def test_keeping_the_feature_view_is_an_error(synth_graph, requests):
    kept = []

    def hoarder(df):
        kept.append(df)
        return df["jaccard"].to_numpy(copy=True)

    u, i = requests[0]
    with pytest.raises(ig.Error, match="kept a reference to the feature rows"):
        ig.Recommender(synth_graph, ranker=hoarder).recommend(u, item=i)
    kept.clear()  # never read: its memory belongs to the recommender

    def copier(df):
        kept.append(df.copy())
        return df["jaccard"]

    top = ig.Recommender(synth_graph, ranker=copier).recommend(u, item=i)
    assert len(kept) == 1 and len(top) > 0
    assert list(kept[0].columns) == NAMES and kept[0].to_numpy().flags.owndata is not None


# --------------------------------------------------------------------------------------
# Zero copy, one call per batch, threads.
# --------------------------------------------------------------------------------------
def _root(a: np.ndarray):
    while isinstance(a, np.ndarray) and a.base is not None:
        a = a.base
    return a


def test_models_get_zero_copy_read_only_views(synth_graph, training, requests):
    seen = []

    def inspect_frame(df):
        values = df.to_numpy()
        seen.append({
            "columns": list(df.columns),
            "dtype": values.dtype,
            # One float32 block: every column is a view into the same memory...
            "one_block": all(np.shares_memory(values, df[c].to_numpy()) for c in df.columns),
            # ...which is not a NumPy-owned copy but the C++ feature matrix.
            "owner": type(_root(values)).__name__,
            "writeable": values.flags.writeable,
        })
        return df["jaccard"]

    u, i = requests[0]
    ig.Recommender(synth_graph, ranker=inspect_frame).recommend(u, item=i)
    assert seen == [{"columns": NAMES, "dtype": np.float32, "one_block": True,
                     "owner": "PyCapsule", "writeable": False}]

    class ArrayModel:  # fitted on a plain array: gets the NumPy view itself
        n_features_in_ = len(NAMES)

        def predict(self, x):
            seen.append((type(x).__name__, x.shape[1], x.dtype, x.flags.c_contiguous,
                         x.flags.owndata, x.flags.writeable, type(_root(x)).__name__))
            with pytest.raises(ValueError):
                x[0, 0] = 1.0  # read-only
            return x[:, NAMES.index("jaccard")].copy()

    ig.Recommender(synth_graph, ranker=ArrayModel()).recommend(u, item=i)
    assert seen[1] == ("ndarray", len(NAMES), np.float32, True, False, False, "PyCapsule")


def test_one_model_call_per_request_or_per_stacked_batch(synth_graph, synth_requests):
    inviters, items = synth_requests
    calls = []

    def scorer(df):
        calls.append(len(df))
        return df["tie_strength"] + 0.5 * df["candidate_join_rate"]

    single = ig.Recommender(synth_graph, ranker=scorer, batch_rows=0)
    want = stacked_single_calls(single, inviters, items, 10)
    # recommend: one call per request with candidates, never per candidate.
    sizes = [len(single.features(int(u), item=int(i))) for u, i in zip(inviters, items)]
    assert calls == [n for n in sizes if n > 0]

    calls.clear()
    unstacked = single.recommend_batch(inviters, items, k=10, num_threads=2, progress=False)
    assert_same_rows(unstacked, want)
    assert len(calls) == sum(n > 0 for n in sizes)

    calls.clear()
    stacked = ig.Recommender(synth_graph, ranker=scorer, batch_rows=4096)
    got = stacked.recommend_batch(inviters, items, k=10, num_threads=2, progress=False)
    assert_same_rows(got, want)
    assert sum(calls) == sum(sizes)
    assert len(calls) <= len(inviters) // 10, "rows of many requests go in one call"


@pytest.mark.parametrize("model_name", ["logistic", "gbdt"])
def test_batch_with_threads_equals_single_calls(synth_graph, synth_requests, model_name,
                                                request):
    model = request.getfixturevalue(model_name)
    inviters, items = synth_requests[0][:240], synth_requests[1][:240]
    rec = ig.Recommender(synth_graph, ranker=model)
    want = stacked_single_calls(rec, inviters, items, 8)
    faulthandler.dump_traceback_later(300, exit=True)  # a deadlock fails, not hangs
    try:
        for threads in (1, 2, 4):
            got = rec.recommend_batch(inviters, items, k=8, num_threads=threads,
                                      progress=False)
            assert_same_rows(got, want)
        if model_name == "gbdt":  # trees score each row on its own: stacking is exact
            stacked = ig.Recommender(synth_graph, ranker=model, batch_rows=4096)
            assert_same_rows(stacked.recommend_batch(inviters, items, k=8, num_threads=2,
                                                     progress=False), want)
        # Python threads calling in while C++ threads run.
        with ThreadPoolExecutor(max_workers=3) as pool:
            parts = list(pool.map(
                lambda s: rec.recommend_batch(inviters[s], items[s], k=8, num_threads=2,
                                              progress=False),
                [slice(0, 100), slice(100, 170), slice(170, None)]))
        assert_same_rows(pd.concat(parts, ignore_index=True), want)
    finally:
        faulthandler.cancel_dump_traceback_later()


# --------------------------------------------------------------------------------------
# Reasons.
# --------------------------------------------------------------------------------------
def test_lightgbm_booster_ranks_and_explains_too(synth_graph, gbdt, requests):
    booster = gbdt.booster_
    rec = ig.Recommender(synth_graph, ranker=booster)
    assert rec.ranker_spec == "python(model=Booster,method=predict)"
    base = ig.Recommender(synth_graph)
    check_against_oracle(rec, base, requests, booster.predict)
    u, i = requests[2]
    top = rec.recommend(u, item=i, k=5)
    rows = base.features(u, item=i).set_index("candidate").loc[top["candidate"]]
    contrib = booster.predict(rows, pred_contrib=True)[:, :-1]
    assert top["reasons"].tolist() == [expected_reasons(r, c)
                                       for (_, r), c in zip(rows.iterrows(), contrib)]


def test_lightgbm_reasons_are_its_top_treeshap_contributions(synth_graph, gbdt, requests):
    rec = ig.Recommender(synth_graph, ranker=gbdt)
    base = ig.Recommender(synth_graph)
    with_reasons = checked = 0
    for u, i in requests:
        top = rec.recommend(u, item=i, k=5)
        feats = base.features(u, item=i).set_index("candidate")
        rows = feats.loc[top["candidate"]]
        contrib = gbdt.predict(rows, pred_contrib=True)
        assert contrib.shape == (len(rows), len(NAMES) + 1)  # + bias, dropped
        for (cand, row), c, reasons in zip(rows.iterrows(), contrib[:, :-1], top["reasons"]):
            assert reasons == expected_reasons(row, c), (u, i, cand)
            with_reasons += bool(reasons)
            checked += 1
    assert checked > 100 and with_reasons > checked // 4
    # Batches explain the same way.
    batch = rec.recommend_batch([u for u, _ in requests], [i for _, i in requests], k=5,
                                num_threads=2, progress=False)
    want = stacked_single_calls(rec, [u for u, _ in requests], [i for _, i in requests], 5)
    assert batch["reasons"].tolist() == want["reasons"].tolist()


def test_linear_model_reasons_are_coef_times_x(synth_graph, logistic, requests):
    rec = ig.Recommender(synth_graph, ranker=logistic, max_reasons=4)
    base = ig.Recommender(synth_graph)
    checked = 0
    for u, i in requests[:15]:
        top = rec.recommend(u, item=i, k=5)
        feats = base.features(u, item=i).set_index("candidate")
        for cand, reasons in zip(top["candidate"], top["reasons"]):
            row = feats.loc[cand]
            contrib = logistic.coef_[0] * row[NAMES].to_numpy(dtype=np.float64)
            assert reasons == expected_reasons(row, contrib, 4), (u, i, cand)
            checked += 1
    assert checked > 50


def test_opaque_models_give_reasons_unavailable(synth_graph, training, requests):
    x, y = training
    u, i = requests[0]
    inviters = [v for v, _ in requests]
    items = [j for _, j in requests]

    def opaque(df):
        return df["tie_strength"] + df["candidate_join_rate"]

    # A scikit-learn model with no coef_ is opaque too.
    from sklearn.ensemble import RandomForestClassifier
    forest = RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0).fit(x, y)
    for model in (opaque, forest):
        rec = ig.Recommender(synth_graph, ranker=model)
        top = rec.recommend(u, item=i, k=5)
        assert len(top) == 5 and top["reasons"].tolist() == [UNAVAILABLE] * 5
        batch = rec.recommend_batch(inviters, items, k=3, num_threads=2, progress=False)
        assert batch["reasons"].tolist() == [UNAVAILABLE] * len(batch)
    quiet = ig.Recommender(synth_graph, ranker=opaque, max_reasons=0).recommend(u, item=i)
    assert quiet["reasons"].tolist() == [[]] * len(quiet)
    # The built-in linear ranker still explains itself.
    assert all(r != UNAVAILABLE for r in ig.Recommender(synth_graph).recommend(u, i)["reasons"])
