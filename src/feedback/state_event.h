// One change to recipient state, by user id and as it was applied: the unit a
// durable state store logs (journal records, Redis stream entries) and
// replays. Applying the same events in the same order to the same starting
// state gives the same state, bit for bit, whatever the backend
// (RecipientState::Apply).
#ifndef INVITEGRAPH_FEEDBACK_STATE_EVENT_H_
#define INVITEGRAPH_FEEDBACK_STATE_EVENT_H_

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "invitegraph/outcomes.h"
#include "invitegraph/types.h"

namespace invitegraph::internal {

struct StateEvent {
  enum class Kind : uint8_t {
    // Rows (users[i], ts[i], outcomes[i]) as RecordOutcomes() takes them, or
    // a reservation's grants (each a "sent" row at the reservation's time).
    kOutcomes = 1,
    // ForgetUsers(users): every record and send time of `users` goes.
    kForget = 2,
  };
  Kind kind = Kind::kOutcomes;
  // The clock after the event is max(clock before, `clock`) (kOutcomes).
  Timestamp clock = std::numeric_limits<Timestamp>::min();
  std::vector<UserId> users;
  std::vector<Timestamp> ts;      // kOutcomes: parallel to users
  std::vector<Outcome> outcomes;  // kOutcomes: parallel to users
};

// The event's bytes, little-endian: kind (1 byte), clock (8), row count (4),
// then per row user (8), and for kOutcomes ts (8) and outcome (1). Appended
// to `out`.
void AppendEventBytes(const StateEvent& e, std::string* out);

// The inverse; kDataLoss naming what is wrong (an unknown kind or outcome, a
// length that does not match the row count) for bytes AppendEventBytes did
// not write.
absl::StatusOr<StateEvent> ParseEventBytes(std::string_view bytes);

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_FEEDBACK_STATE_EVENT_H_
