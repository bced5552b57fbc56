// The only place that includes Boost.Graph. Wraps
// boost::compressed_sparse_row_graph and exposes its storage as raw spans for
// the hot paths.
#ifndef INVITEGRAPH_GRAPH_CSR_H_
#define INVITEGRAPH_GRAPH_CSR_H_

#include <memory>
#include <vector>

#include "graph/graph_data.h"

namespace invitegraph::internal {

// Moves sorted (source, target, arc) columns into a Boost CSR graph of
// `num_nodes` vertices and points data->offsets/targets/arcs at its storage.
// `sources` must be sorted, and targets sorted within each source.
void BuildCsr(std::vector<NodeId>&& sources, std::vector<NodeId>&& targets,
              std::vector<PackedArc>&& arcs, uint32_t num_nodes,
              GraphData* data);

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_GRAPH_CSR_H_
