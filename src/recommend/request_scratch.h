// The working memory of one thread serving requests (RequestScratch) and how
// a group of requests is served (ServeOptions).
#ifndef INVITEGRAPH_RECOMMEND_REQUEST_SCRATCH_H_
#define INVITEGRAPH_RECOMMEND_REQUEST_SCRATCH_H_

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/types/span.h"
#include "candidates/candidate_finder.h"
#include "features/feature_rows.h"
#include "invitegraph/features.h"
#include "invitegraph/types.h"
#include "recommend/cascade.h"

namespace invitegraph::internal {

// Everything one group of requests needs, reused across groups on the same
// thread. A group is one request unless the ranker asks for stacked rows
// (Ranker::PreferredBatchRows()).
struct RequestScratch {
  RequestScratch(uint32_t num_nodes, uint32_t num_items)
      : candidates(num_nodes), items(num_items) {}
  CandidateScratch candidates;
  CascadeCut cascade;
  internal::ItemScratch items;
  // Candidates of the group's requests, concatenated; row i of `features` is
  // found[i]. Request r owns rows [offsets[r], offsets[r + 1]).
  std::vector<CandidateScratch::Candidate> found;
  std::vector<int64_t> offsets;
  FeatureMatrix features;
  // One request's candidates and rows while stacking, and the stacked rows.
  std::vector<CandidateScratch::Candidate> part_found;
  FeatureArray part;
  std::vector<float> stacked;
  std::vector<float> scores;
  // Policy inputs and outputs per row of the group: cap flags (taken with
  // the features), candidate ids, adjusted scores, kept flags and the
  // (row, code) reasons the steps added; and each request's feedback "now".
  std::vector<uint8_t> at_cap, part_at_cap;
  std::vector<Timestamp> nows;
  std::vector<double> urgencies;
  std::vector<uint8_t> cut;  // by request: the cascade cut its pool
  std::vector<UserId> candidate_ids;
  std::vector<float> adjusted;
  std::vector<uint8_t> keep;
  std::vector<std::pair<int64_t, std::string_view>> policy_reasons;
  std::vector<int64_t> order;
  // The suggested rows of the group in output order, how many per request,
  // and their contributions (chosen.size() x kNumFeatures).
  std::vector<int64_t> chosen;
  std::vector<uint8_t> promoted;  // by chosen row: picked for diversity
  std::vector<int64_t> taken;
  std::vector<float> contributions;
  // The diversity pick: rescaled scores, picked flags and (community, picks).
  std::vector<float> relevance;
  std::vector<uint8_t> picked;
  std::vector<std::pair<uint32_t, int>> community_picks;
  std::vector<double> probabilities;
};

// How SuggestGroup serves a group of requests.
struct ServeOptions {
  int k = 0;
  bool explain = true;    // reasons (config.max_reasons permitting)
  bool diversify = true;  // Policy::diversity and urgency's k
  // If set, per request of the group: the only candidates it may return
  // (sorted ascending).
  absl::Span<const std::vector<UserId>> allowed = {};
  // Whether the cascade (RecommenderConfig::cascade_size) may cut the pool,
  // and the k it must keep when not `k` (-1): RecommendWave asks for every
  // eligible candidate (k = INT_MAX) of the pool the cascade keeps for its k.
  bool cascade = true;
  int cascade_k = -1;
};

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_RECOMMEND_REQUEST_SCRATCH_H_
