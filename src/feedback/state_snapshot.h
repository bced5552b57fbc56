// State snapshots: a Recommender's recorded outcomes and send times by user
// id, in the snapshot container (snapshot_file.h, kind "state").
#ifndef INVITEGRAPH_FEEDBACK_STATE_SNAPSHOT_H_
#define INVITEGRAPH_FEEDBACK_STATE_SNAPSHOT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "feedback/recipient_state.h"

namespace invitegraph::internal {

// Written atomically (snapshot_file.h); returns the bytes written.
absl::StatusOr<int64_t> WriteStateFile(const PortableRecipientState& p,
                                       const std::string& path);
std::string StateBytes(const PortableRecipientState& p);
// Validated: kDataLoss on damage, naming the problem (and the path).
absl::StatusOr<PortableRecipientState> ReadStateFile(const std::string& path);
absl::StatusOr<PortableRecipientState> ParseStateBytes(std::string_view bytes);

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_FEEDBACK_STATE_SNAPSHOT_H_
