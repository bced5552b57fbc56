// The Redis state store ("redis://HOST:PORT"), against a redis-server each
// test starts on loopback (testing/redis_server.h): one process matches the
// memory backend exactly, three processes reserving at once never exceed a
// cap, a stopped server fails reservations closed and everything recovers
// on restart, other processes' writes arrive through the follower, send
// sets expire, and a compacted log restores to the same state.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "invitegraph/graph_builder.h"
#include "invitegraph/outcomes.h"
#include "invitegraph/recommender.h"
#include "testing/fixtures.h"
#include "testing/oracles.h"
#include "testing/redis_server.h"

namespace invitegraph {
namespace {

using testing::CheckError;
using testing::kAsOf;
using testing::kDay;
using testing::OutcomeRows;
using testing::RedisServer;
using testing::RequireOk;
using testing::Unwrap;

constexpr Timestamp kHour = 3600;
constexpr Timestamp kPresent = kAsOf + 10;

// 1 is friends with 2..`last`; 2 with 3 and 4.
SocialGraph Fan(UserId last = 9) {
  GraphConfig c;
  c.time_limits.now = kPresent;
  GraphBuilder b(c);
  std::vector<UserId> src, dst;
  for (UserId u = 2; u <= last; ++u) {
    src.push_back(1);
    dst.push_back(u);
  }
  src.insert(src.end(), {2, 2});
  dst.insert(dst.end(), {3, 4});
  RequireOk(b.AddFriendships({.src = src, .dst = dst}));
  return Unwrap(b.Build(testing::AsOf(kAsOf)));
}

RecommenderConfig Config(const std::string& state,
                         std::vector<InviteCap> caps = {{kHour, 1},
                                                        {kDay, 2}}) {
  RecommenderConfig c;
  c.policy.max_invites_per_recipient = std::move(caps);
  c.time_limits.now = kPresent;
  c.state = state;
  return c;
}

std::vector<bool> Reserve(const Recommender& rec, std::vector<UserId> users,
                          Timestamp ts = kPresent) {
  return Unwrap(rec.ReserveInvites(1, users, 42, ts));
}

// Everything a caller can observe of the recorded state.
void CheckSameState(const Recommender& a, const Recommender& b) {
  CHECK(Unwrap(a.StateToBytes()) == Unwrap(b.StateToBytes()));
  for (UserId u : {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 999, 12345}) {
    CAPTURE(u);
    const RecipientFeedback x = a.FeedbackFor(u), y = b.FeedbackFor(u);
    CHECK(x.in_graph == y.in_graph);
    CHECK(x.successes == y.successes);
    CHECK(x.failures == y.failures);
    CHECK(x.accept_rate == y.accept_rate);
    CHECK(x.fatigue == y.fatigue);
    CHECK(x.as_of == y.as_of);
    for (int64_t w : {int64_t{60}, kHour, kDay, 7 * kDay}) {
      CHECK(a.RecentSends(u, w) == b.RecentSends(u, w));
    }
  }
  const std::vector<Suggestion> x = Unwrap(a.Recommend(1, {}, 10));
  const std::vector<Suggestion> y = Unwrap(b.Recommend(1, {}, 10));
  REQUIRE(x.size() == y.size());
  for (size_t i = 0; i < x.size(); ++i) {
    CHECK(x[i].candidate == y[i].candidate);
    CHECK(x[i].score == y[i].score);
  }
}

bool Suggested(const Recommender& rec, UserId u) {
  for (const Suggestion& s : Unwrap(rec.Recommend(1, {}, 10))) {
    if (s.candidate == u) return true;
  }
  return false;
}

// Polls `done` every 10 ms for up to 20 s (a deadline, not a timing assert).
template <typename Pred>
bool Eventually(const Pred& done) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

TEST_CASE("redis state: one process matches the memory backend exactly",
          "[state][redis]") {
  RedisServer server;
  const Recommender mem = Unwrap(Recommender::Create(Fan(), Config("memory")));
  const Recommender red =
      Unwrap(Recommender::Create(Fan(), Config(server.Spec())));
  CHECK(red.StateInfo().backend == "redis");
  CheckSameState(mem, red);

  // Reservations under two caps, duplicates in one call, a ts ahead of the
  // present (taken as the present) and one far behind (the clock wins).
  const std::vector<std::vector<UserId>> calls = {
      {2, 3, 3, 4}, {2, 5}, {3, 6, 7, 7, 7}};
  const std::vector<Timestamp> times = {kAsOf, kPresent + 500,
                                        kAsOf - 5 * kDay};
  for (size_t i = 0; i < calls.size(); ++i) {
    CAPTURE(i);
    CHECK(Reserve(mem, calls[i], times[i]) == Reserve(red, calls[i], times[i]));
    CheckSameState(mem, red);
  }
  // Outcomes: sends in the past and ahead (within the tolerance), answers,
  // an invitee outside the graph.
  OutcomeRows r;
  r.Add(1, 5, 42, kAsOf - kHour, Outcome::kSent);
  r.Add(1, 5, 42, kAsOf - 3000, Outcome::kAccepted);
  r.Add(1, 8, 42, kAsOf + 50, Outcome::kSent);
  r.Add(1, 999, 42, kAsOf, Outcome::kDeclined);
  r.Add(1, 2, 42, kAsOf - 100, Outcome::kIgnored);
  const OutcomeReport rm = Unwrap(mem.RecordOutcomes(r.batch()));
  const OutcomeReport rr = Unwrap(red.RecordOutcomes(r.batch()));
  CHECK(rm.applied == rr.applied);
  CHECK(rm.unknown_invitees == rr.unknown_invitees);
  CheckSameState(mem, red);
  // 8 is at its hourly cap through its recorded future send.
  CHECK(Reserve(mem, {8, 9}) == Reserve(red, {8, 9}));
  CheckSameState(mem, red);

  // The same refusals, and nothing applied by them.
  const auto not_found =
      red.ReserveInvites(1, std::vector<UserId>{2, 777}, 42, kPresent);
  CheckError(not_found.status(), absl::StatusCode::kNotFound, {"invitees[1]"});
  CHECK(not_found.status() ==
        mem.ReserveInvites(1, std::vector<UserId>{2, 777}, 42, kPresent)
            .status());
  OutcomeRows bad;
  bad.Add(1, 3, 42, kAsOf, Outcome::kSent);
  bad.Add(1, 4, 42, kPresent + 10 * kDay, Outcome::kSent);
  CHECK(red.RecordOutcomes(bad.batch()).status() ==
        mem.RecordOutcomes(bad.batch()).status());
  CheckSameState(mem, red);
  const std::string saved = Unwrap(mem.StateToBytes());

  // Forget, swap, reserve on the new graph.
  const std::vector<UserId> forget = {3, 999, 12345, 3};
  CHECK(Unwrap(mem.ForgetUsers(forget)) == Unwrap(red.ForgetUsers(forget)));
  CheckSameState(mem, red);
  RequireOk(mem.SwapGraph(Fan(10)));
  RequireOk(red.SwapGraph(Fan(10)));
  CheckSameState(mem, red);
  CHECK(Reserve(mem, {10, 3, 4, 10}) == Reserve(red, {10, 3, 4, 10}));
  CheckSameState(mem, red);

  // Load a saved state: every recorded thing replaced, caps included.
  RequireOk(mem.StateFromBytes(saved));
  RequireOk(red.StateFromBytes(saved));
  CheckSameState(mem, red);
  CHECK(Reserve(mem, {2, 3, 10}) == Reserve(red, {2, 3, 10}));
  CHECK(Unwrap(mem.RecordOutcomes(r.batch())).applied ==
        Unwrap(red.RecordOutcomes(r.batch())).applied);
  CheckSameState(mem, red);

  // A second process opening the server restores the same state.
  const Recommender again =
      Unwrap(Recommender::Create(Fan(10), Config(server.Spec())));
  CheckSameState(mem, again);
}

// Grants per recipient of `rounds` reservations by one process, as text.
std::string ReserveRounds(const std::string& spec, int rounds, int go_fd) {
  const Recommender rec =
      Unwrap(Recommender::Create(Fan(), Config(spec, {{kHour, 5}})));
  char c;
  (void)!::read(go_fd, &c, 1);  // EOF when the parent says go
  std::map<UserId, int> grants;
  const std::vector<UserId> users = {2, 3, 3, 4, 5, 6};
  for (int i = 0; i < rounds; ++i) {
    const std::vector<bool> g = Reserve(rec, users);
    for (size_t j = 0; j < users.size(); ++j) grants[users[j]] += g[j];
  }
  std::string out;
  for (const auto& [u, n] : grants) {
    out += std::to_string(u) + " " + std::to_string(n) + "\n";
  }
  return out;
}

TEST_CASE("redis state: three processes reserving at once never pass a cap",
          "[state][redis]") {
  RedisServer server;
  constexpr int kProcs = 3, kRounds = 20;
  int go[2];
  REQUIRE(::pipe(go) == 0);
  std::vector<pid_t> pids;
  std::vector<int> outs;
  for (int p = 0; p < kProcs; ++p) {
    int out[2];
    REQUIRE(::pipe(out) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(go[1]);
      ::close(out[0]);
      int code = 0;
      try {
        const std::string text = ReserveRounds(server.Spec(), kRounds, go[0]);
        if (::write(out[1], text.data(), text.size()) !=
            static_cast<ssize_t>(text.size())) {
          code = 3;
        }
      } catch (...) {
        code = 2;  // a failed Unwrap (Catch's exception)
      }
      ::_exit(code);
    }
    ::close(out[1]);
    pids.push_back(pid);
    outs.push_back(out[0]);
  }
  ::close(go[0]);
  // Let each child open its Recommender, then start them together.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ::close(go[1]);
  std::map<UserId, int> total;
  for (int p = 0; p < kProcs; ++p) {
    std::string text;
    char buf[256];
    ssize_t n;
    while ((n = ::read(outs[p], buf, sizeof(buf))) > 0) text.append(buf, n);
    ::close(outs[p]);
    int status = 0;
    REQUIRE(::waitpid(pids[p], &status, 0) == pids[p]);
    CAPTURE(p, text);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    std::istringstream in(text);
    UserId u;
    int g;
    while (in >> u >> g) total[u] += g;
  }
  // 3 processes x 20 rounds asked for far more; exactly the cap was granted.
  for (UserId u : {2, 3, 4, 5, 6}) {
    CAPTURE(u);
    CHECK(total[u] == 5);
    CHECK(server.Integer({"ZCARD", "ig:s:" + std::to_string(u)}) == 5);
  }
  // A fourth process restores those sends from the log.
  const Recommender rec =
      Unwrap(Recommender::Create(Fan(), Config(server.Spec(), {{kHour, 5}})));
  for (UserId u : {2, 3, 4, 5, 6}) CHECK(rec.RecentSends(u, kHour) == 5);
  CHECK(Reserve(rec, {2, 3, 4, 5, 6}) == std::vector<bool>(5, false));
}

TEST_CASE(
    "redis state: a stopped server fails writes closed and a restart heals",
    "[state][redis]") {
  RedisServer server;
  const Recommender rec =
      Unwrap(Recommender::Create(Fan(), Config(server.Spec())));
  CHECK(Reserve(rec, {2}) == std::vector<bool>{true});
  OutcomeRows r;
  r.Add(1, 3, 42, kAsOf, Outcome::kSent);
  RequireOk(rec.RecordOutcomes(r.batch()).status());
  const std::string before = Unwrap(rec.StateToBytes());

  server.Stop();
  const std::string where = "127.0.0.1:" + std::to_string(server.port());
  const auto denied =
      rec.ReserveInvites(1, std::vector<UserId>{4, 5}, 42, kPresent);
  CheckError(denied.status(), absl::StatusCode::kUnavailable, {where});
  CheckError(denied.status(), absl::StatusCode::kUnavailable,
             {"no invite was reserved"});
  OutcomeRows more;
  more.Add(1, 6, 42, kAsOf, Outcome::kAccepted);
  CheckError(rec.RecordOutcomes(more.batch()).status(),
             absl::StatusCode::kUnavailable, {"did not confirm the outcomes"});
  CheckError(rec.ForgetUsers(std::vector<UserId>{2}).status(),
             absl::StatusCode::kUnavailable, {where});
  // Requests keep serving from the local state, which nothing changed.
  CHECK(Unwrap(rec.StateToBytes()) == before);
  CHECK_FALSE(Suggested(rec, 2));  // at its cap
  CHECK(Suggested(rec, 4));
  CHECK_FALSE(rec.StateInfo().connected);
  // A new Recommender cannot open the store.
  const auto opened = Recommender::Create(Fan(), Config(server.Spec()));
  CheckError(opened.status(), absl::StatusCode::kUnavailable, {where});

  server.Start();
  // The acknowledged sends survived; the server's cap check sees them.
  CHECK(Reserve(rec, {2, 3, 4}) == std::vector<bool>{false, false, true});
  CHECK(rec.StateInfo().connected);
  RequireOk(rec.RecordOutcomes(more.batch()).status());
  CHECK(rec.FeedbackFor(6).successes == 1);
  const Recommender other =
      Unwrap(Recommender::Create(Fan(), Config(server.Spec())));
  CheckSameState(rec, other);
  CHECK(other.RecentSends(2, kHour) == 1);
  CHECK(other.RecentSends(4, kHour) == 1);
}

TEST_CASE("redis state: another process's writes arrive through the follower",
          "[state][redis]") {
  RedisServer server;
  const Recommender a =
      Unwrap(Recommender::Create(Fan(), Config(server.Spec())));
  const Recommender b =
      Unwrap(Recommender::Create(Fan(), Config(server.Spec())));
  CHECK(Reserve(b, {3}) == std::vector<bool>{true});
  OutcomeRows r;
  r.Add(1, 4, 42, kAsOf, Outcome::kAccepted);
  RequireOk(b.RecordOutcomes(r.batch()).status());
  // `a` wrote nothing: only its follower can bring these.
  CHECK(Eventually([&] {
    return a.RecentSends(3, kHour) == 1 && a.FeedbackFor(4).successes == 1;
  }));
  CHECK(Unwrap(a.StateToBytes()) == Unwrap(b.StateToBytes()));
  const StateStoreInfo info = a.StateInfo();
  CHECK(info.followed_events >= 2);
  CHECK(info.max_follow_lag_ms >= 0);
  CHECK(info.connected);
  // Caps hold across them at once: 3 is at its hourly cap for `a` too.
  CHECK(Reserve(a, {3}) == std::vector<bool>{false});

  // A forget and a state load by `a` reach `b`.
  CHECK(Unwrap(a.ForgetUsers(std::vector<UserId>{3})) == 1);
  CHECK(Eventually([&] { return b.RecentSends(3, kHour) == 0; }));
  OutcomeRows s;
  s.Add(1, 7, 42, kAsOf, Outcome::kDeclined);
  const Recommender source =
      Unwrap(Recommender::Create(Fan(), Config("memory")));
  RequireOk(source.RecordOutcomes(s.batch()).status());
  RequireOk(a.StateFromBytes(Unwrap(source.StateToBytes())));
  CHECK(Eventually([&] {
    return Unwrap(b.StateToBytes()) == Unwrap(source.StateToBytes());
  }));
  CHECK(b.FeedbackFor(4).successes == 0);
  CHECK(b.FeedbackFor(7).failures == 1);
}

TEST_CASE(
    "redis state: send sets expire after the longest cap window and the "
    "future tolerance",
    "[state][redis]") {
  RedisServer server;
  // A send may be stamped up to max_future_seconds ahead and counts until
  // its own time + window: the set lives that much longer.
  RecommenderConfig config =
      Config(server.Spec("?prefix=e:"), {{30, 1}, {20, 1}});
  config.time_limits.max_future_seconds = 10;
  const Recommender rec = Unwrap(Recommender::Create(Fan(), config));
  CHECK(Reserve(rec, {2}) == std::vector<bool>{true});
  OutcomeRows r;
  r.Add(1, 3, 42, kAsOf, Outcome::kSent);
  r.Add(1, 4, 42, kAsOf, Outcome::kAccepted);
  RequireOk(rec.RecordOutcomes(r.batch()).status());
  for (const char* key : {"e:s:2", "e:s:3"}) {
    CAPTURE(key);
    const long long ttl = server.Integer({"PTTL", key});
    CHECK(ttl > 30000);
    CHECK(ttl <= 40000);
    CHECK(server.Integer({"ZCARD", key}) == 1);
  }
  // No send, no set; a forgotten user's set goes.
  CHECK(server.Integer({"EXISTS", "e:s:4"}) == 0);
  RequireOk(rec.ForgetUsers(std::vector<UserId>{2}).status());
  CHECK(server.Integer({"EXISTS", "e:s:2"}) == 0);

  // Without caps no send set is kept at all.
  const Recommender free =
      Unwrap(Recommender::Create(Fan(), Config(server.Spec("?prefix=n:"), {})));
  CHECK(Reserve(free, {2, 3}) == std::vector<bool>{true, true});
  RequireOk(free.RecordOutcomes(r.batch()).status());
  CHECK(server.Command({"KEYS", "n:s:*"}).empty());
  CHECK(server.Integer({"XLEN", "n:log"}) == 2);
}

TEST_CASE("redis state: a compacted log restores to the same state",
          "[state][redis]") {
  RedisServer server;
  const std::string spec = server.Spec("?compact_events=10&prefix=c:");
  const Recommender a =
      Unwrap(Recommender::Create(Fan(), Config(spec, {{kHour, 100}})));
  for (int i = 0; i < 30; ++i) {
    CHECK(Reserve(a, {2 + i % 8}) == std::vector<bool>{true});
  }
  CHECK(Eventually([&] { return a.StateInfo().compactions >= 1; }));
  CHECK(server.Command({"HEXISTS", "c:snap", "state"}) == "1");
  CHECK(server.Integer({"XLEN", "c:log"}) < 30);
  const Recommender b =
      Unwrap(Recommender::Create(Fan(), Config(spec, {{kHour, 100}})));
  CHECK(b.StateInfo().replayed_events < 30);
  CheckSameState(a, b);
  for (UserId u = 2; u <= 9; ++u) CHECK(b.RecentSends(u, kHour) >= 3);
}

TEST_CASE("redis state: spec options are checked", "[state][redis]") {
  CHECK(ValidateStateSpec("redis://h:1?compact_events=1000").ok());
  CheckError(ValidateStateSpec("redis://h:1?compact_events=5"),
             absl::StatusCode::kInvalidArgument, {"compact_events=5"});
}

}  // namespace
}  // namespace invitegraph
