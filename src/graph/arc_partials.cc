// The public arc-partials arithmetic (invitegraph/arc_partials.h): merging
// partial aggregates of one arc and finishing them into arcs, exactly as a
// build packs them.
#include "invitegraph/arc_partials.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "graph/fixed_decay.h"
#include "graph/packed_arc.h"
#include "invitegraph/graph_config.h"
#include "invitegraph/status.h"

namespace invitegraph {

void ArcPartial::Merge(const ArcPartial& o) {
  for (int c = 0; c < kNumChannels; ++c) channel_fixed[c] += o.channel_fixed[c];
  if (o.min_age_s >= 0 && (min_age_s < 0 || o.min_age_s < min_age_s)) {
    min_age_s = o.min_age_s;
  }
  is_friend = is_friend || o.is_friend;
}

absl::StatusOr<std::vector<ArcInfo>> FinishArcs(
    const std::vector<ArcPartial>& partials, const GraphConfig& config) {
  INVITEGRAPH_RETURN_IF_ERROR(config.Validate());
  INVITEGRAPH_ASSIGN_OR_RETURN(const auto weights,
                               ResolveChannelWeights(config));
  std::vector<ArcInfo> out(partials.size());
  for (size_t i = 0; i < partials.size(); ++i) {
    const ArcPartial& p = partials[i];
    for (int c = 0; c < kNumChannels; ++c) {
      if (p.channel_fixed[c] < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("arc partials: row ", i, ": channel_fixed[", c,
                         "]=", p.channel_fixed[c], " is negative"));
      }
    }
    out[i] = internal::UnpackArc(
        internal::PackArc(p, weights, config.friendship_weight), kNoNode);
  }
  return out;
}

absl::StatusOr<ArcInfo> FinishArc(const ArcPartial& p,
                                  const GraphConfig& config) {
  INVITEGRAPH_ASSIGN_OR_RETURN(std::vector<ArcInfo> one,
                               FinishArcs({p}, config));
  return one[0];
}

}  // namespace invitegraph
