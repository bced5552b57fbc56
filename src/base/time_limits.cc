#include "invitegraph/time_limits.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "internal/strings.h"
#include "invitegraph/status.h"

namespace invitegraph {
namespace {

constexpr Timestamp kMaxTs = std::numeric_limits<Timestamp>::max();
// 9999-12-31T23:59:59Z: the last time with a four-digit year.
constexpr Timestamp kLastFormattable = 253402300799;
// 2000-01-01T00:00:00Z. A too-late value is said to look like milliseconds
// (etc.) only when the converted time is after this too: with earliest = 0,
// any value would otherwise be "plausible" once divided by 1000 (the year
// 3000 would read as 1971 in milliseconds).
constexpr Timestamp kUnitHintFloor = 946684800;

// "YYYY-MM-DDThh:mm:ssZ" (proleptic Gregorian, UTC) for times in
// [0, kLastFormattable]; a phrase outside it.
std::string UtcString(Timestamp ts) {
  if (ts < 0) return "before 1970";
  if (ts > kLastFormattable) return "after the year 9999";
  const int64_t days = ts / 86400, secs = ts % 86400;
  // Days since 1970-01-01 to a civil date (H. Hinnant's days -> civil).
  const int64_t z = days + 719468;
  const int64_t era = z / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ",
                static_cast<long long>(year), static_cast<long long>(month),
                static_cast<long long>(day),
                static_cast<long long>(secs / 3600),
                static_cast<long long>(secs / 60 % 60),
                static_cast<long long>(secs % 60));
  return buf;
}

Timestamp SaturatingAdd(Timestamp a, int64_t b) {
  return a > kMaxTs - b ? kMaxTs : a + b;
}

// The accepted range for `use`, with `now` resolved.
struct Range {
  Timestamp earliest;
  Timestamp now;
  int64_t ahead;
  Timestamp latest;
  bool wall_clock;
};

Range RangeOf(const TimeLimits& limits, TimeUse use) {
  Range r;
  r.earliest = limits.earliest;
  r.now = limits.Now();
  r.ahead = use == TimeUse::kDeadline ? limits.max_ends_at_future_seconds
                                      : limits.max_future_seconds;
  r.latest = SaturatingAdd(r.now, r.ahead);
  r.wall_clock = !limits.now.has_value();
  return r;
}

bool InRange(Timestamp ts, const Range& r) {
  return ts >= r.earliest && ts <= r.latest;
}

// The message for a `ts` outside `r`.
absl::Status OutOfRange(Timestamp ts, const Range& r, TimeUse use,
                        std::string_view where) {
  const std::string head = absl::StrCat(internal::Sv(where), "=", ts,
                                        ": timestamps are unix seconds; ");
  if (ts < r.earliest) {
    return absl::InvalidArgumentError(absl::StrCat(
        head, "this is before the earliest plausible time ",
        UtcString(r.earliest), " (TimeLimits.earliest=", r.earliest, ")"));
  }
  const std::string bound = absl::StrCat(
      "the latest plausible time is ", UtcString(r.latest), " (",
      r.wall_clock ? "the wall clock " : "TimeLimits.now=", UtcString(r.now),
      " + ",
      use == TimeUse::kDeadline ? "TimeLimits.max_ends_at_future_seconds="
                                : "TimeLimits.max_future_seconds=",
      r.ahead, ")");
  struct Unit {
    int64_t per_second;
    const char* name;
  };
  static constexpr Unit kUnits[] = {{1000, "milliseconds"},
                                    {1000000, "microseconds"},
                                    {1000000000, "nanoseconds"}};
  for (const Unit& u : kUnits) {
    const Timestamp s = ts / u.per_second;
    if (s >= std::max(r.earliest, kUnitHintFloor) && s <= r.latest) {
      return absl::InvalidArgumentError(
          absl::StrCat(head, "this looks like ", u.name, " (", UtcString(s),
                       " when read as ", u.name, "); convert with ts // ",
                       u.per_second, "; ", bound));
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat(head, "this is ", UtcString(ts), ", but ", bound));
}

}  // namespace

Timestamp TimeLimits::Now() const {
  if (now.has_value()) return *now;
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Timestamp TimeLimits::Latest() const {
  return SaturatingAdd(Now(), max_future_seconds);
}

absl::Status ValidateTimeLimits(const TimeLimits& limits,
                                std::string_view prefix) {
  return limits.Validate(prefix);
}

absl::Status TimeLimits::Validate(std::string_view prefix) const {
  const TimeLimits& limits = *this;
  auto bad = [&](std::string_view field, int64_t v, std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(internal::Sv(prefix), ".",
                                                   internal::Sv(field), "=", v,
                                                   ": ", internal::Sv(why)));
  };
  if (limits.earliest < 0) {
    return bad("earliest", limits.earliest,
               "must be >= 0 (unix seconds; negative times are never "
               "accepted)");
  }
  if (limits.max_future_seconds < 0) {
    return bad("max_future_seconds", limits.max_future_seconds, "must be >= 0");
  }
  if (limits.max_ends_at_future_seconds < 0) {
    return bad("max_ends_at_future_seconds", limits.max_ends_at_future_seconds,
               "must be >= 0");
  }
  if (limits.now.has_value() && *limits.now < limits.earliest) {
    return bad("now", *limits.now,
               absl::StrCat("must be >= earliest=", limits.earliest));
  }
  return absl::OkStatus();
}

absl::Status CheckTimestamp(Timestamp ts, const TimeLimits& limits,
                            std::string_view where, TimeUse use) {
  INVITEGRAPH_RETURN_IF_ERROR(ValidateTimeLimits(limits));
  const Range r = RangeOf(limits, use);
  if (InRange(ts, r)) return absl::OkStatus();
  return OutOfRange(ts, r, use, where);
}

absl::Status CheckTimestamps(absl::Span<const Timestamp> ts,
                             const TimeLimits& limits, std::string_view table,
                             std::string_view column) {
  if (ts.empty()) return absl::OkStatus();
  INVITEGRAPH_RETURN_IF_ERROR(ValidateTimeLimits(limits));
  const Range r = RangeOf(limits, TimeUse::kEvent);  // one clock reading
  for (size_t i = 0; i < ts.size(); ++i) {
    if (!InRange(ts[i], r)) {
      return OutOfRange(ts[i], r, TimeUse::kEvent,
                        absl::StrCat(internal::Sv(table), ".",
                                     internal::Sv(column), "[", i, "]"));
    }
  }
  return absl::OkStatus();
}

}  // namespace invitegraph
