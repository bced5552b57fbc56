// Shared helpers of the learned-ranker tests: data simulated from a known
// model and the parameters of a learned ranker read back from its spec.
#ifndef INVITEGRAPH_TESTS_LEARN_LEARN_TESTING_H_
#define INVITEGRAPH_TESTS_LEARN_LEARN_TESTING_H_

#include <cmath>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "invitegraph/features.h"
#include "invitegraph/fit.h"
#include "invitegraph/ranker.h"
#include "testing/fixtures.h"

namespace invitegraph::testing {

// Rows whose transformed features T_f = LinearTransform(f, x_f) drive a
// logistic model: logit = intercept + sum_f beta[f] * T_f. Raw values are
// expm1(2u), u ~ U(0, 1), whatever the feature's transform; every fourth
// feature is a 0/1 flag, and kConstantFeature is 0 in every row.
struct Simulated {
  FeatureArray x;
  std::vector<float> label;
  std::vector<int64_t> group;
  std::vector<double> true_logit;
  double intercept = 0;  // the true intercept
};

inline constexpr int kConstantFeature = kCandidateIsNew;

// Features past this many carry no planted signal (beta 0, still random
// values), so adding feature columns does not widen the planted logits and
// the calibration bounds keep their meaning.
inline constexpr int kPlantedFeatures = 30;

// The planted coefficients: a fixed pattern over the first kPlantedFeatures
// features, 0 on the constant one and on every fifth feature.
inline std::vector<double> TrueBeta() {
  static const double kPattern[] = {0.8, -0.6, 0.4, 1.0, -0.3, 0.5, -0.9};
  std::vector<double> beta(kNumFeatures);
  for (int f = 0; f < kNumFeatures; ++f) {
    beta[f] = (f == kConstantFeature || f % 5 == 4 || f >= kPlantedFeatures)
                  ? 0.0
                  : kPattern[f % 7];
  }
  return beta;
}

inline double Sigmoid(double e) { return 1.0 / (1.0 + std::exp(-e)); }

// `rows` rows in groups of about `group_size` (group ids interleaved, so a
// group's rows are not contiguous). The intercept is set so that the mean
// logit is `mean_logit`.
inline Simulated Simulate(int64_t rows, double mean_logit, uint64_t seed,
                          int group_size = 40) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const std::vector<double> beta = TrueBeta();
  Simulated s;
  s.x.resize(rows, kNumFeatures);
  const int64_t groups = std::max<int64_t>(1, rows / group_size);
  double sum = 0;
  for (int64_t i = 0; i < rows; ++i) {
    double lin = 0;
    for (int f = 0; f < kNumFeatures; ++f) {
      float v;
      if (f == kConstantFeature) {
        v = 0.0f;
      } else if (f % 4 == 3) {
        v = unit(rng) < 0.4 ? 1.0f : 0.0f;
      } else {
        v = static_cast<float>(std::expm1(2.0 * unit(rng)));
      }
      s.x(i, f) = v;
      lin += beta[f] * LinearTransform(f, v);
    }
    s.true_logit.push_back(lin);
    sum += lin;
    s.group.push_back(1000 + (i * 7919) % groups);
  }
  s.intercept = mean_logit - sum / rows;
  for (int64_t i = 0; i < rows; ++i) {
    s.true_logit[i] += s.intercept;
    s.label.push_back(unit(rng) < Sigmoid(s.true_logit[i]) ? 1.0f : 0.0f);
  }
  return s;
}

// key -> value of a spec's parameters.
inline std::map<std::string, double> SpecParams(const std::string& spec) {
  auto parsed = ParseSpec(spec);
  REQUIRE(parsed.ok());
  std::map<std::string, double> out;
  for (const auto& [k, v] : parsed->second) {
    double d;
    REQUIRE(absl::SimpleAtod(v, &d));
    out[k] = d;
  }
  return out;
}

// A learned ranker's parameters, read from its spec.
struct Params {
  double intercept = 0, a = 1, b = 0;
  std::vector<double> mean, scale, w;
  // a * w_f / scale_f: the calibrated coefficient of T_f.
  double Coef(int f) const { return a * w[f] / scale[f]; }
  // z of row `i` of `x`, in double.
  std::vector<double> Z(const FeatureArray& x, int64_t i) const {
    std::vector<double> z(kNumFeatures);
    for (int f = 0; f < kNumFeatures; ++f) {
      z[f] = (LinearTransform(f, x(i, f)) - mean[f]) / scale[f];
    }
    return z;
  }
  double Raw(const FeatureArray& x, int64_t i) const {
    const std::vector<double> z = Z(x, i);
    double e = intercept;
    for (int f = 0; f < kNumFeatures; ++f) e += w[f] * z[f];
    return e;
  }
};

inline Params ParamsOf(const Ranker& r) {
  const auto kv = SpecParams(r.spec());
  Params p;
  if (kv.count("intercept")) p.intercept = kv.at("intercept");
  if (kv.count("a")) p.a = kv.at("a");
  if (kv.count("b")) p.b = kv.at("b");
  for (const std::string& name : FeatureNames()) {
    INFO(name);
    REQUIRE(kv.count("w." + name) == 1);
    p.mean.push_back(kv.at("mean." + name));
    p.scale.push_back(kv.at("scale." + name));
    p.w.push_back(kv.at("w." + name));
  }
  return p;
}

inline std::vector<float> ScoreRows(const Ranker& r, const FeatureArray& x) {
  FeatureMatrix m;
  m.values = x;
  std::vector<float> out(x.rows());
  RequireOk(r.Score(m, absl::MakeSpan(out)));
  return out;
}

// Mean over groups of the fraction of (positive, negative) pairs of the group
// that `score` orders correctly (ties count half).
inline double GroupAuc(const std::vector<double>& score,
                       const std::vector<float>& label,
                       const std::vector<int64_t>& group) {
  std::map<int64_t, std::vector<size_t>> rows;
  for (size_t i = 0; i < group.size(); ++i) rows[group[i]].push_back(i);
  double sum = 0;
  int n = 0;
  for (const auto& [g, idx] : rows) {
    double good = 0, all = 0;
    for (size_t p : idx) {
      if (label[p] != 1) continue;
      for (size_t q : idx) {
        if (label[q] != 0) continue;
        all += 1;
        good += score[p] > score[q] ? 1.0 : score[p] == score[q] ? 0.5 : 0.0;
      }
    }
    if (all > 0) {
      sum += good / all;
      ++n;
    }
  }
  return n == 0 ? 0 : sum / n;
}

}  // namespace invitegraph::testing

#endif  // INVITEGRAPH_TESTS_LEARN_LEARN_TESTING_H_
