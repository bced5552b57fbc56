// The 12-byte arc record of the CSR graph and its quantisation.
//
// With the 4-byte target this makes 16 bytes per directed arc (the memory
// budget of the design; docs/concepts.md, "The graph"). Both weights are stored
// on a logarithmic scale, so the error is relative:
// clang-format off
// - tie strength, 16 bits: q = 1 + round(kTieSteps * log2(w / kTieMin));
//   relative error <= 2^(1/(2*kTieSteps)) - 1 = 0.017 % for w in [6.1e-5, 2.6e5);
//   smaller w read as 0, larger ones clamp.
// - channel weights, 8 bits each: q = 1 + round(kChannelSteps * log2(w / kChannelMin));
//   relative error <= 2^(1/(2*kChannelSteps)) - 1 = 3.2 % for w in [9.8e-4, 8.7e3)
//   (an event ten half-lives old weighs 9.8e-4); smaller w read as 0, larger ones clamp.
// clang-format on
// Days since the last interaction: 15 bits of whole days (kNoInteraction if
// none); the top bit marks a declared friendship.
#ifndef INVITEGRAPH_GRAPH_PACKED_ARC_H_
#define INVITEGRAPH_GRAPH_PACKED_ARC_H_

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

#include "invitegraph/types.h"

namespace invitegraph::internal {

struct PackedArc {
  static constexpr uint16_t kFriendBit = 0x8000;
  static constexpr uint16_t kNoInteraction = 0x7FFF;

  uint16_t tie_q = 0;
  uint16_t days_flags = kNoInteraction;
  std::array<uint8_t, kNumChannels> channel_q{};

  bool is_friend() const { return (days_flags & kFriendBit) != 0; }
  uint16_t days() const { return days_flags & kNoInteraction; }
  float tie_strength() const { return DecodeTie(tie_q); }
  float channel(int c) const { return ChannelTable()[channel_q[c]]; }

  // Minima are powers of two and steps integers, so powers of two (1.0 in
  // particular: one undecayed event) are stored exactly.
  static constexpr double kTieMin = 0x1p-14;  // ~6.1e-5
  static constexpr double kTieSteps =
      2048.0;  // 65534 codes: 32 octaves, to 2^18
  static constexpr double kChannelMin = 0x1p-10;  // ~9.8e-4
  static constexpr double kChannelSteps =
      11.0;  // 254 codes: 23 octaves, to ~8.7e3

  static uint16_t EncodeTie(double w) {
    if (!(w >= kTieMin)) return 0;
    return static_cast<uint16_t>(std::min(
        65535.0, 1.0 + std::round(kTieSteps * std::log2(w / kTieMin))));
  }
  static float DecodeTie(uint16_t q) {
    return q == 0
               ? 0.0f
               : static_cast<float>(kTieMin * std::exp2((q - 1) / kTieSteps));
  }
  static uint8_t EncodeChannel(double w) {
    if (!(w >= kChannelMin)) return 0;
    return static_cast<uint8_t>(std::min(
        255.0, 1.0 + std::round(kChannelSteps * std::log2(w / kChannelMin))));
  }
  static const std::array<float, 256>& ChannelTable() {
    static const std::array<float, 256> table = [] {
      std::array<float, 256> t{};
      for (int q = 1; q < 256; ++q) {
        t[q] = static_cast<float>(kChannelMin *
                                  std::exp2((q - 1) / kChannelSteps));
      }
      return t;
    }();
    return table;
  }
};
static_assert(sizeof(PackedArc) == 12, "arc record must stay 12 bytes");

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_GRAPH_PACKED_ARC_H_
