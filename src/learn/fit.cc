// FitRanker(): input checks, the shared standardisation, and the logistic and
// pairwise problems handed to the Newton solver (learn/newton.h).
#include "invitegraph/fit.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <numeric>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "internal/parallel.h"
#include "internal/rng.h"
#include "invitegraph/status.h"
#include "learn/newton.h"
#include "ranking/learned_ranker.h"

namespace invitegraph {

namespace {

using internal::kFitChunkRows;
using internal::LearnedLinearModel;

constexpr int kF = kNumFeatures;

absl::Status CheckOptions(const FitOptions& o) {
  auto bad = [](auto&&... parts) {
    return absl::InvalidArgumentError(absl::StrCat("FitOptions.", parts...));
  };
  if (o.model != "logistic" && o.model != "pairwise") {
    return bad("model='", o.model, "': expected 'logistic' or 'pairwise'");
  }
  if (o.class_weight != "balanced" && o.class_weight != "none") {
    return bad("class_weight='", o.class_weight,
               "': expected 'balanced' or 'none'");
  }
  if (!std::isfinite(o.l2) || o.l2 < 0) {
    return bad("l2=", o.l2, ": must be finite and >= 0");
  }
  if (o.max_iter < 1) return bad("max_iter=", o.max_iter, ": must be >= 1");
  if (!std::isfinite(o.tol) || o.tol < 0) {
    return bad("tol=", o.tol, ": must be finite and >= 0");
  }
  if (o.max_pairs_per_positive < 0) {
    return bad("max_pairs_per_positive=", o.max_pairs_per_positive,
               ": must be >= 0 (0 = all negatives)");
  }
  if (o.num_threads < 0) {
    return bad("num_threads=", o.num_threads, ": must be >= 0 (0 = all)");
  }
  return absl::OkStatus();
}

absl::Status CheckColumns(const FeatureArray& x, absl::Span<const float> label,
                          absl::Span<const float> weight,
                          absl::Span<const int64_t> group,
                          const FitOptions& o) {
  const int64_t n = x.rows();
  if (x.cols() != kF) {
    return absl::InvalidArgumentError(
        absl::StrCat("x has ", x.cols(), " columns, expected ", kF,
                     " (one per FeatureNames() entry, in that order)"));
  }
  if (n == 0) return absl::InvalidArgumentError("x has no rows");
  auto length = [n](const char* name, size_t size) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, " has ", size, " entries for ", n, " rows of x"));
  };
  if (static_cast<int64_t>(label.size()) != n)
    return length("label", label.size());
  if (!weight.empty() && static_cast<int64_t>(weight.size()) != n) {
    return length("weight", weight.size());
  }
  if (o.model == "pairwise" && group.empty()) {
    return absl::InvalidArgumentError(
        "group is empty: the pairwise model (the default) pairs rows within "
        "groups (campaigns), so it needs one group id per row; for rows "
        "without campaigns, fit model=\"logistic\"");
  }
  if (!group.empty() && static_cast<int64_t>(group.size()) != n) {
    return length("group", group.size());
  }
  for (int64_t i = 0; i < n; ++i) {
    if (label[i] != 0.0f && label[i] != 1.0f) {
      return absl::InvalidArgumentError(
          absl::StrCat("label[", i, "]=", label[i], ": must be 0 or 1"));
    }
  }
  for (size_t i = 0; i < weight.size(); ++i) {
    if (!std::isfinite(weight[i]) || weight[i] < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "weight[", i, "]=", weight[i], ": must be finite and >= 0"));
    }
  }
  return absl::OkStatus();
}

// Transformed features, checked: t(i, f) = LinearTransform(f, x(i, f)).
absl::StatusOr<FeatureArray> Transform(const FeatureArray& x, int threads) {
  FeatureArray t(x.rows(), kF);
  INVITEGRAPH_RETURN_IF_ERROR(internal::ParallelForRange(
      x.rows(), threads, kFitChunkRows,
      [&](int64_t begin, int64_t end) -> absl::Status {
        for (int64_t i = begin; i < end; ++i) {
          for (int f = 0; f < kF; ++f) {
            const float v = x(i, f);
            const float tv = LinearTransform(f, v);
            if (!std::isfinite(v) || !std::isfinite(tv)) {
              return absl::InvalidArgumentError(
                  absl::StrCat("x[", i, ", ", FeatureNames()[f], "]=", v,
                               std::isfinite(v) ? " has a non-finite transform"
                                                : ": not finite"));
            }
            t(i, f) = tv;
          }
        }
        return absl::OkStatus();
      }));
  return t;
}

// Weighted mean and standard deviation per column of `t` over the rows of
// positive weight, two passes in chunk order. A column constant over those
// rows gets mean = the constant and scale 1, so its z is exactly 0.
absl::Status Standardise(const FeatureArray& t, const std::vector<double>& s,
                         int threads, LearnedLinearModel* m) {
  const int64_t n = t.rows();
  const int64_t chunks = (n + kFitChunkRows - 1) / kFitChunkRows;
  struct Part {
    double sw = 0;
    std::array<double, kF> sum{}, lo{}, hi{}, sq{};
  };
  std::vector<Part> part(chunks);
  auto pass = [&](bool second) {
    return internal::ParallelForRange(
        chunks, threads, 1, [&](int64_t c, int64_t) -> absl::Status {
          Part& p = part[c];
          if (!second) {
            p.lo.fill(INFINITY);
            p.hi.fill(-INFINITY);
          }
          const int64_t end = std::min(n, (c + 1) * kFitChunkRows);
          for (int64_t i = c * kFitChunkRows; i < end; ++i) {
            if (s[i] <= 0) continue;
            const float* r = t.row(i).data();
            if (!second) p.sw += s[i];
            for (int f = 0; f < kF; ++f) {
              if (second) {
                const double d = r[f] - m->mean[f];
                p.sq[f] += s[i] * d * d;
              } else {
                p.sum[f] += s[i] * r[f];
                p.lo[f] = std::min<double>(p.lo[f], r[f]);
                p.hi[f] = std::max<double>(p.hi[f], r[f]);
              }
            }
          }
          return absl::OkStatus();
        });
  };
  INVITEGRAPH_RETURN_IF_ERROR(pass(false));
  Part total;
  total.lo.fill(INFINITY);
  total.hi.fill(-INFINITY);
  for (const Part& p : part) {
    total.sw += p.sw;
    for (int f = 0; f < kF; ++f) {
      total.sum[f] += p.sum[f];
      total.lo[f] = std::min(total.lo[f], p.lo[f]);
      total.hi[f] = std::max(total.hi[f], p.hi[f]);
    }
  }
  for (int f = 0; f < kF; ++f) m->mean[f] = total.sum[f] / total.sw;
  INVITEGRAPH_RETURN_IF_ERROR(pass(true));
  for (int f = 0; f < kF; ++f) {
    double sq = 0;
    for (const Part& p : part) sq += p.sq[f];
    const double sd = std::sqrt(sq / total.sw);
    if (total.lo[f] == total.hi[f]) {
      m->mean[f] = total.lo[f];
      m->scale[f] = 1.0;
    } else {
      m->scale[f] = sd > 1e-12 * std::max(1.0, std::abs(m->mean[f])) ? sd : 1.0;
    }
  }
  return absl::OkStatus();
}

// z = (t - mean) / scale, in place.
absl::Status ApplyStandardisation(const LearnedLinearModel& m, int threads,
                                  FeatureArray& t) {
  return internal::ParallelForRange(
      t.rows(), threads, kFitChunkRows,
      [&](int64_t begin, int64_t end) -> absl::Status {
        for (int64_t i = begin; i < end; ++i) {
          float* r = t.row(i).data();
          for (int f = 0; f < kF; ++f)
            r[f] = static_cast<float>((r[f] - m.mean[f]) / m.scale[f]);
        }
        return absl::OkStatus();
      });
}

// Logistic regression with intercept on standardised rows: d = (1, z).
class LogisticProblem final : public internal::LogLossProblem {
 public:
  LogisticProblem(const FeatureArray& z, absl::Span<const float> label,
                  const std::vector<double>& s)
      : z_(z), label_(label), s_(s) {}
  int64_t rows() const override { return z_.rows(); }
  int dims() const override { return 1 + kF; }
  void Fill(int64_t begin, int64_t end, internal::DesignChunk& d,
            Eigen::VectorXd& y, Eigen::VectorXd& s) const override {
    for (int64_t i = begin; i < end; ++i) {
      const int64_t k = i - begin;
      d(k, 0) = 1.0;
      const float* r = z_.row(i).data();
      for (int f = 0; f < kF; ++f) d(k, 1 + f) = r[f];
      y[k] = label_[i];
      s[k] = s_[i];
    }
  }

 private:
  const FeatureArray& z_;
  absl::Span<const float> label_;
  const std::vector<double>& s_;
};

// Platt scaling: d = (raw logit, 1).
class PlattProblem final : public internal::LogLossProblem {
 public:
  PlattProblem(const std::vector<double>& raw, absl::Span<const float> label,
               const std::vector<double>& s)
      : raw_(raw), label_(label), s_(s) {}
  int64_t rows() const override { return static_cast<int64_t>(raw_.size()); }
  int dims() const override { return 2; }
  void Fill(int64_t begin, int64_t end, internal::DesignChunk& d,
            Eigen::VectorXd& y, Eigen::VectorXd& s) const override {
    for (int64_t i = begin; i < end; ++i) {
      d(i - begin, 0) = raw_[i];
      d(i - begin, 1) = 1.0;
      y[i - begin] = label_[i];
      s[i - begin] = s_[i];
    }
  }

 private:
  const std::vector<double>& raw_;
  absl::Span<const float> label_;
  const std::vector<double>& s_;
};

struct Pair {
  int64_t pos, neg;
};

// Pairwise: d = z_pos - z_neg, label 1, no intercept.
class PairProblem final : public internal::LogLossProblem {
 public:
  PairProblem(const FeatureArray& z, const std::vector<Pair>& pairs,
              const std::vector<double>& s)
      : z_(z), pairs_(pairs), s_(s) {}
  int64_t rows() const override { return static_cast<int64_t>(pairs_.size()); }
  int dims() const override { return kF; }
  void Fill(int64_t begin, int64_t end, internal::DesignChunk& d,
            Eigen::VectorXd& y, Eigen::VectorXd& s) const override {
    for (int64_t k = begin; k < end; ++k) {
      const Pair& p = pairs_[k];
      const float* a = z_.row(p.pos).data();
      const float* b = z_.row(p.neg).data();
      for (int f = 0; f < kF; ++f)
        d(k - begin, f) = static_cast<double>(a[f]) - b[f];
      y[k - begin] = 1.0;
      s[k - begin] = s_[p.pos] * s_[p.neg];
    }
  }

 private:
  const FeatureArray& z_;
  const std::vector<Pair>& pairs_;
  const std::vector<double>& s_;
};

// Each positive of positive weight with up to `per_positive` distinct
// negatives of positive weight from its group (all when 0 or fewer exist),
// drawn by Floyd's algorithm from Rng(seed, positive row).
std::vector<Pair> MakePairs(absl::Span<const float> label,
                            absl::Span<const int64_t> group,
                            const std::vector<double>& s, int per_positive,
                            uint64_t seed) {
  const int64_t n = static_cast<int64_t>(label.size());
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return group[a] < group[b]; });
  std::vector<Pair> pairs;
  std::vector<int64_t> pos, neg;
  std::vector<uint64_t> picked;
  for (int64_t lo = 0; lo < n;) {
    int64_t hi = lo;
    while (hi < n && group[order[hi]] == group[order[lo]]) ++hi;
    pos.clear();
    neg.clear();
    for (int64_t k = lo; k < hi; ++k) {
      const int64_t i = order[k];
      if (s[i] <= 0) continue;
      (label[i] == 1.0f ? pos : neg).push_back(i);
    }
    const uint64_t nn = neg.size();
    for (int64_t p : pos) {
      if (per_positive == 0 || static_cast<uint64_t>(per_positive) >= nn) {
        for (int64_t q : neg) pairs.push_back({p, q});
        continue;
      }
      internal::Rng rng(seed, static_cast<uint64_t>(p));
      picked.clear();
      for (uint64_t j = nn - per_positive; j < nn; ++j) {
        const uint64_t t = rng.Below(j + 1);
        const bool seen =
            std::find(picked.begin(), picked.end(), t) != picked.end();
        picked.push_back(seen ? j : t);
      }
      std::sort(picked.begin(), picked.end());
      for (uint64_t j : picked) pairs.push_back({p, neg[j]});
    }
    lo = hi;
  }
  return pairs;
}

// Platt scaling: (a, b) minimising the unpenalised logloss of
// sigmoid(a * raw + b) over the rows with their original weights `s`, from
// the identity (1, 0), where raw = intercept + w.z. Sets m->a and m->b and
// returns true. With `keep_order` (pairwise, whose order is the model), only
// when a > 0: a <= 0 (a model that orders its own training rows backwards)
// leaves (1, 0) and returns false. ANDs the convergence of a calibration it
// keeps into *converged.
absl::StatusOr<bool> Calibrate(const FeatureArray& z,
                               absl::Span<const float> label,
                               const std::vector<double>& s,
                               const internal::NewtonOptions& newton,
                               bool keep_order, LearnedLinearModel* m,
                               bool* converged) {
  const int64_t n = z.rows();
  std::vector<double> raw(n);
  INVITEGRAPH_RETURN_IF_ERROR(internal::ParallelForRange(
      n, newton.num_threads, kFitChunkRows, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
          double e = m->intercept;
          const float* zr = z.row(i).data();
          for (int f = 0; f < kF; ++f) e += m->w[f] * zr[f];
          raw[i] = e;
        }
        return absl::OkStatus();
      }));
  internal::NewtonOptions platt = newton;
  platt.penalty = Eigen::VectorXd::Zero(2);
  platt.on_iteration = {};
  PlattProblem calibration(raw, label, s);
  INVITEGRAPH_ASSIGN_OR_RETURN(
      internal::NewtonResult cal,
      internal::MinimizeLogLoss(calibration, Eigen::Vector2d(1.0, 0.0), platt));
  if (keep_order && !(cal.beta[0] > 0)) return false;
  *converged = *converged && cal.converged;
  m->a = cal.beta[0];
  m->b = cal.beta[1];
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Ranker>> FitRanker(
    const FeatureArray& x, absl::Span<const float> label,
    absl::Span<const float> weight, absl::Span<const int64_t> group,
    const FitOptions& options, FitReport* report) {
  const auto start = std::chrono::steady_clock::now();
  INVITEGRAPH_RETURN_IF_ERROR(CheckOptions(options));
  INVITEGRAPH_RETURN_IF_ERROR(CheckColumns(x, label, weight, group, options));
  const int64_t n = x.rows();
  const int threads = options.num_threads;
  const bool logistic = options.model == "logistic";

  std::vector<double> s(n);
  double class_weight[2] = {0, 0};
  for (int64_t i = 0; i < n; ++i) {
    s[i] = weight.empty() ? 1.0 : weight[i];
    class_weight[label[i] == 1.0f ? 1 : 0] += s[i];
  }
  if (!(class_weight[0] > 0) || !(class_weight[1] > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("label: only one class present (total weight of label 0: ",
                     class_weight[0], ", of label 1: ", class_weight[1],
                     "); the fit needs rows of both"));
  }

  INVITEGRAPH_ASSIGN_OR_RETURN(FeatureArray z, Transform(x, threads));
  LearnedLinearModel m = internal::EmptyLearnedModel();
  INVITEGRAPH_RETURN_IF_ERROR(Standardise(z, s, threads, &m));
  INVITEGRAPH_RETURN_IF_ERROR(ApplyStandardisation(m, threads, z));

  internal::NewtonOptions newton;
  newton.max_iter = options.max_iter;
  newton.tol = options.tol;
  newton.num_threads = threads;
  if (options.progress) {
    newton.on_iteration = [&](int it) {
      options.progress(std::min(it, options.max_iter), options.max_iter);
    };
  }
  FitReport r;
  r.rows = n;
  std::unique_ptr<Ranker> ranker;
  if (logistic) {
    std::vector<double> fit_s = s;
    double intercept = std::log(class_weight[1] / class_weight[0]);
    if (options.class_weight == "balanced") {
      // Each class carries half the total weight.
      const double total = class_weight[0] + class_weight[1];
      const double mult[2] = {total / (2 * class_weight[0]),
                              total / (2 * class_weight[1])};
      for (int64_t i = 0; i < n; ++i) fit_s[i] *= mult[label[i] == 1.0f];
      intercept = 0;
    }
    newton.penalty = Eigen::VectorXd::Constant(1 + kF, options.l2);
    newton.penalty[0] = 0;
    Eigen::VectorXd beta = Eigen::VectorXd::Zero(1 + kF);
    beta[0] = intercept;
    LogisticProblem problem(z, label, fit_s);
    INVITEGRAPH_ASSIGN_OR_RETURN(
        internal::NewtonResult fit,
        internal::MinimizeLogLoss(problem, std::move(beta), newton));
    m.intercept = fit.beta[0];
    for (int f = 0; f < kF; ++f) m.w[f] = fit.beta[1 + f];
    r.iterations = fit.iterations;
    r.final_loss = fit.loss;
    r.converged = fit.converged;

    INVITEGRAPH_RETURN_IF_ERROR(
        Calibrate(z, label, s, newton, false, &m, &r.converged).status());
    ranker = internal::NewLogisticRanker(std::move(m));
  } else {
    const std::vector<Pair> pairs = MakePairs(
        label, group, s, options.max_pairs_per_positive, options.seed);
    if (pairs.empty()) {
      return absl::InvalidArgumentError(
          "group: no group holds both a positive and a negative row of "
          "positive weight, so the pairwise model has no pair to learn from");
    }
    newton.penalty = Eigen::VectorXd::Constant(kF, options.l2);
    PairProblem problem(z, pairs, s);
    INVITEGRAPH_ASSIGN_OR_RETURN(
        internal::NewtonResult fit,
        internal::MinimizeLogLoss(problem, Eigen::VectorXd::Zero(kF), newton));
    for (int f = 0; f < kF; ++f) m.w[f] = fit.beta[f];
    r.iterations = fit.iterations;
    r.final_loss = fit.loss;
    r.converged = fit.converged;
    r.pairs = static_cast<int64_t>(pairs.size());
    INVITEGRAPH_ASSIGN_OR_RETURN(
        const bool calibrated,
        Calibrate(z, label, s, newton, true, &m, &r.converged));
    ranker = internal::NewPairwiseRanker(std::move(m), calibrated);
  }
  if (options.progress) options.progress(options.max_iter, options.max_iter);
  r.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  if (report != nullptr) *report = r;
  return ranker;
}

}  // namespace invitegraph

namespace invitegraph {

absl::StatusOr<std::unique_ptr<Ranker>> FitRanker(const TrainingSet& training,
                                                  const FitOptions& options,
                                                  FitReport* report) {
  return FitRanker(training.x, training.label, training.weight, training.record,
                   options, report);
}

}  // namespace invitegraph
