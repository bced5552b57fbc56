// File: scoring.h
// The options that decide which candidate rows a request gets and what their
// features are: shared by serving (RecommenderConfig::scoring) and training
// (TrainingOptions::scoring) by construction, so a setting added here reaches
// both without touching either. Example:
//
//   ScoringOptions scoring;
//   scoring.candidates.max_two_hop = 50;
//   scoring.attribute_features.category_tags = {{7, {"skincare"}}};
//   RecommenderConfig serve{.scoring = scoring};
//   TrainingOptions train{.scoring = scoring};  // rows as `serve` features
//   them
//
// Migration (issue 19): RecommenderConfig's and TrainingOptions' members
// `candidates`, `feedback` and `attribute_features` moved into `scoring`:
// write `config.scoring.candidates.max_two_hop` for
// `config.candidates.max_two_hop`, and `{.scoring = {.candidates = c}}` for
// `{.candidates = c}`.
//
// Thread safety: plain configuration.
#ifndef INVITEGRAPH_SCORING_H_
#define INVITEGRAPH_SCORING_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "invitegraph/candidates.h"
#include "invitegraph/outcomes.h"
#include "invitegraph/types.h"

namespace invitegraph {

// The profile columns (profiles.h) behind the attribute features
// same_region, same_age_band, tag_overlap and category_tag_match
// (features.h). A graph without a column of that name gives 0; a column of
// another type is kInvalidArgument at Recommender::Create() and SwapGraph().
struct AttributeFeatureOptions {
  std::string region = "region";      // a category column
  std::string age_band = "age_band";  // a category column
  std::string tags = "tags";          // a tags column
  // Item category -> the tags that signal interest in it, for
  // category_tag_match: the share of the campaign category's tags the
  // candidate has.
  std::map<CategoryId, std::vector<std::string>> category_tags = {};

  // Always OK: the columns are checked against a graph (see above). Here so
  // that every options struct validates the same way.
  absl::Status Validate(
      std::string_view path = "AttributeFeatureOptions") const;
};

struct ScoringOptions {
  // Who the candidates are (candidates.h).
  CandidateOptions candidates = {};
  // Priors and decay of recorded outcomes, behind candidate_accept_rate and
  // candidate_fatigue (outcomes.h).
  FeedbackConfig feedback = {};
  // The profile columns behind the attribute features.
  AttributeFeatureOptions attribute_features = {};

  // kInvalidArgument naming the first bad field as
  // `<path>.<member>.<field>=value`.
  absl::Status Validate(std::string_view path = "ScoringOptions") const;
};

}  // namespace invitegraph

#endif  // INVITEGRAPH_SCORING_H_
