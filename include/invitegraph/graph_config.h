// File: graph_config.h
// How a graph is built from events (GraphConfig) and what a built graph holds
// (GraphStats): the settings and figures every layer from ingestion up reads,
// apart from the builder itself (graph_builder.h).
//
// clang-format off
//   invitegraph::GraphConfig config{.half_life_days = 14, .dedupe = invitegraph::Dedupe::kExact};
//   invitegraph::GraphBuilder builder(config);
// clang-format on
//
// Thread safety: plain values.
#ifndef INVITEGRAPH_GRAPH_CONFIG_H_
#define INVITEGRAPH_GRAPH_CONFIG_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "invitegraph/time_limits.h"
#include "invitegraph/types.h"

namespace invitegraph {

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
  // Purchases implied by campaign history (docs/training.md, "When the
  // purchase log holds the participations"): each campaign row already
  // counts a purchase of its item by the inviter and by each joiner, so an
  // explicit purchase row of that participant and item stamped within this
  // many days of the campaign (any time for a campaign without ts) is the
  // same participation, recognised and counted once, through the campaign:
  // whenever a training rebuild leaves the campaign out, the purchase goes
  // with it and cannot leak the label. At most one row per participant and
  // campaign (the nearest in time; ties: the earlier row). Counted in
  // GraphStats::purchases_matched. < 0: off, every purchase row counts.
  double participation_window_days = 3.0;

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

struct GraphStats {
  int64_t num_nodes = 0;
  int64_t num_arcs = 0;  // directed
  int64_t num_items = 0;
  int64_t num_categories = 0;
  int64_t num_events = 0;    // interactions + purchases + friendships ingested
  int64_t arc_bytes = 0;     // target + arc record bytes
  int64_t offset_bytes = 0;  // CSR row offsets
  int64_t total_bytes = 0;   // everything the graph holds
  Timestamp as_of = 0;
  int64_t num_communities = 0;  // distinct values of SocialGraph::communities()
  double build_seconds = 0;
  double community_seconds = 0;  // part of build_seconds spent on communities
  // Rows skipped as already applied (event ids, GraphConfig::dedupe): a
  // build's total; an Update's own, i.e. those its builder skipped plus those
  // already applied to the graph being updated.
  int64_t duplicates_skipped = 0;
  // Purchase rows recognised as campaign participations
  // (GraphConfig::participation_window_days), counted once through their
  // campaign.
  int64_t purchases_matched = 0;
  // Part of build_seconds spent on the influence measures (pagerank(),
  // core_number(), clustering()), and the wall time of each; the k-core
  // peeling overlaps PageRank when num_threads != 1, so the three can add up
  // to more than centrality_seconds. Not kept by snapshots except the total.
  double centrality_seconds = 0;
  double pagerank_seconds = 0;
  double core_seconds = 0;
  double clustering_seconds = 0;
};

}  // namespace invitegraph

#endif  // INVITEGRAPH_GRAPH_CONFIG_H_
