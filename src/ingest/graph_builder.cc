#include "invitegraph/graph_builder.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "abuse/abuse_internal.h"
#include "graph/centrality.h"
#include "graph/communities.h"
#include "graph/csr.h"
#include "graph/graph_data.h"
#include "ingest/fixed_decay.h"
#include "ingest/id_map.h"
#include "ingest/staged_events.h"
#include "ingest/validate.h"
#include "internal/parallel.h"
#include "internal/strings.h"
#include "invitegraph/arc_partials.h"
#include "invitegraph/status.h"

namespace invitegraph {

using internal::EventKey;
using internal::GraphData;
using internal::IdMap;
using internal::kMissingTs;
using internal::PackedArc;
using internal::StagedEvents;

namespace {

constexpr std::array<double, kNumChannels> kDefaultChannelWeights = {
    1.0,  // chat
    0.3,  // like
    0.5,  // comment
    0.8,  // share
    0.2,  // visit
    1.5,  // assist
    2.0,  // team_join
    2.0,  // invite_accepted
};

// Kinds of arc contributions: a channel (0..7), a declared friendship, or mere
// presence (the reverse direction of an event, so the arc set is symmetric).
constexpr uint8_t kFriendKind = kNumChannels;
constexpr uint8_t kPresenceKind = kNumChannels + 1;

// One contribution to arc source -> target, 12 bytes: the scatter that places
// them is the build's largest memory traffic. The event's age (as_of - ts) is
// kept in whole seconds, saturating at 2^32 - 1 (136 years; a weight that old
// is below every quantisation floor unless the half-life is decades, and the
// days field saturates at 89 years anyway).
struct Contribution {
  NodeId target;
  uint32_t age_s;  // channels only
  uint8_t kind;
};

uint32_t AgeSeconds(Timestamp as_of, Timestamp ts) {
  return static_cast<uint32_t>(
      std::min<Timestamp>(as_of - ts, std::numeric_limits<uint32_t>::max()));
}

absl::Status CheckCapacity(const IdMap& map, size_t more,
                           std::string_view what) {
  if (static_cast<uint64_t>(map.size()) + more >= IdMap::kAbsent) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "too many distinct ", absl::string_view(what.data(), what.size()),
        " ids for 32-bit internal ids"));
  }
  return absl::OkStatus();
}

// --- Idempotent ingestion (event_key.h) -----------------------------------

// Keys a validated batch of `n` rows: by `event_id` when given, else by
// `fingerprint(i)` under Dedupe::kExact, else not at all. A row whose key is
// in `seen` (applied earlier, or earlier in this batch) gets keep[i] = 0 and
// is counted in `*duplicates`; the others' keys go into `seen`. Returns the
// kept rows' keys (empty when the batch is not keyed); `keep` is left empty
// when every row is kept. Runs only after the whole batch validated, so a
// rejected batch leaves no key behind.
template <typename FingerprintOf>
std::vector<EventKey> KeyRows(size_t n, absl::Span<const int64_t> event_id,
                              Dedupe dedupe, const FingerprintOf& fingerprint,
                              absl::flat_hash_set<EventKey>& seen,
                              std::vector<uint8_t>& keep, int64_t* duplicates) {
  keep.clear();
  std::vector<EventKey> keys;
  if (event_id.empty() && dedupe == Dedupe::kNone) return keys;
  keys.reserve(n);
  seen.reserve(seen.size() + n);
  for (size_t i = 0; i < n; ++i) {
    const EventKey k =
        event_id.empty() ? fingerprint(i) : internal::IdKey(event_id[i]);
    if (seen.insert(k).second) {
      if (!keep.empty()) keep.push_back(1);
      keys.push_back(k);
      continue;
    }
    if (keep.empty()) keep.assign(i, 1);
    keep.push_back(0);
    ++*duplicates;
  }
  return keys;
}

// The entries of `column` whose `keep` flag is set (`column` as is when
// `keep` is empty, and empty stays empty).
template <typename T>
absl::Span<const T> KeptRows(absl::Span<const T> column,
                             const std::vector<uint8_t>& keep,
                             std::vector<T>& storage) {
  if (keep.empty() || column.empty()) return column;
  storage.clear();
  for (size_t i = 0; i < column.size(); ++i) {
    if (keep[i]) storage.push_back(column[i]);
  }
  return storage;
}

// Appends the keys of `added` new rows (after `old_rows` staged ones) to the
// per-row key column, which stays empty while no row has a key.
void AppendKeys(std::vector<EventKey>& column, size_t old_rows, size_t added,
                const std::vector<EventKey>& keys) {
  if (keys.empty() && column.empty()) return;
  column.resize(old_rows, internal::kNoKey);
  if (keys.empty()) {
    column.resize(old_rows + added, internal::kNoKey);
  } else {
    column.insert(column.end(), keys.begin(), keys.end());
  }
}
// --- end idempotent ingestion ---------------------------------------------

}  // namespace

std::string_view DedupeName(Dedupe d) {
  return d == Dedupe::kExact ? "exact" : "none";
}

absl::StatusOr<Dedupe> ParseDedupe(std::string_view name) {
  if (name == "none") return Dedupe::kNone;
  if (name == "exact") return Dedupe::kExact;
  return absl::InvalidArgumentError(
      absl::StrCat("GraphConfig.dedupe='", internal::Sv(name),
                   "': unknown mode; known modes: none, exact"));
}

absl::StatusOr<std::array<double, kNumChannels>> ResolveChannelWeights(
    const GraphConfig& config) {
  std::array<double, kNumChannels> w = kDefaultChannelWeights;
  for (const auto& [name, value] : config.channel_weights) {
    INVITEGRAPH_ASSIGN_OR_RETURN(Channel c, ParseChannel(name));
    if (!std::isfinite(value) || value < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("GraphConfig.channel_weights[", name, "]=", value,
                       ": must be finite and >= 0"));
    }
    w[static_cast<int>(c)] = value;
  }
  return w;
}

absl::Status GraphConfig::Validate() const {
  const GraphConfig& c = *this;
  auto bad = [](std::string_view field, double v, std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "GraphConfig.", absl::string_view(field.data(), field.size()), "=", v,
        ": ", absl::string_view(why.data(), why.size())));
  };
  if (!(c.half_life_days > 0) || !std::isfinite(c.half_life_days)) {
    return bad("half_life_days", c.half_life_days, "must be finite and > 0");
  }
  if (!(c.friendship_weight >= 0) || !std::isfinite(c.friendship_weight)) {
    return bad("friendship_weight", c.friendship_weight,
               "must be finite and >= 0");
  }
  if (!(c.new_user_days >= 0))
    return bad("new_user_days", c.new_user_days, "must be >= 0");
  if (!(c.join_rate_prior_mean >= 0 && c.join_rate_prior_mean <= 1)) {
    return bad("join_rate_prior_mean", c.join_rate_prior_mean,
               "must be in [0, 1]");
  }
  if (!(c.join_rate_prior_strength > 0) ||
      !std::isfinite(c.join_rate_prior_strength)) {
    return bad("join_rate_prior_strength", c.join_rate_prior_strength,
               "must be finite and > 0");
  }
  INVITEGRAPH_RETURN_IF_ERROR(
      ValidateTimeLimits(c.time_limits, "GraphConfig.time_limits"));
  return ResolveChannelWeights(c).status();
}

GraphBuilder::GraphBuilder(GraphConfig config)
    : config_(std::move(config)), staged_(std::make_shared<StagedEvents>()) {}
GraphBuilder::~GraphBuilder() = default;
GraphBuilder::GraphBuilder(GraphBuilder&&) noexcept = default;
GraphBuilder& GraphBuilder::operator=(GraphBuilder&&) noexcept = default;

// Graphs built with keep_events share the staged rows; the first change after
// such a build copies them, so those graphs never see later batches.
StagedEvents& GraphBuilder::Mutable() {
  if (staged_.use_count() > 1) {
    staged_ = std::make_shared<StagedEvents>(*staged_);
  }
  return *staged_;
}

StagedCounts GraphBuilder::counts() const {
  StagedCounts c;
  c.friendships = static_cast<int64_t>(staged_->friend_src.size());
  c.interactions = static_cast<int64_t>(staged_->inter_src.size());
  c.purchases = static_cast<int64_t>(staged_->purchase_user.size());
  c.campaigns = static_cast<int64_t>(staged_->campaign_inviter.size());
  c.profiles = staged_->profile_rows;
  c.users = staged_->users.size();
  c.items = staged_->items.size();
  c.duplicate_interactions = staged_->duplicate_interactions;
  c.duplicate_purchases = staged_->duplicate_purchases;
  c.duplicate_campaigns = staged_->duplicate_campaigns;
  return c;
}

absl::Status GraphBuilder::AddProfiles(const ProfileBatch& b) {
  INVITEGRAPH_RETURN_IF_ERROR(
      internal::ValidateProfiles(b, staged_->attributes));
  INVITEGRAPH_RETURN_IF_ERROR(
      CheckCapacity(staged_->users, b.user.size(), "user"));
  // Commit.
  StagedEvents& s = Mutable();
  std::vector<uint32_t> users(b.user.size());
  s.users.MapOrInsert(b.user, users.data());
  internal::StageProfiles(b, users, s.attributes);
  s.profile_rows += static_cast<int64_t>(b.user.size());
  return absl::OkStatus();
}

absl::Status GraphBuilder::AddFriendships(const FriendshipBatch& b) {
  constexpr std::string_view kTable = "friendships";
  INVITEGRAPH_RETURN_IF_ERROR(internal::CheckLengths(
      kTable, {{"src", b.src.size()}, {"dst", b.dst.size()}}));
  INVITEGRAPH_RETURN_IF_ERROR(internal::CheckIds(kTable, "src", b.src));
  INVITEGRAPH_RETURN_IF_ERROR(internal::CheckIds(kTable, "dst", b.dst));
  INVITEGRAPH_RETURN_IF_ERROR(
      internal::CheckNoSelfLoops(kTable, "src", b.src, b.dst));
  INVITEGRAPH_RETURN_IF_ERROR(
      CheckCapacity(staged_->users, 2 * b.src.size(), "user"));
  // Commit.
  StagedEvents& s = Mutable();
  const size_t old = s.friend_src.size();
  s.friend_src.resize(old + b.src.size());
  s.friend_dst.resize(old + b.src.size());
  s.users.MapOrInsert(b.src, s.friend_src.data() + old);
  s.users.MapOrInsert(b.dst, s.friend_dst.data() + old);
  return absl::OkStatus();
}

absl::Status GraphBuilder::AddInteractions(const InteractionBatch& batch) {
  constexpr std::string_view kTable = "interactions";
  INVITEGRAPH_RETURN_IF_ERROR(
      internal::CheckLengths(kTable, {{"src", batch.src.size()},
                                      {"dst", batch.dst.size()},
                                      {"kind", batch.kind.size()},
                                      {"ts", batch.ts.size()}}));
  if (!batch.event_id.empty()) {
    INVITEGRAPH_RETURN_IF_ERROR(internal::CheckLengths(
        kTable,
        {{"src", batch.src.size()}, {"event_id", batch.event_id.size()}}));
  }
  const InteractionBatch& b = batch;
  INVITEGRAPH_RETURN_IF_ERROR(internal::CheckIds(kTable, "src", b.src));
  INVITEGRAPH_RETURN_IF_ERROR(internal::CheckIds(kTable, "dst", b.dst));
  INVITEGRAPH_RETURN_IF_ERROR(
      internal::CheckNoSelfLoops(kTable, "src", b.src, b.dst));
  INVITEGRAPH_RETURN_IF_ERROR(
      CheckTimestamps(b.ts, config_.time_limits, kTable));
  for (size_t i = 0; i < b.kind.size(); ++i) {
    if (static_cast<int>(b.kind[i]) >= kNumChannels) {
      return internal::RowError(
          kTable, "kind", i, absl::StrCat(static_cast<int>(b.kind[i])),
          absl::StrCat("unknown channel code; known kinds: ",
                       internal::Join(ChannelNames(), ", ")));
    }
  }
  INVITEGRAPH_RETURN_IF_ERROR(
      CheckCapacity(staged_->users, 2 * batch.src.size(), "user"));
  StagedEvents& s = Mutable();
  // Idempotent ingestion: drop rows already applied.
  std::vector<uint8_t> keep;
  const std::vector<EventKey> keys = KeyRows(
      batch.src.size(), batch.event_id, config_.dedupe,
      [&](size_t i) {
        internal::Fingerprinter f(internal::kInteractionDomain);
        f.AddSigned(batch.src[i]);
        f.AddSigned(batch.dst[i]);
        f.Add(static_cast<uint64_t>(batch.kind[i]));
        f.AddSigned(batch.ts[i]);
        return f.Finish();
      },
      s.inter_keys, keep, &s.duplicate_interactions);
  std::vector<UserId> src_kept, dst_kept;
  std::vector<Channel> kind_kept;
  std::vector<Timestamp> ts_kept;
  const auto src = KeptRows(batch.src, keep, src_kept);
  const auto dst = KeptRows(batch.dst, keep, dst_kept);
  const auto kind = KeptRows(batch.kind, keep, kind_kept);
  const auto ts = KeptRows(batch.ts, keep, ts_kept);
  const size_t old = s.inter_src.size();
  AppendKeys(s.inter_key, old, src.size(), keys);
  // Commit.
  s.inter_src.resize(old + src.size());
  s.inter_dst.resize(old + src.size());
  s.users.MapOrInsert(src, s.inter_src.data() + old);
  s.users.MapOrInsert(dst, s.inter_dst.data() + old);
  s.inter_kind.reserve(old + kind.size());
  for (Channel c : kind) s.inter_kind.push_back(static_cast<uint8_t>(c));
  s.inter_ts.insert(s.inter_ts.end(), ts.begin(), ts.end());
  s.NoteTimes(ts);
  return absl::OkStatus();
}

absl::Status GraphBuilder::AddInteractions(const EncodedInteractionBatch& b) {
  constexpr std::string_view kTable = "interactions";
  INVITEGRAPH_RETURN_IF_ERROR(
      internal::CheckLengths(kTable, {{"src", b.src.size()},
                                      {"dst", b.dst.size()},
                                      {"kind", b.kind_codes.size()},
                                      {"ts", b.ts.size()}}));
  // Resolve the dictionary once; report a bad entry at the first row that uses
  // it.
  std::vector<int> code_to_channel(b.kind_names.size(), -1);
  for (size_t k = 0; k < b.kind_names.size(); ++k) {
    auto c = ParseChannel(b.kind_names[k]);
    if (c.ok()) code_to_channel[k] = static_cast<int>(*c);
  }
  std::vector<Channel> kinds(b.kind_codes.size());
  for (size_t i = 0; i < b.kind_codes.size(); ++i) {
    const int32_t code = b.kind_codes[i];
    if (code < 0 || static_cast<size_t>(code) >= code_to_channel.size()) {
      return internal::RowError(
          kTable, "kind", i, code < 0 ? "<missing>" : "<bad code>",
          absl::StrCat("kind is missing; known kinds: ",
                       internal::Join(ChannelNames(), ", ")));
    }
    if (code_to_channel[code] < 0) {
      return internal::RowError(
          kTable, "kind", i, absl::StrCat("'", b.kind_names[code], "'"),
          absl::StrCat("unknown interaction kind; known kinds: ",
                       internal::Join(ChannelNames(), ", ")));
    }
    kinds[i] = static_cast<Channel>(code_to_channel[code]);
  }
  if (!b.event_id.empty()) {
    INVITEGRAPH_RETURN_IF_ERROR(internal::CheckLengths(
        kTable, {{"src", b.src.size()}, {"event_id", b.event_id.size()}}));
  }
  return AddInteractions(
      InteractionBatch{b.src, b.dst, kinds, b.ts, b.event_id});
}

absl::Status GraphBuilder::AddPurchases(const PurchaseBatch& batch) {
  constexpr std::string_view kTable = "purchases";
  const PurchaseBatch& b = batch;
  const size_t n = b.user.size();
  INVITEGRAPH_RETURN_IF_ERROR(internal::CheckLengths(
      kTable, {{"user", n}, {"item", b.item.size()}, {"ts", b.ts.size()}}));
  if (!b.category.empty()) {
    INVITEGRAPH_RETURN_IF_ERROR(internal::CheckLengths(
        kTable, {{"user", n}, {"category", b.category.size()}}));
  }
  if (!b.amount.empty()) {
    INVITEGRAPH_RETURN_IF_ERROR(internal::CheckLengths(
        kTable, {{"user", n}, {"amount", b.amount.size()}}));
  }
  if (!b.event_id.empty()) {
    INVITEGRAPH_RETURN_IF_ERROR(internal::CheckLengths(
        kTable, {{"user", n}, {"event_id", b.event_id.size()}}));
  }
  INVITEGRAPH_RETURN_IF_ERROR(internal::CheckIds(kTable, "user", b.user));
  INVITEGRAPH_RETURN_IF_ERROR(internal::CheckIds(kTable, "item", b.item));
  INVITEGRAPH_RETURN_IF_ERROR(
      CheckTimestamps(b.ts, config_.time_limits, kTable));
  for (size_t i = 0; i < b.category.size(); ++i) {
    if (b.category[i] < kNoCategory) {
      return internal::RowError(kTable, "category", i,
                                absl::StrCat(b.category[i]),
                                "categories must be >= 0 (or -1 for unknown)");
    }
  }
  for (size_t i = 0; i < b.amount.size(); ++i) {
    if (!std::isfinite(b.amount[i]) || b.amount[i] < 0) {
      return internal::RowError(kTable, "amount", i, absl::StrCat(b.amount[i]),
                                "amounts must be finite and >= 0");
    }
  }
  INVITEGRAPH_RETURN_IF_ERROR(CheckCapacity(staged_->users, n, "user"));
  INVITEGRAPH_RETURN_IF_ERROR(CheckCapacity(staged_->items, n, "item"));
  StagedEvents& s = Mutable();
  // Idempotent ingestion: drop rows already applied. An absent category is
  // -1; an absent amount is told apart from every amount by a flag word.
  std::vector<uint8_t> keep;
  const std::vector<EventKey> keys = KeyRows(
      n, b.event_id, config_.dedupe,
      [&](size_t i) {
        internal::Fingerprinter f(internal::kPurchaseDomain);
        f.AddSigned(b.user[i]);
        f.AddSigned(b.item[i]);
        f.AddSigned(b.ts[i]);
        f.AddSigned(b.category.empty() ? kNoCategory : b.category[i]);
        f.Add(b.amount.empty() ? 0 : 1);
        if (!b.amount.empty()) f.AddDouble(b.amount[i]);
        return f.Finish();
      },
      s.purchase_keys, keep, &s.duplicate_purchases);
  std::vector<UserId> user_kept;
  std::vector<ItemId> item_kept;
  std::vector<Timestamp> ts_kept;
  std::vector<CategoryId> category_kept;
  const auto user = KeptRows(b.user, keep, user_kept);
  const auto item = KeptRows(b.item, keep, item_kept);
  const auto ts = KeptRows(b.ts, keep, ts_kept);
  const auto category = KeptRows(b.category, keep, category_kept);
  const size_t old = s.purchase_user.size();
  const size_t m = user.size();
  AppendKeys(s.purchase_key, old, m, keys);
  // Commit.
  s.purchase_user.resize(old + m);
  s.purchase_item.resize(old + m);
  s.users.MapOrInsert(user, s.purchase_user.data() + old);
  s.items.MapOrInsert(item, s.purchase_item.data() + old);
  s.purchase_ts.insert(s.purchase_ts.end(), ts.begin(), ts.end());
  for (size_t i = 0; i < m; ++i) {
    const CategoryId c = category.empty() ? kNoCategory : category[i];
    s.purchase_category.push_back(c);
    s.NoteItemCategory(s.purchase_item[old + i], c);
  }
  s.NoteTimes(ts);
  return absl::OkStatus();
}

absl::Status GraphBuilder::AddCampaigns(const CampaignBatch& batch) {
  constexpr std::string_view kTable = "campaigns";
  INVITEGRAPH_RETURN_IF_ERROR(
      internal::CheckCampaigns(kTable, batch, config_.time_limits));
  if (!batch.event_id.empty()) {
    INVITEGRAPH_RETURN_IF_ERROR(
        internal::CheckLengths(kTable, {{"inviter", batch.inviter.size()},
                                        {"event_id", batch.event_id.size()}}));
  }
  const bool has_invited = !batch.invited_offsets.empty();
  INVITEGRAPH_RETURN_IF_ERROR(CheckCapacity(
      staged_->users,
      batch.inviter.size() + batch.joined.size() + batch.invited.size(),
      "user"));
  INVITEGRAPH_RETURN_IF_ERROR(
      CheckCapacity(staged_->items, batch.inviter.size(), "item"));
  StagedEvents& s = Mutable();
  // Idempotent ingestion: drop rows already applied, with their lists.
  std::vector<uint8_t> keep;
  const std::vector<EventKey> keys = KeyRows(
      batch.inviter.size(), batch.event_id, config_.dedupe,
      [&](size_t r) {
        internal::Fingerprinter f(internal::kCampaignDomain);
        f.AddSigned(batch.inviter[r]);
        f.AddSigned(batch.item[r]);
        f.AddSigned(batch.ts.empty() ? kMissingTs : batch.ts[r]);
        f.AddSigned(batch.category.empty() ? kNoCategory : batch.category[r]);
        f.AddList(batch.joined.subspan(
            batch.joined_offsets[r],
            batch.joined_offsets[r + 1] - batch.joined_offsets[r]));
        f.Add(has_invited ? 1 : 0);
        if (has_invited) {
          f.AddList(batch.invited.subspan(
              batch.invited_offsets[r],
              batch.invited_offsets[r + 1] - batch.invited_offsets[r]));
        }
        return f.Finish();
      },
      s.campaign_keys, keep, &s.duplicate_campaigns);
  // The kept rows as a batch of their own (list columns re-based).
  std::vector<UserId> inviter_kept, joined_kept, invited_kept;
  std::vector<ItemId> item_kept;
  std::vector<Timestamp> ts_kept;
  std::vector<CategoryId> category_kept;
  std::vector<int64_t> joined_off_kept, invited_off_kept;
  CampaignBatch b = batch;
  if (!keep.empty()) {
    b.inviter = KeptRows(batch.inviter, keep, inviter_kept);
    b.item = KeptRows(batch.item, keep, item_kept);
    b.ts = KeptRows(batch.ts, keep, ts_kept);
    b.category = KeptRows(batch.category, keep, category_kept);
    auto lists =
        [&](absl::Span<const int64_t> off, absl::Span<const UserId> values,
            std::vector<int64_t>& off_out, std::vector<UserId>& values_out) {
          off_out.assign(1, 0);
          for (size_t r = 0; r + 1 < off.size(); ++r) {
            if (!keep[r]) continue;
            values_out.insert(values_out.end(), values.begin() + off[r],
                              values.begin() + off[r + 1]);
            off_out.push_back(static_cast<int64_t>(values_out.size()));
          }
        };
    lists(batch.joined_offsets, batch.joined, joined_off_kept, joined_kept);
    b.joined_offsets = joined_off_kept;
    b.joined = joined_kept;
    if (has_invited) {
      lists(batch.invited_offsets, batch.invited, invited_off_kept,
            invited_kept);
      b.invited_offsets = invited_off_kept;
      b.invited = invited_kept;
    }
  }
  const size_t n = b.inviter.size();
  AppendKeys(s.campaign_key, s.campaign_inviter.size(), n, keys);
  for (size_t r = 0; r < n; ++r) {
    s.campaign_category.push_back(b.category.empty() ? kNoCategory
                                                     : b.category[r]);
  }
  // Commit.
  auto append = [&](IdMap& map, auto ids, auto& out) {
    const size_t old = out.size();
    out.resize(old + ids.size());
    map.MapOrInsert(ids, out.data() + old);
  };
  const size_t old_rows = s.campaign_inviter.size();
  append(s.users, b.inviter, s.campaign_inviter);
  append(s.items, b.item, s.campaign_item);
  const int64_t joined_base = static_cast<int64_t>(s.joined.size());
  append(s.users, b.joined, s.joined);
  for (size_t r = 0; r < n; ++r)
    s.joined_offsets.push_back(joined_base + b.joined_offsets[r + 1]);
  const int64_t invited_base = static_cast<int64_t>(s.invited.size());
  if (has_invited) append(s.users, b.invited, s.invited);
  for (size_t r = 0; r < n; ++r) {
    s.invited_offsets.push_back(invited_base +
                                (has_invited ? b.invited_offsets[r + 1] : 0));
    s.campaign_has_invited.push_back(has_invited ? 1 : 0);
  }
  if (b.ts.empty()) {
    s.campaign_ts.resize(old_rows + n, kMissingTs);
  } else {
    s.campaign_ts.insert(s.campaign_ts.end(), b.ts.begin(), b.ts.end());
    s.NoteTimes(b.ts);
  }
  for (size_t r = 0; r < n; ++r) {
    s.NoteItemCategory(s.campaign_item[old_rows + r],
                       b.category.empty() ? kNoCategory : b.category[r]);
  }
  return absl::OkStatus();
}

namespace {

// Calls emit(src, dst, kind, ts) for every arc contribution of the staged
// rows, in a fixed order: friendships both ways, interactions and campaign
// joins (joiner -> inviter, at the campaign's ts or `as_of`), each with a
// presence record in the reverse direction. `user_of` maps staged ids.
template <typename UserOf, typename Emit>
void EmitArcContributions(const StagedEvents& s, Timestamp as_of,
                          const UserOf& user_of, const Emit& emit) {
  constexpr uint8_t kTeamJoin = static_cast<uint8_t>(Channel::kTeamJoin);
  for (size_t i = 0; i < s.friend_src.size(); ++i) {
    const NodeId a = user_of(s.friend_src[i]), b = user_of(s.friend_dst[i]);
    emit(a, b, kFriendKind, 0);
    emit(b, a, kFriendKind, 0);
  }
  for (size_t i = 0; i < s.inter_src.size(); ++i) {
    const NodeId a = user_of(s.inter_src[i]), b = user_of(s.inter_dst[i]);
    emit(a, b, s.inter_kind[i], s.inter_ts[i]);
    emit(b, a, kPresenceKind, 0);
  }
  for (size_t r = 0; r < s.campaign_inviter.size(); ++r) {
    const Timestamp ts =
        s.campaign_ts[r] == kMissingTs ? as_of : s.campaign_ts[r];
    const NodeId inviter = user_of(s.campaign_inviter[r]);
    for (int64_t j = s.joined_offsets[r]; j < s.joined_offsets[r + 1]; ++j) {
      const NodeId joiner = user_of(s.joined[j]);
      emit(joiner, inviter, kTeamJoin, ts);
      emit(inviter, joiner, kPresenceKind, 0);
    }
  }
}

// Builds the symmetric CSR from all arc contributions, bucketed by source node.
class ArcAggregator {
 public:
  ArcAggregator(uint32_t num_nodes, double half_life_days, Timestamp as_of)
      : n_(num_nodes),
        counts_(num_nodes + 1, 0),
        inv_half_life_s_(1.0 / (half_life_days * kSecondsPerDay)),
        as_of_(as_of) {}

  // Collects every contribution into buckets by source. `each(emit)` calls
  // emit(src, dst, kind, ts) for every contribution, in a fixed order; it runs
  // twice per thread (count, then place), each thread keeping the sources of
  // one contiguous node range. Reading all events once per thread is cheap
  // next to the scattered writes it parallelises, and every bucket keeps the
  // enumeration order, so sums do not depend on the thread count.
  template <typename Each>
  void Gather(int threads, const Each& each) {
    const int t_count = std::max(1, std::min<int>(threads, 16));
    std::vector<NodeId> bound(t_count + 1);
    for (int t = 0; t <= t_count; ++t) {
      bound[t] = static_cast<NodeId>(uint64_t{n_} * t / t_count);
    }
    auto per_range = [&](auto&& body) {
      (void)internal::ParallelForRange(t_count, t_count, 1,
                                       [&](int64_t t, int64_t) {
                                         body(bound[t], bound[t + 1]);
                                         return absl::OkStatus();
                                       });
    };
    per_range([&](NodeId lo, NodeId hi) {
      each([&](NodeId src, NodeId, uint8_t, Timestamp) {
        if (src >= lo && src < hi) ++counts_[src];
      });
    });
    uint64_t total = 0;
    for (uint32_t u = 0; u < n_; ++u) {
      const uint64_t c = counts_[u];
      counts_[u] = total;
      total += c;
    }
    counts_[n_] = total;
    bucket_start_ = counts_;
    // Default-initialised: every slot is written below before it is read, so
    // the buffer (the largest allocation of a build) is not zeroed.
    records_.reset(new Contribution[total]);
    per_range([&](NodeId lo, NodeId hi) {
      each([&](NodeId src, NodeId dst, uint8_t kind, Timestamp ts) {
        if (src < lo || src >= hi) return;
        // Decay is computed later, in parallel; this is a plain scatter.
        records_[counts_[src]++] = Contribution{
            dst, kind < kNumChannels ? AgeSeconds(as_of_, ts) : 0, kind};
      });
    });
  }

  // Merges each bucket into one partial aggregate per distinct target and
  // hands them, sorted by target, to `sink(row, source, partial)`, where `row`
  // numbers the arcs in (source, target) order; returns the arc count. Runs
  // `begin(num_arcs)` once the count is known, before any sink call.
  template <typename Begin, typename Sink>
  absl::StatusOr<uint64_t> Reduce(int threads, const Begin& begin,
                                  const Sink& sink) {
    // Distinct targets per source, with a per-thread dense scratch table.
    std::vector<uint64_t> degree(n_ + 1, 0);
    // Large chunks: each one allocates an n-sized scratch table.
    const int64_t chunk =
        std::max<int64_t>(4096, n_ / (4 * std::max(threads, 1)) + 1);
    INVITEGRAPH_RETURN_IF_ERROR(internal::ParallelForRange(
        n_, threads, chunk, [&](int64_t b, int64_t e) {
          std::vector<uint32_t> seen(n_, UINT32_MAX);
          for (int64_t u = b; u < e; ++u) {
            uint64_t d = 0;
            for (uint64_t i = bucket_start_[u]; i < bucket_start_[u + 1]; ++i) {
              uint32_t& s = seen[records_[i].target];
              if (s != static_cast<uint32_t>(u)) {
                s = static_cast<uint32_t>(u);
                ++d;
              }
            }
            degree[u] = d;
          }
          return absl::OkStatus();
        }));
    std::vector<uint64_t> row(n_ + 1, 0);
    for (uint32_t u = 0; u < n_; ++u) row[u + 1] = row[u] + degree[u];
    begin(row[n_]);
    INVITEGRAPH_RETURN_IF_ERROR(internal::ParallelForRange(
        n_, threads, chunk, [&](int64_t b, int64_t e) {
          std::vector<uint32_t> slot(n_, UINT32_MAX);
          std::vector<std::pair<NodeId, ArcPartial>> acc;
          for (int64_t u = b; u < e; ++u) {
            acc.clear();
            for (uint64_t i = bucket_start_[u]; i < bucket_start_[u + 1]; ++i) {
              const Contribution& r = records_[i];
              uint32_t& s = slot[r.target];
              if (s == UINT32_MAX) {
                s = static_cast<uint32_t>(acc.size());
                acc.emplace_back(r.target, ArcPartial{});
              }
              ArcPartial& a = acc[s].second;
              if (r.kind < kNumChannels) {
                // Integer sums: the same for any order of the events.
                a.channel_fixed[r.kind] +=
                    internal::FixedDecay(r.age_s, inv_half_life_s_);
                if (a.min_age_s < 0 || r.age_s < a.min_age_s) {
                  a.min_age_s = r.age_s;
                }
              } else if (r.kind == kFriendKind) {
                a.is_friend = true;
              }
            }
            std::sort(acc.begin(), acc.end(), [](const auto& x, const auto& y) {
              return x.first < y.first;
            });
            uint64_t out = row[u];
            for (const auto& [target, partial] : acc) {
              slot[target] = UINT32_MAX;
              sink(out++, static_cast<NodeId>(u), target, partial);
            }
          }
          return absl::OkStatus();
        }));
    records_.reset();
    return row[n_];
  }

  // Phase 3: reduce the buckets to packed arcs and hand them to a Boost CSR.
  absl::Status Finish(const std::array<double, kNumChannels>& channel_weights,
                      double friendship_weight, int threads, GraphData* data) {
    std::vector<NodeId> sources, targets;
    std::vector<PackedArc> arcs;
    INVITEGRAPH_RETURN_IF_ERROR(
        Reduce(
            threads,
            [&](uint64_t m) {
              sources.resize(m);
              targets.resize(m);
              arcs.resize(m);
            },
            [&](uint64_t i, NodeId u, NodeId v, const ArcPartial& a) {
              sources[i] = u;
              targets[i] = v;
              arcs[i] =
                  internal::PackArc(a, channel_weights, friendship_weight);
            })
            .status());
    internal::BuildCsr(std::move(sources), std::move(targets), std::move(arcs),
                       n_, data);
    return absl::OkStatus();
  }

 private:
  uint32_t n_;
  std::vector<uint64_t> counts_;
  std::vector<uint64_t> bucket_start_;
  std::unique_ptr<Contribution[]> records_;
  double inv_half_life_s_;
  Timestamp as_of_;
};

}  // namespace

void ArcPartial::Merge(const ArcPartial& o) {
  for (int c = 0; c < kNumChannels; ++c) channel_fixed[c] += o.channel_fixed[c];
  if (o.min_age_s >= 0 && (min_age_s < 0 || o.min_age_s < min_age_s)) {
    min_age_s = o.min_age_s;
  }
  is_friend = is_friend || o.is_friend;
}

absl::StatusOr<std::vector<ArcInfo>> FinishArcs(
    const std::vector<ArcPartial>& partials, const GraphConfig& config) {
  INVITEGRAPH_RETURN_IF_ERROR(config.Validate());
  INVITEGRAPH_ASSIGN_OR_RETURN(const auto weights,
                               ResolveChannelWeights(config));
  std::vector<ArcInfo> out(partials.size());
  for (size_t i = 0; i < partials.size(); ++i) {
    const ArcPartial& p = partials[i];
    for (int c = 0; c < kNumChannels; ++c) {
      if (p.channel_fixed[c] < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("arc partials: row ", i, ": channel_fixed[", c,
                         "]=", p.channel_fixed[c], " is negative"));
      }
    }
    out[i] = internal::UnpackArc(
        internal::PackArc(p, weights, config.friendship_weight), kNoNode);
  }
  return out;
}

absl::StatusOr<ArcInfo> FinishArc(const ArcPartial& p,
                                  const GraphConfig& config) {
  INVITEGRAPH_ASSIGN_OR_RETURN(std::vector<ArcInfo> one,
                               FinishArcs({p}, config));
  return one[0];
}

absl::StatusOr<ArcPartialTable> GraphBuilder::PartialArcs(
    Timestamp as_of, int num_threads) const {
  const StagedEvents& s = *staged_;
  INVITEGRAPH_RETURN_IF_ERROR(config_.Validate());
  INVITEGRAPH_RETURN_IF_ERROR(
      CheckTimestamp(as_of, config_.time_limits, "as_of"));
  INVITEGRAPH_RETURN_IF_ERROR(
      internal::CheckNotAfter("interactions", s.inter_ts, as_of));
  INVITEGRAPH_RETURN_IF_ERROR(
      internal::CheckNotAfter("campaigns", s.campaign_ts, as_of));
  ArcPartialTable out;
  if (s.users.size() == 0) return out;
  std::vector<uint32_t> perm;
  const IdMap users = s.users.IsSorted() ? s.users : s.users.Sorted(&perm);
  const auto user_of = [&](uint32_t id) {
    return perm.empty() ? id : perm[id];
  };
  ArcAggregator agg(static_cast<uint32_t>(users.size()), config_.half_life_days,
                    as_of);
  const int threads = internal::ResolveThreads(
      num_threads != 0 ? num_threads : config_.num_threads);
  agg.Gather(threads, [&](auto&& emit) {
    EmitArcContributions(s, as_of, user_of, emit);
  });
  INVITEGRAPH_RETURN_IF_ERROR(
      agg.Reduce(
             threads,
             [&](uint64_t m) {
               out.src.resize(m);
               out.dst.resize(m);
               out.partial.resize(m);
             },
             [&](uint64_t i, NodeId u, NodeId v, const ArcPartial& a) {
               out.src[i] = users.external(u);
               out.dst[i] = users.external(v);
               out.partial[i] = a;
             })
          .status());
  return out;
}

absl::StatusOr<SocialGraph> GraphBuilder::Build(
    const BuildOptions& options) const {
  // The default as_of (the latest staged time) was checked when staged.
  // Training rebuilds call BuildFromStaged directly, as of times checked as
  // history rows.
  if (options.as_of.has_value()) {
    INVITEGRAPH_RETURN_IF_ERROR(config_.Validate());
    INVITEGRAPH_RETURN_IF_ERROR(CheckTimestamp(
        *options.as_of, config_.time_limits, "BuildOptions.as_of"));
  }
  return internal::BuildFromStaged(
      *staged_, options.keep_events ? staged_ : nullptr, config_, options);
}

namespace internal {

StagedEvents Filter(const StagedEvents& s, const EventFilter& filter,
                    Timestamp missing_ts_at) {
  auto keep_time = [&](Timestamp ts) {
    return !filter.before || ts < *filter.before;
  };
  StagedEvents out;
  out.users = s.users;
  out.items = s.items;
  out.item_category = s.item_category;
  out.friend_src = s.friend_src;
  out.friend_dst = s.friend_dst;
  out.attributes = s.attributes;
  out.profile_rows = s.profile_rows;
  for (size_t i = 0; i < s.inter_src.size(); ++i) {
    if (!keep_time(s.inter_ts[i])) continue;
    out.inter_src.push_back(s.inter_src[i]);
    out.inter_dst.push_back(s.inter_dst[i]);
    out.inter_kind.push_back(s.inter_kind[i]);
    out.inter_ts.push_back(s.inter_ts[i]);
    if (!s.inter_key.empty()) out.inter_key.push_back(s.inter_key[i]);
  }
  for (size_t i = 0; i < s.purchase_user.size(); ++i) {
    if (!keep_time(s.purchase_ts[i])) continue;
    out.purchase_user.push_back(s.purchase_user[i]);
    out.purchase_item.push_back(s.purchase_item[i]);
    out.purchase_ts.push_back(s.purchase_ts[i]);
    out.purchase_category.push_back(s.purchase_category[i]);
    if (!s.purchase_key.empty()) out.purchase_key.push_back(s.purchase_key[i]);
  }
  for (size_t r = 0; r < s.campaign_inviter.size(); ++r) {
    // Pinned, so that a rebuild with another as_of does not move them.
    const Timestamp ts =
        s.campaign_ts[r] == kMissingTs ? missing_ts_at : s.campaign_ts[r];
    if (!keep_time(ts)) continue;
    if (!filter.drop_campaign.empty() && filter.drop_campaign[r]) continue;
    out.campaign_inviter.push_back(s.campaign_inviter[r]);
    out.campaign_item.push_back(s.campaign_item[r]);
    out.campaign_ts.push_back(ts);
    out.joined.insert(out.joined.end(), s.joined.begin() + s.joined_offsets[r],
                      s.joined.begin() + s.joined_offsets[r + 1]);
    out.joined_offsets.push_back(static_cast<int64_t>(out.joined.size()));
    out.campaign_has_invited.push_back(s.campaign_has_invited[r]);
    out.invited.insert(out.invited.end(),
                       s.invited.begin() + s.invited_offsets[r],
                       s.invited.begin() + s.invited_offsets[r + 1]);
    out.invited_offsets.push_back(static_cast<int64_t>(out.invited.size()));
    out.campaign_category.push_back(s.campaign_category[r]);
    if (!s.campaign_key.empty()) out.campaign_key.push_back(s.campaign_key[r]);
  }
  out.duplicate_interactions = s.duplicate_interactions;
  out.duplicate_purchases = s.duplicate_purchases;
  out.duplicate_campaigns = s.duplicate_campaigns;
  for (Timestamp t : out.inter_ts) out.max_ts = std::max(out.max_ts, t);
  for (Timestamp t : out.purchase_ts) out.max_ts = std::max(out.max_ts, t);
  for (Timestamp t : out.campaign_ts) out.max_ts = std::max(out.max_ts, t);
  return out;
}

StagedEvents WithoutRows(const StagedEvents& s,
                         absl::Span<const uint8_t> drop_interaction,
                         absl::Span<const uint8_t> drop_purchase,
                         absl::Span<const uint8_t> drop_campaign) {
  auto dropped = [](absl::Span<const uint8_t> drop, size_t i) {
    return !drop.empty() && drop[i];
  };
  // Users and items the remaining rows name, in their old dense order.
  std::vector<uint8_t> user_used(s.users.size(), 0), item_used(s.items.size());
  for (size_t i = 0; i < s.friend_src.size(); ++i) {
    user_used[s.friend_src[i]] = user_used[s.friend_dst[i]] = 1;
  }
  for (size_t i = 0; i < s.inter_src.size(); ++i) {
    if (dropped(drop_interaction, i)) continue;
    user_used[s.inter_src[i]] = user_used[s.inter_dst[i]] = 1;
  }
  for (size_t i = 0; i < s.purchase_user.size(); ++i) {
    if (dropped(drop_purchase, i)) continue;
    user_used[s.purchase_user[i]] = 1;
    item_used[s.purchase_item[i]] = 1;
  }
  for (size_t r = 0; r < s.campaign_inviter.size(); ++r) {
    if (dropped(drop_campaign, r)) continue;
    user_used[s.campaign_inviter[r]] = 1;
    item_used[s.campaign_item[r]] = 1;
    for (int64_t j = s.joined_offsets[r]; j < s.joined_offsets[r + 1]; ++j) {
      user_used[s.joined[j]] = 1;
    }
    for (int64_t j = s.invited_offsets[r]; j < s.invited_offsets[r + 1]; ++j) {
      user_used[s.invited[j]] = 1;
    }
  }
  // Users known from profiles only stay, with their values.
  MarkProfiledUsers(s.attributes, user_used);
  StagedEvents out;
  auto remap = [](const IdMap& map, const std::vector<uint8_t>& used,
                  IdMap& to) {
    std::vector<int64_t> ids;
    for (size_t d = 0; d < used.size(); ++d) {
      if (used[d]) ids.push_back(map.external(static_cast<uint32_t>(d)));
    }
    std::vector<uint32_t> dense(ids.size());
    to.MapOrInsert(ids, dense.data());
    std::vector<uint32_t> of(used.size(), IdMap::kAbsent);
    for (size_t d = 0, k = 0; d < used.size(); ++d) {
      if (used[d]) of[d] = dense[k++];
    }
    return of;
  };
  const std::vector<uint32_t> user_of = remap(s.users, user_used, out.users);
  const std::vector<uint32_t> item_of = remap(s.items, item_used, out.items);
  for (size_t i = 0; i < s.friend_src.size(); ++i) {
    out.friend_src.push_back(user_of[s.friend_src[i]]);
    out.friend_dst.push_back(user_of[s.friend_dst[i]]);
  }
  for (size_t i = 0; i < s.inter_src.size(); ++i) {
    if (dropped(drop_interaction, i)) continue;
    out.inter_src.push_back(user_of[s.inter_src[i]]);
    out.inter_dst.push_back(user_of[s.inter_dst[i]]);
    out.inter_kind.push_back(s.inter_kind[i]);
    out.inter_ts.push_back(s.inter_ts[i]);
    if (!s.inter_key.empty()) out.inter_key.push_back(s.inter_key[i]);
  }
  for (size_t i = 0; i < s.purchase_user.size(); ++i) {
    if (dropped(drop_purchase, i)) continue;
    out.purchase_user.push_back(user_of[s.purchase_user[i]]);
    out.purchase_item.push_back(item_of[s.purchase_item[i]]);
    out.purchase_ts.push_back(s.purchase_ts[i]);
    out.purchase_category.push_back(s.purchase_category[i]);
    out.NoteItemCategory(out.purchase_item.back(), s.purchase_category[i]);
    if (!s.purchase_key.empty()) out.purchase_key.push_back(s.purchase_key[i]);
  }
  for (size_t r = 0; r < s.campaign_inviter.size(); ++r) {
    if (dropped(drop_campaign, r)) continue;
    out.campaign_inviter.push_back(user_of[s.campaign_inviter[r]]);
    out.campaign_item.push_back(item_of[s.campaign_item[r]]);
    out.campaign_ts.push_back(s.campaign_ts[r]);
    for (int64_t j = s.joined_offsets[r]; j < s.joined_offsets[r + 1]; ++j) {
      out.joined.push_back(user_of[s.joined[j]]);
    }
    out.joined_offsets.push_back(static_cast<int64_t>(out.joined.size()));
    out.campaign_has_invited.push_back(s.campaign_has_invited[r]);
    for (int64_t j = s.invited_offsets[r]; j < s.invited_offsets[r + 1]; ++j) {
      out.invited.push_back(user_of[s.invited[j]]);
    }
    out.invited_offsets.push_back(static_cast<int64_t>(out.invited.size()));
    out.campaign_category.push_back(s.campaign_category[r]);
    out.NoteItemCategory(out.campaign_item.back(), s.campaign_category[r]);
    if (!s.campaign_key.empty()) out.campaign_key.push_back(s.campaign_key[r]);
  }
  out.item_category.resize(out.items.size(), kNoCategory);
  out.attributes = RemapStaged(s.attributes, user_of,
                               static_cast<uint32_t>(out.users.size()));
  out.profile_rows = s.profile_rows;
  out.duplicate_interactions = s.duplicate_interactions;
  out.duplicate_purchases = s.duplicate_purchases;
  out.duplicate_campaigns = s.duplicate_campaigns;
  out.NoteTimes(out.inter_ts);
  out.NoteTimes(out.purchase_ts);
  for (Timestamp t : out.campaign_ts) {
    if (t != kMissingTs) out.max_ts = std::max(out.max_ts, t);
  }
  return out;
}

// The sorted, unique keys of a per-row key column, kNoKey left out.
std::vector<EventKey> AppliedKeysOf(const std::vector<EventKey>& per_row) {
  std::vector<EventKey> keys;
  keys.reserve(per_row.size());
  for (const EventKey& k : per_row) {
    if (k != kNoKey) keys.push_back(k);
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

absl::StatusOr<SocialGraph> BuildFromStaged(
    const StagedEvents& s, std::shared_ptr<const StagedEvents> keep,
    const GraphConfig& config, const BuildOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  INVITEGRAPH_RETURN_IF_ERROR(config.Validate());
  INVITEGRAPH_ASSIGN_OR_RETURN(const auto channel_weights,
                               ResolveChannelWeights(config));
  if (options.abuse) {
    INVITEGRAPH_RETURN_IF_ERROR(ValidateAbuseOptions(*options.abuse));
  }
  if (s.users.size() == 0) {
    return absl::FailedPreconditionError(
        "nothing to build: no friendships, interactions, purchases or "
        "campaigns were added");
  }
  Timestamp as_of =
      options.as_of.value_or(s.max_ts == kMissingTs ? 0 : s.max_ts);
  INVITEGRAPH_RETURN_IF_ERROR(CheckNotAfter("interactions", s.inter_ts, as_of));
  INVITEGRAPH_RETURN_IF_ERROR(CheckNotAfter("purchases", s.purchase_ts, as_of));
  INVITEGRAPH_RETURN_IF_ERROR(CheckNotAfter("campaigns", s.campaign_ts, as_of));
  const int threads = internal::ResolveThreads(config.num_threads);
  internal::ProgressReporter progress(options.progress, 4);

  auto data = std::make_shared<GraphData>();
  data->config = config;
  data->as_of = as_of;
  for (int c = 0; c < kNumChannels; ++c) {
    data->channel_weights[c] = static_cast<float>(channel_weights[c]);
  }
  // Dense ids in ascending external-id order (IdMap::Sorted), whatever the
  // order the rows came in.
  std::vector<uint32_t> user_perm, item_perm;
  data->users = s.users.IsSorted() ? s.users : s.users.Sorted(&user_perm);
  data->items = s.items.IsSorted() ? s.items : s.items.Sorted(&item_perm);
  const auto user_of = [&](uint32_t id) {
    return user_perm.empty() ? id : user_perm[id];
  };
  const auto item_of = [&](uint32_t id) {
    return item_perm.empty() ? id : item_perm[id];
  };
  const uint32_t n = static_cast<uint32_t>(s.users.size());

  // 1. Arcs (EmitArcContributions).
  {
    ArcAggregator agg(n, config.half_life_days, as_of);
    agg.Gather(threads, [&](auto&& emit) {
      EmitArcContributions(s, as_of, user_of, emit);
    });
    progress.Add(1);
    INVITEGRAPH_RETURN_IF_ERROR(agg.Finish(
        channel_weights, config.friendship_weight, threads, data.get()));
    progress.Add(1);
  }

  // 2. Activity and first-seen times.
  data->activity_7d.assign(n, 0);
  data->activity_30d.assign(n, 0);
  data->first_seen.assign(n, -1);
  AddActivity(s, as_of, user_of, data->activity_7d, data->activity_30d,
              data->first_seen);
  FillIsNew(*data);

  // 3. Join rates: exposures from `invited` lists, else from the inviter's
  // contacts.
  data->joins.assign(n, 0);
  data->exposures.assign(n, 0);
  AddJoinsAndExposures(
      s, user_of, [&](NodeId u) { return data->neighbors(u); }, data->joins,
      data->exposures);
  FillJoinRates(*data);
  progress.Add(1);

  // 4. Purchases (including campaign joins and the inviter's own order):
  // per-user item and category affinities, item buyers.
  const PurchaseTriples p =
      CollectPurchases(s, as_of, config.half_life_days, user_of, item_of);
  const auto& p_user = p.user;
  const auto& p_item = p.item;
  const auto& p_weight = p.weight;
  const uint32_t num_items = static_cast<uint32_t>(s.items.size());
  data->item_category.assign(num_items, IdMap::kAbsent);
  {
    // Categories too are numbered in ascending order.
    std::vector<CategoryId> named;
    for (CategoryId c : s.item_category) {
      if (c != kNoCategory) named.push_back(c);
    }
    std::sort(named.begin(), named.end());
    named.erase(std::unique(named.begin(), named.end()), named.end());
    std::vector<uint32_t> dense(named.size());
    data->categories.MapOrInsert(named, dense.data());
    for (uint32_t i = 0; i < num_items && i < s.item_category.size(); ++i) {
      if (s.item_category[i] != kNoCategory) {
        data->item_category[item_of(i)] =
            *data->categories.Find(s.item_category[i]);
      }
    }
  }
  data->user_items = MergeRows({}, 1, n, p_user, p_item, p_weight);
  data->item_buyers = MergeRows({}, 1, num_items, p_item, p_user, p_weight);
  {
    const PurchaseTriples c = p.ByCategory(data->item_category);
    data->user_categories = MergeRows({}, 1, n, c.user, c.item, c.weight);
  }
  FillPurchaseTotals(*data);
  progress.Add(1);

  // 5. Profile attributes.
  data->attributes = BuildAttributes(s.attributes, n, user_of);

  // 6. Communities, once per build, over the finished CSR.
  GraphStats& st = data->stats;
  if (options.communities) FillCommunities(*data);
  if (options.centrality) FillCentrality(*data);
  if (options.abuse) {
    std::vector<AssistEvent> assists = KeptAssists(s, *data);
    AttachAbuse(*data, DetectAbuseOn(*data, *options.abuse, &assists));
  }

  // 7. Statistics.
  st.num_nodes = n;
  st.num_arcs = static_cast<int64_t>(data->targets.size());
  st.num_items = num_items;
  st.num_categories = data->categories.size();
  st.num_events =
      static_cast<int64_t>(s.friend_src.size() + s.inter_src.size() +
                           s.purchase_user.size() + s.campaign_inviter.size());
  // Idempotent ingestion: what a later Update() must skip.
  data->applied_keys.interactions = AppliedKeysOf(s.inter_key);
  data->applied_keys.purchases = AppliedKeysOf(s.purchase_key);
  data->applied_keys.campaigns = AppliedKeysOf(s.campaign_key);
  st.duplicates_skipped = s.duplicates();
  FillMemoryStats(*data);
  st.as_of = as_of;
  st.build_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  data->events = std::move(keep);
  return SocialGraph(std::move(data));
}

}  // namespace internal
}  // namespace invitegraph
