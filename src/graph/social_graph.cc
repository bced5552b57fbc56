#include "invitegraph/social_graph.h"

#include <algorithm>
#include <cmath>

#include "graph/fixed_decay.h"
#include "graph/graph_data.h"
#include "ingest/audience_names.h"
#include "invitegraph/graph_config.h"

namespace invitegraph {

namespace internal {

void FillMemoryStats(GraphData& d) {
  GraphStats& st = d.stats;
  const int64_t n = d.num_nodes();
  st.arc_bytes = static_cast<int64_t>(d.targets.size()) *
                 static_cast<int64_t>(sizeof(NodeId) + sizeof(PackedArc));
  st.offset_bytes = static_cast<int64_t>(d.offsets.size() * sizeof(uint64_t));
  st.total_bytes =
      st.arc_bytes + st.offset_bytes + d.users.MemoryBytes() +
      d.items.MemoryBytes() + d.categories.MemoryBytes() +
      n * static_cast<int64_t>(7 * sizeof(float) + sizeof(Timestamp) + 1) +
      d.user_items.MemoryBytes() + d.user_categories.MemoryBytes() +
      d.item_buyers.MemoryBytes() +
      static_cast<int64_t>(d.item_category.size() * sizeof(uint32_t)) +
      static_cast<int64_t>(d.community.size() * sizeof(uint32_t)) +
      static_cast<int64_t>(d.suspicion.size() * sizeof(float) +
                           d.reputation.size() * sizeof(float) +
                           d.abuse_evidence.size() * sizeof(uint32_t)) +
      d.attributes.MemoryBytes() +
      // Idempotent ingestion: the applied keys.
      d.applied_keys.size() * static_cast<int64_t>(sizeof(EventKey)) +
      static_cast<int64_t>(d.pagerank.size() * sizeof(float) +
                           d.core_number.size() * sizeof(uint32_t) +
                           d.clustering.size() * sizeof(float));
}

void FillIsNew(GraphData& d) {
  const uint32_t n = d.num_nodes();
  const double window_s = d.config.new_user_days * kSecondsPerDay;
  d.is_new.assign(n, 0);
  for (uint32_t u = 0; u < n; ++u) {
    const Timestamp f = d.first_seen[u];
    d.is_new[u] = f >= 0 && static_cast<double>(d.as_of - f) <= window_s;
  }
}

void FillJoinRates(GraphData& d) {
  const uint32_t n = d.num_nodes();
  const double prior_m = d.config.join_rate_prior_mean;
  const double prior_s = d.config.join_rate_prior_strength;
  d.join_rate.assign(n, 0);
  for (uint32_t u = 0; u < n; ++u) {
    d.exposures[u] = std::max(d.exposures[u], d.joins[u]);
    d.join_rate[u] = static_cast<float>((d.joins[u] + prior_m * prior_s) /
                                        (d.exposures[u] + prior_s));
  }
}

void FillPurchaseTotals(GraphData& d) {
  const uint32_t n = d.num_nodes();
  d.purchase_weight.assign(n, 0);
  d.category_norm.assign(n, 0);
  for (uint32_t u = 0; u < n; ++u) {
    // The total spans all purchases, uncategorised items included.
    const auto& items = d.user_items;
    double total = 0, sq = 0;
    for (uint64_t i = items.offsets[u]; i < items.offsets[u + 1]; ++i)
      total += items.weights[i];
    const auto& rows = d.user_categories;
    for (uint64_t i = rows.offsets[u]; i < rows.offsets[u + 1]; ++i) {
      sq += static_cast<double>(rows.weights[i]) * rows.weights[i];
    }
    d.purchase_weight[u] = static_cast<float>(total);
    d.category_norm[u] = static_cast<float>(std::sqrt(sq));
  }
}

}  // namespace internal

using internal::IdMap;

SocialGraph::SocialGraph(std::shared_ptr<const internal::GraphData> data)
    : data_(std::move(data)) {}

int64_t SocialGraph::num_nodes() const { return data_->num_nodes(); }
int64_t SocialGraph::num_arcs() const {
  return static_cast<int64_t>(data_->targets.size());
}
Timestamp SocialGraph::as_of() const { return data_->as_of; }
const GraphConfig& SocialGraph::config() const { return data_->config; }
GraphStats SocialGraph::stats() const { return data_->stats; }
bool SocialGraph::has_events() const { return data_->events != nullptr; }
bool SocialGraph::mapped() const { return data_->mapped; }
bool SocialGraph::has_abuse() const { return !data_->suspicion.empty(); }
float SocialGraph::suspicion(NodeId node) const {
  return data_->suspicion.empty() ? 0.0f : data_->suspicion[node];
}
float SocialGraph::reputation(NodeId node) const {
  return data_->reputation.empty() ? 0.5f : data_->reputation[node];
}
uint32_t SocialGraph::abuse_evidence(NodeId node) const {
  return data_->abuse_evidence.empty() ? 0u : data_->abuse_evidence[node];
}
bool SocialGraph::has_centrality() const { return !data_->pagerank.empty(); }
float SocialGraph::pagerank(NodeId node) const {
  return data_->pagerank.empty() ? 0.0f : data_->pagerank[node];
}
uint32_t SocialGraph::core_number(NodeId node) const {
  return data_->core_number.empty() ? 0u : data_->core_number[node];
}
float SocialGraph::clustering(NodeId node) const {
  return data_->clustering.empty() ? 0.0f : data_->clustering[node];
}
absl::Span<const float> SocialGraph::pageranks() const {
  return data_->pagerank;
}
absl::Span<const uint32_t> SocialGraph::core_numbers() const {
  return data_->core_number;
}
absl::Span<const float> SocialGraph::clusterings() const {
  return data_->clustering;
}

std::optional<NodeId> SocialGraph::FindNode(UserId user) const {
  return data_->users.Find(user);
}
UserId SocialGraph::user_id(NodeId node) const {
  return data_->users.external(node);
}
absl::Span<const UserId> SocialGraph::user_ids() const {
  return data_->users.external_ids();
}
absl::Span<const uint64_t> SocialGraph::row_offsets() const {
  return data_->offsets;
}
absl::Span<const NodeId> SocialGraph::arc_targets() const {
  return data_->targets;
}
absl::Span<const NodeId> SocialGraph::neighbors(NodeId node) const {
  return data_->neighbors(node);
}
int64_t SocialGraph::degree(NodeId node) const { return data_->degree(node); }
uint32_t SocialGraph::community(NodeId node) const {
  if (data_->community.empty()) return kNoCommunity;
  return data_->community[node];
}
absl::Span<const uint32_t> SocialGraph::communities() const {
  return data_->community;
}

namespace {
ArcInfo Decode(const internal::GraphData& d, uint64_t index) {
  return internal::UnpackArc(d.arcs[index], d.targets[index]);
}
}  // namespace

ArcInfo SocialGraph::arc(NodeId node, int64_t i) const {
  return Decode(*data_, data_->offsets[node] + i);
}

std::optional<ArcInfo> SocialGraph::FindArc(NodeId u, NodeId v) const {
  const int64_t i = data_->FindArc(u, v);
  if (i < 0) return std::nullopt;
  return Decode(*data_, i);
}

UserProfile SocialGraph::profile(NodeId node) const {
  const internal::GraphData& d = *data_;
  UserProfile p;
  p.user = d.users.external(node);
  p.degree = d.degree(node);
  p.activity_7d = d.activity_7d[node];
  p.activity_30d = d.activity_30d[node];
  p.first_seen = d.first_seen[node];
  p.is_new = d.is_new[node] != 0;
  p.joins = d.joins[node];
  p.exposures = d.exposures[node];
  p.join_rate = d.join_rate[node];
  p.purchase_weight = d.purchase_weight[node];
  const auto& rows = d.user_categories;
  for (uint64_t i = rows.offsets[node]; i < rows.offsets[node + 1]; ++i) {
    p.category_affinity.emplace_back(d.categories.external(rows.keys[i]),
                                     rows.weights[i]);
  }
  std::sort(p.category_affinity.begin(), p.category_affinity.end());
  return p;
}

float SocialGraph::CategoryAffinity(NodeId node, CategoryId category) const {
  const internal::GraphData& d = *data_;
  const auto c = d.categories.Find(category);
  if (!c || d.purchase_weight[node] <= 0) return 0;
  return d.user_categories.Find(node, *c) / d.purchase_weight[node];
}

float SocialGraph::ItemAffinity(NodeId node, ItemId item) const {
  const auto i = data_->items.Find(item);
  return i ? data_->user_items.Find(node, *i) : 0.0f;
}

float SocialGraph::ShoppingSimilarity(NodeId a, NodeId b) const {
  return internal::CategoryCosine(*data_, a, b);
}

std::vector<AttributeInfo> SocialGraph::attributes() const {
  std::vector<AttributeInfo> out;
  for (const internal::AttributeColumn& c : data_->attributes.columns) {
    out.push_back({.name = c.name,
                   .type = c.type,
                   .builtin = false,
                   .values = c.dictionary});
  }
  for (std::string_view b : internal::BuiltinAttributeNames()) {
    out.push_back({.name = std::string(b),
                   .type = AttributeType::kNumber,
                   .builtin = true,
                   .values = {}});
  }
  return out;
}

std::optional<AttributeColumnView> SocialGraph::attribute_column(
    std::string_view name) const {
  const internal::AttributeColumn* c = data_->attributes.Find(name);
  if (c == nullptr) return std::nullopt;
  return AttributeColumnView{.type = c->type,
                             .dictionary = c->dictionary,
                             .codes = c->type == AttributeType::kTags
                                          ? absl::MakeConstSpan(c->tag_codes)
                                          : absl::MakeConstSpan(c->code),
                             .tag_offsets = c->tag_offsets,
                             .numbers = c->number};
}

CategoryId SocialGraph::item_category(ItemId item) const {
  const auto i = data_->items.Find(item);
  if (!i) return kNoCategory;
  const uint32_t c = data_->item_category[*i];
  return c == IdMap::kAbsent ? kNoCategory : data_->categories.external(c);
}

absl::Span<const NodeId> SocialGraph::item_buyers(ItemId item) const {
  const auto i = data_->items.Find(item);
  if (!i) return {};
  const auto& r = data_->item_buyers;
  return absl::MakeConstSpan(r.keys.data() + r.offsets[*i],
                             r.offsets[*i + 1] - r.offsets[*i]);
}

}  // namespace invitegraph
