"""invitegraph.spark in local[2]: every result equals the single machine's on the same data."""
import numpy as np
import pandas as pd
import pytest

import invitegraph as ig

from invitegraph import spark as igs  # PySpark is a test dependency: no skip

# PySpark 4 warns that it does not fully support pandas 3 and calls a deprecated pandas
# keyword inside toPandas; the equality tests below are what tell whether the parts we use
# work.
pytestmark = [
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    s = (SparkSession.builder.master("local[2]").appName("invitegraph-tests")
         .config("spark.ui.enabled", "false")
         .config("spark.ui.showConsoleProgress", "false")
         .config("spark.sql.shuffle.partitions", "4")
         .config("spark.default.parallelism", "2")
         .config("spark.sql.execution.arrow.pyspark.enabled", "true")
         .config("spark.driver.memory", "1g")
         .getOrCreate())
    s.sparkContext.setLogLevel("ERROR")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def world():
    return ig.synth.generate(n_users=400, seed=11, campaigns_per_user=0.3, num_threads=2)


@pytest.fixture(scope="module")
def tables(world):
    t = world.tables()
    # No amount column: optional columns must stay optional on the way through the shards.
    t["purchases"] = t["purchases"].drop(columns=["amount"])
    c = t["campaigns"].copy()
    for col in ("joined", "invited"):
        c[col] = [np.asarray(x, dtype=np.int64).tolist() for x in c[col]]
    t["campaigns"] = c
    return t


@pytest.fixture(scope="module")
def graph(tables):
    return ig.build_graph(**tables, progress=False)


@pytest.fixture(scope="module")
def sdf(spark, tables):
    """The same tables as Spark DataFrames, spread over 3 partitions."""
    out = {}
    for name, df in tables.items():
        df = df.copy()
        if "kind" in df.columns:
            df["kind"] = df["kind"].astype(str)
        out[name] = spark.createDataFrame(df).repartition(3)
    return out


def _sorted(df: pd.DataFrame, keys) -> pd.DataFrame:
    return df.sort_values(keys, kind="stable").reset_index(drop=True)


def test_partial_arcs_of_any_split_merge_to_the_graphs_arcs(tables, graph):
    # Pure core, no Spark: three arbitrary slices of the events, each reduced alone.
    rng = np.random.default_rng(3)
    parts = []
    for name in ("interactions", "friendships", "campaigns"):
        df = tables[name]
        cut = rng.integers(0, 3, len(df))
        for p in range(3):
            b = ig.GraphBuilder()
            getattr(b, f"add_{name}")(df[cut == p])
            cols = b._b.partial_arc_columns(as_of=graph.as_of)
            part = pd.DataFrame(cols["channel_fixed"], columns=ig.channel_names())
            part["src"], part["dst"] = cols["src"], cols["dst"]
            part["min_age_s"] = np.where(cols["min_age_s"] < 0, np.iinfo(np.int64).max,
                                         cols["min_age_s"])
            part["is_friend"] = cols["is_friend"]
            parts.append(part)
    merged = pd.concat(parts).groupby(["src", "dst"], sort=True).agg(
        {**{c: "sum" for c in ig.channel_names()}, "min_age_s": "min", "is_friend": "max"})
    age = merged["min_age_s"].to_numpy()
    done = ig._core.finish_arc_columns(
        ig.GraphConfig(), np.ascontiguousarray(merged[ig.channel_names()].to_numpy(np.int64)),
        np.where(age == np.iinfo(np.int64).max, -1, age).astype(np.int64),
        merged["is_friend"].to_numpy(np.uint8))
    arcs = _sorted(graph.arcs(), ["src", "dst"])
    assert len(merged) == len(arcs)
    np.testing.assert_array_equal(merged.index.get_level_values(0), arcs["src"])
    np.testing.assert_array_equal(done["tie_strength"], arcs["tie_strength"])
    np.testing.assert_array_equal(done["days_since_last_interaction"],
                                  arcs["days_since_last_interaction"])
    np.testing.assert_array_equal(done["channel_weight"], arcs[ig.channel_names()].to_numpy())


def test_edges_equal_the_single_machine_arcs(sdf, graph):
    got = igs.edges(sdf["interactions"], sdf["friendships"], sdf["campaigns"],
                    as_of=graph.as_of).toPandas()
    want = graph.arcs()
    assert list(got.columns) == list(want.columns)
    pd.testing.assert_frame_equal(_sorted(got, ["src", "dst"]), _sorted(want, ["src", "dst"]))


def test_edges_do_not_depend_on_partitioning(sdf, graph):
    runs = []
    for parts in (1, 5):
        e = igs.edges(sdf["interactions"].repartition(parts),
                      sdf["friendships"].repartition(parts), sdf["campaigns"],
                      as_of=graph.as_of)
        runs.append(_sorted(e.toPandas(), ["src", "dst"]))
    pd.testing.assert_frame_equal(runs[0], runs[1])
    assert runs[0]["tie_strength"].gt(0).any()


def test_edges_default_as_of_and_config(sdf, tables):
    cfg = ig.GraphConfig(half_life_days=7.0, channel_weights={"chat": 3.0})
    g = ig.build_graph(interactions=tables["interactions"], config=cfg, progress=False)
    got = igs.edges(sdf["interactions"], config=cfg).toPandas()
    pd.testing.assert_frame_equal(_sorted(got, ["src", "dst"]), _sorted(g.arcs(), ["src", "dst"]))


def test_edges_refuse_an_implausible_as_of_on_the_driver(spark, tables):
    # One row in milliseconds moves the tables' latest ts, hence the default as_of: it is
    # refused before any job runs, naming where the value came from.
    inter = tables["interactions"].head(20).copy()
    inter.loc[inter.index[3], "ts"] = int(inter["ts"].max()) * 1000
    df = spark.createDataFrame(inter)
    with pytest.raises(ValueError, match=r"as_of \(the latest ts of the tables\)=\d+000: "
                                         r".*looks like milliseconds"):
        igs.edges(df)
    with pytest.raises(ValueError, match=r"as_of=32503680000"):
        igs.edges(df, as_of=32_503_680_000)


def _requests(graph, n=60, seed=1):
    rng = np.random.default_rng(seed)
    users = np.asarray(graph.user_ids())
    inviters = rng.choice(users, n, replace=False)
    items = rng.integers(0, 50, n)
    items[::4] = -1
    return pd.DataFrame({"inviter": inviters, "item": items})


def _single(rec, req, k):
    return rec.recommend_batch(req["inviter"].to_numpy(), req["item"].to_numpy(), k=k,
                               progress=False)


def _same_suggestions(got: pd.DataFrame, want: pd.DataFrame):
    keys = ["inviter", "item", "rank"]
    got, want = _sorted(got, keys), _sorted(want, keys)
    assert len(got) == len(want) > 0
    for col in ("inviter", "item", "candidate", "rank"):
        np.testing.assert_array_equal(got[col].to_numpy(np.int64), want[col].to_numpy(np.int64))
    for col in ("score", "ranker_score", "join_probability"):
        np.testing.assert_array_equal(got[col].to_numpy(), want[col].to_numpy())
    assert [list(r) for r in got["reasons"]] == [list(r) for r in want["reasons"]]


def test_broadcast_recommend_equals_recommend_batch(spark, graph):
    req = _requests(graph)
    rec = ig.Recommender(graph)
    got = igs.recommend(spark.createDataFrame(req).repartition(3), graph=graph, k=5).toPandas()
    _same_suggestions(got, _single(rec, req, 5))


def test_broadcast_recommend_carries_the_recommenders_state(spark, graph):
    req = _requests(graph, n=20, seed=2)
    req["item"] = req["item"].clip(lower=0)
    rec = ig.Recommender(graph)
    first = _single(rec, req, 3)
    # Every suggested invitee declined: the broadcast copy must see it too.
    out = pd.DataFrame({"inviter": first["inviter"], "invitee": first["candidate"],
                        "item": first["item"], "ts": graph.as_of, "outcome": "declined"})
    rec.record_outcomes(out)
    want = _single(rec, req, 3)
    got = igs.recommend(spark.createDataFrame(req), recommender=rec, k=3).toPandas()
    _same_suggestions(got, want)
    assert not _sorted(want, ["inviter", "rank"])["candidate"].equals(
        _sorted(first, ["inviter", "rank"])["candidate"])


def test_shard_recommend_equals_the_whole_graph(spark, sdf, graph):
    req = _requests(graph, n=80, seed=4)
    rec = ig.Recommender(graph, max_two_hop=30)
    got = igs.recommend(spark.createDataFrame(req), events=sdf, shards=3, k=6,
                        max_two_hop=30).toPandas()
    _same_suggestions(got, _single(rec, req, 6))


def test_shard_recommend_with_a_fitted_ranker_and_a_policy(spark, sdf, graph, world):
    ranker = ig.fit_ranker(graph, _history(world), progress=False)
    users = np.asarray(graph.user_ids())
    policy = ig.Policy(new_user_boost=0.5, exclude=users[::7].tolist())
    req = _requests(graph, n=40, seed=6)
    rec = ig.Recommender(graph, ranker=ranker, policy=policy)
    got = igs.recommend(spark.createDataFrame(req), events=sdf, shards=2, k=5, ranker=ranker,
                        policy=policy).toPandas()
    _same_suggestions(got, _single(rec, req, 5))
    assert not got["candidate"].isin(users[::7]).any()
    with pytest.raises(ValueError, match="diversity"):
        igs.recommend(spark.createDataFrame(req), events=sdf, policy=ig.Policy(diversity=0.5))


def test_shard_recommend_skips_unknown_inviters(spark, sdf, graph):
    known = int(graph.user_ids()[0])
    req = pd.DataFrame({"inviter": [known, 10**12], "item": [1, 1]})
    got = igs.recommend(spark.createDataFrame(req), events=sdf, shards=2, k=3).toPandas()
    assert set(got["inviter"]) == {known}
    got = igs.recommend(spark.createDataFrame(req), graph=graph, k=3).toPandas()
    assert set(got["inviter"]) == {known}
    # unknown_inviters="raise" fails the job, naming the inviter, in both modes.
    for mode in (dict(graph=graph), dict(events=sdf, shards=2)):
        with pytest.raises(Exception, match="inviter 1000000000000 is not in the graph"):
            igs.recommend(spark.createDataFrame(req), k=3, unknown_inviters="raise",
                          **mode).toPandas()
    with pytest.raises(ValueError, match="unknown_inviters='ignore'"):
        igs.recommend(spark.createDataFrame(req), graph=graph, unknown_inviters="ignore")


def test_recommend_needs_exactly_one_mode(spark, sdf, graph):
    req = spark.createDataFrame(pd.DataFrame({"inviter": [1]}))
    with pytest.raises(ValueError, match="exactly one"):
        igs.recommend(req, graph=graph, events=sdf)
    with pytest.raises(ValueError, match="exactly one"):
        igs.recommend(req)
    with pytest.raises(ValueError, match="shard mode"):
        igs.recommend(req, graph=graph, shards=3)


def _history(world):
    h = world.campaigns[["inviter", "item", "category", "ts", "invited", "joined"]].copy()
    for col in ("joined", "invited"):
        h[col] = [np.asarray(x, dtype=np.int64).tolist() for x in h[col]]
    return h.iloc[:120].reset_index(drop=True)


def _same_training(got: pd.DataFrame, want: pd.DataFrame):
    keys = ["record", "candidate"]
    got, want = _sorted(got, keys), _sorted(want, keys)
    assert len(got) == len(want) > 0
    assert list(got.columns) == list(want.columns)
    for col in want.columns:
        np.testing.assert_array_equal(got[col].to_numpy(), want[col].to_numpy(), err_msg=col)


def test_training_set_by_time_equals_the_single_machine(spark, sdf, graph, world):
    h = _history(world)
    want = ig.training_set(graph, h, progress=False).frame
    hs = spark.createDataFrame(h.assign(record=np.arange(len(h))))
    got = igs.training_set(hs, events=sdf, shards=3).toPandas()
    _same_training(got, want)
    assert want["label"].sum() > 0


def test_training_set_by_fold_equals_the_single_machine(spark, sdf, graph, world):
    h = _history(world).drop(columns=["ts"])
    want = ig.training_set(graph, h, folds=4, seed=9, progress=False).frame
    hs = spark.createDataFrame(h.assign(record=np.arange(len(h))))
    got = igs.training_set(hs, events=sdf, folds=4, seed=9).toPandas()
    _same_training(got, want)
    with pytest.raises(ValueError, match="must equal folds"):
        igs.training_set(hs, events=sdf, folds=4, shards=3)


def test_dropping_uninvited_candidates_warns_on_the_driver(spark, sdf, world):
    import warnings

    hs = spark.createDataFrame(_history(world).assign(record=np.arange(120)))
    with pytest.warns(ig.TrainingWarning, match="uninvited_weight=0 with an 'invited'"):
        igs.training_set(hs, events=sdf, shards=2, uninvited_weight=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ig.TrainingWarning)
        igs.training_set(hs, events=sdf, shards=2)  # the default keeps them: silent


def test_fit_ranker_in_spark_fits_the_same_model(spark, sdf, graph, world):
    h = _history(world)
    one = ig.fit_ranker(graph, h, progress=False)
    hs = spark.createDataFrame(h.assign(record=np.arange(len(h))))
    many = igs.fit_ranker(hs, events=sdf, shards=2)
    assert many.training_report["rows"] == one.training_report["rows"]
    x = ig.training_set(graph, h, progress=False).X.to_numpy()
    np.testing.assert_allclose(many.score(x), one.score(x), rtol=1e-5, atol=1e-6)


@pytest.fixture(scope="module")
def trap(spark):
    """A world whose purchase log holds every participation, as Spark tables."""
    w = ig.synth.generate(n_users=400, seed=11, campaigns_per_user=0.3, num_threads=2,
                          participations_in_purchases=True)
    t = w.tables()
    sdf = {}
    for name, df in t.items():
        df = df.copy()
        if "kind" in df.columns:
            df["kind"] = df["kind"].astype(str)
        for col in ("joined", "invited"):
            if col in df.columns:
                df[col] = [np.asarray(x, dtype=np.int64).tolist() for x in df[col]]
        sdf[name] = spark.createDataFrame(df).repartition(3)
    return w, t, sdf


@pytest.mark.parametrize("window", [3.0, -1.0], ids=["guard", "no guard"])
def test_the_participation_guard_holds_in_spark(spark, trap, window):
    w, tables, sdf = trap
    config = ig.GraphConfig(participation_window_days=window)
    g = ig.build_graph(**tables, config=config, progress=False)
    h = _history(w).drop(columns=["ts"])
    one = ig.training_set(g, h, folds=4, progress=False)
    hs = spark.createDataFrame(h.assign(record=np.arange(len(h))))
    got = igs.training_set(hs, events=sdf, folds=4, config=config).toPandas()
    _same_training(got, one.frame)
    bought = got.loc[got["label"] == 1, "candidate_bought_item"].mean()
    ranker = igs.fit_ranker(hs, events=sdf, folds=4, config=config)
    matched = ranker.training_report["purchases_matched"]
    if window < 0:
        assert bought > 0.99  # every joiner "bought" the item: the leak
        assert one.report["purchases_matched"] == 0 and matched == 0
    else:
        assert bought < 0.5
        assert one.report["purchases_matched"] > 0
        # Summed over the four shards' graphs (a row several hold counts in each).
        assert matched > 0
    with pytest.raises(TypeError, match="purchases_matched: expected a pyspark Accumulator"):
        igs.training_set(hs, events=sdf, folds=4, purchases_matched=0)
