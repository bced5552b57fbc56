// The validated event rows a GraphBuilder holds, with ids already mapped to
// dense ids. A built graph may keep them (BuildOptions::keep_events) so that
// training sets can rebuild it without some events: without the campaigns a
// training record contributed, or as of an earlier time.
#ifndef INVITEGRAPH_INGEST_STAGED_EVENTS_H_
#define INVITEGRAPH_INGEST_STAGED_EVENTS_H_

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "ingest/attributes.h"
#include "ingest/event_key.h"
#include "ingest/id_map.h"
#include "invitegraph/graph_config.h"
#include "invitegraph/types.h"

namespace invitegraph::internal {

// Campaign rows without a timestamp are placed at as_of.
inline constexpr Timestamp kMissingTs = std::numeric_limits<Timestamp>::min();

struct StagedEvents {
  IdMap users;
  IdMap items;
  std::vector<CategoryId> item_category;  // by dense item; kNoCategory unknown

  std::vector<NodeId> friend_src, friend_dst;

  std::vector<NodeId> inter_src, inter_dst;
  std::vector<uint8_t> inter_kind;
  std::vector<Timestamp> inter_ts;

  std::vector<NodeId> purchase_user;
  std::vector<uint32_t> purchase_item;
  std::vector<Timestamp> purchase_ts;

  std::vector<NodeId> campaign_inviter;
  std::vector<uint32_t> campaign_item;
  std::vector<Timestamp> campaign_ts;  // kMissingTs when absent
  std::vector<int64_t> joined_offsets{0};
  std::vector<NodeId> joined;
  std::vector<uint8_t> campaign_has_invited;
  std::vector<int64_t> invited_offsets{0};
  std::vector<NodeId> invited;

  // Profile attribute columns (profiles.h), by staged dense user.
  StagedAttributes attributes;
  int64_t profile_rows = 0;

  Timestamp max_ts = kMissingTs;

  // --- Idempotent ingestion (event_key.h) ---------------------------------
  // One key per staged row (kNoKey: none), or empty while no row of the table
  // has one. Filter() carries them with their rows.
  std::vector<EventKey> inter_key, purchase_key, campaign_key;
  // Each purchase's and campaign's own category (kNoCategory when absent), so
  // that rows can be dropped (WithoutRows) and item categories recomputed.
  std::vector<CategoryId> purchase_category, campaign_category;
  // Every key applied per table, for dedupe while staging; Filter() leaves
  // them empty (its output is built, never added to).
  absl::flat_hash_set<EventKey> inter_keys, purchase_keys, campaign_keys;
  // Rows skipped as duplicates while staging.
  int64_t duplicate_interactions = 0, duplicate_purchases = 0,
          duplicate_campaigns = 0;
  // Purchase rows left out as campaign participations (WithoutParticipations).
  int64_t purchases_matched = 0;
  int64_t duplicates() const {
    return duplicate_interactions + duplicate_purchases + duplicate_campaigns;
  }
  // --- end idempotent ingestion -------------------------------------------

  void NoteTimes(absl::Span<const Timestamp> ts) {
    for (Timestamp t : ts) max_ts = std::max(max_ts, t);
  }
  // An item named with several categories keeps the smallest, whatever the
  // row order, so that builds from shards of the rows agree.
  void NoteItemCategory(uint32_t item, CategoryId category) {
    if (item >= item_category.size())
      item_category.resize(item + 1, kNoCategory);
    if (category == kNoCategory) return;
    CategoryId& c = item_category[item];
    if (c == kNoCategory || category < c) c = category;
  }
};

// Walks over staged rows shared by builds and updates. `user_of` / `item_of`
// map staged dense ids to the graph's (the identity for a build); campaigns
// without a timestamp are placed at `missing_ts_at`.

// Calls fn(user, ts, active) for every user an event dates: an interaction's
// sender (active) and receiver (not active), a buyer, a campaign's inviter and
// joiners (active).
template <typename UserOf, typename Fn>
void ForEachUserTime(const StagedEvents& s, Timestamp missing_ts_at,
                     const UserOf& user_of, const Fn& fn) {
  for (size_t i = 0; i < s.inter_src.size(); ++i) {
    fn(user_of(s.inter_src[i]), s.inter_ts[i], true);
    fn(user_of(s.inter_dst[i]), s.inter_ts[i], false);
  }
  for (size_t i = 0; i < s.purchase_user.size(); ++i) {
    fn(user_of(s.purchase_user[i]), s.purchase_ts[i], true);
  }
  for (size_t r = 0; r < s.campaign_inviter.size(); ++r) {
    const Timestamp ts =
        s.campaign_ts[r] == kMissingTs ? missing_ts_at : s.campaign_ts[r];
    fn(user_of(s.campaign_inviter[r]), ts, true);
    for (int64_t j = s.joined_offsets[r]; j < s.joined_offsets[r + 1]; ++j) {
      fn(user_of(s.joined[j]), ts, true);
    }
  }
}

// Calls fn(user, item, ts) for every purchase, including each campaign's
// implied ones (the inviter's and each joiner's).
template <typename UserOf, typename ItemOf, typename Fn>
void ForEachPurchase(const StagedEvents& s, Timestamp missing_ts_at,
                     const UserOf& user_of, const ItemOf& item_of,
                     const Fn& fn) {
  for (size_t i = 0; i < s.purchase_user.size(); ++i) {
    fn(user_of(s.purchase_user[i]), item_of(s.purchase_item[i]),
       s.purchase_ts[i]);
  }
  for (size_t r = 0; r < s.campaign_inviter.size(); ++r) {
    const Timestamp ts =
        s.campaign_ts[r] == kMissingTs ? missing_ts_at : s.campaign_ts[r];
    const uint32_t item = item_of(s.campaign_item[r]);
    fn(user_of(s.campaign_inviter[r]), item, ts);
    for (int64_t j = s.joined_offsets[r]; j < s.joined_offsets[r + 1]; ++j) {
      fn(user_of(s.joined[j]), item, ts);
    }
  }
}

// Adds each campaign's joins to `joins` and its exposures to `exposures`:
// the `invited` list when given, else every contact of the inviter in
// `contacts_of(inviter)`.
template <typename UserOf, typename ContactsOf>
void AddJoinsAndExposures(const StagedEvents& s, const UserOf& user_of,
                          const ContactsOf& contacts_of,
                          std::vector<float>& joins,
                          std::vector<float>& exposures) {
  for (size_t r = 0; r < s.campaign_inviter.size(); ++r) {
    for (int64_t j = s.joined_offsets[r]; j < s.joined_offsets[r + 1]; ++j) {
      joins[user_of(s.joined[j])] += 1;
    }
    if (s.campaign_has_invited[r]) {
      for (int64_t j = s.invited_offsets[r]; j < s.invited_offsets[r + 1];
           ++j) {
        exposures[user_of(s.invited[j])] += 1;
      }
    } else {
      for (NodeId v : contacts_of(user_of(s.campaign_inviter[r]))) {
        exposures[v] += 1;
      }
    }
  }
}

// Counts each event in the activity windows (7 and 30 days up to `as_of`) of
// its active users and lowers every dated user's first_seen (-1: never) to
// the event's time.
template <typename UserOf>
void AddActivity(const StagedEvents& s, Timestamp as_of, const UserOf& user_of,
                 std::vector<float>& activity_7d,
                 std::vector<float>& activity_30d,
                 std::vector<Timestamp>& first_seen) {
  ForEachUserTime(s, as_of, user_of, [&](NodeId u, Timestamp ts, bool active) {
    if (active) {
      const double age_days = static_cast<double>(as_of - ts) / kSecondsPerDay;
      if (age_days <= 30) activity_30d[u] += 1;
      if (age_days <= 7) activity_7d[u] += 1;
    }
    Timestamp& f = first_seen[u];
    if (f < 0 || ts < f) f = ts;
  });
}

// Every purchase (ForEachPurchase) as (user, item, weight decayed to as_of).
struct PurchaseTriples {
  std::vector<uint32_t> user, item;
  std::vector<float> weight;

  // The triples of categorised items as (user, category, weight), given each
  // item's dense category (IdMap::kAbsent: none).
  PurchaseTriples ByCategory(absl::Span<const uint32_t> item_category) const {
    PurchaseTriples c;
    for (size_t i = 0; i < user.size(); ++i) {
      const uint32_t cat = item_category[item[i]];
      if (cat == IdMap::kAbsent) continue;
      c.user.push_back(user[i]);
      c.item.push_back(cat);
      c.weight.push_back(weight[i]);
    }
    return c;
  }
};
template <typename UserOf, typename ItemOf>
PurchaseTriples CollectPurchases(const StagedEvents& s, Timestamp as_of,
                                 double half_life_days, const UserOf& user_of,
                                 const ItemOf& item_of) {
  const double inv_half_life_s = 1.0 / (half_life_days * kSecondsPerDay);
  PurchaseTriples p;
  const size_t n =
      s.purchase_user.size() + s.joined.size() + s.campaign_inviter.size();
  p.user.reserve(n);
  p.item.reserve(n);
  p.weight.reserve(n);
  ForEachPurchase(
      s, as_of, user_of, item_of, [&](uint32_t u, uint32_t item, Timestamp ts) {
        p.user.push_back(u);
        p.item.push_back(item);
        p.weight.push_back(static_cast<float>(
            std::exp2(-static_cast<double>(as_of - ts) * inv_half_life_s)));
      });
  return p;
}

// Which staged rows a filtered rebuild leaves out. Friendships carry no time
// and are always kept.
struct EventFilter {
  // Keep only events strictly before this time.
  std::optional<Timestamp> before;
  // Staged campaign rows to drop (by index), if non-empty (size = campaigns).
  std::vector<uint8_t> drop_campaign;
  // Staged purchase rows to drop (by index), if non-empty (size = purchases).
  std::vector<uint8_t> drop_purchase;
};

// GraphConfig::participation_window_days in seconds; nullopt when < 0 (the
// guard is off). Capped at 1e6 days, so it fits a Timestamp.
std::optional<Timestamp> ParticipationWindow(double window_days);

// One campaign as the participation guard sees it: its participants (the
// inviter and the joiners, sorted, each once) buying `item` at `ts`
// (kMissingTs: a campaign without ts).
struct Participation {
  std::vector<NodeId> members;
  uint32_t item = 0;
  Timestamp ts = kMissingTs;
};

// A Participation of `members` (any order, repeats allowed: sorted and made
// unique here).
Participation MakeParticipation(std::vector<NodeId> members, uint32_t item,
                                Timestamp ts);

// The purchase rows of `s` by (user, item), for the (member, item) pairs of
// the campaigns it is built with only: campaigns are few next to purchases,
// so building it costs one lookup per purchase row. Keeps a reference to `s`.
class PurchaseRowIndex {
 public:
  PurchaseRowIndex(const StagedEvents& s,
                   absl::Span<const Participation> campaigns);

  // For each of `campaigns` (a subset of those indexed) in order, each member
  // claims the not yet claimed purchase row of that user and the campaign's
  // item nearest the campaign's time (ties: the earlier row) if within
  // `window_seconds` of it; a campaign without ts claims the latest such
  // row, whatever its time. Returns the rows claimed, each once.
  std::vector<uint32_t> Claim(absl::Span<const Participation> campaigns,
                              Timestamp window_seconds) const;

 private:
  const StagedEvents& s_;
  absl::flat_hash_map<std::pair<NodeId, uint32_t>, std::vector<uint32_t>> rows_;
};

// `s` without the purchase rows that are participations of its own
// campaigns (PurchaseRowIndex::Claim over them, in row order), their count
// added to purchases_matched; `s` itself when there are none or the window
// is < 0 (then no purchase-length work is done). Ids, keys and campaign
// times are kept as they are.
std::shared_ptr<const StagedEvents> WithoutParticipations(
    std::shared_ptr<const StagedEvents> s, double window_days);

// The rows of `s` that pass `filter`; id maps and item categories are kept
// whole, so dense ids are the same as in `s`. Campaigns without ts are placed
// at `missing_ts_at` (the original build's as_of), filtered and kept there.
StagedEvents Filter(const StagedEvents& s, const EventFilter& filter,
                    Timestamp missing_ts_at);

// The rows of `s` without those marked in `drop_*` (empty: keep all; else one
// flag per row of that table), with id maps rebuilt from the rows that stay
// (relative order kept, so users and items only the dropped rows named are
// gone) and item categories recomputed from them. Friendships are all kept.
// Keys, per-row categories and duplicate counts are carried; the key sets
// are left empty.
StagedEvents WithoutRows(const StagedEvents& s,
                         absl::Span<const uint8_t> drop_interaction,
                         absl::Span<const uint8_t> drop_purchase,
                         absl::Span<const uint8_t> drop_campaign);

// The sorted, unique keys of a per-row key column, kNoKey left out.
std::vector<EventKey> AppliedKeysOf(const std::vector<EventKey>& per_row);

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_INGEST_STAGED_EVENTS_H_
