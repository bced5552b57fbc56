// Reason codes: short, stable, human-readable explanations of a suggestion,
// built from the largest positive feature contributions (for invite copy such
// as "you chat often").
#ifndef INVITEGRAPH_EXPLAIN_REASONS_H_
#define INVITEGRAPH_EXPLAIN_REASONS_H_

#include <string>
#include <vector>

#include "absl/types/span.h"
#include "invitegraph/features.h"

namespace invitegraph::internal {

// Up to `max_reasons` codes for the feature row `x`, from the features with the
// largest positive `contribution`, strongest first; duplicates (shared-friend
// features) merge. candidate_accept_rate gives "accepts_invites_often" only
// when the posterior is at least 0.5.
std::vector<std::string> ReasonCodes(absl::Span<const float> x,
                                     absl::Span<const float> contribution,
                                     int max_reasons);

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_EXPLAIN_REASONS_H_
