// Per-request costs on one synthetic world, with Google Benchmark:
//
//   micro_benchmark [--users=100000] [--avg_friends=25]
//                   [--interactions_per_friend=2] [--seed=42]
//                   [--requests=20000] [--cascade_size=N]
//                   [--expansion_budget=N]
//                   [--benchmark_format=json ...]
//
// BM_TwoHopFloor is the bare 2-hop loop (count the distinct friends of friends
// of one inviter, nothing else): the floor under any candidate generation.
// BM_Recommend is a full Recommend (candidates, cascade, features, linear
// model, policy, reasons), k = 20. Both time each request and report p50/p99
// in microseconds as counters. BM_RecommendBatch is RecommendBatch
// throughput. Requests go to uniformly random users with campaign items, like
// core_benchmark. BM_RecommendCampaign serves the world's campaign starters
// instead (the generator draws them by activity, so they are the
// well-connected users), and BM_TwoHopFloorCampaign is their floor. The world
// and the graph (all tables, with communities) are built once, before any
// benchmark; their sizes are in the context block.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "invitegraph/graph_builder.h"
#include "invitegraph/recommender.h"
#include "invitegraph/status.h"
#include "invitegraph/synth.h"
#include "world_graph.h"

namespace ig = invitegraph;

namespace {

// One stream of requests: inviters with their nodes and campaign items.
struct Requests {
  std::vector<ig::UserId> inviters;
  std::vector<ig::NodeId> inviter_nodes;
  std::vector<ig::ItemId> items;
};

struct Setup {
  std::optional<ig::SocialGraph> graph;
  std::optional<ig::Recommender> rec;
  Requests random;    // uniformly random users
  Requests campaign;  // the world's campaign starters
};

Setup* g_setup = nullptr;

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))];
}

// Runs `request(i)` once per iteration over n requests in turn, timing each.
template <typename Fn>
void TimeRequests(benchmark::State& state, size_t n, Fn request) {
  std::vector<double> micros;
  size_t i = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    request(i);
    micros.push_back(std::chrono::duration<double, std::micro>(
                         std::chrono::steady_clock::now() - t0)
                         .count());
    if (++i == n) i = 0;
  }
  state.counters["p50_us"] = Percentile(micros, 0.5);
  state.counters["p99_us"] = Percentile(micros, 0.99);
  state.counters["inviters_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// The bare 2-hop loop over the inviters of `r`.
void TwoHopFloor(benchmark::State& state, const Requests& r) {
  const ig::SocialGraph& g = *g_setup->graph;
  std::vector<uint32_t> stamp(static_cast<size_t>(g.num_nodes()), 0);
  uint32_t epoch = 0;
  int64_t total = 0;
  TimeRequests(state, r.inviters.size(), [&](size_t i) {
    const ig::NodeId u = r.inviter_nodes[i];
    ++epoch;
    stamp[u] = epoch;
    int64_t count = 0;
    for (ig::NodeId z : g.neighbors(u)) {
      for (ig::NodeId v : g.neighbors(z)) {
        if (stamp[v] != epoch) {
          stamp[v] = epoch;
          ++count;
        }
      }
    }
    benchmark::DoNotOptimize(count);
    total += count;
  });
  state.counters["reached_per_inviter"] =
      state.iterations()
          ? static_cast<double>(total) / static_cast<double>(state.iterations())
          : 0.0;
}

void Recommend(benchmark::State& state, const Requests& r) {
  TimeRequests(state, r.inviters.size(), [&](size_t i) {
    auto s = g_setup->rec->Recommend(r.inviters[i],
                                     ig::Campaign{.item = r.items[i]}, 20);
    if (!s.ok()) std::abort();
    benchmark::DoNotOptimize(s->data());
  });
}

void BM_TwoHopFloor(benchmark::State& state) {
  TwoHopFloor(state, g_setup->random);
}
BENCHMARK(BM_TwoHopFloor);

void BM_Recommend(benchmark::State& state) {
  Recommend(state, g_setup->random);
}
BENCHMARK(BM_Recommend);

void BM_RecommendBatch(benchmark::State& state) {
  ig::BatchOptions options;
  options.num_threads = static_cast<int>(state.range(0));
  const Requests& r = g_setup->random;
  for (auto _ : state) {
    auto t = g_setup->rec->RecommendBatch(r.inviters, r.items, 20, options);
    if (!t.ok()) std::abort();
  }
  state.counters["inviters_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * r.inviters.size()),
      benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RecommendBatch)->Arg(1)->Arg(2)->UseRealTime();

void BM_TwoHopFloorCampaign(benchmark::State& state) {
  TwoHopFloor(state, g_setup->campaign);
}
BENCHMARK(BM_TwoHopFloorCampaign);

void BM_RecommendCampaign(benchmark::State& state) {
  Recommend(state, g_setup->campaign);
}
BENCHMARK(BM_RecommendCampaign);

// Consumes our flags (--name=value) from argv, leaving the rest.
std::optional<std::string> TakeFlag(int* argc, char** argv, const char* name) {
  const std::string prefix = std::string("--") + name + "=";
  for (int i = 1; i < *argc; ++i) {
    if (std::strncmp(argv[i], prefix.c_str(), prefix.size()) == 0) {
      std::string value = argv[i] + prefix.size();
      for (int j = i; j + 1 < *argc; ++j) argv[j] = argv[j + 1];
      --*argc;
      return value;
    }
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  ig::synth::Options options;
  options.n_users =
      std::atoll(TakeFlag(&argc, argv, "users").value_or("100000").c_str());
  options.avg_friends =
      std::atof(TakeFlag(&argc, argv, "avg_friends").value_or("25").c_str());
  options.interactions_per_friend = std::atof(
      TakeFlag(&argc, argv, "interactions_per_friend").value_or("2").c_str());
  options.seed = std::strtoull(
      TakeFlag(&argc, argv, "seed").value_or("42").c_str(), nullptr, 10);
  const int64_t requests =
      std::atoll(TakeFlag(&argc, argv, "requests").value_or("20000").c_str());
  // RecommenderConfig::cascade_size (default: the library's).
  const std::optional<std::string> cascade_size =
      TakeFlag(&argc, argv, "cascade_size");
  // CandidateOptions::expansion_budget (default: the library's).
  const std::optional<std::string> expansion_budget =
      TakeFlag(&argc, argv, "expansion_budget");
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  const auto t0 = std::chrono::steady_clock::now();
  auto world = ig::synth::Generate(options);
  if (!world.ok()) {
    std::fprintf(stderr, "%s\n", world.status().ToString().c_str());
    return 1;
  }
  const auto t1 = std::chrono::steady_clock::now();
  auto graph = ig::bench::BuildWorldGraph(*world);
  if (!graph.ok()) {
    std::fprintf(stderr, "%s\n", graph.status().ToString().c_str());
    return 1;
  }
  const auto t2 = std::chrono::steady_clock::now();
  ig::RecommenderConfig config;
  if (cascade_size) config.cascade_size = std::atoi(cascade_size->c_str());
  if (expansion_budget) {
    config.scoring.candidates.expansion_budget =
        std::atoi(expansion_budget->c_str());
  }
  auto rec = ig::Recommender::Create(*graph, config);
  if (!rec.ok()) {
    std::fprintf(stderr, "%s\n", rec.status().ToString().c_str());
    return 1;
  }
  Setup setup;
  setup.graph = *std::move(graph);
  setup.rec.emplace(*std::move(rec));
  const ig::synth::World& w = *world;
  uint64_t x = options.seed * 2654435761u + 1;
  auto next = [&x] {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return x >> 33;
  };
  auto add = [&](Requests& r, ig::UserId user, ig::ItemId item) {
    const auto node = setup.graph->FindNode(user);
    if (!node) return;  // a user without any event
    r.inviters.push_back(user);
    r.inviter_nodes.push_back(*node);
    r.items.push_back(item);
  };
  for (int64_t i = 0;
       static_cast<int64_t>(setup.random.inviters.size()) < requests; ++i) {
    add(setup.random,
        static_cast<ig::UserId>(next() %
                                static_cast<uint64_t>(options.n_users)),
        w.campaign_item[static_cast<size_t>(i) % w.campaign_item.size()]);
  }
  // Campaign records drawn at random (with repeats), inviter and item as
  // recorded.
  while (!w.campaign_inviter.empty() &&
         static_cast<int64_t>(setup.campaign.inviters.size()) < requests) {
    const size_t r = next() % w.campaign_inviter.size();
    add(setup.campaign, w.campaign_inviter[r], w.campaign_item[r]);
  }
  g_setup = &setup;
  const ig::GraphStats st = setup.graph->stats();
  auto secs = [](auto a, auto b) {
    return std::to_string(std::chrono::duration<double>(b - a).count());
  };
  benchmark::AddCustomContext("users", std::to_string(options.n_users));
  benchmark::AddCustomContext("synth_seconds", secs(t0, t1));
  benchmark::AddCustomContext("build_seconds", secs(t1, t2));
  benchmark::AddCustomContext("num_events", std::to_string(st.num_events));
  benchmark::AddCustomContext("num_arcs", std::to_string(st.num_arcs));
  benchmark::AddCustomContext(
      "bytes_per_arc",
      std::to_string(static_cast<double>(st.arc_bytes) / st.num_arcs));
  benchmark::AddCustomContext(
      "graph_bytes_per_arc",
      std::to_string(static_cast<double>(st.total_bytes) / st.num_arcs));
  benchmark::AddCustomContext("requests", std::to_string(requests));
  benchmark::AddCustomContext("cascade_size",
                              std::to_string(config.cascade_size));
  benchmark::AddCustomContext(
      "expansion_budget",
      std::to_string(config.scoring.candidates.expansion_budget));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
