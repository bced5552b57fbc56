#include "ranking/learned_ranker.h"

#include <array>
#include <cmath>
#include <string_view>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "internal/strings.h"
#include "invitegraph/features.h"

namespace invitegraph::internal {

LearnedLinearModel EmptyLearnedModel() {
  LearnedLinearModel m;
  m.mean.assign(kNumFeatures, 0.0);
  m.scale.assign(kNumFeatures, 1.0);
  m.w.assign(kNumFeatures, 0.0);
  return m;
}

namespace {

// %.17g prints every double so that strtod reads back the same bits.
std::string Num(double v) { return absl::StrFormat("%.17g", v); }

// Scores and explains both kinds. The calibrated logit is
//   bias + sum_f coef_f * (T_f(x_f) - mean_f)
// with bias = a * intercept + b and coef_f = a * w_f / scale_f. Score() and
// Explain() use the same terms, so Explain's parts add up to the logit.
class LearnedLinearRanker : public Ranker {
 public:
  LearnedLinearRanker(std::string kind, bool calibrated, LearnedLinearModel m)
      : kind_(std::move(kind)),
        calibrated_(calibrated),
        m_(std::move(m)),
        schema_(FeatureNames().begin(), FeatureNames().end()) {
    bias_ = m_.a * m_.intercept + m_.b;
    coef_.resize(kNumFeatures);
    for (int f = 0; f < kNumFeatures; ++f)
      coef_[f] = m_.a * m_.w[f] / m_.scale[f];
  }

  std::string spec() const override {
    std::vector<std::string> parts;
    if (calibrated_) {
      if (kind_ == "logistic") {
        parts.push_back(absl::StrCat("intercept=", Num(m_.intercept)));
      }
      parts.push_back(absl::StrCat("a=", Num(m_.a)));
      parts.push_back(absl::StrCat("b=", Num(m_.b)));
    }
    const auto names = FeatureNames();
    for (int f = 0; f < kNumFeatures; ++f) {
      parts.push_back(absl::StrCat("mean.", names[f], "=", Num(m_.mean[f])));
      parts.push_back(absl::StrCat("scale.", names[f], "=", Num(m_.scale[f])));
      parts.push_back(absl::StrCat("w.", names[f], "=", Num(m_.w[f])));
    }
    return absl::StrCat(kind_, "(", Join(parts, ","), ")");
  }

  absl::Span<const std::string> schema() const override { return schema_; }
  bool calibrated() const override { return calibrated_; }
  // The logit is bias + sum_f coef_f * T_f(x_f) - sum_f coef_f * mean_f, and
  // the score increases with it.
  std::optional<std::array<float, kNumFeatures>> FirstStageWeights()
      const override {
    std::array<float, kNumFeatures> a;
    for (int f = 0; f < kNumFeatures; ++f) a[f] = static_cast<float>(coef_[f]);
    return a;
  }

  // out[f] = coef_f * (T_f(x_f) - mean_f): feature f's part of the calibrated
  // logit (logistic) or of the score (pairwise); bias + sum(out) = logit.
  absl::Status Explain(const FeatureMatrix& x, int64_t row,
                       absl::Span<float> out) const override {
    if (x.values.cols() != kNumFeatures) {
      return absl::InvalidArgumentError(
          absl::StrCat(kind_, ": Explain: feature matrix has ", x.values.cols(),
                       " columns, expected ", kNumFeatures));
    }
    if (row < 0 || row >= x.rows() || out.size() != kNumFeatures) {
      return absl::InvalidArgumentError(
          absl::StrCat(kind_, ": Explain: bad row ", row, " of ", x.rows(),
                       " or output size ", out.size()));
    }
    const float* r = x.values.row(row).data();
    for (int f = 0; f < kNumFeatures; ++f)
      out[f] = static_cast<float>(Part(f, r[f]));
    return absl::OkStatus();
  }

 private:
  double Part(int f, float x) const {
    if (coef_[f] == 0) return 0;
    return coef_[f] * (static_cast<double>(LinearTransform(f, x)) - m_.mean[f]);
  }

  absl::Status ScoreImpl(const FeatureMatrix& x,
                         absl::Span<float> out) const override {
    for (int64_t i = 0; i < x.rows(); ++i) {
      const float* r = x.values.row(i).data();
      double logit = bias_;
      for (int f = 0; f < kNumFeatures; ++f) logit += Part(f, r[f]);
      out[i] = static_cast<float>(calibrated_ ? 1.0 / (1.0 + std::exp(-logit))
                                              : logit);
    }
    return absl::OkStatus();
  }

  std::string kind_;
  bool calibrated_;
  LearnedLinearModel m_;
  std::vector<std::string> schema_;
  double bias_;
  std::vector<double> coef_;
};

class LogisticRanker final : public LearnedLinearRanker {
 public:
  explicit LogisticRanker(LearnedLinearModel m)
      : LearnedLinearRanker("logistic", true, std::move(m)) {}
};

class PairwiseRanker final : public LearnedLinearRanker {
 public:
  PairwiseRanker(LearnedLinearModel m, bool calibrated)
      : LearnedLinearRanker("pairwise", calibrated, std::move(m)) {}
};

// Logistic specs take intercept, a and b; pairwise specs a and b (Platt
// scaling of the score) and are calibrated when they give either.
absl::StatusOr<LearnedLinearModel> ParseModel(
    std::string_view kind, bool logistic,
    const std::vector<std::pair<std::string, std::string>>& params,
    bool* calibrated) {
  *calibrated = logistic;
  LearnedLinearModel m = EmptyLearnedModel();
  const auto names = FeatureNames();
  std::vector<bool> has_w(kNumFeatures, false);
  bool any_feature_key = false;
  auto unknown = [&](const std::string& key) {
    return absl::InvalidArgumentError(absl::StrCat(
        Sv(kind), ": unknown key '", key,
        "'; keys: ", logistic ? "intercept, " : "", "a, b, ",
        "mean.<feature>, scale.<feature>, w.<feature> with <feature> one of: ",
        Join(names, ", ")));
  };
  for (const auto& [key, value] : params) {
    double v;
    if (!absl::SimpleAtod(value, &v) || !std::isfinite(v)) {
      return absl::InvalidArgumentError(absl::StrCat(
          Sv(kind), ": ", key, "=", value, " is not a finite number"));
    }
    if (logistic && key == "intercept") {
      m.intercept = v;
      continue;
    }
    if (key == "a" || key == "b") {
      // A pairwise model's order is the model: a slope <= 0 would keep its
      // scores but reverse their order.
      if (!logistic && key == "a" && !(v > 0)) {
        return absl::InvalidArgumentError(
            absl::StrCat(Sv(kind), ": a=", value,
                         " must be > 0 (a Platt slope <= 0 would reverse the "
                         "model's order)"));
      }
      (key == "a" ? m.a : m.b) = v;
      *calibrated = true;
      continue;
    }
    const size_t dot = key.find('.');
    if (dot == std::string::npos) return unknown(key);
    const std::string prefix = key.substr(0, dot);
    auto f = FeatureIndex(std::string_view(key).substr(dot + 1));
    if (!f.ok() || (prefix != "mean" && prefix != "scale" && prefix != "w")) {
      return unknown(key);
    }
    any_feature_key = true;
    if (prefix == "mean") {
      m.mean[*f] = v;
    } else if (prefix == "scale") {
      if (!(v > 0)) {
        return absl::InvalidArgumentError(
            absl::StrCat(Sv(kind), ": ", key, "=", value, " must be > 0"));
      }
      m.scale[*f] = v;
    } else {
      m.w[*f] = v;
      has_w[*f] = true;
    }
  }
  if (!any_feature_key) {
    // A bare "logistic" would be a model that knows nothing: refuse it rather
    // than rank by a constant.
    return absl::InvalidArgumentError(absl::StrCat(
        Sv(kind),
        " has no weights: fit one (FitRanker; Python fit_ranker) or "
        "load a saved one (LoadRanker; Python load_ranker); its spec "
        "lists every w.<feature>"));
  }
  {
    std::vector<std::string> missing;
    for (int f = 0; f < kNumFeatures; ++f) {
      if (!has_w[f]) missing.push_back(absl::StrCat("w.", names[f]));
    }
    if (!missing.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          Sv(kind), ": the spec has no weight for ", Join(missing, ", "),
          "; it was probably made for another feature set (give every "
          "w.<feature>)"));
    }
  }
  return m;
}

}  // namespace

std::unique_ptr<Ranker> NewLogisticRanker(LearnedLinearModel m) {
  return std::make_unique<LogisticRanker>(std::move(m));
}

std::unique_ptr<Ranker> NewPairwiseRanker(LearnedLinearModel m,
                                          bool calibrated) {
  return std::make_unique<PairwiseRanker>(std::move(m), calibrated);
}

absl::StatusOr<std::unique_ptr<Ranker>> MakeLogisticRanker(
    const std::vector<std::pair<std::string, std::string>>& params) {
  bool calibrated;
  auto m = ParseModel("logistic", true, params, &calibrated);
  if (!m.ok()) return m.status();
  return NewLogisticRanker(*std::move(m));
}

absl::StatusOr<std::unique_ptr<Ranker>> MakePairwiseRanker(
    const std::vector<std::pair<std::string, std::string>>& params) {
  bool calibrated;
  auto m = ParseModel("pairwise", false, params, &calibrated);
  if (!m.ok()) return m.status();
  return NewPairwiseRanker(*std::move(m), calibrated);
}

}  // namespace invitegraph::internal
