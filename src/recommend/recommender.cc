// The public request entry points of a Recommender: one request (Recommend,
// RecommendList, Features) and many (RecommendBatch). The stages they run are
// in the files recommend/impl.h lists.
#include "invitegraph/recommender.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "invitegraph/status.h"
#include "recommend/impl.h"
#include "recommend/requests.h"

namespace invitegraph {

absl::StatusOr<InviteList> Recommender::RecommendList(UserId inviter,
                                                      const Campaign& campaign,
                                                      int k) const {
  const std::shared_ptr<const Impl> impl = Current();
  if (k < 0)
    return absl::InvalidArgumentError(absl::StrCat("k=", k, ": must be >= 0"));
  if (campaign.team_size < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "campaign.team_size=", campaign.team_size, ": must be >= 0"));
  }
  INVITEGRAPH_RETURN_IF_ERROR(
      internal::CheckEndsAt(campaign, impl->config.time_limits));
  INVITEGRAPH_ASSIGN_OR_RETURN(NodeId node,
                               internal::InviterNode(impl->graph, inviter));
  Campaign rebound;
  INVITEGRAPH_ASSIGN_OR_RETURN(
      const Campaign* bound,
      internal::BindAudience(impl->graph, campaign, &rebound));
  auto scratch = impl->Acquire();
  InviteList out;
  absl::Status st = impl->RecommendRange(
      absl::MakeConstSpan(&node, 1), absl::MakeConstSpan(bound, 1), 0, 1,
      ServeOptions{.k = k}, *scratch, absl::MakeSpan(&out, 1));
  impl->Release(std::move(scratch));
  if (!st.ok()) return st;
  return out;
}

absl::StatusOr<std::vector<Suggestion>> Recommender::Recommend(
    UserId inviter, const Campaign& campaign, int k) const {
  INVITEGRAPH_ASSIGN_OR_RETURN(InviteList list,
                               RecommendList(inviter, campaign, k));
  return std::move(list.suggestions);
}

absl::StatusOr<FeatureMatrix> Recommender::Features(
    UserId inviter, const Campaign& campaign) const {
  const std::shared_ptr<const Impl> impl = Current();
  INVITEGRAPH_RETURN_IF_ERROR(
      internal::CheckEndsAt(campaign, impl->config.time_limits));
  INVITEGRAPH_ASSIGN_OR_RETURN(NodeId node,
                               internal::InviterNode(impl->graph, inviter));
  Campaign rebound;
  INVITEGRAPH_ASSIGN_OR_RETURN(
      const Campaign* bound,
      internal::BindAudience(impl->graph, campaign, &rebound));
  auto scratch = impl->Acquire();
  FeatureMatrix out;
  impl->Featurize(node, *bound, *scratch, &scratch->found, &out.values);
  const auto ids = impl->graph.user_ids();
  out.candidates.reserve(scratch->found.size());
  for (const auto& c : scratch->found) out.candidates.push_back(ids[c.node]);
  impl->Release(std::move(scratch));
  return out;
}

absl::StatusOr<SuggestionTable> Recommender::RecommendBatch(
    absl::Span<const UserId> inviters, absl::Span<const ItemId> items, int k,
    const BatchOptions& options) const {
  const std::shared_ptr<const Impl> impl = Current();
  INVITEGRAPH_ASSIGN_OR_RETURN(
      internal::Requests req,
      internal::ResolveRequests(impl->graph, inviters, items, k,
                                options.audience, options.unknown_inviters));
  std::vector<InviteList> results(req.rows.size());
  internal::ProgressReporter progress(options.progress,
                                      static_cast<int64_t>(inviters.size()));
  if (!req.unknown_rows.empty())
    progress.Add(static_cast<int64_t>(req.unknown_rows.size()));
  INVITEGRAPH_RETURN_IF_ERROR(impl->ServeAll(
      req.nodes, req.campaigns, ServeOptions{.k = k}, options.num_threads,
      progress, [&](int64_t begin, absl::Span<InviteList> lists) {
        for (size_t i = 0; i < lists.size(); ++i)
          results[begin + i] = std::move(lists[i]);
      }));
  return Impl::ToTable(inviters, items, req, results);
}

}  // namespace invitegraph
