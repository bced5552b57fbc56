// File: graph_builder.h
// Stages validated event batches and builds an immutable SocialGraph from them.
//
//   invitegraph::GraphBuilder b(invitegraph::GraphConfig{.half_life_days =
//   30}); INVITEGRAPH_RETURN_IF_ERROR(b.AddFriendships({.src = src, .dst =
//   dst})); INVITEGRAPH_RETURN_IF_ERROR(b.AddInteractions({.src = s, .dst = d,
//   .kind = k, .ts = t}));
//   INVITEGRAPH_ASSIGN_OR_RETURN(invitegraph::SocialGraph g, b.Build());
//
// Every Add*() call is validate-then-commit: the whole batch is checked first,
// and a bad row returns kInvalidArgument naming the table, column, row (within
// the batch) and value, with nothing of that batch applied. Earlier batches
// stay staged.
//
// Thread safety: a GraphBuilder is not thread-safe; use one per thread. Build()
// is const and may be called repeatedly (e.g. with different `as_of`).
#ifndef INVITEGRAPH_GRAPH_BUILDER_H_
#define INVITEGRAPH_GRAPH_BUILDER_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "invitegraph/abuse.h"
#include "invitegraph/arc_partials.h"
#include "invitegraph/events.h"
#include "invitegraph/profiles.h"
#include "invitegraph/progress.h"
#include "invitegraph/social_graph.h"
#include "invitegraph/time_limits.h"
#include "invitegraph/types.h"

namespace invitegraph {
namespace internal {
struct StagedEvents;
}  // namespace internal

// --- Idempotent ingestion -------------------------------------------------
// How rows without an event_id are deduplicated (events.h). Rows with an id
// are always keyed by their id.
enum class Dedupe {
  // No dedupe: every row without an id counts, repeats included.
  kNone,
  // A row equal to an already applied row of its table in every column
  // (validated values: ids, channel, ts, category, amount bits, and for
  // campaigns the joined and invited lists in order) is skipped, within and
  // across batches and across SocialGraph::Update. Rows are compared by a
  // stable 128-bit fingerprint (src/ingest/event_key.h: the chance of any
  // collision among 10^9 distinct rows is below 3e-21). An absent category is
  // the same as -1; an absent amount differs from any amount. A row with an
  // id and one without never match.
  kExact,
};
// "none" / "exact".
std::string_view DedupeName(Dedupe d);
absl::StatusOr<Dedupe> ParseDedupe(std::string_view name);
// --- end idempotent ingestion ----------------------------------------------

struct GraphConfig {
  // Each event's weight halves every `half_life_days` before `as_of`.
  double half_life_days = 30.0;
  // Tie-strength weight of each channel, by name; channels not named keep their
  // defaults (chat 1.0, like 0.3, comment 0.5, share 0.8, visit 0.2,
  // assist 1.5, team_join 2.0, invite_accepted 2.0). Unknown names are
  // kInvalidArgument at Build().
  std::map<std::string, double> channel_weights = {};
  // Tie strength contributed by a declared friendship, in both directions.
  double friendship_weight = 1.0;
  // A user first seen within this many days before `as_of` is "new".
  double new_user_days = 30.0;
  // Beta prior of the join rate: mean and strength (pseudo-exposures).
  double join_rate_prior_mean = 0.1;
  double join_rate_prior_strength = 10.0;
  // Worker threads for Build(); 0 means all hardware threads.
  int num_threads = 0;
  // Dedupe of rows without an event_id (see Dedupe above). Keys of applied
  // rows (ids, and fingerprints under kExact) are kept by the builder and by
  // the graph it builds (16 bytes each), saved in snapshots and carried
  // through Update and Forget, so a replay is skipped whenever it arrives.
  Dedupe dedupe = Dedupe::kNone;
  // Plausible times (time_limits.h): every ts of the event tables, checked
  // when a batch is added, and an explicit BuildOptions::as_of,
  // PartialArcs(as_of) or UpdateOptions::as_of must lie in [earliest,
  // now + max_future_seconds]; a value outside is kInvalidArgument naming
  // table, column, row and value. Kept by the graph (config()) and its
  // snapshots, so SocialGraph::Update() checks as_of by the same limits.
  TimeLimits time_limits = {};

  // kInvalidArgument naming the first bad field (GraphConfig.<field>=value):
  // half_life_days finite and > 0, friendship_weight finite and >= 0,
  // new_user_days >= 0, join_rate_prior_mean in [0, 1],
  // join_rate_prior_strength finite and > 0, valid time_limits, and
  // channel_weights as ResolveChannelWeights() accepts them.
  // Build(), Update() and snapshot loads call it.
  absl::Status Validate() const;
};

// Returns the tie-strength weight of every channel after applying config
// overrides, or kInvalidArgument naming an unknown channel or a negative /
// non-finite weight.
absl::StatusOr<std::array<double, kNumChannels>> ResolveChannelWeights(
    const GraphConfig& config);

struct BuildOptions {
  // Reference time for decay and activity windows; default: the latest
  // timestamp staged.
  std::optional<Timestamp> as_of = std::nullopt;
  ProgressFn progress = {};
  // Keep the staged events with the graph (shared, not copied, until the
  // builder changes) so that BuildTrainingSet() can rebuild it without a
  // training record's own events or as of the record's time. Costs about the
  // size of the input tables for as long as the graph lives.
  bool keep_events = false;
  // Detect communities (SocialGraph::communities()). Single-threaded Louvain
  // level 1: about 38 s at 1 M users and 48 M arcs. Without it communities()
  // is empty and community() returns kNoCommunity.
  bool communities = true;
  // Compute the influence measures (SocialGraph::pagerank(), core_number(),
  // clustering()) in parallel over the finished CSR. Without them
  // has_centrality() is false and the candidate_pagerank,
  // candidate_core_number and candidate_clustering features are 0.
  bool centrality = true;
  // Score abuse (abuse.h) once the graph is built, from the staged events
  // (so lockstep needs no kept events), and attach the scores as
  // SocialGraph::WithAbuse() would. Unset: no scores.
  std::optional<AbuseOptions> abuse = std::nullopt;
};

// Counts of what a GraphBuilder holds: rows of each table as added. The
// team_join interactions and purchases that campaigns imply are derived at
// Build() and are not counted here.
struct StagedCounts {
  int64_t friendships = 0;
  int64_t interactions = 0;
  int64_t purchases = 0;
  int64_t campaigns = 0;
  int64_t profiles = 0;  // profile rows
  int64_t users = 0;
  int64_t items = 0;
  // Rows skipped as already applied (same event_id, or equal under
  // Dedupe::kExact); not included in the row counts above.
  int64_t duplicate_interactions = 0;
  int64_t duplicate_purchases = 0;
  int64_t duplicate_campaigns = 0;
};

class GraphBuilder {
 public:
  explicit GraphBuilder(GraphConfig config = {});
  ~GraphBuilder();
  GraphBuilder(GraphBuilder&&) noexcept;
  GraphBuilder& operator=(GraphBuilder&&) noexcept;

  // Declared contacts, undirected. Rejects negative ids and self-loops.
  absl::Status AddFriendships(const FriendshipBatch& batch);
  // Directed interactions. Rejects negative ids, self-loops, implausible
  // timestamps (GraphConfig::time_limits) and unknown channels.
  absl::Status AddInteractions(const InteractionBatch& batch);
  // As above with a dictionary-encoded kind column; an unknown kind name is
  // reported at the first row using it, with the list of known names.
  absl::Status AddInteractions(const EncodedInteractionBatch& batch);
  absl::Status AddPurchases(const PurchaseBatch& batch);
  // Campaign history. Each joiner adds a team_join interaction joiner ->
  // inviter and a purchase of the item, both at the campaign's ts (at `as_of`
  // when ts is absent). Exposures for join rates come from `invited` when
  // given, else from the inviter's contacts in the built graph.
  absl::Status AddCampaigns(const CampaignBatch& batch);

  // User attributes (profiles.h): upserts each user's values column by
  // column. Rejects negative or repeated users, names that are not
  // identifiers or are reserved, a column whose type differs from an earlier
  // batch's, codes outside the dictionary, repeated dictionary strings,
  // bad tag offsets and infinite numbers.
  absl::Status AddProfiles(const ProfileBatch& batch);

  StagedCounts counts() const;

  // Builds the graph. kInvalidArgument if an explicit `as_of` is implausible
  // (GraphConfig::time_limits), if a staged timestamp is after `as_of`
  // (naming the table and the row, counted across all batches of that table)
  // or if the config is bad; kFailedPrecondition if nothing was staged.
  absl::StatusOr<SocialGraph> Build(const BuildOptions& options = {}) const;

  // The staged friendships, interactions and campaign joins as exact partial
  // aggregates of arcs decayed to `as_of` (arc_partials.h): one row per
  // directed arc, in ascending (src, dst) order of external ids, reverse arcs
  // included. Merging the partials of several builders that split the rows
  // any way, then FinishArc, gives exactly the arcs Build(as_of) of all the
  // rows reports. kInvalidArgument if `as_of` is implausible
  // (GraphConfig::time_limits) or a staged timestamp is after it; empty when
  // nothing is staged. `num_threads` 0: the config's.
  absl::StatusOr<ArcPartialTable> PartialArcs(Timestamp as_of,
                                              int num_threads = 0) const;

 private:
  friend class SocialGraph;  // Update() reads the staged rows
  internal::StagedEvents& Mutable();
  GraphConfig config_;
  std::shared_ptr<internal::StagedEvents> staged_;
};

}  // namespace invitegraph

#endif  // INVITEGRAPH_GRAPH_BUILDER_H_
