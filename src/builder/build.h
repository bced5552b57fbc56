// Building a SocialGraph from staged rows: the step GraphBuilder::Build,
// SocialGraph::Update and training-set rebuilds share.
#ifndef INVITEGRAPH_BUILDER_BUILD_H_
#define INVITEGRAPH_BUILDER_BUILD_H_

#include <memory>

#include "absl/status/statusor.h"
#include "ingest/staged_events.h"
#include "invitegraph/graph_builder.h"
#include "invitegraph/graph_config.h"
#include "invitegraph/social_graph.h"

namespace invitegraph::internal {

// Builds a graph from staged rows; `keep` (may be null) is attached to the
// graph as its source events.
absl::StatusOr<SocialGraph> BuildFromStaged(
    const StagedEvents& s, std::shared_ptr<const StagedEvents> keep,
    const GraphConfig& config, const BuildOptions& options);

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_BUILDER_BUILD_H_
