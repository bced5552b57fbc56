// Candidate generation with exact link-prediction counts, on reusable scratch
// memory.
#ifndef INVITEGRAPH_CANDIDATES_CANDIDATE_FINDER_H_
#define INVITEGRAPH_CANDIDATES_CANDIDATE_FINDER_H_

#include <cmath>
#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "audience/audience_program.h"
#include "graph/graph_data.h"
#include "invitegraph/candidates.h"

namespace invitegraph::internal {

// Per-thread working memory sized to the graph; reused across requests.
//
// The expansion touches one slot per reached user (a stamp and an index:
// packed into 4 bytes for graphs of up to 2^22 users, as the bare loop's
// stamp, else 8) and accumulates counts in compact arrays indexed by order of
// first touch, so the random accesses are one per arc visited -- as in the bare
// 2-hop loop -- and everything after the expansion (choosing the 2-hop
// candidates, emitting rows) runs over a few kilobytes that stay in cache.
// A slot is valid only when its stamp equals the current epoch, so nothing is
// cleared per request.
class CandidateScratch {
 public:
  // `index_bits` is for tests: 0 chooses by num_nodes; 1-31 packs slots
  // with that many index bits (fewer epochs); 32 uses 8-byte slots.
  explicit CandidateScratch(uint32_t num_nodes, uint32_t index_bits = 0);

  struct Candidate {
    NodeId node;
    bool one_hop;
    int64_t arc;  // index of the arc inviter -> node, -1 for 2-hop candidates
    // Index of the arc node -> inviter when the expansion passed it (every
    // contact but hubs), else -1: ReverseArc() finds it.
    int64_t reverse_arc;
    uint32_t common_neighbors;
    float adamic_adar;
  };

  // Fills `out` with the candidates of `inviter` (see candidates.h for the
  // order) and their exact common-neighbour counts and Adamic-Adar scores.
  // With an `audience`, only its members: 2-hop candidates outside it are
  // dropped before the best max_two_hop are kept.
  //
  // With `defer_hubs`, the contributions of contacts above hub_degree_cap are
  // left out of the counts: AddHubContributions() adds them to the rows that
  // need them (a cascade keeps only the best rows of a large pool, and
  // only those pay the per-hub search).
  void Find(const GraphData& g, NodeId inviter, const CandidateOptions& options,
            std::vector<Candidate>* out,
            const AudienceProgram* audience = nullptr, bool defer_hubs = false);

  // The hub contacts skipped by the last Find(), ascending.
  absl::Span<const NodeId> hubs() const { return hubs_; }
  // How many contacts the expansion budget deferred in the last Find().
  size_t deferred() const { return deferred_.size(); }

  // Adds to each of `rows` the common-neighbour count and Adamic-Adar weight
  // of the hubs and budget-deferred contacts the last Find() skipped, making
  // the counts exact.
  void AddHubContributions(const GraphData& g,
                           absl::Span<Candidate> rows) const;

 private:
  struct Slot {
    uint32_t stamp = 0;
    uint32_t index = 0;  // into touched_
  };
  // The compact index of `v`, adding it on first touch this request.
  uint32_t Touch(NodeId v) {
    const uint32_t next = static_cast<uint32_t>(touched_.size());
    if (packed_) {
      // (epoch << index_bits_) | index; epoch 0 is never current.
      uint32_t& s = packed_slots_[v];
      if ((s >> index_bits_) != epoch_) {
        s = (epoch_ << index_bits_) | next;
        touched_.push_back({v, 0, 0.0f});
        return next;
      }
      return s & ((1u << index_bits_) - 1);
    }
    Slot& s = slots_[v];
    if (s.stamp != epoch_) {
      s = Slot{epoch_, next};
      touched_.push_back({v, 0, 0.0f});
      return next;
    }
    return s.index;
  }
  // The compact index of `v` if this request touched it, else UINT32_MAX.
  uint32_t IndexOf(NodeId v) const {
    if (packed_) {
      const uint32_t s = packed_slots_[v];
      return (s >> index_bits_) == epoch_ ? s & ((1u << index_bits_) - 1)
                                          : UINT32_MAX;
    }
    const Slot& s = slots_[v];
    return s.stamp == epoch_ ? s.index : UINT32_MAX;
  }
  const void* SlotOf(NodeId v) const {
    return packed_ ? static_cast<const void*>(&packed_slots_[v])
                   : static_cast<const void*>(&slots_[v]);
  }
  // Starts a request: a new epoch, all slots reset when the epochs run out.
  void NextEpoch();

  uint32_t num_nodes_ = 0;
  bool packed_;
  uint32_t index_bits_ = 0;
  uint32_t max_epoch_;
  std::vector<uint32_t> packed_slots_;
  std::vector<Slot> slots_;
  uint32_t epoch_ = 0;
  // By compact index: the user, its common-neighbour count and Adamic-Adar
  // score over the expanded contacts. The inviter's contacts are indices
  // [0, degree), in contact order.
  struct Touched {
    NodeId node;
    uint32_t common;
    float adamic_adar;
  };
  std::vector<Touched> touched_;
  // The expanded contacts' neighbour lists and Adamic-Adar weights.
  struct Row {
    const NodeId* begin;
    const NodeId* end;
    float weight;
    uint32_t contact;  // index into the inviter's contacts
  };
  std::vector<int64_t> reverse_arc_;  // by contact, -1 until passed
  std::vector<Row> rows_;
  // 2-hop picks: (score, node, index), best first after selection.
  struct Pick {
    float adamic_adar;
    NodeId node;
    uint32_t index;
  };
  std::vector<Pick> two_hop_;
  std::vector<NodeId> hubs_;  // contacts not expanded (degree above the cap)
  // Contacts the expansion budget left out, by contact index (ascending), and
  // by contact index: whether deferred, and the Adamic-Adar weight.
  std::vector<uint32_t> deferred_;
  std::vector<uint8_t> deferred_flag_;
  std::vector<float> deferred_weight_;
};

// The arc candidate -> inviter of a contact (c.one_hop).
inline int64_t ReverseArc(const GraphData& g, NodeId inviter,
                          const CandidateScratch::Candidate& c) {
  return c.reverse_arc >= 0 ? c.reverse_arc : g.FindArc(c.node, inviter);
}

// 1 / ln(degree), the Adamic-Adar weight of a common neighbour (degree >= 2).
inline float AdamicAdarWeight(uint32_t degree) {
  return degree > 1 ? 1.0f / std::log(static_cast<float>(degree)) : 0.0f;
}

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_CANDIDATES_CANDIDATE_FINDER_H_
