#include "graph/csr.h"

#include <boost/graph/compressed_sparse_row_graph.hpp>

namespace invitegraph::internal {
namespace {

using BoostCsr =
    boost::compressed_sparse_row_graph<boost::directedS, boost::no_property,
                                       PackedArc, boost::no_property, NodeId,
                                       uint64_t>;

}  // namespace

void BuildCsr(std::vector<NodeId>&& sources, std::vector<NodeId>&& targets,
              std::vector<PackedArc>&& arcs, uint32_t num_nodes,
              GraphData* data) {
  const size_t m = targets.size();
  // The in-place constructor sorts by source with a stable histogram sort
  // (already sorted here, so order is kept) and swaps `targets` into the graph
  // without a copy.
  auto g = std::make_shared<BoostCsr>(
      boost::construct_inplace_from_sources_and_targets, sources, targets, arcs,
      num_nodes);
  std::vector<NodeId>().swap(sources);
  // BGL's storage members are public but documented as non-portable; this is
  // the one place that reads them, and csr_test pins the layout against the BGL
  // accessors.
  const auto& fwd = g->m_forward;
  data->offsets = absl::MakeConstSpan(fwd.m_rowstart);
  data->targets = absl::MakeConstSpan(fwd.m_column);
  const PackedArc* arc0 =
      m == 0
          ? nullptr
          : &(*g)[boost::detail::csr_edge_descriptor<NodeId, uint64_t>(0, 0)];
  data->arcs = absl::MakeConstSpan(arc0, m);
  data->csr_owner = std::move(g);
}

}  // namespace invitegraph::internal
