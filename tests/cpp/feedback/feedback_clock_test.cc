// The feedback clock under implausible and future times: no single outcome
// row (milliseconds, the year 3000, INT64_MAX) is accepted, a row within the
// tolerance ahead does not move the clock past the present, future-stamped
// sends still count against caps and do not inflate fatigue, reservations
// are sends "now", campaign deadlines are checked, and a state saved with a
// far-future clock is clamped on load.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "feedback/state_snapshot.h"
#include "invitegraph/graph_builder.h"
#include "invitegraph/history.h"
#include "invitegraph/outcomes.h"
#include "invitegraph/recommender.h"
#include "testing/fixtures.h"
#include "testing/oracles.h"

namespace invitegraph {
namespace {

using testing::CheckError;
using testing::kAsOf;
using testing::OutcomeRows;
using testing::RequireOk;
using testing::Unwrap;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;
constexpr Timestamp kMaxTs = std::numeric_limits<Timestamp>::max();
constexpr Timestamp kYear3000 = 32'503'680'000;
constexpr Timestamp kHour = 3600;
// The recommender's present: just after the graph's as_of.
constexpr Timestamp kPresent = kAsOf + 10;

// 1 is friends with 2..6.
SocialGraph Fan(Timestamp as_of = kAsOf) {
  GraphConfig c;
  c.time_limits.now = kPresent;
  GraphBuilder b(c);
  const std::vector<UserId> src = {1, 1, 1, 1, 1}, dst = {2, 3, 4, 5, 6};
  RequireOk(b.AddFriendships({.src = src, .dst = dst}));
  return Unwrap(b.Build(testing::AsOf(as_of)));
}

// At most one send per recipient per hour; "now" fixed at kPresent.
Recommender Capped(SocialGraph g = Fan()) {
  RecommenderConfig c;
  c.policy.max_invites_per_recipient = {{kHour, 1}};
  c.time_limits.now = kPresent;
  return Unwrap(Recommender::Create(std::move(g), c));
}

bool Suggested(const Recommender& rec, UserId u) {
  for (const Suggestion& s : Unwrap(rec.Recommend(1, {}, 10))) {
    if (s.candidate == u) return true;
  }
  return false;
}

bool Reserve(const Recommender& rec, UserId u, Timestamp ts) {
  return Unwrap(rec.ReserveInvites(1, std::vector<UserId>{u}, 42, ts))[0];
}

TEST_CASE("clock: one implausible outcome row erases nobody's protection",
          "[feedback][time]") {
  const Recommender rec = Capped();
  REQUIRE(Reserve(rec, 3, kAsOf));  // 3 reaches its cap
  CHECK_FALSE(Reserve(rec, 3, kAsOf));
  CHECK_FALSE(Suggested(rec, 3));
  const RecipientFeedback before = rec.FeedbackFor(3);
  REQUIRE(before.fatigue == 1.0);
  for (const Timestamp bad : {kYear3000, kMaxTs, kPresent * 1000}) {
    CAPTURE(bad);
    OutcomeRows r;
    r.Add(2, 4, 42, kAsOf, Outcome::kSent);  // fine, but its batch fails
    r.Add(2, 5, 42, bad, Outcome::kSent);
    CheckError(rec.RecordOutcomes(r.batch()).status(), kInvalid,
               {"outcomes.ts[1]=" + std::to_string(bad)});
    // Nothing moved: 3 is still capped, its sends and fatigue unchanged, and
    // the good row was not applied either.
    CHECK(rec.RecentSends(3, kHour) == 1);
    CHECK_FALSE(Reserve(rec, 3, kAsOf));
    CHECK_FALSE(Suggested(rec, 3));
    const RecipientFeedback after = rec.FeedbackFor(3);
    CHECK(after.fatigue == before.fatigue);
    CHECK(after.as_of == before.as_of);
    CHECK(rec.FeedbackFor(4).fatigue == 0);
  }
  // Milliseconds come with the hint.
  OutcomeRows ms;
  ms.Add(2, 5, 42, kPresent * 1000, Outcome::kAccepted);
  CheckError(rec.RecordOutcomes(ms.batch()).status(), kInvalid,
             {"looks like milliseconds", "ts // 1000"});
}

TEST_CASE("clock: a row ahead within the tolerance un-caps nobody",
          "[feedback][time]") {
  const Recommender rec = Capped();
  REQUIRE(Reserve(rec, 3, kAsOf));
  // Twelve hours ahead is within the default day of skew: accepted. Before
  // the clock was bounded it moved "now" past 3's one-hour window.
  OutcomeRows r;
  r.Add(2, 4, 42, kPresent + 12 * kHour, Outcome::kSent);
  RequireOk(rec.RecordOutcomes(r.batch()).status());
  CHECK(rec.FeedbackFor(3).as_of == kPresent);  // never past the present
  CHECK(rec.RecentSends(3, kHour) == 1);
  CHECK_FALSE(Reserve(rec, 3, kAsOf));
  CHECK_FALSE(Suggested(rec, 3));
  // The future-stamped send counts against 4's cap right away, and its
  // fatigue is one send, not inflated by decaying "backwards".
  CHECK(rec.RecentSends(4, kHour) == 1);
  CHECK_FALSE(Reserve(rec, 4, kPresent));
  CHECK_FALSE(Suggested(rec, 4));
  CHECK(rec.FeedbackFor(4).fatigue == 1.0);
  // A later row in the past moves the clock as before (up to the present).
  OutcomeRows past;
  past.Add(2, 6, 42, kAsOf + 5, Outcome::kDeclined);
  RequireOk(rec.RecordOutcomes(past.batch()).status());
  CHECK(rec.FeedbackFor(6).as_of == kPresent);
  CHECK(rec.FeedbackFor(6).failures == 1);
}

TEST_CASE("clock: a reservation is a send now, whatever its ts says",
          "[feedback][time]") {
  const Recommender rec = Capped();
  REQUIRE(Reserve(rec, 3, kAsOf));
  // Two hours ahead would check an emptier window: it is taken as the
  // present, so 3 stays capped, and the clock does not move.
  CHECK_FALSE(Reserve(rec, 3, kPresent + 2 * kHour));
  CHECK(Reserve(rec, 5, kPresent + 2 * kHour));
  CHECK(rec.FeedbackFor(5).as_of == kPresent);
  CHECK(rec.RecentSends(5, kHour) == 1);
  CHECK(rec.FeedbackFor(5).fatigue == 1.0);
  // Beyond the tolerance the call fails and records nothing.
  for (const Timestamp bad : {kYear3000, kMaxTs, kPresent * 1000}) {
    CAPTURE(bad);
    CheckError(rec.ReserveInvites(1, std::vector<UserId>{6}, 42, bad).status(),
               kInvalid, {"reserve_invites.ts=" + std::to_string(bad)});
  }
  CHECK(rec.RecentSends(6, kHour) == 0);
  CHECK(rec.FeedbackFor(6).fatigue == 0);
}

TEST_CASE("clock: a graph as of a time ahead does not move it either",
          "[feedback][time]") {
  // Built one hour ahead of the present (within the graph's tolerance).
  const Recommender rec = Capped(Fan(kPresent + kHour));
  CHECK(rec.FeedbackFor(2).as_of == kPresent);
  REQUIRE(Reserve(rec, 3, kPresent));
  CHECK_FALSE(Reserve(rec, 3, kPresent));
  RequireOk(rec.SwapGraph(Fan(kPresent + 20 * kHour)));
  CHECK(rec.FeedbackFor(2).as_of == kPresent);
  CHECK_FALSE(Reserve(rec, 3, kPresent));
}

TEST_CASE("clock: a state saved with a far-future clock is clamped on load",
          "[feedback][time]") {
  // What the old code could persist after one row in the year 3000.
  internal::PortableRecipientState p;
  p.now = kYear3000;
  p.users = {3, 4};
  p.records = {
      {.successes = 0, .failures = 0, .fatigue = 1.0, .fatigue_ts = kYear3000},
      {.successes = 2, .failures = 1, .fatigue = 1.0, .fatigue_ts = kAsOf}};
  p.send_users = {3, 4};
  p.send_offsets = {0, 1, 2};
  p.send_ts = {kYear3000, kAsOf};
  const Recommender rec = Capped();
  RequireOk(rec.StateFromBytes(internal::StateBytes(p)));
  // The clock is the present, so 4's real send still caps it and its
  // fatigue is seen at the present, not decayed to nothing.
  const RecipientFeedback f4 = rec.FeedbackFor(4);
  CHECK(f4.as_of == kPresent);
  CHECK(f4.fatigue == Approx(std::exp2(-10.0 / (7 * 86400.0))));
  CHECK(f4.successes == 2);
  CHECK(rec.RecentSends(4, kHour) == 1);
  CHECK_FALSE(Reserve(rec, 4, kPresent));
  // 3's send from the year 3000 is held at the latest plausible time: it
  // keeps 3 capped (as the latest send) without holding the clock.
  CHECK(rec.RecentSends(3, kHour) == 1);
  CHECK(rec.FeedbackFor(3).fatigue == 1.0);
  const internal::PortableRecipientState back =
      Unwrap(internal::ParseStateBytes(Unwrap(rec.StateToBytes())));
  CHECK(back.now == kPresent);
  REQUIRE(back.send_ts.size() == 2);
  CHECK(back.send_ts[0] == kPresent + 86'400);
  CHECK(back.send_ts[1] == kAsOf);
  CHECK(back.records[0].fatigue_ts == kPresent + 86'400);
}

TEST_CASE("clock: campaign deadlines are checked as deadlines",
          "[feedback][time]") {
  const Recommender rec = Capped();
  for (const Timestamp bad : {kYear3000, kMaxTs, kPresent * 1000}) {
    CAPTURE(bad);
    Campaign c;
    c.ends_at = bad;
    CheckError(rec.Recommend(1, c, 3).status(), kInvalid,
               {"campaign.ends_at=" + std::to_string(bad)});
    CheckError(rec.Features(1, c).status(), kInvalid, {"campaign.ends_at="});
  }
  Campaign ms;
  ms.ends_at = kPresent * 1000;
  CheckError(rec.Recommend(1, ms, 3).status(), kInvalid,
             {"looks like milliseconds",
              "TimeLimits.max_ends_at_future_seconds=31622400"});
  // Ahead by months, or already over: fine.
  Campaign later, over;
  later.ends_at = kPresent + 200 * 86'400;
  over.ends_at = 0;
  CHECK(Unwrap(rec.RecommendList(1, later, 3)).urgency == 0);
  CHECK(Unwrap(rec.RecommendList(1, over, 3)).urgency == 1);
  // Bad limits fail Create, named.
  RecommenderConfig c;
  c.time_limits.max_ends_at_future_seconds = -1;
  CheckError(Recommender::Create(Fan(), c).status(), kInvalid,
             {"RecommenderConfig.time_limits.max_ends_at_future_seconds=-1"});
}

TEST_CASE("clock: ValidateOutcomes and HistoryFromOutcomes take the limits",
          "[feedback][time]") {
  OutcomeRows r;
  r.Add(1, 2, 42, kAsOf, Outcome::kSent);
  r.Add(1, 3, 42, kPresent + kHour, Outcome::kAccepted);
  RequireOk(ValidateOutcomes(r.batch(), {.now = kPresent}));
  CheckError(
      ValidateOutcomes(r.batch(), {.max_future_seconds = 60, .now = kPresent}),
      kInvalid, {"outcomes.ts[1]="});
  CheckError(HistoryFromOutcomes(r.batch(),
                                 {.max_future_seconds = 60, .now = kPresent})
                 .status(),
             kInvalid, {"outcomes.ts[1]="});
  r.ts[1] = kYear3000;
  CheckError(HistoryFromOutcomes(r.batch()).status(), kInvalid,
             {"outcomes.ts[1]=32503680000"});
}

}  // namespace
}  // namespace invitegraph
