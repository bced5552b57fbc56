// File: service.h
// The HTTP-independent core of the example server (server.cc): JSON in, JSON
// and an HTTP status out, over a Recommender that can be replaced while
// requests are in flight. Example:
//
//   INVITEGRAPH_ASSIGN_OR_RETURN(auto svc, Service::Create({.snapshot = p}));
//   Reply r = svc->Recommend(nlohmann::json{{"inviter", 7}, {"item", 42}});
//   // r.status == 200, r.body["suggestions"][0]["candidate"] ...
//   INVITEGRAPH_ASSIGN_OR_RETURN(ReloadReport rr, svc->Reload("new.snap"));
//
// Reload: the new snapshot is loaded and validated off the request path, on a
// helper thread at nice +10 started by the caller (the /reload handler or the
// SIGHUP thread); then Recommender::SwapGraph() switches to it: in-flight
// requests finish on the graph they started with, the old graph is freed when
// the last of them ends, and outcomes recorded so far carry over to the new
// graph by user id.
//
// Thread safety: every method may run concurrently from many threads;
// reloads are serialised (a second Reload() while one runs waits).
#ifndef INVITEGRAPH_EXAMPLES_SERVICE_SERVICE_H_
#define INVITEGRAPH_EXAMPLES_SERVICE_SERVICE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "invitegraph/recommender.h"
#include "nlohmann/json.hpp"

namespace invitegraph::service {

struct ServiceOptions {
  std::string snapshot;  // SocialGraph::Save() file, required
  std::string ranker;    // SaveRanker() file; empty: the default ranker
  // config.state names where recipient state lives ("memory", "journal:DIR",
  // "redis://..."; invitegraph/state.h); config.policy's caps are what
  // /reserve enforces.
  RecommenderConfig config = {};
  int max_k = 1000;  // larger k in a request is a 400
};

// One HTTP answer: a status code and a JSON body. Errors are
// {"error": message, "field": name} (field only when one field is at fault).
struct Reply {
  int status = 200;
  nlohmann::json body;
};

struct ReloadReport {
  std::string snapshot;
  int64_t bytes = 0;        // size of the snapshot file
  double load_seconds = 0;  // SocialGraph::Load() + Recommender::Create()
  double swap_seconds = 0;  // outcome carry-over + publishing
  int64_t users = 0;
  int64_t arcs = 0;
  int64_t generation = 0;  // 1 for the snapshot loaded at start
};

class Service {
 public:
  static absl::StatusOr<std::unique_ptr<Service>> Create(
      ServiceOptions options);

  // GET/POST /recommend: {inviter, item, k = 10, category, members,
  // team_size, ends_at} -> {inviter, item, k, urgency, still_needed,
  // suggestions: [{candidate, score, rank, reasons}]}. 400 naming the bad
  // field, 404 for an inviter outside the graph.
  Reply Recommend(const nlohmann::json& request);
  // POST /outcome: one row {inviter, invitee, item, ts, outcome: "sent" |
  // "accepted" | "declined" | "ignored"} or {outcomes: [rows]} ->
  // {applied, unknown_invitees}. All rows or none are recorded; 200 only
  // once the state store acknowledged them, as for Reserve().
  Reply RecordOutcomes(const nlohmann::json& request);
  // POST /reserve: {inviter, invitees: [ids], item, ts} ->
  // Recommender::ReserveInvites() as {granted: [bool]}. 200 only once the
  // state store acknowledged the grants (journal: logged as its sync mode
  // says; Redis: decided on the server); 503 when the store is unavailable,
  // 404 for an invitee outside the graph, 400 naming a bad field.
  Reply Reserve(const nlohmann::json& request);
  // GET /feedback?user=: Recommender::FeedbackFor() of one user, and its
  // recent sends in each cap's window (Recommender::RecentSends()).
  Reply Feedback(const nlohmann::json& request);
  // GET /state: Recommender::StateInfo() (backend, replayed and dropped
  // journal records, compactions, the Redis follower's lag) and the spec.
  Reply State() const;
  // GET /healthz: the snapshot served, its size, when it was loaded, and the
  // request counters.
  Reply Health() const;

  // Loads `snapshot` (empty: the current path again) off the request path,
  // then swaps it in. On error the current graph keeps serving.
  absl::StatusOr<ReloadReport> Reload(const std::string& snapshot);
  // Reload() as a reply: 200 with the report, 4xx/5xx with the error.
  Reply ReloadReply(const std::string& snapshot);

  // Counts one answered request by its status (called by the HTTP layer).
  void Count(int status);

 private:
  struct Serving;  // one published Recommender and what it was loaded from
  explicit Service(ServiceOptions options);

  std::shared_ptr<const Serving> Current() const;
  // The one place a new graph replaces the old one (see Reload()).
  absl::Status Publish(SocialGraph graph, const ReloadReport& report);

  const ServiceOptions options_;
  std::shared_ptr<const Ranker> ranker_;

  mutable std::mutex current_mu_;  // guards current_ (held for a copy only)
  std::shared_ptr<const Serving> current_;

  std::mutex reload_mu_;  // one reload at a time

  std::atomic<int64_t> recommends_{0}, outcomes_{0}, reserves_{0}, reloads_{0},
      feedbacks_{0}, ok_{0}, client_errors_{0}, server_errors_{0};
};

}  // namespace invitegraph::service

#endif  // INVITEGRAPH_EXAMPLES_SERVICE_SERVICE_H_
