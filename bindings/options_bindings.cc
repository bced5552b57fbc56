// Every options struct, bound once from its C++ declaration: each binding is
// the struct's field list (options_class.h), and every default comes from a
// default-constructed struct. Registered before the modules that take them.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bindings/arguments.h"
#include "bindings/options_class.h"
#include "bindings/status_conversion.h"
#include "invitegraph/abuse.h"
#include "invitegraph/candidates.h"
#include "invitegraph/graph_builder.h"
#include "invitegraph/outcomes.h"
#include "invitegraph/policy.h"
#include "invitegraph/recommender.h"
#include "invitegraph/scoring.h"
#include "invitegraph/time_limits.h"
#include "invitegraph/training.h"

namespace invitegraph::py_bindings {

namespace py = pybind11;

namespace {

// {category: [tags]}; a single string is one tag. Categories are exact
// integers >= 0.
std::map<CategoryId, std::vector<std::string>> CategoryTags(
    py::handle v, const std::string& name) {
  if (!py::isinstance<py::dict>(v)) {
    options_detail::WrongType(v, name, "dict[int, list[str]]");
  }
  std::map<CategoryId, std::vector<std::string>> out;
  for (const auto& [c, tags] : py::reinterpret_borrow<py::dict>(v)) {
    const auto key = static_cast<CategoryId>(
        ExactInt(c, absl::StrCat(name, " key"), 0, kInt32Max));
    std::vector<std::string>& list = out[key];
    if (py::isinstance<py::str>(tags)) {
      list.push_back(tags.cast<std::string>());
      continue;
    }
    const std::string at = absl::StrCat(name, "[", key, "]");
    if (!py::isinstance<py::iterable>(tags)) {
      options_detail::WrongType(tags, at, "list[str]");
    }
    for (py::handle t : tags) {
      if (!py::isinstance<py::str>(t)) {
        options_detail::WrongType(t, at, "str");
      }
      list.push_back(t.cast<std::string>());
    }
  }
  return out;
}

// (window_seconds, max) pairs; a count of 2.7 is refused, not cut.
std::vector<InviteCap> Caps(py::handle v, const std::string& name) {
  std::vector<InviteCap> out;
  size_t i = 0;
  for (py::handle cap : v) {
    const std::string at = absl::StrCat(name, "[", i++, "]");
    if (!py::isinstance<py::sequence>(cap) || py::len(cap) != 2) {
      Raise(ErrorClass::kArgumentType,
            absl::StrCat(at, ": expected a (window_seconds, max) pair"));
    }
    const py::sequence pair = py::reinterpret_borrow<py::sequence>(cap);
    out.push_back({ExactInt(pair[0], absl::StrCat(at, ".window_seconds"), 1),
                   ExactInt(pair[1], absl::StrCat(at, ".max"), 0, kInt32Max)});
  }
  return out;
}

void BindTimeLimits(py::module_& m) {
  OptionsClass<TimeLimits>(m, "TimeLimits", R"pbdoc(
Which times are plausible (unix seconds): earliest <= ts <= now + max_future_seconds,
where ``now`` is the wall clock unless set. Anything else raises ``ValueError`` naming
field, row and value, the bound as a date, and, for values in milliseconds (micro-,
nanoseconds), how to convert them. Give it to ``GraphConfig(time_limits=...)`` (event
tables, ``as_of``, updates, training history) and ``Recommender(time_limits=...)``
(outcomes, reservations, ``Campaign.ends_at`` and the feedback clock, which never runs
ahead of ``now``).)pbdoc")
      .Field("earliest", &TimeLimits::earliest,
             "The earliest accepted time (>= 0; 0 is 1970-01-01).")
      .Field("max_future_seconds", &TimeLimits::max_future_seconds,
             "How far after ``now`` an event, outcome or ``as_of`` may be: "
             "clock skew between the machines that stamp events (>= 0).")
      .Field("max_ends_at_future_seconds",
             &TimeLimits::max_ends_at_future_seconds,
             "How far after ``now`` a campaign's ``ends_at`` may be (>= 0).")
      .Field("now", &TimeLimits::now,
             "\"Now\" in unix seconds; None reads the wall clock at each "
             "check. Set it in tests and when replaying a past period (to the "
             "period's end).")
      .LegacyPickle({"earliest", "max_future_seconds",
                     "max_ends_at_future_seconds", "now"})
      .Done()
      .def("current_now", &TimeLimits::Now,
           "``now``, or the wall clock when it is None.");
}

void BindScoring(py::module_& m) {
  OptionsClass<CandidateOptions>(m, "CandidateOptions", R"pbdoc(
Who may be invited: the inviter's contacts and, optionally, friends of friends
(C++ ``CandidateOptions``, candidates.h).)pbdoc")
      .Field("include_two_hop", &CandidateOptions::include_two_hop,
             "Consider friends of friends as well as direct contacts.")
      .Field("max_two_hop", &CandidateOptions::max_two_hop,
             "2-hop candidates kept per request, best Adamic-Adar first "
             "(>= 0).")
      .Field("hub_degree_cap", &CandidateOptions::hub_degree_cap,
             "Contacts with more contacts than this are not expanded for "
             "2-hop candidates (>= 0).")
      .Field("expansion_budget", &CandidateOptions::expansion_budget,
             "The most neighbour entries the 2-hop expansion reads per "
             "request (>= 0; 0: no limit): strongest ties are expanded first, "
             "the rest are left out like hubs (every row's counts stay "
             "exact).")
      .Done();

  OptionsClass<FeedbackConfig>(m, "FeedbackConfig", R"pbdoc(
Priors and decay of recorded invite outcomes, behind the features
``candidate_accept_rate`` and ``candidate_fatigue`` (C++ ``FeedbackConfig``,
outcomes.h).)pbdoc")
      .Field("accept_prior_mean", &FeedbackConfig::accept_prior_mean,
             "Mean of each invitee's Beta prior accept rate, in [0, 1].")
      .Field("accept_prior_strength", &FeedbackConfig::accept_prior_strength,
             "Strength of that prior in pseudo-invites (finite, > 0).")
      .Field("fatigue_half_life_days", &FeedbackConfig::fatigue_half_life_days,
             "Each received invite's weight in ``candidate_fatigue`` halves "
             "every this many days (finite, > 0).")
      .Done();

  OptionsClass<AttributeFeatureOptions>(m, "AttributeFeatureOptions", R"pbdoc(
The profile columns behind the attribute features ``same_region``,
``same_age_band``, ``tag_overlap`` and ``category_tag_match``. Columns the graph
lacks give 0; a column of the wrong type raises when a Recommender is made.)pbdoc")
      .Field("region", &AttributeFeatureOptions::region,
             "Category column for ``same_region``.")
      .Field("age_band", &AttributeFeatureOptions::age_band,
             "Category column for ``same_age_band``.")
      .Field("tags", &AttributeFeatureOptions::tags,
             "Tags column for ``tag_overlap`` and ``category_tag_match``.")
      .Custom(
          "category_tags",
          [](const AttributeFeatureOptions& o) { return o.category_tags; },
          [](AttributeFeatureOptions& o, py::handle v) {
            o.category_tags = CategoryTags(v, "category_tags");
          },
          "dict[int, list[str]]",
          "``{item category: [tags]}`` for ``category_tag_match``: the share "
          "of the campaign category's tags the candidate has.")
      .Done();

  OptionsClass<ScoringOptions>(m, "ScoringOptions", R"pbdoc(
The options that decide a request's candidate rows and their features, shared by
serving and training by construction: ``Recommender(g, scoring=s)`` and
``training_set(g, history, scoring=s)`` compute the same rows, and a setting added
here reaches both (C++ ``ScoringOptions``, scoring.h). Nested options may be given
as instances or as dicts of their keywords.)pbdoc")
      .Field("candidates", &ScoringOptions::candidates,
             "Candidate generation (CandidateOptions).")
      .Field("feedback", &ScoringOptions::feedback,
             "Priors and decay of recorded outcomes (FeedbackConfig).")
      .Field("attribute_features", &ScoringOptions::attribute_features,
             "Profile columns of the attribute features "
             "(AttributeFeatureOptions).")
      .Done();
}

void BindPolicy(py::module_& m) {
  OptionsClass<Policy>(m, "Policy", R"pbdoc(
Filters and score adjustments run before the top-k cut (see invitegraph.Policy for
the documented semantics; C++ ``Policy``, policy.h). Caps are (window_seconds, max)
pairs.)pbdoc")
      .Custom(
          "exclude", [](const Policy& p) { return p.exclude; },
          [](Policy& p, py::handle v) {
            const auto ex = ExactInts(v, "exclude");
            p.exclude.assign(ex.data(), ex.data() + ex.size());
          },
          "list[int]", "Never suggested (opt-outs).")
      .Field("blocked_pairs", &Policy::blocked_pairs,
             "(inviter, candidate): that inviter is never shown that "
             "candidate.")
      .Custom(
          "max_invites_per_recipient",
          [](const Policy& p) {
            std::vector<std::pair<int64_t, int64_t>> out;
            for (const InviteCap& c : p.max_invites_per_recipient)
              out.emplace_back(c.window_seconds, c.max);
            return out;
          },
          [](Policy& p, py::handle v) {
            p.max_invites_per_recipient = Caps(v, "max_invites_per_recipient");
          },
          "list[tuple[int, int]]",
          "(window_seconds, max): at most max recorded sends per recipient in "
          "any window of window_seconds.")
      .Field("new_user_boost", &Policy::new_user_boost,
             "Added to the score of new candidates (finite).")
      .Field("active_user_boost", &Policy::active_user_boost,
             "Added to the score of candidates active in the last 7 days "
             "(finite).")
      .Field("fatigue_penalty", &Policy::fatigue_penalty,
             "fatigue_penalty * log1p(candidate_fatigue) is subtracted "
             "(finite, >= 0).")
      .Field("diversity", &Policy::diversity,
             "In [0, 1]; 0: plain score order, 1: one candidate per community "
             "first.")
      .Field("urgency_window_seconds", &Policy::urgency_window_seconds,
             "Urgency grows from 0 to 1 over this time before a campaign's end "
             "(> 0).")
      .Field("urgency_two_hop_factor", &Policy::urgency_two_hop_factor,
             "How far the 2-hop pool widens at full urgency (>= 1).")
      .Field("urgency_raises_k", &Policy::urgency_raises_k,
             "Whether urgency may raise k towards what the team still needs.")
      .Field("exclude_suspicion_above", &Policy::exclude_suspicion_above,
             "Candidates with suspicion above this are dropped (1: never).")
      .Field("penalize_suspicion_above", &Policy::penalize_suspicion_above,
             "Candidates with suspicion above this lose suspicion_penalty * "
             "suspicion.")
      .Field("suspicion_penalty", &Policy::suspicion_penalty,
             "See penalize_suspicion_above (finite, >= 0).")
      .Field("suspicious_tie_discount", &Policy::suspicious_tie_discount,
             "In [0, 1]: scales the inviter-candidate arc's tie features by 1 "
             "- t * (the arc's suspicion).")
      .Done();
}

void BindRecommenderConfig(py::module_& m) {
  OptionsClass<RecommenderConfig>(m, "RecommenderConfig", R"pbdoc(
A Recommender's configuration (C++ ``RecommenderConfig``, recommender.h):
scoring options shared with training, reasons, policy and time limits.)pbdoc")
      .Field("scoring", &RecommenderConfig::scoring,
             "Candidates, feedback priors and attribute features "
             "(ScoringOptions), as training sets use them.")
      .Field("max_reasons", &RecommenderConfig::max_reasons,
             "Reason codes per suggestion (>= 0); 0: none, not even "
             "reasons_unavailable.")
      .Field("cascade_size", &RecommenderConfig::cascade_size,
             "Candidates per request that get full features, the ranker, the "
             "policy and reasons, the best by a cheap first-stage score "
             "(>= 0); never fewer than k. 0: no cascade, every candidate is "
             "scored.")
      .Field("policy", &RecommenderConfig::policy,
             "Filters and score adjustments (Policy).")
      .Field("time_limits", &RecommenderConfig::time_limits,
             "Plausible times of outcomes, reservations and campaign ends, "
             "and the bound of the feedback clock (TimeLimits).")
      .Field("state", &RecommenderConfig::state,
             "Where recipient state lives: \"memory\" (this process), "
             "\"journal:DIR\" (durable, one process) or "
             "\"redis://HOST:PORT[/DB]\" (shared); options after '?' "
             "(see the state page of the docs).")
      .Done();
}

void BindTrainingOptions(py::module_& m) {
  OptionsClass<TrainingOptions>(m, "TrainingOptions", R"pbdoc(
How training rows are made from campaign history (C++ ``TrainingOptions``,
training.h; see invitegraph.training_set). The recorded outcomes and the progress
callback are arguments of the call, not options.)pbdoc")
      .Field("scoring", &TrainingOptions::scoring,
             "The serving Recommender's ScoringOptions, so the rows are the "
             "ones it scores.")
      .Field("folds", &TrainingOptions::folds,
             "Records without ts: number of folds (>= 2).")
      .Field("as_of_step_days", &TrainingOptions::as_of_step_days,
             "Records with ts: > 0 groups records into steps of this many days "
             "sharing one graph as of the step's start; 0 is exact as-of. In "
             "[0, 1e6].")
      .Field("uninvited_weight", &TrainingOptions::uninvited_weight,
             "Weight of candidates never invited, when ``invited`` is given; "
             "0 drops them (and warns). Finite, >= 0.")
      .Field("seed", &TrainingOptions::seed, "Fold assignment.")
      .Field("num_threads", &TrainingOptions::num_threads,
             "0: all hardware threads; results do not depend on it.", 0)
      .Done();
}

void BindGraphConfig(py::module_& m) {
  OptionsClass<GraphConfig>(m, "GraphConfig", R"pbdoc(
How events become tie strengths and profiles (C++ ``GraphConfig``,
graph_builder.h).)pbdoc")
      .Field("half_life_days", &GraphConfig::half_life_days,
             "Each event's weight halves every this many days before "
             "``as_of`` (finite, > 0).")
      .Field("channel_weights", &GraphConfig::channel_weights,
             "Tie-strength weight per interaction kind; unnamed kinds keep "
             "their defaults (chat 1.0, like 0.3, comment 0.5, share 0.8, "
             "visit 0.2, assist 1.5, team_join 2.0, invite_accepted 2.0).")
      .Field("friendship_weight", &GraphConfig::friendship_weight,
             "Tie strength a declared friendship adds in both directions "
             "(finite, >= 0).")
      .Field("new_user_days", &GraphConfig::new_user_days,
             "Users first seen within this many days of ``as_of`` count as "
             "new (>= 0).")
      .Field("join_rate_prior_mean", &GraphConfig::join_rate_prior_mean,
             "Mean of the Beta prior of the smoothed join rate, in [0, 1].")
      .Field("join_rate_prior_strength", &GraphConfig::join_rate_prior_strength,
             "Strength of that prior in pseudo-exposures (finite, > 0).")
      .Field("num_threads", &GraphConfig::num_threads,
             "Build threads; 0 uses every core.")
      .Custom(
          "dedupe",
          [](const GraphConfig& c) {
            return std::string(DedupeName(c.dedupe));
          },
          [](GraphConfig& c, py::handle v) {
            c.dedupe = ValueOrThrow(ParseDedupe(
                options_detail::FromPython<std::string>(v, "dedupe")));
          },
          "str",
          "\"none\" or \"exact\": how rows without an ``event_id`` are "
          "deduplicated. \"exact\" skips a row equal in every column to one "
          "already applied to its table (within and across batches and "
          "``SocialGraph.update`` calls). Rows with an ``event_id`` are "
          "always keyed by it.")
      .Field("time_limits", &GraphConfig::time_limits,
             "Plausible times of the event tables (checked as each table is "
             "added), of an explicit ``as_of`` and of ``SocialGraph.update``'s "
             "``as_of`` (TimeLimits). Kept by the graph and its snapshots.")
      .Field("participation_window_days",
             &GraphConfig::participation_window_days,
             "A purchase row of a campaign's inviter or joiner, of the "
             "campaign's item, within this many days of the campaign (any "
             "time for a campaign without ts) is that participation: counted "
             "once, through the campaign, and left out with it by training "
             "rebuilds, so it cannot leak the label. At most one row per "
             "participant and campaign. < 0: off. "
             "``stats().purchases_matched`` counts them.")
      // Pickles made before the generic binding: a tuple of the fields, the
      // eighth (dedupe) and ninth (time_limits) absent from older ones.
      .LegacyPickle({"half_life_days", "channel_weights", "friendship_weight",
                     "new_user_days", "join_rate_prior_mean",
                     "join_rate_prior_strength", "num_threads", "dedupe",
                     "time_limits"})
      .Done();
}

void BindAbuseOptions(py::module_& m) {
  OptionsClass<AbuseOptions>(m, "AbuseOptions", R"pbdoc(
Thresholds of abuse detection (see invitegraph.detect_abuse for their meaning;
C++ ``AbuseOptions``, abuse.h).)pbdoc")
      .Field("fresh_days", &AbuseOptions::fresh_days,
             "Accounts younger than this many days are fresh (>= 0).")
      .Field("min_purchase_weight", &AbuseOptions::min_purchase_weight,
             "A decayed purchase weight below this counts as no purchases.")
      .Field("min_reciprocal_assist", &AbuseOptions::min_reciprocal_assist,
             "Decayed assist weight both ways for a reciprocal edge (> 0).")
      .Field("min_ring_size", &AbuseOptions::min_ring_size,
             "Smallest ring (>= 3).")
      .Field("lockstep_window_seconds", &AbuseOptions::lockstep_window_seconds,
             "Two assists of one target this close are in lockstep (> 0).")
      .Field("min_lockstep_targets", &AbuseOptions::min_lockstep_targets,
             "Targets two users must share in lockstep (>= 2).")
      .Field("min_lockstep_group", &AbuseOptions::min_lockstep_group,
             "Smallest lockstep group (>= 2).")
      .Field("max_window_events", &AbuseOptions::max_window_events,
             "Assist events per target paired within one window (>= 2).")
      .Field("balance_prior", &AbuseOptions::balance_prior,
             "Reputation's Beta prior on the share of help given (> 0).")
      .Field("flag_above", &AbuseOptions::flag_above,
             "A user is flagged when suspicion exceeds this, in [0, 1).")
      .Field("num_threads", &AbuseOptions::num_threads,
             "0: all hardware threads (>= 0).")
      .Done();
}

}  // namespace

void InitOptions(py::module_& m) {
  // Nested structs first: a field's type must be bound before its parent.
  BindTimeLimits(m);
  BindScoring(m);
  BindPolicy(m);
  BindRecommenderConfig(m);
  BindTrainingOptions(m);
  BindGraphConfig(m);
  BindAbuseOptions(m);
}

}  // namespace invitegraph::py_bindings
