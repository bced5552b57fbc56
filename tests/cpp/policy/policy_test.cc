// The policy chain: filters before the cut (exactly k when enough candidates
// survive), caps from recorded sends, atomic reservations that keep caps under
// many threads, documented boosts and fatigue penalty with their reasons,
// custom steps, validation, and thread-count invariance.
#include "invitegraph/policy.h"

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "invitegraph/graph_builder.h"
#include "invitegraph/outcomes.h"
#include "invitegraph/recommender.h"
#include "testing/fixtures.h"
#include "testing/oracles.h"

namespace invitegraph {
namespace {

using testing::CheckError;
using testing::kAsOf;
using testing::kDay;
using testing::OutcomeRows;
using testing::RequireOk;
using testing::Unwrap;

// 1 is friends with 2..9; 2..9 differ by how much they chat with 1.
SocialGraph Fan() {
  GraphBuilder b;
  std::vector<UserId> src, dst, isrc, idst;
  std::vector<Channel> kind;
  std::vector<Timestamp> ts;
  for (UserId u = 2; u <= 9; ++u) {
    src.push_back(1);
    dst.push_back(u);
    for (UserId j = 0; j < u; ++j) {  // more chat for higher ids
      isrc.push_back(u);
      idst.push_back(1);
      kind.push_back(Channel::kChat);
      ts.push_back(kAsOf - kDay);
    }
  }
  RequireOk(b.AddFriendships({.src = src, .dst = dst}));
  RequireOk(
      b.AddInteractions({.src = isrc, .dst = idst, .kind = kind, .ts = ts}));
  return Unwrap(b.Build(testing::AsOf(kAsOf)));
}

std::vector<UserId> Ids(const std::vector<Suggestion>& s) {
  std::vector<UserId> out;
  for (const Suggestion& x : s) out.push_back(x.candidate);
  return out;
}

Recommender WithPolicy(SocialGraph g, Policy p) {
  RecommenderConfig c;
  c.policy = std::move(p);
  return Unwrap(Recommender::Create(std::move(g), c));
}

TEST_CASE("filters run before the cut, so the list stays full", "[policy]") {
  const Recommender plain = Unwrap(Recommender::Create(Fan()));
  const std::vector<UserId> all = Ids(Unwrap(plain.Recommend(1, {}, 8)));
  REQUIRE(all.size() == 8);
  // Filter exactly what the naive top 3 would be: opt-out, blocked pair and a
  // team member.
  Policy p;
  p.exclude = {all[0], 77};
  p.blocked_pairs = {{1, all[1]}, {2, all[2]}};  // (2, x) is another inviter
  const Recommender rec = WithPolicy(Fan(), p);
  Campaign c;
  c.members = {all[2]};
  const std::vector<Suggestion> s = Unwrap(rec.Recommend(1, c, 3));
  CHECK(Ids(s) == std::vector<UserId>{all[3], all[4], all[5]});
  for (size_t i = 0; i < s.size(); ++i) CHECK(s[i].rank == int(i) + 1);
  // Fewer eligible than k: all of them, no more.
  CHECK(Unwrap(rec.Recommend(1, c, 8)).size() == 5);
  // Without the campaign's members, all[2] is back.
  CHECK(Ids(Unwrap(rec.Recommend(1, {}, 1))) == std::vector<UserId>{all[2]});
  // The inviter is never a candidate, and the blocked pair is per inviter.
  for (const Suggestion& x : Unwrap(rec.Recommend(2, {}, 10))) {
    CHECK(x.candidate != 2);
    CHECK(x.candidate != all[2]);
  }
}

TEST_CASE("caps filter recipients by recorded sends over sliding windows",
          "[policy]") {
  Policy p;
  p.max_invites_per_recipient = {{kDay, 2}, {7 * kDay, 3}};
  const Recommender rec = WithPolicy(Fan(), p);
  auto suggested = [&](UserId u) {
    const auto ids = Ids(Unwrap(rec.Recommend(1, {}, 8)));
    return std::find(ids.begin(), ids.end(), u) != ids.end();
  };
  OutcomeRows r;
  r.Add(3, 5, 42, kAsOf - 2 * kDay, Outcome::kSent);
  r.Add(4, 5, 42, kAsOf, Outcome::kSent);
  r.Add(4, 5, 42, kAsOf, Outcome::kDeclined);  // not a send
  RequireOk(rec.RecordOutcomes(r.batch()).status());
  CHECK(rec.RecentSends(5, kDay) == 1);
  CHECK(rec.RecentSends(5, 7 * kDay) == 2);
  CHECK(suggested(5));
  OutcomeRows r2;
  r2.Add(6, 5, 42, kAsOf, Outcome::kSent);  // 2 in the last day: at cap
  RequireOk(rec.RecordOutcomes(r2.batch()).status());
  CHECK_FALSE(suggested(5));
  CHECK(Unwrap(rec.Recommend(1, {}, 7)).size() == 7);  // still full
  // Two days on (the clock moves with recorded ts), the day window drained
  // but the week holds 3 sends: still capped. Ten days on, free again.
  OutcomeRows later;
  later.Add(1, 2, 42, kAsOf + 2 * kDay, Outcome::kSent);
  RequireOk(rec.RecordOutcomes(later.batch()).status());
  CHECK(rec.RecentSends(5, kDay) == 0);
  CHECK(rec.RecentSends(5, 7 * kDay) == 3);
  CHECK_FALSE(suggested(5));
  later.ts[0] = kAsOf + 10 * kDay;
  RequireOk(rec.RecordOutcomes(later.batch()).status());
  CHECK(rec.RecentSends(5, 7 * kDay) == 0);
  CHECK(suggested(5));
}

TEST_CASE("ReserveInvites checks and records atomically", "[policy]") {
  Policy p;
  p.max_invites_per_recipient = {{kDay, 2}};
  const Recommender rec = WithPolicy(Fan(), p);
  const std::vector<UserId> inv = {3, 3, 3, 4};
  CHECK(Unwrap(rec.ReserveInvites(1, inv, 42, kAsOf)) ==
        std::vector<bool>{true, true, false, true});
  CHECK(rec.RecentSends(3, kDay) == 2);
  CHECK(rec.FeedbackFor(3).fatigue == Approx(2.0));
  // An earlier ts is recorded at the clock's "now": it cannot sneak in.
  CHECK(Unwrap(rec.ReserveInvites(2, std::vector<UserId>{3}, 42,
                                  kAsOf - 3 * kDay)) ==
        std::vector<bool>{false});
  // Errors apply nothing.
  const std::vector<UserId> bad = {4, 999};
  CheckError(rec.ReserveInvites(1, bad, 42, kAsOf).status(),
             absl::StatusCode::kNotFound, {"invitees[1]=999"});
  CheckError(rec.ReserveInvites(1, std::vector<UserId>{1}, 42, kAsOf).status(),
             absl::StatusCode::kInvalidArgument, {"invitee[0]=1"});
  CHECK(rec.RecentSends(4, kDay) == 1);
  // Without caps every invitee is granted and recorded as sent.
  const Recommender free = Unwrap(Recommender::Create(Fan()));
  CHECK(Unwrap(free.ReserveInvites(1, inv, 42, kAsOf)) ==
        std::vector<bool>(4, true));
  CHECK(free.FeedbackFor(3).fatigue == Approx(3.0));
}

TEST_CASE("caps hold while many threads recommend, reserve and record",
          "[policy][concurrency]") {
  const SocialGraph g =
      Unwrap(testing::BuildGraph(testing::MakeRandomEvents({.num_users = 80})));
  constexpr int kDayMax = 3, kWeekMax = 5;
  Policy p;
  p.max_invites_per_recipient = {{kDay, kDayMax}, {7 * kDay, kWeekMax}};
  p.fatigue_penalty = 0.5;
  const Recommender rec = WithPolicy(g, p);
  const auto users = g.user_ids();
  constexpr int kThreads = 6, kRounds = 150;
  std::vector<std::map<UserId, int>> granted(kThreads);
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        const UserId inviter = users[(t * 31 + i * 7) % users.size()];
        if (t == kThreads - 1) {  // a writer of non-send outcomes
          std::vector<UserId> a = {inviter}, b = {users[i % users.size()]};
          if (a[0] == b[0]) continue;
          std::vector<ItemId> it = {42};
          std::vector<Timestamp> ts = {kAsOf + i * 600};
          std::vector<Outcome> o = {Outcome::kDeclined};
          if (!rec.RecordOutcomes({a, b, it, ts, o}).ok()) failed = true;
          continue;
        }
        auto s = rec.Recommend(inviter, {}, 5);
        if (!s.ok()) {
          failed = true;
          continue;
        }
        const std::vector<UserId> ids = Ids(*s);
        // Time advances per round, but threads interleave out of order.
        auto r = rec.ReserveInvites(inviter, ids, 42, kAsOf + i * 1800);
        if (!r.ok()) {
          failed = true;
          continue;
        }
        for (size_t j = 0; j < ids.size(); ++j) granted[t][ids[j]] += (*r)[j];
      }
    });
  }
  for (auto& th : threads) th.join();
  REQUIRE_FALSE(failed);
  std::map<UserId, int> total;
  for (const auto& m : granted)
    for (const auto& [u, n] : m) total[u] += n;
  int64_t sends = 0;
  for (const auto& [u, n] : total) {
    CAPTURE(u);
    // Every reservation lies within a week of the last: all in one window.
    CHECK(n <= kWeekMax);
    CHECK(rec.RecentSends(u, kDay) <= kDayMax);
    CHECK(rec.RecentSends(u, 7 * kDay) == n);
    sends += n;
  }
  CHECK(sends > 0);
}

TEST_CASE("boosts and the fatigue penalty are documented additive terms",
          "[policy]") {
  const SocialGraph g =
      Unwrap(testing::BuildGraph(testing::MakeRandomEvents({.num_users = 60}),
                                 GraphConfig{.new_user_days = 50}));
  Policy p;
  p.new_user_boost = 0.2;
  p.active_user_boost = 0.1;
  p.fatigue_penalty = 0.5;
  const Recommender rec = WithPolicy(g, p);
  OutcomeRows r;
  const auto users = g.user_ids();
  for (size_t i = 1; i < users.size(); i += 3)
    r.Add(users[0], users[i], 42, kAsOf, Outcome::kSent);
  RequireOk(rec.RecordOutcomes(r.batch()).status());
  int boosted = 0, active = 0, fatigued = 0;
  for (UserId inviter : users) {
    const FeatureMatrix x = Unwrap(rec.Features(inviter, {}));
    std::map<UserId, int64_t> row;
    for (size_t i = 0; i < x.candidates.size(); ++i) row[x.candidates[i]] = i;
    const auto s = Unwrap(rec.Recommend(inviter, {}, 100));
    CHECK(s.size() == x.candidates.size());  // nothing filtered
    for (const Suggestion& sug : s) {
      const auto f = x.values.row(row.at(sug.candidate));
      const bool is_new = f[kCandidateIsNew] > 0;
      const bool is_active = f[kCandidateActivity7d] > 0;
      const float fatigue = f[kCandidateFatigue];
      const double expected = sug.ranker_score + (is_new ? 0.2 : 0.0) +
                              (is_active ? 0.1 : 0.0) -
                              0.5 * std::log1p(fatigue);
      CHECK(sug.score == Approx(expected).margin(1e-5));
      auto has = [&](const char* code) {
        return std::find(sug.reasons.begin(), sug.reasons.end(), code) !=
               sug.reasons.end();
      };
      CHECK(has(kReasonNewUserBoost) == is_new);
      CHECK(has(kReasonActiveUserBoost) == is_active);
      CHECK(has(kReasonFatigued) == (fatigue > 0));
      boosted += is_new;
      active += is_active;
      fatigued += fatigue > 0;
    }
    for (size_t i = 1; i < s.size(); ++i) CHECK(s[i - 1].score >= s[i].score);
  }
  CHECK(boosted > 0);
  CHECK(active > 0);
  CHECK(fatigued > 0);
}

// Drops odd candidates and tags the rest.
class EvenOnly final : public PolicyStep {
 public:
  std::string name() const override { return "even_only"; }
  absl::Status Apply(const PolicyContext& ctx,
                     CandidateRows& rows) const override {
    if (ctx.item == 13) return absl::FailedPreconditionError("unlucky item");
    for (int64_t i = 0; i < rows.size(); ++i) {
      if (rows.candidate(i) % 2 != 0) {
        rows.Drop(i);
      } else {
        rows.Adjust(i, 0.01f, code_);
      }
    }
    return absl::OkStatus();
  }

 private:
  std::string code_ = "even";
};

TEST_CASE("custom steps plug into the chain", "[policy]") {
  Policy p;
  p.extra_steps = {std::make_shared<EvenOnly>()};
  const Recommender rec = WithPolicy(Fan(), p);
  const auto s = Unwrap(rec.Recommend(1, {}, 10));
  CHECK(Ids(s) == std::vector<UserId>{8, 6, 4, 2});
  for (const Suggestion& x : s) {
    CHECK(x.reasons.back() == "even");
    CHECK(x.score == Approx(x.ranker_score + 0.01f));
  }
  CheckError(rec.Recommend(1, Campaign{.item = 13}, 3).status(),
             absl::StatusCode::kFailedPrecondition,
             {"policy step even_only", "unlucky item"});
}

TEST_CASE("bad policies are rejected naming the field", "[policy]") {
  auto check = [](Policy p, const std::string& fragment) {
    RecommenderConfig c;
    c.policy = std::move(p);
    CheckError(Recommender::Create(Fan(), c).status(),
               absl::StatusCode::kInvalidArgument, {fragment});
  };
  Policy p;
  p.max_invites_per_recipient = {{kDay, 3}, {0, 3}};
  check(p, "policy.max_invites_per_recipient[1].window_seconds=0");
  p.max_invites_per_recipient = {{kDay, 0}};
  check(p, "policy.max_invites_per_recipient[0].max=0");
  p = {};
  p.fatigue_penalty = -1;
  check(p, "policy.fatigue_penalty=-1");
  p = {};
  p.new_user_boost = NAN;
  check(p, "policy.new_user_boost");
  p = {};
  p.extra_steps = {nullptr};
  check(p, "policy.extra_steps[0]");
}

TEST_CASE("policy results do not depend on the thread count", "[policy]") {
  const SocialGraph g = Unwrap(
      testing::BuildGraph(testing::MakeRandomEvents({.num_users = 120})));
  const auto users = g.user_ids();
  Policy p;
  p.max_invites_per_recipient = {{kDay, 1}};
  p.new_user_boost = 0.3;
  p.fatigue_penalty = 1;
  for (size_t i = 0; i < users.size(); i += 4) p.exclude.push_back(users[i]);
  p.blocked_pairs = {{users[1], users[2]}, {users[3], users[5]}};
  const Recommender rec = WithPolicy(g, p);
  OutcomeRows r;
  for (size_t i = 1; i < users.size(); i += 5)
    r.Add(users[0], users[i], 42, kAsOf, Outcome::kSent);
  RequireOk(rec.RecordOutcomes(r.batch()).status());
  const std::vector<UserId> inviters(users.begin(), users.end());
  const std::vector<ItemId> items(inviters.size(), 700);
  const SuggestionTable one =
      Unwrap(rec.RecommendBatch(inviters, items, 5, {.num_threads = 1}));
  const SuggestionTable four =
      Unwrap(rec.RecommendBatch(inviters, items, 5, {.num_threads = 4}));
  CHECK(one.candidate == four.candidate);
  CHECK(one.score == four.score);
  CHECK(one.reasons == four.reasons);
  std::set<UserId> excluded(p.exclude.begin(), p.exclude.end());
  for (int64_t i = 0; i < one.size(); ++i) {
    CHECK_FALSE(excluded.count(one.candidate[i]));
    CHECK(rec.RecentSends(one.candidate[i], kDay) < 1);
  }
}

}  // namespace
}  // namespace invitegraph
