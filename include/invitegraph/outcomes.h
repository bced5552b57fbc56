// File: outcomes.h
// Recorded invite outcomes: the feedback loop from sent invites back into
// ranking. Example:
//
//   std::vector<UserId> inviter = {1, 1, 1}, invitee = {7, 7, 9};
//   std::vector<ItemId> item = {42, 42, 42};
//   std::vector<Timestamp> ts = {t0, t0 + 3600, t0};
//   std::vector<Outcome> outcome = {Outcome::kSent, Outcome::kAccepted,
//                                   Outcome::kSent};
//   INVITEGRAPH_ASSIGN_OR_RETURN(
//       OutcomeReport r,
//       rec.RecordOutcomes({.inviter = inviter, .invitee = invitee,
//                           .item = item, .ts = ts, .outcome = outcome}));
//
// Semantics of one row (inviter, invitee, item, ts, outcome):
//   - "sent": `invitee` received one invite at `ts`. Its fatigue grows by 1,
//     and that unit halves every FeedbackConfig::fatigue_half_life_days.
//   - "accepted": one success of `invitee`'s invite-acceptance posterior.
//   - "declined", "ignored": one failure of that posterior.
// So a complete log holds one "sent" row per invite plus, later, that invite's
// terminal outcome. The posterior is Beta-Bernoulli with prior mean m and
// strength s: accept_rate = (successes + m * s) / (successes + failures + s).
//
// Validation is validate-then-commit: a negative id, an implausible ts
// (time_limits.h: before TimeLimits::earliest or after now +
// max_future_seconds, e.g. milliseconds or the year 3000), inviter ==
// invitee, columns of different lengths or an outcome code outside the enum
// return kInvalidArgument naming `outcomes.<column>[row]=value`, and nothing
// of that batch is applied. Invitees that are not in the graph are not an
// error: they are counted in OutcomeReport::unknown_invitees and their state
// is kept in a side table keyed by external id.
#ifndef INVITEGRAPH_OUTCOMES_H_
#define INVITEGRAPH_OUTCOMES_H_

#include <array>
#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "invitegraph/time_limits.h"
#include "invitegraph/types.h"

namespace invitegraph {

// What happened to one invite. The numeric values are stable.
enum class Outcome : uint8_t {
  kSent = 0,      // the invite was delivered to the invitee
  kAccepted = 1,  // the invitee joined
  kDeclined = 2,  // the invitee said no
  kIgnored = 3,   // the invite expired unanswered
};
inline constexpr int kNumOutcomes = 4;

// Lower-case names as `outcome` columns hold them: "sent", "accepted",
// "declined", "ignored".
const std::array<std::string_view, kNumOutcomes>& OutcomeNames();
// The name of `o`; "unknown" for a value outside the enum.
std::string_view OutcomeName(Outcome o);
// The outcome called `name`, or kInvalidArgument listing the known names.
absl::StatusOr<Outcome> ParseOutcome(std::string_view name);

// Column views of recorded outcomes; all five columns are required and of
// equal length. Ids are external (>= 0), `ts` unix seconds (plausible:
// time_limits.h).
struct OutcomeBatch {
  absl::Span<const UserId> inviter = {};
  absl::Span<const UserId> invitee = {};
  absl::Span<const ItemId> item = {};
  absl::Span<const Timestamp> ts = {};
  absl::Span<const Outcome> outcome = {};
};

// Checks every row of `b` as described above, times against `limits`; OK or
// the first bad row.
absl::Status ValidateOutcomes(const OutcomeBatch& b,
                              const TimeLimits& limits = {});

struct FeedbackConfig {
  // Beta prior of each invitee's accept rate: mean in [0, 1], strength (in
  // pseudo-invites) finite and > 0.
  double accept_prior_mean = 0.2;
  double accept_prior_strength = 5.0;
  // Each received invite's contribution to fatigue halves every this many days
  // (finite, > 0).
  double fatigue_half_life_days = 7.0;

  // kInvalidArgument naming the first bad field as `<path>.<field>=value`.
  absl::Status Validate(std::string_view path = "FeedbackConfig") const;
};

// What RecordOutcomes() did with a batch. `applied` + `unknown_invitees` is
// the number of rows.
struct OutcomeReport {
  int64_t applied = 0;           // rows whose invitee is in the graph
  int64_t unknown_invitees = 0;  // rows whose invitee is not (kept aside)
};

// One recipient's feedback state, evaluated at `as_of` (see
// Recommender::FeedbackFor()).
struct RecipientFeedback {
  bool in_graph = false;
  int64_t successes = 0;   // "accepted" rows
  int64_t failures = 0;    // "declined" and "ignored" rows
  double accept_rate = 0;  // posterior mean, the prior mean without data
  double fatigue = 0;      // decayed count of received invites at `as_of`
  Timestamp as_of = 0;     // the recommender's current "now"
};

}  // namespace invitegraph

#endif  // INVITEGRAPH_OUTCOMES_H_
