// Arc partials (arc_partials.h) merge exactly, and builds do not depend on the
// order or the split of their rows.
#include "invitegraph/arc_partials.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <numeric>
#include <random>
#include <utility>
#include <vector>

#include "invitegraph/graph_builder.h"
#include "testing/fixtures.h"

namespace invitegraph {
namespace {

using testing::BuildGraph;
using testing::CheckError;
using testing::CheckSameGraph;
using testing::kAsOf;
using testing::MakeRandomEvents;
using testing::RandomEvents;
using testing::RequireOk;
using testing::Unwrap;

// The rows of `e` whose index i has part[i] == p (friendships and
// interactions; purchases make no arcs).
RandomEvents Slice(const RandomEvents& e, const std::vector<int>& fpart,
                   const std::vector<int>& ipart, int p) {
  RandomEvents s;
  for (size_t i = 0; i < e.friend_src.size(); ++i) {
    if (fpart[i] != p) continue;
    s.friend_src.push_back(e.friend_src[i]);
    s.friend_dst.push_back(e.friend_dst[i]);
  }
  for (size_t i = 0; i < e.inter_src.size(); ++i) {
    if (ipart[i] != p) continue;
    s.inter_src.push_back(e.inter_src[i]);
    s.inter_dst.push_back(e.inter_dst[i]);
    s.inter_kind.push_back(e.inter_kind[i]);
    s.inter_ts.push_back(e.inter_ts[i]);
  }
  return s;
}

ArcPartialTable PartialsOf(const RandomEvents& e) {
  GraphBuilder b;
  RequireOk(b.AddFriendships({.src = e.friend_src, .dst = e.friend_dst}));
  RequireOk(b.AddInteractions({.src = e.inter_src,
                               .dst = e.inter_dst,
                               .kind = e.inter_kind,
                               .ts = e.inter_ts}));
  return Unwrap(b.PartialArcs(kAsOf, 2));
}

TEST_CASE("Arc partials of any split merge to exactly the built arcs",
          "[ingest][partials]") {
  const RandomEvents e = MakeRandomEvents({.num_users = 80,
                                           .num_friendships = 150,
                                           .num_interactions = 900,
                                           .seed = 5});
  const SocialGraph g = Unwrap(BuildGraph(e));
  for (int parts : {1, 3, 7}) {
    std::mt19937_64 rng(parts);
    std::vector<int> fpart(e.friend_src.size()), ipart(e.inter_src.size());
    for (int& p : fpart) p = static_cast<int>(rng() % parts);
    for (int& p : ipart) p = static_cast<int>(rng() % parts);
    std::map<std::pair<UserId, UserId>, ArcPartial> merged;
    for (int p = 0; p < parts; ++p) {
      const ArcPartialTable t = PartialsOf(Slice(e, fpart, ipart, p));
      REQUIRE(t.src.size() == t.partial.size());
      for (size_t i = 1; i < t.src.size(); ++i) {  // sorted by (src, dst)
        CHECK(std::pair(t.src[i - 1], t.dst[i - 1]) <
              std::pair(t.src[i], t.dst[i]));
      }
      for (size_t i = 0; i < t.src.size(); ++i) {
        merged[{t.src[i], t.dst[i]}].Merge(t.partial[i]);
      }
    }
    INFO("parts " << parts);
    REQUIRE(static_cast<int64_t>(merged.size()) == g.num_arcs());
    int mismatches = 0;
    for (const auto& [key, partial] : merged) {
      const auto u = g.FindNode(key.first), v = g.FindNode(key.second);
      REQUIRE(u.has_value());
      REQUIRE(v.has_value());
      const std::optional<ArcInfo> want = g.FindArc(*u, *v);
      REQUIRE(want.has_value());
      const ArcInfo got = Unwrap(FinishArc(partial, g.config()));
      if (!testing::SameArcValues(got, *want)) ++mismatches;
    }
    CHECK(mismatches == 0);
  }
}

TEST_CASE("Merging arc partials is exact integer arithmetic",
          "[ingest][partials]") {
  ArcPartial a, b;
  a.channel_fixed[0] = 3;
  a.min_age_s = 50;
  b.channel_fixed[0] = 4;
  b.channel_fixed[2] = int64_t{1} << 32;  // one undecayed event
  b.min_age_s = 7;
  b.is_friend = true;
  ArcPartial ab = a, ba = b;
  ab.Merge(b);
  ba.Merge(a);
  for (const ArcPartial& m : {ab, ba}) {
    CHECK(m.channel_fixed[0] == 7);
    CHECK(m.channel_fixed[2] == int64_t{1} << 32);
    CHECK(m.min_age_s == 7);
    CHECK(m.is_friend);
  }
  ArcPartial none;  // -1: no channel event; merging keeps the other's age
  none.Merge(a);
  CHECK(none.min_age_s == 50);
  const ArcInfo arc = Unwrap(FinishArc(b, GraphConfig{}));
  CHECK(arc.channel_weight[2] == 1.0f);  // powers of two are stored exactly
  CHECK(arc.days_since_last_interaction == 0.0f);
  CHECK(arc.is_friend);
  ArcPartial bad;
  bad.channel_fixed[4] = -1;
  CheckError(FinishArc(bad, GraphConfig{}).status(),
             absl::StatusCode::kInvalidArgument, {"channel_fixed[4]=-1"});
  GraphBuilder late;
  RequireOk(late.AddInteractions({.src = std::vector<UserId>{1},
                                  .dst = std::vector<UserId>{2},
                                  .kind = std::vector<Channel>{Channel::kChat},
                                  .ts = std::vector<Timestamp>{kAsOf + 1}}));
  CheckError(late.PartialArcs(kAsOf).status(),
             absl::StatusCode::kInvalidArgument, {"interactions", "ts"});
  CHECK(Unwrap(GraphBuilder().PartialArcs(kAsOf)).src.empty());
}

TEST_CASE("Builds do not depend on the order of their rows",
          "[ingest][partials]") {
  RandomEvents e = MakeRandomEvents({.num_users = 70, .seed = 9});
  const SocialGraph g = Unwrap(BuildGraph(e));
  // Reverse every table: users and items are met in another order, and equal
  // (arc, channel) and (user, item) rows add up in another order.
  std::reverse(e.friend_src.begin(), e.friend_src.end());
  std::reverse(e.friend_dst.begin(), e.friend_dst.end());
  std::reverse(e.inter_src.begin(), e.inter_src.end());
  std::reverse(e.inter_dst.begin(), e.inter_dst.end());
  std::reverse(e.inter_kind.begin(), e.inter_kind.end());
  std::reverse(e.inter_ts.begin(), e.inter_ts.end());
  std::reverse(e.purchase_user.begin(), e.purchase_user.end());
  std::reverse(e.purchase_item.begin(), e.purchase_item.end());
  std::reverse(e.purchase_category.begin(), e.purchase_category.end());
  std::reverse(e.purchase_ts.begin(), e.purchase_ts.end());
  const SocialGraph r = Unwrap(BuildGraph(e));
  CheckSameGraph(g, r);  // NodeId for NodeId: ids follow external ids
  for (NodeId n = 1; n < g.num_nodes(); ++n) {
    CHECK(g.user_id(n - 1) < g.user_id(n));
  }
}

}  // namespace
}  // namespace invitegraph
