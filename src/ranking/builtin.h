// Factories of the built-in rankers, listed in the registry table in ranker.cc.
#ifndef INVITEGRAPH_RANKING_BUILTIN_H_
#define INVITEGRAPH_RANKING_BUILTIN_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "invitegraph/ranker.h"

namespace invitegraph::internal {

absl::StatusOr<std::unique_ptr<Ranker>> MakeLinearRanker(
    const std::vector<std::pair<std::string, std::string>>& params);

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_RANKING_BUILTIN_H_
