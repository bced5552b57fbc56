// TopAdamicAdar against a brute force over every pair of users.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "invitegraph/candidates.h"
#include "testing/fixtures.h"

namespace invitegraph {
namespace {

using testing::BuildGraph;
using testing::MakeRandomEvents;
using testing::Unwrap;

// Every distance-2 pair of `u`, scored by the definition in candidates.h with
// set intersections, sorted best first (ties by external id).
std::vector<ScoredCandidate> BruteForce(const SocialGraph& g, NodeId u) {
  std::vector<ScoredCandidate> all;
  const auto nu = g.neighbors(u);
  const std::set<NodeId> contacts(nu.begin(), nu.end());
  for (NodeId v = 0; v < g.num_nodes(); ++v) {
    if (v == u || contacts.count(v)) continue;
    const auto nv = g.neighbors(v);
    double score = 0;
    bool common = false;
    for (NodeId z : nv) {
      if (!contacts.count(z)) continue;
      common = true;
      score += 1.0 / std::log(static_cast<double>(g.degree(z)));
    }
    if (common) all.push_back({v, score});
  }
  std::sort(all.begin(), all.end(),
            [&](const ScoredCandidate& a, const ScoredCandidate& b) {
              if (std::abs(a.score - b.score) > 1e-9) return a.score > b.score;
              return g.user_id(a.candidate) < g.user_id(b.candidate);
            });
  return all;
}

TEST_CASE("TopAdamicAdar matches a brute force on random graphs",
          "[candidates][adamic_adar]") {
  for (uint64_t seed : {1, 2, 3, 4, 5}) {
    const SocialGraph g = Unwrap(BuildGraph(MakeRandomEvents(
        {.num_users = 40 + 10 * static_cast<int>(seed), .seed = seed})));
    std::vector<NodeId> inviters;
    for (NodeId u = 0; u < g.num_nodes(); ++u) inviters.push_back(u);
    for (int k : {1, 5, 1000}) {
      const auto top = Unwrap(TopAdamicAdar(g, inviters, k));
      REQUIRE(top.size() == inviters.size());
      for (NodeId u : inviters) {
        const std::vector<ScoredCandidate> want = BruteForce(g, u);
        const auto& got = top[u];
        INFO("seed " << seed << " k " << k << " inviter " << u);
        REQUIRE(got.size() == std::min<size_t>(k, want.size()));
        // Equal scores summed from different contacts may round apart, so
        // candidates are checked by score rather than by position.
        std::map<NodeId, double> score_of;
        for (const ScoredCandidate& c : want) score_of[c.candidate] = c.score;
        std::set<NodeId> seen;
        for (size_t i = 0; i < got.size(); ++i) {
          CHECK(got[i].score == Approx(want[i].score).epsilon(1e-12));
          REQUIRE(score_of.count(got[i].candidate));
          CHECK(score_of[got[i].candidate] ==
                Approx(got[i].score).epsilon(1e-12));
          CHECK(seen.insert(got[i].candidate).second);
        }
      }
    }
  }
}

TEST_CASE("TopAdamicAdar is the same for every thread count",
          "[candidates][adamic_adar]") {
  const SocialGraph g =
      Unwrap(BuildGraph(MakeRandomEvents({.num_users = 300,
                                          .num_friendships = 900,
                                          .num_interactions = 1500,
                                          .seed = 9})));
  std::vector<NodeId> inviters;
  for (NodeId u = 0; u < g.num_nodes(); u += 2) inviters.push_back(u);
  inviters.push_back(inviters.front());  // repeats are answered again
  const auto one = Unwrap(TopAdamicAdar(g, inviters, 20, {.num_threads = 1}));
  for (int threads : {2, 3, 8}) {
    const auto many =
        Unwrap(TopAdamicAdar(g, inviters, 20, {.num_threads = threads}));
    REQUIRE(many.size() == one.size());
    for (size_t i = 0; i < one.size(); ++i) {
      REQUIRE(many[i].size() == one[i].size());
      for (size_t j = 0; j < one[i].size(); ++j) {
        CHECK(many[i][j].candidate == one[i][j].candidate);
        CHECK(many[i][j].score == one[i][j].score);
      }
    }
  }
  CHECK(one.back().size() == one.front().size());
}

TEST_CASE("TopAdamicAdar errors and edge cases", "[candidates][adamic_adar]") {
  const SocialGraph g = Unwrap(BuildGraph(MakeRandomEvents({.seed = 4})));
  const std::vector<NodeId> one = {0};
  CHECK(TopAdamicAdar(g, one, -1).status().code() ==
        absl::StatusCode::kInvalidArgument);
  const std::vector<NodeId> bad = {0, static_cast<NodeId>(g.num_nodes())};
  const auto s = TopAdamicAdar(g, bad, 3).status();
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(s.message()).find("inviters[1]") != std::string::npos);
  const auto zero = Unwrap(TopAdamicAdar(g, one, 0));
  REQUIRE(zero.size() == 1);
  CHECK(zero[0].empty());
  CHECK(Unwrap(TopAdamicAdar(g, {}, 5)).empty());
}

}  // namespace
}  // namespace invitegraph
