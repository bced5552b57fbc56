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

FirstStage FirstStage::Make(const GraphData& g,
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
  const bool abuse = !g.suspicion.empty();
  const bool centrality = !g.pagerank.empty();
  const uint32_t n = g.num_nodes();
  s.users.resize(n);
  for (NodeId v = 0; v < n; ++v) {
    // The values the feature row would hold (features.cc).
    auto value = [&](int f) -> float {
      switch (f) {
        case kCandidateActivity7d:
          return g.activity_7d[v];
        case kCandidateActivity30d:
          return g.activity_30d[v];
        case kCandidateIsNew:
          return g.is_new[v] ? 1.0f : 0.0f;
        case kCandidateJoinRate:
          return g.join_rate[v];
        case kCandidateDegree:
          return static_cast<float>(g.degree(v));
        case kCandidatePurchases:
          return g.purchase_weight[v];
        case kCandidateSuspicion:
          return abuse ? g.suspicion[v] : 0.0f;
        case kCandidateReputation:
          return abuse ? g.reputation[v] : 0.5f;
        case kCandidatePagerank:
          return centrality ? g.ScaledPagerank(v) : 0.0f;
        case kCandidateCoreNumber:
          return centrality ? static_cast<float>(g.core_number[v]) : 0.0f;
        default:  // kCandidateClustering
          return centrality ? g.clustering[v] : 0.0f;
      }
    };
    float prior = 0;
    for (int f : kUserFeatures) {
      if (weights[f] != 0) prior += weights[f] * LinearTransform(f, value(f));
    }
    s.users[v] = {prior, g.degree(v)};
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
