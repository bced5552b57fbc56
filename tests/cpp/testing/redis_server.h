// A redis-server of the test's own (testing/redis_process.h): started on a
// free loopback port in a fresh directory (no RDB snapshots, an append-only
// file fsynced on every write, so a stop and restart keeps every
// acknowledged write), answering PING before the constructor returns, and
// stopped by the destructor. Stop() and Start() restart the same server:
// same port and directory. A missing redis-server FAILS the test (./run.sh
// installs it); it never skips.
#ifndef INVITEGRAPH_TESTS_TESTING_REDIS_SERVER_H_
#define INVITEGRAPH_TESTS_TESTING_REDIS_SERVER_H_

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "testing/fixtures.h"
#include "testing/redis_process.h"

namespace invitegraph::testing {

class RedisServer {
 public:
  RedisServer() : dir_("redis"), process_(dir_.File(""), /*durable=*/true) {
    Start();
  }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return process_.port(); }
  std::string Spec(const std::string& options = "") const {
    return process_.Spec(options);
  }
  void Start() {
    const absl::Status s = process_.Start();
    if (!s.ok()) FAIL(s.ToString());
  }
  void Stop() { process_.Stop(); }
  std::string Command(const std::vector<std::string>& args) const {
    return process_.Command(args);
  }
  long long Integer(const std::vector<std::string>& args) const {
    return process_.Integer(args);
  }

 private:
  TempDir dir_;
  RedisProcess process_;  // declared after dir_: stopped before it goes
};

}  // namespace invitegraph::testing

#endif  // INVITEGRAPH_TESTS_TESTING_REDIS_SERVER_H_
