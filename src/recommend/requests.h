// Checking and resolving the requests of a call before any work: inviters to
// nodes, audiences compiled for the graph, deadlines in range.
#ifndef INVITEGRAPH_RECOMMEND_REQUESTS_H_
#define INVITEGRAPH_RECOMMEND_REQUESTS_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "invitegraph/recommender.h"

namespace invitegraph::internal {

// `campaign` with its audience compiled for `graph`: as given when it already
// is (or has none), else a copy compiled again from its expression.
absl::StatusOr<const Campaign*> BindAudience(const SocialGraph& graph,
                                             const Campaign& campaign,
                                             Campaign* rebound);

// The node of `inviter`; kNotFound naming it if it is not in the graph.
absl::StatusOr<NodeId> InviterNode(const SocialGraph& g, UserId inviter);

// A deadline in milliseconds or centuries ahead would silently mean "no
// urgency"; one before 1970 "full urgency".
absl::Status CheckEndsAt(const Campaign& campaign, const TimeLimits& limits);

// Requests checked and resolved to nodes. With kFail an unknown inviter fails
// before any work; with kSkip only the known ones are kept, `rows` giving each
// kept request's position and `unknown_rows` the skipped positions (both
// ascending: found in one sequential pass, so independent of threads).
struct Requests {
  std::vector<NodeId> nodes;
  std::vector<Campaign> campaigns;
  std::vector<int64_t> rows;
  std::vector<int64_t> unknown_rows;
};

// The requests of a many-inviter call: kInvalidArgument for k < 0, columns of
// different lengths or an unknown policy; unknown inviters as `unknown` says.
absl::StatusOr<Requests> ResolveRequests(const SocialGraph& g,
                                         absl::Span<const UserId> inviters,
                                         absl::Span<const ItemId> items, int k,
                                         const Audience& audience,
                                         UnknownInviterPolicy unknown);

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_RECOMMEND_REQUESTS_H_
