// Validate-then-commit staging of the event tables (stage.h): every check of
// a batch runs before the first row is written, then rows already applied
// (idempotent ingestion, event_key.h) are dropped and the rest appended.
#include "ingest/stage.h"

#include <cmath>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ingest/attributes.h"
#include "ingest/event_key.h"
#include "ingest/id_map.h"
#include "ingest/validate.h"
#include "internal/strings.h"
#include "invitegraph/status.h"
#include "invitegraph/time_limits.h"

namespace invitegraph::internal {
namespace {

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
    const EventKey k = event_id.empty() ? fingerprint(i) : IdKey(event_id[i]);
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
  column.resize(old_rows, kNoKey);
  if (keys.empty()) {
    column.resize(old_rows + added, kNoKey);
  } else {
    column.insert(column.end(), keys.begin(), keys.end());
  }
}
// --- end idempotent ingestion ---------------------------------------------

}  // namespace

absl::Status IngestProfiles(const GraphConfig& /*config*/,
                            const StagingTarget& to, const ProfileBatch& b) {
  INVITEGRAPH_RETURN_IF_ERROR(ValidateProfiles(b, to.current.attributes));
  INVITEGRAPH_RETURN_IF_ERROR(
      CheckCapacity(to.current.users, b.user.size(), "user"));
  // Commit.
  StagedEvents& s = to.writable();
  std::vector<uint32_t> users(b.user.size());
  s.users.MapOrInsert(b.user, users.data());
  StageProfiles(b, users, s.attributes);
  s.profile_rows += static_cast<int64_t>(b.user.size());
  return absl::OkStatus();
}

absl::Status IngestFriendships(const GraphConfig& /*config*/,
                               const StagingTarget& to,
                               const FriendshipBatch& b) {
  constexpr std::string_view kTable = "friendships";
  INVITEGRAPH_RETURN_IF_ERROR(
      CheckLengths(kTable, {{"src", b.src.size()}, {"dst", b.dst.size()}}));
  INVITEGRAPH_RETURN_IF_ERROR(CheckIds(kTable, "src", b.src));
  INVITEGRAPH_RETURN_IF_ERROR(CheckIds(kTable, "dst", b.dst));
  INVITEGRAPH_RETURN_IF_ERROR(CheckNoSelfLoops(kTable, "src", b.src, b.dst));
  INVITEGRAPH_RETURN_IF_ERROR(
      CheckCapacity(to.current.users, 2 * b.src.size(), "user"));
  // Commit.
  StagedEvents& s = to.writable();
  const size_t old = s.friend_src.size();
  s.friend_src.resize(old + b.src.size());
  s.friend_dst.resize(old + b.src.size());
  s.users.MapOrInsert(b.src, s.friend_src.data() + old);
  s.users.MapOrInsert(b.dst, s.friend_dst.data() + old);
  return absl::OkStatus();
}

absl::Status IngestInteractions(const GraphConfig& config,
                                const StagingTarget& to,
                                const InteractionBatch& batch) {
  constexpr std::string_view kTable = "interactions";
  INVITEGRAPH_RETURN_IF_ERROR(CheckLengths(kTable, {{"src", batch.src.size()},
                                                    {"dst", batch.dst.size()},
                                                    {"kind", batch.kind.size()},
                                                    {"ts", batch.ts.size()}}));
  if (!batch.event_id.empty()) {
    INVITEGRAPH_RETURN_IF_ERROR(CheckLengths(
        kTable,
        {{"src", batch.src.size()}, {"event_id", batch.event_id.size()}}));
  }
  const InteractionBatch& b = batch;
  INVITEGRAPH_RETURN_IF_ERROR(CheckIds(kTable, "src", b.src));
  INVITEGRAPH_RETURN_IF_ERROR(CheckIds(kTable, "dst", b.dst));
  INVITEGRAPH_RETURN_IF_ERROR(CheckNoSelfLoops(kTable, "src", b.src, b.dst));
  INVITEGRAPH_RETURN_IF_ERROR(
      CheckTimestamps(b.ts, config.time_limits, kTable));
  for (size_t i = 0; i < b.kind.size(); ++i) {
    if (static_cast<int>(b.kind[i]) >= kNumChannels) {
      return RowError(kTable, "kind", i,
                      absl::StrCat(static_cast<int>(b.kind[i])),
                      absl::StrCat("unknown channel code; known kinds: ",
                                   Join(ChannelNames(), ", ")));
    }
  }
  INVITEGRAPH_RETURN_IF_ERROR(
      CheckCapacity(to.current.users, 2 * batch.src.size(), "user"));
  StagedEvents& s = to.writable();
  // Idempotent ingestion: drop rows already applied.
  std::vector<uint8_t> keep;
  const std::vector<EventKey> keys = KeyRows(
      batch.src.size(), batch.event_id, config.dedupe,
      [&](size_t i) {
        Fingerprinter f(kInteractionDomain);
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

absl::Status IngestInteractions(const GraphConfig& config,
                                const StagingTarget& to,
                                const EncodedInteractionBatch& b) {
  constexpr std::string_view kTable = "interactions";
  INVITEGRAPH_RETURN_IF_ERROR(
      CheckLengths(kTable, {{"src", b.src.size()},
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
      return RowError(kTable, "kind", i, code < 0 ? "<missing>" : "<bad code>",
                      absl::StrCat("kind is missing; known kinds: ",
                                   Join(ChannelNames(), ", ")));
    }
    if (code_to_channel[code] < 0) {
      return RowError(kTable, "kind", i,
                      absl::StrCat("'", b.kind_names[code], "'"),
                      absl::StrCat("unknown interaction kind; known kinds: ",
                                   Join(ChannelNames(), ", ")));
    }
    kinds[i] = static_cast<Channel>(code_to_channel[code]);
  }
  if (!b.event_id.empty()) {
    INVITEGRAPH_RETURN_IF_ERROR(CheckLengths(
        kTable, {{"src", b.src.size()}, {"event_id", b.event_id.size()}}));
  }
  return IngestInteractions(
      config, to, InteractionBatch{b.src, b.dst, kinds, b.ts, b.event_id});
}

absl::Status IngestPurchases(const GraphConfig& config, const StagingTarget& to,
                             const PurchaseBatch& batch) {
  constexpr std::string_view kTable = "purchases";
  const PurchaseBatch& b = batch;
  const size_t n = b.user.size();
  INVITEGRAPH_RETURN_IF_ERROR(CheckLengths(
      kTable, {{"user", n}, {"item", b.item.size()}, {"ts", b.ts.size()}}));
  if (!b.category.empty()) {
    INVITEGRAPH_RETURN_IF_ERROR(
        CheckLengths(kTable, {{"user", n}, {"category", b.category.size()}}));
  }
  if (!b.amount.empty()) {
    INVITEGRAPH_RETURN_IF_ERROR(
        CheckLengths(kTable, {{"user", n}, {"amount", b.amount.size()}}));
  }
  if (!b.event_id.empty()) {
    INVITEGRAPH_RETURN_IF_ERROR(
        CheckLengths(kTable, {{"user", n}, {"event_id", b.event_id.size()}}));
  }
  INVITEGRAPH_RETURN_IF_ERROR(CheckIds(kTable, "user", b.user));
  INVITEGRAPH_RETURN_IF_ERROR(CheckIds(kTable, "item", b.item));
  INVITEGRAPH_RETURN_IF_ERROR(
      CheckTimestamps(b.ts, config.time_limits, kTable));
  for (size_t i = 0; i < b.category.size(); ++i) {
    if (b.category[i] < kNoCategory) {
      return RowError(kTable, "category", i, absl::StrCat(b.category[i]),
                      "categories must be >= 0 (or -1 for unknown)");
    }
  }
  for (size_t i = 0; i < b.amount.size(); ++i) {
    if (!std::isfinite(b.amount[i]) || b.amount[i] < 0) {
      return RowError(kTable, "amount", i, absl::StrCat(b.amount[i]),
                      "amounts must be finite and >= 0");
    }
  }
  INVITEGRAPH_RETURN_IF_ERROR(CheckCapacity(to.current.users, n, "user"));
  INVITEGRAPH_RETURN_IF_ERROR(CheckCapacity(to.current.items, n, "item"));
  StagedEvents& s = to.writable();
  // Idempotent ingestion: drop rows already applied. An absent category is
  // -1; an absent amount is told apart from every amount by a flag word.
  std::vector<uint8_t> keep;
  const std::vector<EventKey> keys = KeyRows(
      n, b.event_id, config.dedupe,
      [&](size_t i) {
        Fingerprinter f(kPurchaseDomain);
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

absl::Status IngestCampaigns(const GraphConfig& config, const StagingTarget& to,
                             const CampaignBatch& batch) {
  constexpr std::string_view kTable = "campaigns";
  INVITEGRAPH_RETURN_IF_ERROR(
      CheckCampaigns(kTable, batch, config.time_limits));
  if (!batch.event_id.empty()) {
    INVITEGRAPH_RETURN_IF_ERROR(
        CheckLengths(kTable, {{"inviter", batch.inviter.size()},
                              {"event_id", batch.event_id.size()}}));
  }
  const bool has_invited = !batch.invited_offsets.empty();
  INVITEGRAPH_RETURN_IF_ERROR(CheckCapacity(
      to.current.users,
      batch.inviter.size() + batch.joined.size() + batch.invited.size(),
      "user"));
  INVITEGRAPH_RETURN_IF_ERROR(
      CheckCapacity(to.current.items, batch.inviter.size(), "item"));
  StagedEvents& s = to.writable();
  // Idempotent ingestion: drop rows already applied, with their lists.
  std::vector<uint8_t> keep;
  const std::vector<EventKey> keys = KeyRows(
      batch.inviter.size(), batch.event_id, config.dedupe,
      [&](size_t r) {
        Fingerprinter f(kCampaignDomain);
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

}  // namespace invitegraph::internal
