#include "invitegraph/candidates.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "candidates/candidate_finder.h"
#include "internal/parallel.h"
#include "internal/strings.h"
#include "invitegraph/status.h"

namespace invitegraph {

absl::Status CandidateOptions::Validate(std::string_view path) const {
  for (const auto& [field, v] :
       {std::pair<const char*, int>{"max_two_hop", max_two_hop},
        {"hub_degree_cap", hub_degree_cap},
        {"expansion_budget", expansion_budget}}) {
    if (v < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          internal::Sv(path), ".", field, "=", v, ": must be >= 0"));
    }
  }
  return absl::OkStatus();
}
namespace internal {

CandidateScratch::CandidateScratch(uint32_t num_nodes, uint32_t index_bits) {
  // Indices below num_nodes fit index_bits_; at most 2^22 users leave ten or
  // more bits of epoch, so the slots are reset at most every 1023 requests.
  uint32_t bits = 1;
  while (bits < 32 && (uint64_t{1} << bits) <= num_nodes) ++bits;
  num_nodes_ = num_nodes;
  packed_ = bits <= 22;
  if (index_bits != 0) {
    bits = std::max(bits, index_bits);
    packed_ = index_bits < 32;
  }
  if (packed_) {
    index_bits_ = bits;
    max_epoch_ = (1u << (32 - bits)) - 1;
    packed_slots_.assign(num_nodes, 0);
  } else {
    max_epoch_ = std::numeric_limits<uint32_t>::max();
    slots_.assign(num_nodes, Slot{});
  }
}

void CandidateScratch::NextEpoch() {
  if (epoch_ == max_epoch_) {  // out of epochs: reset every slot once
    std::fill(packed_slots_.begin(), packed_slots_.end(), 0);
    std::fill(slots_.begin(), slots_.end(), Slot{});
    epoch_ = 0;
  }
  ++epoch_;
}

void CandidateScratch::Find(const GraphData& g, NodeId inviter,
                            const CandidateOptions& options,
                            std::vector<Candidate>* out,
                            const AudienceProgram* audience, bool defer_hubs) {
  out->clear();
  NextEpoch();
  touched_.clear();
  const auto contacts = g.neighbors(inviter);
  for (NodeId z : contacts) Touch(z);
  // Expanding the contacts yields common-neighbour counts for every touched
  // user; the contributions of skipped hubs are added back per kept candidate
  // below, so the counts stay exact.
  hubs_.clear();
  rows_.clear();
  const uint32_t cap = static_cast<uint32_t>(options.hub_degree_cap);
  size_t bound = contacts.size();
  for (uint32_t c = 0; c < contacts.size(); ++c) {
    const NodeId z = contacts[c];
    const auto nz = g.neighbors(z);
    if (nz.size() > cap) {
      hubs_.push_back(z);
    } else if (!nz.empty()) {
      rows_.push_back({nz.data(), nz.data() + nz.size(),
                       AdamicAdarWeight(static_cast<uint32_t>(nz.size())), c});
      bound += nz.size();
    }
  }
  // Over budget: expand the strongest ties first while the total stays within
  // it; the other contacts are deferred like hubs (AddHubContributions).
  deferred_.clear();
  const int64_t first_arc = static_cast<int64_t>(g.offsets[inviter]);
  if (options.expansion_budget > 0 &&
      bound - contacts.size() > static_cast<size_t>(options.expansion_budget)) {
    std::sort(rows_.begin(), rows_.end(), [&](const Row& a, const Row& b) {
      const uint16_t x = g.arcs[first_arc + a.contact].tie_q;
      const uint16_t y = g.arcs[first_arc + b.contact].tie_q;
      return x != y ? x > y : a.contact < b.contact;
    });
    size_t used = 0, kept = 0;
    for (const Row& row : rows_) {
      const size_t len = static_cast<size_t>(row.end - row.begin);
      if (used + len <= static_cast<size_t>(options.expansion_budget)) {
        used += len;
        rows_[kept++] = row;
      } else {
        deferred_.push_back(row.contact);
      }
    }
    rows_.resize(kept);
    bound = contacts.size() + used;
    // Contact order again, as without a budget.
    std::sort(rows_.begin(), rows_.end(),
              [](const Row& a, const Row& b) { return a.contact < b.contact; });
    std::sort(deferred_.begin(), deferred_.end());
    deferred_flag_.assign(contacts.size(), 0);
    deferred_weight_.assign(contacts.size(), 0.0f);
    for (uint32_t c : deferred_) {
      deferred_flag_[c] = 1;
      deferred_weight_[c] = AdamicAdarWeight(g.degree(contacts[c]));
    }
  }
  touched_.reserve(std::min<size_t>(bound, num_nodes_));
  // The slot reads are the random accesses of the request. A cursor runs
  // kAhead neighbours ahead of the loop, across rows, and asks for each slot
  // early, so that several are in flight at once.
  constexpr int kAhead = 12;
  size_t ahead_row = 0;
  const NodeId* ahead = rows_.empty() ? nullptr : rows_[0].begin;
  auto prefetch_next = [&] {
    if (ahead_row == rows_.size()) return;
    __builtin_prefetch(SlotOf(*ahead));
    if (++ahead == rows_[ahead_row].end && ++ahead_row < rows_.size()) {
      ahead = rows_[ahead_row].begin;
    }
  };
  for (int i = 0; i < kAhead; ++i) prefetch_next();
  reverse_arc_.assign(contacts.size(), -1);
  const NodeId* const targets = g.targets.data();
  for (const Row& row : rows_) {
    for (const NodeId* p = row.begin; p != row.end; ++p) {
      prefetch_next();
      const NodeId v = *p;
      if (v == inviter) {  // the contact's arc back: free to note here
        reverse_arc_[row.contact] = p - targets;
        continue;
      }
      Touched& t = touched_[Touch(v)];
      t.common += 1;
      t.adamic_adar += row.weight;
    }
  }
  two_hop_.clear();
  const uint32_t first_two_hop = static_cast<uint32_t>(contacts.size());
  if (options.include_two_hop && options.max_two_hop > 0) {
    for (uint32_t i = first_two_hop; i < touched_.size(); ++i) {
      const Touched& t = touched_[i];
      if (audience == nullptr || audience->Matches(inviter, t.node)) {
        two_hop_.push_back({t.adamic_adar, t.node, i});
      }
    }
    if (two_hop_.size() > static_cast<size_t>(options.max_two_hop)) {
      std::nth_element(two_hop_.begin(), two_hop_.begin() + options.max_two_hop,
                       two_hop_.end(), [](const Pick& a, const Pick& b) {
                         return a.adamic_adar != b.adamic_adar
                                    ? a.adamic_adar > b.adamic_adar
                                    : a.node < b.node;
                       });
      two_hop_.resize(options.max_two_hop);
    }
    std::sort(two_hop_.begin(), two_hop_.end(),
              [](const Pick& a, const Pick& b) { return a.node < b.node; });
  }
  out->reserve(contacts.size() + two_hop_.size());
  for (uint32_t i = 0; i < first_two_hop; ++i) {
    if (audience != nullptr && !audience->Matches(inviter, contacts[i])) {
      continue;
    }
    out->push_back({contacts[i], true, first_arc + i, reverse_arc_[i],
                    touched_[i].common, touched_[i].adamic_adar});
  }
  for (const Pick& p : two_hop_) {
    const Touched& t = touched_[p.index];
    out->push_back({p.node, false, -1, -1, t.common, t.adamic_adar});
  }
  if (!defer_hubs && (!hubs_.empty() || !deferred_.empty()))
    AddHubContributions(g, absl::MakeSpan(*out));
}

void CandidateScratch::AddHubContributions(const GraphData& g,
                                           absl::Span<Candidate> rows) const {
  for (Candidate& c : rows) {
    for (NodeId z : hubs_) {
      const auto nz = g.neighbors(z);
      if (z != c.node && std::binary_search(nz.begin(), nz.end(), c.node)) {
        c.common_neighbors += 1;
        c.adamic_adar += AdamicAdarWeight(static_cast<uint32_t>(nz.size()));
      }
    }
  }
  if (deferred_.empty()) return;
  // Contacts the budget deferred: a shared contact z of the inviter and v is
  // one of v's neighbours that is a deferred contact. Scan v's row (a slot
  // read per entry) or search each deferred row for v, whichever reads less;
  // either adds the contributions in a fixed order.
  for (Candidate& c : rows) {
    const auto nv = g.neighbors(c.node);
    if (nv.size() <= 8 * deferred_.size()) {
      for (NodeId z : nv) {
        const uint32_t i = IndexOf(z);
        if (i < deferred_flag_.size() && deferred_flag_[i]) {
          c.common_neighbors += 1;
          c.adamic_adar += deferred_weight_[i];
        }
      }
    } else {
      for (size_t d = 0; d < deferred_.size(); ++d) {
        const NodeId z = touched_[deferred_[d]].node;
        const auto nz = g.neighbors(z);
        if (z != c.node && std::binary_search(nz.begin(), nz.end(), c.node)) {
          c.common_neighbors += 1;
          c.adamic_adar += deferred_weight_[deferred_[d]];
        }
      }
    }
  }
}

namespace {

// Working memory of one TopAdamicAdar worker: a score per node, valid when its
// stamp is the current epoch; `blocked` marks the inviter and its contacts.
class AdamicAdarScratch {
 public:
  explicit AdamicAdarScratch(size_t num_nodes) : slots_(num_nodes) {}

  void Top(const SocialGraph& graph, NodeId u, int k,
           std::vector<ScoredCandidate>* out) {
    if (++epoch_ == 0) {
      std::fill(slots_.begin(), slots_.end(), Slot{});
      epoch_ = 1;
    }
    touched_.clear();
    const auto contacts = graph.neighbors(u);
    slots_[u] = Slot{epoch_, epoch_, 0.0};
    for (NodeId z : contacts) slots_[z] = Slot{epoch_, epoch_, 0.0};
    for (NodeId z : contacts) {
      const auto nz = graph.neighbors(z);
      if (nz.size() < 2) continue;  // only u: no candidate through z
      const double w = 1.0 / std::log(static_cast<double>(nz.size()));
      for (NodeId v : nz) {
        Slot& s = slots_[v];
        if (s.stamp != epoch_) {
          s = Slot{epoch_, 0, 0.0};
          touched_.push_back(v);
        }
        if (s.blocked != epoch_) s.score += w;
      }
    }
    // Summing in contact order (sorted NodeIds) keeps each score independent
    // of the thread count.
    out->clear();
    out->reserve(touched_.size());
    for (NodeId v : touched_) out->push_back({v, slots_[v].score});
    auto better = [&graph](const ScoredCandidate& a, const ScoredCandidate& b) {
      if (a.score != b.score) return a.score > b.score;
      return graph.user_id(a.candidate) < graph.user_id(b.candidate);
    };
    if (out->size() > static_cast<size_t>(k)) {
      std::partial_sort(out->begin(), out->begin() + k, out->end(), better);
      out->resize(k);
    } else {
      std::sort(out->begin(), out->end(), better);
    }
  }

 private:
  struct Slot {
    uint32_t stamp = 0;
    uint32_t blocked = 0;
    double score = 0;
  };
  std::vector<Slot> slots_;
  uint32_t epoch_ = 0;
  std::vector<NodeId> touched_;
};

}  // namespace

}  // namespace internal

absl::StatusOr<std::vector<std::vector<ScoredCandidate>>> TopAdamicAdar(
    const SocialGraph& graph, absl::Span<const NodeId> inviters, int k,
    const AdamicAdarOptions& options) {
  if (k < 0) {
    return absl::InvalidArgumentError("TopAdamicAdar: k must be >= 0, got " +
                                      std::to_string(k));
  }
  const int64_t n = graph.num_nodes();
  for (size_t i = 0; i < inviters.size(); ++i) {
    if (inviters[i] >= n) {
      return absl::InvalidArgumentError(
          "TopAdamicAdar: inviters[" + std::to_string(i) +
          "] = " + std::to_string(inviters[i]) + " is not a node (graph has " +
          std::to_string(n) + ")");
    }
  }
  std::vector<std::vector<ScoredCandidate>> out(inviters.size());
  if (k == 0) return out;
  // One scratch per concurrent chunk, reused through a free list.
  std::mutex mu;
  std::vector<std::unique_ptr<internal::AdamicAdarScratch>> free_list;
  INVITEGRAPH_RETURN_IF_ERROR(internal::ParallelForRange(
      static_cast<int64_t>(inviters.size()), options.num_threads, 16,
      [&](int64_t begin, int64_t end) {
        std::unique_ptr<internal::AdamicAdarScratch> scratch;
        {
          std::lock_guard<std::mutex> lock(mu);
          if (!free_list.empty()) {
            scratch = std::move(free_list.back());
            free_list.pop_back();
          }
        }
        if (!scratch) {
          scratch = std::make_unique<internal::AdamicAdarScratch>(
              static_cast<size_t>(n));
        }
        for (int64_t i = begin; i < end; ++i) {
          scratch->Top(graph, inviters[i], k, &out[i]);
        }
        std::lock_guard<std::mutex> lock(mu);
        free_list.push_back(std::move(scratch));
        return absl::OkStatus();
      }));
  return out;
}

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
