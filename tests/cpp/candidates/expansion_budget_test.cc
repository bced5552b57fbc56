// CandidateOptions::expansion_budget against a brute force: which contacts are
// expanded (strongest tie first, while the total fits), which friends of
// friends are kept, and exact common-neighbour counts and Adamic-Adar scores
// on every row whatever was expanded.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <set>
#include <vector>

#include "candidates/candidate_finder.h"
#include "testing/fixtures.h"

namespace invitegraph {
namespace {

using internal::CandidateScratch;

struct Want {
  std::vector<NodeId> nodes;  // contacts, then kept 2-hop, ascending each
  std::vector<uint32_t> common;
  std::vector<float> adamic_adar;
};

// Brute force from the graph's rows: the same rules, written plainly.
Want BruteForce(const SocialGraph& g, NodeId u, const CandidateOptions& o,
                size_t* deferred) {
  const auto& d = g.data();
  const auto contacts = g.neighbors(u);
  // Contacts to expand: not hubs, by tie strength desc then position, while
  // the running total of their degrees fits the budget.
  std::vector<size_t> order;
  size_t total = 0;
  for (size_t i = 0; i < contacts.size(); ++i) {
    const size_t dz = g.neighbors(contacts[i]).size();
    if (dz <= static_cast<size_t>(o.hub_degree_cap) && dz > 0) {
      order.push_back(i);
      total += dz;
    }
  }
  std::set<NodeId> expanded;
  *deferred = 0;
  if (o.expansion_budget > 0 &&
      total > static_cast<size_t>(o.expansion_budget)) {
    const uint64_t first = d.offsets[u];
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return d.arcs[first + a].tie_q > d.arcs[first + b].tie_q;
    });
    size_t used = 0;
    for (size_t i : order) {
      const size_t dz = g.neighbors(contacts[i]).size();
      if (used + dz <= static_cast<size_t>(o.expansion_budget)) {
        used += dz;
        expanded.insert(contacts[i]);
      } else {
        ++*deferred;
      }
    }
  } else {
    for (size_t i : order) expanded.insert(contacts[i]);
  }
  const std::set<NodeId> contact_set(contacts.begin(), contacts.end());
  // Friends of friends through expanded contacts, scored by the expanded
  // contacts' Adamic-Adar weights, in contact order.
  std::vector<std::pair<float, NodeId>> two_hop;
  std::set<NodeId> reached;
  for (NodeId z : expanded)
    for (NodeId v : g.neighbors(z))
      if (v != u && !contact_set.count(v)) reached.insert(v);
  for (NodeId v : reached) {
    float aa = 0;
    for (NodeId z : contacts) {
      const auto nz = g.neighbors(z);
      if (expanded.count(z) && std::binary_search(nz.begin(), nz.end(), v))
        aa += internal::AdamicAdarWeight(static_cast<uint32_t>(nz.size()));
    }
    two_hop.push_back({aa, v});
  }
  std::sort(two_hop.begin(), two_hop.end(), [](auto a, auto b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  if (two_hop.size() > static_cast<size_t>(o.max_two_hop))
    two_hop.resize(o.max_two_hop);
  Want w;
  w.nodes.assign(contacts.begin(), contacts.end());
  std::vector<NodeId> kept;
  for (auto [aa, v] : two_hop) kept.push_back(v);
  std::sort(kept.begin(), kept.end());
  w.nodes.insert(w.nodes.end(), kept.begin(), kept.end());
  for (NodeId v : w.nodes) {
    const auto nv = g.neighbors(v);
    uint32_t cn = 0;
    for (NodeId z : contacts)
      if (z != v && std::binary_search(nv.begin(), nv.end(), z)) ++cn;
    w.common.push_back(cn);
  }
  return w;
}

TEST_CASE("the expansion budget keeps the strongest ties and exact counts",
          "[candidates]") {
  const SocialGraph g = testing::Unwrap(
      testing::BuildGraph(testing::MakeRandomEvents({.num_users = 150,
                                                     .num_friendships = 1500,
                                                     .num_interactions = 3000,
                                                     .seed = 21})));
  const auto n = static_cast<uint32_t>(g.num_nodes());
  CandidateScratch s(n);
  std::vector<CandidateScratch::Candidate> got;
  int budgeted = 0, compared = 0;
  for (int budget : {0, 40, 150}) {
    for (int cap : {1000, 25}) {
      const CandidateOptions o{
          .max_two_hop = 12, .hub_degree_cap = cap, .expansion_budget = budget};
      for (NodeId u = 0; u < n; ++u) {
        CAPTURE(budget, cap, u);
        size_t deferred = 0;
        const Want want = BruteForce(g, u, o, &deferred);
        s.Find(g.data(), u, o, &got);
        CHECK(s.deferred() == deferred);
        budgeted += deferred > 0;
        REQUIRE(got.size() == want.nodes.size());
        for (size_t r = 0; r < got.size(); ++r) {
          CHECK(got[r].node == want.nodes[r]);
          CHECK(got[r].common_neighbors == want.common[r]);
        }
        // Adamic-Adar: the same sum up to float rounding in another order.
        for (const auto& c : got) {
          const auto nv = g.neighbors(c.node);
          double aa = 0;
          for (NodeId z : g.neighbors(u)) {
            if (z != c.node && std::binary_search(nv.begin(), nv.end(), z))
              aa += 1.0 / std::log(static_cast<double>(g.neighbors(z).size()));
          }
          CHECK(c.adamic_adar == Approx(aa).epsilon(1e-5));
        }
        ++compared;
      }
    }
  }
  CHECK(budgeted > 100);  // the budget bit for many inviters
  CHECK(compared == 6 * static_cast<int>(n));
}

TEST_CASE("expansion_budget is validated", "[candidates]") {
  CHECK(CandidateOptions{.expansion_budget = -1}.Validate().message() ==
        "CandidateOptions.expansion_budget=-1: must be >= 0");
}

}  // namespace
}  // namespace invitegraph
