// Per-recipient feedback state: invite-acceptance counts and decayed fatigue,
// stored densely by NodeId, plus a side table for invitees outside the graph.
//
// Thread safety: Record() takes the writer lock for the commit only; Reader
// holds a reader lock so a request sees one consistent state while it
// featurises. The lock is internal::RwLock (writer-preferring, and visible to
// ThreadSanitizer; see rw_lock.h for why not absl::Mutex or
// std::shared_mutex).
#ifndef INVITEGRAPH_FEEDBACK_RECIPIENT_STATE_H_
#define INVITEGRAPH_FEEDBACK_RECIPIENT_STATE_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <mutex>
#include <shared_mutex>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "feedback/state_event.h"
#include "graph/graph_data.h"
#include "internal/rw_lock.h"
#include "invitegraph/invite_cap.h"
#include "invitegraph/outcomes.h"
#include "invitegraph/status.h"
#include "invitegraph/time_limits.h"

namespace invitegraph::internal {

struct RecipientRecord {
  uint32_t successes = 0;  // saturate at UINT32_MAX
  uint32_t failures = 0;
  double fatigue = 0;  // decayed invites received, valued at fatigue_ts
  Timestamp fatigue_ts = 0;
};

// Beta-Bernoulli posterior mean (successes + m * s) / (trials + s).
inline double AcceptPosterior(const RecipientRecord& r, double prior_mean,
                              double prior_strength) {
  return (r.successes + prior_mean * prior_strength) /
         (static_cast<double>(r.successes) + r.failures + prior_strength);
}

// The record's fatigue seen from `now`. A send stamped after `now` (within
// TimeLimits::max_future_seconds) counts fully until `now` reaches it: decay
// never runs backwards, so a future stamp cannot inflate fatigue.
inline double FatigueAt(const RecipientRecord& r, Timestamp now,
                        double inv_half_life_s) {
  if (r.fatigue == 0) return 0;
  if (now <= r.fatigue_ts) return r.fatigue;
  return r.fatigue *
         std::exp2(-static_cast<double>(now - r.fatigue_ts) * inv_half_life_s);
}

// What featurisation reads, valid while the Reader that made it lives.
struct FeedbackView {
  absl::Span<const RecipientRecord> records;  // by NodeId; empty: no outcomes
  double prior_mean = 0;
  double prior_strength = 1;
  double inv_half_life_s = 0;
  Timestamp now = 0;
  // Recent send times by NodeId (empty without caps) and the caps.
  absl::Span<const std::vector<Timestamp>> sends;
  absl::Span<const InviteCap> caps;

  // Whether some cap's window (now - window, now] already holds max sends.
  bool AtCap(NodeId v) const { return Headroom(v) <= 0; }

  // How many more sends to `v` at `now` keep every cap; INT64_MAX without
  // caps.
  int64_t Headroom(NodeId v) const {
    if (sends.empty()) return std::numeric_limits<int64_t>::max();
    return HeadroomOf(sends[v], caps, now);
  }

  // min over `caps` of (max - the send times `ts` after now - window);
  // <= 0 means one more send at `now` would break a cap. Sends stamped after
  // `now` (future times within the tolerance) count too: a row from the
  // future never frees room.
  static int64_t HeadroomOf(const std::vector<Timestamp>& ts,
                            absl::Span<const InviteCap> caps, Timestamp now) {
    int64_t room = std::numeric_limits<int64_t>::max();
    for (const InviteCap& c : caps) {
      const Timestamp after = now - c.window_seconds;
      int64_t n = 0;
      for (Timestamp t : ts) n += t > after ? 1 : 0;
      room = std::min(room, c.max - n);
    }
    return room;
  }
  static bool CapReached(const std::vector<Timestamp>& ts,
                         absl::Span<const InviteCap> caps, Timestamp now) {
    return HeadroomOf(ts, caps, now) <= 0;
  }

  float AcceptRate(NodeId v) const {
    if (records.empty()) return static_cast<float>(prior_mean);
    return static_cast<float>(
        AcceptPosterior(records[v], prior_mean, prior_strength));
  }
  float Fatigue(NodeId v) const {
    if (records.empty()) return 0.0f;
    return static_cast<float>(FatigueAt(records[v], now, inv_half_life_s));
  }
};

// Recorded state by user id, independent of any graph's NodeIds: what a graph
// swap carries over and what a state snapshot holds. Users are sorted.
struct PortableRecipientState {
  Timestamp now = std::numeric_limits<Timestamp>::min();
  std::vector<UserId> users;             // with a record
  std::vector<RecipientRecord> records;  // parallel to users
  std::vector<UserId> send_users;        // with recent send times
  std::vector<int64_t> send_offsets{0};  // send_users.size() + 1
  std::vector<Timestamp> send_ts;
};

// Where a RecipientState logs the events it applies (a durable store,
// state_store.h).
class EventLog {
 public:
  virtual ~EventLog() = default;
  // Called under the state's writer lock before the event is applied, so the
  // log's order is the order of application. An error leaves the state as it
  // was and is returned to the caller. Returns a ticket for Sync().
  virtual absl::StatusOr<uint64_t> Append(const StateEvent& e) = 0;
  // Called after the lock is released: returns once the event of `ticket` is
  // as durable as the log promises (its sync policy).
  virtual absl::Status Sync(uint64_t ticket) = 0;
};

// A reservation checked and resolved against the graph, not yet decided
// (RecipientState::PlanReserve): what a store that decides on a server
// needs.
struct ReservePlan {
  std::vector<NodeId> nodes;  // the invitees' nodes, in order
  // The reservation's time is max(floor, min(ts, present)) (see Reserve()),
  // floor being the clock when planned.
  Timestamp ts = 0;
  Timestamp present = 0;
  Timestamp floor = 0;
};

// A batch of outcomes checked and resolved, not yet applied
// (RecipientState::PlanRecord): the event Record() would log and apply, and
// its report.
struct RecordPlan {
  StateEvent event;
  std::vector<NodeId> nodes;  // event.users' nodes (kNoNode: outside)
  OutcomeReport report;
};

class RecipientState {
 public:
  // `graph` must outlive this object. `config` must be valid
  // (FeedbackConfig::Validate), and so must `caps` (ValidatePolicy) and
  // `limits` (ValidateTimeLimits). With caps, the state keeps each
  // recipient's send times within the longest window.
  //
  // The clock ("now" of features, caps and urgency) is the latest of the
  // graph's as_of and every recorded ts, but it never runs ahead of
  // limits.Now(): rows are accepted up to limits.max_future_seconds ahead
  // (clock skew) and count against caps and fatigue at their own time, yet
  // no row can move the clock past the present and so age everyone's
  // recent sends and fatigue away. Rows beyond the tolerance are refused,
  // the whole batch with them.
  RecipientState(const GraphData& graph, const FeedbackConfig& config,
                 absl::Span<const InviteCap> caps = {},
                 const TimeLimits& limits = {});

  RecipientState(const RecipientState&) = delete;
  RecipientState& operator=(const RecipientState&) = delete;

  // Validates the whole batch, then applies it under the writer lock (and
  // logs it to `log` first, if set).
  absl::StatusOr<OutcomeReport> Record(const OutcomeBatch& b,
                                       EventLog* log = nullptr);
  // Record()'s checks, and the event it would apply (its clock is the
  // batch's latest ts, at most the present): what a store that logs on a
  // server before applying needs.
  absl::StatusOr<RecordPlan> PlanRecord(const OutcomeBatch& b) const;

  // Atomically, for each invitees[i] in order: if one more send keeps every
  // cap, records a "sent" outcome for it at max(min(ts, limits.Now()), now)
  // -- a reservation is a send happening now, so a ts ahead of the present
  // (within the tolerance) is taken as the present -- and sets granted[i].
  // Validates first (as Record() does); an invitee outside the graph is
  // kNotFound naming its row, and nothing is applied. The grants are logged
  // to `log` (if set) as one event before they are applied.
  absl::StatusOr<std::vector<bool>> Reserve(UserId inviter,
                                            absl::Span<const UserId> invitees,
                                            ItemId item, Timestamp ts,
                                            EventLog* log = nullptr);
  // Reserve()'s checks, and the times it would decide with.
  absl::StatusOr<ReservePlan> PlanReserve(UserId inviter,
                                          absl::Span<const UserId> invitees,
                                          ItemId item, Timestamp ts) const;

  // Applies an event as Record(), Reserve() or Forget() made it (replaying a
  // log, or following another process's). kAborted if retired. For a
  // kForget event, `forgotten` (if set) gets what Forget() would return.
  absl::Status Apply(const StateEvent& e, int64_t* forgotten = nullptr);

  // The caps this state enforces.
  absl::Span<const InviteCap> caps() const { return caps_; }

  // Sends recorded for `user` in (now - window_seconds, now]; only kept with
  // caps, and only within the longest cap window.
  int64_t RecentSends(UserId user, int64_t window_seconds) const;

  // The state of `user` (in the graph or in the side table) at now().
  RecipientFeedback Lookup(UserId user) const;

  // The whole state by user id (under the reader lock).
  PortableRecipientState Export() const;
  // Export() under the writer lock, after which this state is retired: every
  // later Record() or Reserve() fails with IsRetired(status) true, so the
  // caller can retry on the state that replaced it and nothing recorded is
  // lost. Reads keep working on the state as it was.
  PortableRecipientState Retire();
  // Undoes Retire() (when the state meant to replace this one failed).
  void Reopen();
  // Replaces the state with `p` (users outside the graph go to the side
  // table; their send times are dropped, as they cannot be recommended). The
  // clock becomes max(graph as_of, p.now), at most limits.Now(). A send time
  // or fatigue time after limits.Now() + max_future_seconds (a state saved
  // before time limits existed, moved by an implausible row) is clamped to
  // that bound: it keeps counting against caps and fatigue as the latest
  // plausible send, and cannot hold the clock in the future.
  // kInvalidArgument if `p`'s arrays are inconsistent.
  absl::Status Import(const PortableRecipientState& p);
  // Erases every record and send time of `users` (logged to `log` first, if
  // set); returns how many had any.
  absl::StatusOr<int64_t> Forget(absl::Span<const UserId> users,
                                 EventLog* log = nullptr);
  // Export() of this state, and `op()` run while no write can happen (under
  // the reader lock): how a store snapshots the state at a known point of
  // its log. An error of `op` is returned.
  template <typename Op>
  absl::StatusOr<PortableRecipientState> ExportAnd(const Op& op) const {
    std::shared_lock<RwLock> lock(mu_);
    PortableRecipientState p = ExportLocked();
    const absl::Status s = op();
    if (!s.ok()) return s;
    return p;
  }
  // Import(p), then `op(e)` with e the state's Export() after it, under the
  // writer lock throughout: how a store makes an import durable before any
  // later write is applied. If `op` fails, the state is put back as it was
  // and the error returned.
  template <typename Op>
  absl::Status ImportAnd(const PortableRecipientState& p, const Op& op) {
    INVITEGRAPH_RETURN_IF_ERROR(CheckPortable(p));
    const TimeLimits limits = FixedLimits();
    std::unique_lock<RwLock> lock(mu_);
    PortableRecipientState before = ExportLocked();
    ImportLocked(p, limits);
    const absl::Status s =
        op(static_cast<const PortableRecipientState&>(ExportLocked()));
    if (!s.ok()) ImportLocked(before, limits);
    return s;
  }

  static bool IsRetired(const absl::Status& s) {
    return s.code() == absl::StatusCode::kAborted;
  }

  // Holds a reader lock for its lifetime.
  class Reader {
   public:
    explicit Reader(const RecipientState& s);
    const FeedbackView& view() const { return view_; }

   private:
    std::shared_lock<RwLock> lock_;
    FeedbackView view_;
  };

 private:
  // Adds one outcome at `ts` to `r`.
  void Apply(RecipientRecord& r, Timestamp ts, Outcome o) const;
  // Applies `e` whose users resolve to `nodes` (kNoNode: outside the graph).
  // Returns what ForgetLocked() does for a kForget event, else 0.
  int64_t ApplyLocked(const StateEvent& e, absl::Span<const NodeId> nodes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int64_t ForgetLocked(absl::Span<const UserId> users)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<NodeId> Resolve(absl::Span<const UserId> users) const;
  // Allocates the dense tables on first use.
  void EnsureDense() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops send times of `v` at or before now_ - longest window.
  void Prune(NodeId v) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const GraphData& graph_;
  const FeedbackConfig config_;
  const double inv_half_life_s_;
  const std::vector<InviteCap> caps_;
  const int64_t longest_window_;  // 0: no caps, send times are not kept
  const TimeLimits limits_;

  mutable RwLock mu_;
  // Allocated on the first outcome for an invitee in the graph.
  std::vector<RecipientRecord> records_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<UserId, RecipientRecord> unknown_ ABSL_GUARDED_BY(mu_);
  // Send times by NodeId within the longest cap window, allocated with
  // records_ when there are caps.
  std::vector<std::vector<Timestamp>> sends_ ABSL_GUARDED_BY(mu_);
  // The latest of the graph's as_of and every recorded ts, each taken at most
  // at limits_.Now() of the moment it was recorded.
  Timestamp now_ ABSL_GUARDED_BY(mu_);
  bool retired_ ABSL_GUARDED_BY(mu_) = false;

  PortableRecipientState ExportLocked() const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  static absl::Status CheckPortable(const PortableRecipientState& p);
  void ImportLocked(const PortableRecipientState& p, const TimeLimits& limits)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  TimeLimits FixedLimits() const;
};

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_FEEDBACK_RECIPIENT_STATE_H_
