#include "recommend/cascade.h"

#include <algorithm>
#include <array>
#include <vector>

#include "invitegraph/ranker.h"

namespace invitegraph::internal {

namespace {

// The per-candidate features of the first stage, in the order they are
// summed into FirstStage::User::prior.
constexpr std::array<int, 11> kUserFeatures = {
    kCandidateActivity7d, kCandidateActivity30d, kCandidateIsNew,
    kCandidateJoinRate,   kCandidateDegree,      kCandidatePurchases,
    kCandidateSuspicion,  kCandidateReputation,  kCandidatePagerank,
    kCandidateCoreNumber, kCandidateClustering};

}  // namespace

FirstStage FirstStage::Make(const UserBlocks& users,
                            const std::array<float, kNumFeatures>& weights) {
  FirstStage s;
  s.weights = weights;
  const auto& table = PackedArc::ChannelTable();
  for (int ch = 0; ch < kNumChannels; ++ch) {
    for (int q = 0; q < 256; ++q) {
      s.channel_terms[ch][q] = weights[kChatWeight + ch] *
                               LinearTransform(kChatWeight + ch, table[q]);
    }
  }
  auto term = [&](int f, float x) {
    return weights[f] * LinearTransform(f, x);
  };
  // T_f of every tie code and of every whole day: the same for all weights,
  // so computed once per process (65,536 codes cost milliseconds).
  static const auto* const kTransforms = [] {
    auto* t = new std::array<std::vector<float>, 3>;
    for (int which : {0, 1}) {
      const int f = which == 0 ? kTieStrength : kReverseTieStrength;
      (*t)[which].resize(65536);
      for (uint32_t q = 0; q < 65536; ++q) {
        (*t)[which][q] =
            LinearTransform(f, PackedArc::DecodeTie(static_cast<uint16_t>(q)));
      }
    }
    (*t)[2].resize(static_cast<size_t>(kNeverDays) + 1);
    for (size_t d = 0; d < (*t)[2].size(); ++d) {
      (*t)[2][d] =
          LinearTransform(kDaysSinceLastInteraction, static_cast<float>(d));
    }
    return t;
  }();
  s.tie_terms.resize(65536);
  s.reverse_tie_terms.resize(65536);
  for (uint32_t q = 0; q < 65536; ++q) {
    s.tie_terms[q] = weights[kTieStrength] * (*kTransforms)[0][q];
    s.reverse_tie_terms[q] =
        weights[kReverseTieStrength] * (*kTransforms)[1][q];
  }
  s.days_terms.resize((*kTransforms)[2].size());
  for (size_t d = 0; d < s.days_terms.size(); ++d) {
    s.days_terms[d] = weights[kDaysSinceLastInteraction] * (*kTransforms)[2][d];
  }
  s.common_terms.resize(kCommonTerms);
  for (uint32_t c = 0; c < kCommonTerms; ++c) {
    s.common_terms[c] = term(kCommonNeighbors, static_cast<float>(c));
  }
  // The values the feature row holds, from the same user blocks the
  // features read.
  s.users.resize(users.by_node.size());
  for (size_t v = 0; v < users.by_node.size(); ++v) {
    const UserBlock& u = users.by_node[v];
    const std::array<float, kUserFeatures.size()> x = {
        u.activity_7d,
        u.activity_30d,
        u.is_new ? 1.0f : 0.0f,
        u.join_rate,
        static_cast<float>(u.degree),
        u.purchase_weight,
        u.suspicion,
        u.reputation,
        u.pagerank,
        static_cast<float>(u.core_number),
        u.clustering};
    float prior = 0;
    for (size_t i = 0; i < kUserFeatures.size(); ++i) {
      const int f = kUserFeatures[i];
      if (weights[f] != 0) prior += weights[f] * LinearTransform(f, x[i]);
    }
    s.users[v] = {prior, u.degree};
  }
  return s;
}

namespace {

float FirstStageScore(const FirstStage& stage, const GraphData& g,
                      NodeId inviter, const CandidateScratch::Candidate& c) {
  const auto& a = stage.weights;
  const float cn = static_cast<float>(c.common_neighbors);
  float s =
      (c.common_neighbors < FirstStage::kCommonTerms
           ? stage.common_terms[c.common_neighbors]
           : a[kCommonNeighbors] * LinearTransform(kCommonNeighbors, cn)) +
      a[kAdamicAdar] * LinearTransform(kAdamicAdar, c.adamic_adar);
  if (!c.one_hop) {
    s += a[kIsTwoHop];
  } else {
    const PackedArc& p = g.arcs[c.arc];
    const PackedArc& q = g.arcs[ReverseArc(g, inviter, c)];
    s += stage.tie_terms[p.tie_q];
    s += stage.reverse_tie_terms[q.tie_q];
    for (int ch = 0; ch < kNumChannels; ++ch)
      s += stage.channel_terms[ch][p.channel_q[ch]];
    // The last interaction in either direction, as the feature has it
    // (kNoInteraction reads as kNeverDays).
    s += stage.days_terms[std::min<uint32_t>(
        std::min(p.days(), q.days()), static_cast<uint32_t>(kNeverDays))];
    if (p.is_friend()) s += a[kIsFriend];
  }
  const FirstStage::User& v = stage.users[c.node];
  const float uni = static_cast<float>(stage.users[inviter].degree) +
                    static_cast<float>(v.degree) - cn;
  s += a[kJaccard] * (uni > 0 ? cn / uni : 0.0f);
  return s + v.prior;
}

}  // namespace

bool CascadeCut::Apply(const FirstStage& stage, const GraphData& g,
                       NodeId inviter, int64_t keep,
                       std::vector<CandidateScratch::Candidate>* found) {
  const int64_t n = static_cast<int64_t>(found->size());
  if (keep >= n) return false;
  // The arcs back and the users' priors are the random reads here: ask for
  // them all first.
  for (const CandidateScratch::Candidate& c : *found) {
    if (c.reverse_arc >= 0) __builtin_prefetch(&g.arcs[c.reverse_arc]);
    __builtin_prefetch(&stage.users[c.node]);
  }
  rows_.resize(n);
  for (int64_t i = 0; i < n; ++i) {
    const CandidateScratch::Candidate& c = (*found)[i];
    rows_[i] = {FirstStageScore(stage, g, inviter, c), c.node,
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
