// The CSR adjacency of SocialGraph against a Boost adjacency_list oracle built
// from the raw event rows, plus the structural invariants of the arrays (BGL
// csr_graph_test) and the spans' view of Boost's storage.
#include <algorithm>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/compressed_sparse_row_graph.hpp>
#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "graph/graph_data.h"
#include "graph/packed_arc.h"
#include "invitegraph/graph_builder.h"
#include "invitegraph/social_graph.h"
#include "testing/fixtures.h"

namespace invitegraph {
namespace {

using testing::kAsOf;
using testing::kDay;
using testing::MakeRandomEvents;
using testing::RandomEvents;
using testing::Unwrap;

using Oracle =
    boost::adjacency_list<boost::setS, boost::vecS, boost::undirectedS>;

// The undirected contact graph of `e` as a Boost adjacency_list over the sorted
// distinct external ids (vertex i is ids[i]).
struct OracleGraph {
  std::vector<UserId> ids;
  Oracle g;
  Oracle::vertex_descriptor Vertex(UserId u) const {
    return std::lower_bound(ids.begin(), ids.end(), u) - ids.begin();
  }
};

OracleGraph MakeOracle(const RandomEvents& e) {
  std::set<UserId> all;
  all.insert(e.friend_src.begin(), e.friend_src.end());
  all.insert(e.friend_dst.begin(), e.friend_dst.end());
  all.insert(e.inter_src.begin(), e.inter_src.end());
  all.insert(e.inter_dst.begin(), e.inter_dst.end());
  all.insert(e.purchase_user.begin(), e.purchase_user.end());
  OracleGraph o{std::vector<UserId>(all.begin(), all.end()),
                Oracle(all.size())};
  for (size_t i = 0; i < e.friend_src.size(); ++i) {
    boost::add_edge(o.Vertex(e.friend_src[i]), o.Vertex(e.friend_dst[i]), o.g);
  }
  for (size_t i = 0; i < e.inter_src.size(); ++i) {
    boost::add_edge(o.Vertex(e.inter_src[i]), o.Vertex(e.inter_dst[i]), o.g);
  }
  return o;
}

// Checks the arrays of `g` on their own: offsets start at 0, never decrease and
// end at num_arcs; rows are strictly increasing, in range, without self-loops;
// arcs symmetric.
void CheckInvariants(const SocialGraph& g) {
  const auto offsets = g.row_offsets();
  const auto targets = g.arc_targets();
  REQUIRE(static_cast<int64_t>(offsets.size()) == g.num_nodes() + 1);
  REQUIRE(static_cast<int64_t>(targets.size()) == g.num_arcs());
  CHECK(offsets.front() == 0);
  CHECK(offsets.back() == static_cast<uint64_t>(g.num_arcs()));
  int bad = 0;
  for (NodeId u = 0; u < g.num_nodes(); ++u) {
    if (offsets[u + 1] < offsets[u]) ++bad;
    if (g.degree(u) != static_cast<int64_t>(offsets[u + 1] - offsets[u])) ++bad;
    const auto row = g.neighbors(u);
    if (row.data() != targets.data() + offsets[u]) ++bad;
    for (size_t i = 0; i < row.size(); ++i) {
      if (row[i] >= g.num_nodes() || row[i] == u) ++bad;
      if (i > 0 && !(row[i - 1] < row[i])) ++bad;
      if (!g.FindArc(row[i], u).has_value()) ++bad;  // symmetry
      if (g.arc(u, static_cast<int64_t>(i)).target != row[i]) ++bad;
    }
  }
  CHECK(bad == 0);
  const GraphStats s = g.stats();
  CHECK(s.num_nodes == g.num_nodes());
  CHECK(s.num_arcs == g.num_arcs());
  CHECK(s.arc_bytes == 16 * g.num_arcs());
  CHECK(s.offset_bytes == 8 * (g.num_nodes() + 1));
  CHECK(s.total_bytes >= s.arc_bytes + s.offset_bytes);
}

TEST_CASE("CSR equals a Boost adjacency_list oracle on random graphs",
          "[graph][csr]") {
  for (uint64_t seed : {1, 2, 3, 4, 5}) {
    CAPTURE(seed);
    const RandomEvents e =
        MakeRandomEvents({.num_users = 40 + 10 * static_cast<int>(seed),
                          .num_friendships = 80,
                          .num_interactions = 150,
                          .num_purchases = 30,
                          .seed = seed});
    const SocialGraph g = Unwrap(testing::BuildGraph(e));
    const OracleGraph o = MakeOracle(e);
    CheckInvariants(g);

    REQUIRE(g.num_nodes() == static_cast<int64_t>(boost::num_vertices(o.g)));
    CHECK(g.num_arcs() == 2 * static_cast<int64_t>(boost::num_edges(o.g)));
    int bad = 0;
    for (UserId u : o.ids) {
      const auto node = g.FindNode(u);
      REQUIRE(node.has_value());
      if (g.user_id(*node) != u || g.user_ids()[*node] != u) ++bad;
      std::set<UserId> expected;
      for (auto [it, end] = boost::adjacent_vertices(o.Vertex(u), o.g);
           it != end; ++it) {
        expected.insert(o.ids[*it]);
      }
      std::set<UserId> actual;
      for (NodeId v : g.neighbors(*node)) actual.insert(g.user_id(v));
      if (actual != expected) ++bad;
      if (g.degree(*node) !=
          static_cast<int64_t>(boost::degree(o.Vertex(u), o.g)))
        ++bad;
      if (g.profile(*node).degree != g.degree(*node)) ++bad;
    }
    CHECK(bad == 0);
    CHECK_FALSE(g.FindNode(4999).has_value());  // never used by RandomUserId
  }
}

TEST_CASE("arc flags and channels follow the events of their own direction",
          "[graph][csr]") {
  const RandomEvents e = MakeRandomEvents({.num_users = 50, .seed = 11});
  const SocialGraph g = Unwrap(testing::BuildGraph(e));
  // Oracle per ordered pair: declared friends, channels used, youngest event's
  // age.
  std::set<std::pair<UserId, UserId>> friends;
  for (size_t i = 0; i < e.friend_src.size(); ++i) {
    friends.insert({e.friend_src[i], e.friend_dst[i]});
    friends.insert({e.friend_dst[i], e.friend_src[i]});
  }
  std::map<std::pair<UserId, UserId>, std::set<int>> channels;
  std::map<std::pair<UserId, UserId>, Timestamp> last;
  for (size_t i = 0; i < e.inter_src.size(); ++i) {
    const std::pair<UserId, UserId> key{e.inter_src[i], e.inter_dst[i]};
    channels[key].insert(static_cast<int>(e.inter_kind[i]));
    auto [it, inserted] = last.try_emplace(key, e.inter_ts[i]);
    if (!inserted) it->second = std::max(it->second, e.inter_ts[i]);
  }
  int bad = 0, checked = 0;
  for (NodeId u = 0; u < g.num_nodes(); ++u) {
    for (int64_t i = 0; i < g.degree(u); ++i) {
      const ArcInfo a = g.arc(u, i);
      const std::pair<UserId, UserId> key{g.user_id(u), g.user_id(a.target)};
      if (a.is_friend != (friends.count(key) > 0)) ++bad;
      const std::set<int>& used = channels[key];
      for (int c = 0; c < kNumChannels; ++c) {
        if ((a.channel_weight[c] > 0) != (used.count(c) > 0)) ++bad;
      }
      const float days = last.count(key)
                             ? static_cast<float>((kAsOf - last[key]) / kDay)
                             : kNeverDays;
      if (a.days_since_last_interaction != days) ++bad;
      if (used.empty() && !a.is_friend && a.tie_strength != 0) ++bad;
      if (!used.empty() && !(a.tie_strength > 0)) ++bad;
      ++checked;
    }
  }
  CHECK(checked == g.num_arcs());
  CHECK(bad == 0);
}

TEST_CASE("a graph without contacts has an empty CSR", "[graph][csr]") {
  GraphBuilder b;
  const std::vector<UserId> user = {3, 9, 3};
  const std::vector<ItemId> item = {1, 1, 2};
  const std::vector<Timestamp> ts = {kAsOf - 10, kAsOf - 5, kAsOf};
  testing::RequireOk(b.AddPurchases(
      {.user = user, .item = item, .ts = ts, .category = {}, .amount = {}}));
  const SocialGraph g = Unwrap(b.Build());
  CHECK(g.num_nodes() == 2);
  CHECK(g.num_arcs() == 0);
  CHECK(g.as_of() == kAsOf);  // defaults to the latest staged timestamp
  CheckInvariants(g);
  for (NodeId u = 0; u < g.num_nodes(); ++u) {
    CHECK(g.neighbors(u).empty());
    CHECK(g.degree(u) == 0);
  }
  CHECK_FALSE(g.FindArc(0, 1).has_value());
}

TEST_CASE("Build of an empty builder is kFailedPrecondition", "[graph][csr]") {
  GraphBuilder b;
  CHECK(b.Build().status().code() == absl::StatusCode::kFailedPrecondition);
}

// BuildCsr reads Boost's non-portable storage members; pin them against the
// public BGL accessors of the same graph type (csr.cc's BoostCsr).
TEST_CASE("CSR spans view the Boost compressed_sparse_row_graph",
          "[graph][csr]") {
  using BoostCsr =
      boost::compressed_sparse_row_graph<boost::directedS, boost::no_property,
                                         internal::PackedArc,
                                         boost::no_property, NodeId, uint64_t>;
  const RandomEvents e = MakeRandomEvents({.num_users = 40, .seed = 21});
  const SocialGraph g = Unwrap(testing::BuildGraph(e));
  const internal::GraphData& d = g.data();
  const auto csr = std::static_pointer_cast<const BoostCsr>(d.csr_owner);
  REQUIRE(csr != nullptr);
  REQUIRE(boost::num_vertices(*csr) == d.num_nodes());
  REQUIRE(boost::num_edges(*csr) == d.targets.size());
  REQUIRE(d.arcs.size() == d.targets.size());
  int bad = 0;
  for (NodeId u = 0; u < d.num_nodes(); ++u) {
    uint64_t i = d.offsets[u];
    if (boost::out_degree(u, *csr) != d.degree(u)) ++bad;
    for (auto [it, end] = boost::out_edges(u, *csr); it != end; ++it, ++i) {
      if (boost::target(*it, *csr) != d.targets[i]) ++bad;
      if (&(*csr)[*it] != &d.arcs[i]) ++bad;  // same storage, not a copy
    }
    if (i != d.offsets[u + 1]) ++bad;
  }
  CHECK(bad == 0);
}

}  // namespace
}  // namespace invitegraph
