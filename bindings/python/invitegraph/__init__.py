"""invitegraph: whom should a shopper invite to a team-up, group-buy or help-me campaign?

Example::

    import invitegraph as ig
    g = ig.build_graph(friendships=df_f, interactions=df_i, purchases=df_p)
    rec = ig.Recommender(g)
    rec.recommend(inviter=123, item=42, k=10)
    rec.record_outcomes(df_outcomes)   # inviter, invitee, item, ts, outcome
"""
from . import synth
from ._abuse import AbuseOptions, AbuseReport, detect_abuse
from ._core import (Audience, channel_names, check_timestamp, feature_names, linear_weights,
                    outcome_names, ranker_names)
from ._errors import (ArgumentTypeError, Error, InvalidArgumentError, NotFoundError,
                      OutOfRangeError, SnapshotError, SnapshotNotFoundError,
                      SnapshotPermissionError)
from ._fit import Ranker, fit_ranker_arrays, load_ranker, make_ranker, ranker_from_json
from ._leakage import LeakageReport, leakage_report
from ._graph import GraphBuilder, GraphConfig, SocialGraph, TimeLimits, build_graph
from ._frames import Recommender, history_from_outcomes
from ._options import (AttributeFeatureOptions, CandidateOptions, FeedbackConfig,
                       RecommenderConfig, ScoringOptions, TrainingOptions)
from ._policy import Campaign, Policy
from ._results import (BatchResult, GraphStats, RecipientFeedback, StagedCounts, WaveReport,
                       WaveResult)
from ._training import (TrainingSet, TrainingWarning, fit_ranker, training_frame,
                        training_set)
from . import datasets, evaluation
from .evaluation import EvaluationReport, evaluate, split_campaigns

__version__ = "0.1.0"

__all__ = [
    "AbuseOptions",
    "AbuseReport",
    "ArgumentTypeError",
    "AttributeFeatureOptions",
    "Audience",
    "BatchResult",
    "Campaign",
    "CandidateOptions",
    "Error",
    "EvaluationReport",
    "FeedbackConfig",
    "GraphBuilder",
    "GraphConfig",
    "GraphStats",
    "InvalidArgumentError",
    "LeakageReport",
    "NotFoundError",
    "OutOfRangeError",
    "Policy",
    "Ranker",
    "RecipientFeedback",
    "Recommender",
    "RecommenderConfig",
    "ScoringOptions",
    "SnapshotError",
    "SnapshotNotFoundError",
    "SnapshotPermissionError",
    "SocialGraph",
    "StagedCounts",
    "TimeLimits",
    "TrainingOptions",
    "TrainingSet",
    "TrainingWarning",
    "WaveReport",
    "WaveResult",
    "build_graph",
    "channel_names",
    "check_timestamp",
    "feature_names",
    "datasets",
    "detect_abuse",
    "evaluate",
    "evaluation",
    "fit_ranker",
    "fit_ranker_arrays",
    "history_from_outcomes",
    "leakage_report",
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
