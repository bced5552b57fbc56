// Fills feature rows for the candidates of one request.
#ifndef INVITEGRAPH_FEATURES_FEATURE_ROWS_H_
#define INVITEGRAPH_FEATURES_FEATURE_ROWS_H_

#include <vector>

#include "candidates/candidate_finder.h"
#include "graph/graph_data.h"
#include "invitegraph/features.h"

namespace invitegraph::internal {

// The campaign resolved to dense ids (IdMap::kAbsent when unknown).
struct CampaignContext {
  uint32_t item = IdMap::kAbsent;
  uint32_t category = IdMap::kAbsent;
};

CampaignContext ResolveCampaign(const GraphData& g, ItemId item,
                                CategoryId category);

// Writes one row per candidate into `out` (resized to candidates x
// kNumFeatures).
void FillFeatures(const GraphData& g, NodeId inviter,
                  const CampaignContext& campaign,
                  const std::vector<CandidateScratch::Candidate>& candidates,
                  FeatureArray* out);

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_FEATURES_FEATURE_ROWS_H_
