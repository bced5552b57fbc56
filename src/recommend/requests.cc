#include "recommend/requests.h"

#include "absl/strings/str_cat.h"
#include "invitegraph/status.h"

namespace invitegraph::internal {

absl::StatusOr<const Campaign*> BindAudience(const SocialGraph& graph,
                                             const Campaign& campaign,
                                             Campaign* rebound) {
  if (campaign.audience.empty() || campaign.audience.CompiledFor(graph)) {
    return &campaign;
  }
  *rebound = campaign;
  INVITEGRAPH_ASSIGN_OR_RETURN(
      rebound->audience,
      Audience::Compile(campaign.audience.expression(), graph));
  return rebound;
}

absl::StatusOr<NodeId> InviterNode(const SocialGraph& g, UserId inviter) {
  if (auto n = g.FindNode(inviter)) return *n;
  return absl::NotFoundError(
      absl::StrCat("inviter ", inviter, " is not in the graph"));
}

absl::Status CheckEndsAt(const Campaign& campaign, const TimeLimits& limits) {
  if (!campaign.ends_at.has_value()) return absl::OkStatus();
  return CheckTimestamp(*campaign.ends_at, limits, "campaign.ends_at",
                        TimeUse::kDeadline);
}

absl::StatusOr<Requests> ResolveRequests(const SocialGraph& g,
                                         absl::Span<const UserId> inviters,
                                         absl::Span<const ItemId> items, int k,
                                         const Audience& audience,
                                         UnknownInviterPolicy unknown) {
  Campaign shared;
  shared.audience = audience;
  Campaign rebound;
  INVITEGRAPH_ASSIGN_OR_RETURN(const Campaign* bound,
                               BindAudience(g, shared, &rebound));
  if (k < 0)
    return absl::InvalidArgumentError(absl::StrCat("k=", k, ": must be >= 0"));
  if (inviters.size() != items.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("inviters has ", inviters.size(), " rows but items has ",
                     items.size()));
  }
  if (unknown != UnknownInviterPolicy::kSkip &&
      unknown != UnknownInviterPolicy::kFail) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown_inviters=", static_cast<int>(unknown),
                     ": not an UnknownInviterPolicy"));
  }
  const int64_t n = static_cast<int64_t>(inviters.size());
  Requests r;
  r.nodes.reserve(n);
  r.rows.reserve(n);
  for (int64_t i = 0; i < n; ++i) {
    auto node = g.FindNode(inviters[i]);
    if (!node) {
      if (unknown == UnknownInviterPolicy::kFail) {
        return absl::NotFoundError(absl::StrCat(
            "inviters[", i, "]=", inviters[i], " is not in the graph"));
      }
      r.unknown_rows.push_back(i);
      continue;
    }
    r.nodes.push_back(*node);
    r.rows.push_back(i);
  }
  r.campaigns.resize(r.rows.size());
  for (size_t j = 0; j < r.rows.size(); ++j) {
    r.campaigns[j].item = items[r.rows[j]];
    r.campaigns[j].audience = bound->audience;
  }
  return r;
}

}  // namespace invitegraph::internal
