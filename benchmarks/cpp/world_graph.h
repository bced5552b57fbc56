// Shared by the C++ benchmarks: every table of a synthetic world into one
// graph.
#ifndef INVITEGRAPH_BENCHMARKS_CPP_WORLD_GRAPH_H_
#define INVITEGRAPH_BENCHMARKS_CPP_WORLD_GRAPH_H_

#include <utility>

#include "invitegraph/graph_builder.h"
#include "invitegraph/status.h"
#include "invitegraph/synth.h"

namespace invitegraph::bench {

// Friendships, interactions, purchases and campaigns of `w`, built as of the
// latest event (with communities).
inline absl::StatusOr<SocialGraph> BuildWorldGraph(const synth::World& w,
                                                   GraphConfig config = {}) {
  GraphBuilder b(std::move(config));
  INVITEGRAPH_RETURN_IF_ERROR(b.AddFriendships(w.friendships()));
  INVITEGRAPH_RETURN_IF_ERROR(b.AddInteractions(w.interactions()));
  INVITEGRAPH_RETURN_IF_ERROR(b.AddPurchases(w.purchases()));
  INVITEGRAPH_RETURN_IF_ERROR(b.AddCampaigns(w.campaigns()));
  return b.Build();
}

}  // namespace invitegraph::bench

#endif  // INVITEGRAPH_BENCHMARKS_CPP_WORLD_GRAPH_H_
