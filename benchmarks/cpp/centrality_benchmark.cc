// Extra build time of the influence measures (PageRank, k-core numbers,
// local clustering) on a synthetic world.
//
//   centrality_benchmark [n_users=1000000] [repeats=3] [seed=42]
//
// Builds the same world `repeats` times with and without
// BuildOptions::centrality (communities off in both, so only the difference
// under test varies) on all threads, and prints medians: build seconds each
// way, centrality_seconds and the wall time of each step (the k-core peeling
// overlaps PageRank when there is more than one thread).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "invitegraph/graph_builder.h"
#include "invitegraph/status.h"
#include "invitegraph/synth.h"

namespace ig = invitegraph;

namespace {

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

absl::StatusOr<ig::SocialGraph> Build(const ig::synth::World& w,
                                      bool centrality) {
  ig::GraphBuilder b;
  INVITEGRAPH_RETURN_IF_ERROR(b.AddFriendships(w.friendships()));
  INVITEGRAPH_RETURN_IF_ERROR(b.AddInteractions(w.interactions()));
  INVITEGRAPH_RETURN_IF_ERROR(b.AddPurchases(w.purchases()));
  INVITEGRAPH_RETURN_IF_ERROR(b.AddCampaigns(w.campaigns()));
  ig::BuildOptions options;
  options.communities = false;
  options.centrality = centrality;
  return b.Build(options);
}

int Run(int64_t n_users, int repeats, uint64_t seed) {
  ig::synth::Options options;
  options.n_users = n_users;
  options.seed = seed;
  auto world = ig::synth::Generate(options);
  if (!world.ok()) {
    std::fprintf(stderr, "%s\n", world.status().ToString().c_str());
    return 1;
  }
  std::vector<double> without, with, total, pagerank, core, clustering;
  int64_t arcs = 0, nodes = 0;
  for (int r = 0; r < repeats; ++r) {
    for (bool centrality : {false, true}) {
      auto g = Build(*world, centrality);
      if (!g.ok()) {
        std::fprintf(stderr, "%s\n", g.status().ToString().c_str());
        return 1;
      }
      const ig::GraphStats st = g->stats();
      (centrality ? with : without).push_back(st.build_seconds);
      if (centrality) {
        total.push_back(st.centrality_seconds);
        pagerank.push_back(st.pagerank_seconds);
        core.push_back(st.core_seconds);
        clustering.push_back(st.clustering_seconds);
      }
      arcs = st.num_arcs;
      nodes = st.num_nodes;
    }
  }
  std::printf(
      "invitegraph centrality benchmark: %lld users, %lld directed arcs "
      "(mean degree %.1f), seed %llu, median of %d builds, %u hardware "
      "threads\n",
      static_cast<long long>(nodes), static_cast<long long>(arcs),
      double(arcs) / double(nodes), static_cast<unsigned long long>(seed),
      repeats, std::max(1u, std::thread::hardware_concurrency()));
  std::printf("%-44s %10.2f\n", "build without centrality (s)",
              Median(without));
  std::printf("%-44s %10.2f\n", "build with centrality (s)", Median(with));
  std::printf("%-44s %10.2f\n", "  centrality_seconds", Median(total));
  std::printf("%-44s %10.2f\n", "    PageRank (s)", Median(pagerank));
  std::printf("%-44s %10.2f\n", "    k-core numbers (s, overlaps PageRank)",
              Median(core));
  std::printf("%-44s %10.2f\n", "    clustering / triangles (s)",
              Median(clustering));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t n = argc > 1 ? std::atoll(argv[1]) : 1'000'000;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 3;
  const uint64_t seed = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 42;
  return Run(n, std::max(1, repeats), seed);
}
