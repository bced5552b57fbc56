// Generates a synthetic world (synth.h), builds its graph and saves the
// snapshot the server (server.cc) loads.
//
//   ./build/examples/make_snapshot --users 50000 --seed 1 --out world.snap
//
// Prints one line of JSON: users, arcs, bytes, and the seconds each step
// took. User ids are 0 .. users-1.
#include <chrono>
#include <cstdio>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "invitegraph/status.h"
#include "invitegraph/synth.h"
#include "nlohmann/json.hpp"
#include "world_graph.h"  // benchmarks/cpp: every table of a World in a graph

namespace ig = invitegraph;

namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

absl::Status Run(int64_t users, uint64_t seed, const std::string& out) {
  nlohmann::json report = {{"users_requested", users}, {"seed", seed}};
  Clock::time_point t = Clock::now();
  absl::StatusOr<ig::SocialGraph> graph;
  {
    // The world is dropped before saving: at 1 M users it outweighs the graph.
    INVITEGRAPH_ASSIGN_OR_RETURN(
        ig::synth::World world,
        ig::synth::Generate({.n_users = users, .seed = seed}));
    report["generate_seconds"] = SecondsSince(t);
    t = Clock::now();
    graph = ig::bench::BuildWorldGraph(world);
    INVITEGRAPH_RETURN_IF_ERROR(graph.status());
    report["build_seconds"] = SecondsSince(t);
  }
  t = Clock::now();
  INVITEGRAPH_ASSIGN_OR_RETURN(int64_t bytes, graph->Save(out));
  report["save_seconds"] = SecondsSince(t);
  report["users"] = graph->num_nodes();
  report["arcs"] = graph->num_arcs();
  report["bytes"] = bytes;
  report["bytes_per_arc"] =
      graph->num_arcs() > 0 ? double(bytes) / double(graph->num_arcs()) : 0.0;
  report["out"] = out;
  std::printf("%s\n", report.dump().c_str());
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  int64_t users = 50'000;
  uint64_t seed = 1;
  std::string out;
  bool ok = argc % 2 == 1;
  for (int i = 1; ok && i + 1 < argc; i += 2) {
    const std::string name = argv[i], value = argv[i + 1];
    if (name == "--users") {
      ok = absl::SimpleAtoi(value, &users);
    } else if (name == "--seed") {
      ok = absl::SimpleAtoi(value, &seed);
    } else if (name == "--out") {
      out = value;
    } else {
      ok = false;
    }
  }
  if (!ok || out.empty()) {
    std::fprintf(stderr, "usage: %s --out FILE [--users N] [--seed S]\n",
                 argv[0]);
    return 2;
  }
  if (absl::Status s = Run(users, seed, out); !s.ok()) {
    std::fprintf(stderr, "error: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
