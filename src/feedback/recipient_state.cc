#include "feedback/recipient_state.h"

#include <algorithm>
#include <limits>
#include <optional>

#include "absl/strings/str_cat.h"
#include "invitegraph/status.h"

namespace invitegraph::internal {

RecipientState::RecipientState(const GraphData& graph,
                               const FeedbackConfig& config,
                               absl::Span<const InviteCap> caps,
                               const TimeLimits& limits)
    : graph_(graph),
      config_(config),
      inv_half_life_s_(1.0 / (config.fatigue_half_life_days * kSecondsPerDay)),
      caps_(caps.begin(), caps.end()),
      longest_window_([&] {
        int64_t w = 0;
        for (const InviteCap& c : caps) w = std::max(w, c.window_seconds);
        return w;
      }()),
      limits_(limits),
      now_(std::min(graph.as_of, limits.Now())) {}

void RecipientState::EnsureDense() {
  if (!records_.empty()) return;
  records_.resize(graph_.num_nodes());
  if (longest_window_ > 0) sends_.resize(graph_.num_nodes());
}

void RecipientState::Prune(NodeId v) {
  std::vector<Timestamp>& ts = sends_[v];
  const Timestamp cutoff = now_ - longest_window_;
  ts.erase(std::remove_if(ts.begin(), ts.end(),
                          [&](Timestamp t) { return t <= cutoff; }),
           ts.end());
}

namespace {
absl::Status RetiredError() {
  return absl::AbortedError(
      "recipient state retired by a graph swap; retry on the new state");
}
}  // namespace

void RecipientState::Apply(RecipientRecord& r, Timestamp ts, Outcome o) const {
  constexpr uint32_t kMax = std::numeric_limits<uint32_t>::max();
  switch (o) {
    case Outcome::kSent:
      // Keep the value at the latest send time, so decay never runs backwards
      // and the order rows arrive in does not matter.
      if (ts >= r.fatigue_ts) {
        r.fatigue = FatigueAt(r, ts, inv_half_life_s_) + 1.0;
        r.fatigue_ts = ts;
      } else {
        r.fatigue += std::exp2(-static_cast<double>(r.fatigue_ts - ts) *
                               inv_half_life_s_);
      }
      break;
    case Outcome::kAccepted:
      if (r.successes < kMax) ++r.successes;
      break;
    case Outcome::kDeclined:
    case Outcome::kIgnored:
      if (r.failures < kMax) ++r.failures;
      break;
  }
}

namespace {
// `limits` with the clock read once, so a batch is checked and the clock
// moved against the same "now".
TimeLimits Fixed(const TimeLimits& limits) {
  TimeLimits fixed = limits;
  fixed.now = limits.Now();
  return fixed;
}
}  // namespace

std::vector<NodeId> RecipientState::Resolve(
    absl::Span<const UserId> users) const {
  // The graph is immutable: no lock needed.
  std::vector<NodeId> nodes(users.size());
  for (size_t i = 0; i < users.size(); ++i) {
    const std::optional<uint32_t> v = graph_.users.Find(users[i]);
    nodes[i] = v ? *v : kNoNode;
  }
  return nodes;
}

int64_t RecipientState::ApplyLocked(const StateEvent& e,
                                    absl::Span<const NodeId> nodes) {
  if (e.kind == StateEvent::Kind::kForget) return ForgetLocked(e.users);
  const size_t n = e.users.size();
  if (std::find_if(nodes.begin(), nodes.end(),
                   [](NodeId v) { return v != kNoNode; }) != nodes.end()) {
    EnsureDense();
  }
  for (size_t i = 0; i < n; ++i) {
    RecipientRecord& r =
        nodes[i] != kNoNode ? records_[nodes[i]] : unknown_[e.users[i]];
    Apply(r, e.ts[i], e.outcomes[i]);
    if (longest_window_ > 0 && nodes[i] != kNoNode &&
        e.outcomes[i] == Outcome::kSent) {
      sends_[nodes[i]].push_back(e.ts[i]);
    }
  }
  now_ = std::max(now_, e.clock);
  if (longest_window_ > 0) {
    for (size_t i = 0; i < n; ++i) {
      if (nodes[i] != kNoNode && e.outcomes[i] == Outcome::kSent)
        Prune(nodes[i]);
    }
  }
  return 0;
}

absl::Status RecipientState::Apply(const StateEvent& e, int64_t* forgotten) {
  const std::vector<NodeId> nodes = Resolve(e.users);
  std::unique_lock<RwLock> lock(mu_);
  if (retired_) return RetiredError();
  const int64_t had = ApplyLocked(e, nodes);
  if (forgotten != nullptr) *forgotten = had;
  return absl::OkStatus();
}

absl::StatusOr<RecordPlan> RecipientState::PlanRecord(
    const OutcomeBatch& b) const {
  const TimeLimits limits = Fixed(limits_);
  INVITEGRAPH_RETURN_IF_ERROR(ValidateOutcomes(b, limits));
  const size_t n = b.invitee.size();
  RecordPlan plan;
  plan.nodes = Resolve(b.invitee);
  Timestamp latest = std::numeric_limits<Timestamp>::min();
  for (size_t i = 0; i < n; ++i) {
    ++(plan.nodes[i] != kNoNode ? plan.report.applied
                                : plan.report.unknown_invitees);
    latest = std::max(latest, b.ts[i]);
  }
  // Never past the present: a row stamped ahead (within the tolerance)
  // counts at its own time but does not age everyone else's sends away.
  plan.event = StateEvent{.kind = StateEvent::Kind::kOutcomes,
                          .clock = std::min(latest, *limits.now),
                          .users = {b.invitee.begin(), b.invitee.end()},
                          .ts = {b.ts.begin(), b.ts.end()},
                          .outcomes = {b.outcome.begin(), b.outcome.end()}};
  return plan;
}

absl::StatusOr<OutcomeReport> RecipientState::Record(const OutcomeBatch& b,
                                                     EventLog* log) {
  INVITEGRAPH_ASSIGN_OR_RETURN(const RecordPlan plan, PlanRecord(b));
  const size_t n = b.invitee.size();
  const StateEvent& e = plan.event;
  const std::vector<NodeId>& nodes = plan.nodes;
  const OutcomeReport report = plan.report;
  uint64_t ticket = 0;
  {
    std::unique_lock<RwLock> lock(mu_);
    if (retired_) return RetiredError();
    if (log != nullptr && n > 0) {
      INVITEGRAPH_ASSIGN_OR_RETURN(ticket, log->Append(e));
    }
    ApplyLocked(e, nodes);
  }
  if (log != nullptr && n > 0) INVITEGRAPH_RETURN_IF_ERROR(log->Sync(ticket));
  return report;
}

absl::StatusOr<ReservePlan> RecipientState::PlanReserve(
    UserId inviter, absl::Span<const UserId> invitees, ItemId item,
    Timestamp ts) const {
  const size_t n = invitees.size();
  const std::vector<UserId> inviters(n, inviter);
  const std::vector<ItemId> items(n, item);
  const std::vector<Timestamp> times(n, ts);
  const std::vector<Outcome> sent(n, Outcome::kSent);
  const TimeLimits limits = Fixed(limits_);
  INVITEGRAPH_RETURN_IF_ERROR(CheckTimestamp(ts, limits, "reserve_invites.ts"));
  INVITEGRAPH_RETURN_IF_ERROR(ValidateOutcomes({.inviter = inviters,
                                                .invitee = invitees,
                                                .item = items,
                                                .ts = times,
                                                .outcome = sent},
                                               limits));
  ReservePlan plan{
      .nodes = Resolve(invitees), .ts = ts, .present = *limits.now};
  for (size_t i = 0; i < n; ++i) {
    if (plan.nodes[i] == kNoNode) {
      return absl::NotFoundError(absl::StrCat("invitees[", i, "]=", invitees[i],
                                              " is not in the graph"));
    }
  }
  std::shared_lock<RwLock> lock(mu_);
  plan.floor = now_;
  return plan;
}

absl::StatusOr<std::vector<bool>> RecipientState::Reserve(
    UserId inviter, absl::Span<const UserId> invitees, ItemId item,
    Timestamp ts, EventLog* log) {
  INVITEGRAPH_ASSIGN_OR_RETURN(const ReservePlan plan,
                               PlanReserve(inviter, invitees, item, ts));
  const size_t n = invitees.size();
  std::vector<bool> granted(n, false);
  if (n == 0) return granted;
  uint64_t ticket = 0;
  {
    std::unique_lock<RwLock> lock(mu_);
    if (retired_) return RetiredError();
    EnsureDense();
    // Sends are recorded at the clock's new value, so every window that ends
    // at any later "now" holds at most what was checked here. A reservation
    // is a send happening now: a ts ahead of the present is taken as the
    // present, so the clock stays within it and no future stamp checks the
    // caps against an emptier window.
    const Timestamp at = std::max(now_, std::min(ts, plan.present));
    StateEvent e{.kind = StateEvent::Kind::kOutcomes,
                 .clock = at,
                 .users = {},
                 .ts = {},
                 .outcomes = {}};
    std::vector<NodeId> nodes;
    // Grants earlier in this call, by node: each is a send at `at`, inside
    // every window, so it takes one from each cap's room.
    absl::flat_hash_map<NodeId, int64_t> pending;
    for (size_t i = 0; i < n; ++i) {
      const NodeId v = plan.nodes[i];
      if (longest_window_ > 0) {
        auto it = pending.find(v);
        const int64_t before = it == pending.end() ? 0 : it->second;
        if (FeedbackView::HeadroomOf(sends_[v], caps_, at) - before <= 0)
          continue;
        ++pending[v];
      }
      granted[i] = true;
      e.users.push_back(invitees[i]);
      e.ts.push_back(at);
      e.outcomes.push_back(Outcome::kSent);
      nodes.push_back(v);
    }
    // The clock moves only with what was recorded.
    if (e.users.empty()) return granted;
    if (log != nullptr) {
      INVITEGRAPH_ASSIGN_OR_RETURN(ticket, log->Append(e));
    }
    ApplyLocked(e, nodes);
  }
  if (log != nullptr) INVITEGRAPH_RETURN_IF_ERROR(log->Sync(ticket));
  return granted;
}

int64_t RecipientState::RecentSends(UserId user, int64_t window_seconds) const {
  std::shared_lock<RwLock> lock(mu_);
  const std::optional<uint32_t> v = graph_.users.Find(user);
  if (!v || sends_.empty()) return 0;
  int64_t n = 0;
  for (Timestamp t : sends_[*v]) n += t > now_ - window_seconds ? 1 : 0;
  return n;
}

RecipientFeedback RecipientState::Lookup(UserId user) const {
  std::shared_lock<RwLock> lock(mu_);
  RecipientFeedback out;
  RecipientRecord r;
  if (const std::optional<uint32_t> v = graph_.users.Find(user)) {
    out.in_graph = true;
    if (!records_.empty()) r = records_[*v];
  } else if (auto it = unknown_.find(user); it != unknown_.end()) {
    r = it->second;
  }
  out.successes = r.successes;
  out.failures = r.failures;
  out.accept_rate = AcceptPosterior(r, config_.accept_prior_mean,
                                    config_.accept_prior_strength);
  out.fatigue = FatigueAt(r, now_, inv_half_life_s_);
  out.as_of = now_;
  return out;
}

PortableRecipientState RecipientState::ExportLocked() const {
  PortableRecipientState p;
  p.now = now_;
  const absl::Span<const UserId> ids = graph_.users.external_ids();
  auto worth_keeping = [](const RecipientRecord& r) {
    return r.successes != 0 || r.failures != 0 || r.fatigue != 0;
  };
  std::vector<std::pair<UserId, RecipientRecord>> rows;
  for (size_t v = 0; v < records_.size(); ++v) {
    if (worth_keeping(records_[v])) rows.emplace_back(ids[v], records_[v]);
  }
  for (const auto& [user, r] : unknown_) {
    if (worth_keeping(r)) rows.emplace_back(user, r);
  }
  std::sort(rows.begin(), rows.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [user, r] : rows) {
    p.users.push_back(user);
    p.records.push_back(r);
  }
  std::vector<NodeId> with_sends;
  for (size_t v = 0; v < sends_.size(); ++v) {
    if (!sends_[v].empty()) with_sends.push_back(static_cast<NodeId>(v));
  }
  std::sort(with_sends.begin(), with_sends.end(),
            [&](NodeId a, NodeId b) { return ids[a] < ids[b]; });
  for (NodeId v : with_sends) {
    p.send_users.push_back(ids[v]);
    p.send_ts.insert(p.send_ts.end(), sends_[v].begin(), sends_[v].end());
    p.send_offsets.push_back(static_cast<int64_t>(p.send_ts.size()));
  }
  return p;
}

PortableRecipientState RecipientState::Export() const {
  std::shared_lock<RwLock> lock(mu_);
  return ExportLocked();
}

PortableRecipientState RecipientState::Retire() {
  std::unique_lock<RwLock> lock(mu_);
  retired_ = true;
  return ExportLocked();
}

void RecipientState::Reopen() {
  std::unique_lock<RwLock> lock(mu_);
  retired_ = false;
}

absl::Status RecipientState::CheckPortable(const PortableRecipientState& p) {
  if (p.records.size() != p.users.size() ||
      p.send_offsets.size() != p.send_users.size() + 1 ||
      p.send_offsets.front() != 0 ||
      p.send_offsets.back() != static_cast<int64_t>(p.send_ts.size())) {
    return absl::InvalidArgumentError(
        "recipient state: inconsistent array lengths");
  }
  for (size_t i = 0; i + 1 < p.send_offsets.size(); ++i) {
    if (p.send_offsets[i + 1] < p.send_offsets[i]) {
      return absl::InvalidArgumentError(
          absl::StrCat("recipient state: send offsets decrease at row ", i));
    }
  }
  return absl::OkStatus();
}

TimeLimits RecipientState::FixedLimits() const { return Fixed(limits_); }

absl::Status RecipientState::Import(const PortableRecipientState& p) {
  INVITEGRAPH_RETURN_IF_ERROR(CheckPortable(p));
  const TimeLimits limits = Fixed(limits_);
  std::unique_lock<RwLock> lock(mu_);
  ImportLocked(p, limits);
  return absl::OkStatus();
}

void RecipientState::ImportLocked(const PortableRecipientState& p,
                                  const TimeLimits& limits) {
  // States saved before time limits existed may hold a clock or times moved
  // by an implausible row (the year 3000, milliseconds): the clock is held
  // to the present and any later time to the latest plausible one.
  const Timestamp present = *limits.now, latest = limits.Latest();
  records_.clear();
  unknown_.clear();
  sends_.clear();
  now_ = std::min(std::max(graph_.as_of, p.now), present);
  for (size_t i = 0; i < p.users.size(); ++i) {
    RecipientRecord r = p.records[i];
    r.fatigue_ts = std::min(r.fatigue_ts, latest);
    if (const std::optional<uint32_t> v = graph_.users.Find(p.users[i])) {
      EnsureDense();
      records_[*v] = r;
    } else {
      unknown_[p.users[i]] = r;
    }
  }
  if (longest_window_ > 0) {
    for (size_t i = 0; i < p.send_users.size(); ++i) {
      const std::optional<uint32_t> v = graph_.users.Find(p.send_users[i]);
      if (!v) continue;
      EnsureDense();
      sends_[*v].assign(p.send_ts.begin() + p.send_offsets[i],
                        p.send_ts.begin() + p.send_offsets[i + 1]);
      for (Timestamp& t : sends_[*v]) t = std::min(t, latest);
      Prune(*v);
    }
  }
}

int64_t RecipientState::ForgetLocked(absl::Span<const UserId> users) {
  int64_t had = 0;
  for (UserId u : users) {
    bool any = unknown_.erase(u) > 0;
    if (const std::optional<uint32_t> v = graph_.users.Find(u)) {
      if (!records_.empty()) {
        const RecipientRecord& r = records_[*v];
        any = any || r.successes != 0 || r.failures != 0 || r.fatigue != 0;
        records_[*v] = RecipientRecord{};
      }
      if (!sends_.empty()) {
        any = any || !sends_[*v].empty();
        std::vector<Timestamp>().swap(sends_[*v]);
      }
    }
    had += any ? 1 : 0;
  }
  return had;
}

absl::StatusOr<int64_t> RecipientState::Forget(absl::Span<const UserId> users,
                                               EventLog* log) {
  int64_t had = 0;
  uint64_t ticket = 0;
  {
    std::unique_lock<RwLock> lock(mu_);
    if (retired_) return RetiredError();
    if (log != nullptr) {
      const StateEvent e{.kind = StateEvent::Kind::kForget,
                         .users = {users.begin(), users.end()},
                         .ts = {},
                         .outcomes = {}};
      INVITEGRAPH_ASSIGN_OR_RETURN(ticket, log->Append(e));
    }
    had = ForgetLocked(users);
  }
  if (log != nullptr) INVITEGRAPH_RETURN_IF_ERROR(log->Sync(ticket));
  return had;
}

RecipientState::Reader::Reader(const RecipientState& s) : lock_(s.mu_) {
  view_.records = s.records_;
  view_.prior_mean = s.config_.accept_prior_mean;
  view_.prior_strength = s.config_.accept_prior_strength;
  view_.inv_half_life_s = s.inv_half_life_s_;
  view_.now = s.now_;
  view_.sends = s.sends_;
  view_.caps = s.caps_;
}

}  // namespace invitegraph::internal
