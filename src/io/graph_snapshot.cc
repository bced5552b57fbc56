// SocialGraph::Save / Load / ToBytes / FromBytes: the graph in the snapshot
// container (snapshot_file.h). The CSR arrays of a loaded graph point into the
// read buffer, or with LoadOptions::mmap into a mapping of the file; every
// other column is copied out. Everything is validated before the graph is
// handed out (in a mapped load without verify, everything but the neighbour
// ids and arc records), so a loaded graph upholds the invariants the
// recommender relies on (sorted rows, symmetric arcs without self-loops, ids
// in range, unique user ids).
#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "graph/graph_data.h"
#include "invitegraph/social_graph.h"
#include "invitegraph/status.h"
#include "io/events_snapshot.h"
#include "io/row_checks.h"
#include "io/snapshot_file.h"

namespace invitegraph {

namespace {

using internal::FloatDomain;
using internal::GraphData;
using internal::SnapshotReader;
using internal::SnapshotWriter;
using internal::SparseRows;
using internal::Tag;
using Json = nlohmann::ordered_json;

constexpr std::string_view kGraphKind = "graph";

// Sections. Per-user columns are indexed by NodeId.
constexpr uint32_t kMeta = Tag("META");   // JSON: config, as_of, stats
constexpr uint32_t kUsers = Tag("USER");  // int64 external user ids
constexpr uint32_t kItems = Tag("ITEM");  // int64 external item ids
constexpr uint32_t kCats = Tag("CATG");   // int64 external category ids
constexpr uint32_t kOffsets = Tag("OFFS");
constexpr uint32_t kTargets = Tag("TGTS");
constexpr uint32_t kArcs = Tag("ARCS");
// The sections a loaded graph points into; the rest of a read buffer is
// copied out and handed back (SnapshotReader::KeepOnly).
constexpr uint32_t kCsrTags[] = {kOffsets, kTargets, kArcs};
// The sections of a mapped load that are served from the file unchecked
// (LoadOptions::mmap without verify): O(arcs) bytes. Everything else,
// the row offsets too, is O(users) or less and checked.
constexpr uint32_t kTrustedWhenMapped[] = {kTargets, kArcs};
constexpr uint32_t kAct7 = Tag("AC07");
constexpr uint32_t kAct30 = Tag("AC30");
constexpr uint32_t kJoins = Tag("JOIN");
constexpr uint32_t kExposures = Tag("EXPO");
constexpr uint32_t kJoinRate = Tag("JRAT");
constexpr uint32_t kPurchaseWeight = Tag("PWGT");
constexpr uint32_t kCategoryNorm = Tag("CNRM");
constexpr uint32_t kFirstSeen = Tag("FSEN");
constexpr uint32_t kIsNew = Tag("NEWU");
constexpr uint32_t kItemCategory = Tag("ICAT");
constexpr uint32_t kCommunity = Tag("COMM");
// Abuse scores (abuse.h); optional: written only when attached, so files
// without them (format version 1 from before) still load.
constexpr uint32_t kSuspicion = Tag("ABSU");
constexpr uint32_t kReputation = Tag("ABRP");
constexpr uint32_t kEvidence = Tag("ABEV");
// Profile attributes (profiles.h); optional, written only when the graph has
// columns: ATTR is JSON [{name, type, dictionary}] in column order, and each
// column's data follows in that order in the section of its type.
constexpr uint32_t kAttrSchema = Tag("ATTR");
constexpr uint32_t kAttrCodes = Tag("ATCD");       // int32 per user
constexpr uint32_t kAttrNumbers = Tag("ATNM");     // double per user
constexpr uint32_t kAttrTagOffsets = Tag("ATTO");  // uint64, users + 1
constexpr uint32_t kAttrTagCodes = Tag("ATTC");    // int32 tag codes
// Idempotent ingestion: keys of applied rows per table (event_key.h), 16-byte
// (hi, lo) pairs, sorted and unique; optional: written only when non-empty,
// so files without them still load (and remember nothing).
constexpr uint32_t kInteractionKeys = Tag("KINT");
constexpr uint32_t kPurchaseKeys = Tag("KPUR");
constexpr uint32_t kCampaignKeys = Tag("KCMP");
// Influence measures (SocialGraph::pagerank() etc.); optional like the abuse
// scores: written only when computed, all three or none.
constexpr uint32_t kPagerank = Tag("PRNK");
constexpr uint32_t kCoreNumber = Tag("KCOR");
constexpr uint32_t kClustering = Tag("CLUS");
// Sparse rows: offsets, keys, weights under three tags each.
struct RowsTags {
  uint32_t offsets, keys, weights;
};
constexpr RowsTags kUserItems{Tag("UIO_"), Tag("UIK_"), Tag("UIW_")};
constexpr RowsTags kUserCats{Tag("UCO_"), Tag("UCK_"), Tag("UCW_")};
constexpr RowsTags kItemBuyers{Tag("IBO_"), Tag("IBK_"), Tag("IBW_")};

absl::Status Bad(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("snapshot: ", what));
}

Json MetaOf(const GraphData& d) {
  const GraphConfig& c = d.config;
  Json channels = Json::object();
  for (const auto& [name, w] : c.channel_weights) channels[name] = w;
  const GraphStats& s = d.stats;
  const TimeLimits& t = c.time_limits;
  Json time_limits = {
      {"earliest", t.earliest},
      {"max_future_seconds", t.max_future_seconds},
      {"max_ends_at_future_seconds", t.max_ends_at_future_seconds},
      {"now", t.now.has_value() ? Json(*t.now) : Json(nullptr)}};
  return Json{
      {"as_of", d.as_of},
      {"config",
       {{"half_life_days", c.half_life_days},
        {"channel_weights", channels},
        {"friendship_weight", c.friendship_weight},
        {"new_user_days", c.new_user_days},
        {"join_rate_prior_mean", c.join_rate_prior_mean},
        {"join_rate_prior_strength", c.join_rate_prior_strength},
        {"num_threads", c.num_threads},
        // Idempotent ingestion; optional when read.
        {"dedupe", std::string(DedupeName(c.dedupe))},
        // Plausible times; optional when read (older files: the defaults).
        {"time_limits", time_limits},
        // Optional when read (older files: the default).
        {"participation_window_days", c.participation_window_days}}},
      {"stats",
       {{"num_events", s.num_events},
        {"num_communities", s.num_communities},
        {"build_seconds", s.build_seconds},
        {"community_seconds", s.community_seconds},
        // Idempotent ingestion; optional when read.
        {"duplicates_skipped", s.duplicates_skipped},
        // Optional when read.
        {"purchases_matched", s.purchases_matched},
        {"centrality_seconds", s.centrality_seconds}}},
  };
}

void AddRows(SnapshotWriter& w, const RowsTags& t, const SparseRows& r) {
  w.Add<uint64_t>(t.offsets, r.offsets);
  w.Add<uint32_t>(t.keys, r.keys);
  w.Add<float>(t.weights, r.weights);
}

// The attribute columns laid out for their sections (owned here; the writer
// keeps views).
struct AttributeSections {
  std::string schema;
  std::vector<int32_t> codes, tag_codes;
  std::vector<double> numbers;
  std::vector<uint64_t> tag_offsets;

  explicit AttributeSections(const internal::AttributeTable& t) {
    if (t.columns.empty()) return;
    Json cols = Json::array();
    for (const internal::AttributeColumn& c : t.columns) {
      cols.push_back({{"name", c.name},
                      {"type", std::string(AttributeTypeName(c.type))},
                      {"dictionary", c.dictionary}});
      codes.insert(codes.end(), c.code.begin(), c.code.end());
      numbers.insert(numbers.end(), c.number.begin(), c.number.end());
      tag_offsets.insert(tag_offsets.end(), c.tag_offsets.begin(),
                         c.tag_offsets.end());
      tag_codes.insert(tag_codes.end(), c.tag_codes.begin(), c.tag_codes.end());
    }
    schema = cols.dump();
  }
  void AddTo(SnapshotWriter& w) const {
    if (schema.empty()) return;
    w.AddBytes(kAttrSchema, schema);
    w.Add<int32_t>(kAttrCodes, codes);
    w.Add<double>(kAttrNumbers, numbers);
    w.Add<uint64_t>(kAttrTagOffsets, tag_offsets);
    w.Add<int32_t>(kAttrTagCodes, tag_codes);
  }
};

absl::Status LoadAttributes(const SnapshotReader& r, int64_t n,
                            internal::AttributeTable* out) {
  if (!r.Has(kAttrSchema)) return absl::OkStatus();
  INVITEGRAPH_ASSIGN_OR_RETURN(std::string_view text, r.GetBytes(kAttrSchema));
  INVITEGRAPH_ASSIGN_OR_RETURN(auto codes, r.Get<int32_t>(kAttrCodes));
  INVITEGRAPH_ASSIGN_OR_RETURN(
      auto numbers,
      r.GetFloats<double>(kAttrNumbers, FloatDomain::kFiniteOrNaN));
  INVITEGRAPH_ASSIGN_OR_RETURN(auto offsets, r.Get<uint64_t>(kAttrTagOffsets));
  INVITEGRAPH_ASSIGN_OR_RETURN(auto tag_codes, r.Get<int32_t>(kAttrTagCodes));
  size_t at_code = 0, at_number = 0, at_offset = 0, at_tag = 0;
  const size_t un = static_cast<size_t>(n);
  try {
    const Json cols = Json::parse(text.begin(), text.end());
    for (const Json& j : cols) {
      internal::AttributeColumn& c = out->columns.emplace_back();
      c.name = j.at("name").get<std::string>();
      const std::string type = j.at("type").get<std::string>();
      c.dictionary = j.at("dictionary").get<std::vector<std::string>>();
      if (type == "category") {
        c.type = AttributeType::kCategory;
        if (codes.size() - at_code < un) return Bad("ATCD: too short");
        c.code.assign(codes.begin() + at_code, codes.begin() + at_code + un);
        at_code += un;
      } else if (type == "number") {
        c.type = AttributeType::kNumber;
        if (numbers.size() - at_number < un) return Bad("ATNM: too short");
        c.number.assign(numbers.begin() + at_number,
                        numbers.begin() + at_number + un);
        at_number += un;
      } else if (type == "tags") {
        c.type = AttributeType::kTags;
        if (offsets.size() - at_offset < un + 1) return Bad("ATTO: too short");
        c.tag_offsets.assign(offsets.begin() + at_offset,
                             offsets.begin() + at_offset + un + 1);
        at_offset += un + 1;
        const uint64_t len = c.tag_offsets.back();
        if (c.tag_offsets.front() != 0 || len > tag_codes.size() - at_tag) {
          return Bad(
              absl::StrCat("ATTO: column '", c.name, "' has bad offsets"));
        }
        c.tag_codes.assign(tag_codes.begin() + at_tag,
                           tag_codes.begin() + at_tag + len);
        at_tag += len;
      } else {
        return Bad(absl::StrCat("ATTR: unknown type '", type, "'"));
      }
    }
  } catch (const Json::exception& e) {
    return Bad(absl::StrCat("ATTR section: ", e.what()));
  }
  if (at_code != codes.size() || at_number != numbers.size() ||
      at_offset != offsets.size() || at_tag != tag_codes.size()) {
    return Bad("ATTR: attribute sections hold more data than the columns");
  }
  return internal::CheckAttributes(*out, static_cast<uint32_t>(n));
}

// What the META section says about the kept events (absent when the graph
// had none, as in files from before snapshots carried them).
constexpr std::string_view kEventsSaved = "saved";
constexpr std::string_view kEventsLeftOut = "left out";

SnapshotWriter WriterFor(const GraphData& d, const std::string& meta,
                         const AttributeSections& attributes,
                         const internal::EventSections* events) {
  SnapshotWriter w(kGraphKind);
  w.AddBytes(kMeta, meta);
  w.Add<int64_t>(kUsers, d.users.external_ids());
  w.Add<int64_t>(kItems, d.items.external_ids());
  w.Add<int64_t>(kCats, d.categories.external_ids());
  w.Add<uint64_t>(kOffsets, d.offsets);
  w.Add<NodeId>(kTargets, d.targets);
  w.Add<internal::PackedArc>(kArcs, d.arcs);
  w.Add<float>(kAct7, d.activity_7d);
  w.Add<float>(kAct30, d.activity_30d);
  w.Add<float>(kJoins, d.joins);
  w.Add<float>(kExposures, d.exposures);
  w.Add<float>(kJoinRate, d.join_rate);
  w.Add<float>(kPurchaseWeight, d.purchase_weight);
  w.Add<float>(kCategoryNorm, d.category_norm);
  w.Add<Timestamp>(kFirstSeen, d.first_seen);
  w.Add<uint8_t>(kIsNew, d.is_new);
  AddRows(w, kUserItems, d.user_items);
  AddRows(w, kUserCats, d.user_categories);
  w.Add<uint32_t>(kItemCategory, d.item_category);
  AddRows(w, kItemBuyers, d.item_buyers);
  w.Add<uint32_t>(kCommunity, d.community);
  if (!d.suspicion.empty()) {
    w.Add<float>(kSuspicion, d.suspicion);
    w.Add<float>(kReputation, d.reputation);
    w.Add<uint32_t>(kEvidence, d.abuse_evidence);
  }
  attributes.AddTo(w);
  // Idempotent ingestion.
  const auto add_keys = [&](uint32_t tag,
                            const std::vector<internal::EventKey>& keys) {
    if (!keys.empty()) w.Add<internal::EventKey>(tag, keys);
  };
  add_keys(kInteractionKeys, d.applied_keys.interactions);
  add_keys(kPurchaseKeys, d.applied_keys.purchases);
  add_keys(kCampaignKeys, d.applied_keys.campaigns);
  if (!d.pagerank.empty()) {
    w.Add<float>(kPagerank, d.pagerank);
    w.Add<uint32_t>(kCoreNumber, d.core_number);
    w.Add<float>(kClustering, d.clustering);
  }
  if (events != nullptr) events->AddTo(w);
  return w;
}

// The bytes or file of `d`, with its kept events when it has them and
// `options` asks for them.
template <typename Write>
auto WriteSnapshot(const GraphData& d, const SnapshotOptions& options,
                   const Write& write) {
  Json meta = MetaOf(d);
  std::optional<internal::EventSections> events;
  if (d.events != nullptr) {
    if (options.events) {
      events.emplace(*d.events, d.abuse_options
                                    ? std::optional(*d.abuse_options)
                                    : std::nullopt);
      meta["events"] = kEventsSaved;
    } else {
      meta["events"] = kEventsLeftOut;
    }
  }
  const std::string meta_text = meta.dump();
  const AttributeSections attributes(d.attributes);
  return write(
      WriterFor(d, meta_text, attributes, events ? &*events : nullptr));
}

// Rebuilds an id map from its external ids (FillIdMap checks them).
absl::Status LoadIds(const SnapshotReader& r, uint32_t tag,
                     absl::string_view what, internal::IdMap* map) {
  INVITEGRAPH_ASSIGN_OR_RETURN(auto ids, r.Get<int64_t>(tag));
  return internal::FillIdMap(ids, what, map);
}

template <typename T>
absl::Status Column(const SnapshotReader& r, uint32_t tag, int64_t n,
                    std::vector<T>* out) {
  INVITEGRAPH_ASSIGN_OR_RETURN(auto span, r.Get<T>(tag, n));
  out->assign(span.begin(), span.end());
  return absl::OkStatus();
}
absl::Status FloatColumn(const SnapshotReader& r, uint32_t tag, int64_t n,
                         FloatDomain domain, std::vector<float>* out) {
  INVITEGRAPH_ASSIGN_OR_RETURN(auto span, r.GetFloats<float>(tag, domain, n));
  out->assign(span.begin(), span.end());
  return absl::OkStatus();
}

absl::Status LoadRows(const SnapshotReader& r, const RowsTags& t,
                      absl::string_view what, int64_t owners, uint64_t bound,
                      int threads, SparseRows* out) {
  INVITEGRAPH_ASSIGN_OR_RETURN(auto off,
                               r.Get<uint64_t>(t.offsets, owners + 1));
  INVITEGRAPH_ASSIGN_OR_RETURN(auto keys, r.Get<uint32_t>(t.keys));
  // Decayed purchase counts.
  INVITEGRAPH_ASSIGN_OR_RETURN(
      auto weights,
      r.GetFloats<float>(t.weights, FloatDomain::kNonNegative, keys.size()));
  INVITEGRAPH_RETURN_IF_ERROR(
      internal::CheckRows(what, off, keys, bound, threads));
  out->offsets.assign(off.begin(), off.end());
  out->keys.assign(keys.begin(), keys.end());
  out->weights.assign(weights.begin(), weights.end());
  return absl::OkStatus();
}

// Idempotent ingestion: an optional key section must be sorted and unique,
// and every key an event id or a fingerprint (event_key.h).
absl::Status LoadKeys(const SnapshotReader& r, uint32_t tag,
                      std::vector<internal::EventKey>* out) {
  if (!r.Has(tag)) return absl::OkStatus();
  INVITEGRAPH_ASSIGN_OR_RETURN(auto keys, r.Get<internal::EventKey>(tag));
  for (size_t i = 0; i < keys.size(); ++i) {
    if (!internal::IsIdKey(keys[i]) && !internal::IsFingerprint(keys[i])) {
      return Bad(absl::StrCat(internal::TagName(tag), ": key #", i,
                              " is neither an event id nor a fingerprint"));
    }
    if (i > 0 && !(keys[i - 1] < keys[i])) {
      return Bad(absl::StrCat(internal::TagName(tag), ": key #", i,
                              " is not above the previous one"));
    }
  }
  out->assign(keys.begin(), keys.end());
  return absl::OkStatus();
}

// The graph in `r`. Everything is checked, except, in a mapped reader
// (LoadOptions::mmap) without `options.verify`, the neighbour ids and arc
// records (whose checksums MapFile left unchecked too): only their row
// offsets are, O(users), so that every row lies inside them.
absl::StatusOr<SocialGraph> GraphFrom(const SnapshotReader& r,
                                      const LoadOptions& options = {}) {
  const int threads = options.num_threads;
  const bool check_arcs = !r.mapped() || options.verify;
  if (r.kind() != kGraphKind) {
    return absl::InvalidArgumentError(absl::StrCat(
        "snapshot: holds a '", std::string(r.kind()), "', not a graph"));
  }
  auto data = std::make_shared<GraphData>();
  GraphData& d = *data;
  std::string events_note;
  INVITEGRAPH_ASSIGN_OR_RETURN(std::string_view meta_text, r.GetBytes(kMeta));
  Json meta;
  try {
    meta = Json::parse(meta_text.begin(), meta_text.end());
    d.as_of = meta.at("as_of").get<Timestamp>();
    const Json& c = meta.at("config");
    d.config.half_life_days = c.at("half_life_days").get<double>();
    for (const auto& [name, w] : c.at("channel_weights").items()) {
      d.config.channel_weights[name] = w.get<double>();
    }
    d.config.friendship_weight = c.at("friendship_weight").get<double>();
    d.config.new_user_days = c.at("new_user_days").get<double>();
    d.config.join_rate_prior_mean = c.at("join_rate_prior_mean").get<double>();
    d.config.join_rate_prior_strength =
        c.at("join_rate_prior_strength").get<double>();
    d.config.num_threads = c.at("num_threads").get<int>();
    if (c.contains("dedupe")) {
      auto dedupe = ParseDedupe(c.at("dedupe").get<std::string>());
      if (!dedupe.ok()) {
        return Bad(absl::StrCat("META config: ", dedupe.status().message()));
      }
      d.config.dedupe = *dedupe;
    }
    if (c.contains("time_limits")) {
      const Json& t = c.at("time_limits");
      TimeLimits& l = d.config.time_limits;
      l.earliest = t.at("earliest").get<Timestamp>();
      l.max_future_seconds = t.at("max_future_seconds").get<int64_t>();
      l.max_ends_at_future_seconds =
          t.at("max_ends_at_future_seconds").get<int64_t>();
      if (!t.at("now").is_null()) l.now = t.at("now").get<Timestamp>();
      const absl::Status valid =
          ValidateTimeLimits(l, "GraphConfig.time_limits");
      if (!valid.ok()) {
        return Bad(absl::StrCat("META config: ", valid.message()));
      }
    }
    if (c.contains("participation_window_days")) {
      d.config.participation_window_days =
          c.at("participation_window_days").get<double>();
    }
    const Json& s = meta.at("stats");
    d.stats.num_events = s.at("num_events").get<int64_t>();
    d.stats.build_seconds = s.at("build_seconds").get<double>();
    d.stats.community_seconds = s.at("community_seconds").get<double>();
    if (s.contains("duplicates_skipped")) {
      d.stats.duplicates_skipped = s.at("duplicates_skipped").get<int64_t>();
    }
    d.stats.purchases_matched = s.value("purchases_matched", int64_t{0});
    // Absent from files written before the influence measures.
    d.stats.centrality_seconds = s.value("centrality_seconds", 0.0);
    events_note = meta.value("events", std::string());
  } catch (const Json::exception& e) {
    return Bad(absl::StrCat("META section: ", e.what()));
  }
  // The config drives later updates (half-lives, priors): hold it to what a
  // builder accepts. The timings are only reported, but never non-finite.
  if (absl::Status s = d.config.Validate(); !s.ok()) {
    return Bad(absl::StrCat("META config: ", s.message()));
  }
  for (const auto& [name, seconds] :
       {std::pair<const char*, double>{"build_seconds", d.stats.build_seconds},
        {"community_seconds", d.stats.community_seconds},
        {"centrality_seconds", d.stats.centrality_seconds}}) {
    INVITEGRAPH_RETURN_IF_ERROR(internal::CheckFloat(
        absl::StrCat("META stats.", name), seconds, FloatDomain::kNonNegative));
  }
  auto weights = ResolveChannelWeights(d.config);
  if (!weights.ok()) {
    return Bad(absl::StrCat("META config: ", weights.status().message()));
  }
  for (int c = 0; c < kNumChannels; ++c) {
    d.channel_weights[c] = static_cast<float>((*weights)[c]);
  }

  INVITEGRAPH_RETURN_IF_ERROR(LoadIds(r, kUsers, "user", &d.users));
  INVITEGRAPH_RETURN_IF_ERROR(LoadIds(r, kItems, "item", &d.items));
  INVITEGRAPH_RETURN_IF_ERROR(LoadIds(r, kCats, "category", &d.categories));
  const int64_t n = d.users.size();
  const int64_t items = d.items.size();

  // CSR: views into the read buffer or the mapping, which the graph keeps
  // alive.
  INVITEGRAPH_ASSIGN_OR_RETURN(auto offsets, r.Get<uint64_t>(kOffsets, n + 1));
  INVITEGRAPH_ASSIGN_OR_RETURN(auto targets, r.Get<NodeId>(kTargets));
  INVITEGRAPH_ASSIGN_OR_RETURN(
      auto arcs, r.Get<internal::PackedArc>(kArcs, targets.size()));
  if (check_arcs) {
    INVITEGRAPH_RETURN_IF_ERROR(internal::CheckRows(
        "adjacency", offsets, targets, static_cast<uint64_t>(n), threads));
    INVITEGRAPH_RETURN_IF_ERROR(
        internal::CheckSymmetric(offsets, targets, threads));
  } else {
    INVITEGRAPH_RETURN_IF_ERROR(
        internal::CheckRowOffsets("adjacency", offsets, targets.size()));
  }
  d.csr_owner = r.owner();
  d.mapped = r.mapped();
  d.offsets = offsets;
  d.targets = targets;
  d.arcs = arcs;

  // Event counts (activity decays, so not whole), purchase totals and norms
  // are >= 0; the join rate is a smoothed fraction (FillJoinRates: joins never
  // exceed exposures and the prior mean is in [0, 1]).
  constexpr FloatDomain kNonNegative = FloatDomain::kNonNegative;
  constexpr FloatDomain kUnit = FloatDomain::kUnitInterval;
  INVITEGRAPH_RETURN_IF_ERROR(
      FloatColumn(r, kAct7, n, kNonNegative, &d.activity_7d));
  INVITEGRAPH_RETURN_IF_ERROR(
      FloatColumn(r, kAct30, n, kNonNegative, &d.activity_30d));
  INVITEGRAPH_RETURN_IF_ERROR(
      FloatColumn(r, kJoins, n, kNonNegative, &d.joins));
  INVITEGRAPH_RETURN_IF_ERROR(
      FloatColumn(r, kExposures, n, kNonNegative, &d.exposures));
  INVITEGRAPH_RETURN_IF_ERROR(
      FloatColumn(r, kJoinRate, n, kUnit, &d.join_rate));
  INVITEGRAPH_RETURN_IF_ERROR(
      FloatColumn(r, kPurchaseWeight, n, kNonNegative, &d.purchase_weight));
  INVITEGRAPH_RETURN_IF_ERROR(
      FloatColumn(r, kCategoryNorm, n, kNonNegative, &d.category_norm));
  INVITEGRAPH_RETURN_IF_ERROR(Column(r, kFirstSeen, n, &d.first_seen));
  INVITEGRAPH_RETURN_IF_ERROR(Column(r, kIsNew, n, &d.is_new));
  INVITEGRAPH_RETURN_IF_ERROR(LoadRows(r, kUserItems, "user items", n,
                                       static_cast<uint64_t>(items), threads,
                                       &d.user_items));
  INVITEGRAPH_RETURN_IF_ERROR(LoadRows(
      r, kUserCats, "user categories", n,
      static_cast<uint64_t>(d.categories.size()), threads, &d.user_categories));
  INVITEGRAPH_RETURN_IF_ERROR(LoadRows(r, kItemBuyers, "item buyers", items,
                                       static_cast<uint64_t>(n), threads,
                                       &d.item_buyers));
  INVITEGRAPH_RETURN_IF_ERROR(
      Column(r, kItemCategory, items, &d.item_category));
  for (size_t i = 0; i < d.item_category.size(); ++i) {
    const uint32_t c = d.item_category[i];
    if (c != internal::IdMap::kAbsent &&
        c >= static_cast<uint64_t>(d.categories.size())) {
      return Bad(absl::StrCat("item #", i, " has category ", c,
                              ", out of range (", d.categories.size(), ")"));
    }
  }
  INVITEGRAPH_ASSIGN_OR_RETURN(auto community, r.Get<uint32_t>(kCommunity));
  if (!community.empty() && static_cast<int64_t>(community.size()) != n) {
    return Bad(
        absl::StrCat("COMM: ", community.size(), " labels for ", n, " users"));
  }
  d.community.assign(community.begin(), community.end());
  int64_t num_communities = 0;
  for (uint32_t c : d.community) {
    num_communities = std::max<int64_t>(num_communities, int64_t{c} + 1);
  }
  if (num_communities > n) {
    return Bad("COMM: a community label exceeds the number of users");
  }
  if (r.Has(kSuspicion) || r.Has(kReputation) || r.Has(kEvidence)) {
    INVITEGRAPH_RETURN_IF_ERROR(
        FloatColumn(r, kSuspicion, n, kUnit, &d.suspicion));
    INVITEGRAPH_RETURN_IF_ERROR(
        FloatColumn(r, kReputation, n, kUnit, &d.reputation));
    INVITEGRAPH_RETURN_IF_ERROR(Column(r, kEvidence, n, &d.abuse_evidence));
  }

  INVITEGRAPH_RETURN_IF_ERROR(LoadAttributes(r, n, &d.attributes));
  // Idempotent ingestion.
  INVITEGRAPH_RETURN_IF_ERROR(
      LoadKeys(r, kInteractionKeys, &d.applied_keys.interactions));
  INVITEGRAPH_RETURN_IF_ERROR(
      LoadKeys(r, kPurchaseKeys, &d.applied_keys.purchases));
  INVITEGRAPH_RETURN_IF_ERROR(
      LoadKeys(r, kCampaignKeys, &d.applied_keys.campaigns));
  if (r.Has(kPagerank) || r.Has(kCoreNumber) || r.Has(kClustering)) {
    INVITEGRAPH_RETURN_IF_ERROR(
        FloatColumn(r, kPagerank, n, kNonNegative, &d.pagerank));
    INVITEGRAPH_RETURN_IF_ERROR(Column(r, kCoreNumber, n, &d.core_number));
    INVITEGRAPH_RETURN_IF_ERROR(
        FloatColumn(r, kClustering, n, kUnit, &d.clustering));
    for (int64_t u = 0; u < n; ++u) {
      const NodeId v = static_cast<NodeId>(u);
      const uint64_t degree = offsets[v + 1] - offsets[v];
      if (d.core_number[u] > degree) {
        return Bad(absl::StrCat("KCOR: user #", u, " has core number ",
                                d.core_number[u], " above its degree ",
                                degree));
      }
    }
  } else {
    d.stats.centrality_seconds = 0;
  }

  // Kept events (training rebuilds, abuse from assists).
  INVITEGRAPH_ASSIGN_OR_RETURN(internal::LoadedEvents events,
                               internal::LoadEventSections(r, n, d.as_of));
  if (events.events != nullptr) {
    d.events = std::move(events.events);
    if (!d.suspicion.empty() && events.abuse_options) {
      d.abuse_options =
          std::make_shared<const AbuseOptions>(*events.abuse_options);
    }
  } else if (events_note == kEventsLeftOut) {
    d.no_events_reason =
        "it was loaded from a snapshot saved without them (SnapshotOptions"
        "::events = false; in Python save(..., events=False), "
        "to_bytes(events=False), or the graph of a pickled Recommender, "
        "which leaves them out to keep serving copies small)";
  } else {
    d.no_events_reason =
        "it was loaded from a snapshot that has none (of a graph built "
        "without keep_events, or written before snapshots carried "
        "events)";
  }

  GraphStats& st = d.stats;
  st.num_nodes = n;
  st.num_arcs = static_cast<int64_t>(targets.size());
  st.num_items = items;
  st.num_categories = d.categories.size();
  st.num_communities = num_communities;
  st.as_of = d.as_of;
  internal::FillMemoryStats(d);
  return SocialGraph(std::move(data));
}

}  // namespace

absl::StatusOr<int64_t> SocialGraph::Save(
    const std::string& path, const SnapshotOptions& options) const {
  return WriteSnapshot(*data_, options, [&](const SnapshotWriter& w) {
    return w.WriteFile(path);
  });
}

absl::StatusOr<std::string> SocialGraph::ToBytes(
    const SnapshotOptions& options) const {
  return WriteSnapshot(*data_, options, [](const SnapshotWriter& w) {
    return absl::StatusOr<std::string>(w.ToBytes());
  });
}

absl::Status LoadOptions::Validate() const {
  if (num_threads < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("LoadOptions.num_threads=", num_threads,
                     ": must be >= 0 (0: all cores)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<SocialGraph> SocialGraph::Load(const std::string& path,
                                              const LoadOptions& options) {
  INVITEGRAPH_RETURN_IF_ERROR(options.Validate());
  // A mapped load without `verify` does not even read the neighbour ids and
  // arc records (their pages are read when requests touch them); with it,
  // the mapping is checked as a read is, in the same order, so it refuses
  // what a read refuses with the same message.
  auto r =
      options.mmap
          ? SnapshotReader::MapFile(
                path,
                options.verify ? absl::Span<const uint32_t>()
                               : absl::Span<const uint32_t>(kTrustedWhenMapped),
                options.num_threads)
          : SnapshotReader::ReadFile(path, options.num_threads);
  if (!r.ok()) return r.status();
  auto g = GraphFrom(*r, options);
  if (!g.ok()) {
    return absl::Status(g.status().code(),
                        absl::StrCat(g.status().message(), " (", path, ")"));
  }
  r->KeepOnly(kCsrTags);
  return g;
}

absl::StatusOr<SocialGraph> SocialGraph::FromBytes(std::string_view bytes) {
  INVITEGRAPH_ASSIGN_OR_RETURN(SnapshotReader r,
                               SnapshotReader::FromBytes(bytes));
  auto g = GraphFrom(r);
  if (g.ok()) r.KeepOnly(kCsrTags);
  return g;
}

}  // namespace invitegraph
