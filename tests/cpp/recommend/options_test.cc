// Options structs: each validates itself, naming the field by its path, and
// training shares the serving scoring options by construction (scoring.h).
#include <catch2/catch.hpp>
#include <vector>

#include "invitegraph/abuse.h"
#include "invitegraph/graph_builder.h"
#include "invitegraph/recommender.h"
#include "invitegraph/scoring.h"
#include "invitegraph/training.h"
#include "testing/fixtures.h"

namespace invitegraph {
namespace {

using testing::CheckError;
using testing::Unwrap;
constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

TEST_CASE("default options validate") {
  CHECK(CandidateOptions{}.Validate().ok());
  CHECK(FeedbackConfig{}.Validate().ok());
  CHECK(AttributeFeatureOptions{}.Validate().ok());
  CHECK(ScoringOptions{}.Validate().ok());
  CHECK(RecommenderConfig{}.Validate().ok());
  CHECK(TrainingOptions{}.Validate().ok());
  CHECK(GraphConfig{}.Validate().ok());
  CHECK(TimeLimits{}.Validate().ok());
  CHECK(Policy{}.Validate().ok());
  CHECK(AbuseOptions{}.Validate().ok());
}

TEST_CASE("a bad option is named by its path from the struct validated") {
  CheckError(CandidateOptions{.max_two_hop = -1}.Validate(), kInvalid,
             {"CandidateOptions.max_two_hop=-1"});
  RecommenderConfig serve;
  serve.scoring.candidates.hub_degree_cap = -2;
  CheckError(serve.Validate(), kInvalid,
             {"RecommenderConfig.scoring.candidates.hub_degree_cap=-2"});
  TrainingOptions train;
  train.scoring.feedback.accept_prior_mean = 2;
  CheckError(train.Validate(), kInvalid,
             {"TrainingOptions.scoring.feedback.accept_prior_mean=2"});
  CheckError(TrainingOptions{.folds = 1}.Validate(), kInvalid,
             {"TrainingOptions.folds=1"});
  CheckError(RecommenderConfig{.max_reasons = -1}.Validate(), kInvalid,
             {"RecommenderConfig.max_reasons=-1"});
  CheckError(RecommenderConfig{.policy = {.diversity = 2}}.Validate(), kInvalid,
             {"RecommenderConfig.policy.diversity=2"});
  CheckError(RecommenderConfig{.time_limits = {.earliest = -1}}.Validate(),
             kInvalid, {"RecommenderConfig.time_limits.earliest=-1"});
  CheckError(GraphConfig{.half_life_days = 0}.Validate(), kInvalid,
             {"GraphConfig.half_life_days=0"});
  CheckError(AbuseOptions{.min_ring_size = 2}.Validate(), kInvalid,
             {"AbuseOptions.min_ring_size"});
  // The old free functions are the members.
  CHECK(ValidatePolicy({.diversity = 2}) == Policy{.diversity = 2}.Validate());
  CHECK(ValidateAbuseOptions({.min_ring_size = 2}) ==
        AbuseOptions{.min_ring_size = 2}.Validate());
}

TEST_CASE("training rows are the serving features for any scoring options") {
  const testing::RandomEvents e =
      testing::MakeRandomEvents({.num_users = 50, .seed = 19});
  GraphBuilder b;
  testing::RequireOk(testing::AddAll(e, b));
  const SocialGraph g =
      Unwrap(b.Build({.as_of = testing::kAsOf, .keep_events = true}));
  ScoringOptions scoring;
  scoring.candidates.max_two_hop = 3;
  scoring.candidates.hub_degree_cap = 4;
  scoring.feedback.accept_prior_mean = 0.6;
  const Recommender rec = Unwrap(Recommender::Create(g, {.scoring = scoring}));
  // Untimed records of an item without staged campaigns: the rebuilt graph
  // is the graph itself, so each record's rows are exactly rec's features.
  std::vector<UserId> inviter, joined;
  std::vector<ItemId> item;
  std::vector<int64_t> offsets = {0};
  for (int i = 0; i < 10; ++i) {
    inviter.push_back(testing::RandomUserId(i));
    item.push_back(9000);
    joined.push_back(testing::RandomUserId(i + 20));
    offsets.push_back(static_cast<int64_t>(joined.size()));
  }
  const TrainingSet t = Unwrap(BuildTrainingSet(g,
                                                {.inviter = inviter,
                                                 .item = item,
                                                 .joined_offsets = offsets,
                                                 .joined = joined},
                                                {.scoring = scoring}));
  const TrainingSet plain =
      Unwrap(BuildTrainingSet(g, {.inviter = inviter,
                                  .item = item,
                                  .joined_offsets = offsets,
                                  .joined = joined}));
  CHECK(plain.rows() != t.rows());  // the options change the rows
  int64_t row = 0;
  for (size_t r = 0; r < inviter.size(); ++r) {
    const FeatureMatrix f = Unwrap(rec.Features(inviter[r], {.item = 9000}));
    for (int64_t i = 0; i < f.rows(); ++i, ++row) {
      REQUIRE(row < t.rows());
      CHECK(t.record[row] == static_cast<int64_t>(r));
      CHECK(t.candidate[row] == f.candidates[i]);
      CHECK(t.x.row(row) == f.values.row(i));
    }
  }
  CHECK(row == t.rows());
}

}  // namespace
}  // namespace invitegraph
