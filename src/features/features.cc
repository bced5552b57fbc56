#include "invitegraph/features.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "features/feature_rows.h"
#include "internal/sorted.h"
#include "internal/strings.h"

namespace invitegraph {

absl::Span<const std::string> FeatureNames() {
  static const std::vector<std::string>* const kNames =
      new std::vector<std::string>{
          "tie_strength",
          "reverse_tie_strength",
          "chat_weight",
          "like_weight",
          "comment_weight",
          "share_weight",
          "visit_weight",
          "assist_weight",
          "team_join_weight",
          "invite_accepted_weight",
          "days_since_last_interaction",
          "is_friend",
          "is_two_hop",
          "common_neighbors",
          "adamic_adar",
          "jaccard",
          "candidate_bought_item",
          "candidate_category_affinity",
          "shopping_similarity",
          "candidate_activity_7d",
          "candidate_activity_30d",
          "candidate_is_new",
          "candidate_join_rate",
          "candidate_degree",
          "item_similarity",
          "candidate_purchases",
          "candidate_accept_rate",
          "candidate_fatigue",
          "candidate_suspicion",
          "candidate_reputation",
          "same_region",
          "same_age_band",
          "tag_overlap",
          "category_tag_match",
          // Influence features.
          "candidate_pagerank",
          "candidate_core_number",
          "candidate_clustering",
      };
  return *kNames;
}

absl::StatusOr<int> FeatureIndex(std::string_view name) {
  const auto names = FeatureNames();
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<int>(i);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown feature '", absl::string_view(name.data(), name.size()),
      "'; features: ", internal::Join(names, ", ")));
}

namespace internal {

CampaignContext ResolveCampaign(const GraphData& g, ItemId item,
                                CategoryId category,
                                const AttributeFeatureColumns* attributes) {
  CampaignContext c;
  c.attributes = attributes;
  if (item >= 0) {
    if (auto i = g.items.Find(item)) c.item = *i;
  }
  if (category >= 0) {
    if (auto k = g.categories.Find(category)) c.category = *k;
  } else if (c.item != IdMap::kAbsent) {
    c.category = g.item_category[c.item];
  }
  const CategoryId external = category >= 0 ? category
                              : c.category != IdMap::kAbsent
                                  ? g.categories.external(c.category)
                                  : kNoCategory;
  if (attributes != nullptr && external >= 0) {
    auto it = attributes->category_tags.find(external);
    if (it != attributes->category_tags.end()) {
      c.category_tags = &it->second.first;
      c.category_tag_count = it->second.second;
    }
  }
  return c;
}

void ItemScratch::Load(const SparseRows& rows, NodeId u) {
  if (++epoch_ == 0) {  // wrapped: reset all stamps once every 2^32 requests
    for (Slot& s : slots_) s.stamp = 0;
    epoch_ = 1;
  }
  double sq = 0;
  for (uint64_t i = rows.offsets[u]; i < rows.offsets[u + 1]; ++i) {
    slots_[rows.keys[i]] = Slot{epoch_, rows.weights[i]};
    sq += static_cast<double>(rows.weights[i]) * rows.weights[i];
  }
  norm_ = std::sqrt(sq);
}

float ItemScratch::Cosine(const SparseRows& rows, uint64_t begin,
                          uint64_t end) const {
  if (norm_ <= 0) return 0.0f;
  double dot = 0, sq = 0;
  for (uint64_t i = begin; i < end; ++i) {
    const double w = rows.weights[i];
    sq += w * w;
    const Slot& s = slots_[rows.keys[i]];
    if (s.stamp == epoch_) dot += w * s.weight;
  }
  if (sq <= 0) return 0.0f;
  // Rounding may push the cosine of parallel rows a hair above 1.
  return static_cast<float>(std::min(1.0, dot / (norm_ * std::sqrt(sq))));
}

namespace {

float SameCategory(const AttributeColumn* c, NodeId u, NodeId v) {
  if (c == nullptr) return 0.0f;
  return c->code[u] >= 0 && c->code[u] == c->code[v] ? 1.0f : 0.0f;
}

void FillAttributeFeatures(const CampaignContext& campaign, NodeId u, NodeId v,
                           float* x) {
  const AttributeFeatureColumns* a = campaign.attributes;
  if (a == nullptr) return;
  x[kSameRegion] = SameCategory(a->region, u, v);
  x[kSameAgeBand] = SameCategory(a->age_band, u, v);
  if (a->tags != nullptr) {
    const auto tu = a->tags->tags(u), tv = a->tags->tags(v);
    const int64_t common = SortedIntersectionSize(tu, tv);
    const int64_t uni = static_cast<int64_t>(tu.size() + tv.size()) - common;
    x[kTagOverlap] = uni > 0 ? static_cast<float>(common) / uni : 0.0f;
    if (campaign.category_tags != nullptr && campaign.category_tag_count > 0) {
      x[kCategoryTagMatch] =
          static_cast<float>(SortedIntersectionSize(
              tv, absl::MakeConstSpan(*campaign.category_tags))) /
          static_cast<float>(campaign.category_tag_count);
    }
  }
}

}  // namespace

void FillFeatures(const GraphData& g, const UserBlocks& users, NodeId inviter,
                  const CampaignContext& campaign,
                  const std::vector<CandidateScratch::Candidate>& candidates,
                  const FeedbackView& feedback, ItemScratch* items,
                  FeatureArray* out, float tie_discount) {
  const bool abuse = !g.suspicion.empty();
  const bool centrality = !g.pagerank.empty();
  const int64_t n = static_cast<int64_t>(candidates.size());
  out->resize(static_cast<Eigen::Index>(n), kNumFeatures);
  const UserBlock& ub = users.by_node[inviter];
  const float deg_u = static_cast<float>(ub.degree);
  const auto [ci, cie] = users.Categories(g, inviter);
  items->Load(g.user_items, inviter);
  // Each row reads a handful of lines at random: its candidate's block, the
  // arc back and its recorded outcomes; then the purchase rows the block
  // points to; then the item slots those rows name. Ask for each a few rows
  // ahead, in that order, so that the misses of several rows overlap.
  constexpr int64_t kBlocksAhead = 6, kRowsAhead = 4, kSlotsAhead = 2;
  constexpr uint64_t kMaxSlots = 8;  // item slots asked for per row
  auto prefetch_block = [&](int64_t r) {
    const CandidateScratch::Candidate& c = candidates[r];
    __builtin_prefetch(&users.by_node[c.node]);
    if (c.reverse_arc >= 0) __builtin_prefetch(&g.arcs[c.reverse_arc]);
    if (!feedback.records.empty())
      __builtin_prefetch(&feedback.records[c.node]);
  };
  auto prefetch_rows = [&](int64_t r) {
    const NodeId v = candidates[r].node;
    const auto [i, ie] = users.Items(g, v);
    const auto [j, je] = users.Categories(g, v);
    if (i < ie) {
      __builtin_prefetch(&g.user_items.keys[i]);
      __builtin_prefetch(&g.user_items.weights[i]);
    }
    if (j < je) {
      __builtin_prefetch(&g.user_categories.keys[j]);
      __builtin_prefetch(&g.user_categories.weights[j]);
    }
  };
  auto prefetch_slots = [&](int64_t r) {
    const auto [i, ie] = users.Items(g, candidates[r].node);
    items->Prefetch(g.user_items, i, std::min(ie, i + kMaxSlots));
  };
  for (int64_t r = 0; r < std::min(n, kBlocksAhead); ++r) prefetch_block(r);
  for (int64_t r = 0; r < std::min(n, kRowsAhead); ++r) prefetch_rows(r);
  for (int64_t r = 0; r < n; ++r) {
    if (r + kBlocksAhead < n) prefetch_block(r + kBlocksAhead);
    if (r + kRowsAhead < n) prefetch_rows(r + kRowsAhead);
    if (r + kSlotsAhead < n) prefetch_slots(r + kSlotsAhead);
    const CandidateScratch::Candidate& c = candidates[r];
    const NodeId v = c.node;
    const UserBlock& b = users.by_node[v];
    float* x = out->row(static_cast<Eigen::Index>(r)).data();
    std::fill(x, x + kNumFeatures, 0.0f);
    float days = kNeverDays;
    if (c.one_hop) {
      const PackedArc& p = g.arcs[c.arc];
      x[kTieStrength] = p.tie_strength();
      for (int ch = 0; ch < kNumChannels; ++ch)
        x[kChatWeight + ch] = p.channel(ch);
      if (p.days() != PackedArc::kNoInteraction) days = p.days();
      x[kIsFriend] = p.is_friend() ? 1.0f : 0.0f;
      const PackedArc& q = g.arcs[ReverseArc(g, inviter, c)];
      x[kReverseTieStrength] = q.tie_strength();
      if (q.days() != PackedArc::kNoInteraction)
        days = std::min<float>(days, q.days());
      if (abuse && tie_discount > 0) {
        // The arc's suspicion is the larger of its ends' (abuse.h).
        const float keep =
            1 - tie_discount * std::max(ub.suspicion, b.suspicion);
        if (keep < 1) {
          x[kTieStrength] *= keep;
          x[kReverseTieStrength] *= keep;
          for (int ch = 0; ch < kNumChannels; ++ch) x[kChatWeight + ch] *= keep;
        }
      }
    } else {
      x[kIsTwoHop] = 1.0f;
    }
    x[kDaysSinceLastInteraction] = std::min(days, kNeverDays);
    x[kCommonNeighbors] = static_cast<float>(c.common_neighbors);
    x[kAdamicAdar] = c.adamic_adar;
    const float deg_v = static_cast<float>(b.degree);
    const float uni = deg_u + deg_v - static_cast<float>(c.common_neighbors);
    x[kJaccard] = uni > 0 ? static_cast<float>(c.common_neighbors) / uni : 0.0f;
    const auto [i, ie] = users.Items(g, v);
    const auto [j, je] = users.Categories(g, v);
    if (campaign.item != IdMap::kAbsent) {
      x[kCandidateBoughtItem] =
          g.user_items.FindIn(i, ie, campaign.item) > 0 ? 1.0f : 0.0f;
    }
    if (campaign.category != IdMap::kAbsent && b.purchase_weight > 0) {
      x[kCandidateCategoryAffinity] =
          g.user_categories.FindIn(j, je, campaign.category) /
          b.purchase_weight;
    }
    x[kShoppingSimilarity] =
        CategoryCosineOf(g, ci, cie, ub.category_norm, j, je, b.category_norm);
    x[kCandidateActivity7d] = b.activity_7d;
    x[kCandidateActivity30d] = b.activity_30d;
    x[kCandidateIsNew] = b.is_new ? 1.0f : 0.0f;
    x[kCandidateJoinRate] = b.join_rate;
    x[kCandidateDegree] = deg_v;
    x[kItemSimilarity] = items->Cosine(g.user_items, i, ie);
    x[kCandidatePurchases] = b.purchase_weight;
    x[kCandidateAcceptRate] = feedback.AcceptRate(v);
    x[kCandidateFatigue] = feedback.Fatigue(v);
    x[kCandidateSuspicion] = b.suspicion;
    x[kCandidateReputation] = b.reputation;
    FillAttributeFeatures(campaign, inviter, v, x);
    // Influence features (0 without centrality, from the fill above).
    if (centrality) {
      x[kCandidatePagerank] = b.pagerank;
      x[kCandidateCoreNumber] = static_cast<float>(b.core_number);
      x[kCandidateClustering] = b.clustering;
    }
  }
}

}  // namespace internal
}  // namespace invitegraph
