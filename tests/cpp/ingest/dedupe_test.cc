// Idempotent ingestion: event ids and GraphConfig::dedupe. Rows ingested
// twice, split into batches, shuffled or replayed into Update() must give the
// graph of each row once; skipped rows are counted exactly.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <numeric>
#include <random>
#include <set>
#include <tuple>
#include <vector>

#include "ingest/event_key.h"
#include "invitegraph/graph_builder.h"
#include "invitegraph/social_graph.h"
#include "testing/fixtures.h"

namespace invitegraph {
namespace {

using testing::CheckError;
using testing::kAsOf;
using testing::kDay;
using testing::Unwrap;

struct Interaction {
  UserId src, dst;
  Channel kind;
  Timestamp ts;
  int64_t id;
};
struct Purchase {
  UserId user;
  ItemId item;
  Timestamp ts;
  CategoryId category;
  double amount;
  int64_t id;
};
struct Campaign {
  UserId inviter;
  ItemId item;
  Timestamp ts;
  CategoryId category;
  std::vector<UserId> joined, invited;
  int64_t id;
};

// Random tables whose rows are distinct in content (so kExact and ids agree)
// and carry distinct random int64 ids, negative ones included.
struct World {
  std::vector<UserId> friend_src, friend_dst;
  std::vector<Interaction> inter;
  std::vector<Purchase> purch;
  std::vector<Campaign> camp;
};

World MakeWorld(uint64_t seed, int num_users = 50) {
  const testing::RandomEvents e =
      testing::MakeRandomEvents({.num_users = num_users,
                                 .num_friendships = 2 * num_users,
                                 .num_interactions = 6 * num_users,
                                 .num_purchases = 3 * num_users,
                                 .max_age_days = 60,
                                 .seed = seed});
  std::mt19937_64 rng(seed * 31 + 7);
  std::set<int64_t> used_ids;
  auto fresh_id = [&] {
    int64_t id;
    do {
      id = static_cast<int64_t>(rng());
    } while (!used_ids.insert(id).second);
    return id;
  };
  World w;
  w.friend_src = e.friend_src;
  w.friend_dst = e.friend_dst;
  std::set<std::tuple<UserId, UserId, Channel, Timestamp>> seen_i;
  for (size_t i = 0; i < e.inter_src.size(); ++i) {
    if (!seen_i
             .insert({e.inter_src[i], e.inter_dst[i], e.inter_kind[i],
                      e.inter_ts[i]})
             .second) {
      continue;
    }
    w.inter.push_back({e.inter_src[i], e.inter_dst[i], e.inter_kind[i],
                       e.inter_ts[i], fresh_id()});
  }
  std::set<std::tuple<UserId, ItemId, Timestamp>> seen_p;
  for (size_t i = 0; i < e.purchase_user.size(); ++i) {
    if (!seen_p
             .insert({e.purchase_user[i], e.purchase_item[i], e.purchase_ts[i]})
             .second) {
      continue;
    }
    w.purch.push_back({e.purchase_user[i], e.purchase_item[i], e.purchase_ts[i],
                       e.purchase_category[i],
                       static_cast<double>(rng() % 10000) / 100, fresh_id()});
  }
  std::set<std::tuple<UserId, ItemId, Timestamp>> seen_c;
  for (int r = 0; r < num_users; ++r) {
    Campaign c;
    c.inviter = testing::RandomUserId(static_cast<int>(rng() % num_users));
    c.item = 700 + static_cast<ItemId>(rng() % 15);
    c.ts = kAsOf - static_cast<Timestamp>(rng() % (60 * kDay));
    c.category = testing::RandomItemCategory(c.item);
    for (int j = 0; j < 4; ++j) {
      const UserId u = testing::RandomUserId(static_cast<int>(rng() % 50));
      if (u == c.inviter || std::count(c.invited.begin(), c.invited.end(), u))
        continue;
      c.invited.push_back(u);
      if (rng() % 2) c.joined.push_back(u);
    }
    if (!seen_c.insert({c.inviter, c.item, c.ts}).second) continue;
    c.id = fresh_id();
    w.camp.push_back(std::move(c));
  }
  return w;
}

// Rows of each table to add, by index, in order; repeats allowed.
struct Pick {
  std::vector<size_t> inter, purch, camp;
};

Pick All(const World& w) {
  Pick p;
  p.inter.resize(w.inter.size());
  p.purch.resize(w.purch.size());
  p.camp.resize(w.camp.size());
  std::iota(p.inter.begin(), p.inter.end(), 0);
  std::iota(p.purch.begin(), p.purch.end(), 0);
  std::iota(p.camp.begin(), p.camp.end(), 0);
  return p;
}

const std::vector<int64_t> kNoIds;

// One batch per table of the picked rows, with their event ids or without.
absl::Status AddPicked(const World& w, const Pick& p, bool ids,
                       GraphBuilder& b) {
  {
    std::vector<UserId> src, dst;
    std::vector<Channel> kind;
    std::vector<Timestamp> ts;
    std::vector<int64_t> id;
    for (size_t i : p.inter) {
      const Interaction& x = w.inter[i];
      src.push_back(x.src);
      dst.push_back(x.dst);
      kind.push_back(x.kind);
      ts.push_back(x.ts);
      id.push_back(x.id);
    }
    INVITEGRAPH_RETURN_IF_ERROR(
        b.AddInteractions(InteractionBatch{.src = src,
                                           .dst = dst,
                                           .kind = kind,
                                           .ts = ts,
                                           .event_id = ids ? id : kNoIds}));
  }
  {
    std::vector<UserId> user;
    std::vector<ItemId> item;
    std::vector<Timestamp> ts;
    std::vector<CategoryId> category;
    std::vector<double> amount;
    std::vector<int64_t> id;
    for (size_t i : p.purch) {
      const Purchase& x = w.purch[i];
      user.push_back(x.user);
      item.push_back(x.item);
      ts.push_back(x.ts);
      category.push_back(x.category);
      amount.push_back(x.amount);
      id.push_back(x.id);
    }
    INVITEGRAPH_RETURN_IF_ERROR(
        b.AddPurchases({.user = user,
                        .item = item,
                        .ts = ts,
                        .category = category,
                        .amount = amount,
                        .event_id = ids ? id : kNoIds}));
  }
  std::vector<UserId> inviter, joined, invited;
  std::vector<ItemId> item;
  std::vector<Timestamp> ts;
  std::vector<CategoryId> category;
  std::vector<int64_t> jo{0}, io{0}, id;
  for (size_t r : p.camp) {
    const Campaign& c = w.camp[r];
    inviter.push_back(c.inviter);
    item.push_back(c.item);
    ts.push_back(c.ts);
    category.push_back(c.category);
    joined.insert(joined.end(), c.joined.begin(), c.joined.end());
    invited.insert(invited.end(), c.invited.begin(), c.invited.end());
    jo.push_back(static_cast<int64_t>(joined.size()));
    io.push_back(static_cast<int64_t>(invited.size()));
    id.push_back(c.id);
  }
  return b.AddCampaigns({.inviter = inviter,
                         .item = item,
                         .joined_offsets = jo,
                         .joined = joined,
                         .ts = ts,
                         .category = category,
                         .invited_offsets = io,
                         .invited = invited,
                         .event_id = ids ? id : kNoIds});
}
absl::Status AddFriends(const World& w, GraphBuilder& b) {
  return b.AddFriendships({.src = w.friend_src, .dst = w.friend_dst});
}

GraphConfig Config(Dedupe dedupe) {
  GraphConfig c;
  c.dedupe = dedupe;
  c.num_threads = 2;
  // Repeated rows are the subject here, not the participation guard (whose
  // repeated campaigns would claim the repeated purchases).
  c.participation_window_days = -1;
  return c;
}

// The graph of every row once, without ids or dedupe.
SocialGraph Reference(const World& w) {
  GraphBuilder b(Config(Dedupe::kNone));
  testing::RequireOk(AddFriends(w, b));
  testing::RequireOk(AddPicked(w, All(w), false, b));
  return Unwrap(b.Build(testing::AsOf(kAsOf)));
}

// Every row once plus `extra` random repeats per table, shuffled and cut into
// `num_batches` batches at random points.
std::vector<Pick> RandomBatches(const World& w, std::mt19937_64& rng,
                                size_t extra, int num_batches) {
  std::vector<Pick> out(num_batches);
  auto split = [&](size_t n, std::vector<size_t> Pick::*field) {
    std::vector<size_t> rows(n);
    std::iota(rows.begin(), rows.end(), 0);
    for (size_t k = 0; k < extra && n > 0; ++k) rows.push_back(rng() % n);
    std::shuffle(rows.begin(), rows.end(), rng);
    std::vector<size_t> cuts{0, rows.size()};
    for (int k = 1; k < num_batches; ++k) cuts.push_back(rng() % rows.size());
    std::sort(cuts.begin(), cuts.end());
    for (int k = 0; k < num_batches; ++k) {
      (out[k].*field)
          .assign(rows.begin() + cuts[k], rows.begin() + cuts[k + 1]);
    }
  };
  split(w.inter.size(), &Pick::inter);
  split(w.purch.size(), &Pick::purch);
  split(w.camp.size(), &Pick::camp);
  return out;
}

int64_t NumRows(const World& w) {
  return static_cast<int64_t>(w.inter.size() + w.purch.size() + w.camp.size());
}

TEST_CASE("Every batch ingested twice equals every row once", "[dedupe]") {
  for (uint64_t seed : {1, 2, 3}) {
    const World w = MakeWorld(seed);
    const SocialGraph ref = Reference(w);
    for (const bool ids : {true, false}) {
      INFO("seed " << seed << (ids ? " with ids" : " kExact"));
      GraphBuilder b(Config(ids ? Dedupe::kNone : Dedupe::kExact));
      testing::RequireOk(AddFriends(w, b));
      testing::RequireOk(AddPicked(w, All(w), ids, b));
      testing::RequireOk(AddPicked(w, All(w), ids, b));
      const StagedCounts c = b.counts();
      CHECK(c.interactions == static_cast<int64_t>(w.inter.size()));
      CHECK(c.duplicate_interactions == static_cast<int64_t>(w.inter.size()));
      CHECK(c.purchases == static_cast<int64_t>(w.purch.size()));
      CHECK(c.duplicate_purchases == static_cast<int64_t>(w.purch.size()));
      CHECK(c.campaigns == static_cast<int64_t>(w.camp.size()));
      CHECK(c.duplicate_campaigns == static_cast<int64_t>(w.camp.size()));
      const SocialGraph g = Unwrap(b.Build(testing::AsOf(kAsOf)));
      testing::CheckSameGraph(g, ref);
      CHECK(g.stats().duplicates_skipped == NumRows(w));
      CHECK(ref.stats().duplicates_skipped == 0);
    }
  }
}

TEST_CASE("Shuffled batches with random repeats equal every row once",
          "[dedupe]") {
  for (uint64_t seed : {4, 5, 6, 7}) {
    const World w = MakeWorld(seed);
    const SocialGraph ref = Reference(w);
    std::mt19937_64 rng(seed);
    for (const bool ids : {true, false}) {
      INFO("seed " << seed << (ids ? " with ids" : " kExact"));
      const size_t extra = 5 + rng() % 40;
      const int num_batches = 1 + static_cast<int>(rng() % 5);
      GraphBuilder b(Config(ids ? Dedupe::kNone : Dedupe::kExact));
      testing::RequireOk(AddFriends(w, b));
      for (const Pick& p : RandomBatches(w, rng, extra, num_batches)) {
        testing::RequireOk(AddPicked(w, p, ids, b));
      }
      const StagedCounts c = b.counts();
      CHECK(c.duplicate_interactions == static_cast<int64_t>(extra));
      CHECK(c.duplicate_purchases == static_cast<int64_t>(extra));
      CHECK(c.duplicate_campaigns == static_cast<int64_t>(extra));
      const SocialGraph g = Unwrap(b.Build(testing::AsOf(kAsOf)));
      testing::CheckSameGraph(g, ref);
      CHECK(g.stats().duplicates_skipped == 3 * static_cast<int64_t>(extra));
    }
  }
}

TEST_CASE("Without ids and without dedupe, repeated rows count twice",
          "[dedupe]") {
  const World w = MakeWorld(8);
  const SocialGraph ref = Reference(w);
  GraphBuilder b(Config(Dedupe::kNone));
  testing::RequireOk(AddFriends(w, b));
  testing::RequireOk(AddPicked(w, All(w), false, b));
  testing::RequireOk(AddPicked(w, All(w), false, b));
  const StagedCounts c = b.counts();
  CHECK(c.interactions == 2 * static_cast<int64_t>(w.inter.size()));
  CHECK(c.duplicate_interactions + c.duplicate_purchases +
            c.duplicate_campaigns ==
        0);
  const SocialGraph g = Unwrap(b.Build(testing::AsOf(kAsOf)));
  CHECK(g.stats().num_events - ref.stats().num_events == NumRows(w));
  CHECK(g.stats().duplicates_skipped == 0);
  int differing = 0;
  for (NodeId u = 0; u < g.num_nodes(); ++u) {
    for (int64_t i = 0; i < g.degree(u); ++i) {
      if (!testing::SameArcValues(g.arc(u, i), ref.arc(u, i))) ++differing;
    }
  }
  CHECK(differing > 0);
}

// A random split of the rows into A (built) and B (the update).
struct Split {
  Pick a, b;
};
Split RandomSplit(const World& w, std::mt19937_64& rng) {
  Split s;
  const Pick all = All(w);
  auto go = [&](const std::vector<size_t>& rows,
                std::vector<size_t> Pick::*field) {
    for (size_t i : rows) ((rng() % 2 ? s.a : s.b).*field).push_back(i);
  };
  go(all.inter, &Pick::inter);
  go(all.purch, &Pick::purch);
  go(all.camp, &Pick::camp);
  return s;
}

// B followed by a random part of A (B's rows keep their order); `*replayed`
// counts the rows of A added.
Pick WithReplay(const Split& s, std::mt19937_64& rng, int64_t* replayed) {
  Pick p = s.b;
  auto go = [&](const std::vector<size_t>& a, std::vector<size_t>& out) {
    for (size_t i : a) {
      if (rng() % 3 == 0) continue;
      out.push_back(i);
      ++*replayed;
    }
  };
  go(s.a.inter, p.inter);
  go(s.a.purch, p.purch);
  go(s.a.camp, p.camp);
  return p;
}

TEST_CASE("Update skips rows the graph already applied", "[dedupe][update]") {
  for (uint64_t seed : {9, 10, 11}) {
    const World w = MakeWorld(seed);
    std::mt19937_64 rng(seed);
    const Split split = RandomSplit(w, rng);
    for (const bool ids : {true, false}) {
      INFO("seed " << seed << (ids ? " with ids" : " kExact"));
      const GraphConfig config = Config(ids ? Dedupe::kNone : Dedupe::kExact);
      GraphBuilder ba(config);
      testing::RequireOk(AddFriends(w, ba));
      testing::RequireOk(AddPicked(w, split.a, ids, ba));
      const SocialGraph ga = Unwrap(ba.Build(testing::AsOf(kAsOf)));

      GraphBuilder only_b(config);
      testing::RequireOk(AddPicked(w, split.b, ids, only_b));
      const SocialGraph expected = Unwrap(ga.Update(only_b, {.as_of = kAsOf}));
      CHECK(expected.stats().duplicates_skipped == 0);

      int64_t replayed = 0;
      GraphBuilder b_and_a(config);
      testing::RequireOk(
          AddPicked(w, WithReplay(split, rng, &replayed), ids, b_and_a));
      REQUIRE(replayed > 0);
      CHECK(b_and_a.counts().duplicate_interactions == 0);
      const SocialGraph got = Unwrap(ga.Update(b_and_a, {.as_of = kAsOf}));
      testing::CheckSameGraph(got, expected);
      CHECK(got.stats().duplicates_skipped == replayed);

      // The updated graph holds both key sets: replaying everything is a
      // no-op that skips every row.
      GraphBuilder everything(config);
      testing::RequireOk(AddPicked(w, All(w), ids, everything));
      const SocialGraph again =
          Unwrap(got.Update(everything, {.as_of = kAsOf}));
      CHECK(again.stats().duplicates_skipped == NumRows(w));
      CHECK(again.stats().num_events == got.stats().num_events);
      CHECK(again.num_nodes() == got.num_nodes());

      // The same, replayed after a snapshot round trip of the built graph.
      const SocialGraph loaded =
          Unwrap(SocialGraph::FromBytes(Unwrap(ga.ToBytes())));
      const SocialGraph got_loaded =
          Unwrap(loaded.Update(b_and_a, {.as_of = kAsOf}));
      testing::CheckSameGraph(got_loaded, expected);
      CHECK(got_loaded.stats().duplicates_skipped == replayed);
      // And the kept union survives a round trip of the updated graph.
      const SocialGraph got_reloaded =
          Unwrap(SocialGraph::FromBytes(Unwrap(got.ToBytes())));
      CHECK(got_reloaded.stats().duplicates_skipped == replayed);
      CHECK(Unwrap(got_reloaded.Update(everything, {.as_of = kAsOf}))
                .stats()
                .duplicates_skipped == NumRows(w));
    }
  }
}

TEST_CASE("Update without ids or dedupe counts a replay again",
          "[dedupe][update]") {
  const World w = MakeWorld(12);
  std::mt19937_64 rng(12);
  const Split split = RandomSplit(w, rng);
  GraphBuilder ba(Config(Dedupe::kNone));
  testing::RequireOk(AddPicked(w, split.a, false, ba));
  const SocialGraph ga = Unwrap(ba.Build(testing::AsOf(kAsOf)));
  GraphBuilder replay(Config(Dedupe::kNone));
  testing::RequireOk(AddPicked(w, split.a, false, replay));
  const SocialGraph g = Unwrap(ga.Update(replay, {.as_of = kAsOf}));
  CHECK(g.stats().duplicates_skipped == 0);
  CHECK(g.stats().num_events == 2 * ga.stats().num_events);
}

TEST_CASE("Forget keeps the keys, so a replay does not bring users back",
          "[dedupe][update]") {
  const World w = MakeWorld(13);
  GraphBuilder b(Config(Dedupe::kNone));
  testing::RequireOk(AddPicked(w, All(w), true, b));
  const SocialGraph g = Unwrap(b.Build(testing::AsOf(kAsOf)));
  const UserId gone = w.inter[0].src;
  const SocialGraph f = Unwrap(g.Forget(absl::MakeConstSpan(&gone, 1)));
  REQUIRE_FALSE(f.FindNode(gone).has_value());
  GraphBuilder replay(Config(Dedupe::kNone));
  testing::RequireOk(AddPicked(w, All(w), true, replay));
  const SocialGraph r = Unwrap(f.Update(replay, {.as_of = kAsOf}));
  CHECK_FALSE(r.FindNode(gone).has_value());
  CHECK(r.num_nodes() == f.num_nodes());
  CHECK(r.stats().duplicates_skipped == NumRows(w));
}

TEST_CASE("A rejected batch leaves none of its keys behind", "[dedupe]") {
  const std::vector<UserId> src = {1, 2, 3}, bad_dst = {2, 2, 4},
                            dst = {2, 3, 4};
  const std::vector<Channel> kind(3, Channel::kChat);
  const std::vector<Timestamp> ts = {kAsOf - 3, kAsOf - 2, kAsOf - 1};
  const std::vector<int64_t> ids = {-5, 0, INT64_MAX};
  for (const bool with_ids : {true, false}) {
    INFO((with_ids ? "ids" : "kExact"));
    GraphBuilder b(Config(with_ids ? Dedupe::kNone : Dedupe::kExact));
    const absl::Span<const int64_t> id_col =
        with_ids ? absl::MakeConstSpan(ids) : absl::Span<const int64_t>();
    // Row 1 is a self-loop (2 -> 2): the whole batch is rejected.
    CheckError(b.AddInteractions(InteractionBatch{.src = src,
                                                  .dst = bad_dst,
                                                  .kind = kind,
                                                  .ts = ts,
                                                  .event_id = id_col}),
               absl::StatusCode::kInvalidArgument, {"self-loop"});
    // Rows 0 and 2 equal the rejected batch's in every column.
    const std::vector<UserId> dst2 = {2, 3, 4};
    testing::RequireOk(b.AddInteractions(InteractionBatch{
        .src = src, .dst = dst2, .kind = kind, .ts = ts, .event_id = id_col}));
    CHECK(b.counts().interactions == 3);
    CHECK(b.counts().duplicate_interactions == 0);
  }
  // A wrong-length id column is rejected by name.
  GraphBuilder b;
  const std::vector<int64_t> short_ids = {1, 2};
  CheckError(b.AddInteractions(InteractionBatch{.src = src,
                                                .dst = dst,
                                                .kind = kind,
                                                .ts = ts,
                                                .event_id = short_ids}),
             absl::StatusCode::kInvalidArgument, {"event_id"});
  CHECK(b.counts().interactions == 0);
}

TEST_CASE("The first row with an id wins; id spaces are per table",
          "[dedupe]") {
  GraphBuilder b;
  const std::vector<int64_t> id = {7};
  const std::vector<UserId> s1 = {1}, d1 = {2}, s2 = {3}, d2 = {4};
  const std::vector<Channel> kind = {Channel::kChat};
  const std::vector<Timestamp> ts = {kAsOf - kDay};
  testing::RequireOk(b.AddInteractions(InteractionBatch{
      .src = s1, .dst = d1, .kind = kind, .ts = ts, .event_id = id}));
  testing::RequireOk(b.AddInteractions(InteractionBatch{
      .src = s2, .dst = d2, .kind = kind, .ts = ts, .event_id = id}));
  // The same id in another table is another event.
  const std::vector<ItemId> item = {9};
  testing::RequireOk(
      b.AddPurchases({.user = s2, .item = item, .ts = ts, .event_id = id}));
  CHECK(b.counts().interactions == 1);
  CHECK(b.counts().duplicate_interactions == 1);
  CHECK(b.counts().purchases == 1);
  CHECK(b.counts().duplicate_purchases == 0);
  const SocialGraph g = Unwrap(b.Build(testing::AsOf(kAsOf)));
  const auto n1 = g.FindNode(1), n2 = g.FindNode(2), n3 = g.FindNode(3);
  REQUIRE((n1 && n2 && n3));
  CHECK(g.FindArc(*n1, *n2).has_value());
  CHECK(g.degree(*n3) == 0);  // a buyer, without the skipped interaction
  CHECK_FALSE(g.FindNode(4).has_value());
}

TEST_CASE("kExact tells apart rows that differ in any one column", "[dedupe]") {
  GraphBuilder b(Config(Dedupe::kExact));
  const std::vector<UserId> user = {1, 1, 1, 1, 1, 2, 1};
  const std::vector<ItemId> item = {5, 5, 5, 5, 6, 5, 5};
  const std::vector<Timestamp> ts = {kAsOf, kAsOf, kAsOf, kAsOf - 1,
                                     kAsOf, kAsOf, kAsOf};
  const std::vector<CategoryId> cat = {3, 3, 4, 3, 3, 3, 3};
  const std::vector<double> amount = {1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 2.5};
  testing::RequireOk(b.AddPurchases({.user = user,
                                     .item = item,
                                     .ts = ts,
                                     .category = cat,
                                     .amount = amount}));
  // Only row 1 repeats row 0.
  CHECK(b.counts().purchases == 6);
  CHECK(b.counts().duplicate_purchases == 1);
  // Without an amount column the row differs from all of the above; twice,
  // the second is a duplicate. -0.0 and 0.0 are the same amount.
  const std::vector<UserId> u1 = {1, 1};
  const std::vector<ItemId> i1 = {5, 5};
  const std::vector<Timestamp> t1 = {kAsOf, kAsOf};
  const std::vector<CategoryId> c1 = {3, 3};
  testing::RequireOk(
      b.AddPurchases({.user = u1, .item = i1, .ts = t1, .category = c1}));
  CHECK(b.counts().purchases == 7);
  const std::vector<double> zeros = {0.0, -0.0};
  testing::RequireOk(b.AddPurchases(
      {.user = u1, .item = i1, .ts = t1, .category = c1, .amount = zeros}));
  CHECK(b.counts().purchases == 8);
  CHECK(b.counts().duplicate_purchases == 3);

  // Campaigns: the joined list (and its order) is part of the row.
  const std::vector<UserId> inviter = {1, 1, 1};
  const std::vector<ItemId> citem = {5, 5, 5};
  const std::vector<int64_t> jo = {0, 2, 4, 6};
  const std::vector<UserId> joined = {2, 3, 3, 2, 2, 3};
  testing::RequireOk(b.AddCampaigns({.inviter = inviter,
                                     .item = citem,
                                     .joined_offsets = jo,
                                     .joined = joined}));
  CHECK(b.counts().campaigns == 2);
  CHECK(b.counts().duplicate_campaigns == 1);
}

TEST_CASE("Fingerprints: id keys and fingerprints never meet", "[dedupe]") {
  using internal::Fingerprinter;
  Fingerprinter a(internal::kInteractionDomain), b(internal::kPurchaseDomain);
  a.AddSigned(1);
  b.AddSigned(1);
  CHECK(a.Finish() != b.Finish());
  CHECK(internal::IsFingerprint(a.Finish()));
  CHECK_FALSE(internal::IsIdKey(a.Finish()));
  CHECK(internal::IsIdKey(internal::IdKey(-1)));
  CHECK_FALSE(internal::IsFingerprint(internal::IdKey(-1)));
  CHECK(internal::IdKey(-1) != internal::IdKey(1));
  // Lists: the same values split differently are different rows.
  Fingerprinter x(internal::kCampaignDomain), y(internal::kCampaignDomain);
  const std::vector<int64_t> one = {1}, one_two = {1, 2}, two = {2}, none = {};
  x.AddList(one);
  x.AddList(two);
  y.AddList(one_two);
  y.AddList(none);
  CHECK(x.Finish() != y.Finish());
}

}  // namespace
}  // namespace invitegraph
