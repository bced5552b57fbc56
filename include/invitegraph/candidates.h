// File: candidates.h
// Who may be invited: the inviter's contacts (1-hop) and friends of friends
// (2-hop).
//
//   CandidateOptions opt{.max_two_hop = 100};
//   std::vector<NodeId> c = FindCandidates(graph, inviter_node, opt);
//
// 2-hop candidates are reached through contacts of degree <= hub_degree_cap
// (hubs are not expanded) and the best `max_two_hop` of them by Adamic-Adar
// score over the expanded contacts are kept, ties broken by smaller NodeId. The
// result is deterministic: 1-hop contacts in NodeId order, then the kept 2-hop
// candidates in NodeId order.
#ifndef INVITEGRAPH_CANDIDATES_H_
#define INVITEGRAPH_CANDIDATES_H_

#include <vector>

#include "invitegraph/social_graph.h"
#include "invitegraph/types.h"

namespace invitegraph {

struct CandidateOptions {
  bool include_two_hop = true;
  int max_two_hop = 100;  // 2-hop candidates kept, best Adamic-Adar first
  int hub_degree_cap =
      1000;  // contacts with more contacts than this are not expanded
};

// Candidates of `inviter` (never the inviter itself).
std::vector<NodeId> FindCandidates(const SocialGraph& graph, NodeId inviter,
                                   const CandidateOptions& options);

}  // namespace invitegraph

#endif  // INVITEGRAPH_CANDIDATES_H_
