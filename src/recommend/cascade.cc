#include "recommend/cascade.h"

#include <algorithm>

#include "invitegraph/features.h"
#include "invitegraph/ranker.h"

namespace invitegraph::internal {

namespace {

// sum_f w_f * T_f(x_f) over the first-stage features of one candidate.
float FirstStageScore(const GraphData& g, NodeId inviter,
                      const CandidateScratch::Candidate& c,
                      const std::array<float, kNumFeatures>& w) {
  float s = w[kCommonNeighbors] *
                LinearTransform(kCommonNeighbors,
                                static_cast<float>(c.common_neighbors)) +
            w[kAdamicAdar] * LinearTransform(kAdamicAdar, c.adamic_adar);
  if (!c.one_hop) return s + w[kIsTwoHop];
  const PackedArc& p = g.arcs[c.arc];
  const PackedArc& q = g.arcs[ReverseArc(g, inviter, c)];
  s += w[kTieStrength] * LinearTransform(kTieStrength, p.tie_strength()) +
       w[kReverseTieStrength] *
           LinearTransform(kReverseTieStrength, q.tie_strength());
  // The last interaction in either direction, as the feature has it
  // (kNoInteraction reads as kNeverDays).
  s += w[kDaysSinceLastInteraction] *
       LinearTransform(
           kDaysSinceLastInteraction,
           std::min<float>(std::min(p.days(), q.days()), kNeverDays));
  if (p.is_friend()) s += w[kIsFriend];
  return s;
}

}  // namespace

bool CascadeCut::Apply(const GraphData& g, NodeId inviter, int64_t keep,
                       std::vector<CandidateScratch::Candidate>* found) {
  const int64_t n = static_cast<int64_t>(found->size());
  if (keep >= n) return false;
  const auto& w = LinearRankerWeights();
  // The arcs back are the random reads here: ask for them all first.
  for (const CandidateScratch::Candidate& c : *found) {
    if (c.reverse_arc >= 0) __builtin_prefetch(&g.arcs[c.reverse_arc]);
  }
  rows_.resize(n);
  for (int64_t i = 0; i < n; ++i) {
    const CandidateScratch::Candidate& c = (*found)[i];
    rows_[i] = {FirstStageScore(g, inviter, c, w), c.node,
                static_cast<uint32_t>(i)};
  }
  std::nth_element(rows_.begin(), rows_.begin() + keep, rows_.end(),
                   [](const Row& a, const Row& b) {
                     return a.score != b.score ? a.score > b.score
                                               : a.node < b.node;
                   });
  kept_.assign(n, 0);
  for (int64_t i = 0; i < keep; ++i) kept_[rows_[i].row] = 1;
  int64_t out = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (kept_[i]) (*found)[out++] = (*found)[i];
  }
  found->resize(out);
  return true;
}

}  // namespace invitegraph::internal
