// File: policy.h
// Campaign rules applied to every request between scoring and the top-k cut:
// filters (opt-outs, blocked pairs, team members, the inviter, recipients at
// their invite cap) and additive score adjustments (boosts, fatigue penalty).
// Example:
//
//   Policy p;
//   p.exclude = {13, 14};                                // opted out
//   p.blocked_pairs = {{1, 7}};                          // 1 never sees 7
//   p.max_invites_per_recipient = {{86400, 3}, {7 * 86400, 10}};
//   p.new_user_boost = 0.2;
//   p.fatigue_penalty = 0.5;
//   INVITEGRAPH_ASSIGN_OR_RETURN(
//       Recommender rec, Recommender::Create(graph, {.policy = p}));
//
// The chain runs in this order: exclusions (Policy::exclude, the inviter,
// Campaign::members), blocked pairs, caps, abuse (exclusion, then penalty),
// new-user boost, active-user boost, fatigue penalty, then
// Policy::extra_steps in order. Filters run BEFORE the
// cut, so a request returns exactly k suggestions whenever at least k of its
// candidates survive the chain.
//
// Score adjustments (all additive, on the ranker's score):
//   new_user_boost      + new_user_boost     if candidate_is_new == 1
//   active_user_boost   + active_user_boost  if candidate_activity_7d > 0
//                       (an indicator: any interaction or purchase in the
//                       graph's last 7 days)
//   fatigue_penalty     - fatigue_penalty * log1p(candidate_fatigue)
// Suggestion::score is the final adjusted score the list is ordered by, and
// Suggestion::ranker_score the ranker's own. An adjustment that changed the
// score adds its reason code (kReasonNewUserBoost, kReasonActiveUserBoost,
// kReasonFatigued) after the feature reasons.
//
// Caps: a recipient is filtered when the "sent" outcomes recorded for it in
// any window (now - window_seconds, now] reach that window's max, where "now"
// is the recommender's feedback clock (outcomes.h). Caps bound RECORDED sends;
// a recommendation is not a send. See Recommender::ReserveInvites() for the
// atomic check-and-record that keeps caps exact under concurrency.
//
// Diversity (Policy::diversity = d in [0, 1]): after the chain, the list is
// picked greedily, maximal-marginal-relevance style, over the communities of
// the graph (SocialGraph::communities()). With r_i the kept rows' adjusted
// scores rescaled to [0, 1] (min -> 0, max -> 1; all equal -> 1) and n_c the
// number already picked from community c, each pick takes the row maximising
//   r_i - d * n_{c(i)}        (ties: the better-scored row),
// so d = 0 is the plain score order and d = 1 takes one candidate per
// community before any community gets a second. A row picked ahead of a
// better-scored one gets the reason kReasonDiversity. Needs a graph built
// with communities (BuildOptions::communities).
//
// Urgency (Campaign::ends_at): u = clamp(1 - (ends_at - now) /
// urgency_window_seconds, 0, 1), 0 when the campaign has no end or the end
// is further than the window, 1 at or after the end. Then
//   * the 2-hop pool widens: max_two_hop * (1 + u * (urgency_two_hop_factor
//     - 1)), rounded;
//   * diversity relaxes to d * (1 - u);
//   * with Campaign::team_size and urgency_raises_k, k rises towards what the
//     team still needs: k + round(u * (still_needed - k)) when still_needed >
//     k.
//
// Thread safety: a Policy is plain configuration. PolicyStep::Apply() must be
// thread-safe (it runs concurrently for many requests) and must not keep
// references into the rows beyond the call.
#ifndef INVITEGRAPH_POLICY_H_
#define INVITEGRAPH_POLICY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "invitegraph/invite_cap.h"
#include "invitegraph/types.h"

namespace invitegraph {

// Reason codes the built-in adjustments add.
inline constexpr char kReasonNewUserBoost[] = "new_user_boost";
inline constexpr char kReasonActiveUserBoost[] = "active_user_boost";
inline constexpr char kReasonFatigued[] = "fatigued";
inline constexpr char kReasonDiversity[] = "diversifies_list";
inline constexpr char kReasonSuspectedAbuse[] = "suspected_abuse";

// What the policy sees of the request being served.
struct PolicyContext {
  UserId inviter = -1;
  ItemId item = -1;
  absl::Span<const UserId> members = {};  // Campaign::members
  Timestamp now = 0;                      // the feedback clock
};

// One request's candidates after scoring, as the steps see and edit them.
// Row i is candidate[i]; its features are features[i * kNumFeatures + f]
// (features.h column order).
class CandidateRows {
 public:
  CandidateRows(absl::Span<const UserId> candidate,
                absl::Span<const float> features,
                absl::Span<const uint8_t> at_cap, absl::Span<float> score,
                absl::Span<uint8_t> keep,
                std::vector<std::pair<int64_t, std::string_view>>* reasons)
      : candidate_(candidate),
        features_(features),
        at_cap_(at_cap),
        score_(score),
        keep_(keep),
        reasons_(reasons) {}

  int64_t size() const { return static_cast<int64_t>(candidate_.size()); }
  UserId candidate(int64_t i) const { return candidate_[i]; }
  // Feature `f` (a FeatureId) of row i.
  float feature(int64_t i, int f) const;
  // Whether a recipient cap (Policy::max_invites_per_recipient) is reached.
  bool at_cap(int64_t i) const { return !at_cap_.empty() && at_cap_[i] != 0; }
  float score(int64_t i) const { return score_[i]; }
  bool kept(int64_t i) const { return keep_[i] != 0; }

  // Removes row i from the request (before the cut).
  void Drop(int64_t i) { keep_[i] = 0; }
  // Adds `delta` to row i's score and, if delta != 0, appends `code` to its
  // reasons. `code` must outlive the request (a literal, or a member of the
  // step).
  void Adjust(int64_t i, float delta, std::string_view code);

 private:
  absl::Span<const UserId> candidate_;
  absl::Span<const float> features_;
  absl::Span<const uint8_t> at_cap_;
  absl::Span<float> score_;
  absl::Span<uint8_t> keep_;
  std::vector<std::pair<int64_t, std::string_view>>* reasons_;
};

// One step of the chain: drops rows and/or adjusts scores. Thread-safe.
class PolicyStep {
 public:
  virtual ~PolicyStep() = default;
  virtual std::string name() const = 0;
  // A non-OK status fails the request.
  virtual absl::Status Apply(const PolicyContext& context,
                             CandidateRows& rows) const = 0;
};

// The built-in rules plus any steps of your own. The default Policy does
// nothing: no filter beyond the inviter, no adjustment.
struct Policy {
  std::vector<UserId> exclude = {};  // never suggested (opt-outs)
  // (inviter, candidate): that inviter is never shown that candidate.
  std::vector<std::pair<UserId, UserId>> blocked_pairs = {};
  std::vector<InviteCap> max_invites_per_recipient = {};
  double new_user_boost = 0;     // finite
  double active_user_boost = 0;  // finite
  double fatigue_penalty = 0;    // finite, >= 0
  double diversity = 0;          // in [0, 1]; 0: plain score order
  // Urgency (Campaign::ends_at): the time before the end over which urgency
  // grows from 0 to 1 (> 0), how far the 2-hop pool widens at full urgency
  // (>= 1), and whether k may rise towards what the team still needs.
  int64_t urgency_window_seconds = 86400;
  double urgency_two_hop_factor = 3;
  bool urgency_raises_k = true;
  // Abuse (abuse.h), read from the candidate_suspicion feature: a no-op on a
  // graph without abuse scores, where suspicion is 0. Candidates with
  // suspicion > exclude_suspicion_above are dropped (1: never); those with
  // suspicion > penalize_suspicion_above lose suspicion_penalty * suspicion
  // and get the reason kReasonSuspectedAbuse. suspicious_tie_discount = t
  // scales the inviter-candidate arc's tie_strength, reverse_tie_strength and
  // channel-weight features by 1 - t * (the arc's suspicion) before scoring.
  double exclude_suspicion_above = 1;   // in [0, 1]
  double penalize_suspicion_above = 0;  // in [0, 1]
  double suspicion_penalty = 0;         // finite, >= 0
  double suspicious_tie_discount = 0;   // in [0, 1]
  // Run after the built-ins, in order.
  std::vector<std::shared_ptr<const PolicyStep>> extra_steps = {};

  // kInvalidArgument naming the first bad field as `<path>.<field>=value`
  // (the constraints above; extra_steps must not hold null).
  absl::Status Validate(
      std::string_view path = "RecommenderConfig.policy") const;
};

// p.Validate().
absl::Status ValidatePolicy(const Policy& p);

// The longest cap window in seconds; 0 without caps.
int64_t LongestCapWindow(const Policy& p);

// Urgency in [0, 1] of a campaign ending at `ends_at` when it is `now`
// (formula above).
double Urgency(const Policy& p, Timestamp ends_at, Timestamp now);

// P(at least `needed` successes) among independent Bernoulli trials with
// success probabilities `p` (each clamped to [0, 1]); 1 when needed <= 0.
double AtLeastProbability(absl::Span<const double> p, int needed);

}  // namespace invitegraph

#endif  // INVITEGRAPH_POLICY_H_
