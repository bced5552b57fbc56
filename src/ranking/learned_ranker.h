// The learned linear rankers, "logistic" and "pairwise": linear models over
// standardised transformed features,
//
//   z_f = (LinearTransform(f, x_f) - mean_f) / scale_f
//   raw = intercept + sum_f w_f * z_f
//
// "logistic" scores sigmoid(a * raw + b), a calibrated P(join). "pairwise"
// has intercept 0; fitted now, it is Platt-scaled too and scores
// sigmoid(a * raw + b) (its spec gives a and b); a spec without them (saved
// before) scores raw, a ranking score only. FitRanker() (learn/fit.cc)
// builds them from data; MakeRanker() rebuilds them from spec().
#ifndef INVITEGRAPH_RANKING_LEARNED_RANKER_H_
#define INVITEGRAPH_RANKING_LEARNED_RANKER_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "invitegraph/ranker.h"

namespace invitegraph::internal {

struct LearnedLinearModel {
  // kNumFeatures entries each; scale_f > 0.
  std::vector<double> mean, scale, w;
  double intercept = 0;  // logistic only
  double a = 1, b = 0;   // Platt calibration (pairwise: when calibrated)
};

// A model of kNumFeatures zero weights, zero means and unit scales.
LearnedLinearModel EmptyLearnedModel();

std::unique_ptr<Ranker> NewLogisticRanker(LearnedLinearModel m);
std::unique_ptr<Ranker> NewPairwiseRanker(LearnedLinearModel m,
                                          bool calibrated);

// Registry factories. Keys: intercept (logistic only), a, b, and per feature
// mean.<name>, scale.<name>, w.<name>. A spec without feature keys is the
// untrained model (all weights 0); a spec with any feature key must give
// w.<name> for every feature (so a model trained on another feature set is
// refused, not silently padded); mean and scale default to 0 and 1.
absl::StatusOr<std::unique_ptr<Ranker>> MakeLogisticRanker(
    const std::vector<std::pair<std::string, std::string>>& params);
absl::StatusOr<std::unique_ptr<Ranker>> MakePairwiseRanker(
    const std::vector<std::pair<std::string, std::string>>& params);

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_RANKING_LEARNED_RANKER_H_
