// Stage 1 of a request: the inviter's candidates and their feature rows.
#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "graph/graph_data.h"
#include "internal/strings.h"
#include "invitegraph/status.h"
#include "recommend/impl.h"

namespace invitegraph {
namespace internal {

absl::StatusOr<AttributeFeatureColumns> ResolveAttributeFeatures(
    const GraphData& g, const AttributeFeatureOptions& o) {
  AttributeFeatureColumns out;
  auto column =
      [&](const std::string& name, AttributeType type,
          absl::string_view field) -> absl::StatusOr<const AttributeColumn*> {
    const AttributeColumn* c = g.attributes.Find(name);
    if (c != nullptr && c->type != type) {
      return absl::InvalidArgumentError(absl::StrCat(
          "RecommenderConfig.scoring.attribute_features.", field, "='", name,
          "': the graph's column is ", internal::Sv(AttributeTypeName(c->type)),
          ", the feature needs ", internal::Sv(AttributeTypeName(type))));
    }
    return c;
  };
  INVITEGRAPH_ASSIGN_OR_RETURN(
      out.region, column(o.region, AttributeType::kCategory, "region"));
  INVITEGRAPH_ASSIGN_OR_RETURN(
      out.age_band, column(o.age_band, AttributeType::kCategory, "age_band"));
  INVITEGRAPH_ASSIGN_OR_RETURN(out.tags,
                               column(o.tags, AttributeType::kTags, "tags"));
  for (const auto& [category, tags] : o.category_tags) {
    if (tags.empty()) continue;
    std::vector<int32_t> codes;
    for (const std::string& t : tags) {
      const int32_t c = out.tags != nullptr ? out.tags->Find(t) : -1;
      if (c >= 0) codes.push_back(c);
    }
    std::sort(codes.begin(), codes.end());
    codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
    std::vector<std::string> distinct = tags;
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()),
                   distinct.end());
    out.category_tags[category] = {std::move(codes),
                                   static_cast<int32_t>(distinct.size())};
  }
  return out;
}

}  // namespace internal

void Recommender::Impl::Featurize(
    NodeId inviter, const Campaign& campaign, RequestScratch& s,
    std::vector<CandidateScratch::Candidate>* found, FeatureArray* values,
    std::vector<uint8_t>* at_cap, Timestamp* now, double* urgency, int64_t keep,
    bool* cut) const {
  const internal::GraphData& g = graph.data();
  // One consistent feedback state for the whole request: urgency, features
  // and cap counts see the same recorded outcomes and clock.
  const internal::RecipientState::Reader feedback(recipients);
  const double u =
      campaign.ends_at.has_value()
          ? Urgency(config.policy, *campaign.ends_at, feedback.view().now)
          : 0.0;
  if (u > 0) {
    CandidateOptions wide = config.scoring.candidates;
    wide.max_two_hop = static_cast<int>(std::min<double>(
        std::llround(wide.max_two_hop *
                     (1 + u * (config.policy.urgency_two_hop_factor - 1))),
        std::numeric_limits<int>::max()));
    s.candidates.Find(g, inviter, wide, found, campaign.audience.program(),
                      /*defer_hubs=*/keep >= 0);
  } else {
    s.candidates.Find(g, inviter, config.scoring.candidates, found,
                      campaign.audience.program(), /*defer_hubs=*/keep >= 0);
  }
  if (keep >= 0) {
    const bool was_cut = s.cascade.Apply(first_stage, g, inviter, keep, found);
    if (cut != nullptr) *cut = was_cut;
    s.candidates.AddHubContributions(g, absl::MakeSpan(*found));
  } else if (cut != nullptr) {
    *cut = false;
  }
  const auto ctx = internal::ResolveCampaign(
      g, campaign.item, campaign.category, &attribute_columns);
  internal::FillFeatures(
      g, user_blocks, inviter, ctx, *found, feedback.view(), &s.items, values,
      static_cast<float>(config.policy.suspicious_tie_discount));
  if (at_cap != nullptr) {
    at_cap->resize(found->size());
    const bool caps = policy.has_caps();
    for (size_t i = 0; i < found->size(); ++i) {
      (*at_cap)[i] = caps && feedback.view().AtCap((*found)[i].node);
    }
  }
  if (now != nullptr) *now = feedback.view().now;
  if (urgency != nullptr) *urgency = u;
}

}  // namespace invitegraph
