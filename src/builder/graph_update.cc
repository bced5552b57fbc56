// SocialGraph::Update(): folds new events into a new graph without the old
// events. See social_graph.h for the contract and docs/updating.md,
// "Update" for the precision bounds.
//
// Rebasing: every stored decayed value is multiplied by
// f = 2^(-(t2 - t1) / half_life) and the new events' weights, decayed to t2,
// are added. Arcs untouched by new events go through two lookup tables
// (channel code -> code, tie code -> code), which give exactly what
// decoding, scaling and re-encoding would.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <iterator>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "analysis/centrality.h"
#include "analysis/communities.h"
#include "graph/csr.h"
#include "graph/graph_data.h"
#include "ingest/id_map.h"
#include "ingest/staged_events.h"
#include "ingest/validate.h"
#include "internal/parallel.h"
#include "invitegraph/graph_builder.h"
#include "invitegraph/social_graph.h"
#include "invitegraph/status.h"

namespace invitegraph {
namespace internal {
namespace {

constexpr uint8_t kFriendKind = kNumChannels;
constexpr uint8_t kPresenceKind = kNumChannels + 1;

// One new contribution to arc src -> dst.
struct NewRecord {
  NodeId src, dst;
  uint8_t kind;
  Timestamp ts;  // channels only
};

// The new contributions to one arc, aggregated.
struct NewArc {
  NodeId src, dst;
  bool is_friend = false;
  Timestamp last_ts = -1;  // latest channel event, -1 if none
  std::array<double, kNumChannels> w{};
};

// Combines a stored arc (decoded and decayed by `f`) with new contributions
// `add` (may be null). Untouched arcs use the tables instead; both give the
// same codes.
PackedArc Rebase(const PackedArc& old, const NewArc* add, double f,
                 Timestamp t2, uint32_t gap_days,
                 const std::array<double, kNumChannels>& channel_weights,
                 double friendship_weight) {
  PackedArc p;
  const bool was_friend = old.is_friend();
  const bool is_friend = was_friend || (add && add->is_friend);
  const double old_friend = was_friend ? friendship_weight : 0.0;
  double tie = (is_friend ? friendship_weight : 0.0) +
               std::max(0.0, (old.tie_strength() - old_friend) * f);
  for (int c = 0; c < kNumChannels; ++c) {
    double w = old.channel(c) * f;
    if (add) {
      w += add->w[c];
      tie += channel_weights[c] * add->w[c];
    }
    p.channel_q[c] = PackedArc::EncodeChannel(w);
  }
  p.tie_q = PackedArc::EncodeTie(tie);
  uint32_t days = PackedArc::kNoInteraction;
  if (old.days() != PackedArc::kNoInteraction) days = old.days() + gap_days;
  if (add && add->last_ts >= 0) {
    days = std::min<uint32_t>(
        days, static_cast<uint32_t>((t2 - add->last_ts) / kSecondsPerDay));
  }
  if (days != PackedArc::kNoInteraction) {
    days = std::min<uint32_t>(days, PackedArc::kNoInteraction - 1);
  }
  p.days_flags = static_cast<uint16_t>(days) |
                 (is_friend ? PackedArc::kFriendBit : uint16_t{0});
  return p;
}

// Old activity in a window of `window_days` at t1, moved to t2 = t1 + gap:
// events are assumed spread evenly over [0, 7] days (the 7-day count) and
// (7, 30] days (the rest of the 30-day count). Exact when the gap is 0 or
// longer than the window; otherwise within [0, old 30-day count] of the truth.
float ShiftActivity(float a7, float a30, double gap_days, double window_days) {
  auto kept = [&](double lo, double hi) {
    return std::clamp((window_days - gap_days - lo) / (hi - lo), 0.0, 1.0);
  };
  if (gap_days == 0) return window_days <= 7 ? a7 : a30;
  return static_cast<float>(a7 * kept(0, 7) +
                            std::max(0.0f, a30 - a7) * kept(7, 30));
}

}  // namespace

SparseRows MergeRows(const SparseRows& old, float f, uint32_t num_owners,
                     absl::Span<const uint32_t> owner,
                     absl::Span<const uint32_t> key,
                     absl::Span<const float> weight) {
  std::vector<uint64_t> start(num_owners + 1, 0);
  for (uint32_t o : owner) ++start[o + 1];
  for (uint32_t o = 0; o < num_owners; ++o) start[o + 1] += start[o];
  std::vector<std::pair<uint32_t, float>> add(owner.size());
  {
    std::vector<uint64_t> pos(start.begin(), start.end() - 1);
    for (size_t i = 0; i < owner.size(); ++i)
      add[pos[owner[i]]++] = {key[i], weight[i]};
  }
  const uint32_t old_owners =
      old.offsets.empty() ? 0 : static_cast<uint32_t>(old.offsets.size() - 1);
  SparseRows rows;
  rows.offsets.assign(num_owners + 1, 0);
  rows.keys.reserve(old.keys.size() + add.size());
  rows.weights.reserve(old.keys.size() + add.size());
  for (uint32_t o = 0; o < num_owners; ++o) {
    auto b = add.begin() + start[o], e = add.begin() + start[o + 1];
    // By key, then weight: equal keys then add up in the same order whatever
    // the order of the rows, so builds from shuffled or sharded rows agree.
    std::sort(b, e, [](const auto& x, const auto& y) {
      return x.first != y.first ? x.first < y.first : x.second < y.second;
    });
    uint64_t i = o < old_owners ? old.offsets[o] : 0;
    const uint64_t ie = o < old_owners ? old.offsets[o + 1] : 0;
    auto push = [&](uint32_t k, float w) {
      if (rows.keys.size() > rows.offsets[o] && rows.keys.back() == k) {
        rows.weights.back() += w;
      } else {
        rows.keys.push_back(k);
        rows.weights.push_back(w);
      }
    };
    while (i < ie || b != e) {
      if (b == e || (i < ie && old.keys[i] <= b->first)) {
        push(old.keys[i], old.weights[i] * f);
        ++i;
      } else {
        push(b->first, b->second);
        ++b;
      }
    }
    rows.offsets[o + 1] = rows.keys.size();
  }
  rows.keys.shrink_to_fit();
  rows.weights.shrink_to_fit();
  return rows;
}

// `already_applied`: staged rows left out because `old` had applied their
// keys (idempotent ingestion), reported in duplicates_skipped.
absl::StatusOr<SocialGraph> UpdateGraph(const GraphData& old,
                                        const StagedEvents& s,
                                        const UpdateOptions& options,
                                        int64_t already_applied) {
  const auto t0 = std::chrono::steady_clock::now();
  const GraphConfig& config = old.config;
  INVITEGRAPH_ASSIGN_OR_RETURN(const auto channel_weights,
                               ResolveChannelWeights(config));
  const Timestamp t1 = old.as_of;
  // New rows were checked when staged; an explicit as_of is checked here, by
  // the graph's limits (the default is the latest of t1 and those rows).
  if (options.as_of.has_value()) {
    INVITEGRAPH_RETURN_IF_ERROR(CheckTimestamp(
        *options.as_of, config.time_limits, "UpdateOptions.as_of"));
  }
  const Timestamp t2 = options.as_of.value_or(
      s.max_ts == kMissingTs ? t1 : std::max(t1, s.max_ts));
  if (t2 < t1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "UpdateOptions.as_of=", t2, " is before the graph's as_of=", t1,
        ": an update cannot move the graph back in time"));
  }
  INVITEGRAPH_RETURN_IF_ERROR(CheckNotAfter("interactions", s.inter_ts, t2));
  INVITEGRAPH_RETURN_IF_ERROR(CheckNotAfter("purchases", s.purchase_ts, t2));
  INVITEGRAPH_RETURN_IF_ERROR(CheckNotAfter("campaigns", s.campaign_ts, t2));
  if (static_cast<uint64_t>(old.users.size()) + s.users.size() >=
          IdMap::kAbsent ||
      static_cast<uint64_t>(old.items.size()) + s.items.size() >=
          IdMap::kAbsent) {
    return absl::ResourceExhaustedError(
        "too many distinct ids for 32-bit internal ids");
  }
  const int threads = ResolveThreads(config.num_threads);

  auto data = std::make_shared<GraphData>();
  data->config = config;
  data->as_of = t2;
  data->channel_weights = old.channel_weights;
  // Batch-local dense ids -> the new graph's: old ids stay, new ones follow.
  data->users = old.users;
  data->items = old.items;
  data->categories = old.categories;
  std::vector<NodeId> user_of(s.users.size());
  std::vector<uint32_t> item_of(s.items.size());
  data->users.MapOrInsert(s.users.external_ids(), user_of.data());
  data->items.MapOrInsert(s.items.external_ids(), item_of.data());
  const uint32_t n1 = old.num_nodes();
  const uint32_t n = static_cast<uint32_t>(data->users.size());
  const uint32_t items1 = static_cast<uint32_t>(old.items.size());
  // Profiles first: a column given with another type fails the update before
  // any work.
  INVITEGRAPH_RETURN_IF_ERROR(OverlayAttributesMapped(
      old.attributes, s.attributes, n, user_of, &data->attributes));
  const uint32_t num_items = static_cast<uint32_t>(data->items.size());

  const double inv_half_life_s = 1.0 / (config.half_life_days * kSecondsPerDay);
  const double f = std::exp2(-static_cast<double>(t2 - t1) * inv_half_life_s);
  const uint32_t gap_days = static_cast<uint32_t>((t2 - t1) / kSecondsPerDay);
  auto decay = [&](Timestamp ts) {
    return std::exp2(-static_cast<double>(t2 - ts) * inv_half_life_s);
  };
  auto campaign_time = [&](size_t r) {
    return s.campaign_ts[r] == kMissingTs ? t2 : s.campaign_ts[r];
  };

  // 1. New arc contributions, aggregated per (src, dst).
  std::vector<NewArc> added;
  {
    std::vector<NewRecord> rec;
    rec.reserve(2 *
                (s.friend_src.size() + s.inter_src.size() + s.joined.size()));
    for (size_t i = 0; i < s.friend_src.size(); ++i) {
      const NodeId a = user_of[s.friend_src[i]], b = user_of[s.friend_dst[i]];
      rec.push_back({a, b, kFriendKind, 0});
      rec.push_back({b, a, kFriendKind, 0});
    }
    for (size_t i = 0; i < s.inter_src.size(); ++i) {
      const NodeId a = user_of[s.inter_src[i]], b = user_of[s.inter_dst[i]];
      rec.push_back({a, b, s.inter_kind[i], s.inter_ts[i]});
      rec.push_back({b, a, kPresenceKind, 0});
    }
    constexpr uint8_t kTeamJoin = static_cast<uint8_t>(Channel::kTeamJoin);
    for (size_t r = 0; r < s.campaign_inviter.size(); ++r) {
      const NodeId inviter = user_of[s.campaign_inviter[r]];
      for (int64_t j = s.joined_offsets[r]; j < s.joined_offsets[r + 1]; ++j) {
        const NodeId joiner = user_of[s.joined[j]];
        rec.push_back({joiner, inviter, kTeamJoin, campaign_time(r)});
        rec.push_back({inviter, joiner, kPresenceKind, 0});
      }
    }
    std::stable_sort(rec.begin(), rec.end(),
                     [](const NewRecord& a, const NewRecord& b) {
                       return a.src != b.src ? a.src < b.src : a.dst < b.dst;
                     });
    for (const NewRecord& r : rec) {
      if (added.empty() || added.back().src != r.src ||
          added.back().dst != r.dst) {
        added.push_back({r.src, r.dst});
      }
      NewArc& a = added.back();
      if (r.kind < kNumChannels) {
        a.w[r.kind] += decay(r.ts);
        a.last_ts = std::max(a.last_ts, r.ts);
      } else if (r.kind == kFriendKind) {
        a.is_friend = true;
      }
    }
  }

  // 2. Merged CSR: each row is the old row (rebased) merged with its new arcs.
  {
    std::array<uint8_t, 256> channel_table{};
    for (int q = 0; q < 256; ++q) {
      channel_table[q] =
          PackedArc::EncodeChannel(PackedArc::ChannelTable()[q] * f);
    }
    // Tie codes of untouched arcs, without and with the friendship share
    // (which does not decay).
    std::vector<uint16_t> tie_table(65536), friend_tie_table(65536);
    const double fw = config.friendship_weight;
    for (int q = 0; q < 65536; ++q) {
      const double t = PackedArc::DecodeTie(static_cast<uint16_t>(q));
      tie_table[q] = PackedArc::EncodeTie(t * f);
      friend_tie_table[q] =
          PackedArc::EncodeTie(fw + std::max(0.0, t - fw) * f);
    }
    std::vector<uint64_t> add_start(n + 1, 0);
    for (const NewArc& a : added) ++add_start[a.src + 1];
    for (uint32_t u = 0; u < n; ++u) add_start[u + 1] += add_start[u];
    // Pass 1: row lengths.
    std::vector<uint64_t> row(n + 1, 0);
    const int64_t chunk = std::max<int64_t>(4096, n / (4 * threads) + 1);
    auto old_row = [&](uint32_t u) {
      return u < n1 ? old.neighbors(u) : absl::Span<const NodeId>();
    };
    INVITEGRAPH_RETURN_IF_ERROR(
        ParallelForRange(n, threads, chunk, [&](int64_t begin, int64_t end) {
          for (int64_t u = begin; u < end; ++u) {
            const auto o = old_row(static_cast<uint32_t>(u));
            uint64_t d = o.size();
            for (uint64_t k = add_start[u]; k < add_start[u + 1]; ++k) {
              if (!std::binary_search(o.begin(), o.end(), added[k].dst)) ++d;
            }
            row[u + 1] = d;
          }
          return absl::OkStatus();
        }));
    for (uint32_t u = 0; u < n; ++u) row[u + 1] += row[u];
    const uint64_t m = row[n];
    std::vector<NodeId> sources(m), targets(m);
    std::vector<PackedArc> arcs(m);
    const PackedArc none;
    INVITEGRAPH_RETURN_IF_ERROR(
        ParallelForRange(n, threads, chunk, [&](int64_t begin, int64_t end) {
          for (int64_t u = begin; u < end; ++u) {
            const uint64_t ob = u < n1 ? old.offsets[u] : 0;
            const uint64_t oe = u < n1 ? old.offsets[u + 1] : 0;
            uint64_t i = ob, k = add_start[u], out = row[u];
            const uint64_t ke = add_start[u + 1];
            while (i < oe || k < ke) {
              NodeId v;
              PackedArc p;
              if (k == ke || (i < oe && old.targets[i] < added[k].dst)) {
                v = old.targets[i];
                const PackedArc& a = old.arcs[i++];
                for (int c = 0; c < kNumChannels; ++c)
                  p.channel_q[c] = channel_table[a.channel_q[c]];
                p.tie_q = a.is_friend() ? friend_tie_table[a.tie_q]
                                        : tie_table[a.tie_q];
                uint32_t days = a.days();
                if (days != PackedArc::kNoInteraction) {
                  days = std::min<uint32_t>(days + gap_days,
                                            PackedArc::kNoInteraction - 1);
                }
                p.days_flags = static_cast<uint16_t>(days) |
                               (a.days_flags & PackedArc::kFriendBit);
              } else {
                const NewArc& add = added[k++];
                v = add.dst;
                const bool both = i < oe && old.targets[i] == v;
                p = Rebase(both ? old.arcs[i] : none, &add, f, t2, gap_days,
                           channel_weights, fw);
                if (both) ++i;
              }
              sources[out] = static_cast<NodeId>(u);
              targets[out] = v;
              arcs[out] = p;
              ++out;
            }
          }
          return absl::OkStatus();
        }));
    BuildCsr(std::move(sources), std::move(targets), std::move(arcs), n,
             data.get());
  }

  // 3. Activity, first seen, is_new.
  const double gap_d = static_cast<double>(t2 - t1) / kSecondsPerDay;
  data->activity_7d.assign(n, 0);
  data->activity_30d.assign(n, 0);
  data->first_seen.assign(n, -1);
  for (uint32_t u = 0; u < n1; ++u) {
    const float a7 = old.activity_7d[u], a30 = old.activity_30d[u];
    data->activity_7d[u] = ShiftActivity(a7, a30, gap_d, 7);
    data->activity_30d[u] = ShiftActivity(a7, a30, gap_d, 30);
    data->first_seen[u] = old.first_seen[u];
  }
  const auto user = [&](uint32_t id) { return user_of[id]; };
  const auto item = [&](uint32_t id) { return item_of[id]; };
  AddActivity(s, t2, user, data->activity_7d, data->activity_30d,
              data->first_seen);
  FillIsNew(*data);

  // 4. Join rates: counts add; exposures of new campaigns without `invited`
  // come from the inviter's contacts in the merged graph.
  data->joins.assign(n, 0);
  data->exposures.assign(n, 0);
  std::copy(old.joins.begin(), old.joins.end(), data->joins.begin());
  std::copy(old.exposures.begin(), old.exposures.end(),
            data->exposures.begin());
  AddJoinsAndExposures(
      s, user, [&](NodeId u) { return data->neighbors(u); }, data->joins,
      data->exposures);
  FillJoinRates(*data);

  // 5. Purchases: new triples (user, item, weight at t2) merged into the
  // rebased rows.
  const PurchaseTriples p =
      CollectPurchases(s, t2, config.half_life_days, user, item);
  const auto& p_user = p.user;
  const auto& p_item = p.item;
  const auto& p_weight = p.weight;
  const float ff = static_cast<float>(f);
  data->user_items = MergeRows(old.user_items, ff, n, p_user, p_item, p_weight);
  data->item_buyers =
      MergeRows(old.item_buyers, ff, num_items, p_item, p_user, p_weight);
  // Categories: an item keeps its first known category; items that get one
  // now (new, or old without one) are visited in dense order, as a build
  // does, and an old item's past buyers join its new category.
  data->item_category = old.item_category;
  data->item_category.resize(num_items, IdMap::kAbsent);
  std::vector<uint8_t> gained(num_items, 0);
  {
    std::vector<CategoryId> category_of(num_items, kNoCategory);
    for (size_t i = 0; i < item_of.size() && i < s.item_category.size(); ++i) {
      category_of[item_of[i]] = s.item_category[i];
    }
    for (uint32_t i = 0; i < num_items; ++i) {
      if (data->item_category[i] != IdMap::kAbsent ||
          category_of[i] == kNoCategory) {
        continue;
      }
      uint32_t dense;
      data->categories.MapOrInsert(absl::MakeConstSpan(&category_of[i], 1),
                                   &dense);
      data->item_category[i] = dense;
      gained[i] = i < items1;
    }
  }
  {
    PurchaseTriples c = p.ByCategory(data->item_category);
    const SparseRows& ob = old.item_buyers;
    for (uint32_t i = 0; i < items1; ++i) {
      if (!gained[i]) continue;
      for (uint64_t k = ob.offsets[i]; k < ob.offsets[i + 1]; ++k) {
        c.user.push_back(ob.keys[k]);
        c.item.push_back(data->item_category[i]);
        c.weight.push_back(ob.weights[k] * ff);
      }
    }
    data->user_categories =
        MergeRows(old.user_categories, ff, n, c.user, c.item, c.weight);
  }
  FillPurchaseTotals(*data);

  // 6. Communities and influence measures over the merged graph, and
  // statistics.
  GraphStats& st = data->stats;
  if (options.communities) FillCommunities(*data);
  if (options.centrality) FillCentrality(*data);
  st.num_nodes = n;
  st.num_arcs = static_cast<int64_t>(data->targets.size());
  st.num_items = num_items;
  st.num_categories = data->categories.size();
  st.num_events =
      old.stats.num_events +
      static_cast<int64_t>(s.friend_src.size() + s.inter_src.size() +
                           s.purchase_user.size() + s.campaign_inviter.size());
  // Idempotent ingestion: the graph remembers the old keys and the new ones.
  {
    auto merge = [](const std::vector<EventKey>& a,
                    const std::vector<EventKey>& per_row) {
      const std::vector<EventKey> b = AppliedKeysOf(per_row);
      std::vector<EventKey> out;
      out.reserve(a.size() + b.size());
      std::set_union(a.begin(), a.end(), b.begin(), b.end(),
                     std::back_inserter(out));
      return out;
    };
    data->applied_keys.interactions =
        merge(old.applied_keys.interactions, s.inter_key);
    data->applied_keys.purchases =
        merge(old.applied_keys.purchases, s.purchase_key);
    data->applied_keys.campaigns =
        merge(old.applied_keys.campaigns, s.campaign_key);
    st.duplicates_skipped = s.duplicates() + already_applied;
    st.purchases_matched = s.purchases_matched;
  }
  FillMemoryStats(*data);
  st.as_of = t2;
  st.build_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  return SocialGraph(std::move(data));
}

}  // namespace internal

absl::StatusOr<SocialGraph> SocialGraph::Update(
    const GraphBuilder& new_events, const UpdateOptions& options) const {
  using internal::EventKey;
  // Participations among the new purchases of the new campaigns count once
  // (GraphConfig::participation_window_days; the old graph keeps no rows to
  // match against).
  const std::shared_ptr<const internal::StagedEvents> events =
      internal::WithoutParticipations(new_events.staged_,
                                      data_->config.participation_window_days);
  const internal::StagedEvents& s = *events;
  // Idempotent ingestion: staged rows whose keys this graph already applied
  // are left out (with the users and items only they name).
  auto mark = [](const std::vector<EventKey>& per_row,
                 const std::vector<EventKey>& applied,
                 std::vector<uint8_t>& drop) {
    int64_t n = 0;
    if (per_row.empty() || applied.empty()) return n;
    drop.assign(per_row.size(), 0);
    for (size_t i = 0; i < per_row.size(); ++i) {
      if (per_row[i] != internal::kNoKey &&
          std::binary_search(applied.begin(), applied.end(), per_row[i])) {
        drop[i] = 1;
        ++n;
      }
    }
    return n;
  };
  const internal::IngestRecord::AppliedKeys& keys = data_->applied_keys;
  std::vector<uint8_t> drop_inter, drop_purchase, drop_campaign;
  const int64_t skipped = mark(s.inter_key, keys.interactions, drop_inter) +
                          mark(s.purchase_key, keys.purchases, drop_purchase) +
                          mark(s.campaign_key, keys.campaigns, drop_campaign);
  if (skipped == 0) return internal::UpdateGraph(*data_, s, options, 0);
  const internal::StagedEvents rest =
      internal::WithoutRows(s, drop_inter, drop_purchase, drop_campaign);
  return internal::UpdateGraph(*data_, rest, options, skipped);
}

}  // namespace invitegraph
