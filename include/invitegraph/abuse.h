// File: abuse.h
// Abuse resistance: find fake-assist rings and bought lockstep helpers, score
// every user's suspicion and reputation with the evidence behind it, and hand
// the scores to the graph so features and the policy can keep suspects out of
// invite lists.
//
//   INVITEGRAPH_ASSIGN_OR_RETURN(AbuseReport report, DetectAbuse(graph));
//   INVITEGRAPH_ASSIGN_OR_RETURN(SocialGraph guarded, graph.WithAbuse(report));
//   Policy p;
//   p.exclude_suspicion_above = 0.5;   // drop flagged candidates
//   p.suspicious_tie_discount = 1.0;   // their arcs stop counting as ties
//
// Signals (each user's evidence is reported, not just the score):
//  * Account: age since the user's first event (SocialGraph profile
//    first_seen) and decayed purchases. Fresh accounts without purchases are
//    what farms are made of; on their own they flag nobody (every new honest
//    user is one), they only scale the structural signals below.
//  * Rings: the reciprocal assist graph R has an edge {u, v} when both
//    decayed assist weights u->v and v->u reach `min_reciprocal_assist`. An
//    edge's support is the number of triangles of R through it; edges with
//    support >= min_ring_size - 2 hold only inside dense blocks (a k-truss
//    style cut, one pass), and their connected components of at least
//    `min_ring_size` users are the rings. Per ring: density (R edges among
//    members over pairs), insularity (assist weight exchanged among members
//    over all assist weight the members give and receive), the shares of
//    fresh accounts and of accounts without purchases.
//      ring_score = density * (0.5 + 0.5 * insularity)
//  * Lockstep (CopyCatch style; needs the assist events with timestamps):
//    two users are in lockstep when they both assisted the same target within
//    `lockstep_window_seconds` of each other, for at least
//    `min_lockstep_targets` distinct targets. Connected components of that
//    relation with at least `min_lockstep_group` users are the groups. For a
//    member with p lockstep partners who acted in lockstep for t targets:
//      lockstep_score = (1 - exp(-p / 3)) * (1 - exp(-t /
//      min_lockstep_targets))
//  * Balance ("help before you ask"): decayed assists given and received.
//
//   account    = 0.5 * [fresh] + 0.5 * [no purchases]
//   suspicion  = max(ring_score, lockstep_score) * (0.5 + 0.5 * account)
//   reputation = (1 - suspicion) * (given + a) / (given + received + 2a),
//                a = balance_prior
// A user is flagged when suspicion > flag_above. An arc's suspicion is the
// larger of its two ends'; the report lists the arcs that touch a user with
// suspicion > 0, with what ties them (same ring, lockstep assist, or only a
// suspicious end).
//
// Deterministic for a graph and its events, whatever `num_threads`.
#ifndef INVITEGRAPH_ABUSE_H_
#define INVITEGRAPH_ABUSE_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "invitegraph/events.h"
#include "invitegraph/social_graph.h"
#include "invitegraph/types.h"

namespace invitegraph {

struct AbuseOptions {
  // Accounts younger than this (days between first_seen and as_of) are fresh;
  // accounts never seen are fresh too.
  double fresh_days = 30;
  // A decayed purchase weight below this counts as "no purchases".
  double min_purchase_weight = 1e-3;
  // Rings (> 0; min_ring_size >= 3).
  double min_reciprocal_assist = 0.5;
  int min_ring_size = 4;
  // Lockstep (window > 0; targets >= 2; group >= 2).
  int64_t lockstep_window_seconds = 600;
  int min_lockstep_targets = 3;
  int min_lockstep_group = 3;
  // At most this many assist events per target are paired within one window
  // (the earliest); bounds the work on hot targets. >= 2.
  int max_window_events = 256;
  // Reputation's Beta prior on the share of help given (> 0).
  double balance_prior = 2;
  // A user is flagged when suspicion > flag_above (in [0, 1)).
  double flag_above = 0.5;
  int num_threads = 0;  // 0: all hardware threads (>= 0)

  // kInvalidArgument naming the first bad field (AbuseOptions.<field>).
  absl::Status Validate() const;
};

// Evidence bits of a user (AbuseReport::evidence).
enum AbuseEvidence : uint32_t {
  kFreshAccount = 1u << 0,  // younger than fresh_days
  kNoPurchases = 1u << 1,   // decayed purchases below min_purchase_weight
  kRingMember = 1u << 2,    // in a ring of the reciprocal assist graph
  kLockstep = 1u << 3,      // in a lockstep group
  kTaker = 1u << 4,         // received assists > 3 * (given + balance_prior)
  kFlagged = 1u << 5,       // suspicion > flag_above
};

// snake_case names of the bits set in `evidence`, lowest bit first:
// "fresh_account", "no_purchases", "ring_member", "lockstep", "taker",
// "flagged".
std::vector<std::string_view> AbuseEvidenceNames(uint32_t evidence);

// What ties an arc to suspicion (AbuseReport::arc_kind).
enum class ArcAbuseKind : uint8_t {
  kSuspiciousEnd = 0,   // only because one end is suspicious
  kSameRing = 1,        // both ends in the same ring
  kLockstepAssist = 2,  // src assisted dst in lockstep with its group
};
std::string_view ArcAbuseKindName(ArcAbuseKind kind);

struct AbuseStats {
  int64_t users = 0;
  int64_t flagged = 0;
  int64_t rings = 0;
  int64_t ring_members = 0;
  int64_t lockstep_groups = 0;
  int64_t lockstep_members = 0;
  int64_t reciprocal_edges = 0;     // undirected edges of R
  bool lockstep_computed = false;   // false without assist events
  int64_t assist_events = 0;        // assist events read for lockstep
  int64_t unknown_event_users = 0;  // events skipped: user not in the graph
  int64_t truncated_windows = 0;    // windows cut at max_window_events
  double seconds = 0;
};

// Columns. Per-user columns are indexed by the NodeId of the graph the report
// was computed on (user[n] == graph.user_id(n)).
struct AbuseReport {
  std::vector<UserId> user;
  std::vector<float> suspicion;            // [0, 1]
  std::vector<float> reputation;           // [0, 1]
  std::vector<uint32_t> evidence;          // AbuseEvidence bits
  std::vector<float> ring_score;           // [0, 1]; 0 outside rings
  std::vector<float> lockstep_score;       // [0, 1]; 0 outside groups
  std::vector<float> account_age_days;     // -1: never seen
  std::vector<float> assists_given;        // decayed
  std::vector<float> assists_received;     // decayed
  std::vector<int32_t> ring;               // ring index, -1 if none
  std::vector<int32_t> lockstep_group;     // group index, -1 if none
  std::vector<int32_t> lockstep_partners;  // users in lockstep with this one
  std::vector<int32_t> lockstep_targets;   // targets assisted in lockstep

  // Rings, indexed by ring (ordered by their smallest member's NodeId).
  std::vector<int32_t> ring_size;
  std::vector<float> ring_density, ring_insularity, ring_fresh_share,
      ring_no_purchase_share, ring_score_of;
  // Lockstep groups, indexed by group.
  std::vector<int32_t> group_size;
  std::vector<int32_t> group_targets;  // distinct targets assisted in lockstep

  // Arcs (src -> dst, both directions listed) touching a user with
  // suspicion > 0, by src then dst NodeId.
  std::vector<UserId> arc_src, arc_dst;
  std::vector<float> arc_suspicion;  // max of the two ends' suspicion
  std::vector<ArcAbuseKind> arc_kind;

  AbuseStats stats;
  // The options it was computed with (training-set rebuilds of a graph
  // carrying these scores rescore each rebuilt graph with them).
  AbuseOptions options;
};

// DetectAbuse()
//
// Scores every user of `graph`. Lockstep needs assist events with their
// times: `assists` when given (any kinds; only assist rows are read, users
// outside the graph skipped and counted), else the graph's kept events
// (BuildOptions::keep_events); without either, lockstep is not computed
// (stats.lockstep_computed is false) and only rings, account and balance
// count. kInvalidArgument naming the first bad option, or a ragged
// `assists` batch or one with an implausible time (the graph's
// GraphConfig::time_limits, time_limits.h) naming the column and row.
absl::StatusOr<AbuseReport> DetectAbuse(
    const SocialGraph& graph, const AbuseOptions& options = {},
    const InteractionBatch* assists = nullptr);

// options.Validate().
absl::Status ValidateAbuseOptions(const AbuseOptions& options);

}  // namespace invitegraph

#endif  // INVITEGRAPH_ABUSE_H_
