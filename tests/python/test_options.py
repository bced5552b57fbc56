"""Every option is declared once, in C++, and serving and training share the scoring
options: the bound options classes, the keyword APIs mapped onto them, and the drift
that once kept ``attribute_features`` out of training rows (issue 19)."""
import copy
import inspect
import pickle

import numpy as np
import pandas as pd
import pytest

import invitegraph as ig
from invitegraph import _core
from invitegraph._training import training_options

# Every options struct bound from C++ (bindings/options_bindings.cc).
OPTION_CLASSES = [_core.TimeLimits, _core.CandidateOptions, _core.FeedbackConfig,
                  _core.AttributeFeatureOptions, _core.ScoringOptions, _core.Policy,
                  _core.RecommenderConfig, _core.TrainingOptions, _core.GraphConfig,
                  _core.AbuseOptions]

# One bad value per class, and the field its error must name.
BAD = {
    "TimeLimits": ("earliest", -1),
    "CandidateOptions": ("max_two_hop", -1),
    "FeedbackConfig": ("accept_prior_mean", 1.5),
    "ScoringOptions": ("feedback", {"fatigue_half_life_days": 0.0}),
    "Policy": ("diversity", 2.0),
    "RecommenderConfig": ("max_reasons", -1),
    "TrainingOptions": ("folds", 1),
    "GraphConfig": ("half_life_days", 0.0),
    "AbuseOptions": ("min_ring_size", 2),
}


def _leaves(cls):
    """(member, field) of every leaf of an options class, nested members expanded."""
    out = []
    default = cls()
    for name in cls._fields:
        sub = type(getattr(default, name))
        if hasattr(sub, "_fields"):
            out += [(name, f) for f in sub._fields]
        else:
            out.append((None, name))
    return out


@pytest.mark.parametrize("cls", OPTION_CLASSES, ids=lambda c: c.__name__)
def test_bound_options_class_round_trips(cls):
    o = cls()
    assert o == cls() and o.validate() is None
    assert repr(o).startswith(f"{cls.__name__}(")
    for f in cls._fields:
        assert f"{f}=" in repr(o)
        assert cls.__dict__[f].__doc__, f"{cls.__name__}.{f} has no docstring"
    assert pickle.loads(pickle.dumps(o)) == o
    assert copy.copy(o) == o and copy.deepcopy(o) == o
    # The generated signature (what the stub generator reads) gives every field with
    # the default of a default-constructed C++ struct.
    sig = cls.__init__.__doc__.splitlines()[0]
    for f in cls._fields:
        assert f" {f}: " in sig, (f, sig)
    with pytest.raises(ig.ArgumentTypeError, match="unknown keyword 'no_such_option'"):
        cls(no_such_option=1)
    with pytest.raises(TypeError):
        cls(1)  # keyword-only


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_values_are_refused_naming_the_field(name):
    cls = getattr(_core, name)
    field, value = BAD[name]
    with pytest.raises(ig.InvalidArgumentError, match=field if name != "ScoringOptions"
                       else "fatigue_half_life_days"):
        cls(**{field: value})
    # Set after construction: accepted as C++ accepts it, refused by validate().
    o = cls()
    if isinstance(value, dict):
        return
    setattr(o, field, value)
    assert o != cls()
    with pytest.raises(ig.InvalidArgumentError, match=field):
        o.validate()


def test_changed_options_differ_and_pickle_with_their_values():
    s = ig.ScoringOptions(candidates={"max_two_hop": 7},
                          attribute_features={"category_tags": {3: "skincare"}})
    assert s.candidates.max_two_hop == 7
    assert s.attribute_features.category_tags == {3: ["skincare"]}
    assert s != ig.ScoringOptions()
    back = pickle.loads(pickle.dumps(s))
    assert back == s and back.candidates.max_two_hop == 7
    s.candidates.max_two_hop = 9  # nested members edit in place
    assert s.candidates.max_two_hop == 9
    with pytest.raises(ig.InvalidArgumentError, match="max_two_hop=2.5"):
        ig.CandidateOptions(max_two_hop=2.5)
    with pytest.raises(ig.ArgumentTypeError, match="accept_prior_mean"):
        ig.FeedbackConfig(accept_prior_mean="0.3")


def test_old_positional_pickles_still_load():
    limits = ig.TimeLimits(now=5)
    state = (0, 3600, 86400, 5)
    back = ig.TimeLimits.__new__(ig.TimeLimits)
    back.__setstate__(state)
    assert back == ig.TimeLimits(max_future_seconds=3600, max_ends_at_future_seconds=86400,
                                 now=5) != limits
    config = ig.GraphConfig.__new__(ig.GraphConfig)
    config.__setstate__((7.0, {"chat": 3.0}, 1.0, 30.0, 0.1, 10.0, 0))  # before dedupe
    assert config == ig.GraphConfig(half_life_days=7.0, channel_weights={"chat": 3.0})


# --------------------------------------------------------------------------------------
# No Python signature restates a C++ default.
# --------------------------------------------------------------------------------------
def _option_names():
    names = set()
    for cls in OPTION_CLASSES:
        names.update(cls._fields)
        names.update(f for _, f in _leaves(cls))
    return names


# Python callables that take options as keywords. fit_ranker's seed/num_threads are
# also the fit's (C++ FitOptions, not bound as a struct yet), so it is not listed.
KEYWORD_APIS = [ig.Recommender.__init__, ig.training_set, ig.Policy.__init__,
                ig.detect_abuse, ig.build_graph]


@pytest.mark.parametrize("fn", KEYWORD_APIS, ids=lambda f: f.__qualname__)
def test_option_keywords_default_to_none(fn):
    """A keyword naming an option defaults to None ("the struct's default"): the default
    lives in the C++ struct only, so the two cannot drift apart."""
    names = _option_names() | {"urgency_window"}
    checked = 0
    for p in inspect.signature(fn).parameters.values():
        if p.name in names and p.default is not inspect.Parameter.empty:
            assert p.default is None, f"{fn.__qualname__}({p.name}={p.default!r})"
            checked += 1
    assert checked or fn is ig.detect_abuse or fn is ig.build_graph


def test_none_keywords_mean_the_struct_defaults(graph_and_history):
    g, history, _ = graph_and_history
    rec = ig.Recommender(g)
    assert rec.scoring == ig.ScoringOptions()
    assert rec.config == ig.RecommenderConfig()
    assert training_options() == ig.TrainingOptions()
    p = ig.Policy()
    assert p._p == _core.Policy()


# --------------------------------------------------------------------------------------
# Serving and training share every scoring option.
# --------------------------------------------------------------------------------------
T0 = 1_700_000_000
CATEGORY = 3

# A value for every leaf of ScoringOptions that changes the rows of the world below. A
# field added to ScoringOptions in C++ fails test_every_scoring_option_is_covered until
# it gets one here; then the test below proves it reaches training.
CHANGED = {
    "include_two_hop": False,
    "max_two_hop": 2,
    "hub_degree_cap": 3,
    "expansion_budget": 6,
    "accept_prior_mean": 0.6,
    "accept_prior_strength": 1.0,
    "fatigue_half_life_days": 0.5,
    "region": "region_alt",
    "age_band": "age_band_alt",
    "tags": "tags_alt",
    "category_tags": {CATEGORY: ["a", "b"]},
}


@pytest.fixture(scope="module")
def graph_and_history():
    rng = np.random.default_rng(19)
    users = np.arange(1, 81)
    src, dst = rng.choice(users, 320), rng.choice(users, 320)
    keep = src != dst
    friendships = pd.DataFrame({"src": src[keep], "dst": dst[keep]})
    tags = ["a", "b", "c", "d"]

    def pick(values):
        return [values[i] for i in rng.integers(len(values), size=len(users))]

    profiles = pd.DataFrame({
        "user": users, "region": pick(["n", "s"]), "region_alt": pick(["e", "w", "x"]),
        "age_band": pick(["18-24", "25-30"]), "age_band_alt": pick(["young", "old"]),
        "tags": [[t for t in tags if rng.random() < 0.4] for _ in users],
        "tags_alt": [[t for t in tags if rng.random() < 0.6] for _ in users]})
    g = ig.build_graph(friendships=friendships, profiles=profiles, as_of=T0,
                       progress=False)
    inviters = users[:12]
    history = pd.DataFrame({"inviter": inviters, "item": [5] * len(inviters),
                            "category": [CATEGORY] * len(inviters),
                            "joined": [[int(u)] for u in users[40:52]]})
    # Outcomes of another item (no history pair hides them): accept rates and fatigue.
    invitee = rng.choice(users, 120)
    outcomes = pd.DataFrame({
        "inviter": rng.choice(users, 120), "invitee": invitee, "item": 99,
        "ts": T0 - rng.integers(3600, 20 * 86400, 120),
        "outcome": rng.choice(["sent", "sent", "accepted", "declined"], 120)})
    outcomes = outcomes[outcomes["inviter"] != outcomes["invitee"]].reset_index(drop=True)
    return g, history, outcomes


def _serving_rows(rec, history):
    frames = []
    for r, (inviter, item, category) in enumerate(
            history[["inviter", "item", "category"]].itertuples(index=False)):
        f = rec.features(int(inviter), item=int(item), category=int(category))
        f.insert(0, "record", r)
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


def _training_rows(g, history, outcomes, **options):
    t = ig.training_set(g, history, outcomes=outcomes, progress=False, **options)
    return t.frame[["record", "candidate", *ig.feature_names()]]


def test_every_scoring_option_is_covered():
    leaves = {f for _, f in _leaves(ig.ScoringOptions)}
    assert leaves == set(CHANGED), "give each ScoringOptions field a changed value"


@pytest.mark.parametrize("member,field", _leaves(ig.ScoringOptions),
                         ids=lambda x: str(x))
def test_every_scoring_option_set_on_a_recommender_reaches_training(
        graph_and_history, member, field):
    g, history, outcomes = graph_and_history
    scoring = ig.ScoringOptions(**{member: {field: CHANGED[field]}})
    rec = ig.Recommender(g, scoring=scoring)
    rec.record_outcomes(outcomes)
    serving = _serving_rows(rec, history)
    plain = ig.Recommender(g)
    plain.record_outcomes(outcomes)
    # The value changes what is served (so the comparison below can fail) ...
    assert not serving.equals(_serving_rows(plain, history)), field
    # ... and training rows built from the recommender's options are exactly its rows,
    # given as the object, through evaluate()'s plumbing, or as the flat keyword.
    for options in ({"scoring": rec.scoring}, rec.candidate_options,
                    {member if member == "attribute_features" else field:
                     {field: CHANGED[field]} if member == "attribute_features"
                     else CHANGED[field]}):
        rows = _training_rows(g, history, outcomes, **options)
        pd.testing.assert_frame_equal(rows.reset_index(drop=True), serving,
                                      check_dtype=False)


def test_flat_keywords_apply_on_top_of_scoring(graph_and_history):
    g, _, _ = graph_and_history
    base = ig.ScoringOptions(candidates={"max_two_hop": 4},
                             attribute_features={"tags": "tags_alt"})
    rec = ig.Recommender(g, scoring=base, hub_degree_cap=7,
                         attribute_features={"region": "region_alt"})
    s = rec.scoring
    assert (s.candidates.max_two_hop, s.candidates.hub_degree_cap) == (4, 7)
    assert (s.attribute_features.tags, s.attribute_features.region) == ("tags_alt",
                                                                        "region_alt")
    assert base.candidates.hub_degree_cap == ig.CandidateOptions().hub_degree_cap
    opts = training_options(ig.TrainingOptions(folds=4), scoring=base, max_two_hop=3)
    assert (opts.folds, opts.scoring.candidates.max_two_hop) == (4, 3)
    assert opts.scoring.attribute_features.tags == "tags_alt"
    with pytest.raises(ig.ArgumentTypeError, match="unknown scoring option"):
        training_options(max_to_hop=3)
    with pytest.raises(ig.ArgumentTypeError, match="scoring"):
        ig.Recommender(g, scoring={"candidates": {}})


def test_recommender_pickles_with_its_scoring(graph_and_history):
    g, history, _ = graph_and_history
    rec = ig.Recommender(g, scoring=ig.ScoringOptions(candidates={"max_two_hop": 2}),
                         max_reasons=1)
    back = pickle.loads(pickle.dumps(rec))
    assert back.scoring == rec.scoring and back.config == rec.config
    pd.testing.assert_frame_equal(_serving_rows(back, history), _serving_rows(rec, history))
