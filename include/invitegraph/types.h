// File: types.h
// Basic vocabulary of invitegraph: the two id spaces, time, and interaction
// channels.
//
// clang-format off
//   invitegraph::UserId u = 123;            // external id, as the caller's tables hold it
//   invitegraph::NodeId n = graph.node(u);  // dense internal id, 0..num_nodes()-1
//   auto c = invitegraph::ParseChannel("chat");
// clang-format on
//
// External ids (`UserId`, `ItemId`, `CategoryId`) are non-negative int64 values
// chosen by the caller. Internal ids (`NodeId`) are dense uint32 values that a
// build assigns in ascending order of external id (an update appends new users
// after the old ones); they are converted in exactly one place
// (src/ingest/id_map).
#ifndef INVITEGRAPH_TYPES_H_
#define INVITEGRAPH_TYPES_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace invitegraph {

using UserId = int64_t;  // external user id, >= 0
using ItemId = int64_t;  // external item id, >= 0
using CategoryId =
    int64_t;  // external category id, >= 0; kNoCategory when unknown
using NodeId = uint32_t;    // dense internal user id
using Timestamp = int64_t;  // unix seconds

inline constexpr CategoryId kNoCategory = -1;
inline constexpr NodeId kNoNode = UINT32_MAX;
inline constexpr double kSecondsPerDay = 86400.0;

// Interaction channels. The numeric values are stable: they appear in snapshots
// and in the column order of per-channel features.
enum class Channel : uint8_t {
  kChat = 0,
  kLike = 1,
  kComment = 2,
  kShare = 3,
  kVisit = 4,
  kAssist = 5,
  kTeamJoin = 6,
  kInviteAccepted = 7,
};
inline constexpr int kNumChannels = 8;

// Lower-case names as they appear in `kind` columns: "chat", "like", "comment",
// "share", "visit", "assist", "team_join", "invite_accepted".
std::string_view ChannelName(Channel c);
const std::array<std::string_view, kNumChannels>& ChannelNames();

// Returns the channel for `name`, or kInvalidArgument listing the known names.
absl::StatusOr<Channel> ParseChannel(std::string_view name);

}  // namespace invitegraph

#endif  // INVITEGRAPH_TYPES_H_
