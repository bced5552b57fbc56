// Influence features: PageRank, k-core number and local clustering of every
// user, computed once per build, and the ranking features built on them.
//
//   cmake -B build -DINVITEGRAPH_BUILD_EXAMPLES=ON && cmake --build build
//   ./build/examples/12_centrality
#include <cstdio>
#include <vector>

#include "invitegraph/features.h"
#include "invitegraph/graph_builder.h"
#include "invitegraph/recommender.h"
#include "invitegraph/status.h"

namespace ig = invitegraph;

absl::Status Run() {
  // A close-knit circle {1, 2, 3, 4} (every pair are friends), a bridge 4-5
  // and a star around 5 (leaves 6, 7, 8).
  const std::vector<ig::UserId> src = {1, 1, 1, 2, 2, 3, 4, 5, 5, 5};
  const std::vector<ig::UserId> dst = {2, 3, 4, 3, 4, 4, 5, 6, 7, 8};
  ig::GraphBuilder builder;
  INVITEGRAPH_RETURN_IF_ERROR(builder.AddFriendships({.src = src, .dst = dst}));
  // BuildOptions::centrality is on by default (false skips the step).
  INVITEGRAPH_ASSIGN_OR_RETURN(ig::SocialGraph g, builder.Build());
  if (!g.has_centrality()) return absl::InternalError("no centrality");

  std::printf("user  pagerank  core  clustering\n");
  for (ig::NodeId u = 0; u < g.num_nodes(); ++u) {
    std::printf("%4lld  %8.4f  %4u  %10.3f\n",
                static_cast<long long>(g.user_id(u)), g.pagerank(u),
                g.core_number(u), g.clustering(u));
  }
  std::printf("centrality took %.6f s of the %.6f s build\n",
              g.stats().centrality_seconds, g.stats().build_seconds);

  // The same values reach the rankers as features (PageRank scaled by the
  // number of users, so 1 is average).
  INVITEGRAPH_ASSIGN_OR_RETURN(ig::Recommender rec, ig::Recommender::Create(g));
  INVITEGRAPH_ASSIGN_OR_RETURN(ig::FeatureMatrix x,
                               rec.Features(/*inviter=*/4, ig::Campaign{}));
  std::printf(
      "candidates of user 4: candidate, pagerank x n, core, clustering\n");
  for (int64_t r = 0; r < x.rows(); ++r) {
    std::printf("  %lld  %.3f  %.0f  %.3f\n",
                static_cast<long long>(x.candidates[r]),
                x.values(r, ig::kCandidatePagerank),
                x.values(r, ig::kCandidateCoreNumber),
                x.values(r, ig::kCandidateClustering));
  }
  ig::NodeId top = 0;
  for (ig::NodeId u = 1; u < g.num_nodes(); ++u) {
    if (g.pagerank(u) > g.pagerank(top)) top = u;
  }
  std::printf("most central user (PageRank): %lld\n",
              static_cast<long long>(g.user_id(top)));
  return absl::OkStatus();
}

int main() {
  const absl::Status s = Run();
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
