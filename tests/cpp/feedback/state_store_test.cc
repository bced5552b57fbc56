// The state store conformance suite: one scripted run of every state
// operation (reserve under caps, record, recent sends, feedback, requests,
// refusals, forget, swap, save/load, bytes) observed step by step on each
// backend, against the memory backend as the oracle; then a reopen, which
// must give back the same state. Backends: memory, the journal with each
// sync policy and with compactions forced during the run, and Redis on a
// server the test starts (tests/cpp/feedback/redis_store_test.cc has the
// Redis-only cases: several processes, a stopped server, expiry).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "testing/fixtures.h"
#include "testing/redis_server.h"
#include "testing/state_script.h"

namespace invitegraph {
namespace {

using testing::TempDir;
using testing::Unwrap;

TEST_CASE("Every backend answers every state operation as memory does",
          "[state]") {
  const std::vector<std::string> observed_memory =
      testing::RunStateScript("memory");
  REQUIRE(observed_memory.size() > 20);
  for (const std::string options :
       {"", "?sync=group&group_ms=2", "?compact_bytes=4096"}) {
    TempDir dir("conformance");
    const std::string spec = "journal:" + dir.File("state") + options;
    INFO(spec);
    // The small log is compacted while the script runs (in the background;
    // the script waits for the first compaction before it goes on).
    const bool small = options == std::string("?compact_bytes=4096");
    StateStoreInfo info;
    const std::vector<std::string> observed =
        testing::RunStateScript(spec, &info, /*await_compaction=*/small);
    CHECK(info.backend == "journal");
    if (small) {
      INFO("log bytes " << info.log_bytes);
      CHECK(info.compactions > 0);
    }
    REQUIRE(observed.size() == observed_memory.size());
    for (size_t i = 0; i < observed.size(); ++i) {
      INFO("step " << i);
      CHECK(observed[i] == observed_memory[i]);
    }
  }
}

TEST_CASE("Redis answers every state operation as memory does",
          "[state][redis]") {
  const std::vector<std::string> observed_memory =
      testing::RunStateScript("memory");
  testing::RedisServer server;
  // With compactions forced during the run too (compact_events=10).
  for (const std::string options :
       {"?prefix=a:", "?prefix=b:&compact_events=10"}) {
    const std::string spec = server.Spec(options);
    INFO(spec);
    StateStoreInfo info;
    const std::vector<std::string> observed =
        testing::RunStateScript(spec, &info);
    CHECK(info.backend == "redis");
    CHECK(info.connected);
    REQUIRE(observed.size() == observed_memory.size());
    for (size_t i = 0; i < observed.size(); ++i) {
      INFO("step " << i);
      CHECK(observed[i] == observed_memory[i]);
    }
    // A new process on the same server and prefix restores that state.
    const Recommender again = testing::ReopenScriptState(spec);
    CHECK(Unwrap(again.StateToBytes()) == observed.back());
  }
}

TEST_CASE("A reopened journal holds the state it was closed with", "[state]") {
  TempDir dir("reopen");
  const std::string spec =
      "journal:" + dir.File("state") + "?compact_bytes=4096";
  const std::vector<std::string> first = testing::RunStateScript(spec);
  // RunStateScript's last observation is the state bytes at close; a new
  // Recommender on the same directory (and the script's last graph) replays
  // to exactly that, and so does a third after it.
  for (int round = 0; round < 2; ++round) {
    const Recommender again = testing::ReopenScriptState(spec);
    CHECK(Unwrap(again.StateToBytes()) == first.back());
    const StateStoreInfo info = again.StateInfo();
    CHECK(info.backend == "journal");
    CHECK(info.dropped_bytes == 0);
  }
}

}  // namespace
}  // namespace invitegraph
