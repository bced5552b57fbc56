// File: ranker.h
// Scores feature rows. Rankers are built from spec strings,
// `name(key=value,...)`:
//
//   INVITEGRAPH_ASSIGN_OR_RETURN(std::unique_ptr<Ranker> r,
//   MakeRanker("linear")); INVITEGRAPH_ASSIGN_OR_RETURN(auto r2,
//   MakeRanker("linear(adamic_adar=2.0)")); std::vector<float>
//   scores(x.rows()); INVITEGRAPH_RETURN_IF_ERROR(r->Score(x,
//   absl::MakeSpan(scores)));
//
// Built-in: "linear" -- a hand-weighted sum over transformed features (see
// LinearRankerWeights()); any key of the spec overrides the weight of that
// feature. "logistic" and "pairwise" are learned linear models over
// standardised transformed features, fitted by FitRanker() (fit.h). Users add
// their own with RegisterRanker().
//
// Thread safety: Score(), Explain() and ExplainRows() are const and safe to
// call concurrently.
#ifndef INVITEGRAPH_RANKER_H_
#define INVITEGRAPH_RANKER_H_

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "invitegraph/features.h"

namespace invitegraph {

class Ranker {
 public:
  virtual ~Ranker() = default;

  // Scores every row of `x` into `out` (out.size() == x.rows()); higher is
  // better. kInvalidArgument on a shape mismatch.
  absl::Status Score(const FeatureMatrix& x, absl::Span<float> out) const;

  // Per-feature contributions to the score of row `row` (out.size() ==
  // kNumFeatures), used for reason codes. The default is kUnimplemented; the
  // recommender then gives each suggestion the single reason
  // kReasonsUnavailable instead of inventing one.
  virtual absl::Status Explain(const FeatureMatrix& x, int64_t row,
                               absl::Span<float> out) const;

  // Explain() for several rows at once: `out` is rows.size() x kNumFeatures,
  // row-major (row i of `out` explains row rows[i] of `x`). kInvalidArgument
  // on a row out of range or a size mismatch; kUnimplemented when the ranker
  // does not explain. The recommender calls this once per request (or per
  // stacked group, see PreferredBatchRows()) with the chosen rows.
  absl::Status ExplainRows(const FeatureMatrix& x,
                           absl::Span<const int64_t> rows,
                           absl::Span<float> out) const;

  // A hint for RecommendBatch(): Score() prefers calls of at least this many
  // rows, so consecutive requests' rows are stacked into one call (never
  // across RecommendBatch's fixed 64-request chunks, so grouping does not
  // depend on the thread count). 0 (the default): one request per call. A
  // ranker that returns > 0 promises that a row's score does not depend on the
  // other rows of the call, so batch results equal single calls.
  virtual int64_t PreferredBatchRows() const { return 0; }

  // Whether Score() is a calibrated probability of joining, in [0, 1]. Then
  // the recommender reports Suggestion::join_probability, the team's fill
  // probability and recommend-wave expected joins from it. Default: false.
  virtual bool calibrated() const { return false; }

  // A spec that MakeRanker() turns back into an equal ranker.
  virtual std::string spec() const = 0;

  // The feature names, in column order, that the model was trained on; empty
  // means "any schema" (hand-set rankers). Recommender::Create() rejects a
  // ranker whose non-empty schema differs from FeatureNames().
  virtual absl::Span<const std::string> schema() const { return {}; }

  // Weights a_f for the cascade's first stage (RecommenderConfig::
  // cascade_size), which orders a request's candidates by
  // sum_f a_f * LinearTransform(f, x_f) over the features it can read
  // cheaply, before full features are made for the best of them. A ranker
  // that is a monotone function of such a sum returns its own weights: the
  // built-in linear ranker its weights, "logistic" and "pairwise" their
  // coefficients over the standardised transforms (w_f / scale_f, times the
  // calibration slope). The default, nullopt, turns the cascade off for the
  // ranker: every candidate is scored, as a first stage that does not know
  // the model could cut the candidates it would have ranked first.
  virtual std::optional<std::array<float, kNumFeatures>> FirstStageWeights()
      const;

 private:
  virtual absl::Status ScoreImpl(const FeatureMatrix& x,
                                 absl::Span<float> out) const = 0;
  // Called by ExplainRows() with validated arguments. The default calls
  // Explain() per row; override it when one call per row is expensive.
  virtual absl::Status ExplainRowsImpl(const FeatureMatrix& x,
                                       absl::Span<const int64_t> rows,
                                       absl::Span<float> out) const;
};

using RankerFactory = std::function<absl::StatusOr<std::unique_ptr<Ranker>>(
    const std::vector<std::pair<std::string, std::string>>& params)>;

// Builds a ranker from `spec`. Unknown names or keys are kInvalidArgument
// listing the valid ones.
absl::StatusOr<std::unique_ptr<Ranker>> MakeRanker(std::string_view spec);
// Adds or replaces a ranker kind. Thread-safe.
void RegisterRanker(std::string name, RankerFactory factory);
// Names of all registered ranker kinds, sorted.
std::vector<std::string> RankerNames();

// Parses "name(k=v,...)" into its name and key/value pairs.
absl::StatusOr<
    std::pair<std::string, std::vector<std::pair<std::string, std::string>>>>
ParseSpec(std::string_view spec);

// OK if `schema` is empty or equals FeatureNames(); else kInvalidArgument
// naming the first differing position with both names, and the names missing
// from or extra to `schema`.
absl::Status CheckFeatureSchema(absl::Span<const std::string> schema);

// The built-in linear ranker's default weight per feature, indexed by Feature.
// Count-like features (tie strengths, channel weights, common neighbours,
// Adamic-Adar, activity, degree) enter as log1p(x); days_since_last_interaction
// as exp(-days / 30); the rest as they are.
const std::array<float, kNumFeatures>& LinearRankerWeights();
// The transform the linear ranker applies to feature `f`.
float LinearTransform(int f, float x);

}  // namespace invitegraph

#endif  // INVITEGRAPH_RANKER_H_
