// File: recommender.h
// Turns (inviter, campaign) into ranked, explained invitees. Example:
//
// clang-format off
//   INVITEGRAPH_ASSIGN_OR_RETURN(Recommender rec, Recommender::Create(graph));
//   INVITEGRAPH_ASSIGN_OR_RETURN(std::vector<Suggestion> s,
//                                rec.Recommend(123, Campaign{.item = 42}, 10));
//   for (const Suggestion& x : s) std::cout << x.candidate << " " << x.reasons[0];
// clang-format on
//
// Pipeline per request: candidates (1-hop + capped 2-hop, widened by urgency)
// -> one feature row each -> ranker score -> policy chain (policy.h: drops the
// inviter, team members, opt-outs, blocked pairs and capped recipients; adds
// boosts and the fatigue penalty) -> top k of the surviving rows by (adjusted
// score desc, candidate id asc), or the diversity pick over communities when
// Policy::diversity > 0 (k raised by urgency, policy.h) -> reasons from the
// largest positive feature contributions, as the ranker's ExplainRows() reports
// them, then the policy's reason codes. A ranker that does not explain (its
// Explain() is kUnimplemented) gets the single reason kReasonsUnavailable per
// suggestion: reasons are never made up from a model that was not used.
//
// Feedback: RecordOutcomes() feeds sent/accepted/declined/ignored invites back
// (outcomes.h); the very next request sees them through the features
// candidate_accept_rate and candidate_fatigue. Each request is evaluated at
// "now" = the latest of the graph's as_of and every ts recorded so far, but
// never later than RecommenderConfig::time_limits.Now() (the wall clock by
// default): an outcome stamped in the future (accepted up to
// time_limits.max_future_seconds ahead; later is refused) counts against
// caps and fatigue at its own time, and cannot move "now" forward for
// everyone -- no single row can age all recipients' recent sends and
// fatigue away.
//
// Thread safety: all methods are const and may run concurrently from many
// threads, RecordOutcomes() and SwapGraph() included. The object is a
// cheap-to-copy handle: copies share the graph, the ranker and the
// recorded-outcome state (a Recommender made by another Create() call starts
// with its own, empty state). That state sits behind a reader-writer lock: a
// request featurises under a reader lock, so it sees each RecordOutcomes()
// batch entirely or not at all, and its features and cap counts come from the
// same state.
#ifndef INVITEGRAPH_RECOMMENDER_H_
#define INVITEGRAPH_RECOMMENDER_H_

#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "invitegraph/audience.h"
#include "invitegraph/candidates.h"
#include "invitegraph/features.h"
#include "invitegraph/outcomes.h"
#include "invitegraph/policy.h"
#include "invitegraph/progress.h"
#include "invitegraph/ranker.h"
#include "invitegraph/scoring.h"
#include "invitegraph/social_graph.h"
#include "invitegraph/state.h"
#include "invitegraph/time_limits.h"
#include "invitegraph/wave.h"

namespace invitegraph {

// What the inviter is recruiting for. `category` overrides the item index's
// category. `members` are the team's current members besides the inviter:
// never suggested. `team_size` counts everyone the team needs, the inviter
// included (0: not a team campaign), so the team still needs
// team_size - 1 - |members| joiners. `ends_at` drives urgency (policy.h); it
// must be plausible as a deadline (RecommenderConfig::time_limits: at most
// max_ends_at_future_seconds ahead, not in milliseconds), else the request is
// kInvalidArgument naming campaign.ends_at.
// `audience` (audience.h) limits candidates to its members before anything
// is ranked or cut, so exactly k still come back when k members qualify.
struct Campaign {
  ItemId item = -1;
  CategoryId category = kNoCategory;
  std::vector<UserId> members = {};
  int team_size = 0;
  std::optional<Timestamp> ends_at = {};
  Audience audience = {};
};

// The one reason code of every suggestion whose ranker cannot explain its
// scores (Ranker::Explain() is kUnimplemented).
inline constexpr char kReasonsUnavailable[] = "reasons_unavailable";

struct RecommenderConfig {
  // Candidates, feedback priors and attribute features (scoring.h): the part
  // of the config a training set must share (TrainingOptions::scoring).
  ScoringOptions scoring = {};
  int max_reasons = 3;  // reason codes per suggestion (>= 0); 0: none, not
                        // even kReasonsUnavailable
  // Cascade ranking: a request's candidates are first ordered by a cheap
  // score from the 2-hop expansion (tie, recency, friendship, common
  // neighbours, Adamic-Adar; src/recommend/cascade.h), and only the best
  // cascade_size of them get full features, the ranker, the policy and
  // reasons. Never fewer than the request's k (or what an urgent team still
  // needs); a request whose cut pool the policy filters below k is served
  // again from its whole pool. 0: no cascade, every candidate is scored. With
  // cascade_size >= the pool the lists are those of no cascade.
  // docs/performance.md, "Cascade ranking", has how the default was chosen.
  int cascade_size = 50;
  Policy policy = {};  // filters and score adjustments (policy.h)
  // Plausible times (time_limits.h) of RecordOutcomes() and ReserveInvites()
  // rows (up to now + max_future_seconds) and of Campaign::ends_at (up to
  // now + max_ends_at_future_seconds), and the bound of the feedback clock,
  // which never runs ahead of time_limits.Now().
  TimeLimits time_limits = {};
  // Where recipient protection state (caps' send times, fatigue, accept-rate
  // counts) lives: "memory" (this process only), "journal:DIR" (durable,
  // one process) or "redis://HOST:PORT[/DB]" (shared by many); state.h has
  // the options. Create() opens it: a journal is replayed, a Redis server
  // reached, and an error there fails Create().
  std::string state = "memory";

  // kInvalidArgument naming the first bad field as
  // `RecommenderConfig.<member>.<field>=value`. Create() calls it; what
  // needs a graph (attribute column types, communities for diversity) is
  // checked there.
  absl::Status Validate() const;
};

struct Suggestion {
  UserId candidate = -1;
  float score = 0;         // the ranker's score plus the policy's adjustments
  float ranker_score = 0;  // the ranker's score alone
  // P(join) when the ranker is calibrated (Ranker::calibrated(): its score,
  // clamped to [0, 1]); NaN otherwise.
  float join_probability = NAN;
  int rank = 0;  // 1-based
  std::vector<std::string> reasons;
};

// One request's list and what it means for the campaign.
struct InviteList {
  std::vector<Suggestion> suggestions;
  int k = 0;           // the k served: the requested k, or more by urgency
  double urgency = 0;  // in [0, 1] (policy.h); 0 without Campaign::ends_at
  // Joiners the team still needs (team_size - 1 - members, >= 0); -1 when
  // Campaign::team_size is 0.
  int still_needed = -1;
  // With a calibrated ranker: sum of join_probability over the list, and the
  // probability that at least still_needed of them join if all are invited
  // (independent joins; 1 when still_needed is 0). NaN otherwise (and the
  // fill probability is NaN without team_size).
  double expected_joins = NAN;
  double fill_probability = NAN;
};

// Column-wise suggestions of many requests, in request order then rank order.
struct SuggestionTable {
  std::vector<UserId> inviter;
  std::vector<ItemId> item;
  std::vector<UserId> candidate;
  std::vector<float> score;
  std::vector<float> ranker_score;
  std::vector<float> join_probability;
  std::vector<int32_t> rank;
  std::vector<std::vector<std::string>> reasons;
  // Not a column: the positions i of the requests skipped because inviters[i]
  // is not in the graph (UnknownInviterPolicy::kSkip), ascending. Empty when
  // every inviter was known.
  std::vector<int64_t> unknown_inviter_rows;
  int64_t size() const { return static_cast<int64_t>(candidate.size()); }
  // Appends one suggestion of the request (inviter, item).
  void Append(UserId for_inviter, ItemId for_item, Suggestion&& s) {
    inviter.push_back(for_inviter);
    item.push_back(for_item);
    candidate.push_back(s.candidate);
    score.push_back(s.score);
    ranker_score.push_back(s.ranker_score);
    join_probability.push_back(s.join_probability);
    rank.push_back(s.rank);
    reasons.push_back(std::move(s.reasons));
  }
};

struct BatchOptions {
  int num_threads = 0;  // 0: all hardware threads. Results do not depend on it.
  ProgressFn progress = {};
  Audience audience = {};  // every request's audience (Campaign::audience)
  // Requests whose inviter is not in the graph: skipped and reported (the
  // default), or the whole call fails (wave.h).
  UnknownInviterPolicy unknown_inviters = UnknownInviterPolicy::kSkip;
};

// RecommendWave()'s suggestions and what they achieve against naive top-k.
struct Wave {
  SuggestionTable suggestions;
  WaveReport report;
};

class Recommender {
 public:
  // `ranker` defaults to MakeRanker("linear"). kInvalidArgument on a bad
  // config.
  static absl::StatusOr<Recommender> Create(
      SocialGraph graph, RecommenderConfig config = {},
      std::shared_ptr<const Ranker> ranker = nullptr);

  // Recommend()
  //
  // Returns at most `k` suggestions, best first: exactly k when at least k
  // candidates pass the policy's filters. kNotFound if `inviter` is not in the
  // graph; kInvalidArgument if k < 0. Deterministic for a given recorded
  // state.
  absl::StatusOr<std::vector<Suggestion>> Recommend(UserId inviter,
                                                    const Campaign& campaign,
                                                    int k) const;

  // Recommend() with what the list means for the campaign: the k served
  // (urgency may raise it), the urgency, and with Campaign::team_size how
  // many joiners the team still needs and the probability the list fills it.
  absl::StatusOr<InviteList> RecommendList(UserId inviter,
                                           const Campaign& campaign,
                                           int k) const;

  // Recommend() for each (inviters[i], items[i]) across threads; the rows equal
  // those of the single calls, whatever the thread count. A request whose
  // inviter is not in the graph gets no rows and its position goes to
  // unknown_inviter_rows (the default, UnknownInviterPolicy::kSkip); with
  // kFail the first one is kNotFound naming inviters[i]=id. kInvalidArgument
  // on k < 0 or mismatched lengths. Progress counts every request, skipped
  // ones included. When Ranker::PreferredBatchRows() > 0, the feature rows of
  // consecutive requests are scored (and their suggestions explained) in one
  // call each.
  absl::StatusOr<SuggestionTable> RecommendBatch(
      absl::Span<const UserId> inviters, absl::Span<const ItemId> items, int k,
      const BatchOptions& options = {}) const;

  // RecommendWave()
  //
  // One campaign wave: suggestions for every (inviters[i], items[i]) at once,
  // at most k each, such that no recipient is suggested in more than
  // options.recipient_capacity lists, nor in more lists than its invite caps
  // (Policy::max_invites_per_recipient) still allow, maximising the expected
  // joins: the sum of the suggestions' calibrated join probabilities (wave.h
  // for the methods). Eligibility is Recommend()'s: the policy's filters
  // apply; its score adjustments and diversity do not enter the objective, as
  // they are not probabilities. Each list is ordered as Recommend() orders
  // (adjusted score) and explained the same way; the report compares the
  // assignment with naive per-request top k over the same candidates.
  //
  // Needs a calibrated ranker (Ranker::calibrated(); kFailedPrecondition
  // otherwise). kInvalidArgument on k < 0, recipient_capacity < 1, mismatched
  // lengths or a repeated (inviter, item) pair. Unknown inviters follow
  // options.unknown_inviters as in RecommendBatch(): skipped by default (their
  // positions in suggestions.unknown_inviter_rows; the wave is assigned over
  // the other requests, which report.requests counts), or kNotFound naming the
  // row with kFail. Deterministic for a given recorded state, whatever the
  // thread count. The assignment is made from the state at the call's start;
  // a recipient that reaches a cap during the call is left out of its lists.
  absl::StatusOr<Wave> RecommendWave(absl::Span<const UserId> inviters,
                                     absl::Span<const ItemId> items, int k,
                                     const WaveOptions& options = {}) const;

  // The feature rows Recommend() scores (before the cut), one per candidate.
  absl::StatusOr<FeatureMatrix> Features(UserId inviter,
                                         const Campaign& campaign) const;

  // RecordOutcomes()
  //
  // Applies a batch of invite outcomes (semantics in outcomes.h) to the state
  // this Recommender and its copies share. Validate-then-commit: a bad row
  // (an implausible ts included: RecommenderConfig::time_limits) is
  // kInvalidArgument naming outcomes.<column>[row]=value and nothing of the
  // batch is applied. Invitees outside the graph are counted in
  // `unknown_invitees` and kept aside (see FeedbackFor()).
  absl::StatusOr<OutcomeReport> RecordOutcomes(const OutcomeBatch& batch) const;

  // ReserveInvites()
  //
  // The atomic way to send under caps: for each invitees[i] in order, if one
  // more send keeps every RecommenderConfig.policy.max_invites_per_recipient
  // cap, records a "sent" outcome (inviter, invitees[i], item) and sets
  // granted[i]; otherwise records nothing for it. Check and record happen
  // under one writer lock, so however many threads reserve, recommend and
  // record at once, the sends recorded through this call never exceed a cap.
  // Sends are recorded at max(ts, now) (now: the feedback clock), so windows
  // ending at any later "now" stay within the cap; a ts ahead of
  // time_limits.Now() is taken as that present (a reservation is a send
  // happening now). Rows are validated as RecordOutcomes() does
  // (kInvalidArgument; an implausible ts names reserve_invites.ts); an
  // invitee outside the graph is kNotFound naming invitees[i]; on error
  // nothing is applied. Without caps every invitee is granted.
  //
  // RecordOutcomes() with "sent" rows records what already happened and is
  // never refused, so a product that sends without reserving can exceed a
  // cap; Recommend() then filters the recipient until its windows drain.
  absl::StatusOr<std::vector<bool>> ReserveInvites(
      UserId inviter, absl::Span<const UserId> invitees, ItemId item,
      Timestamp ts) const;

  // Recorded sends to `user` in (now - window_seconds, now]. Send times are
  // kept only with caps and only within the longest cap window; 0 otherwise.
  int64_t RecentSends(UserId user, int64_t window_seconds) const;

  // The recorded-outcome state of `user` at the current "now": counts,
  // posterior accept rate and fatigue. Users with no outcomes (or not in the
  // graph and never an invitee) get zeros and the prior mean.
  RecipientFeedback FeedbackFor(UserId user) const;

  // SwapGraph()
  //
  // Hot swap: this Recommender and all its copies switch to `graph`.
  // Requests already running finish on the graph they started with; requests
  // that start after SwapGraph() returns use the new one; no request fails or
  // sees a mix of the two. The recorded outcomes carry over by user id (users
  // missing from the new graph keep their counts aside, as invitees outside
  // the graph do, and get them back if a later graph has them again; their
  // send times are dropped). A RecordOutcomes() or ReserveInvites() that
  // races with the swap is applied to the new state, never lost. Swaps are
  // serialised. kInvalidArgument if the policy needs communities and `graph`
  // has none; the old graph then stays.
  absl::Status SwapGraph(SocialGraph graph) const;

  // Erases every recorded outcome and send time of `users` (as invitees: the
  // state is per recipient); returns how many of them had any. Forgetting
  // them in the graph is SocialGraph's job (a new graph, then SwapGraph()).
  // With a journal, the log is compacted before this returns, so no file of
  // its directory holds them any more; with Redis, every process sharing
  // the server forgets them. An error (the disk, the server) is returned.
  absl::StatusOr<int64_t> ForgetUsers(absl::Span<const UserId> users) const;

  // What the state store (RecommenderConfig::state) has done: replayed and
  // dropped journal records, compactions, the Redis follower's lag.
  StateStoreInfo StateInfo() const;

  // State snapshots: the recorded outcomes and send times by user id, in the
  // snapshot container (versioned, checksummed, written atomically; see
  // SocialGraph::Save()). LoadState() replaces the current state; a damaged
  // file is kDataLoss and leaves the state as it was. A state saved before
  // time limits existed may hold a clock or times moved by an implausible
  // row: the clock is held to time_limits.Now() and later send or fatigue
  // times to Now() + max_future_seconds (still counting against caps).
  absl::StatusOr<int64_t> SaveState(const std::string& path) const;
  absl::Status LoadState(const std::string& path) const;
  absl::StatusOr<std::string> StateToBytes() const;
  absl::Status StateFromBytes(std::string_view bytes) const;

  // The graph requests start on now (a handle: cheap to copy, and it stays
  // valid after a swap).
  SocialGraph graph() const;
  const Ranker& ranker() const;
  const RecommenderConfig& config() const;

  struct Impl;
  struct Shared;

 private:
  explicit Recommender(std::shared_ptr<const Shared> shared);
  // The generation requests start on now.
  std::shared_ptr<const Impl> Current() const;
  std::shared_ptr<const Shared> shared_;
};

}  // namespace invitegraph

#endif  // INVITEGRAPH_RECOMMENDER_H_
