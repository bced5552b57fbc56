// Cost of campaign audiences (audience.h) on a synthetic world with seeded
// random profiles: ingestion, Compile, the per-candidate Matches filter and
// end-to-end Recommend latency.
//
//   audience_benchmark [n_users=1000000] [requests=20000] [seed=42]
//                      [pairs=10000000] [repeats=5] [build_repeats=3]
//
// Profiles for every user: region (category, 30 values, 5 % missing),
// age_band (category, 6 values), tags (0-6 distinct of 200, Zipf-like
// popularity), spend (number, log-normal, 10 % NaN). Graphs are built without
// communities and without centrality (neither is read by the audiences here).
// Prints one table; medians over `repeats` runs unless a row says otherwise.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "invitegraph/audience.h"
#include "invitegraph/graph_builder.h"
#include "invitegraph/profiles.h"
#include "invitegraph/recommender.h"
#include "invitegraph/status.h"
#include "invitegraph/synth.h"

namespace ig = invitegraph;

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Nearest-rank percentile of a sorted vector.
double Pct(const std::vector<double>& sorted, double p) {
  return sorted[static_cast<size_t>(p *
                                    static_cast<double>(sorted.size() - 1))];
}

// Columns of one profile batch, owning what the ProfileColumn spans view.
struct Profiles {
  std::vector<ig::UserId> users;
  std::vector<std::string> regions, bands, tag_names;
  std::vector<int32_t> region_codes, band_codes, tag_codes;
  std::vector<int64_t> tag_offsets;
  std::vector<double> spend;
  std::vector<ig::ProfileColumn> columns;

  ig::ProfileBatch batch() const { return {.user = users, .columns = columns}; }
};

Profiles MakeProfiles(int64_t n_users, uint64_t seed) {
  Profiles p;
  for (int i = 0; i < 30; ++i) p.regions.push_back(absl::StrCat("r", i));
  p.bands = {"18-24", "25-30", "31-35", "36-45", "46-55", "56+"};
  p.tag_names = {"skincare", "gaming", "running", "cooking", "travel", "music"};
  for (int i = static_cast<int>(p.tag_names.size()); i < 200; ++i) {
    p.tag_names.push_back(absl::StrCat("tag", i));
  }
  std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15ULL);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::uniform_int_distribution<int32_t> region(0, 29), band(0, 5),
      n_tags(0, 6);
  std::normal_distribution<double> log_spend(3.5, 1.2);
  p.users.resize(static_cast<size_t>(n_users));
  p.region_codes.resize(p.users.size());
  p.band_codes.resize(p.users.size());
  p.spend.resize(p.users.size());
  p.tag_offsets.reserve(p.users.size() + 1);
  p.tag_offsets.push_back(0);
  int32_t mine[6];
  for (int64_t u = 0; u < n_users; ++u) {
    const size_t i = static_cast<size_t>(u);
    p.users[i] = u;
    p.region_codes[i] = unit(rng) < 0.05 ? -1 : region(rng);
    p.band_codes[i] = band(rng);
    p.spend[i] = unit(rng) < 0.10 ? NAN : std::exp(log_spend(rng));
    // Distinct tags, popularity skewed towards the low indices (the named
    // ones): index floor(200 * x^2) for uniform x.
    const int want = n_tags(rng);
    int have = 0;
    while (have < want) {
      const double x = unit(rng);
      const auto t = static_cast<int32_t>(std::min(199.0, 200.0 * x * x));
      if (std::find(mine, mine + have, t) == mine + have) mine[have++] = t;
    }
    p.tag_codes.insert(p.tag_codes.end(), mine, mine + have);
    p.tag_offsets.push_back(static_cast<int64_t>(p.tag_codes.size()));
  }
  p.columns = {
      {.name = "region",
       .type = ig::AttributeType::kCategory,
       .codes = p.region_codes,
       .dictionary = p.regions},
      {.name = "age_band",
       .type = ig::AttributeType::kCategory,
       .codes = p.band_codes,
       .dictionary = p.bands},
      {.name = "tags",
       .type = ig::AttributeType::kTags,
       .codes = p.tag_codes,
       .offsets = p.tag_offsets,
       .dictionary = p.tag_names},
      {.name = "spend", .type = ig::AttributeType::kNumber, .numbers = p.spend},
  };
  return p;
}

// Every event table of `w` staged, plus `profiles` when given; built without
// communities or centrality. Sets the build time (Build() alone).
absl::StatusOr<ig::SocialGraph> BuildGraph(const ig::synth::World& w,
                                           const Profiles* profiles,
                                           double* build_s) {
  ig::GraphBuilder b;
  INVITEGRAPH_RETURN_IF_ERROR(b.AddFriendships(w.friendships()));
  INVITEGRAPH_RETURN_IF_ERROR(b.AddInteractions(w.interactions()));
  INVITEGRAPH_RETURN_IF_ERROR(b.AddPurchases(w.purchases()));
  INVITEGRAPH_RETURN_IF_ERROR(b.AddCampaigns(w.campaigns()));
  if (profiles != nullptr) {
    INVITEGRAPH_RETURN_IF_ERROR(b.AddProfiles(profiles->batch()));
  }
  const auto t0 = Clock::now();
  auto g = b.Build({.communities = false, .centrality = false});
  *build_s = Seconds(t0);
  return g;
}

struct Expr {
  const char* label;
  std::string text;
};

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "%s\n", s.ToString().c_str());
  return 1;
}

int Run(int64_t n_users, int64_t requests, uint64_t seed, int64_t n_pairs,
        int repeats, int build_repeats) {
  auto t0 = Clock::now();
  auto world = ig::synth::Generate({.n_users = n_users, .seed = seed});
  if (!world.ok()) return Fail(world.status());
  const double gen_s = Seconds(t0);
  const ig::synth::World& w = *world;

  t0 = Clock::now();
  const Profiles profiles = MakeProfiles(n_users, seed);
  const double profile_gen_s = Seconds(t0);

  // 1. Ingestion: AddProfiles alone on fresh builders, then whole builds.
  std::vector<double> add_s;
  for (int r = 0; r < repeats; ++r) {
    ig::GraphBuilder b;
    t0 = Clock::now();
    const absl::Status s = b.AddProfiles(profiles.batch());
    add_s.push_back(Seconds(t0));
    if (!s.ok()) return Fail(s);
  }
  const double add_per_m = Median(add_s) / (static_cast<double>(n_users) / 1e6);
  // Builds alternate (without, with profiles) so that load on the shared
  // machine and first-touch costs fall on both alike.
  std::vector<double> plain_s, prof_s;
  int64_t arcs = 0;
  absl::StatusOr<ig::SocialGraph> g = absl::UnknownError("not built");
  for (int r = 0; r < build_repeats; ++r) {
    double s = 0;
    {
      auto plain = BuildGraph(w, nullptr, &s);
      if (!plain.ok()) return Fail(plain.status());
      arcs = plain->num_arcs();
    }
    plain_s.push_back(s);
    g = absl::UnknownError("not built");  // frees the previous graph first
    g = BuildGraph(w, &profiles, &s);
    prof_s.push_back(s);
  }
  if (!g.ok()) return Fail(g.status());

  // 2. Compile cost.
  const std::vector<Expr> exprs = {
      {"simple", "region == 'r3'"},
      {"typical",
       "age_band in ['25-30', '31-35'] and 'skincare' in tags and "
       "region == inviter.region"},
      {"long (13 clauses)",
       "(region == inviter.region or region in ['r1', 'r2', 'r3', 'r4']) "
       "and not age_band in ['18-24', '56+'] "
       "and (spend >= 20 or 'gaming' in tags or 'travel' in tags) "
       "and spend < 5000 and 'tag150' not in tags "
       "and (degree >= 5 or activity_30d > 0) and not is_new "
       "and (age_band == inviter.age_band or spend > inviter.spend)"},
  };
  std::vector<ig::Audience> audiences;
  std::vector<std::pair<double, double>> compile_us;  // p50, p99
  constexpr int kCompiles = 2000;
  for (const Expr& e : exprs) {
    std::vector<double> lat;
    lat.reserve(kCompiles);
    for (int i = 0; i < kCompiles; ++i) {
      t0 = Clock::now();
      auto a = ig::Audience::Compile(e.text, *g);
      lat.push_back(Seconds(t0) * 1e6);
      if (!a.ok()) return Fail(a.status());
      if (i == 0) audiences.push_back(*std::move(a));
    }
    std::sort(lat.begin(), lat.end());
    compile_us.emplace_back(Pct(lat, 0.5), Pct(lat, 0.99));
  }

  auto rec = ig::Recommender::Create(*g);
  if (!rec.ok()) return Fail(rec.status());

  // Requests: uniformly random inviters, each with a campaign's item.
  std::vector<ig::UserId> inviters;
  std::vector<ig::ItemId> items;
  std::mt19937_64 rng(seed * 2654435761u + 1);
  std::uniform_int_distribution<int64_t> pick_user(0, n_users - 1);
  std::uniform_int_distribution<size_t> pick_campaign(
      0, w.campaign_item.size() - 1);
  for (int64_t i = 0; i < requests; ++i) {
    inviters.push_back(pick_user(rng));
    items.push_back(w.campaign_item[pick_campaign(rng)]);
  }

  // 3. Matches per candidate, over (inviter, candidate) pairs of the real
  // candidate pools (Features without an audience), request order.
  t0 = Clock::now();
  std::vector<std::pair<ig::NodeId, ig::NodeId>> pairs;
  pairs.reserve(static_cast<size_t>(n_pairs));
  int64_t pool_inviters = 0;
  for (int64_t i = 0; static_cast<int64_t>(pairs.size()) < n_pairs; ++i) {
    const ig::UserId u = i < requests ? inviters[i] : pick_user(rng);
    const ig::ItemId item = items[static_cast<size_t>(i % requests)];
    auto f = rec->Features(u, ig::Campaign{.item = item});
    if (!f.ok()) return Fail(f.status());
    const ig::NodeId un = *g->FindNode(u);
    for (ig::UserId c : f->candidates) {
      if (static_cast<int64_t>(pairs.size()) == n_pairs) break;
      pairs.emplace_back(un, *g->FindNode(c));
    }
    ++pool_inviters;
  }
  const double pool_s = Seconds(t0);
  // ns per call and share matching, median over repeats.
  auto time_matches = [&](const ig::Audience& a, double* share) {
    std::vector<double> ns;
    int64_t hits = 0;
    for (int r = 0; r < repeats; ++r) {
      hits = 0;
      const auto t = Clock::now();
      for (const auto& [inv, cand] : pairs) hits += a.Matches(inv, cand);
      ns.push_back(Seconds(t) * 1e9 / static_cast<double>(pairs.size()));
    }
    *share = static_cast<double>(hits) / static_cast<double>(pairs.size());
    return Median(ns);
  };
  // The bare loop: reads each pair and does as much arithmetic as a call's
  // result does, nothing more.
  std::vector<double> bare_ns;
  for (int r = 0; r < repeats; ++r) {
    uint64_t acc = 0;
    const auto t = Clock::now();
    for (const auto& [inv, cand] : pairs) {
      acc += (inv ^ cand) & 1u;
      asm volatile("" : "+r"(acc));
    }
    bare_ns.push_back(Seconds(t) * 1e9 / static_cast<double>(pairs.size()));
  }
  double empty_share = 0;
  const double empty_ns = time_matches(ig::Audience(), &empty_share);
  std::vector<double> match_ns, match_share(audiences.size());
  for (size_t i = 0; i < audiences.size(); ++i) {
    match_ns.push_back(time_matches(audiences[i], &match_share[i]));
  }

  // 4. End to end: Recommend per request, then RecommendBatch on 1 thread.
  constexpr int kK = 20;
  struct E2E {
    double p50_us, p99_us, exact_k, batch_per_s;
  };
  std::vector<E2E> e2e;
  std::vector<ig::Audience> e2e_aud = {ig::Audience()};
  e2e_aud.insert(e2e_aud.end(), audiences.begin(), audiences.end());
  for (const ig::Audience& a : e2e_aud) {
    std::vector<double> lat;
    lat.reserve(static_cast<size_t>(requests));
    int64_t exact = 0;
    for (int64_t i = 0; i < requests; ++i) {
      const ig::Campaign c{.item = items[i], .audience = a};
      const auto t = Clock::now();
      auto s = rec->Recommend(inviters[i], c, kK);
      lat.push_back(Seconds(t) * 1e6);
      if (!s.ok()) return Fail(s.status());
      exact += static_cast<int64_t>(s->size()) == kK;
    }
    std::sort(lat.begin(), lat.end());
    t0 = Clock::now();
    auto batch = rec->RecommendBatch(inviters, items, kK,
                                     {.num_threads = 1, .audience = a});
    const double batch_s = Seconds(t0);
    if (!batch.ok()) return Fail(batch.status());
    e2e.push_back({Pct(lat, 0.5), Pct(lat, 0.99),
                   static_cast<double>(exact) / static_cast<double>(requests),
                   static_cast<double>(requests) / batch_s});
  }

  std::printf(
      "invitegraph audience benchmark: %lld users, %lld arcs, seed %llu, "
      "%d repeats (builds: %d, alternating)\n",
      static_cast<long long>(n_users), static_cast<long long>(arcs),
      static_cast<unsigned long long>(seed), repeats, build_repeats);
  std::printf("world generation %.1f s, profile generation %.1f s\n", gen_s,
              profile_gen_s);
  std::printf("\n1. profile ingestion (4 columns)\n");
  std::printf("%-52s %12.3f\n", "AddProfiles, median (s per 1 M rows)",
              add_per_m);
  std::printf("%-52s %12.2f\n", "Build without profiles, median (s)",
              Median(plain_s));
  std::printf("%-52s %12.2f\n", "Build with profiles, median (s)",
              Median(prof_s));
  std::printf("\n2. Audience::Compile (%d calls each)   %12s %12s\n", kCompiles,
              "p50 us", "p99 us");
  for (size_t i = 0; i < exprs.size(); ++i) {
    std::printf("%-37s %12.2f %12.2f\n", exprs[i].label, compile_us[i].first,
                compile_us[i].second);
  }
  std::printf(
      "\n3. Matches over %lld (inviter, candidate) pairs from %lld pools "
      "(%.1f s to collect)\n",
      static_cast<long long>(pairs.size()),
      static_cast<long long>(pool_inviters), pool_s);
  std::printf("%-37s %12s %12s %12s\n", "", "ns/call", "net ns", "matching");
  std::printf("%-37s %12.2f %12s %12s\n", "bare loop (no call)",
              Median(bare_ns), "", "");
  std::printf("%-37s %12.2f %12.2f %11.1f%%\n", "empty Audience (baseline)",
              empty_ns, 0.0, 100 * empty_share);
  for (size_t i = 0; i < exprs.size(); ++i) {
    std::printf("%-37s %12.2f %12.2f %11.2f%%\n", exprs[i].label, match_ns[i],
                match_ns[i] - empty_ns, 100 * match_share[i]);
  }
  std::printf("\n4. Recommend, k=%d, %lld random inviters (1 pass each)\n", kK,
              static_cast<long long>(requests));
  std::printf("%-24s %10s %10s %10s %16s\n", "audience", "p50 us", "p99 us",
              "exactly k", "batch 1t (req/s)");
  for (size_t i = 0; i < e2e.size(); ++i) {
    std::printf("%-24s %10.1f %10.1f %9.1f%% %16.0f\n",
                i == 0 ? "none" : exprs[i - 1].label, e2e[i].p50_us,
                e2e[i].p99_us, 100 * e2e[i].exact_k, e2e[i].batch_per_s);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t n = argc > 1 ? std::atoll(argv[1]) : 1'000'000;
  const int64_t requests = argc > 2 ? std::atoll(argv[2]) : 20'000;
  const uint64_t seed = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 42;
  const int64_t pairs = argc > 4 ? std::atoll(argv[4]) : 10'000'000;
  const int repeats = argc > 5 ? std::atoi(argv[5]) : 5;
  const int build_repeats = argc > 6 ? std::atoi(argv[6]) : 3;
  if (n < 2 || requests < 1 || pairs < 1 || repeats < 1 || build_repeats < 1) {
    std::fprintf(stderr, "bad arguments\n");
    return 1;
  }
  return Run(n, requests, seed, pairs, repeats, build_repeats);
}
