// File: time_limits.h
// The plausibility policy for times: which unix-second values invitegraph
// accepts as event times, reference times (`as_of`), outcome times and
// campaign deadlines, and the one check every entry point that takes a time
// goes through.
//
//   GraphConfig config;
//   config.time_limits.max_future_seconds = 3600;  // stricter skew tolerance
//   TimeLimits replay{.now = 1'600'000'000};       // replaying 2020's data
//   INVITEGRAPH_RETURN_IF_ERROR(
//       CheckTimestamp(ts, replay, "BuildOptions.as_of"));
//
// A time is plausible when earliest <= ts <= now + max_future_seconds, where
// `now` is TimeLimits::now when set, else the wall clock read at the check.
// Campaign deadlines (Campaign::ends_at) are legitimately in the future and
// may reach now + max_ends_at_future_seconds instead. Anything else is
// kInvalidArgument naming the field, row and value, the bound it broke (also
// as a UTC date) and, for a too-late value that divided by 1000, 10^6 or
// 10^9 is a plausible time after 2000-01-01, that it looks like milliseconds,
// microseconds or nanoseconds and how to convert it.
//
// Why: one implausible time does silent damage. A build's as_of defaults to
// the latest event time, so a single row in milliseconds or in the year 3000
// decays every real weight to zero; an outcome row moves the recommender's
// feedback clock, so it would make fatigue and recent sends vanish for every
// recipient and let a capped recipient be invited again. Tests and replays of
// past data are unaffected: anything up to now is accepted; only the future
// is bounded.
//
// Where each limit is configured: GraphConfig::time_limits for the event
// tables (GraphBuilder::Add*), BuildOptions::as_of, PartialArcs(as_of),
// UpdateOptions::as_of, DetectAbuse's assists and training history and
// outcomes; RecommenderConfig::time_limits for RecordOutcomes(),
// ReserveInvites() and Campaign::ends_at, and for the feedback clock, which
// never runs ahead of TimeLimits::now (recommender.h).
#ifndef INVITEGRAPH_TIME_LIMITS_H_
#define INVITEGRAPH_TIME_LIMITS_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "invitegraph/types.h"

namespace invitegraph {

struct TimeLimits {
  // The earliest accepted time, unix seconds (>= 0). 0 (1970-01-01) accepts
  // every non-negative time, such as the small times of tests; negative times
  // are never accepted (-1 means "no time" in UserProfile::first_seen).
  Timestamp earliest = 0;
  // How far after `now` an event, outcome or as_of may lie: the clock skew
  // tolerated between the machines that stamp events and this one (>= 0).
  int64_t max_future_seconds = 86400;
  // How far after `now` a Campaign::ends_at may lie (>= 0): campaigns end in
  // the future, but not in milliseconds.
  int64_t max_ends_at_future_seconds = 366 * 86400;
  // "Now" in unix seconds; unset: the wall clock, read at each check. Tests
  // and replays of a past period set it (a replay: its last time).
  std::optional<Timestamp> now = std::nullopt;

  // `now`, or the wall clock when it is unset.
  Timestamp Now() const;
  // The latest plausible event time: Now() + max_future_seconds (saturating).
  Timestamp Latest() const;
  // kInvalidArgument naming the first bad field as `<path>.<field>=value`:
  // earliest < 0, a negative max_*_seconds, or now < earliest.
  absl::Status Validate(std::string_view path = "TimeLimits") const;
};

// What a time is used as: an event / reference time, bounded by
// max_future_seconds, or a deadline, bounded by max_ends_at_future_seconds.
enum class TimeUse { kEvent, kDeadline };

// limits.Validate(prefix) (e.g. prefix "GraphConfig.time_limits").
absl::Status ValidateTimeLimits(const TimeLimits& limits,
                                std::string_view prefix = "TimeLimits");

// The check. OK when `ts` is plausible (see the top of this file) under
// `limits` for `use`; else kInvalidArgument "<where>=<ts>: ..." with the
// bound as a date and, where it applies, the unit hint. Also fails when
// `limits` itself is invalid (ValidateTimeLimits).
absl::Status CheckTimestamp(Timestamp ts, const TimeLimits& limits,
                            std::string_view where,
                            TimeUse use = TimeUse::kEvent);

// CheckTimestamp() for each row of a column, reading the clock once; the
// first bad row is reported as "<table>.<column>[row]=<value>: ...".
absl::Status CheckTimestamps(absl::Span<const Timestamp> ts,
                             const TimeLimits& limits, std::string_view table,
                             std::string_view column = "ts");

}  // namespace invitegraph

#endif  // INVITEGRAPH_TIME_LIMITS_H_
