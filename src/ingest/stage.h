// Staging of the event tables: the work behind GraphBuilder::Add*. Each call
// checks a whole batch against the rows already staged, and only then writes:
// a bad row returns kInvalidArgument naming the table, column, row (within the
// batch) and value, with nothing of the batch applied.
#ifndef INVITEGRAPH_INGEST_STAGE_H_
#define INVITEGRAPH_INGEST_STAGE_H_

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "ingest/staged_events.h"
#include "invitegraph/events.h"
#include "invitegraph/graph_config.h"
#include "invitegraph/profiles.h"

namespace invitegraph::internal {

// The staged rows a batch is checked against, and the way to reach them for
// writing once it passed: GraphBuilder copies rows it shares with graphs
// built with keep_events before changing them, so `writable` is called only
// for a batch that adds something.
struct StagingTarget {
  const StagedEvents& current;
  absl::FunctionRef<StagedEvents&()> writable;
};

absl::Status IngestProfiles(const GraphConfig& config, const StagingTarget& to,
                            const ProfileBatch& b);
absl::Status IngestFriendships(const GraphConfig& config,
                               const StagingTarget& to,
                               const FriendshipBatch& b);
absl::Status IngestInteractions(const GraphConfig& config,
                                const StagingTarget& to,
                                const InteractionBatch& batch);
// Resolves the kind dictionary (a bad entry is reported at the first row that
// uses it), then stages as above.
absl::Status IngestInteractions(const GraphConfig& config,
                                const StagingTarget& to,
                                const EncodedInteractionBatch& b);
absl::Status IngestPurchases(const GraphConfig& config, const StagingTarget& to,
                             const PurchaseBatch& batch);
absl::Status IngestCampaigns(const GraphConfig& config, const StagingTarget& to,
                             const CampaignBatch& batch);

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_INGEST_STAGE_H_
