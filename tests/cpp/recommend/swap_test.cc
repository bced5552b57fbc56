// Hot swap (Recommender::SwapGraph), state carry-over, ForgetUsers and state
// snapshots. The stress cases are meant to run under ThreadSanitizer and
// AddressSanitizer too.
#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <thread>
#include <vector>

#include "invitegraph/recommender.h"
#include "testing/fixtures.h"

namespace invitegraph {
namespace {

using testing::CheckError;
using testing::RequireOk;
using testing::Unwrap;

constexpr Timestamp kT = testing::kAsOf;

SocialGraph Graph(uint64_t seed, int users = 40) {
  return Unwrap(testing::BuildGraph(testing::MakeRandomEvents(
      {.num_users = users, .num_interactions = 300, .seed = seed})));
}

std::vector<UserId> Candidates(const Recommender& r, UserId inviter, int k) {
  std::vector<UserId> out;
  for (const Suggestion& s :
       Unwrap(r.Recommend(inviter, Campaign{.item = 2}, k)))
    out.push_back(s.candidate);
  return out;
}

OutcomeBatch Outcomes(const std::vector<UserId>& inviter,
                      const std::vector<UserId>& invitee,
                      const std::vector<ItemId>& item,
                      const std::vector<Timestamp>& ts,
                      const std::vector<Outcome>& outcome) {
  return {.inviter = inviter,
          .invitee = invitee,
          .item = item,
          .ts = ts,
          .outcome = outcome};
}

TEST_CASE(
    "After SwapGraph, requests answer as a fresh Recommender on the new "
    "graph",
    "[swap]") {
  const SocialGraph g1 = Graph(1), g2 = Graph(2);
  const Recommender rec = Unwrap(Recommender::Create(g1));
  const Recommender copy = rec;  // copies share the swap
  const Recommender fresh2 = Unwrap(Recommender::Create(g2));
  RequireOk(rec.SwapGraph(g2));
  CHECK(copy.graph().num_arcs() == g2.num_arcs());
  int differ = 0;
  for (UserId u : g2.user_ids()) {
    CHECK(Candidates(copy, u, 5) == Candidates(fresh2, u, 5));
    if (g1.FindNode(u) && Candidates(Unwrap(Recommender::Create(g1)), u, 5) !=
                              Candidates(fresh2, u, 5)) {
      ++differ;
    }
  }
  CHECK(differ > 0);  // the two graphs do answer differently
}

TEST_CASE("Recorded outcomes and send caps carry over a swap by user id",
          "[swap]") {
  const SocialGraph g1 = Graph(1);
  // g2 lacks some of g1's users: events among the first 20 users only.
  const SocialGraph g2 = Graph(3, 20);
  RecommenderConfig config;
  config.policy.max_invites_per_recipient = {
      {.window_seconds = 86400, .max = 2}};
  const Recommender rec = Unwrap(Recommender::Create(g1, config));
  const UserId kept = g2.user_id(0), gone = [&] {
    for (UserId u : g1.user_ids()) {
      if (!g2.FindNode(u)) return u;
    }
    return UserId{-1};
  }();
  REQUIRE(gone >= 0);
  REQUIRE(g1.FindNode(kept).has_value());
  Unwrap(rec.RecordOutcomes(Outcomes(
      {9, 9, 9}, {kept, gone, gone}, {1, 1, 1}, {kT + 10, kT + 11, kT + 12},
      {Outcome::kAccepted, Outcome::kAccepted, Outcome::kDeclined})));
  CHECK(Unwrap(rec.ReserveInvites(9, {kept, kept, kept}, 1, kT + 20)) ==
        std::vector<bool>{true, true, false});
  const RecipientFeedback before_kept = rec.FeedbackFor(kept);
  const RecipientFeedback before_gone = rec.FeedbackFor(gone);

  RequireOk(rec.SwapGraph(g2));
  CHECK(rec.FeedbackFor(kept).successes == before_kept.successes);
  CHECK(rec.FeedbackFor(kept).fatigue == Approx(before_kept.fatigue));
  CHECK(rec.FeedbackFor(gone).successes == 1);  // kept aside
  CHECK_FALSE(rec.FeedbackFor(gone).in_graph);
  CHECK(rec.RecentSends(kept, 86400) == 2);
  // The cap still holds after the swap.
  CHECK(Unwrap(rec.ReserveInvites(9, {kept}, 1, kT + 30)) ==
        std::vector<bool>{false});
  CHECK(rec.FeedbackFor(kept).as_of == kT + 20);

  RequireOk(rec.SwapGraph(g1));  // `gone` is back in the graph
  CHECK(rec.FeedbackFor(gone).in_graph);
  CHECK(rec.FeedbackFor(gone).successes == before_gone.successes);
  CHECK(rec.FeedbackFor(gone).failures == before_gone.failures);
}

TEST_CASE(
    "SwapGraph refuses a graph without communities when diversity "
    "needs them",
    "[swap]") {
  GraphBuilder b;
  RequireOk(testing::AddAll(testing::MakeRandomEvents({.seed = 4}), b));
  BuildOptions o = testing::AsOf(kT);
  o.communities = false;
  const SocialGraph plain = Unwrap(b.Build(o));
  RecommenderConfig config;
  config.policy.diversity = 0.5;
  const SocialGraph g1 = Graph(1);
  const Recommender rec = Unwrap(Recommender::Create(g1, config));
  CheckError(rec.SwapGraph(plain), absl::StatusCode::kInvalidArgument,
             {"SwapGraph", "communities"});
  CHECK(rec.graph().num_arcs() == g1.num_arcs());
}

TEST_CASE("Requests racing many swaps never fail nor mix the two graphs",
          "[swap][stress][concurrency]") {
  const SocialGraph g1 = Graph(1), g2 = Graph(2);
  const Recommender rec = Unwrap(Recommender::Create(g1));
  // Each inviter's answer on either graph, from fresh recommenders.
  std::vector<UserId> inviters;
  std::map<UserId, std::vector<UserId>> on1, on2;
  {
    const Recommender r1 = Unwrap(Recommender::Create(g1));
    const Recommender r2 = Unwrap(Recommender::Create(g2));
    for (UserId u : g1.user_ids()) {
      if (!g2.FindNode(u)) continue;
      inviters.push_back(u);
      on1[u] = Candidates(r1, u, 5);
      on2[u] = Candidates(r2, u, 5);
    }
  }
  REQUIRE(inviters.size() >= 10);
  std::atomic<bool> stop{false};
  std::atomic<int64_t> failures{0}, mixed{0}, served{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      size_t i = static_cast<size_t>(t);
      while (!stop.load()) {
        const UserId u = inviters[i++ % inviters.size()];
        auto r = rec.Recommend(u, Campaign{.item = 2}, 5);
        if (!r.ok()) {
          ++failures;
          continue;
        }
        std::vector<UserId> got;
        for (const Suggestion& s : *r) got.push_back(s.candidate);
        if (got != on1[u] && got != on2[u]) ++mixed;
        ++served;
      }
    });
  }
  for (int swap = 0; swap < 200; ++swap) {
    RequireOk(rec.SwapGraph(swap % 2 == 0 ? g2 : g1));
    std::this_thread::yield();
  }
  while (served.load() < 2000) std::this_thread::yield();
  stop = true;
  for (auto& th : threads) th.join();
  CHECK(failures.load() == 0);
  CHECK(mixed.load() == 0);
}

TEST_CASE(
    "Outcomes and reservations racing swaps are neither lost nor "
    "over the cap",
    "[swap][stress][concurrency]") {
  const SocialGraph g1 = Graph(1), g2 = Graph(2);
  RecommenderConfig config;
  config.policy.max_invites_per_recipient = {
      {.window_seconds = 30 * 86400, .max = 3}};
  const Recommender rec = Unwrap(Recommender::Create(g1, config));
  std::vector<UserId> recipients;
  for (UserId u : g1.user_ids()) {
    if (g2.FindNode(u)) recipients.push_back(u);
    if (recipients.size() == 8) break;
  }
  REQUIRE(recipients.size() == 8);
  constexpr int kThreads = 4, kRounds = 150;
  std::atomic<int64_t> errors{0};
  std::vector<int64_t> granted(recipients.size(), 0);
  std::mutex granted_mu;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        const size_t r =
            static_cast<size_t>(t * kRounds + i) % recipients.size();
        // One accepted outcome per round, each counted once.
        auto rec_ok = rec.RecordOutcomes(Outcomes(
            {100 + t}, {recipients[r]}, {1}, {kT + 1}, {Outcome::kAccepted}));
        if (!rec_ok.ok()) ++errors;
        auto g = rec.ReserveInvites(100 + t, {recipients[r]}, 1, kT + 1);
        if (!g.ok()) {
          ++errors;
        } else if ((*g)[0]) {
          std::lock_guard<std::mutex> lock(granted_mu);
          ++granted[r];
        }
      }
    });
  }
  for (int swap = 0; swap < 100; ++swap) {
    RequireOk(rec.SwapGraph(swap % 2 == 0 ? g2 : g1));
    std::this_thread::yield();
  }
  for (auto& th : threads) th.join();
  CHECK(errors.load() == 0);
  int64_t successes = 0;
  for (size_t r = 0; r < recipients.size(); ++r) {
    successes += rec.FeedbackFor(recipients[r]).successes;
    CHECK(granted[r] == 3);  // every recipient filled its cap, never beyond
    CHECK(rec.RecentSends(recipients[r], 30 * 86400) == 3);
  }
  CHECK(successes == kThreads * kRounds);
}

TEST_CASE("ForgetUsers erases a recipient's outcomes and sends", "[swap]") {
  const SocialGraph g = Graph(1);
  RecommenderConfig config;
  config.policy.max_invites_per_recipient = {
      {.window_seconds = 3600, .max = 1}};
  const Recommender rec = Unwrap(Recommender::Create(g, config));
  const UserId a = g.user_id(0), b = g.user_id(1);
  Unwrap(
      rec.RecordOutcomes(Outcomes({9, 9}, {a, 777777}, {1, 1}, {kT + 1, kT + 2},
                                  {Outcome::kAccepted, Outcome::kAccepted})));
  Unwrap(rec.ReserveInvites(9, {a, b}, 1, kT + 3));
  CHECK(*rec.ForgetUsers({a, 777777, 424242}) == 2);
  CHECK(rec.FeedbackFor(a).successes == 0);
  CHECK(rec.FeedbackFor(a).fatigue == 0);
  CHECK(rec.RecentSends(a, 3600) == 0);
  CHECK(rec.FeedbackFor(777777).successes == 0);
  CHECK(rec.RecentSends(b, 3600) == 1);  // others untouched
  // a is sendable again; b is still at its cap.
  CHECK(Unwrap(rec.ReserveInvites(9, {a, b}, 1, kT + 4)) ==
        std::vector<bool>{true, false});
  const std::string bytes = Unwrap(rec.StateToBytes());
  CHECK(bytes.find(std::string(reinterpret_cast<const char*>(&a), 8)) !=
        std::string::npos);  // a was re-sent after forgetting
  CHECK(*rec.ForgetUsers({a}) == 1);
  const std::string after = Unwrap(rec.StateToBytes());
  CHECK(after.find(std::string(reinterpret_cast<const char*>(&a), 8)) ==
        std::string::npos);
}

TEST_CASE("State snapshots round-trip and refuse damage", "[swap][snapshot]") {
  const SocialGraph g = Graph(1);
  RecommenderConfig config;
  config.policy.max_invites_per_recipient = {
      {.window_seconds = 3600, .max = 2}};
  const Recommender rec = Unwrap(Recommender::Create(g, config));
  Unwrap(rec.RecordOutcomes(
      Outcomes({9, 9, 9}, {g.user_id(0), g.user_id(1), 555}, {1, 1, 1},
               {kT + 1, kT + 2, kT + 3},
               {Outcome::kAccepted, Outcome::kDeclined, Outcome::kIgnored})));
  Unwrap(rec.ReserveInvites(9, {g.user_id(2), g.user_id(2)}, 1, kT + 4));
  const auto path = (std::filesystem::temp_directory_path() /
                     ("ig_state_" + std::to_string(::getpid()) + ".igsnap"))
                        .string();
  CHECK(Unwrap(rec.SaveState(path)) > 0);
  const Recommender other = Unwrap(Recommender::Create(g, config));
  RequireOk(other.LoadState(path));
  for (UserId u : {g.user_id(0), g.user_id(1), g.user_id(2), UserId{555}}) {
    CHECK(other.FeedbackFor(u).successes == rec.FeedbackFor(u).successes);
    CHECK(other.FeedbackFor(u).failures == rec.FeedbackFor(u).failures);
    CHECK(other.FeedbackFor(u).fatigue == rec.FeedbackFor(u).fatigue);
    CHECK(other.RecentSends(u, 3600) == rec.RecentSends(u, 3600));
  }
  CHECK(Unwrap(other.StateToBytes()) == Unwrap(rec.StateToBytes()));
  std::string bad = Unwrap(rec.StateToBytes());
  bad[bad.size() - 3] ^= 0x20;
  const Recommender empty = Unwrap(Recommender::Create(g, config));
  CheckError(empty.StateFromBytes(bad), absl::StatusCode::kDataLoss,
             {"checksum mismatch"});
  CHECK(empty.FeedbackFor(g.user_id(0)).successes == 0);
  CheckError(empty.StateFromBytes(Unwrap(g.ToBytes())),
             absl::StatusCode::kInvalidArgument, {"not a state"});
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace invitegraph
