#include <algorithm>
#include <cmath>

#include "candidates/candidate_finder.h"
#include "invitegraph/candidates.h"

namespace invitegraph {
namespace internal {

void CountCommon(const GraphData& g, NodeId u, NodeId v, uint32_t* common, float* aa) {
  auto a = g.neighbors(u), b = g.neighbors(v);
  size_t i = 0, j = 0;
  uint32_t c = 0;
  double s = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] < b[j]) {
      ++i;
    } else if (b[j] < a[i]) {
      ++j;
    } else {
      ++c;
      s += AdamicAdarWeight(g.degree(a[i]));
      ++i;
      ++j;
    }
  }
  *common = c;
  *aa = static_cast<float>(s);
}

void CandidateScratch::Find(const GraphData& g, NodeId inviter, const CandidateOptions& options,
                            std::vector<Candidate>* out) {
  out->clear();
  if (++epoch_ == 0) {  // wrapped: reset all stamps once every 2^32 requests
    std::fill(slots_.begin(), slots_.end(), Slot{});
    epoch_ = 1;
  }
  touched_.clear();
  const auto contacts = g.neighbors(inviter);
  for (NodeId z : contacts) Touch(z, &touched_).one_hop = 1;
  // Expanding the contacts also yields exact common-neighbour counts for the 1-hop
  // candidates, unless a hub was skipped; then counts are merged per candidate below.
  bool exact = true;
  for (NodeId z : contacts) {
    const uint32_t dz = g.degree(z);
    if (dz > static_cast<uint32_t>(options.hub_degree_cap)) {
      exact = false;
      continue;
    }
    const float w = AdamicAdarWeight(dz);
    for (NodeId v : g.neighbors(z)) {
      if (v == inviter) continue;
      Slot& s = Touch(v, &touched_);
      s.common += 1;
      s.adamic_adar += w;
    }
  }
  two_hop_.clear();
  if (options.include_two_hop && options.max_two_hop > 0) {
    for (NodeId v : touched_) {
      if (!slots_[v].one_hop) two_hop_.push_back(v);
    }
    auto better = [this](NodeId a, NodeId b) {
      const float x = slots_[a].adamic_adar, y = slots_[b].adamic_adar;
      return x != y ? x > y : a < b;
    };
    if (two_hop_.size() > static_cast<size_t>(options.max_two_hop)) {
      std::nth_element(two_hop_.begin(), two_hop_.begin() + options.max_two_hop,
                       two_hop_.end(), better);
      two_hop_.resize(options.max_two_hop);
    }
    std::sort(two_hop_.begin(), two_hop_.end());
  }
  out->reserve(contacts.size() + two_hop_.size());
  auto emit = [&](NodeId v, bool one_hop) {
    Candidate c{v, one_hop, 0, 0.0f};
    if (exact) {
      c.common_neighbors = slots_[v].common;
      c.adamic_adar = slots_[v].adamic_adar;
    } else {
      CountCommon(g, inviter, v, &c.common_neighbors, &c.adamic_adar);
    }
    out->push_back(c);
  };
  for (NodeId v : contacts) emit(v, true);
  for (NodeId v : two_hop_) emit(v, false);
}

}  // namespace internal

std::vector<NodeId> FindCandidates(const SocialGraph& graph, NodeId inviter,
                                   const CandidateOptions& options) {
  internal::CandidateScratch scratch(static_cast<uint32_t>(graph.num_nodes()));
  std::vector<internal::CandidateScratch::Candidate> found;
  scratch.Find(graph.data(), inviter, options, &found);
  std::vector<NodeId> out;
  out.reserve(found.size());
  for (const auto& c : found) out.push_back(c.node);
  return out;
}

}  // namespace invitegraph
