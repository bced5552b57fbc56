"""Profiles, audiences and attribute features through the Python API, against pandas
oracles: the audience filter is re-evaluated row by row on g.profiles()."""
import pickle

import numpy as np
import pandas as pd
import pytest

import invitegraph as ig

REGIONS = ["north", "south", "east", "west"]
BANDS = ["18-24", "25-30", "31-35"]
TAGS = ["skincare", "baby", "sports", "books"]


@pytest.fixture(scope="module")
def world():
    rng = np.random.default_rng(7)
    n = 120
    users = np.arange(1000, 1000 + n)
    src = rng.choice(users, 500)
    dst = rng.choice(users, 500)
    keep = src != dst
    friendships = pd.DataFrame({"src": src[keep], "dst": dst[keep]})
    region = [None if rng.random() < 0.1 else REGIONS[rng.integers(4)] for _ in range(n)]
    band = pd.Categorical([BANDS[rng.integers(3)] for _ in range(n)], categories=BANDS)
    tags = [[t for t in TAGS if rng.random() < 0.35] for _ in range(n)]
    spend = np.where(rng.random(n) < 0.2, np.nan, rng.integers(0, 100, n).astype(float))
    profiles = pd.DataFrame({"user": users, "region": region, "age_band": band,
                             "tags": tags, "spend": spend})
    g = ig.build_graph(friendships=friendships, profiles=profiles, progress=False)
    return g, profiles


def test_profiles_round_trip_with_inferred_types(world):
    g, profiles = world
    got = g.profiles().set_index("user").loc[profiles["user"]]
    want = profiles.set_index("user")
    assert _strings(got["region"]) == _strings(want["region"])
    assert isinstance(got["region"].dtype, pd.CategoricalDtype)
    assert list(got["age_band"].astype(str)) == list(want["age_band"].astype(str))
    assert [sorted(t) for t in got["tags"]] == [sorted(t) for t in want["tags"]]
    np.testing.assert_array_equal(got["spend"].to_numpy(), want["spend"].to_numpy())
    attrs = g.attributes().set_index("name")
    assert attrs.loc["tags", "type"] == "tags"
    assert attrs.loc["spend", "type"] == "number"
    assert attrs.loc["region", "type"] == "category"
    assert attrs.loc["degree", "builtin"]
    # Only values some user holds, sorted.
    assert attrs.loc["region", "values"] == sorted({r for r in _strings(profiles["region"]) if r})


def _strings(s: pd.Series) -> list:
    return [v if isinstance(v, str) else None for v in s.astype(object)]


def _oracle(expr_fn, prof: pd.DataFrame, inviter: int, candidates) -> list:
    me = prof.loc[inviter]
    return [c for c in candidates if expr_fn(me, prof.loc[c])]


def _has(tags, t):
    return isinstance(tags, list) and t in tags


CASES = [
    ("region == 'north'", lambda u, c: c["region"] == "north"),
    ("region == inviter.region",
     lambda u, c: isinstance(c["region"], str) and c["region"] == u["region"]),
    ("age_band in ['25-30', '31-35'] and 'skincare' in tags and region == inviter.region",
     lambda u, c: c["age_band"] in ("25-30", "31-35") and _has(c["tags"], "skincare")
     and isinstance(c["region"], str) and c["region"] == u["region"]),
    ("not (region == 'south') and spend >= 40",
     lambda u, c: c["region"] != "south" and c["spend"] >= 40),
    ("region != 'south' or 'books' not in inviter.tags",
     lambda u, c: (isinstance(c["region"], str) and c["region"] != "south")
     or not _has(u["tags"], "books")),
    ("spend < inviter.spend or degree >= 10",
     lambda u, c: bool(c["spend"] < u["spend"]) or c["degree"] >= 10),
]


@pytest.mark.parametrize("expr, fn", CASES, ids=[c[0] for c in CASES])
def test_audience_matches_pandas_oracle(world, expr, fn):
    g, _ = world
    rec = ig.Recommender(g, max_two_hop=10_000)
    prof = g.profiles().set_index("user")
    prof["region"] = _strings(prof["region"])
    prof["age_band"] = prof["age_band"].astype(object)
    prof["degree"] = [g.profile(int(u))["degree"] for u in prof.index]
    kept = total = 0
    for inviter in prof.index[::7]:
        everyone = rec.features(int(inviter))["candidate"].tolist()
        some = rec.features(int(inviter), audience=expr)["candidate"].tolist()
        assert some == _oracle(fn, prof, inviter, everyone)
        top = rec.recommend(int(inviter), k=5, campaign=ig.Campaign(audience=expr))
        assert len(top) == min(5, len(some))  # exactly k when k qualify
        assert set(top["candidate"]) <= set(some)
        kept, total = kept + len(some), total + len(everyone)
    assert 0 < kept < total


def test_batch_and_wave_take_one_audience(world):
    g, profiles = world
    rec = ig.Recommender(g)
    expr = "'skincare' in tags"
    inviters = profiles["user"].to_numpy()[:30]
    batch = rec.recommend_batch(inviters, items=None, k=4, audience=expr)
    single = pd.concat([rec.recommend(int(u), k=4, campaign=ig.Campaign(audience=expr))
                        for u in inviters], ignore_index=True)
    assert batch["candidate"].tolist() == single["candidate"].tolist()
    skincare = set(profiles.loc[[("skincare" in t) for t in profiles["tags"]], "user"])
    assert set(batch["candidate"]) <= skincare
    assert rec.audience(expr) is rec.audience(expr)  # compiled once, cached


def test_audience_errors_are_value_errors_naming_the_place(world):
    g, _ = world
    rec = ig.Recommender(g)
    with pytest.raises(ValueError, match=r"unknown attribute 'regoin' at character 1.*"
                                         r"region \(category\)"):
        rec.audience("regoin == 'x'")
    with pytest.raises(ValueError, match=r"'<' cannot compare region \(category\)"):
        rec.recommend(1000, campaign=ig.Campaign(audience="region < 3"))
    with pytest.raises(ValueError, match="'=' is not an operator"):
        rec.audience("region = 'x'")
    with pytest.raises(TypeError, match="audience"):
        ig.Campaign(audience=5)
    assert rec.audience("") is None and rec.audience(None) is None


def test_attribute_features_match_profiles(world):
    g, profiles = world
    rec = ig.Recommender(g, attribute_features={"category_tags": {3: ["skincare", "baby",
                                                                       "nope"]}})
    prof = profiles.set_index("user")
    for inviter in profiles["user"].to_numpy()[:12]:
        f = rec.features(int(inviter), category=3).set_index("candidate")
        me = prof.loc[inviter]
        for c, row in f.iterrows():
            them = prof.loc[c]
            same = isinstance(me["region"], str) and me["region"] == them["region"]
            assert row["same_region"] == float(same)
            assert row["same_age_band"] == float(me["age_band"] == them["age_band"])
            a, b = set(me["tags"]), set(them["tags"])
            assert row["tag_overlap"] == pytest.approx(len(a & b) / len(a | b)
                                                       if a | b else 0.0)
            assert row["category_tag_match"] == pytest.approx(
                len(b & {"skincare", "baby"}) / 3)
    with pytest.raises(ValueError, match="attribute_features.region='spend'"):
        ig.Recommender(g, attribute_features={"region": "spend"})
    with pytest.raises(ValueError, match="unknown key"):
        ig.Recommender(g, attribute_features={"regions": "x"})


def test_bad_profiles_name_column_row_and_value_and_leave_nothing():
    b = ig.GraphBuilder()
    b.add_friendships(pd.DataFrame({"src": [1], "dst": [2]}))
    b.add_profiles(pd.DataFrame({"user": [1], "region": ["n"]}))
    bad = [
        (pd.DataFrame({"user": [1, 2], "region": ["n", 3]}), r"profiles.region\[1\]=3"),
        (pd.DataFrame({"user": [1, 2], "tags": [["a"], ["b", 4]]}),
         r"profiles.tags\[1\].*tags must be strings"),
        (pd.DataFrame({"user": [1, 2], "mix": ["a", ["b"]]}), r"profiles.mix\[1\].*mixes"),
        (pd.DataFrame({"user": [1, 2], "x": [1.0, np.inf]}), r"profiles.x\[1\]=inf"),
        (pd.DataFrame({"user": [1, 1], "x": [1.0, 2.0]}), r"profiles.user\[1\]=1.*row 0"),
        (pd.DataFrame({"user": [1], "degree": [3]}), "built-in"),
        (pd.DataFrame({"user": [1], "region": [5.0]}), r"profiles.region.*category.*number"),
        (pd.DataFrame({"user": [-1], "x": [1.0]}), r"profiles.user\[0\]=-1"),
        (pd.DataFrame({"region": ["n"]}), "missing column 'user'"),
    ]
    for table, pattern in bad:
        before = b.counts()
        with pytest.raises(ValueError, match=pattern):
            b.add_profiles(table)
        assert b.counts() == before
    g = b.build(progress=False)
    assert list(g.profiles().columns) == ["user", "region"]


def test_profiles_survive_snapshots_pickles_update_and_forget(world, tmp_path):
    g, profiles = world
    path = tmp_path / "g.igsnap"
    g.save(path)
    loaded = ig.SocialGraph.load(path)
    pd.testing.assert_frame_equal(loaded.profiles(), g.profiles())
    pd.testing.assert_frame_equal(pickle.loads(pickle.dumps(g)).profiles(), g.profiles())
    u = g.update(profiles=pd.DataFrame({"user": [1000, 5000], "region": ["mars", None],
                                        "vip": [True, False]}))
    p = u.profiles().set_index("user")
    assert p.loc[1000, "region"] == "mars"
    assert p.loc[1001, "region"] == g.profiles().set_index("user").loc[1001, "region"] \
        or pd.isna(p.loc[1001, "region"])
    assert pd.isna(p.loc[5000, "region"]) and p.loc[5000, "vip"] == 0.0
    assert np.isnan(p.loc[1001, "vip"])
    forgotten = u.forget([1000])
    assert "mars" not in forgotten.attributes().set_index("name").loc["region", "values"]
    rec = ig.Recommender(g, attribute_features={"tags": "tags"})
    again = pickle.loads(pickle.dumps(rec))
    assert again.features(1000).equals(rec.features(1000))


def test_training_rows_read_the_serving_attribute_features(world):
    g, profiles = world
    users = profiles["user"].to_numpy()
    history = pd.DataFrame({"inviter": users[:20], "item": [5] * 20, "category": [3] * 20,
                            "joined": [[int(u)] for u in users[20:40]]})
    spec = {"category_tags": {3: ["skincare", "baby"]}}
    rows = ig.training_set(g, history, attribute_features=spec, progress=False).frame
    plain = ig.training_set(g, history, progress=False).frame
    tags = profiles.set_index("user")["tags"]
    want = [len({"skincare", "baby"} & set(tags.loc[c])) / 2 for c in rows["candidate"]]
    np.testing.assert_allclose(rows["category_tag_match"], want, rtol=1e-6)
    assert rows["category_tag_match"].max() > 0
    assert (plain["category_tag_match"] == 0).all()
    # evaluate() trains its rows the way the recommender serves.
    rec = ig.Recommender(g, attribute_features=spec)
    assert rec.scoring.attribute_features == ig.AttributeFeatureOptions(**spec)
    assert rec.candidate_options == {"scoring": rec.scoring}
