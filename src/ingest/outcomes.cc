#include "invitegraph/outcomes.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "ingest/validate.h"
#include "internal/strings.h"
#include "invitegraph/status.h"

namespace invitegraph {

const std::array<std::string_view, kNumOutcomes>& OutcomeNames() {
  static constexpr std::array<std::string_view, kNumOutcomes> kNames = {
      "sent", "accepted", "declined", "ignored"};
  return kNames;
}

std::string_view OutcomeName(Outcome o) {
  const int i = static_cast<int>(o);
  return i < kNumOutcomes ? OutcomeNames()[i] : "unknown";
}

absl::Status FeedbackConfig::Validate(std::string_view path) const {
  auto bad = [&](std::string_view field, double v, std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(internal::Sv(path), ".",
                                                   internal::Sv(field), "=", v,
                                                   ": ", internal::Sv(why)));
  };
  if (!(accept_prior_mean >= 0 && accept_prior_mean <= 1)) {
    return bad("accept_prior_mean", accept_prior_mean, "must be in [0, 1]");
  }
  if (!(accept_prior_strength > 0) || !std::isfinite(accept_prior_strength)) {
    return bad("accept_prior_strength", accept_prior_strength,
               "must be finite and > 0");
  }
  if (!(fatigue_half_life_days > 0) || !std::isfinite(fatigue_half_life_days)) {
    return bad("fatigue_half_life_days", fatigue_half_life_days,
               "must be finite and > 0");
  }
  return absl::OkStatus();
}

absl::StatusOr<Outcome> ParseOutcome(std::string_view name) {
  const auto& names = OutcomeNames();
  for (int i = 0; i < kNumOutcomes; ++i) {
    if (names[i] == name) return static_cast<Outcome>(i);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown outcome '", internal::Sv(name),
                   "'; known outcomes: ", internal::Join(names, ", ")));
}

absl::Status ValidateOutcomes(const OutcomeBatch& b, const TimeLimits& limits) {
  constexpr std::string_view kTable = "outcomes";
  INVITEGRAPH_RETURN_IF_ERROR(
      internal::CheckLengths(kTable, {{"inviter", b.inviter.size()},
                                      {"invitee", b.invitee.size()},
                                      {"item", b.item.size()},
                                      {"ts", b.ts.size()},
                                      {"outcome", b.outcome.size()}}));
  INVITEGRAPH_RETURN_IF_ERROR(internal::CheckIds(kTable, "inviter", b.inviter));
  INVITEGRAPH_RETURN_IF_ERROR(internal::CheckIds(kTable, "invitee", b.invitee));
  INVITEGRAPH_RETURN_IF_ERROR(internal::CheckIds(kTable, "item", b.item));
  INVITEGRAPH_RETURN_IF_ERROR(CheckTimestamps(b.ts, limits, kTable));
  for (size_t i = 0; i < b.invitee.size(); ++i) {
    if (b.inviter[i] == b.invitee[i]) {
      return internal::RowError(kTable, "invitee", i,
                                absl::StrCat(b.invitee[i]),
                                "the invitee is the inviter");
    }
  }
  for (size_t i = 0; i < b.outcome.size(); ++i) {
    if (static_cast<int>(b.outcome[i]) >= kNumOutcomes) {
      return internal::RowError(
          kTable, "outcome", i, absl::StrCat(static_cast<int>(b.outcome[i])),
          absl::StrCat("unknown outcome code; known outcomes: ",
                       internal::Join(OutcomeNames(), ", ")));
    }
  }
  return absl::OkStatus();
}

}  // namespace invitegraph
