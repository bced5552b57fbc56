// The Redis store ("redis://HOST:PORT[/DB]"): not built yet.
#include "feedback/state_store.h"

namespace invitegraph::internal {

absl::StatusOr<std::unique_ptr<StateStore>> OpenRedisStore(
    const StateSpec& spec, absl::Span<const InviteCap>, const FeedbackConfig&) {
  return absl::UnimplementedError("state=redis://" + spec.host +
                                  ": the Redis store is not built yet");
}

}  // namespace invitegraph::internal
