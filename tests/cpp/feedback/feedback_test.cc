// The feedback loop: outcome names, validate-then-commit, hand-computed
// posteriors and fatigue, feedback visible to the very next request, shared
// state between copies, concurrent recording and recommending, and campaign
// history from outcomes.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "invitegraph/graph_builder.h"
#include "invitegraph/history.h"
#include "invitegraph/outcomes.h"
#include "invitegraph/ranker.h"
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

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

// A star: 1 is friends with 2, 3 and 4, who are otherwise alike.
SocialGraph Star() {
  GraphBuilder b;
  const std::vector<UserId> src = {1, 1, 1}, dst = {2, 3, 4};
  RequireOk(b.AddFriendships({.src = src, .dst = dst}));
  return Unwrap(b.Build(testing::AsOf(kAsOf)));
}

float ScoreOf(const std::vector<Suggestion>& s, UserId candidate) {
  for (const Suggestion& x : s) {
    if (x.candidate == candidate) return x.score;
  }
  FAIL("candidate " << candidate << " not suggested");
  return 0;
}

TEST_CASE("outcome names parse and print", "[feedback]") {
  for (int i = 0; i < kNumOutcomes; ++i) {
    const Outcome o = static_cast<Outcome>(i);
    CHECK(Unwrap(ParseOutcome(OutcomeName(o))) == o);
  }
  CHECK(OutcomeName(Outcome::kSent) == "sent");
  CHECK(OutcomeName(Outcome::kIgnored) == "ignored");
  CHECK(OutcomeName(static_cast<Outcome>(9)) == "unknown");
  CheckError(ParseOutcome("joined").status(), kInvalid,
             {"joined", "sent", "accepted", "declined", "ignored"});
}

TEST_CASE("a bad row rejects the whole batch", "[feedback]") {
  const Recommender rec = Unwrap(Recommender::Create(Star()));
  OutcomeRows good;
  good.Add(1, 2, 42, kAsOf, Outcome::kSent);
  good.Add(1, 3, 42, kAsOf, Outcome::kDeclined);
  good.Add(1, 4, 42, kAsOf, Outcome::kAccepted);
  struct Case {
    std::string name;
    std::function<void(OutcomeRows&)> spoil;
    std::vector<std::string> fragments;
  };
  const std::vector<Case> cases = {
      {"negative inviter",
       [](OutcomeRows& r) { r.inviter[1] = -1; },
       {"outcomes.inviter[1]=-1"}},
      {"negative invitee",
       [](OutcomeRows& r) { r.invitee[2] = -7; },
       {"outcomes.invitee[2]=-7"}},
      {"negative item",
       [](OutcomeRows& r) { r.item[0] = -3; },
       {"outcomes.item[0]=-3"}},
      {"negative ts",
       [](OutcomeRows& r) { r.ts[2] = -5; },
       {"outcomes.ts[2]=-5"}},
      {"self invite",
       [](OutcomeRows& r) { r.invitee[1] = 1; },
       {"outcomes.invitee[1]=1", "inviter"}},
      {"unknown code",
       [](OutcomeRows& r) { r.outcome[2] = static_cast<Outcome>(7); },
       {"outcomes.outcome[2]=7", "sent", "ignored"}},
      {"short column",
       [](OutcomeRows& r) { r.ts.pop_back(); },
       {"outcomes", "'ts' has 2 rows", "'inviter' has 3"}},
  };
  const FeatureMatrix before = Unwrap(rec.Features(1, Campaign{}));
  for (const Case& c : cases) {
    CAPTURE(c.name);
    OutcomeRows bad = good;
    c.spoil(bad);
    const OutcomeBatch batch{bad.inviter, bad.invitee, bad.item, bad.ts,
                             bad.outcome};
    CheckError(rec.RecordOutcomes(batch).status(), kInvalid, c.fragments);
    CheckError(ValidateOutcomes(batch), kInvalid, c.fragments);
    CheckError(HistoryFromOutcomes(batch).status(), kInvalid, c.fragments);
  }
  // Nothing was applied: the rows before the bad one left no trace either.
  for (UserId u : {2, 3, 4}) {
    const RecipientFeedback f = rec.FeedbackFor(u);
    CHECK(f.successes == 0);
    CHECK(f.failures == 0);
    CHECK(f.fatigue == 0);
    CHECK(f.as_of == kAsOf);
  }
  CHECK(Unwrap(rec.Features(1, Campaign{})).values == before.values);
  // The good batch applies, and an empty one is fine.
  const OutcomeReport r = Unwrap(rec.RecordOutcomes(good.batch()));
  CHECK(r.applied == 3);
  CHECK(r.unknown_invitees == 0);
  CHECK(Unwrap(rec.RecordOutcomes(OutcomeBatch{})).applied == 0);
}

TEST_CASE("posterior and fatigue equal hand-computed values", "[feedback]") {
  const Recommender rec = Unwrap(Recommender::Create(Star()));
  // Defaults: prior mean 0.2, strength 5, fatigue half-life 7 days.
  OutcomeRows rows;
  rows.Add(1, 2, 42, kAsOf - 7 * kDay, Outcome::kSent);
  rows.Add(1, 2, 42, kAsOf - 6 * kDay, Outcome::kAccepted);
  rows.Add(1, 3, 42, kAsOf - 14 * kDay, Outcome::kSent);
  rows.Add(1, 3, 42, kAsOf - 13 * kDay, Outcome::kDeclined);
  rows.Add(1, 3, 42, kAsOf - 12 * kDay, Outcome::kIgnored);
  RequireOk(rec.RecordOutcomes(rows.batch()).status());

  RecipientFeedback two = rec.FeedbackFor(2);
  CHECK(two.in_graph);
  CHECK(two.successes == 1);
  CHECK(two.failures == 0);
  CHECK(two.accept_rate == Approx((1 + 0.2 * 5) / (1 + 5.0)));  // 1/3
  CHECK(two.fatigue == Approx(0.5));  // one half-life old
  CHECK(two.as_of == kAsOf);          // no outcome is later than the graph
  const RecipientFeedback three = rec.FeedbackFor(3);
  CHECK(three.failures == 2);
  CHECK(three.accept_rate == Approx(1.0 / 7));  // (0 + 1) / (2 + 5)
  CHECK(three.fatigue == Approx(0.25));
  const RecipientFeedback four = rec.FeedbackFor(4);
  CHECK(four.accept_rate == Approx(0.2));
  CHECK(four.fatigue == 0);

  FeatureMatrix x = Unwrap(rec.Features(1, Campaign{}));
  REQUIRE(x.candidates == std::vector<UserId>{2, 3, 4});
  CHECK(x.values(0, kCandidateAcceptRate) == Approx(1.0 / 3));
  CHECK(x.values(0, kCandidateFatigue) == Approx(0.5));
  CHECK(x.values(1, kCandidateAcceptRate) == Approx(1.0 / 7));
  CHECK(x.values(1, kCandidateFatigue) == Approx(0.25));
  CHECK(x.values(2, kCandidateAcceptRate) == Approx(0.2));
  CHECK(x.values(2, kCandidateFatigue) == 0);

  // An outcome a day after as_of moves "now": every fatigue decays one more
  // day, and the new invite counts fully. Rows may arrive out of order.
  OutcomeRows later;
  later.Add(1, 4, 42, kAsOf + kDay, Outcome::kSent);
  later.Add(1, 2, 42, kAsOf - 14 * kDay, Outcome::kSent);  // older than known
  RequireOk(rec.RecordOutcomes(later.batch()).status());
  two = rec.FeedbackFor(2);
  CHECK(two.as_of == kAsOf + kDay);
  CHECK(two.fatigue == Approx(std::exp2(-8.0 / 7) + std::exp2(-15.0 / 7)));
  CHECK(rec.FeedbackFor(3).fatigue == Approx(std::exp2(-15.0 / 7)));
  CHECK(rec.FeedbackFor(4).fatigue == Approx(1.0));
  x = Unwrap(rec.Features(1, Campaign{}));
  CHECK(x.values(2, kCandidateFatigue) == Approx(1.0));
}

TEST_CASE("recorded outcomes change the very next Recommend", "[feedback]") {
  const Recommender rec = Unwrap(Recommender::Create(Star()));
  const std::vector<Suggestion> before = Unwrap(rec.Recommend(1, {}, 3));
  REQUIRE(before.size() == 3);
  // Alike candidates: equal scores, so ids decide and 2 comes first.
  CHECK(before[0].candidate == 2);
  CHECK(before[0].score == before[2].score);

  OutcomeRows rows;
  for (int i = 0; i < 10; ++i) {
    rows.Add(1, 2, 42, kAsOf, Outcome::kSent);
    rows.Add(1, 2, 42, kAsOf, Outcome::kDeclined);
  }
  RequireOk(rec.RecordOutcomes(rows.batch()).status());
  const std::vector<Suggestion> after = Unwrap(rec.Recommend(1, {}, 3));
  REQUIRE(after.size() == 3);
  CHECK(after[0].candidate == 3);
  CHECK(after[1].candidate == 4);
  CHECK(after[2].candidate == 2);
  // Score change by hand: accept rate 0.2 -> 1/15, fatigue 0 -> 10.
  const auto& w = LinearRankerWeights();
  const double delta = w[kCandidateAcceptRate] * (1.0 / 15 - 0.2) +
                       w[kCandidateFatigue] * std::log1p(10.0);
  CHECK(ScoreOf(after, 2) - ScoreOf(before, 2) == Approx(delta).epsilon(1e-5));
  CHECK(ScoreOf(after, 3) == ScoreOf(before, 3));
  // RecommendBatch sees it too.
  const SuggestionTable t = Unwrap(rec.RecommendBatch(
      std::vector<UserId>{1}, std::vector<ItemId>{-1}, 3, {}));
  CHECK(t.candidate == std::vector<UserId>{3, 4, 2});
}

TEST_CASE("enough acceptances become a reason", "[feedback]") {
  const Recommender rec = Unwrap(Recommender::Create(Star()));
  for (const Suggestion& s : Unwrap(rec.Recommend(1, {}, 3))) {
    CHECK(std::count(s.reasons.begin(), s.reasons.end(),
                     "accepts_invites_often") == 0);
  }
  OutcomeRows rows;
  for (int i = 0; i < 6; ++i) rows.Add(1, 4, 42, kAsOf, Outcome::kAccepted);
  RequireOk(rec.RecordOutcomes(rows.batch()).status());
  const std::vector<Suggestion> s = Unwrap(rec.Recommend(1, {}, 3));
  CHECK(s[0].candidate == 4);
  CHECK(std::count(s[0].reasons.begin(), s[0].reasons.end(),
                   "accepts_invites_often") == 1);
}

TEST_CASE("invitees outside the graph are counted and kept aside",
          "[feedback]") {
  const Recommender rec = Unwrap(Recommender::Create(Star()));
  OutcomeRows rows;
  rows.Add(1, 99, 42, kAsOf, Outcome::kSent);
  rows.Add(1, 2, 42, kAsOf, Outcome::kSent);
  rows.Add(2, 99, 42, kAsOf, Outcome::kAccepted);
  rows.Add(77, 98, 42, kAsOf, Outcome::kDeclined);  // unknown inviter too
  const OutcomeReport r = Unwrap(rec.RecordOutcomes(rows.batch()));
  CHECK(r.applied == 1);
  CHECK(r.unknown_invitees == 3);
  const RecipientFeedback f = rec.FeedbackFor(99);
  CHECK_FALSE(f.in_graph);
  CHECK(f.successes == 1);
  CHECK(f.fatigue == Approx(1.0));
  CHECK(f.accept_rate == Approx(2.0 / 6));
  CHECK(rec.FeedbackFor(98).failures == 1);
  const RecipientFeedback never = rec.FeedbackFor(12345);
  CHECK_FALSE(never.in_graph);
  CHECK(never.accept_rate == Approx(0.2));
}

TEST_CASE("copies share outcomes; each Create starts empty", "[feedback]") {
  const SocialGraph g = Star();
  const Recommender a = Unwrap(Recommender::Create(g));
  const Recommender copy = a;
  const Recommender other = Unwrap(Recommender::Create(g));
  OutcomeRows rows;
  rows.Add(1, 3, 42, kAsOf, Outcome::kIgnored);
  RequireOk(copy.RecordOutcomes(rows.batch()).status());
  CHECK(a.FeedbackFor(3).failures == 1);
  CHECK(other.FeedbackFor(3).failures == 0);
}

TEST_CASE("the feedback config is validated and used", "[feedback]") {
  const SocialGraph g = Star();
  auto config = [](double mean, double strength, double half_life) {
    RecommenderConfig c;
    c.scoring.feedback = {.accept_prior_mean = mean,
                          .accept_prior_strength = strength,
                          .fatigue_half_life_days = half_life};
    return c;
  };
  CheckError(Recommender::Create(g, config(1.5, 5, 7)).status(), kInvalid,
             {"feedback.accept_prior_mean=1.5"});
  CheckError(Recommender::Create(g, config(0.2, 0, 7)).status(), kInvalid,
             {"feedback.accept_prior_strength=0"});
  CheckError(Recommender::Create(g, config(0.2, 5, -1)).status(), kInvalid,
             {"feedback.fatigue_half_life_days=-1"});
  CheckError(Recommender::Create(g, config(0.2, 5, NAN)).status(), kInvalid,
             {"fatigue_half_life_days"});
  const Recommender rec = Unwrap(Recommender::Create(g, config(0.5, 2, 1)));
  OutcomeRows rows;
  rows.Add(1, 2, 42, kAsOf - kDay, Outcome::kSent);
  rows.Add(1, 2, 42, kAsOf, Outcome::kDeclined);
  RequireOk(rec.RecordOutcomes(rows.batch()).status());
  CHECK(rec.FeedbackFor(2).accept_rate == Approx(1.0 / 3));  // (0+1)/(1+2)
  CHECK(rec.FeedbackFor(2).fatigue == Approx(0.5));
  CHECK(rec.FeedbackFor(3).accept_rate == Approx(0.5));
}

// Outcome rows over a random graph's users (some outside it), in batches of
// `batch_size`; batch b only touches invitees with index % writers == b %
// writers, so each writer thread owns its invitees.
struct Workload {
  SocialGraph graph;
  std::vector<UserId> inviters;
  OutcomeRows rows;
  int batch_size = 40;
  int writers = 2;
  UserId watched = -1;  // gets `batch_size` declines in each of its batches
};

Workload MakeWorkload() {
  const testing::RandomEvents e =
      testing::MakeRandomEvents({.num_users = 80, .seed = 11});
  Workload w{Unwrap(testing::BuildGraph(e)), {}, {}, 40, 2, -1};
  std::vector<UserId> users(w.graph.user_ids().begin(),
                            w.graph.user_ids().end());
  w.inviters.assign(users.begin(), users.begin() + 20);
  std::mt19937_64 rng(5);
  const int num_batches = 60;
  w.watched = users[1];
  for (int b = 0; b < num_batches; ++b) {
    const int owner = b % w.writers;
    for (int i = 0; i < w.batch_size; ++i) {
      if (owner == 1) {  // writer 1's batches: the watched user only
        w.rows.Add(users[0], w.watched, 700, kAsOf, Outcome::kDeclined);
        continue;
      }
      UserId invitee;
      do {
        const size_t k = rng() % (users.size() + 10);
        invitee = k < users.size() ? users[k] : 900000 + k;  // some unknown
      } while (invitee == users[0] || invitee == w.watched);
      const Timestamp ts =
          kAsOf - static_cast<Timestamp>(rng() % (20 * kDay)) + 5 * kDay;
      w.rows.Add(users[0], invitee, 700 + static_cast<ItemId>(rng() % 5), ts,
                 static_cast<Outcome>(rng() % kNumOutcomes));
    }
  }
  return w;
}

TEST_CASE("concurrent recording and recommending equal the sequential result",
          "[feedback][concurrency]") {
  const Workload w = MakeWorkload();
  const size_t num_batches = w.rows.inviter.size() / w.batch_size;
  const Recommender sequential = Unwrap(Recommender::Create(w.graph));
  for (size_t b = 0; b < num_batches; ++b) {
    RequireOk(sequential
                  .RecordOutcomes(
                      w.rows.batch(b * w.batch_size, (b + 1) * w.batch_size))
                  .status());
  }

  const Recommender rec = Unwrap(Recommender::Create(w.graph));
  std::atomic<int> writers_done{0}, readers_ready{0};
  std::atomic<bool> go{false};
  std::vector<absl::Status> errors(5);
  std::vector<int> torn(3, 0), requests(3, 0), watched_rows(3, 0);
  std::vector<std::thread> pool;
  for (int t = 0; t < w.writers; ++t) {
    pool.emplace_back([&, t] {
      while (!go.load()) std::this_thread::yield();
      for (size_t b = t; b < num_batches; b += w.writers) {
        std::this_thread::yield();  // let requests in between batches
        auto r = rec.RecordOutcomes(
            w.rows.batch(b * w.batch_size, (b + 1) * w.batch_size));
        if (!r.ok()) errors[t] = r.status();
      }
      ++writers_done;
    });
  }
  for (int t = 0; t < 3; ++t) {
    pool.emplace_back([&, t] {
      // Catch2 assertions are not thread-safe: count here, check below.
      ++readers_ready;
      while (readers_ready.load() < 3) std::this_thread::yield();
      go = true;
      do {
        for (UserId u : w.inviters) {
          absl::Status st;
          if (t == 0) {
            st = rec.Recommend(u, Campaign{.item = 701}, 5).status();
          } else if (t == 1) {
            st = rec.RecommendBatch(std::vector<UserId>{u, u},
                                    std::vector<ItemId>{700, 702}, 5,
                                    {.num_threads = 1, .progress = {}})
                     .status();
          } else {
            auto x = rec.Features(u, Campaign{});
            st = x.status();
            // The watched user's declines arrive 40 per batch: a request sees
            // whole batches only, so the posterior is 1 / (5 + 40 k).
            for (int64_t r = 0; x.ok() && r < x->rows(); ++r) {
              if (x->candidates[r] != w.watched) continue;
              ++watched_rows[t];
              const double failures =
                  1.0 / x->values(r, kCandidateAcceptRate) - 5.0;
              const double k = failures / w.batch_size;
              if (std::abs(k - std::round(k)) > 1e-3) ++torn[t];
            }
          }
          if (!st.ok()) errors[2 + t] = st;
          ++requests[t];
        }
      } while (writers_done.load() < w.writers || requests[t] < 100);
    });
  }
  for (std::thread& t : pool) t.join();
  for (const absl::Status& s : errors) RequireOk(s);
  CHECK(torn == std::vector<int>{0, 0, 0});
  CHECK(requests[2] > 0);
  CHECK(watched_rows[2] > 0);

  // Same state for every invitee, in the graph or not: each recipient's rows
  // came from one writer in order, so even the fatigue is bit-identical.
  std::set<UserId> invitees(w.rows.invitee.begin(), w.rows.invitee.end());
  int bad = 0;
  for (UserId u : invitees) {
    const RecipientFeedback a = rec.FeedbackFor(u),
                            b = sequential.FeedbackFor(u);
    if (a.successes != b.successes || a.failures != b.failures ||
        a.accept_rate != b.accept_rate || a.fatigue != b.fatigue ||
        a.as_of != b.as_of || a.in_graph != b.in_graph) {
      ++bad;
    }
  }
  CHECK(bad == 0);
  CHECK(rec.FeedbackFor(w.watched).failures ==
        static_cast<int64_t>(num_batches / 2 * w.batch_size));
  for (UserId u : w.inviters) {
    const auto x = Unwrap(rec.Recommend(u, Campaign{.item = 701}, 10));
    const auto y = Unwrap(sequential.Recommend(u, Campaign{.item = 701}, 10));
    REQUIRE(x.size() == y.size());
    for (size_t r = 0; r < x.size(); ++r) {
      if (x[r].candidate != y[r].candidate || x[r].score != y[r].score ||
          x[r].reasons != y[r].reasons) {
        ++bad;
      }
    }
  }
  CHECK(bad == 0);
}

TEST_CASE("recording is not starved by a steady stream of requests",
          "[feedback][concurrency]") {
  const Workload w = MakeWorkload();
  const Recommender rec = Unwrap(Recommender::Create(w.graph));
  std::atomic<bool> stop{false};
  std::atomic<int> running{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      ++running;
      while (!stop.load()) {
        for (UserId u : w.inviters) (void)rec.Features(u, Campaign{});
      }
    });
  }
  while (running.load() < 4) std::this_thread::yield();
  // A liveness check: with a reader-preferring lock, overlapping requests can
  // keep the writer out for long (here glibc's default made this case ~10x
  // slower). Generous bound, then stop the readers either way.
  std::atomic<bool> recorded{false};
  std::thread writer([&] {
    for (int i = 0; i < 20; ++i) {
      (void)rec.RecordOutcomes(w.rows.batch(i * 10, i * 10 + 10));
    }
    recorded = true;
  });
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!recorded.load() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const bool in_time = recorded.load();
  stop = true;
  for (std::thread& t : readers) t.join();
  writer.join();
  CHECK(in_time);
}

TEST_CASE("HistoryFromOutcomes groups outcomes into campaigns", "[feedback]") {
  OutcomeRows rows;
  rows.Add(5, 7, 42, 300, Outcome::kSent);
  rows.Add(5, 6, 42, 200, Outcome::kSent);
  rows.Add(1, 2, 9, 500, Outcome::kSent);
  rows.Add(5, 7, 42, 400, Outcome::kAccepted);
  rows.Add(5, 6, 42, 450, Outcome::kDeclined);
  rows.Add(5, 7, 42, 410, Outcome::kAccepted);  // a duplicate acceptance
  rows.Add(5, 8, 43, 100, Outcome::kIgnored);   // no "sent" row: still invited
  rows.Add(1, 3, 9, 600, Outcome::kAccepted);
  const CampaignHistory h = Unwrap(HistoryFromOutcomes(rows.batch()));
  REQUIRE(h.size() == 3);
  CHECK(h.inviter == std::vector<UserId>{1, 5, 5});
  CHECK(h.item == std::vector<ItemId>{9, 42, 43});
  CHECK(h.ts == std::vector<Timestamp>{500, 200, 100});
  CHECK(h.invited_offsets == std::vector<int64_t>{0, 2, 4, 5});
  CHECK(h.invited == std::vector<UserId>{2, 3, 6, 7, 8});
  CHECK(h.joined_offsets == std::vector<int64_t>{0, 1, 2, 2});
  CHECK(h.joined == std::vector<UserId>{3, 7});

  const CampaignBatch v = h.view();
  CHECK(v.inviter.data() == h.inviter.data());
  CHECK(v.category.empty());
  // The view is what GraphBuilder::AddCampaigns takes.
  GraphBuilder b;
  RequireOk(b.AddCampaigns(v));
  const SocialGraph g = Unwrap(b.Build(testing::AsOf(1000)));
  CHECK(g.profile(*g.FindNode(7)).joins == 1);
  CHECK(g.profile(*g.FindNode(6)).exposures == 1);

  const CampaignHistory empty = Unwrap(HistoryFromOutcomes(OutcomeBatch{}));
  CHECK(empty.size() == 0);
  CHECK(empty.joined_offsets == std::vector<int64_t>{0});
  CHECK(empty.invited_offsets == std::vector<int64_t>{0});
}

}  // namespace
}  // namespace invitegraph
