"""invitegraph: whom should a shopper invite to a team-up, group-buy or help-me campaign?

    import invitegraph as ig
    g = ig.build_graph(friendships=df_f, interactions=df_i, purchases=df_p)
    rec = ig.Recommender(g)
    rec.recommend(inviter=123, item=42, k=10)
    rec.record_outcomes(df_outcomes)   # inviter, invitee, item, ts, outcome
"""
from . import synth
from ._abuse import AbuseOptions, AbuseReport, detect_abuse
from ._core import (Audience, Error, channel_names, feature_names, linear_weights, outcome_names,
                    ranker_names)
from ._fit import Ranker, fit_ranker_arrays, load_ranker, make_ranker, ranker_from_json
from ._frames import (GraphBuilder, GraphConfig, Recommender, SocialGraph, build_graph,
                      history_from_outcomes)
from ._policy import Campaign, Policy
from ._training import (TrainingSet, TrainingWarning, fit_ranker, training_frame,
                        training_set)
from . import datasets, evaluation
from .evaluation import EvaluationReport, evaluate, split_campaigns

__version__ = "0.1.0"

__all__ = [
    "AbuseOptions",
    "AbuseReport",
    "Audience",
    "Campaign",
    "Error",
    "EvaluationReport",
    "GraphBuilder",
    "GraphConfig",
    "Policy",
    "Ranker",
    "Recommender",
    "SocialGraph",
    "TrainingSet",
    "TrainingWarning",
    "build_graph",
    "channel_names",
    "feature_names",
    "datasets",
    "detect_abuse",
    "evaluate",
    "evaluation",
    "fit_ranker",
    "fit_ranker_arrays",
    "history_from_outcomes",
    "linear_weights",
    "load_ranker",
    "make_ranker",
    "outcome_names",
    "ranker_from_json",
    "ranker_names",
    "split_campaigns",
    "synth",
    "training_frame",
    "training_set",
]
