#include "features/user_block.h"

#include <limits>

namespace invitegraph::internal {

UserBlocks BuildUserBlocks(const GraphData& g) {
  UserBlocks out;
  const uint32_t n = g.num_nodes();
  constexpr uint64_t kMax = std::numeric_limits<uint32_t>::max();
  out.narrow =
      g.user_items.keys.size() <= kMax && g.user_categories.keys.size() <= kMax;
  out.by_node.resize(n);
  const bool abuse = !g.suspicion.empty();
  const bool centrality = !g.pagerank.empty();
  for (NodeId v = 0; v < n; ++v) {
    UserBlock& b = out.by_node[v];
    b.activity_7d = g.activity_7d[v];
    b.activity_30d = g.activity_30d[v];
    b.join_rate = g.join_rate[v];
    b.purchase_weight = g.purchase_weight[v];
    b.category_norm = g.category_norm[v];
    b.suspicion = abuse ? g.suspicion[v] : 0.0f;
    b.reputation = abuse ? g.reputation[v] : 0.5f;
    if (centrality) {
      b.pagerank = g.ScaledPagerank(v);
      b.core_number = g.core_number[v];
      b.clustering = g.clustering[v];
    }
    b.degree = g.degree(v);
    b.is_new = g.is_new[v];
    if (out.narrow) {
      b.items_begin = static_cast<uint32_t>(g.user_items.offsets[v]);
      b.items_count = static_cast<uint32_t>(g.user_items.offsets[v + 1] -
                                            g.user_items.offsets[v]);
      b.categories_begin = static_cast<uint32_t>(g.user_categories.offsets[v]);
      b.categories_count = static_cast<uint32_t>(
          g.user_categories.offsets[v + 1] - g.user_categories.offsets[v]);
    }
  }
  return out;
}

}  // namespace invitegraph::internal
