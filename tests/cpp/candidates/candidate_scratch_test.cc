// CandidateScratch reused across many requests gives what a fresh one does,
// with packed slots, packed slots that run out of epochs every few requests,
// and 8-byte slots.
#include <catch2/catch.hpp>
#include <vector>

#include "candidates/candidate_finder.h"
#include "testing/fixtures.h"

namespace invitegraph {
namespace {

using internal::CandidateScratch;

bool Same(const std::vector<CandidateScratch::Candidate>& a,
          const std::vector<CandidateScratch::Candidate>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].node != b[i].node || a[i].one_hop != b[i].one_hop ||
        a[i].arc != b[i].arc || a[i].reverse_arc != b[i].reverse_arc ||
        a[i].common_neighbors != b[i].common_neighbors ||
        a[i].adamic_adar != b[i].adamic_adar) {
      return false;
    }
  }
  return true;
}

TEST_CASE("a reused CandidateScratch equals a fresh one in every slot layout",
          "[candidates]") {
  const SocialGraph g = testing::Unwrap(
      testing::BuildGraph(testing::MakeRandomEvents({.num_users = 200,
                                                     .num_friendships = 900,
                                                     .num_interactions = 1500,
                                                     .seed = 9})));
  const auto n = static_cast<uint32_t>(g.num_nodes());
  const CandidateOptions options{.max_two_hop = 15, .hub_degree_cap = 12};
  // Default; 29 index bits (three bits of epoch: a reset every 7 requests);
  // 8-byte slots.
  for (uint32_t bits : {0u, 29u, 32u}) {
    CAPTURE(bits);
    CandidateScratch reused(n, bits);
    std::vector<CandidateScratch::Candidate> got, want;
    int bad = 0, with_hubs = 0;
    for (int round = 0; round < 3; ++round) {
      for (NodeId u = 0; u < n; ++u) {
        CandidateScratch fresh(n);
        fresh.Find(g.data(), u, options, &want);
        reused.Find(g.data(), u, options, &got);
        bad += !Same(got, want);
        with_hubs += !reused.hubs().empty();
      }
    }
    CHECK(bad == 0);
    CHECK(with_hubs > 0);  // the hub add-back is exercised
  }
}

TEST_CASE("contacts carry their arc back, found or passed", "[candidates]") {
  const SocialGraph g = testing::Unwrap(testing::BuildGraph(
      testing::MakeRandomEvents({.num_users = 120, .seed = 4})));
  const auto& d = g.data();
  CandidateScratch s(static_cast<uint32_t>(g.num_nodes()));
  std::vector<CandidateScratch::Candidate> found;
  int checked = 0;
  for (NodeId u = 0; u < g.num_nodes(); ++u) {
    s.Find(d, u, {.hub_degree_cap = 5}, &found);
    for (const auto& c : found) {
      if (!c.one_hop) {
        CHECK(c.reverse_arc == -1);
        continue;
      }
      CHECK(internal::ReverseArc(d, u, c) == d.FindArc(c.node, u));
      ++checked;
    }
  }
  CHECK(checked > 100);
}

}  // namespace
}  // namespace invitegraph
