// The cascade's first stage: a cheap score over every candidate of a request
// from what the 2-hop expansion already knows, so that only the best of a
// large pool pay for full features, the model, the policy chain and reasons.
//
// The score is the hand-set linear ranker (LinearRankerWeights(),
// LinearTransform()) over the features the expansion gives for free:
// tie_strength, reverse_tie_strength, days_since_last_interaction, is_friend,
// is_two_hop (all read from the arcs between inviter and candidate: the
// expansion notes where each contact's arc back is), common_neighbors and
// adamic_adar (without the contributions of hub contacts, which are added to
// the kept rows only). docs/performance.md, "Cascade ranking", measures what it
// costs the learned rankers against the size of the cut.
#ifndef INVITEGRAPH_RECOMMEND_CASCADE_H_
#define INVITEGRAPH_RECOMMEND_CASCADE_H_

#include <cstdint>
#include <vector>

#include "candidates/candidate_finder.h"
#include "graph/graph_data.h"

namespace invitegraph::internal {

class CascadeCut {
 public:
  // Keeps the best `keep` rows of `found` by first-stage score (ties: the
  // smaller NodeId), in their original order; nothing when keep >= its size.
  // Returns whether rows were cut.
  bool Apply(const GraphData& g, NodeId inviter, int64_t keep,
             std::vector<CandidateScratch::Candidate>* found);

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
