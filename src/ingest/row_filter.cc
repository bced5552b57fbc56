// Filtered copies of staged rows (staged_events.h): Filter for as-of and
// leave-record-out rebuilds, WithoutRows for Forget, AppliedKeysOf for the
// keys a graph keeps.
#include <algorithm>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/types/span.h"
#include "ingest/staged_events.h"

namespace invitegraph::internal {

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
    if (!filter.drop_purchase.empty() && filter.drop_purchase[i]) continue;
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
  out.purchases_matched = s.purchases_matched;
  for (Timestamp t : out.inter_ts) out.max_ts = std::max(out.max_ts, t);
  for (Timestamp t : out.purchase_ts) out.max_ts = std::max(out.max_ts, t);
  for (Timestamp t : out.campaign_ts) out.max_ts = std::max(out.max_ts, t);
  return out;
}

std::optional<Timestamp> ParticipationWindow(double window_days) {
  if (window_days < 0) return std::nullopt;
  return static_cast<Timestamp>(std::min(window_days, 1e6) * kSecondsPerDay);
}

PurchaseRowIndex::PurchaseRowIndex(const StagedEvents& s,
                                   absl::Span<const Participation> campaigns)
    : s_(s) {
  if (s.purchase_user.empty()) return;
  for (const Participation& c : campaigns) {
    for (NodeId u : c.members) rows_[{u, c.item}];
  }
  if (rows_.empty()) return;
  for (size_t i = 0; i < s.purchase_user.size(); ++i) {
    auto it = rows_.find({s.purchase_user[i], s.purchase_item[i]});
    if (it != rows_.end()) it->second.push_back(static_cast<uint32_t>(i));
  }
}

std::vector<uint32_t> PurchaseRowIndex::Claim(
    absl::Span<const Participation> campaigns, Timestamp window_seconds) const {
  std::vector<uint32_t> claimed;
  absl::flat_hash_set<uint32_t> taken;
  for (const Participation& c : campaigns) {
    for (NodeId u : c.members) {
      auto it = rows_.find({u, c.item});
      if (it == rows_.end()) continue;
      int64_t best = -1;
      Timestamp best_gap = 0;
      for (uint32_t i : it->second) {
        if (taken.contains(i)) continue;
        const Timestamp t = s_.purchase_ts[i];
        if (c.ts == kMissingTs) {  // the latest row, whatever its time
          if (best < 0 || t > s_.purchase_ts[best]) best = i;
          continue;
        }
        const Timestamp gap = t > c.ts ? t - c.ts : c.ts - t;
        if (gap > window_seconds) continue;
        if (best < 0 || gap < best_gap) {
          best = i;
          best_gap = gap;
        }
      }
      if (best >= 0) {
        taken.insert(static_cast<uint32_t>(best));
        claimed.push_back(static_cast<uint32_t>(best));
      }
    }
  }
  return claimed;
}

Participation MakeParticipation(std::vector<NodeId> members, uint32_t item,
                                Timestamp ts) {
  std::sort(members.begin(), members.end());
  members.erase(std::unique(members.begin(), members.end()), members.end());
  return {.members = std::move(members), .item = item, .ts = ts};
}

std::shared_ptr<const StagedEvents> WithoutParticipations(
    std::shared_ptr<const StagedEvents> s, double window_days) {
  const std::optional<Timestamp> window = ParticipationWindow(window_days);
  if (!window || s->campaign_inviter.empty() || s->purchase_user.empty()) {
    return s;
  }
  std::vector<Participation> campaigns;
  campaigns.reserve(s->campaign_inviter.size());
  for (size_t r = 0; r < s->campaign_inviter.size(); ++r) {
    std::vector<NodeId> members = {s->campaign_inviter[r]};
    members.insert(members.end(), s->joined.begin() + s->joined_offsets[r],
                   s->joined.begin() + s->joined_offsets[r + 1]);
    campaigns.push_back(MakeParticipation(
        std::move(members), s->campaign_item[r], s->campaign_ts[r]));
  }
  const std::vector<uint32_t> claimed =
      PurchaseRowIndex(*s, campaigns).Claim(campaigns, *window);
  if (claimed.empty()) return s;
  std::vector<uint8_t> drop(s->purchase_user.size(), 0);
  for (uint32_t i : claimed) drop[i] = 1;
  // A copy with every row but the claimed purchases; campaign times stay as
  // they are (a campaign without ts keeps kMissingTs).
  auto out = std::make_shared<StagedEvents>(*s);
  size_t kept = 0;
  for (size_t i = 0; i < s->purchase_user.size(); ++i) {
    if (drop[i]) continue;
    out->purchase_user[kept] = s->purchase_user[i];
    out->purchase_item[kept] = s->purchase_item[i];
    out->purchase_ts[kept] = s->purchase_ts[i];
    out->purchase_category[kept] = s->purchase_category[i];
    if (!s->purchase_key.empty()) out->purchase_key[kept] = s->purchase_key[i];
    ++kept;
  }
  out->purchase_user.resize(kept);
  out->purchase_item.resize(kept);
  out->purchase_ts.resize(kept);
  out->purchase_category.resize(kept);
  if (!out->purchase_key.empty()) out->purchase_key.resize(kept);
  out->purchases_matched += static_cast<int64_t>(claimed.size());
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

}  // namespace invitegraph::internal
