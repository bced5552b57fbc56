// The policy chain a Recommender runs per request: the built-in steps a Policy
// configures, then its extra steps. Immutable after Make(); Apply() is
// thread-safe.
#ifndef INVITEGRAPH_POLICY_POLICY_CHAIN_H_
#define INVITEGRAPH_POLICY_POLICY_CHAIN_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "invitegraph/policy.h"

namespace invitegraph::internal {

class PolicyChain {
 public:
  // kInvalidArgument on a bad policy (ValidatePolicy).
  static absl::StatusOr<PolicyChain> Make(const Policy& policy);

  // Runs every step in order; the first error stops the chain.
  absl::Status Apply(const PolicyContext& context, CandidateRows& rows) const;

  bool has_caps() const { return has_caps_; }

 private:
  std::vector<std::shared_ptr<const PolicyStep>> steps_;
  bool has_caps_ = false;
};

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_POLICY_POLICY_CHAIN_H_
