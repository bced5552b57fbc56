// Influence measures (analysis/centrality.h, SocialGraph::pagerank() etc.)
// against brute-force oracles: dense power iteration for PageRank, peeling by
// definition for k-cores, a triple loop for triangles; Boost's core_numbers as
// a second opinion; thread-count invariance; snapshots; Update and Forget.
#include "analysis/centrality.h"

#include <algorithm>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/core_numbers.hpp>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "graph/graph_data.h"
#include "invitegraph/features.h"
#include "invitegraph/graph_builder.h"
#include "invitegraph/recommender.h"
#include "invitegraph/social_graph.h"
#include "testing/fixtures.h"

namespace invitegraph {
namespace {

using internal::CsrView;
using testing::CheckError;
using testing::kAsOf;
using testing::Unwrap;

// An undirected graph as sorted, symmetric CSR arrays.
struct Csr {
  uint32_t n = 0;
  std::vector<uint64_t> offsets;
  std::vector<NodeId> targets;
  CsrView view() const { return {offsets, targets}; }
};

Csr MakeCsr(uint32_t n, const std::vector<std::pair<NodeId, NodeId>>& edges) {
  std::vector<std::set<NodeId>> adj(n);
  for (const auto& e : edges) {
    if (e.first == e.second) continue;
    adj[e.first].insert(e.second);
    adj[e.second].insert(e.first);
  }
  Csr c;
  c.n = n;
  c.offsets.push_back(0);
  for (uint32_t u = 0; u < n; ++u) {
    c.targets.insert(c.targets.end(), adj[u].begin(), adj[u].end());
    c.offsets.push_back(c.targets.size());
  }
  return c;
}

// n nodes, each pair linked with probability p; the last `isolated` nodes
// have no contacts.
Csr RandomCsr(uint32_t n, double p, uint32_t isolated, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::bernoulli_distribution coin(p);
  std::vector<std::pair<NodeId, NodeId>> edges;
  for (NodeId u = 0; u + isolated < n; ++u) {
    for (NodeId v = u + 1; v + isolated < n; ++v) {
      if (coin(rng)) edges.emplace_back(u, v);
    }
  }
  return MakeCsr(n, edges);
}

Csr Clique(uint32_t n) {
  std::vector<std::pair<NodeId, NodeId>> edges;
  for (NodeId u = 0; u < n; ++u) {
    for (NodeId v = u + 1; v < n; ++v) edges.emplace_back(u, v);
  }
  return MakeCsr(n, edges);
}

// Node 0 is the centre; node `leaves + 1` is isolated.
Csr StarWithIsolated(uint32_t leaves) {
  std::vector<std::pair<NodeId, NodeId>> edges;
  for (NodeId v = 1; v <= leaves; ++v) edges.emplace_back(0, v);
  return MakeCsr(leaves + 2, edges);
}

std::vector<std::vector<uint8_t>> Dense(const Csr& c) {
  std::vector<std::vector<uint8_t>> a(c.n, std::vector<uint8_t>(c.n, 0));
  for (NodeId u = 0; u < c.n; ++u) {
    for (NodeId v : c.view().neighbors(u)) a[u][v] = 1;
  }
  return a;
}

// PageRank by dense power iteration on the Google matrix, to 1e-12.
std::vector<double> DensePageRank(const Csr& c) {
  const auto a = Dense(c);
  const uint32_t n = c.n;
  std::vector<int> deg(n, 0);
  for (uint32_t u = 0; u < n; ++u) {
    for (uint32_t v = 0; v < n; ++v) deg[u] += a[u][v];
  }
  // g[v][u]: probability of stepping u -> v.
  std::vector<std::vector<double>> g(n, std::vector<double>(n));
  for (uint32_t u = 0; u < n; ++u) {
    for (uint32_t v = 0; v < n; ++v) {
      const double walk = deg[u] == 0 ? 1.0 / n : a[u][v] / double(deg[u]);
      g[v][u] = 0.85 * walk + 0.15 / n;
    }
  }
  std::vector<double> x(n, 1.0 / n), y(n);
  for (int it = 0; it < 100000; ++it) {
    double change = 0;
    for (uint32_t v = 0; v < n; ++v) {
      y[v] = 0;
      for (uint32_t u = 0; u < n; ++u) y[v] += g[v][u] * x[u];
      change += std::abs(y[v] - x[v]);
    }
    x.swap(y);
    if (change < 1e-12) break;
  }
  const double s = std::accumulate(x.begin(), x.end(), 0.0);
  for (double& v : x) v /= s;
  return x;
}

// Core numbers by definition: the k-core is what remains after repeatedly
// deleting nodes with fewer than k remaining neighbours.
std::vector<uint32_t> PeeledCores(const Csr& c) {
  const auto a = Dense(c);
  std::vector<uint32_t> core(c.n, 0);
  for (uint32_t k = 1; k <= c.n; ++k) {
    std::vector<uint8_t> alive(c.n, 1);
    bool changed = true;
    while (changed) {
      changed = false;
      for (uint32_t u = 0; u < c.n; ++u) {
        if (!alive[u]) continue;
        uint32_t d = 0;
        for (uint32_t v = 0; v < c.n; ++v) d += alive[v] && a[u][v];
        if (d < k) {
          alive[u] = 0;
          changed = true;
        }
      }
    }
    for (uint32_t u = 0; u < c.n; ++u) {
      if (alive[u]) core[u] = k;
    }
  }
  return core;
}

std::vector<uint64_t> TripleLoopTriangles(const Csr& c) {
  const auto a = Dense(c);
  std::vector<uint64_t> t(c.n, 0);
  for (uint32_t i = 0; i < c.n; ++i) {
    for (uint32_t j = i + 1; j < c.n; ++j) {
      if (!a[i][j]) continue;
      for (uint32_t k = j + 1; k < c.n; ++k) {
        if (a[i][k] && a[j][k]) {
          ++t[i];
          ++t[j];
          ++t[k];
        }
      }
    }
  }
  return t;
}

std::vector<uint32_t> BoostCores(const Csr& c) {
  using G = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS>;
  G g(c.n);
  for (NodeId u = 0; u < c.n; ++u) {
    for (NodeId v : c.view().neighbors(u)) {
      if (u < v) boost::add_edge(u, v, g);
    }
  }
  std::vector<uint32_t> core(c.n);
  boost::core_numbers(g, boost::make_iterator_property_map(
                             core.begin(), get(boost::vertex_index, g)));
  return core;
}

void CheckAgainstOracles(const Csr& c) {
  INFO("nodes " << c.n << ", arcs " << c.targets.size());
  const std::vector<double> pr = internal::PageRank(c.view(), 2);
  const std::vector<double> want_pr = DensePageRank(c);
  REQUIRE(pr.size() == c.n);
  for (uint32_t u = 0; u < c.n; ++u) {
    INFO("node " << u);
    CHECK(std::abs(pr[u] - want_pr[u]) < 1e-5);
  }
  CHECK(std::accumulate(pr.begin(), pr.end(), 0.0) == Approx(1.0));

  const std::vector<uint32_t> cores = internal::CoreNumbers(c.view());
  CHECK(cores == PeeledCores(c));
  // Boost's peeling on an undirected graph agrees (centrality.cc relies on
  // this when it explains why Boost is not used).
  CHECK(cores == BoostCores(c));

  const std::vector<uint64_t> tri = internal::Triangles(c.view(), 2);
  CHECK(tri == TripleLoopTriangles(c));
  const std::vector<float> cl = internal::Clustering(c.view(), 2);
  REQUIRE(cl.size() == c.n);
  for (uint32_t u = 0; u < c.n; ++u) {
    const double d = c.view().degree(u);
    const double want = d < 2 ? 0.0 : 2.0 * double(tri[u]) / (d * (d - 1));
    CHECK(cl[u] == static_cast<float>(want));
    CHECK(cl[u] >= 0);
    CHECK(cl[u] <= 1);
  }
}

TEST_CASE("Centrality matches brute-force oracles on small graphs",
          "[centrality]") {
  SECTION("random graphs with isolated nodes") {
    for (uint64_t seed = 1; seed <= 12; ++seed) {
      const uint32_t n = 5 + static_cast<uint32_t>(seed * 3);
      const double p = 0.05 + 0.06 * static_cast<double>(seed % 6);
      CheckAgainstOracles(
          RandomCsr(n, p, static_cast<uint32_t>(seed % 3), seed));
    }
  }
  SECTION("a clique") {
    const Csr c = Clique(7);
    CheckAgainstOracles(c);
    for (NodeId u = 0; u < c.n; ++u) {
      CHECK(internal::CoreNumbers(c.view())[u] == 6);
      CHECK(internal::Clustering(c.view(), 1)[u] == 1.0f);
    }
  }
  SECTION("a star and an isolated node") {
    const Csr c = StarWithIsolated(9);
    CheckAgainstOracles(c);
    const auto pr = internal::PageRank(c.view(), 1);
    CHECK(pr[0] > pr[1]);
    CHECK(pr[1] > pr[10]);  // the isolated node only gets teleports
  }
  SECTION("no arcs at all") { CheckAgainstOracles(RandomCsr(6, 0.5, 6, 3)); }
  SECTION("empty graph") {
    const Csr c = MakeCsr(0, {});
    CHECK(internal::PageRank(c.view(), 2).empty());
    CHECK(internal::CoreNumbers(c.view()).empty());
    CHECK(internal::Clustering(c.view(), 2).empty());
  }
}

TEST_CASE("Centrality is identical for 1, 2 and 7 threads", "[centrality]") {
  // Many chunks of nodes, skewed degrees and isolated nodes.
  const uint32_t n = 40'000;
  std::mt19937_64 rng(17);
  std::vector<std::pair<NodeId, NodeId>> edges;
  for (int i = 0; i < 200'000; ++i) {
    const double a = std::uniform_real_distribution<double>(0, 1)(rng);
    const NodeId u = static_cast<NodeId>(a * a * (n - 100));
    const NodeId v = static_cast<NodeId>(rng() % (n - 100));
    edges.emplace_back(u, v);
  }
  const Csr c = MakeCsr(n, edges);
  int it1 = 0;
  const auto pr1 = internal::PageRank(c.view(), 1, &it1);
  const auto tri1 = internal::Triangles(c.view(), 1);
  CHECK(it1 > 1);
  CHECK(it1 < internal::kPagerankMaxIterations);
  CHECK(std::accumulate(tri1.begin(), tri1.end(), uint64_t{0}) > 0);
  for (int threads : {2, 7}) {
    INFO("threads " << threads);
    int it = 0;
    CHECK(internal::PageRank(c.view(), threads, &it) == pr1);
    CHECK(it == it1);
    CHECK(internal::Triangles(c.view(), threads) == tri1);
  }

  // The same through the builder: every column equal.
  const auto events = testing::MakeRandomEvents(
      {.num_users = 400, .num_friendships = 1500, .seed = 5});
  std::vector<SocialGraph> graphs;
  for (int threads : {1, 2, 7}) {
    GraphConfig config;
    config.num_threads = threads;
    GraphBuilder b(config);
    testing::RequireOk(testing::AddAll(events, b));
    graphs.push_back(Unwrap(b.Build(testing::AsOf(kAsOf))));
  }
  for (const SocialGraph& g : graphs) {
    REQUIRE(g.has_centrality());
    CHECK(std::vector<float>(g.pageranks().begin(), g.pageranks().end()) ==
          std::vector<float>(graphs[0].pageranks().begin(),
                             graphs[0].pageranks().end()));
    CHECK(std::vector<uint32_t>(g.core_numbers().begin(),
                                g.core_numbers().end()) ==
          std::vector<uint32_t>(graphs[0].core_numbers().begin(),
                                graphs[0].core_numbers().end()));
    CHECK(std::vector<float>(g.clusterings().begin(), g.clusterings().end()) ==
          std::vector<float>(graphs[0].clusterings().begin(),
                             graphs[0].clusterings().end()));
  }
}

// The graph's undirected arcs and every user, in id order.
struct ArcSet {
  std::vector<UserId> src, dst, users;
};

ArcSet ArcsOf(const SocialGraph& g) {
  ArcSet a;
  for (NodeId u = 0; u < g.num_nodes(); ++u) {
    a.users.push_back(g.user_id(u));
    for (NodeId v : g.neighbors(u)) {
      if (u < v) {
        a.src.push_back(g.user_id(u));
        a.dst.push_back(g.user_id(v));
      }
    }
  }
  return a;
}

// A fresh build from only the arcs of `g` (friendships) plus one purchase per
// user, so that users without contacts exist too.
SocialGraph FreshBuild(const SocialGraph& g) {
  const ArcSet a = ArcsOf(g);
  GraphBuilder b;
  testing::RequireOk(b.AddFriendships({.src = a.src, .dst = a.dst}));
  const std::vector<ItemId> items(a.users.size(), 1);
  const std::vector<Timestamp> ts(a.users.size(), kAsOf - 100);
  testing::RequireOk(
      b.AddPurchases({.user = a.users, .item = items, .ts = ts}));
  return Unwrap(b.Build(testing::AsOf(kAsOf)));
}

// Centrality of `g` equals that of a fresh build on the same arcs, user by
// user (node numbering may differ, so PageRank sums run in another order).
void CheckSameAsFresh(const SocialGraph& g) {
  REQUIRE(g.has_centrality());
  const SocialGraph fresh = FreshBuild(g);
  REQUIRE(fresh.num_nodes() == g.num_nodes());
  REQUIRE(fresh.num_arcs() == g.num_arcs());
  for (NodeId u = 0; u < g.num_nodes(); ++u) {
    const NodeId f = *fresh.FindNode(g.user_id(u));
    INFO("user " << g.user_id(u));
    CHECK(g.pagerank(u) == Approx(fresh.pagerank(f)).epsilon(1e-5));
    CHECK(g.core_number(u) == fresh.core_number(f));
    CHECK(g.clustering(u) == fresh.clustering(f));
  }
}

TEST_CASE(
    "Builds fill the centrality columns and centrality=false leaves them "
    "empty",
    "[centrality]") {
  const auto events = testing::MakeRandomEvents({.seed = 11});
  const SocialGraph g = Unwrap(testing::BuildGraph(events));
  REQUIRE(g.has_centrality());
  const int64_t n = g.num_nodes();
  CHECK(static_cast<int64_t>(g.pageranks().size()) == n);
  CHECK(static_cast<int64_t>(g.core_numbers().size()) == n);
  CHECK(static_cast<int64_t>(g.clusterings().size()) == n);
  const CsrView view = internal::ViewOf(g.data());
  const auto pr = internal::PageRank(view, 1);
  const auto cores = internal::CoreNumbers(view);
  const auto cl = internal::Clustering(view, 1);
  double sum = 0;
  for (NodeId u = 0; u < n; ++u) {
    CHECK(g.pagerank(u) == static_cast<float>(pr[u]));
    CHECK(g.core_number(u) == cores[u]);
    CHECK(g.clustering(u) == cl[u]);
    CHECK(g.core_number(u) <= g.degree(u));
    sum += g.pagerank(u);
  }
  CHECK(sum == Approx(1.0).epsilon(1e-5));
  const GraphStats st = g.stats();
  CHECK(st.centrality_seconds > 0);
  CHECK(st.centrality_seconds <= st.build_seconds);
  CheckSameAsFresh(g);

  GraphBuilder b;
  testing::RequireOk(testing::AddAll(events, b));
  BuildOptions options = testing::AsOf(kAsOf);
  options.centrality = false;
  const SocialGraph none = Unwrap(b.Build(options));
  CHECK_FALSE(none.has_centrality());
  CHECK(none.pageranks().empty());
  CHECK(none.core_numbers().empty());
  CHECK(none.clusterings().empty());
  CHECK(none.pagerank(0) == 0.0f);
  CHECK(none.core_number(0) == 0u);
  CHECK(none.clustering(0) == 0.0f);
  CHECK(none.stats().centrality_seconds == 0);
  CHECK(none.stats().total_bytes < st.total_bytes);
}

TEST_CASE("The influence features equal the graph's centrality",
          "[centrality][features]") {
  const auto events = testing::MakeRandomEvents({.seed = 3});
  for (bool centrality : {true, false}) {
    GraphBuilder b;
    testing::RequireOk(testing::AddAll(events, b));
    BuildOptions options = testing::AsOf(kAsOf);
    options.centrality = centrality;
    const SocialGraph g = Unwrap(b.Build(options));
    const Recommender rec = Unwrap(Recommender::Create(g));
    int rows = 0;
    for (NodeId inviter = 0; inviter < g.num_nodes(); inviter += 7) {
      const FeatureMatrix x =
          Unwrap(rec.Features(g.user_id(inviter), Campaign{}));
      for (int64_t r = 0; r < x.rows(); ++r, ++rows) {
        const NodeId v = *g.FindNode(x.candidates[r]);
        const float pr = centrality ? g.pagerank(v) * g.num_nodes() : 0.0f;
        CHECK(x.values(r, kCandidatePagerank) == pr);
        CHECK(x.values(r, kCandidateCoreNumber) ==
              (centrality ? static_cast<float>(g.core_number(v)) : 0.0f));
        CHECK(x.values(r, kCandidateClustering) ==
              (centrality ? g.clustering(v) : 0.0f));
      }
    }
    CHECK(rows > 20);
  }
}

TEST_CASE("Snapshots keep the centrality columns and validate them",
          "[centrality][snapshot]") {
  const SocialGraph g =
      Unwrap(testing::BuildGraph(testing::MakeRandomEvents({.seed = 4})));
  REQUIRE(g.has_centrality());
  const SocialGraph back = Unwrap(SocialGraph::FromBytes(Unwrap(g.ToBytes())));
  REQUIRE(back.has_centrality());
  for (NodeId u = 0; u < g.num_nodes(); ++u) {
    CHECK(back.pagerank(u) == g.pagerank(u));
    CHECK(back.core_number(u) == g.core_number(u));
    CHECK(back.clustering(u) == g.clustering(u));
  }
  CHECK(back.stats().centrality_seconds == g.stats().centrality_seconds);

  // Without centrality: no sections, nothing after the load.
  GraphBuilder b;
  testing::RequireOk(
      testing::AddAll(testing::MakeRandomEvents({.seed = 4}), b));
  BuildOptions options = testing::AsOf(kAsOf);
  options.centrality = false;
  const SocialGraph none = Unwrap(b.Build(options));
  const std::string none_bytes = Unwrap(none.ToBytes());
  CHECK(none_bytes.find("PRNK") == std::string::npos);
  CHECK(Unwrap(g.ToBytes()).find("PRNK") != std::string::npos);
  CHECK_FALSE(Unwrap(SocialGraph::FromBytes(none_bytes)).has_centrality());

  // Damaged values are refused, naming the section.
  const auto with = [&](auto change) {
    auto d = std::make_shared<internal::GraphData>(g.data());
    change(*d);
    return SocialGraph::FromBytes(Unwrap(SocialGraph(std::move(d)).ToBytes()))
        .status();
  };
  CheckError(with([](internal::GraphData& d) { d.pagerank[1] = -0.5f; }),
             absl::StatusCode::kDataLoss, {"PRNK[1]=-0.5"});
  CheckError(with([](internal::GraphData& d) { d.pagerank[2] = NAN; }),
             absl::StatusCode::kDataLoss, {"PRNK[2]=nan"});
  CheckError(with([](internal::GraphData& d) { d.clustering[3] = 1.5f; }),
             absl::StatusCode::kDataLoss, {"CLUS[3]=1.5"});
  CheckError(
      with([](internal::GraphData& d) { d.core_number[0] = d.degree(0) + 1; }),
      absl::StatusCode::kDataLoss, {"KCOR", "user #0"});
  CHECK(with([](internal::GraphData& d) { d.clustering.pop_back(); }).code() ==
        absl::StatusCode::kDataLoss);
}

TEST_CASE("Update and Forget recompute centrality on the new graph",
          "[centrality][update][forget]") {
  const auto events = testing::MakeRandomEvents({.seed = 8});
  const SocialGraph g = Unwrap(testing::BuildGraph(events));
  // New friendships, among old users and with new ones.
  const std::vector<UserId> src = {testing::RandomUserId(1),
                                   testing::RandomUserId(2), 900'001, 900'002};
  const std::vector<UserId> dst = {testing::RandomUserId(40), 900'001, 900'002,
                                   testing::RandomUserId(3)};
  GraphBuilder more(g.config());
  testing::RequireOk(more.AddFriendships({.src = src, .dst = dst}));
  const SocialGraph updated = Unwrap(g.Update(more));
  CHECK(updated.num_nodes() == g.num_nodes() + 2);
  CheckSameAsFresh(updated);

  UpdateOptions no_centrality;
  no_centrality.centrality = false;
  CHECK_FALSE(Unwrap(g.Update(more, no_centrality)).has_centrality());

  // Forget a hub and two others.
  const std::vector<UserId> gone = {testing::RandomUserId(0),
                                    testing::RandomUserId(5),
                                    testing::RandomUserId(9)};
  const SocialGraph forgot = Unwrap(g.Forget(gone));
  CHECK(forgot.num_nodes() == g.num_nodes() - 3);
  CheckSameAsFresh(forgot);
  bool changed = false;
  for (NodeId u = 0; u < forgot.num_nodes(); ++u) {
    changed |=
        forgot.core_number(u) != g.core_number(*g.FindNode(forgot.user_id(u)));
  }
  CHECK(changed);

  ForgetOptions keep_none;
  keep_none.centrality = false;
  CHECK_FALSE(Unwrap(g.Forget(gone, keep_none)).has_centrality());
  // A graph without centrality stays without.
  const SocialGraph bare = Unwrap(g.Update(more, no_centrality));
  CHECK_FALSE(Unwrap(bare.Forget(gone)).has_centrality());
}

}  // namespace
}  // namespace invitegraph
