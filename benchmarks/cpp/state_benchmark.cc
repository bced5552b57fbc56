// Recipient state backends (RecommenderConfig::state) side by side, in one
// run on one synthetic world:
//
//   - writes: reserve_invites (3 invitees) and record_outcomes (one row)
//     alternating, per-call p50/p99 and calls/s, on 1 thread and on 4;
//   - Recommend p50/p99 with the state each backend holds after the writes,
//     and its ratio to the memory backend's in the same run;
//   - journal replay: seconds per million records when a journal is opened;
//   - Redis (--redis on): the same rows on a redis-server (from PATH) this
//     benchmark starts on a free loopback port (tests/cpp/testing/
//     redis_process.h), and its memory per recipient with recent sends.
//
//   state_benchmark [--users 100000] [--writes 4000] [--requests 4000]
//                   [--replay 1000000] [--dir DIR] [--redis on]
//
// The journal's directory is DIR (default: under the system temp dir), so
// its fdatasync costs are those of DIR's disk. Medians of repeated runs and
// the ratios are the honest figures on a shared machine.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "invitegraph/recommender.h"
#include "invitegraph/status.h"
#include "invitegraph/synth.h"
#include "testing/redis_process.h"
#include "world_graph.h"

namespace ig = invitegraph;
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * v.size()));
  std::nth_element(v.begin(), v.begin() + i, v.end());
  return v[i];
}

struct Flags {
  int64_t users = 100'000;
  int64_t writes = 4'000;
  int64_t requests = 4'000;
  int64_t replay = 1'000'000;
  std::string dir;
  bool redis = false;  // the Redis rows, on a redis-server from PATH
};

constexpr int64_t kDaySeconds = 86'400;

ig::RecommenderConfig Config(const ig::SocialGraph& g,
                             const std::string& spec) {
  ig::RecommenderConfig config;
  config.policy.max_invites_per_recipient = {
      {.window_seconds = kDaySeconds, .max = 3},
      {.window_seconds = 7 * kDaySeconds, .max = 10}};
  config.time_limits.now = g.as_of() + kDaySeconds;
  config.state = spec;
  return config;
}

struct WriteFigures {
  double p50_us = 0, p99_us = 0, per_s = 0;
};

// `writes` calls split over `threads`, each thread alternating a reservation
// of 3 random users and one outcome row; seeded per thread.
WriteFigures Writes(const ig::Recommender& rec, const ig::SocialGraph& g,
                    int64_t writes, int threads, uint64_t seed) {
  const auto ids = g.user_ids();
  std::vector<std::vector<double>> lat(threads);
  std::atomic<bool> failed{false};
  const Clock::time_point t0 = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      std::mt19937_64 rng(seed * 131 + t);
      std::uniform_int_distribution<size_t> pick(0, ids.size() - 1);
      const ig::Timestamp ts = g.as_of();
      for (int64_t i = t; i < writes; i += threads) {
        const ig::UserId inviter = ids[pick(rng)];
        std::vector<ig::UserId> invitees;
        while (invitees.size() < 3) {
          const ig::UserId u = ids[pick(rng)];
          if (u != inviter) invitees.push_back(u);
        }
        const Clock::time_point c0 = Clock::now();
        bool ok;
        if (i % 2 == 0) {
          ok = rec.ReserveInvites(inviter, invitees, 1, ts).ok();
        } else {
          const ig::ItemId item = 1;
          const ig::Outcome o = ig::Outcome::kAccepted;
          ok = rec.RecordOutcomes({.inviter = {&inviter, 1},
                                   .invitee = {&invitees[0], 1},
                                   .item = {&item, 1},
                                   .ts = {&ts, 1},
                                   .outcome = {&o, 1}})
                   .ok();
        }
        lat[t].push_back(Since(c0) * 1e6);
        if (!ok) failed = true;
      }
    });
  }
  for (std::thread& th : pool) th.join();
  const double secs = Since(t0);
  if (failed) std::fprintf(stderr, "a write failed\n");
  std::vector<double> all;
  for (const auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  return {Percentile(all, 0.5), Percentile(all, 0.99),
          static_cast<double>(writes) / secs};
}

// Recommend latency over `requests` random inviters (fixed seed: every
// backend serves the same requests).
std::pair<double, double> Requests(const ig::Recommender& rec,
                                   const ig::SocialGraph& g, int64_t requests) {
  const auto ids = g.user_ids();
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<size_t> pick(0, ids.size() - 1);
  std::vector<double> lat;
  for (int64_t i = 0; i < requests; ++i) {
    const ig::UserId u = ids[pick(rng)];
    const Clock::time_point c0 = Clock::now();
    (void)rec.Recommend(u, ig::Campaign{.item = 1}, 10);
    lat.push_back(Since(c0) * 1e6);
  }
  return {Percentile(lat, 0.5), Percentile(lat, 0.99)};
}

int Run(const Flags& f) {
  ig::synth::Options options;
  options.n_users = f.users;
  options.seed = 42;
  auto world = ig::synth::Generate(options);
  if (!world.ok()) {
    std::fprintf(stderr, "%s\n", world.status().ToString().c_str());
    return 1;
  }
  auto built = ig::bench::BuildWorldGraph(*world);
  if (!built.ok()) {
    std::fprintf(stderr, "%s\n", built.status().ToString().c_str());
    return 1;
  }
  const ig::SocialGraph g = *std::move(built);
  const std::string root =
      f.dir.empty() ? (fs::temp_directory_path() / ("invitegraph_state_bench_" +
                                                    std::to_string(::getpid())))
                          .string()
                    : f.dir;
  fs::remove_all(root);
  fs::create_directories(root);

  std::unique_ptr<ig::testing::RedisProcess> redis;
  if (f.redis) {
    fs::create_directories(root + "/redis");
    redis = std::make_unique<ig::testing::RedisProcess>(root + "/redis",
                                                        /*durable=*/false);
    const absl::Status started = redis->Start();
    if (!started.ok()) {
      std::fprintf(stderr, "%s\n", started.ToString().c_str());
      return 1;
    }
  }

  struct Backend {
    std::string name, spec;
  };
  std::vector<Backend> backends = {
      {"memory", "memory"},
      {"journal sync=always", "journal:" + root + "/always"},
      {"journal sync=group (10 ms)", "journal:" + root + "/group?sync=group"},
  };
  if (redis) {
    backends.push_back(
        {"redis (loopback)",
         "redis://127.0.0.1:" + std::to_string(redis->port()) + "?prefix=b:"});
  }

  std::printf("state backends: %lld users, %lld writes, %lld requests\n\n",
              static_cast<long long>(g.num_nodes()),
              static_cast<long long>(f.writes),
              static_cast<long long>(f.requests));
  // w: a write (reserve or record); rec: Recommend, quiet and while one
  // thread keeps writing ("busy"); "vs": against memory in this run.
  std::printf("%-28s %9s %9s %10s %10s %9s %9s %7s %7s %9s %9s %7s\n",
              "backend", "w p50 us", "w p99 us", "w/s 1 thr", "w/s 4 thr",
              "rec p50", "rec p99", "p50 vs", "p99 vs", "busy p50", "busy p99",
              "vs");
  double memory_p50 = 0, memory_p99 = 0, memory_busy_p99 = 0;
  std::string follow_line;
  for (const Backend& b : backends) {
    auto rec = ig::Recommender::Create(g, Config(g, b.spec));
    if (!rec.ok()) {
      std::fprintf(stderr, "%s: %s\n", b.name.c_str(),
                   rec.status().ToString().c_str());
      return 1;
    }
    // For Redis, a second process's view: a Recommender that only follows.
    std::optional<ig::Recommender> follower;
    if (b.spec.rfind("redis://", 0) == 0) {
      auto made = ig::Recommender::Create(g, Config(g, b.spec));
      if (made.ok()) follower = *std::move(made);
    }
    const WriteFigures one = Writes(*rec, g, f.writes, 1, 1);
    const WriteFigures four = Writes(*rec, g, f.writes, 4, 2);
    const auto [p50, p99] = Requests(*rec, g, f.requests);
    // The same requests while one thread keeps writing (reserve, record).
    std::atomic<bool> stop{false};
    std::thread writer([&] {
      for (uint64_t round = 3; !stop; ++round) Writes(*rec, g, 64, 1, round);
    });
    const auto [busy_p50, busy_p99] = Requests(*rec, g, f.requests);
    stop = true;
    writer.join();
    if (follower) {
      const Clock::time_point t0 = Clock::now();
      while (follower->StateToBytes().value_or("") !=
                 rec->StateToBytes().value_or("-") &&
             Since(t0) < 30) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      const ig::StateStoreInfo info = follower->StateInfo();
      follow_line = absl::StrCat(
          "redis follower (a second Recommender on the same server): ",
          info.followed_events, " events followed, max lag ",
          info.max_follow_lag_ms, " ms");
    }
    if (b.spec == "memory") {
      memory_p50 = p50;
      memory_p99 = p99;
      memory_busy_p99 = busy_p99;
    }
    std::printf(
        "%-28s %9.1f %9.1f %10.0f %10.0f %9.1f %9.1f %6.2fx %6.2fx %9.1f "
        "%9.1f %6.2fx\n",
        b.name.c_str(), one.p50_us, one.p99_us, one.per_s, four.per_s, p50, p99,
        p50 / memory_p50, p99 / memory_p99, busy_p50, busy_p99,
        busy_p99 / memory_busy_p99);
    std::fflush(stdout);
  }

  if (!follow_line.empty()) std::printf("\n%s\n", follow_line.c_str());

  // Journal replay: `replay` single-row outcomes written under group commit
  // (fast to write), then the time to open the journal again, less the time
  // to open a memory-backed Recommender on the same graph.
  if (f.replay > 0) {
    const std::string spec =
        "journal:" + root + "/replay?sync=group&compact_bytes=1099511627776";
    {
      auto rec = ig::Recommender::Create(g, Config(g, spec));
      if (!rec.ok()) return 1;
      const auto ids = g.user_ids();
      const ig::Timestamp ts = g.as_of();
      const ig::ItemId item = 1;
      const ig::Outcome o = ig::Outcome::kDeclined;
      const ig::UserId inviter = ids[0];
      for (int64_t i = 0; i < f.replay; ++i) {
        const ig::UserId u = ids[1 + i % (ids.size() - 1)];
        if (!rec->RecordOutcomes({.inviter = {&inviter, 1},
                                  .invitee = {&u, 1},
                                  .item = {&item, 1},
                                  .ts = {&ts, 1},
                                  .outcome = {&o, 1}})
                 .ok()) {
          return 1;
        }
      }
    }
    std::vector<double> open_memory, open_journal;
    for (int round = 0; round < 3; ++round) {
      Clock::time_point t0 = Clock::now();
      { auto m = ig::Recommender::Create(g, Config(g, "memory")); }
      open_memory.push_back(Since(t0));
      t0 = Clock::now();
      auto j = ig::Recommender::Create(g, Config(g, spec));
      open_journal.push_back(Since(t0));
      if (!j.ok() || j->StateInfo().replayed_events != f.replay) {
        std::fprintf(stderr, "replay did not see every record\n");
        return 1;
      }
    }
    const double replay_s =
        Percentile(open_journal, 0.5) - Percentile(open_memory, 0.5);
    std::printf(
        "\njournal replay: %lld records in %.3f s (median of 3 opens, less "
        "a memory open) = %.2f s per million records\n",
        static_cast<long long>(f.replay), replay_s,
        replay_s / (static_cast<double>(f.replay) / 1e6));
  }

  if (redis) {
    // Memory per recipient with recent sends: reservations for distinct
    // users in a fresh prefix, the server's used_memory before and after.
    const std::string spec =
        "redis://127.0.0.1:" + std::to_string(redis->port()) + "?prefix=m:";
    auto rec = ig::Recommender::Create(g, Config(g, spec));
    if (!rec.ok()) return 1;
    const int64_t before = redis->UsedMemory();
    const auto ids = g.user_ids();
    const int64_t n = std::min<int64_t>(50'000, ids.size() - 1);
    for (int64_t i = 0; i < n; i += 50) {
      std::vector<ig::UserId> batch(ids.begin() + 1 + i,
                                    ids.begin() + 1 + std::min(n, i + 50));
      if (!rec->ReserveInvites(ids[0], batch, 1, g.as_of()).ok()) return 1;
    }
    const int64_t after = redis->UsedMemory();
    std::printf(
        "\nredis memory: %lld recipients with one recent send each: %.1f "
        "bytes per recipient (used_memory %lld -> %lld)\n",
        static_cast<long long>(n), static_cast<double>(after - before) / n,
        static_cast<long long>(before), static_cast<long long>(after));
  }
  fs::remove_all(root);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string name = argv[i], value = argv[i + 1];
    if (name == "--users") {
      f.users = std::atoll(value.c_str());
    } else if (name == "--writes") {
      f.writes = std::atoll(value.c_str());
    } else if (name == "--requests") {
      f.requests = std::atoll(value.c_str());
    } else if (name == "--replay") {
      f.replay = std::atoll(value.c_str());
    } else if (name == "--dir") {
      f.dir = value;
    } else if (name == "--redis") {
      f.redis = value == "1" || value == "on" || value == "yes";
    } else {
      std::fprintf(stderr,
                   "usage: %s [--users N] [--writes N] [--requests N] "
                   "[--replay N] [--dir DIR] [--redis on]\n",
                   argv[0]);
      return 2;
    }
  }
  return Run(f);
}
