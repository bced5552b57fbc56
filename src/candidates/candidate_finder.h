// Candidate generation with exact link-prediction counts, on reusable scratch
// memory.
#ifndef INVITEGRAPH_CANDIDATES_CANDIDATE_FINDER_H_
#define INVITEGRAPH_CANDIDATES_CANDIDATE_FINDER_H_

#include <cstdint>
#include <vector>

#include "audience/audience_program.h"
#include "graph/graph_data.h"
#include "invitegraph/candidates.h"

namespace invitegraph::internal {

// Per-thread working memory sized to the graph; reused across requests. Each
// slot is valid only when its stamp equals the current epoch, so nothing is
// cleared per request.
class CandidateScratch {
 public:
  explicit CandidateScratch(uint32_t num_nodes) : slots_(num_nodes) {}

  struct Candidate {
    NodeId node;
    bool one_hop;
    int64_t arc;  // index of the arc inviter -> node, -1 for 2-hop candidates
    uint32_t common_neighbors;
    float adamic_adar;
  };

  // Fills `out` with the candidates of `inviter` (see candidates.h for the
  // order) and their exact common-neighbour counts and Adamic-Adar scores.
  // With an `audience`, only its members: 2-hop candidates outside it are
  // dropped before the best max_two_hop are kept.
  void Find(const GraphData& g, NodeId inviter, const CandidateOptions& options,
            std::vector<Candidate>* out,
            const AudienceProgram* audience = nullptr);

 private:
  struct Slot {
    uint32_t stamp = 0;
    uint32_t common = 0;
    float adamic_adar = 0;
    uint32_t one_hop = 0;
  };
  Slot& Touch(NodeId v, std::vector<NodeId>* touched) {
    Slot& s = slots_[v];
    if (s.stamp != epoch_) {
      s = Slot{epoch_, 0, 0.0f, 0};
      touched->push_back(v);
    }
    return s;
  }

  std::vector<Slot> slots_;
  uint32_t epoch_ = 0;
  std::vector<NodeId> touched_;
  std::vector<NodeId> two_hop_;
  std::vector<NodeId> hubs_;  // contacts not expanded (degree above the cap)
};

// 1 / ln(degree), the Adamic-Adar weight of a common neighbour (degree >= 2).
inline float AdamicAdarWeight(uint32_t degree) {
  return degree > 1 ? 1.0f / std::log(static_cast<float>(degree)) : 0.0f;
}

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_CANDIDATES_CANDIDATE_FINDER_H_
