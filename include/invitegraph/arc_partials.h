// File: arc_partials.h
// Exact, mergeable partial aggregates of a graph's arcs: the building block
// for computing edges on many machines (invitegraph.spark.edges does it in
// Spark executors) with a result that does not depend on how the events were
// split.
//
//   // On each machine, the events it holds, all decayed to one as_of:
//   GraphBuilder b;  b.AddInteractions(...);  b.AddFriendships(...);
//   INVITEGRAPH_ASSIGN_OR_RETURN(ArcPartialTable part, b.PartialArcs(as_of));
//   // Anywhere: merge the rows of equal (src, dst) with ArcPartial::Merge,
//   // then
//   INVITEGRAPH_ASSIGN_OR_RETURN(ArcInfo arc, FinishArc(merged, config));
//
// Each event of age a = as_of - ts contributes round(2^(-a / half_life) *
// 2^32) to its channel's integer sum, so merging is integer addition (plus a
// minimum and an "or"): exact, associative and commutative. A graph built on
// one machine sums the same integers, so merged partials finish to exactly the
// arcs SocialGraph::arc() reports. The sum of one arc's channel overflows
// only past 2^31 undecayed events.
#ifndef INVITEGRAPH_ARC_PARTIALS_H_
#define INVITEGRAPH_ARC_PARTIALS_H_

#include <array>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "invitegraph/social_graph.h"
#include "invitegraph/types.h"

namespace invitegraph {

struct GraphConfig;

// One unit of a decayed weight in ArcPartial::channel_fixed is 2^-32.
inline constexpr double kFixedPointOne = 4294967296.0;

struct ArcPartial {
  // Decayed event counts by Channel, in units of 2^-32 (kFixedPointOne).
  std::array<int64_t, kNumChannels> channel_fixed{};
  // Age in whole seconds (as_of - ts) of the newest channel event; -1 if none.
  int64_t min_age_s = -1;
  // A declared friendship between the two users.
  bool is_friend = false;

  // Folds in another partial of the same arc.
  void Merge(const ArcPartial& other);
};

// Partial aggregates as columns, one row per directed arc (src, dst).
struct ArcPartialTable {
  std::vector<UserId> src, dst;
  std::vector<ArcPartial> partial;
};

// The arc `p` finishes to under `config` (channel weights, friendship
// weight), quantised as the graph stores it; `target` is kNoNode.
// kInvalidArgument for a bad config or a negative channel sum.
absl::StatusOr<ArcInfo> FinishArc(const ArcPartial& p,
                                  const GraphConfig& config);
// FinishArc of each partial, checking the config once.
absl::StatusOr<std::vector<ArcInfo>> FinishArcs(
    const std::vector<ArcPartial>& partials, const GraphConfig& config);

}  // namespace invitegraph

#endif  // INVITEGRAPH_ARC_PARTIALS_H_
