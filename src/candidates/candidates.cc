#include "invitegraph/candidates.h"

#include <algorithm>
#include <cmath>

#include "candidates/candidate_finder.h"

namespace invitegraph {
namespace internal {

void CandidateScratch::Find(const GraphData& g, NodeId inviter,
                            const CandidateOptions& options,
                            std::vector<Candidate>* out) {
  out->clear();
  if (++epoch_ == 0) {  // wrapped: reset all stamps once every 2^32 requests
    std::fill(slots_.begin(), slots_.end(), Slot{});
    epoch_ = 1;
  }
  touched_.clear();
  const auto contacts = g.neighbors(inviter);
  for (NodeId z : contacts) Touch(z, &touched_).one_hop = 1;
  // Expanding the contacts yields common-neighbour counts for every touched
  // user; the contributions of skipped hubs are added back per kept candidate
  // below, so the counts stay exact.
  hubs_.clear();
  for (NodeId z : contacts) {
    const uint32_t dz = g.degree(z);
    if (dz > static_cast<uint32_t>(options.hub_degree_cap)) {
      hubs_.push_back(z);
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
  auto emit = [&](NodeId v, int64_t arc) {
    Candidate c{v, arc >= 0, arc, 0, 0.0f};
    if (slots_[v].stamp == epoch_) {
      c.common_neighbors = slots_[v].common;
      c.adamic_adar = slots_[v].adamic_adar;
    }
    for (NodeId z : hubs_) {
      const auto nz = g.neighbors(z);
      if (z != v && std::binary_search(nz.begin(), nz.end(), v)) {
        c.common_neighbors += 1;
        c.adamic_adar += AdamicAdarWeight(static_cast<uint32_t>(nz.size()));
      }
    }
    out->push_back(c);
  };
  const int64_t first_arc = static_cast<int64_t>(g.offsets[inviter]);
  for (size_t i = 0; i < contacts.size(); ++i) {
    emit(contacts[i], first_arc + static_cast<int64_t>(i));
  }
  for (NodeId v : two_hop_) emit(v, -1);
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
