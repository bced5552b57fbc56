// File: features.h
// Named feature columns computed for each (inviter, campaign, candidate) row.
//
//   absl::Span<const std::string> names = invitegraph::FeatureNames();
//   int col = invitegraph::FeatureIndex("adamic_adar").value();
//
// Rows are candidates, columns are the features below, stored row-major (the
// layout of a C-ordered NumPy array, so Python sees them without a copy).
#ifndef INVITEGRAPH_FEATURES_H_
#define INVITEGRAPH_FEATURES_H_

#include <string>
#include <string_view>
#include <vector>

#include "Eigen/Core"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "invitegraph/types.h"

namespace invitegraph {

// Column order of FeatureMatrix. Values and units:
enum Feature : int {
  kTieStrength = 0,     // inviter -> candidate tie strength (0 if not contacts)
  kReverseTieStrength,  // candidate -> inviter tie strength
  kChatWeight,          // decayed events inviter -> candidate, one per Channel,
  kLikeWeight,          //   in Channel order
  kCommentWeight,
  kShareWeight,
  kVisitWeight,
  kAssistWeight,
  kTeamJoinWeight,
  kInviteAcceptedWeight,
  kDaysSinceLastInteraction,   // days, either direction; kNeverDays if none
  kIsFriend,                   // 1 if declared friends
  kIsTwoHop,                   // 1 if not a direct contact (friend of a friend)
  kCommonNeighbors,            // |N(u) & N(v)| on the undirected contact graph
  kAdamicAdar,                 // sum over common z of 1 / ln(deg z)
  kJaccard,                    // |N(u) & N(v)| / |N(u) | N(v)|
  kCandidateBoughtItem,        // 1 if the candidate bought the campaign item
  kCandidateCategoryAffinity,  // share of candidate's purchases in the item's
                               // category
  kShoppingSimilarity,    // cosine of inviter and candidate category profiles
  kCandidateActivity7d,   // candidate's events in the last 7 days
  kCandidateActivity30d,  // ... 30 days
  kCandidateIsNew,        // 1 if first seen within new_user_days
  kCandidateJoinRate,     // Beta-smoothed campaign join rate
  kCandidateDegree,       // candidate's number of contacts
  kItemSimilarity,        // cosine of inviter and candidate decayed item
                          // purchase vectors
  kCandidatePurchases,    // candidate's total decayed purchase weight
  kCandidateAcceptRate,   // posterior mean of the candidate's invite accept
                          // rate from recorded outcomes (outcomes.h)
  kCandidateFatigue,      // decayed count of invites the candidate received,
                          // as of the request's "now" (outcomes.h)
  kCandidateSuspicion,    // abuse suspicion in [0, 1] (abuse.h); 0 when the
                          // graph has no abuse scores
  kCandidateReputation,   // "help before you ask" reputation in [0, 1]
                          // (abuse.h); 0.5 without abuse scores
  // Profile attributes (profiles.h; columns named by
  // ScoringOptions::attribute_features, scoring.h; 0 when the graph lacks
  // them):
  kSameRegion,        // 1 if inviter and candidate have the same region
  kSameAgeBand,       // 1 if they have the same age band
  kTagOverlap,        // Jaccard of their tag sets (0 if both empty)
  kCategoryTagMatch,  // share of the campaign category's tags
                      // (AttributeFeatureOptions::category_tags) the
                      // candidate has
  // --- Influence features (SocialGraph::has_centrality()); all 0 when the
  // graph was built without them.
  kCandidatePagerank,    // candidate's PageRank x num_nodes (1 = average)
  kCandidateCoreNumber,  // candidate's k-core number
  kCandidateClustering,  // candidate's local clustering coefficient, [0, 1]
  // --- end of influence features.
  kNumFeatures
};

// snake_case names, indexed by Feature.
absl::Span<const std::string> FeatureNames();
// Index of `name`, or kInvalidArgument listing the valid names.
absl::StatusOr<int> FeatureIndex(std::string_view name);

using FeatureArray =
    Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Features of the candidates of one request: `values` is candidates x
// kNumFeatures.
struct FeatureMatrix {
  std::vector<UserId> candidates;
  FeatureArray values;
  absl::Span<const std::string> names() const { return FeatureNames(); }
  int64_t rows() const { return values.rows(); }
};

}  // namespace invitegraph

#endif  // INVITEGRAPH_FEATURES_H_
