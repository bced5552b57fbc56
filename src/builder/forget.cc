// SocialGraph::Forget(): a copy of the graph without some users. Remaining
// users keep their relative order, so NodeId v becomes the number of kept
// users before v, and every table indexed or keyed by NodeId is remapped.
#include <algorithm>
#include <chrono>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "analysis/centrality.h"
#include "analysis/communities.h"
#include "graph/csr.h"
#include "graph/graph_data.h"
#include "ingest/id_map.h"
#include "invitegraph/social_graph.h"
#include "invitegraph/status.h"

namespace invitegraph {
namespace internal {
namespace {

constexpr NodeId kGone = IdMap::kAbsent;

// Rows of kept owners with their keys remapped by `key_of` (kGone drops the
// entry); `owner_of` maps old owners to new ones (kGone drops the row).
SparseRows FilterRows(const SparseRows& rows,
                      absl::Span<const uint32_t> owner_of, uint32_t num_owners,
                      absl::Span<const uint32_t> key_of) {
  SparseRows out;
  out.offsets.assign(num_owners + 1, 0);
  const uint32_t old_owners = static_cast<uint32_t>(rows.offsets.size() - 1);
  for (uint32_t o = 0; o < old_owners; ++o) {
    const uint32_t to = owner_of.empty() ? o : owner_of[o];
    if (to == kGone) continue;
    for (uint64_t i = rows.offsets[o]; i < rows.offsets[o + 1]; ++i) {
      const uint32_t k = key_of.empty() ? rows.keys[i] : key_of[rows.keys[i]];
      if (k == kGone) continue;
      out.keys.push_back(k);
      out.weights.push_back(rows.weights[i]);
    }
    out.offsets[to + 1] = out.keys.size();
  }
  // Owners are kept in order, so each offset is the previous row's end.
  for (uint32_t o = 0; o < num_owners; ++o) {
    out.offsets[o + 1] = std::max(out.offsets[o + 1], out.offsets[o]);
  }
  return out;
}

template <typename T>
std::vector<T> Keep(const std::vector<T>& column,
                    absl::Span<const NodeId> kept) {
  std::vector<T> out;
  if (column.empty()) return out;
  out.reserve(kept.size());
  for (NodeId u : kept) out.push_back(column[u]);
  return out;
}

}  // namespace

absl::StatusOr<SocialGraph> ForgetUsers(const GraphData& old,
                                        absl::Span<const UserId> users,
                                        const ForgetOptions& options,
                                        ForgetReport* report) {
  const auto t0 = std::chrono::steady_clock::now();
  const uint32_t n1 = old.num_nodes();
  std::vector<uint8_t> gone(n1, 0);
  ForgetReport r;
  for (size_t i = 0; i < users.size(); ++i) {
    if (users[i] < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("users[", i, "]=", users[i], ": user ids must be >= 0"));
    }
    const auto node = old.users.Find(users[i]);
    if (!node) {
      if (!options.ignore_unknown) {
        return absl::NotFoundError(
            absl::StrCat("users[", i, "]=", users[i], " is not in the graph"));
      }
      ++r.unknown;
    } else if (!gone[*node]) {
      gone[*node] = 1;
      ++r.forgotten;
    }
  }

  std::vector<NodeId> new_id(n1, kGone), kept;
  kept.reserve(n1 - r.forgotten);
  for (NodeId u = 0; u < n1; ++u) {
    if (gone[u]) continue;
    new_id[u] = static_cast<NodeId>(kept.size());
    kept.push_back(u);
  }
  const uint32_t n = static_cast<uint32_t>(kept.size());

  auto data = std::make_shared<GraphData>();
  data->config = old.config;
  data->as_of = old.as_of;
  data->channel_weights = old.channel_weights;
  {
    // A fresh map holds only the kept ids (no stale direct-table slots).
    std::vector<int64_t> ids;
    ids.reserve(n);
    for (NodeId u : kept) ids.push_back(old.users.external(u));
    std::vector<uint32_t> dense(n);
    data->users.MapOrInsert(ids, dense.data());
  }
  data->items = old.items;
  data->categories = old.categories;
  // Idempotent ingestion: the forgotten users' events were applied, so their
  // keys stay and a replay of them is still skipped.
  data->applied_keys = old.applied_keys;

  // CSR: kept rows without arcs to forgotten users.
  {
    std::vector<NodeId> sources, targets;
    std::vector<PackedArc> arcs;
    sources.reserve(old.targets.size());
    targets.reserve(old.targets.size());
    arcs.reserve(old.targets.size());
    for (NodeId u : kept) {
      for (uint64_t i = old.offsets[u]; i < old.offsets[u + 1]; ++i) {
        const NodeId v = new_id[old.targets[i]];
        if (v == kGone) continue;
        sources.push_back(new_id[u]);
        targets.push_back(v);
        arcs.push_back(old.arcs[i]);
      }
    }
    BuildCsr(std::move(sources), std::move(targets), std::move(arcs), n,
             data.get());
  }

  data->activity_7d = Keep(old.activity_7d, kept);
  data->activity_30d = Keep(old.activity_30d, kept);
  data->joins = Keep(old.joins, kept);
  data->exposures = Keep(old.exposures, kept);
  data->join_rate = Keep(old.join_rate, kept);
  data->purchase_weight = Keep(old.purchase_weight, kept);
  data->category_norm = Keep(old.category_norm, kept);
  data->first_seen = Keep(old.first_seen, kept);
  data->is_new = Keep(old.is_new, kept);
  data->attributes = SubsetAttributes(old.attributes, kept);
  data->user_items = FilterRows(old.user_items, new_id, n, {});
  data->user_categories = FilterRows(old.user_categories, new_id, n, {});
  data->item_category = old.item_category;
  data->item_buyers = FilterRows(
      old.item_buyers, {}, static_cast<uint32_t>(old.items.size()), new_id);

  GraphStats& st = data->stats;
  st = old.stats;
  st.num_communities = 0;
  st.community_seconds = 0;
  if (!old.community.empty()) {
    if (options.communities) {
      FillCommunities(*data);
    } else {
      data->community = Keep(old.community, kept);
      st.num_communities = CanonicalizeLabels(data->community);
    }
  }
  // Abuse scores stay as they were for the others (rescoring is the caller's
  // call: a forgotten ring member's partners keep their evidence).
  data->suspicion = Keep(old.suspicion, kept);
  data->reputation = Keep(old.reputation, kept);
  data->abuse_evidence = Keep(old.abuse_evidence, kept);
  data->abuse_options = old.abuse_options;
  // Influence measures depend on the whole graph: recompute them without the
  // forgotten users, or drop them.
  ClearCentrality(*data);
  if (!old.pagerank.empty() && options.centrality) FillCentrality(*data);
  st.num_nodes = n;
  st.num_arcs = static_cast<int64_t>(data->targets.size());
  FillMemoryStats(*data);
  st.build_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  if (report) *report = r;
  return SocialGraph(std::move(data));
}

}  // namespace internal

absl::StatusOr<SocialGraph> SocialGraph::Forget(absl::Span<const UserId> users,
                                                const ForgetOptions& options,
                                                ForgetReport* report) const {
  return internal::ForgetUsers(*data_, users, options, report);
}

}  // namespace invitegraph
