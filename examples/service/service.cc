#include "service.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "invitegraph/fit.h"
#include "invitegraph/status.h"

namespace invitegraph::service {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
constexpr int64_t kMaxInt = std::numeric_limits<int64_t>::max();

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

Reply Error(int status, std::string message, const std::string& field = "") {
  Reply r{.status = status, .body = {{"error", std::move(message)}}};
  if (!field.empty()) r.body["field"] = field;
  return r;
}

// A library error as a reply: kNotFound -> 404, caller mistakes -> 400, a
// state store that cannot be reached or written (the disk, the Redis server)
// -> 503, so a client knows to retry, anything else -> 500.
Reply FromStatus(const absl::Status& s, const std::string& field = "") {
  switch (s.code()) {
    case absl::StatusCode::kNotFound:
      return Error(404, std::string(s.message()), field);
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return Error(400, std::string(s.message()), field);
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return Error(503, std::string(s.message()), field);
    default:
      return Error(500, s.ToString(), field);
  }
}

// Reads the integer `name` of `request` into *out: a JSON integer, or the
// decimal string a GET query carries. An absent field leaves *out as it is
// unless `required`. On a bad value returns a 400 naming the field.
std::optional<Reply> ReadInt(const json& request, const std::string& name,
                             bool required, int64_t lo, int64_t hi,
                             int64_t* out) {
  const auto it = request.find(name);
  if (it == request.end() || it->is_null()) {
    if (!required) return std::nullopt;
    return Error(400, absl::StrCat("missing field '", name, "'"), name);
  }
  int64_t v = 0;
  bool ok = false;
  if (it->is_number_integer()) {
    ok = !it->is_number_unsigned() || it->get<uint64_t>() <= uint64_t(kMaxInt);
    if (ok) v = it->get<int64_t>();
  } else if (it->is_string()) {
    ok = absl::SimpleAtoi(it->get_ref<const std::string&>(), &v);
  }
  if (!ok) {
    return Error(400, absl::StrCat("field '", name, "' must be an integer"),
                 name);
  }
  if (v < lo || v > hi) {
    return Error(400,
                 absl::StrCat("field '", name, "' = ", v, " is outside [", lo,
                              ", ", hi, "]"),
                 name);
  }
  *out = v;
  return std::nullopt;
}

// `members`: a JSON array of ids, or (GET) a comma-separated string.
std::optional<Reply> ReadMembers(const json& request,
                                 std::vector<UserId>* out) {
  const auto it = request.find("members");
  if (it == request.end() || it->is_null()) return std::nullopt;
  json items = *it;
  if (it->is_string()) {
    items = json::array();
    const std::string& s = it->get_ref<const std::string&>();
    for (size_t start = 0; start < s.size();) {
      size_t end = s.find(',', start);
      if (end == std::string::npos) end = s.size();
      items.push_back(s.substr(start, end - start));
      start = end + 1;
    }
  }
  if (!items.is_array()) {
    return Error(400, "field 'members' must be an array of user ids",
                 "members");
  }
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string name = absl::StrCat("members[", i, "]");
    int64_t v = 0;
    if (auto e = ReadInt(json{{name, items[i]}}, name, true, 0, kMaxInt, &v)) {
      return e;
    }
    out->push_back(v);
  }
  return std::nullopt;
}

std::optional<Reply> ExpectObject(const json& request) {
  if (request.is_object()) return std::nullopt;
  return Error(400, "expected a JSON object");
}

// The rows of one /outcome request as the columns OutcomeBatch views.
struct OutcomeColumns {
  std::vector<UserId> inviter, invitee;
  std::vector<ItemId> item;
  std::vector<Timestamp> ts;
  std::vector<Outcome> outcome;
};

// SocialGraph::Load() on a thread of its own at nice +10: reading and
// validating a large snapshot takes a core for seconds, and on a busy machine
// requests should get the CPU first. (A thread cannot portably raise its
// priority back, hence a fresh thread rather than the caller's.)
absl::StatusOr<SocialGraph> LoadAtLowPriority(const std::string& path) {
  absl::StatusOr<SocialGraph> graph = absl::UnknownError("not loaded");
  std::thread loader([&] {
    setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10);
    graph = SocialGraph::Load(path);
  });
  loader.join();
  return graph;
}

int64_t FileBytes(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? int64_t(st.st_size) : -1;
}

}  // namespace

struct Service::Serving {
  Recommender rec;
  std::string snapshot;
  int64_t bytes = 0;
  double load_seconds = 0;
  absl::Time loaded_at;
  int64_t generation = 0;
};

Service::Service(ServiceOptions options) : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<Service>> Service::Create(
    ServiceOptions options) {
  if (options.snapshot.empty()) {
    return absl::InvalidArgumentError("no snapshot given");
  }
  std::unique_ptr<Service> s(new Service(std::move(options)));
  if (!s->options_.ranker.empty()) {
    INVITEGRAPH_ASSIGN_OR_RETURN(std::unique_ptr<Ranker> r,
                                 LoadRanker(s->options_.ranker));
    s->ranker_ = std::move(r);
  }
  INVITEGRAPH_RETURN_IF_ERROR(s->Reload(s->options_.snapshot).status());
  return s;
}

std::shared_ptr<const Service::Serving> Service::Current() const {
  std::lock_guard<std::mutex> lock(current_mu_);
  return current_;
}

absl::StatusOr<ReloadReport> Service::Reload(const std::string& snapshot) {
  std::lock_guard<std::mutex> reload(reload_mu_);
  const std::shared_ptr<const Serving> old = Current();
  const std::string path =
      snapshot.empty() && old != nullptr ? old->snapshot : snapshot;
  const Clock::time_point start = Clock::now();
  INVITEGRAPH_ASSIGN_OR_RETURN(SocialGraph graph, LoadAtLowPriority(path));
  ReloadReport report{.snapshot = path,
                      .bytes = FileBytes(path),
                      .load_seconds = SecondsSince(start),
                      .users = graph.num_nodes(),
                      .arcs = graph.num_arcs(),
                      .generation = old == nullptr ? 1 : old->generation + 1};
  const Clock::time_point swap_start = Clock::now();
  INVITEGRAPH_RETURN_IF_ERROR(Publish(std::move(graph), report));
  report.swap_seconds = SecondsSince(swap_start);
  return report;
}

// The one place the graph changes. The first graph gets a new Recommender;
// later ones go through Recommender::SwapGraph(), which switches every copy of
// the handle at once: requests already running finish on the old graph, and
// recorded outcomes (including any that race with the swap) carry over by user
// id. The metadata is published right after, so a request that starts inside
// the swap may report the previous generation.
absl::Status Service::Publish(SocialGraph graph, const ReloadReport& report) {
  const std::shared_ptr<const Serving> old = Current();
  std::optional<Recommender> rec;
  if (old == nullptr) {
    INVITEGRAPH_ASSIGN_OR_RETURN(
        Recommender created,
        Recommender::Create(std::move(graph), options_.config, ranker_));
    rec.emplace(std::move(created));
  } else {
    INVITEGRAPH_RETURN_IF_ERROR(old->rec.SwapGraph(std::move(graph)));
    rec.emplace(old->rec);
  }
  auto next = std::make_shared<const Serving>(
      Serving{.rec = *std::move(rec),
              .snapshot = report.snapshot,
              .bytes = report.bytes,
              .load_seconds = report.load_seconds,
              .loaded_at = absl::Now(),
              .generation = report.generation});
  std::lock_guard<std::mutex> lock(current_mu_);
  current_ = std::move(next);
  return absl::OkStatus();
}

Reply Service::ReloadReply(const std::string& snapshot) {
  reloads_.fetch_add(1, std::memory_order_relaxed);
  absl::StatusOr<ReloadReport> r = Reload(snapshot);
  if (!r.ok()) {
    // A bad file named by the client is its mistake; failing to re-read the
    // file being served is the server's.
    Reply e = FromStatus(r.status(), snapshot.empty() ? "" : "path");
    if (!snapshot.empty()) e.status = 400;
    return e;
  }
  return {.status = 200,
          .body = {{"snapshot", r->snapshot},
                   {"bytes", r->bytes},
                   {"load_seconds", r->load_seconds},
                   {"swap_seconds", r->swap_seconds},
                   {"users", r->users},
                   {"arcs", r->arcs},
                   {"generation", r->generation}}};
}

Reply Service::Recommend(const json& request) {
  recommends_.fetch_add(1, std::memory_order_relaxed);
  if (auto e = ExpectObject(request)) return *e;
  int64_t inviter = 0, item = 0, k = 10, category = kNoCategory, team_size = 0,
          ends_at = -1;
  std::vector<UserId> members;
  std::optional<Reply> e;
  if ((e = ReadInt(request, "inviter", true, 0, kMaxInt, &inviter)) ||
      (e = ReadInt(request, "item", true, 0, kMaxInt, &item)) ||
      (e = ReadInt(request, "k", false, 0, options_.max_k, &k)) ||
      (e = ReadInt(request, "category", false, 0, kMaxInt, &category)) ||
      (e = ReadInt(request, "team_size", false, 0, 1'000'000, &team_size)) ||
      (e = ReadInt(request, "ends_at", false, 0, kMaxInt, &ends_at)) ||
      (e = ReadMembers(request, &members))) {
    return *e;
  }
  const Campaign campaign{.item = item,
                          .category = category,
                          .members = std::move(members),
                          .team_size = static_cast<int>(team_size),
                          .ends_at = ends_at >= 0
                                         ? std::optional<Timestamp>(ends_at)
                                         : std::nullopt};
  const std::shared_ptr<const Serving> serving = Current();
  absl::StatusOr<InviteList> list =
      serving->rec.RecommendList(inviter, campaign, static_cast<int>(k));
  if (!list.ok()) {
    return FromStatus(
        list.status(),
        list.status().code() == absl::StatusCode::kNotFound ? "inviter" : "");
  }
  json suggestions = json::array();
  for (const Suggestion& s : list->suggestions) {
    suggestions.push_back({{"candidate", s.candidate},
                           {"score", s.score},
                           {"rank", s.rank},
                           {"reasons", s.reasons}});
  }
  json body = {{"inviter", inviter},
               {"item", item},
               {"k", list->k},
               {"urgency", list->urgency},
               {"generation", serving->generation},
               {"suggestions", std::move(suggestions)}};
  if (list->still_needed >= 0) body["still_needed"] = list->still_needed;
  if (std::isfinite(list->expected_joins)) {
    body["expected_joins"] = list->expected_joins;
  }
  return {.status = 200, .body = std::move(body)};
}

Reply Service::RecordOutcomes(const json& request) {
  outcomes_.fetch_add(1, std::memory_order_relaxed);
  if (auto e = ExpectObject(request)) return *e;
  json rows = request.contains("outcomes") ? request["outcomes"]
                                           : json::array({request});
  if (!rows.is_array()) {
    return Error(400, "field 'outcomes' must be an array of rows", "outcomes");
  }
  OutcomeColumns batch;
  for (size_t i = 0; i < rows.size(); ++i) {
    const json& row = rows[i];
    const std::string prefix = absl::StrCat("outcomes[", i, "].");
    if (!row.is_object()) {
      return Error(400, absl::StrCat("outcomes[", i, "] must be an object"),
                   absl::StrCat("outcomes[", i, "]"));
    }
    int64_t inviter = 0, invitee = 0, item = 0, ts = 0;
    std::optional<Reply> e;
    // Field names in errors carry the row: outcomes[3].invitee.
    auto read = [&](const char* name, int64_t* out) {
      json one = {{prefix + name, row.contains(name) ? row[name] : json()}};
      return ReadInt(one, prefix + name, true, 0, kMaxInt, out);
    };
    if ((e = read("inviter", &inviter)) || (e = read("invitee", &invitee)) ||
        (e = read("item", &item)) || (e = read("ts", &ts))) {
      return *e;
    }
    const std::string field = prefix + "outcome";
    if (!row.contains("outcome") || !row["outcome"].is_string()) {
      return Error(400, absl::StrCat("field '", field, "' must be a string"),
                   field);
    }
    absl::StatusOr<Outcome> outcome =
        ParseOutcome(row["outcome"].get_ref<const std::string&>());
    if (!outcome.ok()) return FromStatus(outcome.status(), field);
    batch.inviter.push_back(inviter);
    batch.invitee.push_back(invitee);
    batch.item.push_back(item);
    batch.ts.push_back(ts);
    batch.outcome.push_back(*outcome);
  }
  absl::StatusOr<OutcomeReport> report =
      Current()->rec.RecordOutcomes({.inviter = batch.inviter,
                                     .invitee = batch.invitee,
                                     .item = batch.item,
                                     .ts = batch.ts,
                                     .outcome = batch.outcome});
  if (!report.ok()) return FromStatus(report.status());
  return {.status = 200,
          .body = {{"applied", report->applied},
                   {"unknown_invitees", report->unknown_invitees}}};
}

Reply Service::Reserve(const json& request) {
  reserves_.fetch_add(1, std::memory_order_relaxed);
  if (auto e = ExpectObject(request)) return *e;
  int64_t inviter = 0, item = 0, ts = absl::ToUnixSeconds(absl::Now());
  std::optional<Reply> e;
  if ((e = ReadInt(request, "inviter", true, 0, kMaxInt, &inviter)) ||
      (e = ReadInt(request, "item", true, 0, kMaxInt, &item)) ||
      (e = ReadInt(request, "ts", false, 0, kMaxInt, &ts))) {
    return *e;
  }
  const auto it = request.find("invitees");
  if (it == request.end() || !it->is_array()) {
    return Error(400, "field 'invitees' must be an array of user ids",
                 "invitees");
  }
  std::vector<UserId> invitees;
  invitees.reserve(it->size());
  for (size_t i = 0; i < it->size(); ++i) {
    const std::string name = absl::StrCat("invitees[", i, "]");
    int64_t v = 0;
    if ((e = ReadInt(json{{name, (*it)[i]}}, name, true, 0, kMaxInt, &v))) {
      return *e;
    }
    invitees.push_back(v);
  }
  absl::StatusOr<std::vector<bool>> granted =
      Current()->rec.ReserveInvites(inviter, invitees, item, ts);
  if (!granted.ok()) {
    return FromStatus(granted.status(),
                      granted.status().code() == absl::StatusCode::kNotFound
                          ? "invitees"
                          : "");
  }
  json out = json::array();
  for (const bool g : *granted) out.push_back(g);
  return {.status = 200, .body = {{"granted", std::move(out)}}};
}

Reply Service::Feedback(const json& request) {
  feedbacks_.fetch_add(1, std::memory_order_relaxed);
  if (auto e = ExpectObject(request)) return *e;
  int64_t user = 0;
  if (auto e = ReadInt(request, "user", true, 0, kMaxInt, &user)) return *e;
  const std::shared_ptr<const Serving> serving = Current();
  const RecipientFeedback f = serving->rec.FeedbackFor(user);
  json recent = json::array();
  for (const InviteCap& cap :
       serving->rec.config().policy.max_invites_per_recipient) {
    recent.push_back(
        {{"window_seconds", cap.window_seconds},
         {"max", cap.max},
         {"sends", serving->rec.RecentSends(user, cap.window_seconds)}});
  }
  return {.status = 200,
          .body = {{"user", user},
                   {"in_graph", f.in_graph},
                   {"successes", f.successes},
                   {"failures", f.failures},
                   {"accept_rate", f.accept_rate},
                   {"fatigue", f.fatigue},
                   {"as_of", f.as_of},
                   {"recent_sends", std::move(recent)}}};
}

Reply Service::State() const {
  const StateStoreInfo info = Current()->rec.StateInfo();
  return {.status = 200,
          .body = {{"spec", options_.config.state},
                   {"backend", info.backend},
                   {"replayed_events", info.replayed_events},
                   {"dropped_records", info.dropped_records},
                   {"dropped_bytes", info.dropped_bytes},
                   {"log_bytes", info.log_bytes},
                   {"compactions", info.compactions},
                   {"followed_events", info.followed_events},
                   {"max_follow_lag_ms", info.max_follow_lag_ms},
                   {"connected", info.connected}}};
}

Reply Service::Health() const {
  const std::shared_ptr<const Serving> s = Current();
  const SocialGraph g = s->rec.graph();
  auto n = [](const std::atomic<int64_t>& c) {
    return c.load(std::memory_order_relaxed);
  };
  return {
      .status = 200,
      .body = {{"ok", true},
               {"snapshot", s->snapshot},
               {"snapshot_bytes", s->bytes},
               {"users", g.num_nodes()},
               {"arcs", g.num_arcs()},
               {"as_of", g.as_of()},
               {"loaded_at", absl::FormatTime(absl::RFC3339_sec, s->loaded_at,
                                              absl::UTCTimeZone())},
               {"load_seconds", s->load_seconds},
               {"generation", s->generation},
               {"state", options_.config.state},
               {"requests",
                {{"recommend", n(recommends_)},
                 {"outcome", n(outcomes_)},
                 {"reserve", n(reserves_)},
                 {"feedback", n(feedbacks_)},
                 {"reload", n(reloads_)},
                 {"ok", n(ok_)},
                 {"client_errors", n(client_errors_)},
                 {"server_errors", n(server_errors_)}}}}};
}

void Service::Count(int status) {
  std::atomic<int64_t>& c =
      status < 400 ? ok_ : (status < 500 ? client_errors_ : server_errors_);
  c.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace invitegraph::service
