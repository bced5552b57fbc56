// File: events.h
// Column views of the event tables that GraphBuilder ingests. Each view borrows
// its columns (absl::Span); nothing is copied until the builder stages a
// validated batch.
//
//   std::vector<int64_t> src = {1, 2}, dst = {2, 3};
//   builder.AddFriendships({.src = src, .dst = dst});
//
// All columns of one batch must have the same length (else kInvalidArgument).
// Optional columns are left empty.
//
// Idempotent ingestion: interactions, purchases and campaigns take an optional
// `event_id` column (any int64 value). A row whose id was already applied to
// the same table (earlier in the batch, in an earlier batch of the builder,
// or, for SocialGraph::Update, to the graph being updated or anything it was
// built or updated from) is skipped and counted (StagedCounts::duplicate_*,
// GraphStats::duplicates_skipped). The first row with an id wins: a later row
// with the same id is skipped even if its other columns differ. Each table has
// its own id space. Without ids, GraphConfig::dedupe = Dedupe::kExact skips
// rows equal in every column instead (graph_builder.h).
#ifndef INVITEGRAPH_EVENTS_H_
#define INVITEGRAPH_EVENTS_H_

#include <cstdint>

#include "absl/types/span.h"
#include "invitegraph/types.h"

namespace invitegraph {

// Undirected declared contacts. Duplicates and both directions are allowed.
struct FriendshipBatch {
  absl::Span<const UserId> src = {};
  absl::Span<const UserId> dst = {};
};

// Directed interactions src -> dst of a channel at unix time `ts`.
struct InteractionBatch {
  absl::Span<const UserId> src = {};
  absl::Span<const UserId> dst = {};
  absl::Span<const Channel> kind = {};
  absl::Span<const Timestamp> ts = {};
  absl::Span<const int64_t> event_id = {};  // optional
};

// Interactions whose `kind` column is dictionary-encoded: row i has kind
// `kind_names[kind_codes[i]]` (as a pandas Categorical or Arrow dictionary
// holds it).
struct EncodedInteractionBatch {
  absl::Span<const UserId> src = {};
  absl::Span<const UserId> dst = {};
  absl::Span<const int32_t> kind_codes = {};
  absl::Span<const std::string> kind_names = {};
  absl::Span<const Timestamp> ts = {};
  absl::Span<const int64_t> event_id = {};  // optional
};

// Purchases of `item` by `user` at `ts`. Optional: `category` (>= 0, or
// kNoCategory) and `amount` (finite, >= 0).
struct PurchaseBatch {
  absl::Span<const UserId> user = {};
  absl::Span<const ItemId> item = {};
  absl::Span<const Timestamp> ts = {};
  absl::Span<const CategoryId> category = {};  // optional
  absl::Span<const double> amount = {};        // optional
  absl::Span<const int64_t> event_id = {};     // optional
};

// Past campaigns: `inviter` started a team-up for `item`; row r's joiners are
// `joined[joined_offsets[r] .. joined_offsets[r+1])` (offsets have size rows+1
// and start at 0). Optional: `ts`, `category`, and `invited` in the same offset
// layout.
struct CampaignBatch {
  absl::Span<const UserId> inviter = {};
  absl::Span<const ItemId> item = {};
  absl::Span<const int64_t> joined_offsets = {};
  absl::Span<const UserId> joined = {};
  absl::Span<const Timestamp> ts = {};             // optional
  absl::Span<const CategoryId> category = {};      // optional
  absl::Span<const int64_t> invited_offsets = {};  // optional
  absl::Span<const UserId> invited = {};           // optional
  // Optional. A campaign row's implied team_join interactions and purchases
  // are applied or skipped with the row.
  absl::Span<const int64_t> event_id = {};
};

}  // namespace invitegraph

#endif  // INVITEGRAPH_EVENTS_H_
