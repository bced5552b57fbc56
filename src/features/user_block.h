// One cache line per user of what the features read of a candidate.
//
// A candidate's row reads a dozen per-user columns of GraphData (activity,
// join rate, purchases, category norm, abuse and influence scores, degree and
// where its purchase rows start); each is a cache miss of its own. The block
// holds copies of them side by side, so a row pays one miss for all of them.
// Built once per Recommender generation (serving memory: 64 bytes a user);
// the values are copies, so features read from it are bit-identical to
// features read from the columns.
#ifndef INVITEGRAPH_FEATURES_USER_BLOCK_H_
#define INVITEGRAPH_FEATURES_USER_BLOCK_H_

#include <cstdint>
#include <vector>

#include "graph/graph_data.h"

namespace invitegraph::internal {

struct alignas(64) UserBlock {
  float activity_7d = 0, activity_30d = 0, join_rate = 0, purchase_weight = 0;
  float category_norm = 0;
  float suspicion = 0, reputation = 0;  // 0 and 0.5 without abuse scores
  float pagerank = 0;                   // GraphData::ScaledPagerank()
  float clustering = 0;
  uint32_t core_number = 0;
  uint32_t degree = 0;
  uint32_t is_new = 0;
  // Rows of user_items and user_categories as [begin, begin + count), when
  // UserBlocks::narrow (every row starts below 2^32).
  uint32_t items_begin = 0, items_count = 0;
  uint32_t categories_begin = 0, categories_count = 0;
};
static_assert(sizeof(UserBlock) == 64, "one cache line a user");

struct UserBlocks {
  std::vector<UserBlock> by_node;
  // Whether the row positions fit the block; if not (more than 2^32 purchase
  // rows in all), they are read from GraphData's offsets.
  bool narrow = true;

  // The row of `v` in user_items / user_categories: [first, second).
  std::pair<uint64_t, uint64_t> Items(const GraphData& g, NodeId v) const {
    if (!narrow) return {g.user_items.offsets[v], g.user_items.offsets[v + 1]};
    const UserBlock& b = by_node[v];
    return {b.items_begin, uint64_t{b.items_begin} + b.items_count};
  }
  std::pair<uint64_t, uint64_t> Categories(const GraphData& g, NodeId v) const {
    if (!narrow) {
      return {g.user_categories.offsets[v], g.user_categories.offsets[v + 1]};
    }
    const UserBlock& b = by_node[v];
    return {b.categories_begin,
            uint64_t{b.categories_begin} + b.categories_count};
  }
};

UserBlocks BuildUserBlocks(const GraphData& g);

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_FEATURES_USER_BLOCK_H_
