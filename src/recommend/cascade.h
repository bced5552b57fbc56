// The cascade's first stage: a cheap score over every candidate of a request,
// so that only the best of a large pool pay for full features, the model, the
// policy chain and reasons (RecommenderConfig::cascade_size).
//
// The score is sum_f a_f * LinearTransform(f, x_f) with the ranker's own
// weights (Ranker::FirstStageWeights()) over the features that cost nothing
// or one read per candidate:
//   - from the 2-hop expansion and the arcs between inviter and candidate:
//     common_neighbors, adamic_adar (both without the contributions of hub
//     contacts, which are added to the kept rows only), is_two_hop,
//     tie_strength, reverse_tie_strength, the eight channel weights,
//     days_since_last_interaction, is_friend, and jaccard;
//   - per candidate, summed once per graph generation into a prior: activity
//     (7 and 30 days), is_new, join_rate, degree, purchases, suspicion,
//     reputation and the influence measures.
// Left out, as they need the candidate's purchase rows, profile or recorded
// outcomes: bought_item, category affinity, shopping and item similarity,
// the attribute features, accept rate and fatigue. The terms are added in
// that order (pair terms, jaccard, then the prior).
// docs/performance.md, "Cascade ranking", measures what the cut costs the
// learned rankers against its size.
#ifndef INVITEGRAPH_RECOMMEND_CASCADE_H_
#define INVITEGRAPH_RECOMMEND_CASCADE_H_

#include <array>
#include <cstdint>
#include <vector>

#include "candidates/candidate_finder.h"
#include "features/user_block.h"
#include "graph/graph_data.h"
#include "invitegraph/features.h"

namespace invitegraph::internal {

// The request-independent part of the first stage for one graph and ranker.
struct FirstStage {
  std::array<float, kNumFeatures> weights{};
  // Terms a_f * T_f(x) looked up rather than computed: by channel code, for
  // each channel; by tie-strength code, both ways; by whole days up to
  // kNeverDays; and by common-neighbour count below kCommonTerms.
  std::array<std::array<float, 256>, kNumChannels> channel_terms{};
  std::vector<float> tie_terms, reverse_tie_terms, days_terms, common_terms;
  static constexpr uint32_t kCommonTerms = 1024;
  struct User {
    float prior;  // the per-candidate terms
    uint32_t degree;
  };
  std::vector<User> users;  // by NodeId

  // From the generation's user blocks (the features' own inputs).
  static FirstStage Make(const UserBlocks& users,
                         const std::array<float, kNumFeatures>& weights);
};

class CascadeCut {
 public:
  // Keeps the best `keep` rows of `found` by first-stage score (ties: the
  // smaller NodeId), in their original order; nothing when keep >= its size.
  // Returns whether rows were cut.
  bool Apply(const FirstStage& stage, const GraphData& g, NodeId inviter,
             int64_t keep, std::vector<CandidateScratch::Candidate>* found);

 private:
  struct Row {
    float score;
    NodeId node;
    uint32_t row;
  };
  std::vector<Row> rows_;
  std::vector<uint8_t> kept_;
};

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_RECOMMEND_CASCADE_H_
