// File: leakage.h
// A leakage report: does a feature separate the labels of the training rows
// much better than it separates them on rows built as serving builds them?
//
//   INVITEGRAPH_ASSIGN_OR_RETURN(TrainingSet train,
//                                BuildTrainingSet(graph, past, options));
//   INVITEGRAPH_ASSIGN_OR_RETURN(
//       TrainingSet held_out,
//       BuildTrainingSet(graph, later, ServingRowOptions(options)));
//   INVITEGRAPH_ASSIGN_OR_RETURN(LeakageReport report,
//                                CompareSeparation(train, held_out));
//   for (const FeatureSeparation& f : report.features)
//     if (f.suspicious) std::cout << f.feature << "\n";
//
// A feature computed from the label itself -- a joiner's own purchase of the
// item, when the purchase log holds the participations (training.h) --
// separates joiners from the others almost perfectly in training and far
// less on campaigns the model has not seen, where the label does not exist
// yet. A model fitted on such rows learns the leak and ranks worse than one
// fitted on clean rows. A real signal separates about as well on both sides.
//
// Separation of one feature: its AUC as a score of the label over all rows
// (the Mann-Whitney statistic, ties counting one half; unweighted), and
// |2 AUC - 1|, from 0 (no separation) to 1 (perfect, in either direction).
// A feature is suspicious when its training separation exceeds its held-out
// separation by more than LeakageOptions::min_gap AND by more than
// LeakageOptions::z standard errors of the difference, each AUC's standard
// error by Hanley and McNeil's formula (Radiology 143(1):29-36, 1982), the
// two samples taken as independent. The gap alone would flag noise on a few
// dozen held-out joiners; the z test alone would flag every tiny drift on a
// million rows. The formula assumes continuous scores and independent rows;
// binary features and rows clustered by campaign make the true error larger,
// so read gap_z as a screen, not a p-value: min_gap carries the weight.
//
// The held-out rows must be built as serving builds them: from campaigns the
// training records do not include, with ServingRowOptions() (features
// exactly as of each campaign's ts, every candidate a negative with weight
// 1 -- as invitegraph.evaluate builds its rows). Held-out records without ts
// get leave-record-out rows, which see the whole log, not serving's past.
// The report compares the two sides: a leak present in both (a held-out
// side built from the same leaky data) shows no gap.
#ifndef INVITEGRAPH_LEAKAGE_H_
#define INVITEGRAPH_LEAKAGE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "invitegraph/features.h"
#include "invitegraph/training.h"

namespace invitegraph {

struct LeakageOptions {
  // Least excess of training over held-out separation that is flagged, in
  // [0, 1].
  double min_gap = 0.1;
  // ... and least excess in standard errors of the difference, >= 0.
  double z = 3.0;

  // kInvalidArgument naming the field as `LeakageOptions.<field>=value`.
  absl::Status Validate() const;
};

struct FeatureSeparation {
  std::string feature;
  // AUC of the feature as a score of the label.
  double train_auc = 0;
  double held_out_auc = 0;
  double train_separation = 0;     // |2 train_auc - 1|
  double held_out_separation = 0;  // |2 held_out_auc - 1|
  // train_separation - held_out_separation, and that in standard errors.
  double gap = 0;
  double gap_z = 0;
  bool suspicious = false;
};

struct LeakageReport {
  // One entry per feature, in FeatureNames() order.
  std::vector<FeatureSeparation> features;
  int64_t train_rows = 0;
  int64_t train_positives = 0;
  int64_t held_out_rows = 0;
  int64_t held_out_positives = 0;
};

// The options of rows built as serving builds them, from `training`:
// as_of_step_days = 0 and uninvited_weight = 1, the rest as given.
TrainingOptions ServingRowOptions(TrainingOptions training);

// The report for training rows (`train_x`, `train_label`) against held-out
// rows built as serving builds them. Labels are 0 or 1; kInvalidArgument
// names the argument, row and value of bad input (lengths, labels,
// non-finite features, a column count other than kNumFeatures) and a side
// without both joiners and non-joiners.
absl::StatusOr<LeakageReport> CompareSeparation(
    const FeatureArray& train_x, absl::Span<const float> train_label,
    const FeatureArray& held_out_x, absl::Span<const float> held_out_label,
    const LeakageOptions& options = {});

// CompareSeparation() on two training sets' rows and labels.
absl::StatusOr<LeakageReport> CompareSeparation(
    const TrainingSet& train, const TrainingSet& held_out,
    const LeakageOptions& options = {});

}  // namespace invitegraph

#endif  // INVITEGRAPH_LEAKAGE_H_
