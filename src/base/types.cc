#include "invitegraph/types.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "internal/strings.h"

namespace invitegraph {

const std::array<std::string_view, kNumChannels>& ChannelNames() {
  static constexpr std::array<std::string_view, kNumChannels> kNames = {
      "chat",  "like",   "comment",   "share",
      "visit", "assist", "team_join", "invite_accepted"};
  return kNames;
}

std::string_view ChannelName(Channel c) {
  return ChannelNames()[static_cast<int>(c)];
}

absl::StatusOr<Channel> ParseChannel(std::string_view name) {
  const auto& names = ChannelNames();
  for (int i = 0; i < kNumChannels; ++i) {
    if (names[i] == name) return static_cast<Channel>(i);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown interaction kind '", internal::Sv(name),
                   "'; known kinds: ", internal::Join(names, ", ")));
}

}  // namespace invitegraph
