#include "invitegraph/scoring.h"

#include <string>

#include "invitegraph/status.h"

namespace invitegraph {

absl::Status AttributeFeatureOptions::Validate(std::string_view) const {
  return absl::OkStatus();
}

absl::Status ScoringOptions::Validate(std::string_view path) const {
  const std::string base(path);
  INVITEGRAPH_RETURN_IF_ERROR(candidates.Validate(base + ".candidates"));
  INVITEGRAPH_RETURN_IF_ERROR(feedback.Validate(base + ".feedback"));
  return attribute_features.Validate(base + ".attribute_features");
}

}  // namespace invitegraph
