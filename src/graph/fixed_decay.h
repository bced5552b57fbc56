// Decay in fixed point, shared by builds and arc partials (arc_partials.h).
#ifndef INVITEGRAPH_GRAPH_FIXED_DECAY_H_
#define INVITEGRAPH_GRAPH_FIXED_DECAY_H_

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "graph/packed_arc.h"
#include "invitegraph/arc_partials.h"

namespace invitegraph::internal {

// round(2^(-age / half_life) * 2^32), from 2^32 (age 0) down to 0 (older than
// about 33 half-lives, far below every quantisation floor).
inline int64_t FixedDecay(uint32_t age_s, double inv_half_life_s) {
  return std::llround(std::exp2(-static_cast<double>(age_s) * inv_half_life_s) *
                      kFixedPointOne);
}

// The stored record of a merged partial.
inline PackedArc PackArc(
    const ArcPartial& a,
    const std::array<double, kNumChannels>& channel_weights,
    double friendship_weight) {
  PackedArc p;
  double tie = a.is_friend ? friendship_weight : 0.0;
  for (int c = 0; c < kNumChannels; ++c) {
    const double w = static_cast<double>(a.channel_fixed[c]) / kFixedPointOne;
    tie += channel_weights[c] * w;
    p.channel_q[c] = PackedArc::EncodeChannel(w);
  }
  p.tie_q = PackedArc::EncodeTie(tie);
  uint16_t days = PackedArc::kNoInteraction;
  if (a.min_age_s >= 0) {
    days = static_cast<uint16_t>(
        std::min<int64_t>(PackedArc::kNoInteraction - 1, a.min_age_s / 86400));
  }
  p.days_flags = days | (a.is_friend ? PackedArc::kFriendBit : 0);
  return p;
}

// What SocialGraph::arc() reports for a stored record.
inline ArcInfo UnpackArc(const PackedArc& p, NodeId target) {
  ArcInfo a;
  a.target = target;
  a.tie_strength = p.tie_strength();
  for (int c = 0; c < kNumChannels; ++c) a.channel_weight[c] = p.channel(c);
  a.days_since_last_interaction =
      p.days() == PackedArc::kNoInteraction
          ? kNeverDays
          : std::min(kNeverDays, static_cast<float>(p.days()));
  a.is_friend = p.is_friend();
  return a;
}

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_GRAPH_FIXED_DECAY_H_
