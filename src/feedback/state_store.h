// State stores: the backends of RecommenderConfig::state (invitegraph/state.h).
//
// Every backend keeps the state a request reads in this process's memory, as
// a RecipientState (dense by NodeId, read under a reader lock: no store adds
// work to the request path). What differs is how a write becomes durable and
// shared:
//
//   memory   the RecipientState is all there is
//   journal  each write is logged (state_event.h) before it is applied, and
//            acknowledged once on disk; the log is replayed on open
//            (journal_store.cc)
//   redis    each write is decided and logged on the server (a cap check and
//            the sends it admits are one Lua script), and this process's
//            state follows the server's log, its own writes included
//            (redis_store.cc)
//
// A Recommender owns one store for its lifetime; its graph generations come
// and go (SwapGraph), so the store reaches the current state through a
// StateHost.
#ifndef INVITEGRAPH_FEEDBACK_STATE_STORE_H_
#define INVITEGRAPH_FEEDBACK_STATE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "feedback/recipient_state.h"
#include "invitegraph/state.h"

namespace invitegraph::internal {

// The parsed form of a spec (invitegraph/state.h has the syntax).
struct StateSpec {
  enum class Kind { kMemory, kJournal, kRedis };
  Kind kind = Kind::kMemory;
  // journal
  std::string dir;
  bool group_commit = false;
  int group_ms = 10;
  int64_t compact_bytes = int64_t{64} << 20;
  // redis
  std::string host;
  int port = 6379;
  int db = 0;
  std::string prefix = "ig:";
  int timeout_ms = 1000;
  // Compact the shared log (snapshot + trim) when it passes this many
  // entries.
  int64_t compact_events = 100000;
};

// kInvalidArgument naming `field`, the spec and the problem.
absl::StatusOr<StateSpec> ParseStateSpec(std::string_view spec,
                                         std::string_view field = "state");

// What a store needs of the Recommender that owns it.
class StateHost {
 public:
  virtual ~StateHost() = default;
  // Runs `op` on the current generation's state while no swap can start.
  virtual absl::Status WithState(
      absl::FunctionRef<absl::Status(RecipientState&)> op) = 0;
  // Applies `e` to the current generation's state (on the next one if a swap
  // retires it meanwhile).
  virtual absl::Status ApplyEvent(const StateEvent& e) = 0;
};

class StateStore {
 public:
  virtual ~StateStore() = default;

  // Brings `state` (the first generation's, empty) to what the store holds.
  // Called once, before Start().
  virtual absl::Status Restore(RecipientState& state) = 0;
  // Starts background work (compaction, following) against `host`, which
  // outlives the store.
  virtual void Start(StateHost* host) { (void)host; }

  // The state operations of a Recommender, on `state`, the current
  // generation's. kAborted (RecipientState::IsRetired) when a swap retired
  // it before anything was done: the caller retries on the new one.
  virtual absl::StatusOr<OutcomeReport> Record(RecipientState& state,
                                               const OutcomeBatch& b) = 0;
  virtual absl::StatusOr<std::vector<bool>> Reserve(
      RecipientState& state, UserId inviter, absl::Span<const UserId> invitees,
      ItemId item, Timestamp ts) = 0;
  virtual absl::StatusOr<int64_t> Forget(RecipientState& state,
                                         absl::Span<const UserId> users) = 0;
  // Replaces the state with `p` (LoadState), durably.
  virtual absl::Status Import(RecipientState& state,
                              const PortableRecipientState& p) = 0;

  virtual StateStoreInfo Info() const = 0;
};

// The store a spec names, opened (a journal's directory locked and read, a
// Redis server reached). `caps` and `limits` are the Recommender's.
absl::StatusOr<std::unique_ptr<StateStore>> OpenStateStore(
    std::string_view spec, absl::Span<const InviteCap> caps,
    const TimeLimits& limits);

// The backends (each in its own file).
std::unique_ptr<StateStore> MakeMemoryStore();
absl::StatusOr<std::unique_ptr<StateStore>> OpenJournalStore(
    const StateSpec& spec);
absl::StatusOr<std::unique_ptr<StateStore>> OpenRedisStore(
    const StateSpec& spec, absl::Span<const InviteCap> caps,
    const TimeLimits& limits);

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_FEEDBACK_STATE_STORE_H_
