// GraphConfig's parsing and checks (invitegraph/graph_config.h).
#include "invitegraph/graph_config.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "internal/strings.h"
#include "invitegraph/status.h"

namespace invitegraph {
namespace {

// The tie-strength weight of each channel that GraphConfig::channel_weights
// does not name.
constexpr std::array<double, kNumChannels> kDefaultChannelWeights = {
    1.0,  // chat
    0.3,  // like
    0.5,  // comment
    0.8,  // share
    0.2,  // visit
    1.5,  // assist
    2.0,  // team_join
    2.0,  // invite_accepted
};

}  // namespace

std::string_view DedupeName(Dedupe d) {
  return d == Dedupe::kExact ? "exact" : "none";
}

absl::StatusOr<Dedupe> ParseDedupe(std::string_view name) {
  if (name == "none") return Dedupe::kNone;
  if (name == "exact") return Dedupe::kExact;
  return absl::InvalidArgumentError(
      absl::StrCat("GraphConfig.dedupe='", internal::Sv(name),
                   "': unknown mode; known modes: none, exact"));
}

absl::StatusOr<std::array<double, kNumChannels>> ResolveChannelWeights(
    const GraphConfig& config) {
  std::array<double, kNumChannels> w = kDefaultChannelWeights;
  for (const auto& [name, value] : config.channel_weights) {
    INVITEGRAPH_ASSIGN_OR_RETURN(Channel c, ParseChannel(name));
    if (!std::isfinite(value) || value < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("GraphConfig.channel_weights[", name, "]=", value,
                       ": must be finite and >= 0"));
    }
    w[static_cast<int>(c)] = value;
  }
  return w;
}

absl::Status GraphConfig::Validate() const {
  const GraphConfig& c = *this;
  auto bad = [](std::string_view field, double v, std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "GraphConfig.", absl::string_view(field.data(), field.size()), "=", v,
        ": ", absl::string_view(why.data(), why.size())));
  };
  if (!(c.half_life_days > 0) || !std::isfinite(c.half_life_days)) {
    return bad("half_life_days", c.half_life_days, "must be finite and > 0");
  }
  if (!(c.friendship_weight >= 0) || !std::isfinite(c.friendship_weight)) {
    return bad("friendship_weight", c.friendship_weight,
               "must be finite and >= 0");
  }
  if (!(c.new_user_days >= 0))
    return bad("new_user_days", c.new_user_days, "must be >= 0");
  if (!(c.join_rate_prior_mean >= 0 && c.join_rate_prior_mean <= 1)) {
    return bad("join_rate_prior_mean", c.join_rate_prior_mean,
               "must be in [0, 1]");
  }
  if (std::isnan(c.participation_window_days) ||
      std::isinf(c.participation_window_days)) {
    return bad("participation_window_days", c.participation_window_days,
               "must be finite (< 0: off)");
  }
  if (!(c.join_rate_prior_strength > 0) ||
      !std::isfinite(c.join_rate_prior_strength)) {
    return bad("join_rate_prior_strength", c.join_rate_prior_strength,
               "must be finite and > 0");
  }
  INVITEGRAPH_RETURN_IF_ERROR(
      ValidateTimeLimits(c.time_limits, "GraphConfig.time_limits"));
  return ResolveChannelWeights(c).status();
}

}  // namespace invitegraph
