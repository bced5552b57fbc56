// Turns staged rows into arcs: every event's contribution to an arc, bucketed
// by source and reduced to one aggregate per (source, target) in parallel,
// with integer sums so the result does not depend on the thread count. Used
// by builds (BuildFromStaged) and by GraphBuilder::PartialArcs.
#ifndef INVITEGRAPH_GRAPH_ARC_AGGREGATOR_H_
#define INVITEGRAPH_GRAPH_ARC_AGGREGATOR_H_

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "graph/csr.h"
#include "graph/fixed_decay.h"
#include "graph/graph_data.h"
#include "graph/packed_arc.h"
#include "ingest/staged_events.h"
#include "internal/parallel.h"
#include "invitegraph/arc_partials.h"
#include "invitegraph/status.h"

namespace invitegraph::internal {

// Kinds of arc contributions: a channel (0..7), a declared friendship, or mere
// presence (the reverse direction of an event, so the arc set is symmetric).
constexpr uint8_t kFriendKind = kNumChannels;
constexpr uint8_t kPresenceKind = kNumChannels + 1;

// One contribution to arc source -> target, 12 bytes: the scatter that places
// them is the build's largest memory traffic. The event's age (as_of - ts) is
// kept in whole seconds, saturating at 2^32 - 1 (136 years; a weight that old
// is below every quantisation floor unless the half-life is decades, and the
// days field saturates at 89 years anyway).
struct Contribution {
  NodeId target;
  uint32_t age_s;  // channels only
  uint8_t kind;
};

inline uint32_t AgeSeconds(Timestamp as_of, Timestamp ts) {
  return static_cast<uint32_t>(
      std::min<Timestamp>(as_of - ts, std::numeric_limits<uint32_t>::max()));
}

// Calls emit(src, dst, kind, ts) for every arc contribution of the staged
// rows, in a fixed order: friendships both ways, interactions and campaign
// joins (joiner -> inviter, at the campaign's ts or `as_of`), each with a
// presence record in the reverse direction. `user_of` maps staged ids.
template <typename UserOf, typename Emit>
void EmitArcContributions(const StagedEvents& s, Timestamp as_of,
                          const UserOf& user_of, const Emit& emit) {
  constexpr uint8_t kTeamJoin = static_cast<uint8_t>(Channel::kTeamJoin);
  for (size_t i = 0; i < s.friend_src.size(); ++i) {
    const NodeId a = user_of(s.friend_src[i]), b = user_of(s.friend_dst[i]);
    emit(a, b, kFriendKind, 0);
    emit(b, a, kFriendKind, 0);
  }
  for (size_t i = 0; i < s.inter_src.size(); ++i) {
    const NodeId a = user_of(s.inter_src[i]), b = user_of(s.inter_dst[i]);
    emit(a, b, s.inter_kind[i], s.inter_ts[i]);
    emit(b, a, kPresenceKind, 0);
  }
  for (size_t r = 0; r < s.campaign_inviter.size(); ++r) {
    const Timestamp ts =
        s.campaign_ts[r] == kMissingTs ? as_of : s.campaign_ts[r];
    const NodeId inviter = user_of(s.campaign_inviter[r]);
    for (int64_t j = s.joined_offsets[r]; j < s.joined_offsets[r + 1]; ++j) {
      const NodeId joiner = user_of(s.joined[j]);
      emit(joiner, inviter, kTeamJoin, ts);
      emit(inviter, joiner, kPresenceKind, 0);
    }
  }
}

// Builds the symmetric CSR from all arc contributions, bucketed by source node.
class ArcAggregator {
 public:
  ArcAggregator(uint32_t num_nodes, double half_life_days, Timestamp as_of)
      : n_(num_nodes),
        counts_(num_nodes + 1, 0),
        inv_half_life_s_(1.0 / (half_life_days * kSecondsPerDay)),
        as_of_(as_of) {}

  // Collects every contribution into buckets by source. `each(emit)` calls
  // emit(src, dst, kind, ts) for every contribution, in a fixed order; it runs
  // twice per thread (count, then place), each thread keeping the sources of
  // one contiguous node range. Reading all events once per thread is cheap
  // next to the scattered writes it parallelises, and every bucket keeps the
  // enumeration order, so sums do not depend on the thread count.
  template <typename Each>
  void Gather(int threads, const Each& each) {
    const int t_count = std::max(1, std::min<int>(threads, 16));
    std::vector<NodeId> bound(t_count + 1);
    for (int t = 0; t <= t_count; ++t) {
      bound[t] = static_cast<NodeId>(uint64_t{n_} * t / t_count);
    }
    auto per_range = [&](auto&& body) {
      (void)internal::ParallelForRange(t_count, t_count, 1,
                                       [&](int64_t t, int64_t) {
                                         body(bound[t], bound[t + 1]);
                                         return absl::OkStatus();
                                       });
    };
    per_range([&](NodeId lo, NodeId hi) {
      each([&](NodeId src, NodeId, uint8_t, Timestamp) {
        if (src >= lo && src < hi) ++counts_[src];
      });
    });
    uint64_t total = 0;
    for (uint32_t u = 0; u < n_; ++u) {
      const uint64_t c = counts_[u];
      counts_[u] = total;
      total += c;
    }
    counts_[n_] = total;
    bucket_start_ = counts_;
    // Default-initialised: every slot is written below before it is read, so
    // the buffer (the largest allocation of a build) is not zeroed.
    records_.reset(new Contribution[total]);
    per_range([&](NodeId lo, NodeId hi) {
      each([&](NodeId src, NodeId dst, uint8_t kind, Timestamp ts) {
        if (src < lo || src >= hi) return;
        // Decay is computed later, in parallel; this is a plain scatter.
        records_[counts_[src]++] = Contribution{
            dst, kind < kNumChannels ? AgeSeconds(as_of_, ts) : 0, kind};
      });
    });
  }

  // Merges each bucket into one partial aggregate per distinct target and
  // hands them, sorted by target, to `sink(row, source, partial)`, where `row`
  // numbers the arcs in (source, target) order; returns the arc count. Runs
  // `begin(num_arcs)` once the count is known, before any sink call.
  template <typename Begin, typename Sink>
  absl::StatusOr<uint64_t> Reduce(int threads, const Begin& begin,
                                  const Sink& sink) {
    // Distinct targets per source, with a per-thread dense scratch table.
    std::vector<uint64_t> degree(n_ + 1, 0);
    // Large chunks: each one allocates an n-sized scratch table.
    const int64_t chunk =
        std::max<int64_t>(4096, n_ / (4 * std::max(threads, 1)) + 1);
    INVITEGRAPH_RETURN_IF_ERROR(internal::ParallelForRange(
        n_, threads, chunk, [&](int64_t b, int64_t e) {
          std::vector<uint32_t> seen(n_, UINT32_MAX);
          for (int64_t u = b; u < e; ++u) {
            uint64_t d = 0;
            for (uint64_t i = bucket_start_[u]; i < bucket_start_[u + 1]; ++i) {
              uint32_t& s = seen[records_[i].target];
              if (s != static_cast<uint32_t>(u)) {
                s = static_cast<uint32_t>(u);
                ++d;
              }
            }
            degree[u] = d;
          }
          return absl::OkStatus();
        }));
    std::vector<uint64_t> row(n_ + 1, 0);
    for (uint32_t u = 0; u < n_; ++u) row[u + 1] = row[u] + degree[u];
    begin(row[n_]);
    INVITEGRAPH_RETURN_IF_ERROR(internal::ParallelForRange(
        n_, threads, chunk, [&](int64_t b, int64_t e) {
          std::vector<uint32_t> slot(n_, UINT32_MAX);
          std::vector<std::pair<NodeId, ArcPartial>> acc;
          for (int64_t u = b; u < e; ++u) {
            acc.clear();
            for (uint64_t i = bucket_start_[u]; i < bucket_start_[u + 1]; ++i) {
              const Contribution& r = records_[i];
              uint32_t& s = slot[r.target];
              if (s == UINT32_MAX) {
                s = static_cast<uint32_t>(acc.size());
                acc.emplace_back(r.target, ArcPartial{});
              }
              ArcPartial& a = acc[s].second;
              if (r.kind < kNumChannels) {
                // Integer sums: the same for any order of the events.
                a.channel_fixed[r.kind] +=
                    internal::FixedDecay(r.age_s, inv_half_life_s_);
                if (a.min_age_s < 0 || r.age_s < a.min_age_s) {
                  a.min_age_s = r.age_s;
                }
              } else if (r.kind == kFriendKind) {
                a.is_friend = true;
              }
            }
            std::sort(acc.begin(), acc.end(), [](const auto& x, const auto& y) {
              return x.first < y.first;
            });
            uint64_t out = row[u];
            for (const auto& [target, partial] : acc) {
              slot[target] = UINT32_MAX;
              sink(out++, static_cast<NodeId>(u), target, partial);
            }
          }
          return absl::OkStatus();
        }));
    records_.reset();
    return row[n_];
  }

  // Phase 3: reduce the buckets to packed arcs and hand them to a Boost CSR.
  absl::Status Finish(const std::array<double, kNumChannels>& channel_weights,
                      double friendship_weight, int threads, GraphData* data) {
    std::vector<NodeId> sources, targets;
    std::vector<PackedArc> arcs;
    INVITEGRAPH_RETURN_IF_ERROR(
        Reduce(
            threads,
            [&](uint64_t m) {
              sources.resize(m);
              targets.resize(m);
              arcs.resize(m);
            },
            [&](uint64_t i, NodeId u, NodeId v, const ArcPartial& a) {
              sources[i] = u;
              targets[i] = v;
              arcs[i] =
                  internal::PackArc(a, channel_weights, friendship_weight);
            })
            .status());
    internal::BuildCsr(std::move(sources), std::move(targets), std::move(arcs),
                       n_, data);
    return absl::OkStatus();
  }

 private:
  uint32_t n_;
  std::vector<uint64_t> counts_;
  std::vector<uint64_t> bucket_start_;
  std::unique_ptr<Contribution[]> records_;
  double inv_half_life_s_;
  Timestamp as_of_;
};

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_GRAPH_ARC_AGGREGATOR_H_
