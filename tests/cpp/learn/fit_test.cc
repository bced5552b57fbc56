// FitRanker(): the logistic model recovers planted coefficients and meets its
// optimality conditions, calibration matches the base rate, the pairwise model
// recovers a planted order, results do not depend on the thread count, and
// bad input is refused with messages naming argument, row and value.
#include "invitegraph/fit.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "invitegraph/recommender.h"
#include "learn/learn_testing.h"
#include "testing/fixtures.h"

namespace invitegraph {
namespace {

using testing::CheckError;
using testing::Params;
using testing::ParamsOf;
using testing::Simulated;
using testing::Unwrap;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

FitOptions Options(std::string model, double l2, std::string class_weight) {
  FitOptions o;
  o.model = std::move(model);
  o.l2 = l2;
  o.class_weight = std::move(class_weight);
  return o;
}

std::unique_ptr<Ranker> Fit(const Simulated& s, const FitOptions& o,
                            FitReport* report = nullptr,
                            absl::Span<const float> weight = {}) {
  return Unwrap(FitRanker(s.x, s.label, weight, s.group, o, report));
}

TEST_CASE("logistic recovers planted coefficients and is calibrated",
          "[learn][fit]") {
  const Simulated s = testing::Simulate(200'000, -1.5, 11);
  const std::vector<double> beta = testing::TrueBeta();
  const double base_rate =
      std::accumulate(s.label.begin(), s.label.end(), 0.0) / s.label.size();
  REQUIRE(base_rate > 0.1);
  REQUIRE(base_rate < 0.4);
  for (const char* cw : {"none", "balanced"}) {
    CAPTURE(cw);
    FitReport report;
    const auto r = Fit(s, Options("logistic", 1e-3, cw), &report);
    CHECK(report.converged);
    CHECK(report.rows == 200'000);
    CHECK(report.pairs == 0);
    CHECK(report.iterations >= 2);
    CHECK(report.iterations < 20);
    const Params p = ParamsOf(*r);
    // Standardised coefficients (a * w_f) against the truth on the same scale
    // (beta_f * scale_f); the standard error is about 1 / sqrt(n p (1 - p))
    // = 0.006, so 0.03 is five of them.
    for (int f = 0; f < kNumFeatures; ++f) {
      INFO(FeatureNames()[f]);
      CHECK(std::abs(p.a * p.w[f] - beta[f] * p.scale[f]) < 0.03);
    }
    // The constant column: exact mean, unit scale, zero weight.
    CHECK(p.w[testing::kConstantFeature] == 0.0);
    CHECK(p.scale[testing::kConstantFeature] == 1.0);
    CHECK(p.mean[testing::kConstantFeature] == 0.0);
    // Calibrated probabilities track the true ones; their mean is the base
    // rate (Platt's intercept is unpenalised, so this holds at the optimum).
    const std::vector<float> score = testing::ScoreRows(*r, s.x);
    double mean = 0, worst = 0;
    for (size_t i = 0; i < score.size(); ++i) {
      mean += score[i];
      worst = std::max(worst,
                       std::abs(score[i] - testing::Sigmoid(s.true_logit[i])));
    }
    mean /= score.size();
    CHECK(mean == Approx(base_rate).margin(1e-5));
    // The 99.9th percentile of the error is the stable measure; the maximum
    // over 200k rows is an extreme value that grows with every fitted
    // coefficient (0.040 at 30 features, 0.043 at 34), so it gets a looser
    // bound.
    std::vector<double> err(score.size());
    for (size_t i = 0; i < score.size(); ++i)
      err[i] = std::abs(score[i] - testing::Sigmoid(s.true_logit[i]));
    std::nth_element(err.begin(), err.begin() + err.size() * 999 / 1000,
                     err.end());
    CHECK(err[err.size() * 999 / 1000] < 0.03);
    CHECK(worst < 0.06);
    if (std::string(cw) == "none") {
      // Platt on an (almost) unpenalised MLE is (almost) the identity.
      CHECK(p.a == Approx(1.0).margin(0.01));
      CHECK(p.b == Approx(0.0).margin(0.01));
    } else {
      // Balancing weighs positives by n0/n1 more than negatives, which adds
      // log(n0 / n1) to the intercept; Platt takes it off again.
      CHECK(p.a == Approx(1.0).margin(0.02));
      CHECK(p.b == Approx(-std::log((1 - base_rate) / base_rate)).margin(0.05));
    }
  }
}

// The first-order conditions, computed here from the spec by brute force:
// the fitted parameters must zero the gradient of the documented objective.
TEST_CASE("logistic fit zeroes the gradient of the documented objective",
          "[learn][fit]") {
  const Simulated s = testing::Simulate(5000, -1.0, 12);
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<float> unit(0.0f, 2.0f);
  std::vector<float> weight(s.label.size());
  for (float& w : weight) w = unit(rng) < 0.2f ? 0.0f : unit(rng);
  for (const char* cw : {"none", "balanced"}) {
    CAPTURE(cw);
    const double l2 = 2.0;
    const auto r = Fit(s, Options("logistic", l2, cw), nullptr, weight);
    const Params p = ParamsOf(*r);
    const int64_t n = s.x.rows();
    // Standardisation: weighted mean 0, weighted variance 1 (but constants).
    double sw = 0, class_w[2] = {0, 0};
    std::vector<double> zmean(kNumFeatures, 0), zvar(kNumFeatures, 0);
    for (int64_t i = 0; i < n; ++i) {
      if (weight[i] <= 0) continue;
      const std::vector<double> z = p.Z(s.x, i);
      sw += weight[i];
      class_w[s.label[i] == 1] += weight[i];
      for (int f = 0; f < kNumFeatures; ++f) {
        zmean[f] += weight[i] * z[f];
        zvar[f] += weight[i] * z[f] * z[f];
      }
    }
    for (int f = 0; f < kNumFeatures; ++f) {
      INFO(FeatureNames()[f]);
      CHECK(std::abs(zmean[f] / sw) < 1e-6);
      if (f != testing::kConstantFeature) {
        CHECK(zvar[f] / sw == Approx(1.0).epsilon(1e-6));
      }
    }
    // Gradient of sum_i s_i logloss + l2/2 |w|^2 at the fit.
    const bool balanced = std::string(cw) == "balanced";
    const double mult[2] = {balanced ? sw / (2 * class_w[0]) : 1.0,
                            balanced ? sw / (2 * class_w[1]) : 1.0};
    std::vector<double> grad(1 + kNumFeatures, 0.0);
    double platt_a = 0, platt_b = 0;
    for (int64_t i = 0; i < n; ++i) {
      const std::vector<double> z = p.Z(s.x, i);
      const double raw = p.Raw(s.x, i);
      const int y = s.label[i] == 1 ? 1 : 0;
      const double si = weight[i] * mult[y];
      const double resid = si * (testing::Sigmoid(raw) - y);
      grad[0] += resid;
      for (int f = 0; f < kNumFeatures; ++f) grad[1 + f] += resid * z[f];
      // Platt's conditions use the original weights.
      const double q = testing::Sigmoid(p.a * raw + p.b);
      platt_a += weight[i] * (q - y) * raw;
      platt_b += weight[i] * (q - y);
    }
    for (int f = 0; f < kNumFeatures; ++f) grad[1 + f] += l2 * p.w[f];
    for (size_t j = 0; j < grad.size(); ++j) {
      INFO("coefficient " << j);
      CHECK(std::abs(grad[j]) < 1e-6 * sw);
    }
    CHECK(std::abs(platt_a) < 1e-6 * sw);
    CHECK(std::abs(platt_b) < 1e-6 * sw);
    // A perturbed solution is worse: the gradient test is not vacuous.
    CHECK(std::abs(p.w[0]) > 0.05);
  }
}

TEST_CASE("pairwise recovers a planted order", "[learn][fit]") {
  // Under independent logistic labels, P(p is the positive of a discordant
  // pair) = sigmoid(logit_p - logit_q): the pairwise loss is the conditional
  // likelihood, so it recovers the slopes.
  const Simulated s = testing::Simulate(100'000, -2.0, 13);
  const std::vector<double> beta = testing::TrueBeta();
  FitOptions o = Options("pairwise", 1e-3, "none");
  o.max_pairs_per_positive = 20;
  FitReport report;
  const auto r = Fit(s, o, &report);
  CHECK(report.converged);
  CHECK(report.pairs > 10'000);
  const Params p = ParamsOf(*r);
  CHECK(p.intercept == 0.0);
  // Platt scaling of the score: the true model is logistic with slope 1 in
  // these units, so a comes out near 1 and the scores are P(join).
  CHECK(r->calibrated());
  CHECK(std::abs(p.a - 1.0) < 0.05);
  for (int f = 0; f < kNumFeatures; ++f) {
    INFO(FeatureNames()[f]);
    CHECK(std::abs(p.w[f] - beta[f] * p.scale[f]) < 0.06);
  }
  // On fresh groups the fitted order is as good as the true one.
  const Simulated test = testing::Simulate(40'000, -2.0, 14);
  const std::vector<float> fitted = testing::ScoreRows(*r, test.x);
  const double auc_fit =
      testing::GroupAuc(std::vector<double>(fitted.begin(), fitted.end()),
                        test.label, test.group);
  const double auc_true =
      testing::GroupAuc(test.true_logit, test.label, test.group);
  CAPTURE(auc_fit, auc_true);
  CHECK(auc_true > 0.75);
  CHECK(auc_fit > auc_true - 0.005);
  // Calibrated: the mean score on fresh rows is their base rate.
  double mean_score = 0, base_rate = 0;
  for (int64_t i = 0; i < test.x.rows(); ++i) {
    mean_score += fitted[i];
    base_rate += test.label[i];
  }
  CHECK(mean_score / test.x.rows() ==
        Approx(base_rate / test.x.rows()).margin(0.01));
  // Explain's parts and b add up to the logit of the score (no intercept).
  FeatureMatrix m;
  m.values = test.x;
  std::vector<float> parts(kNumFeatures);
  for (int64_t row : {0, 17, 39'999}) {
    testing::RequireOk(r->Explain(m, row, absl::MakeSpan(parts)));
    double logit = p.b;
    for (float v : parts) logit += v;
    const double q = fitted[row];
    CHECK(logit == Approx(std::log(q / (1 - q))).margin(1e-3));
  }
}

TEST_CASE("a pairwise spec without a and b scores the raw sum, as saved",
          "[learn][fit]") {
  // Pairwise rankers saved before they were calibrated keep their scores.
  const Simulated s = testing::Simulate(5'000, -1.0, 21);
  const auto fitted = Fit(s, Options("pairwise", 1.0, "none"));
  const Params p = ParamsOf(*fitted);
  std::string spec = fitted->spec();
  for (const std::string key : {"a=", "b="}) {
    const size_t at = spec.find(key);
    REQUIRE(at != std::string::npos);
    spec.erase(at, spec.find(',', at) + 1 - at);
  }
  const auto old = Unwrap(MakeRanker(spec));
  CHECK_FALSE(old->calibrated());
  CHECK(old->spec() == spec);
  const std::vector<float> raw = testing::ScoreRows(*old, s.x);
  const std::vector<float> q = testing::ScoreRows(*fitted, s.x);
  for (int64_t row = 0; row < 500; row += 13) {
    CHECK(raw[row] == Approx(p.Raw(s.x, row)).margin(1e-4));
    CHECK(q[row] ==
          Approx(testing::Sigmoid(p.a * raw[row] + p.b)).margin(1e-6));
  }
}

TEST_CASE("pairwise pairs each positive with sampled negatives of its group",
          "[learn][fit]") {
  const Simulated s = testing::Simulate(3000, -1.0, 15, 25);
  std::vector<float> weight(s.label.size(), 1.0f);
  for (size_t i = 0; i < weight.size(); i += 9) weight[i] = 0.0f;
  // Brute-force counts per group, rows of weight 0 left out.
  std::map<int64_t, std::pair<int64_t, int64_t>> counts;
  for (size_t i = 0; i < s.label.size(); ++i) {
    if (weight[i] == 0) continue;
    auto& c = counts[s.group[i]];
    (s.label[i] == 1 ? c.first : c.second)++;
  }
  for (int m : {0, 3, 1000}) {
    CAPTURE(m);
    int64_t want = 0;
    for (const auto& [g, c] : counts) {
      want += c.first * (m == 0 ? c.second : std::min<int64_t>(m, c.second));
    }
    FitOptions o = Options("pairwise", 1.0, "balanced");
    o.max_pairs_per_positive = m;
    FitReport report;
    Fit(s, o, &report, weight);
    CHECK(report.pairs == want);
  }
  // All pairs: the fit does not depend on where a group's rows are.
  FitOptions all = Options("pairwise", 1.0, "none");
  all.max_pairs_per_positive = 0;
  Simulated shuffled = s;
  std::vector<int64_t> perm(s.x.rows());
  std::iota(perm.begin(), perm.end(), 0);
  std::shuffle(perm.begin(), perm.end(), std::mt19937_64(3));
  for (int64_t i = 0; i < s.x.rows(); ++i) {
    shuffled.x.row(i) = s.x.row(perm[i]);
    shuffled.label[i] = s.label[perm[i]];
    shuffled.group[i] = s.group[perm[i]];
  }
  const auto a = Fit(s, all);
  const auto b = Fit(shuffled, all);
  const std::vector<float> sa = testing::ScoreRows(*a, s.x);
  const std::vector<float> sb = testing::ScoreRows(*b, s.x);
  for (size_t i = 0; i < sa.size(); i += 97) {
    CHECK(sa[i] == Approx(sb[i]).margin(1e-4));
  }
}

TEST_CASE("fits are bit-identical for any thread count", "[learn][fit]") {
  // 100k rows: seven chunks of 16384, so threads really split the work.
  const Simulated s = testing::Simulate(100'000, -1.5, 16);
  for (const char* model : {"logistic", "pairwise"}) {
    CAPTURE(model);
    FitOptions o = Options(model, 0.5, "balanced");
    o.max_pairs_per_positive = 5;
    o.seed = 42;
    std::vector<std::string> specs;
    std::vector<FitReport> reports;
    for (int threads : {1, 2, 3}) {
      o.num_threads = threads;
      FitReport report;
      specs.push_back(Fit(s, o, &report)->spec());
      reports.push_back(report);
    }
    CHECK(specs[0] == specs[1]);
    CHECK(specs[0] == specs[2]);
    for (const FitReport& r : reports) {
      CHECK(r.iterations == reports[0].iterations);
      CHECK(r.final_loss == reports[0].final_loss);
      CHECK(r.pairs == reports[0].pairs);
    }
    // The seed matters to pairwise sampling, and only there.
    o.seed = 43;
    const std::string other = Fit(s, o)->spec();
    if (std::string(model) == "pairwise") {
      CHECK(other != specs[0]);
    } else {
      CHECK(other == specs[0]);
    }
  }
}

TEST_CASE("learned specs round-trip and Explain adds up to the logit",
          "[learn][fit]") {
  const Simulated s = testing::Simulate(20'000, -1.0, 17);
  for (const char* model : {"logistic", "pairwise"}) {
    CAPTURE(model);
    const auto r = Fit(s, Options(model, 1.0, "balanced"));
    CHECK(r->spec().rfind(std::string(model) + "(", 0) == 0);
    CHECK(
        std::vector<std::string>(r->schema().begin(), r->schema().end()) ==
        std::vector<std::string>(FeatureNames().begin(), FeatureNames().end()));
    const auto back = Unwrap(MakeRanker(r->spec()));
    CHECK(back->spec() == r->spec());
    const std::vector<float> score = testing::ScoreRows(*r, s.x);
    CHECK(testing::ScoreRows(*back, s.x) == score);

    const Params p = ParamsOf(*r);
    const double bias = p.a * p.intercept + p.b;
    FeatureMatrix m;
    m.values = s.x;
    std::vector<float> parts(kNumFeatures);
    int checked = 0;
    for (int64_t row = 0; row < 2000; row += 7) {
      testing::RequireOk(r->Explain(m, row, absl::MakeSpan(parts)));
      double logit = bias;
      for (float v : parts) logit += v;
      // The documented per-feature part, from the spec by hand.
      const std::vector<double> z = p.Z(s.x, row);
      for (int f = 0; f < kNumFeatures; ++f) {
        CHECK(parts[f] == Approx(p.a * p.w[f] * z[f]).margin(1e-5));
      }
      // Both models are calibrated: the parts add up to the logit.
      const double q = score[row];
      if (q < 0.02 || q > 0.98) continue;
      CHECK(logit == Approx(std::log(q / (1 - q))).margin(1e-4));
      CHECK(testing::Sigmoid(p.a * p.Raw(s.x, row) + p.b) ==
            Approx(q).margin(1e-6));
      ++checked;
    }
    CHECK(checked > 100);
    CHECK(r->Explain(m, s.x.rows(), absl::MakeSpan(parts)).code() == kInvalid);
    CHECK(r->Explain(m, -1, absl::MakeSpan(parts)).code() == kInvalid);
  }
}

TEST_CASE("learned specs refuse unknown keys and foreign feature sets",
          "[learn][fit]") {
  CheckError(MakeRanker("logistic(bogus=1)").status(), kInvalid,
             {"bogus", "intercept", "w.<feature>", "tie_strength"});
  CheckError(MakeRanker("pairwise(intercept=1)").status(), kInvalid,
             {"intercept"});
  CheckError(MakeRanker("logistic(w.not_a_feature=1)").status(), kInvalid,
             {"w.not_a_feature"});
  CheckError(MakeRanker("logistic(a=nan)").status(), kInvalid, {"a=nan"});
  // A calibrated pairwise model keeps its order: its slope must be positive.
  CheckError(MakeRanker("pairwise(a=-0.5,b=1)").status(), kInvalid,
             {"pairwise: a=-0.5 must be > 0", "reverse"});
  CheckError(MakeRanker("pairwise(a=0)").status(), kInvalid, {"a=0"});
  CheckError(MakeRanker("logistic(w.tie_strength=1)").status(), kInvalid,
             {"no weight for", "w.reverse_tie_strength"});
  // A full spec minus one feature's weight: as if trained on other features.
  const Simulated s = testing::Simulate(2000, -1.0, 18);
  const std::string spec = Fit(s, Options("logistic", 1.0, "balanced"))->spec();
  const std::string key = "w." + FeatureNames().back() + "=";
  const size_t at = spec.find(key);
  REQUIRE(at != std::string::npos);
  const std::string cut =
      spec.substr(0, at - 1) + spec.substr(spec.find_first_of(",)", at));
  CheckError(MakeRanker(cut).status(), kInvalid,
             {"no weight for", "w." + FeatureNames().back()});
  // Scales must be positive.
  std::string zero_scale = spec;
  const std::string scale_key = "scale." + FeatureNames()[0] + "=";
  const size_t sat = zero_scale.find(scale_key) + scale_key.size();
  zero_scale.replace(sat, zero_scale.find(',', sat) - sat, "0");
  CheckError(MakeRanker(zero_scale).status(), kInvalid, {scale_key, "> 0"});
  // A learned kind without weights is refused, not a constant ranker.
  CheckError(MakeRanker("logistic").status(), kInvalid,
             {"logistic has no weights", "FitRanker", "LoadRanker"});
  CheckError(MakeRanker("pairwise(scale.jaccard=2)").status(), kInvalid,
             {"no weight for"});
}

TEST_CASE("FitRanker refuses bad input naming argument, row and value",
          "[learn][fit]") {
  const Simulated s = testing::Simulate(500, -1.0, 19);
  const FitOptions o = Options("logistic", 1.0, "balanced");
  auto fit = [&](const FeatureArray& x, absl::Span<const float> label,
                 absl::Span<const float> weight,
                 absl::Span<const int64_t> group, const FitOptions& opt) {
    return FitRanker(x, label, weight, group, opt).status();
  };
  const std::vector<float> w(500, 1.0f);
  // Shapes.
  FeatureArray narrow(10, kNumFeatures - 1);
  narrow.setZero();
  CheckError(fit(narrow, std::vector<float>(10), {}, {}, o), kInvalid,
             {"x has", "columns"});
  CheckError(fit(FeatureArray(0, kNumFeatures), {}, {}, {}, o), kInvalid,
             {"no rows"});
  CheckError(fit(s.x, absl::MakeSpan(s.label).subspan(1), {}, {}, o), kInvalid,
             {"label has 499 entries for 500 rows"});
  CheckError(fit(s.x, s.label, std::vector<float>(3, 1.0f), {}, o), kInvalid,
             {"weight has 3 entries"});
  CheckError(fit(s.x, s.label, {}, std::vector<int64_t>(4), o), kInvalid,
             {"group has 4 entries"});
  // Values.
  std::vector<float> label = s.label;
  label[7] = 2.0f;
  CheckError(fit(s.x, label, {}, {}, o), kInvalid, {"label[7]=2", "0 or 1"});
  std::vector<float> bad_w = w;
  bad_w[9] = -1.0f;
  CheckError(fit(s.x, s.label, bad_w, {}, o), kInvalid, {"weight[9]=-1"});
  bad_w[9] = NAN;
  CheckError(fit(s.x, s.label, bad_w, {}, o), kInvalid, {"weight[9]=nan"});
  FeatureArray x = s.x;
  x(12, kAdamicAdar) = INFINITY;
  x(40, kJaccard) = NAN;
  CheckError(fit(x, s.label, {}, {}, o), kInvalid,
             {"x[12, adamic_adar]=inf", "not finite"});
  x = s.x;
  x(3, kDaysSinceLastInteraction) = -1e30f;  // exp(-days / 30) overflows
  CheckError(fit(x, s.label, {}, {}, o), kInvalid,
             {"x[3, days_since_last_interaction]", "non-finite transform"});
  // One class.
  CheckError(fit(s.x, std::vector<float>(500, 0.0f), {}, {}, o), kInvalid,
             {"only one class"});
  std::vector<float> only_neg_weight(500, 0.0f);
  for (int i = 0; i < 500; ++i)
    if (s.label[i] == 0) only_neg_weight[i] = 1.0f;
  CheckError(fit(s.x, s.label, only_neg_weight, {}, o), kInvalid,
             {"only one class"});
  // Options.
  auto with = [&](auto change) {
    FitOptions copy = o;
    change(copy);
    return copy;
  };
  CheckError(fit(s.x, s.label, {}, {},
                 with([](FitOptions& c) { c.model = "forest"; })),
             kInvalid, {"model='forest'", "logistic", "pairwise"});
  CheckError(fit(s.x, s.label, {}, {},
                 with([](FitOptions& c) { c.class_weight = "auto"; })),
             kInvalid, {"class_weight='auto'"});
  CheckError(fit(s.x, s.label, {}, {}, with([](FitOptions& c) { c.l2 = -1; })),
             kInvalid, {"l2=-1"});
  CheckError(
      fit(s.x, s.label, {}, {}, with([](FitOptions& c) { c.max_iter = 0; })),
      kInvalid, {"max_iter=0"});
  CheckError(fit(s.x, s.label, {}, {},
                 with([](FitOptions& c) { c.max_pairs_per_positive = -2; })),
             kInvalid, {"max_pairs_per_positive=-2"});
  CheckError(fit(s.x, s.label, {}, {},
                 with([](FitOptions& c) { c.num_threads = -1; })),
             kInvalid, {"num_threads=-1"});
  // Pairwise needs groups, and groups holding both classes.
  const FitOptions pw = Options("pairwise", 1.0, "none");
  CheckError(fit(s.x, s.label, {}, {}, pw), kInvalid,
             {"group is empty", "pairwise"});
  std::vector<int64_t> by_label(500);
  for (int i = 0; i < 500; ++i) by_label[i] = s.label[i] == 1 ? 1 : 2;
  CheckError(fit(s.x, s.label, {}, by_label, pw), kInvalid,
             {"no group holds both"});
}

TEST_CASE("fit progress runs up to max_iter from the calling thread",
          "[learn][fit]") {
  const Simulated s = testing::Simulate(30'000, -1.0, 20);
  FitOptions o = Options("logistic", 1.0, "balanced");
  o.num_threads = 2;
  std::vector<std::pair<int64_t, int64_t>> calls;
  o.progress = [&](int64_t done, int64_t total) {
    calls.emplace_back(done, total);
  };
  FitReport report;
  Fit(s, o, &report);
  REQUIRE(calls.size() == static_cast<size_t>(report.iterations) + 1);
  for (size_t i = 0; i + 1 < calls.size(); ++i) {
    CHECK(calls[i].first == static_cast<int64_t>(i) + 1);
    CHECK(calls[i].second == o.max_iter);
  }
  CHECK(calls.back() == std::pair<int64_t, int64_t>(o.max_iter, o.max_iter));
  // max_iter = 1 stops early without claiming convergence.
  o.max_iter = 1;
  o.progress = {};
  Fit(s, o, &report);
  CHECK(report.iterations == 1);
  CHECK_FALSE(report.converged);
}

// A ranker trained on other features than this build's.
class ForeignRanker final : public Ranker {
 public:
  ForeignRanker() : names_(FeatureNames().begin(), FeatureNames().end()) {
    std::swap(names_[1], names_[2]);
  }
  std::string spec() const override { return "foreign"; }
  absl::Span<const std::string> schema() const override { return names_; }

 private:
  absl::Status ScoreImpl(const FeatureMatrix&,
                         absl::Span<float> out) const override {
    std::fill(out.begin(), out.end(), 0.0f);
    return absl::OkStatus();
  }
  std::vector<std::string> names_;
};

TEST_CASE("the recommender uses learned rankers and refuses foreign schemas",
          "[learn][fit]") {
  const testing::RandomEvents e =
      testing::MakeRandomEvents({.num_users = 200,
                                 .num_friendships = 600,
                                 .num_interactions = 1500,
                                 .seed = 21});
  const SocialGraph g = Unwrap(testing::BuildGraph(e));
  const Recommender base = Unwrap(Recommender::Create(g));
  // Training rows: candidates of 60 inviters, "joined" when tie strength is
  // high (plus noise), one group per request.
  FeatureArray x(0, kNumFeatures);
  std::vector<float> label;
  std::vector<int64_t> group;
  std::mt19937_64 rng(4);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int i = 0; i < 60; ++i) {
    const UserId inviter = testing::RandomUserId(i);
    auto f = base.Features(inviter, Campaign{.item = 701});
    if (!f.ok()) continue;
    const int64_t old = x.rows();
    x.conservativeResize(old + f->rows(), kNumFeatures);
    x.bottomRows(f->rows()) = f->values;
    for (int64_t r = 0; r < f->rows(); ++r) {
      const double tie = f->values(r, kTieStrength);
      label.push_back(unit(rng) < testing::Sigmoid(2 * tie - 2) ? 1.0f : 0.0f);
      group.push_back(i);
    }
  }
  REQUIRE(x.rows() > 200);
  for (const char* model : {"logistic", "pairwise"}) {
    CAPTURE(model);
    std::shared_ptr<const Ranker> r =
        Unwrap(FitRanker(x, label, {}, group, Options(model, 1.0, "balanced")));
    const Recommender rec = Unwrap(Recommender::Create(g, {}, r));
    const UserId inviter = testing::RandomUserId(0);
    const std::vector<Suggestion> s =
        Unwrap(rec.Recommend(inviter, Campaign{.item = 701}, 5));
    REQUIRE(!s.empty());
    // Its scores are the ranker's scores of the feature rows.
    const FeatureMatrix f = Unwrap(rec.Features(inviter, {.item = 701}));
    std::vector<float> want(f.rows());
    testing::RequireOk(r->Score(f, absl::MakeSpan(want)));
    CHECK(s[0].score == *std::max_element(want.begin(), want.end()));
  }
  CheckError(
      Recommender::Create(g, {}, std::make_shared<ForeignRanker>()).status(),
      kInvalid,
      {"position 1", FeatureNames()[1], FeatureNames()[2], "reordered"});
}

}  // namespace
}  // namespace invitegraph
