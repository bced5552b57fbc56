// File: candidates.h
// Who may be invited: the inviter's contacts (1-hop) and friends of friends
// (2-hop).
//
//   CandidateOptions opt{.max_two_hop = 100};
//   std::vector<NodeId> c = FindCandidates(graph, inviter_node, opt);
//
// 2-hop candidates are reached through contacts of degree <= hub_degree_cap
// (hubs are not expanded; with an expansion_budget, only the strongest ties
// that fit it are) and the best `max_two_hop` of them by Adamic-Adar score
// over the expanded contacts are kept, ties broken by smaller NodeId. The
// result is deterministic: 1-hop contacts in NodeId order, then the kept 2-hop
// candidates in NodeId order.
//
// TopAdamicAdar() is the plain link-prediction baseline over the same graph,
// for many inviters at once (benchmarks, offline candidate pools):
//
//   auto top = TopAdamicAdar(graph, inviters, 20, {.num_threads = 0});
//   for (const ScoredCandidate& c : (*top)[0]) ...  // best first
#ifndef INVITEGRAPH_CANDIDATES_H_
#define INVITEGRAPH_CANDIDATES_H_

#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "invitegraph/social_graph.h"
#include "invitegraph/types.h"

namespace invitegraph {

// The one place these defaults are declared: the Python bindings read them
// from a default-constructed struct (bindings/options_bindings.cc).
struct CandidateOptions {
  bool include_two_hop = true;
  // 2-hop candidates kept, best Adamic-Adar first (>= 0).
  int max_two_hop = 100;
  // Contacts with more contacts than this are not expanded (>= 0).
  int hub_degree_cap = 1000;
  // The most neighbour entries the 2-hop expansion reads per request (>= 0;
  // 0: no limit), so a well-connected inviter's work is bounded by the budget
  // rather than by its degree. When the expandable contacts hold more, they
  // are expanded strongest tie first while the total stays within it; the
  // others are left out like hubs: friends of friends reached only through
  // them are not candidates, and their shares of common neighbours and
  // Adamic-Adar are added to the rows that are kept, so every row's counts
  // stay exact. The default bounds the few largest requests (0.7 % of random
  // users and 8 % of campaign starters of the 1 M-user synthetic world, 6 % of
  // Ciao's) at no measured NDCG cost; docs/performance.md, "Hub inviters".
  int expansion_budget = 20000;

  // kInvalidArgument naming the first bad field as `<path>.<field>=value`.
  absl::Status Validate(std::string_view path = "CandidateOptions") const;
};

// Candidates of `inviter` (never the inviter itself).
std::vector<NodeId> FindCandidates(const SocialGraph& graph, NodeId inviter,
                                   const CandidateOptions& options);

struct AdamicAdarOptions {
  int num_threads = 0;  // 0: all hardware threads
};

struct ScoredCandidate {
  NodeId candidate = kNoNode;
  double score = 0;
};

// The `k` best Adamic-Adar candidates of each inviter, over the undirected
// contact graph (SocialGraph::neighbors). Candidates are the users at distance
// exactly 2: neither the inviter nor one of its contacts, but a contact of a
// contact. Score: AA(u, v) = sum over z in N(u) & N(v) of 1 / ln |N(z)|, summed
// in double precision over every common contact (no hub cap, unlike
// FindCandidates). Each list is sorted by score descending, ties by smaller
// external user id (so the order does not depend on event order); it is
// shorter than k when the inviter has fewer candidates. out[i] belongs to
// inviters[i]; inviters are spread over threads and the result is identical
// for every thread count. kInvalidArgument for k < 0 or an inviter that is not
// a node of `graph`.
absl::StatusOr<std::vector<std::vector<ScoredCandidate>>> TopAdamicAdar(
    const SocialGraph& graph, absl::Span<const NodeId> inviters, int k,
    const AdamicAdarOptions& options = {});

}  // namespace invitegraph

#endif  // INVITEGRAPH_CANDIDATES_H_
