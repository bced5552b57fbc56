// File: social_graph.h
// The immutable social graph: a CSR adjacency of directed arcs with
// time-decayed per-channel weights and tie strength, per-user shopping/activity
// profiles and an item index. Built by GraphBuilder; cheap to copy (shared,
// reference-counted storage).
//
//   std::optional<NodeId> n = g.FindNode(123);
//   for (NodeId v : g.neighbors(*n)) { ArcInfo a = g.arc(*n, v_index); ... }
//
// The arc set is symmetric: whenever u and v are declared friends or interacted
// in either direction, both u->v and v->u exist, each carrying the weights of
// events in its own direction (possibly zero). `neighbors(u)` is therefore the
// undirected contact set, sorted by NodeId.
//
// Storage: 4 bytes of target plus a 12-byte arc record (16 bytes per directed
// arc) plus 8 bytes per node of row offsets. Channel weights are stored
// log-quantised to 8 bits (relative error <= 3.2% in [9.8e-4, 8.7e3), smaller
// weights read as 0), tie strength to 16 bits (relative error <= 0.02% in
// [6.1e-5, 2.6e5)), and the last interaction in whole days. Powers of two, such
// as one undecayed event, are exact.
//
// Thread safety: all methods are const and safe to call concurrently.
#ifndef INVITEGRAPH_SOCIAL_GRAPH_H_
#define INVITEGRAPH_SOCIAL_GRAPH_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "invitegraph/graph_config.h"
#include "invitegraph/profiles.h"
#include "invitegraph/types.h"

namespace invitegraph {

struct AbuseReport;
class GraphBuilder;
namespace internal {
struct GraphData;
}  // namespace internal

// SocialGraph::community() of a graph built without communities.
inline constexpr uint32_t kNoCommunity = UINT32_MAX;

// `days_since_last_interaction` of an arc without any interaction (friendship
// only, or a 2-hop candidate): ten years.
inline constexpr float kNeverDays = 3650.0f;

struct ArcInfo {
  NodeId target = kNoNode;
  float tie_strength =
      0;  // sum of channel weight * decayed events (+ friendship)
  std::array<float, kNumChannels>
      channel_weight{};  // decayed event counts, by Channel
  float days_since_last_interaction = kNeverDays;  // whole days before as_of
  bool is_friend = false;                          // declared friendship
};

struct UserProfile {
  UserId user = -1;
  int64_t degree = 0;         // undirected contacts
  float activity_7d = 0;      // interactions sent + purchases, last 7 days
  float activity_30d = 0;     // ... last 30 days
  Timestamp first_seen = -1;  // earliest timestamped event, -1 if none
  bool is_new = false;        // first_seen within GraphConfig::new_user_days
  float joins = 0;            // campaigns joined
  float exposures = 0;        // campaigns invited to (or reachable from)
  float join_rate = 0;        // Beta-smoothed joins / exposures
  float purchase_weight = 0;  // total decayed purchases
  // Decayed purchases per category, sorted by category id.
  std::vector<std::pair<CategoryId, float>> category_affinity;
};

// Options of SocialGraph::Update().
struct UpdateOptions {
  // Reference time of the new graph; default: the later of the graph's as_of
  // and the latest timestamp in the new events. Earlier than the graph's
  // as_of, or implausible by the graph's GraphConfig::time_limits
  // (time_limits.h), is kInvalidArgument.
  std::optional<Timestamp> as_of = std::nullopt;
  // Re-detect communities over the merged graph (as a build does); false
  // leaves the new graph without communities.
  bool communities = true;
  // Recompute the influence measures (pagerank(), core_number(),
  // clustering()) over the merged graph; false leaves the new graph without
  // them.
  bool centrality = true;
};

// Options of SocialGraph::Forget().
struct ForgetOptions {
  // Ids not in the graph are skipped and counted (ForgetReport::unknown);
  // false makes the first one kNotFound.
  bool ignore_unknown = true;
  // Re-detect communities without the forgotten users' arcs (the partition
  // they shaped goes too); false keeps the others' labels, renumbered densely.
  bool communities = true;
  // Recompute the influence measures without the forgotten users when this
  // graph has them (they depend on the whole graph, so kept values would be
  // stale); false drops them.
  bool centrality = true;
};

struct SnapshotOptions {
  // Write the kept events too (when has_events()), so that the loaded graph
  // can build training sets (BuildTrainingSet) and find abuse from its
  // assists as this one can. With them a snapshot is 1.6-2.7x as large on
  // the public datasets and synthetic worlds (docs/snapshots.md,
  // "Snapshots and hot swap"). false leaves them out -- smaller files for a
  // graph that will only serve; BuildTrainingSet on the loaded graph then says
  // that is why it has none.
  bool events = true;
};

// Options of SocialGraph::Load().
struct LoadOptions {
  // Serve the arcs -- row offsets, neighbour ids and arc records, most of a
  // snapshot's bytes -- from a read-only shared mapping of the file (mmap(2))
  // instead of reading them: the graph is ready in a time independent of the
  // number of arcs (the per-user columns and item index are still read and
  // checked, O(users + purchase rows)), and its arcs take no memory of their
  // own, only page cache shared with every process mapping the same file.
  // Pages are read when first touched. Unless `verify`, the neighbour ids
  // and arc records are trusted, not checked: a file damaged or rewritten in
  // place can make requests fail or read out of bounds. Safe with Save():
  // it renames a new file over the path, so a mapping keeps the old file;
  // deleting the path is harmless too (docs/snapshots.md, "Mapped loads").
  bool mmap = false;
  // With mmap: also check the mapped arcs as a read does (checksums, sorted
  // rows, ids in range, symmetric arcs): O(arcs) time, still no copy. A load
  // without mmap always checks everything; this is then ignored.
  bool verify = false;
  // Threads for checksums and checks (0: all cores). The outcome, graph or
  // error, is the same for every count.
  int num_threads = 0;

  // kInvalidArgument naming the field: num_threads < 0.
  absl::Status Validate() const;
};

struct ForgetReport {
  int64_t forgotten = 0;  // distinct users removed
  int64_t unknown = 0;    // ids skipped because they were not in the graph
};

class SocialGraph {
 public:
  explicit SocialGraph(std::shared_ptr<const internal::GraphData> data);

  int64_t num_nodes() const;
  int64_t num_arcs() const;
  Timestamp as_of() const;
  const GraphConfig& config() const;
  GraphStats stats() const;
  // True if built with BuildOptions::keep_events (needed by
  // BuildTrainingSet()).
  bool has_events() const;

  // Snapshots (format: src/io/snapshot_file.h): the graph, its profiles, item
  // index and communities, versioned and checksummed, and its kept events
  // (has_events(); SnapshotOptions::events), so that a loaded graph builds
  // the same training sets. Save() writes a temporary
  // file, fsyncs and renames it, so a crash mid-write leaves the old file
  // whole; it returns the bytes written. Load() reads the file in one pass and
  // validates every length, checksum and index before returning: a
  // truncated, damaged or wrong-version file is kDataLoss or
  // kFailedPrecondition naming the problem. The loaded graph answers exactly
  // as the saved one did. With LoadOptions::mmap the arcs are mapped instead
  // of read, and checked only with LoadOptions::verify (see there).
  absl::StatusOr<int64_t> Save(const std::string& path,
                               const SnapshotOptions& options = {}) const;
  static absl::StatusOr<SocialGraph> Load(const std::string& path,
                                          const LoadOptions& options = {});
  // True when the arcs are served from a mapped snapshot file
  // (LoadOptions::mmap): they live as long as this graph or a copy of it
  // does. Graphs made from it (Update, Forget) own theirs.
  bool mapped() const;
  // The same bytes in memory (pickling, shipping to Spark executors).
  absl::StatusOr<std::string> ToBytes(
      const SnapshotOptions& options = {}) const;
  static absl::StatusOr<SocialGraph> FromBytes(std::string_view bytes);

  // Update()
  //
  // Folds the events staged in `new_events` (a GraphBuilder holding only the
  // new rows; its GraphConfig is ignored, this graph's is used) into a new
  // graph as of `options.as_of`, without the old events: decayed weights are
  // rebased (w(t2) = w(t1) * 2^(-(t2 - t1) / half_life) + new), counts add,
  // first_seen takes the min, new users and items get dense ids after the old
  // ones, and the CSR rows are merged. Cost: O(nodes + arcs + profile rows)
  // for the rebase plus O(new events log new events), independent of how many
  // events built this graph; plus community detection unless disabled.
  // Equal to a build on all events up to quantisation (see docs/updating.md,
  // "Update" for the bounds and for what is approximated: activity
  // windows, exposures of campaigns without `invited`). kInvalidArgument if
  // as_of is before this graph's as_of or a new event is after as_of (naming
  // table, column and row); this graph is never changed. The result has no
  // kept events.
  //
  // Idempotent: a staged row whose key (event_id, or fingerprint under
  // GraphConfig::dedupe = kExact) was applied to this graph, or to any graph
  // it was built or updated from, is skipped (GraphStats::duplicates_skipped),
  // and the new graph remembers the union of both key sets. Rows are keyed
  // when staged, by the builder's config: give `new_events` this graph's
  // config() (as Python's SocialGraph.update does) so kExact applies.
  absl::StatusOr<SocialGraph> Update(const GraphBuilder& new_events,
                                     const UpdateOptions& options = {}) const;

  // Forget()
  //
  // A new graph without `users`: their nodes, arcs in both directions,
  // profiles, purchases (user rows and item buyer rows) and community labels.
  // Remaining users keep their data and their relative order; their NodeIds
  // are renumbered densely. Values other users derived from the forgotten
  // users' events when the graph was built (their first_seen, activity, joins,
  // exposures and implied purchases from shared campaigns) are kept: without
  // the events they cannot be separated. Negative ids are kInvalidArgument;
  // unknown ids see ForgetOptions::ignore_unknown. The result has no kept
  // events (they hold the forgotten users' rows). `report` may be null.
  // The keys of applied events (event ids, dedupe fingerprints) are kept: the
  // events were applied, so a replay of them is still skipped by Update()
  // and does not bring the forgotten users back.
  absl::StatusOr<SocialGraph> Forget(absl::Span<const UserId> users,
                                     const ForgetOptions& options = {},
                                     ForgetReport* report = nullptr) const;

  // External <-> internal ids.
  std::optional<NodeId> FindNode(UserId user) const;
  UserId user_id(NodeId node) const;
  absl::Span<const UserId> user_ids() const;  // indexed by NodeId

  // Raw CSR over NodeIds: row u's targets are arc_targets()[row_offsets()[u] ..
  // row_offsets()[u+1]), sorted.
  absl::Span<const uint64_t> row_offsets() const;
  absl::Span<const NodeId> arc_targets() const;

  // Sorted undirected contacts of `node`.
  absl::Span<const NodeId> neighbors(NodeId node) const;
  int64_t degree(NodeId node) const;
  // The i-th arc of `node` (0 <= i < degree(node)), in neighbors() order.
  ArcInfo arc(NodeId node, int64_t i) const;
  // The arc u->v, if the two are contacts.
  std::optional<ArcInfo> FindArc(NodeId u, NodeId v) const;

  UserProfile profile(NodeId node) const;
  // Share of the user's decayed purchases that fall in `category` (0 if none).
  float CategoryAffinity(NodeId node, CategoryId category) const;
  // Decayed purchase weight of `item` by the user (0 if never bought).
  float ItemAffinity(NodeId node, ItemId item) const;
  // Cosine similarity of two users' category affinity vectors.
  float ShoppingSimilarity(NodeId a, NodeId b) const;

  // Profile attributes (profiles.h): the graph's columns sorted by name, each
  // with its distinct values, then (builtin = true) the graph-derived number
  // attributes audiences may also use (audience.h).
  std::vector<AttributeInfo> attributes() const;
  // The profile column `name`, if the graph has one.
  std::optional<AttributeColumnView> attribute_column(
      std::string_view name) const;

  // Item index. kNoCategory when the item or its category is unknown.
  CategoryId item_category(ItemId item) const;
  // Users who bought `item`, as sorted NodeIds.
  absl::Span<const NodeId> item_buyers(ItemId item) const;

  // Communities found at build time by Louvain local moving (level 1) over tie
  // strength (symmetrised: tie(u->v) + tie(v->u)), with a fixed seed. Labels
  // are dense in [0, stats().num_communities), numbered in order of first
  // appearance by NodeId, and identical for every GraphConfig::num_threads.
  // Isolated users form their own community. Empty (community() is
  // kNoCommunity) when built with BuildOptions::communities = false.
  uint32_t community(NodeId node) const;
  absl::Span<const uint32_t> communities() const;  // indexed by NodeId

  // Abuse scores (abuse.h), attached by WithAbuse() or BuildOptions::abuse.
  // Without them suspicion() is 0, reputation() 0.5 (the balance prior's
  // mean) and abuse_evidence() 0. Snapshots keep them; Forget() keeps the
  // remaining users'; Update() drops them (score the new graph again: its
  // assists and accounts changed).
  bool has_abuse() const;
  float suspicion(NodeId node) const;
  float reputation(NodeId node) const;
  uint32_t abuse_evidence(NodeId node) const;  // AbuseEvidence bits
  // This graph with `report`'s scores attached (the rest shared or copied;
  // O(nodes)). kInvalidArgument unless the report was computed on a graph
  // with exactly these users in this order, or if a score is outside [0, 1].
  absl::StatusOr<SocialGraph> WithAbuse(const AbuseReport& report) const;

  // Influence measures, computed at build time (BuildOptions::centrality) on
  // the undirected, unweighted contact graph (neighbors()), with the
  // definitions of NetworkX:
  //  - pagerank(): nx.pagerank with its defaults (damping 0.85, uniform
  //    teleport, degree-0 users' mass spread uniformly, power iteration in
  //    double until the L1 change is below num_nodes * 1e-6, at most 100
  //    iterations), normalised to sum 1 over all users; 1 / num_nodes is the
  //    average.
  //  - core_number(): the k-core number, as nx.core_number: the largest k
  //    such that the user belongs to a subgraph where everyone has at least k
  //    contacts (0 for a user without contacts).
  //  - clustering(): the local clustering coefficient, as nx.clustering:
  //    2 T / (d (d - 1)) for T triangles through the user and d contacts; 0
  //    when d < 2.
  // Identical for every GraphConfig::num_threads. Cost at 1 M users and 48 M
  // arcs: see docs/influence.md, "Influence features". Update() and Forget()
  // recompute them (UpdateOptions / ForgetOptions::centrality); snapshots keep
  // them. Without them (has_centrality() false) the accessors return 0 and the
  // spans are empty.
  bool has_centrality() const;
  float pagerank(NodeId node) const;
  uint32_t core_number(NodeId node) const;
  float clustering(NodeId node) const;
  absl::Span<const float> pageranks() const;        // indexed by NodeId
  absl::Span<const uint32_t> core_numbers() const;  // indexed by NodeId
  absl::Span<const float> clusterings() const;      // indexed by NodeId

  // For the library's own hot paths (src/); not part of the stable API.
  const internal::GraphData& data() const { return *data_; }

 private:
  std::shared_ptr<const internal::GraphData> data_;
};

}  // namespace invitegraph

#endif  // INVITEGRAPH_SOCIAL_GRAPH_H_
