// The time plausibility policy (time_limits.h): the check itself (bounds,
// dates, unit hints), and every graph-side entry point that takes a time
// refusing milliseconds, the year 3000 and INT64_MAX with nothing applied,
// while plausible times, small test times and configured windows pass.
#include "invitegraph/time_limits.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "invitegraph/abuse.h"
#include "invitegraph/graph_builder.h"
#include "invitegraph/social_graph.h"
#include "invitegraph/training.h"
#include "testing/fixtures.h"

namespace invitegraph {
namespace {

using testing::CheckError;
using testing::RequireOk;
using testing::Unwrap;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;
constexpr Timestamp kMaxTs = std::numeric_limits<Timestamp>::max();
// A fixed "now" (2026-12-06T17:52:59Z), so messages do not depend on the
// wall clock.
constexpr Timestamp kNow = 1'796'579'579;
constexpr Timestamp kYear3000 = 32'503'680'000;

TimeLimits At(Timestamp now) { return TimeLimits{.now = now}; }

TEST_CASE("time: plausible times pass, from 0 to now + max_future_seconds",
          "[time]") {
  const TimeLimits l = At(kNow);
  for (Timestamp ok : {Timestamp{0}, Timestamp{100}, Timestamp{1'700'000'000},
                       kNow, kNow + 86'400}) {
    CAPTURE(ok);
    RequireOk(CheckTimestamp(ok, l, "x"));
  }
  CheckError(CheckTimestamp(kNow + 86'401, l, "x"), kInvalid,
             {"x=1796665980", "2026-12-07T17:52:59Z",
              "TimeLimits.now=2026-12-06T17:52:59Z",
              "TimeLimits.max_future_seconds=86400"});
  // Negative times are never plausible.
  CheckError(
      CheckTimestamp(-1, l, "x"), kInvalid,
      {"x=-1", "before the earliest plausible time", "1970-01-01T00:00:00Z"});
  // The wall clock is the default "now": the present passes, a year ahead
  // does not, and the message says which clock it used.
  const Timestamp wall = TimeLimits{}.Now();
  CHECK(wall > kNow - 365 * 86'400);  // this machine's clock is sane
  RequireOk(CheckTimestamp(wall, TimeLimits{}, "x"));
  CheckError(CheckTimestamp(wall + 400 * 86'400, TimeLimits{}, "x"), kInvalid,
             {"the wall clock"});
}

TEST_CASE("time: milliseconds, micro- and nanoseconds are named with a hint",
          "[time]") {
  const TimeLimits l = At(kNow);
  CheckError(CheckTimestamp(1'700'000'000'123, l, "interactions.ts[5]"),
             kInvalid,
             {"interactions.ts[5]=1700000000123", "looks like milliseconds",
              "2023-11-14T22:13:20Z", "ts // 1000",
              "latest plausible time is 2026-12-07T17:52:59Z"});
  CheckError(CheckTimestamp(1'700'000'000'123'456, l, "t"), kInvalid,
             {"looks like microseconds", "ts // 1000000"});
  CheckError(CheckTimestamp(1'700'000'000'123'456'789, l, "t"), kInvalid,
             {"looks like nanoseconds", "ts // 1000000000"});
  // The year 3000 is not "milliseconds of 1971": no hint, its date instead.
  const absl::Status y3000 = CheckTimestamp(kYear3000, l, "t");
  CheckError(y3000, kInvalid,
             {"t=32503680000", "3000-01-01T00:00:00Z", "latest plausible"});
  CHECK(std::string(y3000.message()).find("looks like") == std::string::npos);
  CheckError(CheckTimestamp(kMaxTs, l, "t"), kInvalid,
             {"t=9223372036854775807", "after the year 9999"});
  // Dates across a leap day and the end of the formattable range.
  CheckError(CheckTimestamp(951'782'400, At(900'000'000), "t"), kInvalid,
             {"2000-02-29T00:00:00Z"});
  CheckError(CheckTimestamp(253'402'300'799, l, "t"), kInvalid,
             {"9999-12-31T23:59:59Z"});
}

TEST_CASE("time: the window is configurable", "[time]") {
  TimeLimits l = At(kNow);
  l.max_future_seconds = 0;
  RequireOk(CheckTimestamp(kNow, l, "t"));
  CheckError(CheckTimestamp(kNow + 1, l, "t"), kInvalid,
             {"TimeLimits.max_future_seconds=0"});
  l.earliest = 1'577'836'800;  // 2020-01-01
  CheckError(CheckTimestamp(1'577'836'799, l, "t"), kInvalid,
             {"2020-01-01T00:00:00Z", "TimeLimits.earliest=1577836800"});
  // Deadlines have their own, longer horizon.
  const TimeLimits d = At(kNow);
  RequireOk(CheckTimestamp(kNow + 300 * 86'400, d, "e", TimeUse::kDeadline));
  CheckError(CheckTimestamp(kNow + 300 * 86'400, d, "e"), kInvalid,
             {"max_future_seconds"});
  CheckError(CheckTimestamp(kNow + 367 * 86'400, d, "e", TimeUse::kDeadline),
             kInvalid, {"TimeLimits.max_ends_at_future_seconds=31622400"});
  // A column reports its first bad row.
  const std::vector<Timestamp> ts = {kNow, 100, kNow * 1000, -4};
  CheckError(CheckTimestamps(ts, d, "purchases"), kInvalid,
             {"purchases.ts[2]=1796579579000", "milliseconds"});
  // Bad limits are named.
  CheckError(ValidateTimeLimits({.earliest = -1}, "GraphConfig.time_limits"),
             kInvalid, {"GraphConfig.time_limits.earliest=-1"});
  CheckError(ValidateTimeLimits({.max_future_seconds = -5}), kInvalid,
             {"TimeLimits.max_future_seconds=-5"});
  CheckError(ValidateTimeLimits({.max_ends_at_future_seconds = -5}), kInvalid,
             {"max_ends_at_future_seconds=-5"});
  CheckError(ValidateTimeLimits({.earliest = 10, .now = 5}), kInvalid,
             {"TimeLimits.now=5", "earliest=10"});
  CheckError(CheckTimestamp(0, {.max_future_seconds = -1}, "t"), kInvalid,
             {"max_future_seconds=-1"});
}

GraphConfig Fixed() {
  GraphConfig c;
  c.time_limits.now = kNow;
  c.num_threads = 1;
  return c;
}

TEST_CASE("time: every GraphBuilder table refuses implausible times whole",
          "[time][ingest]") {
  GraphBuilder b(Fixed());
  const std::vector<UserId> src = {1, 2}, dst = {2, 3};
  const std::vector<Channel> kind = {Channel::kChat, Channel::kLike};
  const std::vector<Timestamp> good = {kNow - 100, 100};
  RequireOk(
      b.AddInteractions({.src = src, .dst = dst, .kind = kind, .ts = good}));
  const StagedCounts before = b.counts();
  for (const Timestamp bad : {kNow * 1000, kYear3000, kMaxTs}) {
    CAPTURE(bad);
    const std::vector<Timestamp> ts = {kNow, bad};
    CheckError(
        b.AddInteractions({.src = src, .dst = dst, .kind = kind, .ts = ts}),
        kInvalid, {"interactions.ts[1]=", std::to_string(bad)});
    const std::vector<std::string> names = {"chat"};
    const std::vector<int32_t> codes = {0, 0};
    CheckError(b.AddInteractions(EncodedInteractionBatch{.src = src,
                                                         .dst = dst,
                                                         .kind_codes = codes,
                                                         .kind_names = names,
                                                         .ts = ts}),
               kInvalid, {"interactions.ts[1]="});
    const std::vector<ItemId> item = {7, 8};
    CheckError(b.AddPurchases({.user = src, .item = item, .ts = ts}), kInvalid,
               {"purchases.ts[1]="});
    const std::vector<int64_t> offsets = {0, 1, 1};
    const std::vector<UserId> joined = {5};
    CheckError(b.AddCampaigns({.inviter = src,
                               .item = item,
                               .joined_offsets = offsets,
                               .joined = joined,
                               .ts = ts}),
               kInvalid, {"campaigns.ts[1]="});
  }
  const StagedCounts after = b.counts();
  CHECK(after.interactions == before.interactions);
  CHECK(after.purchases == 0);
  CHECK(after.campaigns == 0);
  CHECK(after.users == before.users);
  // The earlier batch is intact and builds as of its latest time.
  const SocialGraph g = Unwrap(b.Build());
  CHECK(g.as_of() == kNow - 100);
  CHECK(g.FindArc(*g.FindNode(1), *g.FindNode(2))->channel_weight[0] == 1.0f);
}

TEST_CASE("time: as_of of Build, PartialArcs and Update is checked",
          "[time][ingest]") {
  GraphBuilder b(Fixed());
  const std::vector<UserId> src = {1}, dst = {2};
  const std::vector<Channel> kind = {Channel::kChat};
  const std::vector<Timestamp> ts = {kNow - 10};
  RequireOk(
      b.AddInteractions({.src = src, .dst = dst, .kind = kind, .ts = ts}));
  CheckError(b.Build(testing::AsOf(kNow * 1000)).status(), kInvalid,
             {"BuildOptions.as_of=1796579579000", "milliseconds"});
  CheckError(b.Build(testing::AsOf(kYear3000)).status(), kInvalid,
             {"BuildOptions.as_of=32503680000"});
  CheckError(b.PartialArcs(kMaxTs).status(), kInvalid,
             {"as_of=9223372036854775807"});
  // Within the tolerance, and at the default, Build works.
  CHECK(Unwrap(b.Build(testing::AsOf(kNow + 3600))).as_of() == kNow + 3600);
  const SocialGraph g = Unwrap(b.Build());
  GraphBuilder more(g.config());
  const std::vector<Timestamp> later = {kNow};
  RequireOk(more.AddInteractions(
      {.src = src, .dst = dst, .kind = kind, .ts = later}));
  UpdateOptions u;
  u.as_of = kYear3000;
  CheckError(g.Update(more, u).status(), kInvalid,
             {"UpdateOptions.as_of=32503680000"});
  u.as_of = kNow + 60;
  CHECK(Unwrap(g.Update(more, u)).as_of() == kNow + 60);
  // Update checks by the graph's own limits: a wider window lets it pass.
  GraphConfig wide = Fixed();
  wide.time_limits.max_future_seconds = 1000LL * 365 * 86'400;
  GraphBuilder wb(wide);
  RequireOk(
      wb.AddInteractions({.src = src, .dst = dst, .kind = kind, .ts = ts}));
  u.as_of = kYear3000;
  CHECK(Unwrap(Unwrap(wb.Build()).Update(more, u)).as_of() == kYear3000);
  // A bad limit in the config is reported as the config's.
  GraphConfig broken = Fixed();
  broken.time_limits.max_future_seconds = -1;
  GraphBuilder bb(broken);
  CheckError(
      bb.AddInteractions({.src = src, .dst = dst, .kind = kind, .ts = ts}),
      kInvalid, {"max_future_seconds=-1"});
  CheckError(bb.Build().status(), kInvalid,
             {"GraphConfig.time_limits.max_future_seconds=-1"});
}

TEST_CASE("time: snapshots keep the graph's limits", "[time][snapshot]") {
  GraphConfig c = Fixed();
  c.time_limits.earliest = 1'000;
  c.time_limits.max_future_seconds = 60;
  c.time_limits.max_ends_at_future_seconds = 7 * 86'400;
  GraphBuilder b(c);
  const std::vector<UserId> src = {1}, dst = {2};
  RequireOk(b.AddFriendships({.src = src, .dst = dst}));
  const SocialGraph g = Unwrap(b.Build(testing::AsOf(kNow)));
  const SocialGraph back = Unwrap(SocialGraph::FromBytes(Unwrap(g.ToBytes())));
  const TimeLimits& t = back.config().time_limits;
  CHECK(t.earliest == 1'000);
  CHECK(t.max_future_seconds == 60);
  CHECK(t.max_ends_at_future_seconds == 7 * 86'400);
  REQUIRE(t.now.has_value());
  CHECK(*t.now == kNow);
  // The wall clock (unset now) round-trips as unset.
  GraphBuilder w;
  RequireOk(w.AddFriendships({.src = src, .dst = dst}));
  const SocialGraph gw = Unwrap(w.Build(testing::AsOf(100)));
  CHECK_FALSE(Unwrap(SocialGraph::FromBytes(Unwrap(gw.ToBytes())))
                  .config()
                  .time_limits.now.has_value());
}

TEST_CASE("time: training history and abuse assists are checked",
          "[time][training]") {
  GraphBuilder b(Fixed());
  const std::vector<UserId> src = {1, 2, 3}, dst = {2, 3, 1};
  const std::vector<Channel> kind(3, Channel::kAssist);
  const std::vector<Timestamp> ts = {kNow - 30, kNow - 20, kNow - 10};
  RequireOk(
      b.AddInteractions({.src = src, .dst = dst, .kind = kind, .ts = ts}));
  const SocialGraph g = Unwrap(b.Build({.keep_events = true}));
  const std::vector<UserId> inviter = {1};
  const std::vector<ItemId> item = {9};
  const std::vector<int64_t> offsets = {0, 1};
  const std::vector<UserId> joined = {2};
  const std::vector<Timestamp> when = {kNow * 1000};
  CheckError(BuildTrainingSet(g, {.inviter = inviter,
                                  .item = item,
                                  .joined_offsets = offsets,
                                  .joined = joined,
                                  .ts = when})
                 .status(),
             kInvalid, {"history.ts[0]=1796579579000", "milliseconds"});
  const std::vector<UserId> to = {3};
  const std::vector<Timestamp> out_ts = {kYear3000};
  const std::vector<Outcome> sent = {Outcome::kSent};
  TrainingOptions o;
  o.outcomes = {.inviter = inviter,
                .invitee = to,
                .item = item,
                .ts = out_ts,
                .outcome = sent};
  const std::vector<Timestamp> fine = {kNow - 5};
  CheckError(BuildTrainingSet(g,
                              {.inviter = inviter,
                               .item = item,
                               .joined_offsets = offsets,
                               .joined = joined,
                               .ts = fine},
                              o)
                 .status(),
             kInvalid, {"outcomes.ts[0]=32503680000"});
  const std::vector<Timestamp> assist_ts = {kNow - 1, kMaxTs, kNow};
  const InteractionBatch assists{
      .src = src, .dst = dst, .kind = kind, .ts = assist_ts};
  CheckError(DetectAbuse(g, {}, &assists).status(), kInvalid,
             {"assists.ts[1]=9223372036854775807"});
}

}  // namespace
}  // namespace invitegraph
