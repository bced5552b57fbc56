// The leakage report (leakage.h): per-feature AUC on training and held-out
// rows, and the features whose training separation is too good to be true.
#include "invitegraph/leakage.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "absl/strings/str_cat.h"
#include "invitegraph/status.h"

namespace invitegraph {

namespace {

absl::Status CheckRows(const char* x_name, const FeatureArray& x,
                       const char* label_name, absl::Span<const float> label) {
  if (x.cols() != kNumFeatures) {
    return absl::InvalidArgumentError(absl::StrCat(
        x_name, " has ", x.cols(), " columns, expected ",
        static_cast<int>(kNumFeatures), " (one per FeatureNames() entry)"));
  }
  if (static_cast<int64_t>(label.size()) != x.rows()) {
    return absl::InvalidArgumentError(
        absl::StrCat(label_name, " has ", label.size(), " entries for ",
                     x.rows(), " rows of ", x_name));
  }
  for (size_t i = 0; i < label.size(); ++i) {
    if (label[i] != 0.0f && label[i] != 1.0f) {
      return absl::InvalidArgumentError(
          absl::StrCat(label_name, "[", i, "]=", label[i], ": must be 0 or 1"));
    }
  }
  for (int64_t i = 0; i < x.rows(); ++i) {
    for (int f = 0; f < kNumFeatures; ++f) {
      if (!std::isfinite(x(i, f))) {
        return absl::InvalidArgumentError(
            absl::StrCat(x_name, "[", i, ", ", FeatureNames()[f], "]=", x(i, f),
                         ": not finite"));
      }
    }
  }
  // Without both classes every AUC is undefined, and a report that flags
  // nothing would read as a clean bill of health.
  const auto positives = std::count(label.begin(), label.end(), 1.0f);
  if (positives == 0 || positives == static_cast<int64_t>(label.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat(label_name, ": ", positives, " of ", label.size(),
                     " rows are 1; the report needs joiners and "
                     "non-joiners on both sides"));
  }
  return absl::OkStatus();
}

// AUC of column f as a score of the label and its standard error (Hanley &
// McNeil 1982). Both classes are present (CheckRows).
struct Auc {
  double auc = 0.5;
  double se = 0;
};

Auc ColumnAuc(const FeatureArray& x, absl::Span<const float> label, int f,
              std::vector<int64_t>& order) {
  const int64_t n = x.rows();
  double positives = 0;
  for (float l : label) positives += l;
  const double negatives = static_cast<double>(n) - positives;
  order.resize(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return x(a, f) < x(b, f) || (x(a, f) == x(b, f) && a < b);
  });
  // Sum of the positives' ranks, tied values sharing their mean rank.
  double rank_sum = 0;
  for (int64_t i = 0; i < n;) {
    int64_t j = i;
    double tied_positives = 0;
    while (j < n && x(order[j], f) == x(order[i], f)) {
      tied_positives += label[order[j]];
      ++j;
    }
    rank_sum += tied_positives * (static_cast<double>(i + 1 + j) / 2);
    i = j;
  }
  const double a =
      (rank_sum - positives * (positives + 1) / 2) / (positives * negatives);
  const double q1 = a / (2 - a), q2 = 2 * a * a / (1 + a);
  const double var = (a * (1 - a) + (positives - 1) * (q1 - a * a) +
                      (negatives - 1) * (q2 - a * a)) /
                     (positives * negatives);
  return {a, std::sqrt(std::max(var, 0.0))};
}

int64_t Positives(absl::Span<const float> label) {
  return std::count(label.begin(), label.end(), 1.0f);
}

}  // namespace

absl::Status LeakageOptions::Validate() const {
  if (!(min_gap >= 0 && min_gap <= 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "LeakageOptions.min_gap=", min_gap, ": must be in [0, 1]"));
  }
  if (!(z >= 0) || !std::isfinite(z)) {
    return absl::InvalidArgumentError(
        absl::StrCat("LeakageOptions.z=", z, ": must be finite and >= 0"));
  }
  return absl::OkStatus();
}

TrainingOptions ServingRowOptions(TrainingOptions training) {
  training.as_of_step_days = 0;
  training.uninvited_weight = 1;
  return training;
}

absl::StatusOr<LeakageReport> CompareSeparation(
    const FeatureArray& train_x, absl::Span<const float> train_label,
    const FeatureArray& held_out_x, absl::Span<const float> held_out_label,
    const LeakageOptions& options) {
  INVITEGRAPH_RETURN_IF_ERROR(options.Validate());
  INVITEGRAPH_RETURN_IF_ERROR(
      CheckRows("train_x", train_x, "train_label", train_label));
  INVITEGRAPH_RETURN_IF_ERROR(
      CheckRows("held_out_x", held_out_x, "held_out_label", held_out_label));
  LeakageReport report;
  report.train_rows = train_x.rows();
  report.train_positives = Positives(train_label);
  report.held_out_rows = held_out_x.rows();
  report.held_out_positives = Positives(held_out_label);
  std::vector<int64_t> order;
  for (int f = 0; f < kNumFeatures; ++f) {
    FeatureSeparation s;
    s.feature = FeatureNames()[f];
    const Auc train = ColumnAuc(train_x, train_label, f, order);
    const Auc held = ColumnAuc(held_out_x, held_out_label, f, order);
    s.train_auc = train.auc;
    s.held_out_auc = held.auc;
    s.train_separation = std::abs(2 * train.auc - 1);
    s.held_out_separation = std::abs(2 * held.auc - 1);
    s.gap = s.train_separation - s.held_out_separation;
    // Separation is 2 |AUC - 1/2|: its standard error is twice the AUC's.
    const double se = 2 * std::hypot(train.se, held.se);
    s.gap_z = se > 0      ? s.gap / se
              : s.gap > 0 ? std::numeric_limits<double>::infinity()
              : s.gap < 0 ? -std::numeric_limits<double>::infinity()
                          : 0.0;
    s.suspicious = s.gap > options.min_gap && s.gap_z > options.z;
    report.features.push_back(std::move(s));
  }
  return report;
}

absl::StatusOr<LeakageReport> CompareSeparation(const TrainingSet& train,
                                                const TrainingSet& held_out,
                                                const LeakageOptions& options) {
  return CompareSeparation(train.x, train.label, held_out.x, held_out.label,
                           options);
}

}  // namespace invitegraph
