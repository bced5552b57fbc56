// SocialGraph::Update() and Forget() against full rebuilds from the events.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "invitegraph/graph_builder.h"
#include "invitegraph/recommender.h"
#include "invitegraph/social_graph.h"
#include "testing/fixtures.h"

namespace invitegraph {
namespace {

using testing::CheckError;
using testing::kAsOf;
using testing::kDay;
using testing::RandomEvents;
using testing::Unwrap;

// Random events plus campaigns (with `invited` lists, so exposures do not
// depend on the graph's contacts at build time; see Update()).
struct Events {
  RandomEvents e;
  std::vector<UserId> c_inviter;
  std::vector<ItemId> c_item;
  std::vector<Timestamp> c_ts;
  std::vector<std::vector<UserId>> c_joined, c_invited;
};

Events MakeEvents(uint64_t seed, int num_users = 60) {
  Events ev;
  ev.e = testing::MakeRandomEvents({.num_users = num_users,
                                    .num_friendships = 2 * num_users,
                                    .num_interactions = 5 * num_users,
                                    .num_purchases = 3 * num_users,
                                    .max_age_days = 60,
                                    .seed = seed});
  std::mt19937_64 rng(seed * 7 + 1);
  for (int r = 0; r < num_users / 2; ++r) {
    const UserId inviter = testing::RandomUserId(rng() % num_users);
    std::vector<UserId> joined, invited;
    for (int j = 0; j < 4; ++j) {
      const UserId u = testing::RandomUserId(rng() % num_users);
      if (u == inviter ||
          std::find(invited.begin(), invited.end(), u) != invited.end()) {
        continue;
      }
      invited.push_back(u);
      if (rng() % 2) joined.push_back(u);
    }
    ev.c_inviter.push_back(inviter);
    ev.c_item.push_back(700 + static_cast<ItemId>(rng() % 15));
    ev.c_ts.push_back(kAsOf - static_cast<Timestamp>(rng() % (60 * kDay)));
    ev.c_joined.push_back(joined);
    ev.c_invited.push_back(invited);
  }
  return ev;
}

absl::Status AddEvents(const Events& ev, GraphBuilder& b) {
  INVITEGRAPH_RETURN_IF_ERROR(testing::AddAll(ev.e, b));
  std::vector<int64_t> jo{0}, io{0};
  std::vector<UserId> joined, invited;
  std::vector<CategoryId> category;
  for (size_t r = 0; r < ev.c_inviter.size(); ++r) {
    joined.insert(joined.end(), ev.c_joined[r].begin(), ev.c_joined[r].end());
    invited.insert(invited.end(), ev.c_invited[r].begin(),
                   ev.c_invited[r].end());
    jo.push_back(static_cast<int64_t>(joined.size()));
    io.push_back(static_cast<int64_t>(invited.size()));
    category.push_back(testing::RandomItemCategory(ev.c_item[r]));
  }
  return b.AddCampaigns({.inviter = ev.c_inviter,
                         .item = ev.c_item,
                         .joined_offsets = jo,
                         .joined = joined,
                         .ts = ev.c_ts,
                         .category = category,
                         .invited_offsets = io,
                         .invited = invited});
}

// Rows of `ev` split by `keep(table, row)`: true -> first, false -> second.
template <typename Keep>
std::pair<Events, Events> Split(const Events& ev, Keep keep) {
  Events a, b;
  const RandomEvents& e = ev.e;
  for (size_t i = 0; i < e.friend_src.size(); ++i) {
    RandomEvents& t = keep(0, i) ? a.e : b.e;
    t.friend_src.push_back(e.friend_src[i]);
    t.friend_dst.push_back(e.friend_dst[i]);
  }
  for (size_t i = 0; i < e.inter_src.size(); ++i) {
    RandomEvents& t = keep(1, i) ? a.e : b.e;
    t.inter_src.push_back(e.inter_src[i]);
    t.inter_dst.push_back(e.inter_dst[i]);
    t.inter_kind.push_back(e.inter_kind[i]);
    t.inter_ts.push_back(e.inter_ts[i]);
  }
  for (size_t i = 0; i < e.purchase_user.size(); ++i) {
    RandomEvents& t = keep(2, i) ? a.e : b.e;
    t.purchase_user.push_back(e.purchase_user[i]);
    t.purchase_item.push_back(e.purchase_item[i]);
    t.purchase_category.push_back(e.purchase_category[i]);
    t.purchase_ts.push_back(e.purchase_ts[i]);
  }
  for (size_t r = 0; r < ev.c_inviter.size(); ++r) {
    Events& t = keep(3, r) ? a : b;
    t.c_inviter.push_back(ev.c_inviter[r]);
    t.c_item.push_back(ev.c_item[r]);
    t.c_ts.push_back(ev.c_ts[r]);
    t.c_joined.push_back(ev.c_joined[r]);
    t.c_invited.push_back(ev.c_invited[r]);
  }
  return {a, b};
}

Timestamp RowTime(const Events& ev, int table, size_t row) {
  switch (table) {
    case 1:
      return ev.e.inter_ts[row];
    case 2:
      return ev.e.purchase_ts[row];
    case 3:
      return ev.c_ts[row];
    default:
      return 0;
  }
}

SocialGraph Build(const Events& ev, Timestamp as_of, bool communities = true) {
  // Without the participation guard: an update cannot match a new campaign
  // with purchases of earlier batches, a rebuild could (docs/updating.md).
  GraphBuilder b(
      GraphConfig{.num_threads = 2, .participation_window_days = -1});
  testing::RequireOk(AddEvents(ev, b));
  BuildOptions o = testing::AsOf(as_of);
  o.communities = communities;
  return Unwrap(b.Build(o));
}

absl::StatusOr<SocialGraph> UpdateWith(const SocialGraph& g, const Events& ev,
                                       Timestamp as_of) {
  GraphBuilder b;
  INVITEGRAPH_RETURN_IF_ERROR(AddEvents(ev, b));
  return g.Update(b, UpdateOptions{.as_of = as_of});
}

// Relative precision of one quantisation step (packed_arc.h): half a code.
const double kChannelStep = std::exp2(1 / (2 * 11.0)) - 1;  // 3.2 %
const double kTieStep = std::exp2(1 / (2 * 2048.0)) - 1;    // 0.017 %

// The bounds Update() documents after `updates` successive updates: every
// update re-quantises, adding half a code in log space to the build's half
// code; values below a quantisation floor may read as 0 on one side.
struct Tolerance {
  int updates = 1;
  double channel() const { return std::exp2((updates + 1) / 22.0) - 1; }
  double tie() const { return (updates + 1) * 2 * kTieStep; }
};

bool Near(double a, double b, double rel, double abs_floor) {
  return std::abs(a - b) <=
         rel * std::max(std::abs(a), std::abs(b)) + abs_floor;
}

// Compares `u` (updated) with `full` (rebuilt) by external ids. `before` is
// the graph the last update started from (its activity bounds the window
// approximation); exact_activity when the gap makes the rule exact.
void CheckUpdatedLikeRebuilt(const SocialGraph& u, const SocialGraph& full,
                             const SocialGraph& before, Tolerance tol,
                             bool exact_activity) {
  REQUIRE(u.num_nodes() == full.num_nodes());
  REQUIRE(u.num_arcs() == full.num_arcs());
  CHECK(u.as_of() == full.as_of());
  CHECK(u.stats().num_items == full.stats().num_items);
  CHECK(u.stats().num_categories == full.stats().num_categories);
  int bad_arcs = 0, bad_profiles = 0, bad_activity = 0, checked_arcs = 0;
  double worst_channel = 0, worst_tie = 0;
  for (NodeId a = 0; a < full.num_nodes(); ++a) {
    const UserId user = full.user_id(a);
    const auto b = u.FindNode(user);
    REQUIRE(b.has_value());
    REQUIRE(full.degree(a) == u.degree(*b));
    for (int64_t i = 0; i < full.degree(a); ++i) {
      const ArcInfo x = full.arc(a, i);
      const auto y_node = u.FindNode(full.user_id(x.target));
      REQUIRE(y_node.has_value());
      const auto y = u.FindArc(*b, *y_node);
      REQUIRE(y.has_value());
      ++checked_arcs;
      bool ok = x.is_friend == y->is_friend &&
                std::abs(x.days_since_last_interaction -
                         y->days_since_last_interaction) <= 1 &&
                Near(x.tie_strength, y->tie_strength, tol.tie(), 0x1p-14);
      if (x.tie_strength > 0.01) {
        worst_tie = std::max<double>(
            worst_tie,
            std::abs(x.tie_strength - y->tie_strength) / x.tie_strength);
      }
      for (int c = 0; c < kNumChannels; ++c) {
        ok = ok && Near(x.channel_weight[c], y->channel_weight[c],
                        tol.channel(), 0x1p-10);
        if (x.channel_weight[c] > 0.01) {
          worst_channel = std::max<double>(
              worst_channel,
              std::abs(x.channel_weight[c] - y->channel_weight[c]) /
                  x.channel_weight[c]);
        }
      }
      bad_arcs += !ok;
    }
    const UserProfile p = full.profile(a), q = u.profile(*b);
    bool ok = p.degree == q.degree && p.first_seen == q.first_seen &&
              p.is_new == q.is_new && p.joins == q.joins &&
              p.exposures == q.exposures &&
              Near(p.join_rate, q.join_rate, 1e-6, 0) &&
              Near(p.purchase_weight, q.purchase_weight, 1e-5, 1e-7) &&
              p.category_affinity.size() == q.category_affinity.size();
    for (size_t k = 0; ok && k < p.category_affinity.size(); ++k) {
      ok = p.category_affinity[k].first == q.category_affinity[k].first &&
           Near(p.category_affinity[k].second, q.category_affinity[k].second,
                1e-5, 1e-7);
    }
    bad_profiles += !ok;
    // Activity windows: exact when the gap is 0 or longer than the window,
    // else within the user's 30-day count in the graph updated from.
    double slack = 1e-4;
    if (!exact_activity) {
      const auto o = before.FindNode(user);
      if (o) slack += before.profile(*o).activity_30d;
    }
    if (std::abs(p.activity_7d - q.activity_7d) > slack ||
        std::abs(p.activity_30d - q.activity_30d) > slack) {
      ++bad_activity;
    }
  }
  INFO("worst relative error of channels above 0.01: "
       << worst_channel << ", ties above 0.01: " << worst_tie);
  CHECK(checked_arcs > 0);
  CHECK(bad_arcs == 0);
  CHECK(bad_profiles == 0);
  CHECK(bad_activity == 0);
  // Codes differ by at most (updates + 1) / 2 (each side half a code per
  // quantisation), i.e. 2^((updates + 1) / 22) - 1 relative to the smaller.
  CHECK(worst_channel <= tol.channel() * (1 + 1e-6));
  // Item index: categories and buyers by external id.
  for (ItemId item = 690; item < 720; ++item) {
    CHECK(u.item_category(item) == full.item_category(item));
    std::vector<UserId> bu, bf;
    for (NodeId v : u.item_buyers(item)) bu.push_back(u.user_id(v));
    for (NodeId v : full.item_buyers(item)) bf.push_back(full.user_id(v));
    std::sort(bu.begin(), bu.end());
    std::sort(bf.begin(), bf.end());
    CHECK(bu == bf);
  }
}

TEST_CASE("Update equals a rebuild on all events, to tolerance", "[update]") {
  for (uint64_t seed : {1, 2, 3}) {
    for (Timestamp gap_days : {0, 3, 12, 45}) {
      INFO("seed " << seed << ", gap " << gap_days << " days");
      const Events all = MakeEvents(seed);
      const Timestamp t2 = kAsOf + gap_days * kDay;
      const Timestamp t1 = kAsOf - 20 * kDay;
      // Base: a random half of the events up to t1; the update holds the rest
      // (some of them before t1: late arrivals are allowed).
      std::mt19937_64 rng(seed);
      auto [a, b] = Split(all, [&](int table, size_t row) {
        return RowTime(all, table, row) <= t1 && rng() % 2 == 0;
      });
      const SocialGraph ga = Build(a, t1);
      const SocialGraph gu = Unwrap(UpdateWith(ga, b, t2));
      const SocialGraph full = Build(all, t2);
      CHECK(gu.stats().num_communities > 0);
      CheckUpdatedLikeRebuilt(gu, full, ga, Tolerance{1}, t2 - t1 > 30 * kDay);
    }
  }
}

TEST_CASE("Two successive updates stay within the compounded bound",
          "[update]") {
  const Events all = MakeEvents(9, 80);
  const Timestamp t1 = kAsOf - 30 * kDay, t2 = kAsOf - 10 * kDay, t3 = kAsOf;
  auto [a, rest] = Split(all, [&](int table, size_t row) {
    return RowTime(all, table, row) <= t1;
  });
  // A named copy: lambdas cannot capture structured bindings before C++20
  // in clang 14, which builds the sanitizer suite.
  const Events& later = rest;
  auto [b, c] = Split(later, [&](int table, size_t row) {
    return RowTime(later, table, row) <= t2 && row % 3 != 0;
  });
  const SocialGraph g1 = Build(a, t1);
  const SocialGraph g2 = Unwrap(UpdateWith(g1, b, t2));
  const SocialGraph g3 = Unwrap(UpdateWith(g2, c, t3));
  CheckUpdatedLikeRebuilt(g3, Build(all, t3), g2, Tolerance{2}, false);
}

TEST_CASE("Update with nothing new at the same as_of changes nothing",
          "[update]") {
  const Events all = MakeEvents(4);
  const SocialGraph g = Build(all, kAsOf);
  GraphBuilder empty;
  const SocialGraph same = Unwrap(g.Update(empty));
  testing::CheckSameGraph(g, same);
  CHECK(std::vector<uint32_t>(g.communities().begin(), g.communities().end()) ==
        std::vector<uint32_t>(same.communities().begin(),
                              same.communities().end()));
}

TEST_CASE("Update appends new users and items after the old ones", "[update]") {
  const Events all = MakeEvents(5);
  const SocialGraph g = Build(all, kAsOf);
  const std::vector<UserId> src = {testing::RandomUserId(0), 987654321};
  const std::vector<UserId> dst = {987654321, 987654322};
  const std::vector<Channel> kind = {Channel::kChat, Channel::kLike};
  const std::vector<Timestamp> ts = {kAsOf + kDay, kAsOf + 2 * kDay};
  const std::vector<UserId> buyer = {987654322};
  const std::vector<ItemId> item = {99999};
  const std::vector<Timestamp> pts = {kAsOf + 2 * kDay};
  GraphBuilder b;
  testing::RequireOk(
      b.AddInteractions({.src = src, .dst = dst, .kind = kind, .ts = ts}));
  testing::RequireOk(b.AddPurchases({.user = buyer, .item = item, .ts = pts}));
  const SocialGraph u = Unwrap(g.Update(b, {.communities = false}));
  CHECK(u.as_of() == kAsOf + 2 * kDay);  // the latest new event
  REQUIRE(u.num_nodes() == g.num_nodes() + 2);
  CHECK(*u.FindNode(987654321) == g.num_nodes());
  CHECK(*u.FindNode(987654322) == g.num_nodes() + 1);
  for (NodeId v = 0; v < g.num_nodes(); ++v)
    CHECK(u.user_id(v) == g.user_id(v));
  CHECK(u.profile(g.num_nodes() + 1).is_new);
  CHECK(u.profile(g.num_nodes()).first_seen == kAsOf + kDay);
  CHECK(u.profile(g.num_nodes() + 1).first_seen == kAsOf + 2 * kDay);
  CHECK(u.item_buyers(99999).size() == 1);
  CHECK(u.communities().empty());
  // Rows stay sorted and the arc set symmetric.
  for (NodeId v = 0; v < u.num_nodes(); ++v) {
    const auto nb = u.neighbors(v);
    CHECK(std::is_sorted(nb.begin(), nb.end()));
    CHECK(std::adjacent_find(nb.begin(), nb.end()) == nb.end());
    for (NodeId w : nb) CHECK(u.FindArc(w, v).has_value());
  }
}

TEST_CASE("Update rejects bad times and leaves the graph as it was",
          "[update]") {
  const Events all = MakeEvents(6);
  const SocialGraph g = Build(all, kAsOf);
  const std::string before = Unwrap(g.ToBytes());
  GraphBuilder b;
  const std::vector<UserId> src = {1, 2}, dst = {2, 3};
  const std::vector<Channel> kind = {Channel::kChat, Channel::kChat};
  const std::vector<Timestamp> ts = {kAsOf, kAsOf + 5 * kDay};
  testing::RequireOk(
      b.AddInteractions({.src = src, .dst = dst, .kind = kind, .ts = ts}));
  CheckError(
      g.Update(b, {.as_of = kAsOf - 1}).status(),
      absl::StatusCode::kInvalidArgument,
      {"as_of=" + std::to_string(kAsOf - 1), "before the graph's as_of"});
  CheckError(g.Update(b, {.as_of = kAsOf + kDay}).status(),
             absl::StatusCode::kInvalidArgument,
             {"interactions.ts[1]=" + std::to_string(kAsOf + 5 * kDay),
              "after as_of"});
  // Bad rows are refused by the batch's builder, with GraphBuilder's errors.
  const std::vector<UserId> neg = {-4};
  const std::vector<ItemId> it = {1};
  const std::vector<Timestamp> pt = {kAsOf};
  CheckError(b.AddPurchases({.user = neg, .item = it, .ts = pt}),
             absl::StatusCode::kInvalidArgument, {"purchases.user[0]=-4"});
  CHECK(Unwrap(g.ToBytes()) == before);
  CHECK(Unwrap(g.Update(b)).as_of() == kAsOf + 5 * kDay);
  CHECK(Unwrap(g.ToBytes()) == before);
}

// ---------------------------------------------------------------- Forget

constexpr UserId kSecretA = 0x5A5A5A5A5A5A5A5A;
constexpr UserId kSecretB = 0x3C3C3C3C3C3C3C3C;

bool ContainsId(const std::string& bytes, UserId id) {
  char le[8];
  for (int i = 0; i < 8; ++i) le[i] = static_cast<char>((id >> (8 * i)) & 0xFF);
  return bytes.find(std::string(le, 8)) != std::string::npos;
}

// Random events with two distinctive users who befriend, message, buy and
// join campaigns.
Events EventsWithSecrets() {
  Events ev = MakeEvents(11);
  RandomEvents& e = ev.e;
  for (int i = 0; i < 12; ++i) {
    const UserId other = testing::RandomUserId(i * 3);
    const UserId secret = i % 2 ? kSecretA : kSecretB;
    e.friend_src.push_back(secret);
    e.friend_dst.push_back(other);
    e.inter_src.push_back(i % 3 ? secret : other);
    e.inter_dst.push_back(i % 3 ? other : secret);
    e.inter_kind.push_back(static_cast<Channel>(i % kNumChannels));
    e.inter_ts.push_back(kAsOf - i * kDay - 3600);
    e.purchase_user.push_back(secret);
    e.purchase_item.push_back(700 + i % 4);
    e.purchase_category.push_back(testing::RandomItemCategory(700 + i % 4));
    e.purchase_ts.push_back(kAsOf - i * kDay);
  }
  ev.c_inviter.push_back(kSecretA);
  ev.c_item.push_back(701);
  ev.c_ts.push_back(kAsOf - kDay);
  ev.c_joined.push_back({testing::RandomUserId(2), kSecretB});
  ev.c_invited.push_back({testing::RandomUserId(2), kSecretB});
  return ev;
}

bool InvolvesSecret(const Events& ev, int table, size_t r) {
  auto secret = [](UserId u) { return u == kSecretA || u == kSecretB; };
  switch (table) {
    case 0:
      return secret(ev.e.friend_src[r]) || secret(ev.e.friend_dst[r]);
    case 1:
      return secret(ev.e.inter_src[r]) || secret(ev.e.inter_dst[r]);
    case 2:
      return secret(ev.e.purchase_user[r]);
    default:
      return secret(ev.c_inviter[r]) ||
             std::any_of(ev.c_joined[r].begin(), ev.c_joined[r].end(),
                         secret) ||
             std::any_of(ev.c_invited[r].begin(), ev.c_invited[r].end(),
                         secret);
  }
}

TEST_CASE("Forget leaves no byte of the user in the snapshot", "[forget]") {
  const Events ev = EventsWithSecrets();
  const SocialGraph g = Build(ev, kAsOf);
  const std::string with = Unwrap(g.ToBytes());
  REQUIRE(ContainsId(with, kSecretA));  // the scan can fail
  REQUIRE(ContainsId(with, kSecretB));
  ForgetReport report;
  const std::vector<UserId> ids = {kSecretA, kSecretB, kSecretA, 123456789};
  const SocialGraph f = Unwrap(g.Forget(ids, {}, &report));
  CHECK(report.forgotten == 2);
  CHECK(report.unknown == 1);
  CHECK(f.num_nodes() == g.num_nodes() - 2);
  CHECK_FALSE(f.FindNode(kSecretA).has_value());
  const auto path =
      std::filesystem::temp_directory_path() /
      ("invitegraph_forget_" + std::to_string(::getpid()) + ".igs");
  Unwrap(f.Save(path.string()));
  std::ifstream in(path, std::ios::binary);
  const std::string saved((std::istreambuf_iterator<char>(in)),
                          std::istreambuf_iterator<char>());
  std::filesystem::remove(path);
  REQUIRE(saved.size() > 1000);
  CHECK_FALSE(ContainsId(saved, kSecretA));
  CHECK_FALSE(ContainsId(saved, kSecretB));
  // The loaded graph answers like the forgotten one.
  testing::CheckSameGraph(f, Unwrap(SocialGraph::FromBytes(saved)));

  CheckError(g.Forget(ids, {.ignore_unknown = false}).status(),
             absl::StatusCode::kNotFound, {"users[3]=123456789"});
  const std::vector<UserId> negative = {-1};
  CheckError(g.Forget(negative).status(), absl::StatusCode::kInvalidArgument,
             {"users[0]=-1"});
}

TEST_CASE("Recommendations after Forget never surface the forgotten users",
          "[forget]") {
  const Events ev = EventsWithSecrets();
  const SocialGraph g = Build(ev, kAsOf);
  const std::vector<UserId> ids = {kSecretA, kSecretB};
  auto rec_before = Unwrap(Recommender::Create(g));
  auto rec_after = Unwrap(Recommender::Create(Unwrap(g.Forget(ids))));
  int surfaced_before = 0, surfaced_after = 0;
  for (int i = 0; i < 36; i += 3) {
    const UserId inviter = testing::RandomUserId(i);
    for (const Suggestion& s :
         Unwrap(rec_before.Recommend(inviter, {.item = 701}, 50))) {
      surfaced_before += s.candidate == kSecretA || s.candidate == kSecretB;
    }
    for (const Suggestion& s :
         Unwrap(rec_after.Recommend(inviter, {.item = 701}, 50))) {
      surfaced_after += s.candidate == kSecretA || s.candidate == kSecretB;
    }
  }
  CHECK(surfaced_before > 0);  // the check below can fail
  CHECK(surfaced_after == 0);
}

TEST_CASE("Forget equals a rebuild without the users' events where it should",
          "[forget]") {
  const Events ev = EventsWithSecrets();
  const SocialGraph g = Build(ev, kAsOf);
  const std::vector<UserId> ids = {kSecretA, kSecretB};
  const SocialGraph f = Unwrap(g.Forget(ids));
  auto [rest, secret_rows] = Split(
      ev, [&](int table, size_t r) { return !InvolvesSecret(ev, table, r); });
  const SocialGraph oracle = Build(rest, kAsOf);
  // Users who shared a row with a forgotten user; their derived values
  // (first_seen, activity, joins, exposures, campaign purchases) keep what the
  // forgotten users' events contributed.
  std::set<UserId> touched;
  for (UserId u : secret_rows.e.friend_src) touched.insert(u);
  for (UserId u : secret_rows.e.friend_dst) touched.insert(u);
  for (UserId u : secret_rows.e.inter_src) touched.insert(u);
  for (UserId u : secret_rows.e.inter_dst) touched.insert(u);
  for (size_t r = 0; r < secret_rows.c_inviter.size(); ++r) {
    touched.insert(secret_rows.c_inviter[r]);
    for (UserId u : secret_rows.c_invited[r]) touched.insert(u);
  }
  // Every oracle user is kept; extra users are ones only the forgotten users'
  // rows mentioned, left without contacts.
  for (UserId u : oracle.user_ids()) REQUIRE(f.FindNode(u).has_value());
  for (UserId u : f.user_ids()) {
    if (!oracle.FindNode(u)) CHECK(f.degree(*f.FindNode(u)) == 0);
  }
  CHECK(f.num_arcs() == oracle.num_arcs());
  int bad_arcs = 0, bad_profiles = 0, compared_profiles = 0;
  for (NodeId a = 0; a < oracle.num_nodes(); ++a) {
    const UserId user = oracle.user_id(a);
    const NodeId b = *f.FindNode(user);
    REQUIRE(oracle.degree(a) == f.degree(b));
    for (int64_t i = 0; i < oracle.degree(a); ++i) {
      const ArcInfo x = oracle.arc(a, i);
      const auto yt = f.FindNode(oracle.user_id(x.target));
      REQUIRE(yt.has_value());
      const auto ya = f.FindArc(b, *yt);
      REQUIRE(ya.has_value());
      const ArcInfo& y = *ya;
      bad_arcs +=
          x.tie_strength != y.tie_strength ||
          x.channel_weight != y.channel_weight ||
          x.days_since_last_interaction != y.days_since_last_interaction ||
          x.is_friend != y.is_friend;
    }
    if (touched.count(user)) continue;
    ++compared_profiles;
    const UserProfile p = oracle.profile(a), q = f.profile(b);
    bad_profiles += p.degree != q.degree || p.first_seen != q.first_seen ||
                    p.activity_7d != q.activity_7d ||
                    p.activity_30d != q.activity_30d || p.joins != q.joins ||
                    p.exposures != q.exposures ||
                    p.purchase_weight != q.purchase_weight ||
                    p.category_affinity != q.category_affinity;
  }
  CHECK(bad_arcs == 0);
  CHECK(compared_profiles > oracle.num_nodes() / 2);
  CHECK(bad_profiles == 0);
  // Communities are recomputed over the same arcs: the same partition.
  std::map<std::pair<uint32_t, uint32_t>, int> pairs;
  for (NodeId a = 0; a < oracle.num_nodes(); ++a) {
    pairs[{oracle.community(a), f.community(*f.FindNode(oracle.user_id(a)))}]++;
  }
  std::set<uint32_t> left, right;
  for (const auto& [k, v] : pairs) {
    CHECK(left.insert(k.first).second);
    CHECK(right.insert(k.second).second);
  }
  // Item buyers drop the forgotten users and keep the rest.
  for (ItemId item = 700; item < 716; ++item) {
    for (NodeId v : f.item_buyers(item)) {
      CHECK(f.user_id(v) != kSecretA);
      CHECK(f.user_id(v) != kSecretB);
    }
  }
}

TEST_CASE("Forget keeps others' community labels when asked", "[forget]") {
  const Events ev = EventsWithSecrets();
  const SocialGraph g = Build(ev, kAsOf);
  const std::vector<UserId> ids = {kSecretA};
  const SocialGraph f = Unwrap(g.Forget(ids, {.communities = false}));
  REQUIRE(f.communities().size() == static_cast<size_t>(f.num_nodes()));
  std::map<uint32_t, uint32_t> relabel;
  for (NodeId a = 0; a < f.num_nodes(); ++a) {
    const uint32_t old = g.community(*g.FindNode(f.user_id(a)));
    auto [it, fresh] = relabel.try_emplace(old, f.community(a));
    CHECK(it->second == f.community(a));
  }
  CHECK(f.stats().num_communities == static_cast<int64_t>(relabel.size()));
}

}  // namespace
}  // namespace invitegraph
