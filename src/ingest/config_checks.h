// The checks of a GraphConfig, shared by GraphBuilder (every Add*, Build and
// PartialArcs) and snapshot loads.
#ifndef INVITEGRAPH_INGEST_CONFIG_CHECKS_H_
#define INVITEGRAPH_INGEST_CONFIG_CHECKS_H_

#include "absl/status/status.h"
#include "invitegraph/graph_config.h"

namespace invitegraph {

// OK, or kInvalidArgument naming the first field out of range: half-life,
// friendship weight, new-user days, join-rate prior, time limits, channel
// weights.
absl::Status ValidateConfig(const GraphConfig& c);

}  // namespace invitegraph

#endif  // INVITEGRAPH_INGEST_CONFIG_CHECKS_H_
