// An HTTP JSON recommendation server over a graph snapshot (cpp-httplib).
//
//   ./build/examples/make_snapshot --users 50000 --out world.snap
//   ./build/examples/invitegraph_server --snapshot world.snap --port 8080
//       --state journal:/var/lib/invitegraph --cap 86400:2   # one line
//   curl 'localhost:8080/recommend?inviter=7&item=42&k=5'
//   curl -d '{"inviter": 7, "item": 42, "members": [3]}'
//   localhost:8080/recommend curl -d '{"path": "new.snap"}'
//   localhost:8080/reload   # or: kill -HUP pid
//
// Endpoints (service.h): GET|POST /recommend, POST /outcome, POST /reserve,
// GET /feedback, GET /state, GET /healthz, POST /reload. SIGHUP reloads the
// snapshot file being served (e.g. after it was replaced by
// SocialGraph::Save(), which renames atomically); SIGINT and SIGTERM stop the
// server. With --port 0 the kernel picks a free port; the first line on
// stdout names it, and the state backend opened.
//
// --state SPEC (RecommenderConfig::state, invitegraph/state.h): a journal in
// ./invitegraph-state by default ("journal:invitegraph-state": a service
// must not forget its sends when it restarts), "journal:DIR" elsewhere for
// one replica, "redis://HOST:PORT" for several, "memory" for a throwaway
// run (gone when the process exits). A spec
// that does not parse, or a store that does not open (a journal locked by
// another process, a Redis server that does not answer), exits with 1 and
// the library's message. --cap WINDOW_SECONDS:MAX (repeatable) adds a
// recipient cap (Policy::max_invites_per_recipient) that /reserve enforces.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <thread>
#include <vector>

// service.h (Eigen, through recommender.h) comes before httplib.h: httplib.h
// pulls in <resolv.h>, whose macro _res breaks Eigen's headers parsed after it.
#include "service.h"
// (keep the order above)
#include "absl/strings/numbers.h"
#include "httplib.h"
#include "nlohmann/json.hpp"

namespace {

namespace ig = invitegraph;
using ig::service::Reply;
using json = nlohmann::json;

struct Flags {
  std::string snapshot, ranker, host = "127.0.0.1";
  std::string state = "journal:invitegraph-state";
  std::vector<ig::InviteCap> caps;
  int port = 8080;
  int threads = 32;
};

// WINDOW_SECONDS:MAX, both positive (Policy::Validate checks them again).
bool ParseCap(const std::string& value, ig::InviteCap* cap) {
  const size_t colon = value.find(':');
  return colon != std::string::npos &&
         absl::SimpleAtoi(value.substr(0, colon), &cap->window_seconds) &&
         absl::SimpleAtoi(value.substr(colon + 1), &cap->max) &&
         cap->window_seconds > 0 && cap->max > 0;
}

bool ParseFlags(int argc, char** argv, Flags* f) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string name = argv[i], value = argv[i + 1];
    if (name == "--snapshot") {
      f->snapshot = value;
    } else if (name == "--ranker") {
      f->ranker = value;
    } else if (name == "--host") {
      f->host = value;
    } else if (name == "--state") {
      f->state = value;
    } else if (name == "--cap") {
      if (!ParseCap(value, &f->caps.emplace_back())) return false;
    } else if (name == "--port") {
      if (!absl::SimpleAtoi(value, &f->port)) return false;
    } else if (name == "--threads") {
      if (!absl::SimpleAtoi(value, &f->threads) || f->threads < 1) {
        return false;
      }
    } else {
      return false;
    }
  }
  return argc % 2 == 1 && !f->snapshot.empty();
}

// A GET query as the JSON object a POST body would carry; values stay strings
// and the service parses them.
json QueryToJson(const httplib::Request& req) {
  json j = json::object();
  for (const auto& [key, value] : req.params) j[key] = value;
  return j;
}

// The POST body as JSON; an empty body is {}. nullopt-like: a discarded value
// when it does not parse.
// Replies may echo client bytes (a path, an outcome name): invalid UTF-8 is
// replaced rather than thrown on.
std::string Dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json BodyToJson(const httplib::Request& req) {
  if (req.body.empty()) return json::object();
  return json::parse(req.body, nullptr, /*allow_exceptions=*/false);
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, &flags)) {
    std::fprintf(stderr,
                 "usage: %s --snapshot FILE [--ranker FILE] [--host H] "
                 "[--port P (0: any)] [--threads N]\n"
                 "          [--state memory|journal:DIR|redis://HOST:PORT] "
                 "[--cap WINDOW_SECONDS:MAX]...\n",
                 argv[0]);
    return 2;
  }
  // Signals go to one thread that waits for them (below); every thread
  // started from here on inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  ig::RecommenderConfig config;
  config.state = flags.state;
  config.policy.max_invites_per_recipient = flags.caps;
  auto created = ig::service::Service::Create(
      {.snapshot = flags.snapshot, .ranker = flags.ranker, .config = config});
  if (!created.ok()) {
    std::fprintf(stderr, "error: %s\n", created.status().ToString().c_str());
    return 1;
  }
  ig::service::Service& svc = **created;

  httplib::Server http;
  const int threads = flags.threads;
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // httplib writes headers and body separately: without TCP_NODELAY, Nagle
  // holds the body back until the client's delayed ACK, ~40 ms a response.
  http.set_tcp_nodelay(true);
  http.set_payload_max_length(64 << 20);  // bytes of one request body
  // A kept-alive connection holds one pool thread while open (so --threads
  // bounds the open connections served at once). httplib closes one after 5
  // requests by default; the reconnects then overflow its listen backlog of 5
  // and cost a 1 s SYN retransmit at high rates.
  http.set_keep_alive_max_count(100'000);
  auto send = [&svc](httplib::Response& res, const Reply& r) {
    svc.Count(r.status);
    res.status = r.status;
    res.set_content(Dump(r.body), "application/json");
  };
  // Handlers taking a POST body: a body that is not JSON is a 400.
  auto with_body = [send](auto handle) {
    return [send, handle](const httplib::Request& req, httplib::Response& res) {
      const json body = BodyToJson(req);
      if (body.is_discarded()) {
        send(res, {.status = 400,
                   .body = {{"error", "request body is not valid JSON"},
                            {"field", "body"}}});
        return;
      }
      send(res, handle(body));
    };
  };
  http.Get("/recommend",
           [&](const httplib::Request& req, httplib::Response& res) {
             send(res, svc.Recommend(QueryToJson(req)));
           });
  http.Post("/recommend",
            with_body([&](const json& body) { return svc.Recommend(body); }));
  http.Post("/outcome", with_body([&](const json& body) {
              return svc.RecordOutcomes(body);
            }));
  http.Post("/reserve",
            with_body([&](const json& body) { return svc.Reserve(body); }));
  http.Get("/state", [&](const httplib::Request&, httplib::Response& res) {
    send(res, svc.State());
  });
  http.Get("/feedback",
           [&](const httplib::Request& req, httplib::Response& res) {
             send(res, svc.Feedback(QueryToJson(req)));
           });
  http.Get("/healthz", [&](const httplib::Request&, httplib::Response& res) {
    send(res, svc.Health());
  });
  http.Post("/reload", with_body([&](const json& body) -> Reply {
              if (!body.is_object() ||
                  (body.contains("path") && !body["path"].is_string())) {
                return {.status = 400,
                        .body = {{"error", "'path' must be a string"},
                                 {"field", "path"}}};
              }
              return svc.ReloadReply(body.value("path", std::string()));
            }));
  // Never let an exception take the server down: it becomes a 500.
  http.set_exception_handler([&](const httplib::Request&,
                                 httplib::Response& res,
                                 std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    send(res, {.status = 500, .body = {{"error", what}}});
  });
  http.set_error_handler([](const httplib::Request& req,
                            httplib::Response& res) {
    if (res.body.empty()) {
      res.set_content(
          Dump({{"error", "no such endpoint: " + req.method + " " + req.path}}),
          "application/json");
    }
  });

  int port = flags.port;
  if (port == 0) {
    port = http.bind_to_any_port(flags.host);
  } else if (!http.bind_to_port(flags.host, port)) {
    port = -1;
  }
  if (port < 0) {
    std::fprintf(stderr, "error: cannot bind %s:%d\n", flags.host.c_str(),
                 flags.port);
    return 1;
  }
  const json health = svc.Health().body;
  const json state = svc.State().body;
  std::printf(
      "listening on http://%s:%d (%s: %lld users, %lld arcs; state %s: "
      "%s, %lld events replayed, %lld records dropped)\n",
      flags.host.c_str(), port, flags.snapshot.c_str(),
      static_cast<long long>(health["users"].get<int64_t>()),
      static_cast<long long>(health["arcs"].get<int64_t>()),
      state["backend"].get<std::string>().c_str(), flags.state.c_str(),
      static_cast<long long>(state["replayed_events"].get<int64_t>()),
      static_cast<long long>(state["dropped_records"].get<int64_t>()));
  std::fflush(stdout);

  std::thread signal_thread([&] {
    for (;;) {
      int sig = 0;
      if (sigwait(&signals, &sig) != 0) continue;
      if (sig != SIGHUP) break;
      const Reply r = svc.ReloadReply("");
      std::fprintf(stderr, "SIGHUP reload: %d %s\n", r.status,
                   Dump(r.body).c_str());
    }
    http.stop();
  });
  const bool ok = http.listen_after_bind();
  // listen_after_bind() returns after stop(), or by itself on an error: wake
  // the signal thread in case it still waits (once it has left, the signal
  // just stays pending in threads that all block it).
  kill(getpid(), SIGTERM);
  signal_thread.join();
  return ok ? 0 : 1;
}
