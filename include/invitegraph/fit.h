// File: fit.h
// Learned rankers: fit a linear model on labelled feature rows, and save or
// load any ranker as JSON. Example:
//
//   // x: rows x kNumFeatures, as Recommender::Features() returns them;
//   // label 0/1 (did the candidate join?); group: campaign id of each row.
//   FitOptions options;  // logistic, l2 = 1, balanced classes
//   FitReport report;
//   INVITEGRAPH_ASSIGN_OR_RETURN(std::unique_ptr<Ranker> r,
//       FitRanker(x, label, /*weight=*/{}, group, options, &report));
//   INVITEGRAPH_RETURN_IF_ERROR(SaveRanker(*r, "ranker.json"));
//   INVITEGRAPH_ASSIGN_OR_RETURN(auto rec,
//       Recommender::Create(graph, {}, std::move(r)));
//
// Both models standardise z_f = (T_f(x_f) - mean_f) / scale_f, where T_f is
// LinearTransform() (log1p for counts, exp(-days/30) for recency) and
// mean/scale are the weighted mean and standard deviation over the training
// rows (scale 1 for a constant column, whose weight then fits to 0).
//
//  * "logistic": L2-penalised weighted logistic regression with intercept,
//    minimising  sum_i s_i * logloss(y_i, b0 + w.z_i) + l2/2 * |w|^2
//    (the intercept is not penalised) by Newton's method with step halving;
//    s_i = weight_i, times the class weight when class_weight = "balanced"
//    (each class then carries half the total weight). This is scikit-learn's
//    LogisticRegression(C = 1 / l2) on z. Then Platt scaling: (a, b) minimise
//    the unpenalised logloss of sigmoid(a * (b0 + w.z) + b) with the original
//    weights, so Score() is a calibrated P(join) whose weighted mean over the
//    training rows equals the weighted base rate.
//  * "pairwise": RankNet/BPR-style. In each group, each positive row is paired
//    with up to max_pairs_per_positive negatives of the same group, drawn
//    without replacement by Rng(seed, positive row); pair weight =
//    weight_pos * weight_neg. Minimises sum_pairs s * log(1 + exp(-(w.z_pos -
//    w.z_neg))) + l2/2 * |w|^2 (no intercept: pairs cancel it). Then Platt
//    scaling as for logistic, on w.z, so Score() = sigmoid(a * w.z + b) is a
//    calibrated P(join) in the order of w.z (a > 0; a model whose a came out
//    <= 0, one that orders its own training rows backwards, keeps Score() =
//    w.z and calibrated() false).
//
// The fitted ranker's spec() holds intercept (logistic), a, b and mean.<f>,
// scale.<f>, w.<f> for every feature. Explain() gives out[f] = a * w_f * z_f,
// so a * intercept + b + sum_f out[f] is exactly the logit of the score
// (pairwise: intercept = 0). A pairwise spec without a and b (saved before
// pairwise models were calibrated) scores w.z, uncalibrated, as it did.
// Scores are floats: a calibrated score rounds to 1 above a logit of about
// 17 (P(join) > 1 - 4e-8), and candidates there tie (Recommend orders ties
// by candidate id).
//
// Sums over rows are accumulated in fixed chunks of 16384 rows (or pairs),
// each chunk's partial computed whole by one thread and the partials added in
// chunk order, so the fitted ranker, its spec() and the report (but for
// `seconds`) are bit-identical for any num_threads.
//
// Persistence writes {"format": "invitegraph.ranker", "format_version": 1,
// "library_version", "kind", "spec", "params", "features"}; "spec" is
// authoritative, "params" is the spec's key/value pairs as numbers for
// reading, and "features" the feature names the ranker was saved against.
//
// Thread safety: FitRanker() and the persistence functions are reentrant;
// the returned rankers are immutable.
#ifndef INVITEGRAPH_FIT_H_
#define INVITEGRAPH_FIT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "invitegraph/features.h"
#include "invitegraph/progress.h"
#include "invitegraph/ranker.h"
#include "invitegraph/training.h"

namespace invitegraph {

struct FitOptions {
  // "pairwise" (the default: it ranked best of the built-in models on every
  // dataset of docs/training.md, "Evidence") or "logistic". Pairwise needs
  // `group`; for rows without campaigns, pass "logistic".
  std::string model = "pairwise";
  // L2 penalty on the standardised coefficients, not on the intercept; >= 0.
  double l2 = 1.0;
  // "balanced" (each class gets half the total weight) or "none". Logistic
  // only; calibration always uses the original weights.
  std::string class_weight = "balanced";
  int max_iter = 100;  // Newton iterations, >= 1
  // Stop when the Newton decrement g'H^-1 g / 2 (the predicted remaining
  // decrease of the objective) is <= tol * max(1, objective).
  double tol = 1e-8;
  // Pairwise: negatives sampled per positive within its group (0 = all).
  int max_pairs_per_positive = 20;
  uint64_t seed = 0;
  int num_threads = 0;  // 0: all hardware threads. Results do not depend on it.
  // Called after each Newton iteration with (iteration, max_iter), and with
  // (max_iter, max_iter) at the end; from the calling thread only.
  ProgressFn progress = {};
};

struct FitReport {
  int iterations = 0;      // Newton iterations of the main fit
  double seconds = 0;      // wall time of the whole call
  int64_t rows = 0;        // training rows
  int64_t pairs = 0;       // pairwise: pairs trained on; logistic: 0
  double final_loss = 0;   // objective at the solution (see above)
  bool converged = false;  // the tolerance was met within max_iter
};

// FitRanker()
//
// Fits options.model on `x` (rows x kNumFeatures raw feature values, exactly
// as Recommender::Features() returns them), `label` (0 or 1 per row),
// `weight` (>= 0 per row; empty: all 1) and `group` (campaign id per row;
// required by "pairwise", whose rows of a group need not be contiguous; empty
// or ignored by "logistic"). kInvalidArgument names the argument, row and
// value of bad input: lengths, labels, weights, non-finite features, unknown
// model or class_weight, a single class, no pair to train on. Writes `report`
// when it is not null.
absl::StatusOr<std::unique_ptr<Ranker>> FitRanker(
    const FeatureArray& x, absl::Span<const float> label,
    absl::Span<const float> weight, absl::Span<const int64_t> group,
    const FitOptions& options, FitReport* report = nullptr);

// RankerToJson()
//
// The JSON document described above, for any ranker whose spec() MakeRanker()
// understands. "features" is ranker.schema(), or FeatureNames() for a ranker
// without a schema (such as "linear", whose spec is relative to this build's
// features).
// FitRanker() on a training set: its rows, labels, weights and records as
// groups.
absl::StatusOr<std::unique_ptr<Ranker>> FitRanker(const TrainingSet& training,
                                                  const FitOptions& options,
                                                  FitReport* report = nullptr);

absl::StatusOr<std::string> RankerToJson(const Ranker& ranker);

// RankerFromJson()
//
// Rebuilds the ranker. Malformed JSON, a wrong "format", missing fields or a
// bad spec are kInvalidArgument; a newer "format_version" or "features" that
// differ from FeatureNames() (missing, extra or reordered names) are
// kFailedPrecondition naming the difference.
absl::StatusOr<std::unique_ptr<Ranker>> RankerFromJson(std::string_view json);

// SaveRanker()
//
// Writes RankerToJson() to a temporary file next to `path`, fsyncs it, then
// renames it over `path`: a crash leaves either the old file or the new one,
// whole, and the temporary files of saves that were killed are removed by the
// next save or load of `path` (as for snapshots; docs/snapshots.md,
// "Snapshots and hot swap"). I/O failures are kUnavailable (or the errno's
// code) naming the path.
absl::Status SaveRanker(const Ranker& ranker, const std::string& path);

// LoadRanker()
//
// RankerFromJson() of the file's contents; kNotFound if `path` does not exist,
// kFailedPrecondition if it is a directory or not a regular file. Errors name
// the path.
absl::StatusOr<std::unique_ptr<Ranker>> LoadRanker(const std::string& path);

}  // namespace invitegraph

#endif  // INVITEGRAPH_FIT_H_
