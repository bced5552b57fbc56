// Influence measures of each user on the undirected, unweighted contact graph
// (the symmetric arc set: neighbors(u), no self-loops): PageRank, k-core
// number and local clustering, with the definitions of NetworkX's
// nx.pagerank (defaults), nx.core_number and nx.clustering (unweighted).
// Internal: computed once per graph build, update or forget.
//
// Determinism: every result depends only on the graph, never on the thread
// count or scheduling. PageRank pulls each node's sum over its sorted
// neighbours in a fixed order and reduces global sums over fixed chunks in
// chunk order; triangles are counted in integers; k-cores are sequential.
#ifndef INVITEGRAPH_ANALYSIS_CENTRALITY_H_
#define INVITEGRAPH_ANALYSIS_CENTRALITY_H_

#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "graph/graph_data.h"

namespace invitegraph::internal {

// nx.pagerank's defaults.
inline constexpr double kPagerankAlpha = 0.85;
inline constexpr double kPagerankTolerance = 1e-6;  // per node
inline constexpr int kPagerankMaxIterations = 100;

// An undirected graph as CSR over [0, n): row u is
// targets[offsets[u] .. offsets[u+1]), sorted, symmetric, without self-loops.
struct CsrView {
  absl::Span<const uint64_t> offsets;  // n + 1 entries (or empty for n = 0)
  absl::Span<const NodeId> targets;

  uint32_t num_nodes() const {
    return offsets.empty() ? 0 : static_cast<uint32_t>(offsets.size() - 1);
  }
  uint32_t degree(NodeId u) const {
    return static_cast<uint32_t>(offsets[u + 1] - offsets[u]);
  }
  absl::Span<const NodeId> neighbors(NodeId u) const {
    return targets.subspan(offsets[u], offsets[u + 1] - offsets[u]);
  }
};

inline CsrView ViewOf(const Topology& d) { return {d.offsets, d.targets}; }

// PageRank by power iteration, as nx.pagerank with its defaults: damping
// kPagerankAlpha, uniform teleport, the mass of degree-0 nodes spread
// uniformly; x starts uniform and
//   x'[v] = alpha * (sum_{u in N(v)} x[u] / deg(u) + dangling / n)
//           + (1 - alpha) / n
// until sum |x' - x| < n * kPagerankTolerance or kPagerankMaxIterations
// (where NetworkX raises, this returns the last iterate). Double precision,
// normalised to sum 1. `iterations` (may be null) receives the number of
// iterations run. Cost: O(arcs + nodes) per iteration, 32 bytes per node.
std::vector<double> PageRank(const CsrView& g, int threads,
                             int* iterations = nullptr);

// k-core number of every node (the largest k such that the node is in a
// subgraph where every node has degree >= k), as nx.core_number: the bucket
// peeling of Batagelj and Zaversnik (2003), O(arcs + nodes), sequential.
std::vector<uint32_t> CoreNumbers(const CsrView& g);

// Triangles through each node: each triangle is found once, from its lowest
// node in (degree, id) order, by merging forward lists (neighbours later in
// that order), and credited to its three nodes with integer atomics.
// Cost: O(arcs^1.5) worst case, far less on sparse graphs; 4 bytes per arc
// for the forward lists.
std::vector<uint64_t> Triangles(const CsrView& g, int threads);

// Local clustering, as nx.clustering unweighted: 2 T(u) / (d (d - 1)) for
// degree d >= 2, else 0.
std::vector<float> Clustering(const CsrView& g, int threads);

// Wall-clock seconds of each step (they may overlap, see FillCentrality).
struct CentralityTimes {
  double pagerank = 0, core = 0, clustering = 0;
};

// Fills d.pagerank, d.core_number and d.clustering from the CSR, with
// d.config.num_threads threads (0: all), and the stats centrality_seconds and
// its split. With more than one thread the (sequential) k-core peeling runs
// on its own thread alongside PageRank.
void FillCentrality(GraphData& d);

// Empties the centrality columns and zeroes their timings.
void ClearCentrality(GraphData& d);

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_ANALYSIS_CENTRALITY_H_
