// Storage behind SocialGraph. Internal: the recommender's hot paths read it
// directly.
#ifndef INVITEGRAPH_GRAPH_GRAPH_DATA_H_
#define INVITEGRAPH_GRAPH_GRAPH_DATA_H_

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/types/span.h"
#include "graph/packed_arc.h"
#include "ingest/attributes.h"
#include "ingest/id_map.h"
#include "ingest/ingest_record.h"
#include "invitegraph/graph_config.h"
#include "invitegraph/types.h"

namespace invitegraph {
struct AbuseOptions;
}  // namespace invitegraph

namespace invitegraph::internal {

// A compressed list of (dense key, weight) rows per owner: row r is
// keys[offsets[r] .. offsets[r+1]), sorted by key.
struct SparseRows {
  std::vector<uint64_t> offsets;
  std::vector<uint32_t> keys;
  std::vector<float> weights;

  // Weight of `key` in row `r`, 0 if absent.
  float Find(uint32_t r, uint32_t key) const {
    return FindIn(offsets[r], offsets[r + 1], key);
  }
  // The weight of `key` in the row held at [begin, end), 0 if absent.
  float FindIn(uint64_t begin, uint64_t end, uint32_t key) const {
    const auto b = keys.begin() + begin, e = keys.begin() + end;
    auto it = std::lower_bound(b, e, key);
    return (it != e && *it == key) ? weights[it - keys.begin()] : 0.0f;
  }
  int64_t MemoryBytes() const {
    return static_cast<int64_t>(offsets.size() * 8 + keys.size() * 4 +
                                weights.size() * 4);
  }
};

// The graph is stored in parts, each owned by the layer that fills it. The
// parts are the bases of GraphData, so a request reads `d.offsets` or
// `d.activity_7d` directly, and a step that needs one part can take only that
// part (a GraphData binds to `const Topology&`, as centrality's ViewOf does).

// The contact graph: CSR adjacency of directed arcs. The storage is owned by
// `csr_owner`, whatever keeps it: a Boost compressed_sparse_row_graph (csr.h)
// for built graphs, the read buffer of a loaded snapshot, or a read-only
// mapping of the snapshot file (LoadOptions::mmap, io/graph_snapshot.cc). The
// spans view it, so every reader sees one interface whoever owns the bytes.
struct Topology {
  std::shared_ptr<const void> csr_owner;
  bool mapped = false;  // csr_owner is a mapping of a snapshot file
  absl::Span<const uint64_t> offsets;  // num_nodes + 1
  absl::Span<const NodeId> targets;    // num_arcs, sorted within each row
  absl::Span<const PackedArc> arcs;    // num_arcs

  uint32_t num_nodes() const {
    return static_cast<uint32_t>(offsets.size() - 1);
  }
  uint32_t degree(NodeId u) const {
    return static_cast<uint32_t>(offsets[u + 1] - offsets[u]);
  }
  absl::Span<const NodeId> neighbors(NodeId u) const {
    return targets.subspan(offsets[u], offsets[u + 1] - offsets[u]);
  }
  // Index of arc u->v in `arcs`, or -1.
  int64_t FindArc(NodeId u, NodeId v) const {
    const NodeId* b = targets.data() + offsets[u];
    const NodeId* e = targets.data() + offsets[u + 1];
    const NodeId* it = std::lower_bound(b, e, v);
    return (it != e && *it == v) ? it - targets.data() : -1;
  }
};

// Per-user profile columns, indexed by NodeId, from the events.
struct UserColumns {
  std::vector<float> activity_7d, activity_30d, joins, exposures, join_rate;
  std::vector<float> purchase_weight, category_norm;
  std::vector<Timestamp> first_seen;
  std::vector<uint8_t> is_new;
  SparseRows user_items;       // user -> (item, decayed purchases)
  SparseRows user_categories;  // user -> (category, decayed purchases)
};

// Item index, indexed by dense item id.
struct ItemIndex {
  std::vector<uint32_t>
      item_category;       // dense category, IdMap::kAbsent if unknown
  SparseRows item_buyers;  // item -> (buyer NodeId, decayed purchases)
};

// Columns the analysis steps over a built graph fill (src/analysis/,
// src/abuse/), indexed by NodeId. The storage holds them without knowing how
// they are computed; each is empty when its step did not run.
struct AnalysisColumns {
  // Community of each user, dense in [0, stats.num_communities) (see
  // analysis/communities.h).
  std::vector<uint32_t> community;

  // Abuse scores (abuse.h), attached by SocialGraph::WithAbuse or
  // BuildOptions::abuse.
  std::vector<float> suspicion, reputation;
  std::vector<uint32_t> abuse_evidence;
  // The options they were computed with; null after loading a snapshot
  // without events (training rebuilds, the only user, need both).
  std::shared_ptr<const AbuseOptions> abuse_options;

  // Influence measures on the contact graph (analysis/centrality.h); empty
  // when not computed (BuildOptions::centrality = false).
  std::vector<float> pagerank, clustering;
  std::vector<uint32_t> core_number;
};

struct GraphData : Topology,
                   UserColumns,
                   ItemIndex,
                   AnalysisColumns,
                   IngestRecord {
  GraphConfig config;
  Timestamp as_of = 0;
  std::array<float, kNumChannels> channel_weights{};

  IdMap users;
  IdMap items;
  IdMap categories;

  // Profile attribute columns (profiles.h), indexed by NodeId.
  AttributeTable attributes;

  GraphStats stats;

  // PageRank x num_nodes (1 = an average user): the candidate_pagerank
  // feature and the audience attribute `pagerank`; 0 without centrality.
  float ScaledPagerank(NodeId u) const {
    return pagerank.empty() ? 0.0f
                            : pagerank[u] * static_cast<float>(num_nodes());
  }
};

// Rows of `old` (any number of owners, up to `num_owners`; empty for none)
// with weights scaled by `f`, merged with the triples (owner, key, weight)
// over `num_owners` owners: equal keys add up, rows are sorted by key.
SparseRows MergeRows(const SparseRows& old, float f, uint32_t num_owners,
                     absl::Span<const uint32_t> owner,
                     absl::Span<const uint32_t> key,
                     absl::Span<const float> weight);

// Sets stats.arc_bytes, offset_bytes and total_bytes from what `d` holds.
void FillMemoryStats(GraphData& d);

// Profile columns derived from others, shared by builds and updates:
// is_new from first_seen and as_of;
void FillIsNew(GraphData& d);
// exposures raised to joins (joiners missing from an `invited` list were still
// exposed) and the Beta-smoothed join_rate;
void FillJoinRates(GraphData& d);
// purchase_weight (all purchases) and category_norm from the purchase rows.
void FillPurchaseTotals(GraphData& d);

// The cosine of two rows of d.user_categories held at [i, ie) and [j, je),
// whose L2 norms are na and nb (0 if either is 0).
inline float CategoryCosineOf(const GraphData& d, uint64_t i, uint64_t ie,
                              float na, uint64_t j, uint64_t je, float nb) {
  if (na <= 0 || nb <= 0) return 0;
  const SparseRows& r = d.user_categories;
  double dot = 0;
  while (i < ie && j < je) {
    if (r.keys[i] < r.keys[j]) {
      ++i;
    } else if (r.keys[j] < r.keys[i]) {
      ++j;
    } else {
      dot += static_cast<double>(r.weights[i++]) * r.weights[j++];
    }
  }
  return static_cast<float>(dot / (static_cast<double>(na) * nb));
}

// Cosine similarity of two users' category purchase vectors (0 if either is
// empty).
inline float CategoryCosine(const GraphData& d, NodeId a, NodeId b) {
  const SparseRows& r = d.user_categories;
  return CategoryCosineOf(d, r.offsets[a], r.offsets[a + 1], d.category_norm[a],
                          r.offsets[b], r.offsets[b + 1], d.category_norm[b]);
}

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_GRAPH_GRAPH_DATA_H_
