// SocialGraph::WithAbuse: a copy of a graph with abuse scores attached
// (abuse.h). A graph-making step like Update and Forget, so it lives with
// them above the analysis it attaches.
#include <algorithm>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "abuse/abuse_internal.h"
#include "graph/graph_data.h"
#include "internal/strings.h"
#include "invitegraph/abuse.h"
#include "invitegraph/social_graph.h"

namespace invitegraph {

using internal::GraphData;

absl::StatusOr<SocialGraph> SocialGraph::WithAbuse(
    const AbuseReport& report) const {
  const GraphData& d = *data_;
  const size_t n = d.num_nodes();
  auto bad = [](std::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat("WithAbuse: ", internal::Sv(what)));
  };
  if (report.user.size() != n ||
      !std::equal(report.user.begin(), report.user.end(),
                  d.users.external_ids().begin()))
    return bad(
        "the report's users are not this graph's (run DetectAbuse on this "
        "graph)");
  if (report.suspicion.size() != n || report.reputation.size() != n ||
      report.evidence.size() != n)
    return bad(
        "the report's suspicion, reputation and evidence columns "
        "must have one row per user");
  for (const auto& [name, col] :
       {std::pair<std::string_view, const std::vector<float>*>{
            "suspicion", &report.suspicion},
        {"reputation", &report.reputation}}) {
    const auto it = std::find_if(col->begin(), col->end(),
                                 [](float x) { return !(x >= 0 && x <= 1); });
    if (it != col->end())
      return bad(absl::StrCat(internal::Sv(name), "[", it - col->begin(),
                              "]=", *it, " is outside [0, 1]"));
  }
  auto copy = std::make_shared<GraphData>(d);
  internal::AttachAbuse(*copy, report);
  return SocialGraph(std::move(copy));
}

}  // namespace invitegraph
