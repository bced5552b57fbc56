// Durable state stores under concurrency (run under ThreadSanitizer too):
// threads reserving and recording while another swaps the graph and the
// store compacts in the background. Nothing acknowledged is lost, no cap is
// passed, and a reopened store holds exactly the live state.
#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "invitegraph/recommender.h"
#include "testing/fixtures.h"
#include "testing/redis_server.h"
#include "testing/state_script.h"

namespace invitegraph {
namespace {

using testing::kAsOf;
using testing::kDay;
using testing::TempDir;
using testing::Unwrap;

// Four writers (reservations of two users under a cap of 2 a day, and
// accepted outcomes) and a swapper racing them on `spec`; then the checks.
void Race(const std::string& spec) {
  const SocialGraph g = testing::ScriptGraph(1, 40);
  const SocialGraph same = testing::ScriptGraph(1, 40);  // same users
  RecommenderConfig config = testing::ScriptConfig(spec);
  config.policy.max_invites_per_recipient = {
      {.window_seconds = kDay, .max = 2}};
  std::string live;
  std::map<UserId, int64_t> grants, accepted;
  {
    const Recommender rec = Unwrap(Recommender::Create(g, config));
    const std::vector<UserId> ids(g.user_ids().begin(), g.user_ids().end());
    std::mutex mu;
    std::atomic<bool> failed{false}, done{false};
    std::vector<std::thread> writers;
    for (int t = 0; t < 4; ++t) {
      writers.emplace_back([&, t] {
        std::mt19937_64 rng(t + 1);
        std::uniform_int_distribution<size_t> pick(1, ids.size() - 1);
        for (int i = 0; i < 150; ++i) {
          const UserId a = ids[pick(rng)], b = ids[pick(rng)];
          const Timestamp ts = kAsOf + kDay + i;
          if (i % 3 != 2) {
            const absl::StatusOr<std::vector<bool>> r =
                rec.ReserveInvites(ids[0], {a, b}, 2, ts);
            if (!r.ok()) {
              failed = true;
              continue;
            }
            std::lock_guard<std::mutex> lock(mu);
            grants[a] += (*r)[0];
            grants[b] += (*r)[1];
          } else {
            const UserId inviter = ids[0];
            const ItemId item = 2;
            const Outcome o = Outcome::kAccepted;
            if (!rec.RecordOutcomes({.inviter = {&inviter, 1},
                                     .invitee = {&a, 1},
                                     .item = {&item, 1},
                                     .ts = {&ts, 1},
                                     .outcome = {&o, 1}})
                     .ok()) {
              failed = true;
              continue;
            }
            std::lock_guard<std::mutex> lock(mu);
            ++accepted[a];
          }
        }
      });
    }
    std::thread swapper([&] {
      for (int i = 0; !done; ++i) {
        if (!rec.SwapGraph(i % 2 ? g : same).ok()) failed = true;
        std::this_thread::yield();
      }
    });
    for (std::thread& w : writers) w.join();
    done = true;
    swapper.join();
    CHECK_FALSE(failed);
    // 800 reservations for 39 users under a cap of 2: most were refused,
    // and the cap was reached for nearly everyone.
    int64_t total = 0;
    for (const auto& [u, n] : grants) total += n;
    CHECK(total >= 60);
    CHECK(total <= 78);
    for (UserId u : ids) {
      CAPTURE(u);
      const int64_t sends = rec.RecentSends(u, kDay);
      CHECK(sends <= 2);
      CHECK(sends == grants[u]);
      CHECK(rec.FeedbackFor(u).successes == accepted[u]);
    }
    live = Unwrap(rec.StateToBytes());
  }
  // Closed; opened again, it holds what was live.
  const Recommender again = Unwrap(Recommender::Create(g, config));
  CHECK(Unwrap(again.StateToBytes()) == live);
}

TEST_CASE(
    "Journal: racing writers, swaps and compactions lose nothing and pass "
    "no cap",
    "[concurrency][state]") {
  for (const std::string options :
       {"?compact_bytes=4096", "?sync=group&group_ms=1&compact_bytes=4096"}) {
    TempDir dir("race");
    INFO(options);
    Race("journal:" + dir.File("j") + options);
  }
}

TEST_CASE(
    "Redis: racing writers, swaps, the follower and compactions lose nothing "
    "and pass no cap",
    "[concurrency][state][redis]") {
  testing::RedisServer server;
  Race(server.Spec("?compact_events=50"));
}

}  // namespace
}  // namespace invitegraph
