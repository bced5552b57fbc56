// Fit time of the learned rankers on seeded synthetic feature rows.
//
//   fit_benchmark [rows=1000000] [threads=0] [seed=7] [model=both]
//
// Rows come in groups (campaigns) of 50 candidates; labels follow a planted
// logistic model over the transformed features, ~10 % positive. `model` is
// logistic, pairwise or both. Prints one
// line per model: rows, pairs, Newton iterations, converged, seconds.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "invitegraph/features.h"
#include "invitegraph/fit.h"
#include "invitegraph/ranker.h"

namespace ig = invitegraph;

namespace {

// A small, fast generator (SplitMix64); the library's own Rng is internal.
struct Mix {
  uint64_t s;
  double Uniform() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return static_cast<double>((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
  }
};

int Run(int64_t rows, int threads, uint64_t seed, const std::string& only) {
  const auto t0 = std::chrono::steady_clock::now();
  ig::FeatureArray x(rows, ig::kNumFeatures);
  std::vector<float> label(rows);
  std::vector<int64_t> group(rows);
  Mix rng{seed};
  std::vector<double> logit(rows);
  double sum = 0;
  for (int64_t i = 0; i < rows; ++i) {
    double e = 0;
    for (int f = 0; f < ig::kNumFeatures; ++f) {
      const float v = f % 4 == 3
                          ? (rng.Uniform() < 0.3 ? 1.0f : 0.0f)
                          : static_cast<float>(std::expm1(3.0 * rng.Uniform()));
      x(i, f) = v;
      e += (f % 3 == 0   ? 0.4
            : f % 3 == 1 ? -0.2
                         : 0.1) *
           ig::LinearTransform(f, v);
    }
    logit[i] = e;
    sum += e;
    group[i] = i / 50;
  }
  // The intercept that makes 10 % of the labels positive in expectation.
  double lo = -20 - sum / rows, hi = 20 - sum / rows;
  for (int step = 0; step < 40; ++step) {
    const double mid = (lo + hi) / 2;
    double p = 0;
    for (int64_t i = 0; i < rows; i += 16) {
      p += 1.0 / (1.0 + std::exp(-(logit[i] + mid)));
    }
    (p / ((rows + 15) / 16) < 0.1 ? lo : hi) = mid;
  }
  const double shift = (lo + hi) / 2;
  for (int64_t i = 0; i < rows; ++i) {
    label[i] = rng.Uniform() < 1.0 / (1.0 + std::exp(-(logit[i] + shift)))
                   ? 1.0f
                   : 0.0f;
  }
  double positives = 0;
  for (float y : label) positives += y;
  const double gen_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  std::printf(
      "rows %lld x %d features, %.1f %% positive, threads %d "
      "(generated in %.2f s)\n",
      static_cast<long long>(rows), ig::kNumFeatures, 100.0 * positives / rows,
      threads, gen_s);
  std::printf("%-9s %10s %10s %10s %10s %10s\n", "model", "rows", "pairs",
              "iterations", "converged", "seconds");
  for (const char* model : {"logistic", "pairwise"}) {
    if (only != "both" && only != model) continue;
    ig::FitOptions options;
    options.model = model;
    options.num_threads = threads;
    ig::FitReport report;
    auto r = ig::FitRanker(x, label, {}, group, options, &report);
    if (!r.ok()) {
      std::fprintf(stderr, "%s: %s\n", model, r.status().ToString().c_str());
      return 1;
    }
    std::printf("%-9s %10lld %10lld %10d %10s %10.2f\n", model,
                static_cast<long long>(report.rows),
                static_cast<long long>(report.pairs), report.iterations,
                report.converged ? "yes" : "no", report.seconds);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t rows = argc > 1 ? std::atoll(argv[1]) : 1'000'000;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 0;
  const uint64_t seed = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 7;
  const std::string only = argc > 4 ? argv[4] : "both";
  if (rows <= 0 || threads < 0) {
    std::fprintf(stderr, "usage: fit_benchmark [rows>0] [threads>=0] [seed]\n");
    return 2;
  }
  return Run(rows, threads, seed, only);
}
