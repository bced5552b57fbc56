// A redis-server of the test's own: started on a free loopback port in a
// fresh directory (no RDB snapshots, an append-only file fsynced on every
// write, so a stop and restart keeps every acknowledged write), answered
// PING before the constructor returns, and stopped (SIGTERM, waitpid) by the
// destructor. Stop() and Start() restart the same server: same port and
// directory. A missing redis-server FAILS the test (./run.sh installs it);
// it never skips.
#ifndef INVITEGRAPH_TESTS_TESTING_REDIS_SERVER_H_
#define INVITEGRAPH_TESTS_TESTING_REDIS_SERVER_H_

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "testing/fixtures.h"

namespace invitegraph::testing {

class RedisServer {
 public:
  RedisServer() : dir_("redis") {
    binary_ = Find("redis-server");
    if (binary_.empty()) {
      FAIL(
          "redis-server is not on PATH: the Redis state store tests need it "
          "(./run.sh installs it: apt-get install redis-server)");
    }
    port_ = FreePort();
    Start();
  }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;
  ~RedisServer() { Stop(); }

  int port() const { return port_; }
  // "redis://127.0.0.1:PORT" with `options` ("?prefix=...") appended.
  std::string Spec(const std::string& options = "") const {
    return "redis://127.0.0.1:" + std::to_string(port_) + options;
  }

  void Start() {
    if (pid_ > 0) return;
    const std::string port = std::to_string(port_);
    const std::string dir = dir_.File("");
    const std::string log = dir_.File("redis.log");
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      ::execl(binary_.c_str(), binary_.c_str(), "--port", port.c_str(),
              "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
              "--appendfsync", "always", "--dir", dir.c_str(), "--daemonize",
              "no", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    // Until it answers PING (or exits).
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        FAIL("redis-server exited at start-up (status " << status << "); see "
                                                        << log);
      }
      if (Command({"PING"}) == "PONG") return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    FAIL("redis-server on port " << port_ << " did not answer PING in 20 s");
  }

  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  // The reply to one command as text: a string, status or error as is, an
  // integer in decimal, nil as "(nil)", an array's elements joined by
  // newlines; "(no connection)" when the server does not answer.
  std::string Command(const std::vector<std::string>& args) const {
    redisContext* c =
        redisConnectWithTimeout("127.0.0.1", port_, timeval{2, 0});
    if (c == nullptr || c->err != 0) {
      if (c != nullptr) redisFree(c);
      return "(no connection)";
    }
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const std::string& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* r = static_cast<redisReply*>(redisCommandArgv(
        c, static_cast<int>(argv.size()), argv.data(), lens.data()));
    std::string out = r == nullptr ? "(no connection)" : Text(r);
    if (r != nullptr) freeReplyObject(r);
    redisFree(c);
    return out;
  }
  long long Integer(const std::vector<std::string>& args) const {
    return std::atoll(Command(args).c_str());
  }

 private:
  static std::string Text(const redisReply* r) {
    switch (r->type) {
      case REDIS_REPLY_INTEGER:
        return std::to_string(r->integer);
      case REDIS_REPLY_NIL:
        return "(nil)";
      case REDIS_REPLY_ARRAY: {
        std::string out;
        for (size_t i = 0; i < r->elements; ++i) {
          if (i > 0) out += "\n";
          out += Text(r->element[i]);
        }
        return out;
      }
      default:
        return std::string(r->str, r->len);
    }
  }

  static std::string Find(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
    dirs += ":/usr/sbin:/sbin";
    size_t begin = 0;
    while (begin <= dirs.size()) {
      size_t end = dirs.find(':', begin);
      if (end == std::string::npos) end = dirs.size();
      const std::string candidate =
          dirs.substr(begin, end - begin) + "/" + name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
      begin = end + 1;
    }
    return "";
  }

  // A port the kernel just handed out on 127.0.0.1 (free right now).
  static int FreePort() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
    socklen_t len = sizeof(a);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    ::close(fd);
    return ntohs(a.sin_port);
  }

  TempDir dir_;
  std::string binary_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace invitegraph::testing

#endif  // INVITEGRAPH_TESTS_TESTING_REDIS_SERVER_H_
