// Community detection over the built CSR graph: the local-moving phase of
// Louvain (Blondel et al. 2008; level 1, no aggregation), in a fixed, seeded
// node order. Internal: called once per graph build.
//
// Determinism: the pass is sequential, visits users in an order fixed by the
// seed and their external ids, and compares modularity gains in exact integer
// arithmetic, so the partition depends only on the graph and the seed: not on
// GraphConfig::num_threads, nor on the order in which rows were added.
#ifndef INVITEGRAPH_ANALYSIS_COMMUNITIES_H_
#define INVITEGRAPH_ANALYSIS_COMMUNITIES_H_

#include <cstdint>
#include <vector>

#include "graph/graph_data.h"
#include "ingest/id_map.h"

namespace invitegraph::internal {

// Fixed seed of the node visiting order, so that every build of the same graph
// yields the same communities.
inline constexpr uint64_t kCommunitySeed = 0x5eed'c0de'2026ULL;
// Visits are capped at this many times the number of nodes; graphs settle in
// far fewer.
inline constexpr int kCommunityMaxIterations = 20;

struct CommunityOptions {
  uint64_t seed = kCommunitySeed;
  int max_iterations = kCommunityMaxIterations;
};

// Returns a community label per NodeId, dense in [0, C) and numbered in order
// of first appearance by NodeId (node 0 is in community 0), so equal
// partitions get equal labels.
//
// Each arc u-v weighs tie(u->v) + tie(v->u), the same both ways. Starting from
// one community per node, nodes are visited from a queue that starts as every
// node in a seeded random order; each visit moves the node to the neighbouring
// community with the largest modularity gain (a node stays if its own
// community is among the best, other ties go to the community started by the
// smallest user id), and a node that moves queues its neighbours outside its
// new community, in user-id order (the "fast local moving" of Leiden, Traag et
// al. 2019). Stops when the queue is empty or after `max_iterations` times n
// visits. Nodes without weighted contacts stay alone.
// Cost: O(arcs) for the first pass over all nodes, then the degree of each
// node revisited; O(arcs log degree) once for the symmetric weights; memory 4
// bytes per arc and about 40 bytes per node.
std::vector<uint32_t> DetectCommunities(const GraphData& d,
                                        const CommunityOptions& options = {});

// Sets d.community = DetectCommunities(d) and the stats num_communities and
// community_seconds (a build's and an update's step 5).
void FillCommunities(GraphData& d);

// Renumbers `labels` densely in order of first appearance; returns the number
// of distinct labels.
uint32_t CanonicalizeLabels(std::vector<uint32_t>& labels);

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_ANALYSIS_COMMUNITIES_H_
