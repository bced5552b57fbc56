// File: training.h
// Training sets for learned rankers, from campaign history, without leakage.
//
//   // The graph must keep its events: BuildOptions{.keep_events = true}.
//   INVITEGRAPH_ASSIGN_OR_RETURN(TrainingSet t,
//                                BuildTrainingSet(graph, history.view()));
//   INVITEGRAPH_ASSIGN_OR_RETURN(auto ranker, FitRanker(t, {.model =
//   "logistic"}));
//
// One training record is one past campaign: (inviter, item) with who joined,
// and optionally when it started (`ts`) and whom the inviter invited. Its rows
// are the candidates Recommender::Features() returns for (inviter, item) --
// the inviter itself excluded -- labelled 1 if they joined, else 0.
//
// No leakage: a record's features never see its own outcome.
//  * Records with `ts` get features as of (at latest) that time: the graph is
//    rebuilt from the events strictly before a cut (friendships, which carry
//    no time, are all kept), with as_of = the cut. With as_of_step_days > 0
//    (the default: 1), records are grouped into steps of that many days,
//    counted from unix time 0, and a step's records share the graph as of
//    the step's start -- never later than their own ts, at most one step
//    older. With 0 the cut is each record's own ts: exact, but one rebuild
//    per distinct ts: with second-resolution ts 6-11x the CPU time of
//    one-day steps (a 5,000-user synthetic world, CollegeMsg) for a held-out
//    NDCG@10 at most 0.004 higher (docs/training.md, "Training defaults").
//  * Records without `ts` are split into `folds` folds by a seeded hash of
//    (inviter, item); a fold's records get features from the graph rebuilt
//    without every staged campaign of the same (inviter, item) -- without
//    their team_join interactions, the purchases they imply and their
//    exposures, as if those campaigns never happened. A fold may hold several
//    records (hashing modulo `folds`), so a record may lose other records'
//    campaigns too -- never keep its own; with one record per fold this is
//    exact leave-one-out.
//    Rows of the purchases table are kept, except those the graph recognised
//    as participations of a campaign (GraphConfig::participation_window_days:
//    the participant's row of the campaign's item nearest its time): they
//    are that campaign's purchase and go with it, in every rebuild, so a
//    purchase log that holds the participations cannot leak the label.
//    A record that is not one of the graph's campaigns (same inviter and
//    item, and the same ts when the record has one) claims its participants'
//    rows the same way, and its graph -- as-of or leave-record-out -- leaves
//    them out (with its group's other records'). The inviter's row counts
//    too: on Last.fm, whose records are made from the inviter's listen, that
//    costs the clean data up to 0.014 NDCG@10 (docs/training.md); pass
//    participation_window_days = -1 for a log without participations.
//    TrainingReport::purchases_matched counts both.
//  The item catalogue (item -> category) comes from all staged rows: it is
//  catalogue data, not an outcome.
//
// Labels when `invited` is given: joiners are positives, invited non-joiners
// explicit negatives, and candidates never invited are negatives with weight
// uninvited_weight (default 1). Recommend ranks every candidate, invited
// before or not, so the model must see them all. With uninvited_weight = 0
// they are dropped: the model only learns to order the friends inviters
// already chose, and where some joiners came without an invitation (a
// shared link), "never invited" even reads as "joined" -- on such a
// synthetic world NDCG@10 fell from 0.236 to 0.174, below the untrained
// hand-set ranker's 0.205 (docs/training.md, "Training defaults"); the report
// then carries a warning. Joiners that are not among the candidates cannot be
// ranked at all; they are counted in the report, never silently dropped.
//
// Warnings (TrainingReport::warnings; Python raises each as an
// invitegraph.TrainingWarning) say when the data makes a setting unsafe:
//  * uninvited_weight = 0 dropped candidates that were never invited;
//  * as_of_step_days > 0 hid more than kStepHiddenWarnShare of the events the
//    records' exact as-of graphs would have had (a step long for the
//    history): the features are then much staler than serving's.
#ifndef INVITEGRAPH_TRAINING_H_
#define INVITEGRAPH_TRAINING_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "invitegraph/events.h"
#include "invitegraph/features.h"
#include "invitegraph/outcomes.h"
#include "invitegraph/progress.h"
#include "invitegraph/recommender.h"
#include "invitegraph/scoring.h"
#include "invitegraph/social_graph.h"

namespace invitegraph {

struct TrainingOptions {
  // Candidates, feedback priors and attribute features: the serving
  // Recommender's RecommenderConfig::scoring, so the rows are the ones it
  // scores (scoring.h; a setting added there reaches training as is).
  ScoringOptions scoring = {};
  // Records without ts: number of folds (>= 2).
  int folds = 10;
  // Records with ts: > 0 groups records into steps of this many days (from
  // unix time 0) that share one graph as of the step's start; 0 builds one
  // graph per distinct ts (exact as-of, slow on second-resolution ts). In
  // [0, 1e6].
  double as_of_step_days = 1;
  // Weight of candidates that were never invited, when `invited` is given;
  // 0 drops them (and warns), so the model never sees most of what serving
  // ranks. Finite, >= 0.
  float uninvited_weight = 1;
  // Recorded invite outcomes (see outcomes.h), so that candidate_accept_rate
  // and candidate_fatigue in the rows are what Recommend would have seen: a
  // record with ts sees the outcomes strictly before ts; a record without ts
  // sees all outcomes except those of its fold's (inviter, item) pairs.
  // Without them those two columns are the prior and 0 in every row, and a
  // learned model gives them no weight.
  OutcomeBatch outcomes = {};
  uint64_t seed = 0;    // fold assignment
  int num_threads = 0;  // 0: all hardware threads; results do not depend on it
  ProgressFn progress = {};

  // kInvalidArgument naming the first bad field as
  // `TrainingOptions.<field>=value` (the scoring options' as
  // `TrainingOptions.scoring.<member>.<field>`). BuildTrainingSet() calls
  // it; the outcomes are checked there, against the graph's time limits.
  absl::Status Validate() const;
};

struct TrainingReport {
  int64_t records = 0;             // history rows
  int64_t records_used = 0;        // records that produced at least one row
  int64_t inviter_unknown = 0;     // inviter never seen in the events
  int64_t without_candidates = 0;  // inviter known but no candidates
  int64_t without_positives = 0;   // rows produced but no joiner among them
  int64_t joiners = 0;             // distinct joiners over all records
  int64_t joiners_found = 0;       // ... among their record's candidates
  int64_t joiners_missing = 0;     // ... not among them (unrankable)
  int64_t records_missing_joiners = 0;  // records with >= 1 missing joiner
  int64_t rows = 0;
  int64_t positives = 0;
  int64_t graphs_built = 0;  // leakage-free rebuilds
  // Purchase rows recognised as campaign participations
  // (GraphConfig::participation_window_days), each counted once: those of
  // the graph's campaigns (GraphStats::purchases_matched), which every
  // rebuild that leaves a campaign out leaves out with it, plus those the
  // records the graph was not given claimed for their own rebuilds.
  int64_t purchases_matched = 0;
  // Candidate rows dropped because the candidate was never invited
  // (uninvited_weight = 0 with `invited` lists).
  int64_t uninvited_dropped = 0;
  // as_of_step_days > 0: of the dated events (interactions, purchases,
  // campaigns) before the timed records' ts, summed over the records, the
  // share that falls between the step's start and the record's ts and so is
  // hidden from its features. 0 with exact as-of or without ts.
  double step_hidden_share = 0;
  // One sentence per setting the data made unsafe (see the file comment),
  // naming the numbers and the fix; empty when all is well.
  std::vector<std::string> warnings;
  double seconds = 0;
};

// TrainingReport::warnings gets a sentence when step_hidden_share exceeds
// this. On the public datasets and a synthetic world (docs/training.md,
// "Training defaults") steps hiding up to 23 % of the events cost at most 0.013
// NDCG@10, within the confidence intervals; CollegeMsg's 30-day step hid 64 %
// and cost 0.025, with 56 % of the training rows gone (records whose inviter
// had no contacts yet at the step's start).
inline constexpr double kStepHiddenWarnShare = 0.25;

// Rows in record order, then candidate order.
struct TrainingSet {
  std::vector<int64_t> record;  // history row of each row (the group id)
  std::vector<UserId> inviter;
  std::vector<ItemId> item;
  std::vector<UserId> candidate;
  FeatureArray x;  // rows x kNumFeatures, columns as FeatureNames()
  std::vector<float> label;
  std::vector<float> weight;
  TrainingReport report;
  int64_t rows() const { return static_cast<int64_t>(label.size()); }
};

// kFailedPrecondition if `graph` was built without keep_events;
// kInvalidArgument naming history.<column>[row]=value (or
// outcomes.<column>[row]=value) on bad input, times included: they must be
// plausible by the graph's GraphConfig::time_limits (time_limits.h).
absl::StatusOr<TrainingSet> BuildTrainingSet(
    const SocialGraph& graph, const CampaignBatch& history,
    const TrainingOptions& options = {});

// The fold (0 .. folds-1) of a record without ts: a seeded hash of (inviter,
// item), so that every record of a pair shares one. A distributed job that
// keeps each fold's records together (invitegraph.spark.training_set) leaves
// out exactly the campaigns a single-machine run does.
int TrainingFold(UserId inviter, ItemId item, uint64_t seed, int folds);

}  // namespace invitegraph

#endif  // INVITEGRAPH_TRAINING_H_
