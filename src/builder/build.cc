// BuildFromStaged (build.h): the steps of a build, in order: arcs and the
// CSR, id maps, profile columns, the item index, attributes, then the analysis
// steps (communities, centrality, abuse) over the finished graph.
#include "builder/build.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <numeric>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "abuse/abuse_internal.h"
#include "analysis/centrality.h"
#include "analysis/communities.h"
#include "graph/arc_aggregator.h"
#include "graph/csr.h"
#include "graph/graph_data.h"
#include "ingest/id_map.h"
#include "ingest/validate.h"
#include "internal/parallel.h"
#include "invitegraph/status.h"

namespace invitegraph::internal {

absl::StatusOr<SocialGraph> BuildFromStaged(
    const StagedEvents& s, std::shared_ptr<const StagedEvents> keep,
    const GraphConfig& config, const BuildOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  INVITEGRAPH_RETURN_IF_ERROR(config.Validate());
  INVITEGRAPH_ASSIGN_OR_RETURN(const auto channel_weights,
                               ResolveChannelWeights(config));
  if (options.abuse) {
    INVITEGRAPH_RETURN_IF_ERROR(ValidateAbuseOptions(*options.abuse));
  }
  if (s.users.size() == 0) {
    return absl::FailedPreconditionError(
        "nothing to build: no friendships, interactions, purchases or "
        "campaigns were added");
  }
  Timestamp as_of =
      options.as_of.value_or(s.max_ts == kMissingTs ? 0 : s.max_ts);
  INVITEGRAPH_RETURN_IF_ERROR(CheckNotAfter("interactions", s.inter_ts, as_of));
  INVITEGRAPH_RETURN_IF_ERROR(CheckNotAfter("purchases", s.purchase_ts, as_of));
  INVITEGRAPH_RETURN_IF_ERROR(CheckNotAfter("campaigns", s.campaign_ts, as_of));
  const int threads = internal::ResolveThreads(config.num_threads);
  internal::ProgressReporter progress(options.progress, 4);

  auto data = std::make_shared<GraphData>();
  data->config = config;
  data->as_of = as_of;
  for (int c = 0; c < kNumChannels; ++c) {
    data->channel_weights[c] = static_cast<float>(channel_weights[c]);
  }
  // Dense ids in ascending external-id order (IdMap::Sorted), whatever the
  // order the rows came in.
  std::vector<uint32_t> user_perm, item_perm;
  data->users = s.users.IsSorted() ? s.users : s.users.Sorted(&user_perm);
  data->items = s.items.IsSorted() ? s.items : s.items.Sorted(&item_perm);
  const auto user_of = [&](uint32_t id) {
    return user_perm.empty() ? id : user_perm[id];
  };
  const auto item_of = [&](uint32_t id) {
    return item_perm.empty() ? id : item_perm[id];
  };
  const uint32_t n = static_cast<uint32_t>(s.users.size());

  // 1. Arcs (EmitArcContributions).
  {
    ArcAggregator agg(n, config.half_life_days, as_of);
    agg.Gather(threads, [&](auto&& emit) {
      EmitArcContributions(s, as_of, user_of, emit);
    });
    progress.Add(1);
    INVITEGRAPH_RETURN_IF_ERROR(agg.Finish(
        channel_weights, config.friendship_weight, threads, data.get()));
    progress.Add(1);
  }

  // 2. Activity and first-seen times.
  data->activity_7d.assign(n, 0);
  data->activity_30d.assign(n, 0);
  data->first_seen.assign(n, -1);
  AddActivity(s, as_of, user_of, data->activity_7d, data->activity_30d,
              data->first_seen);
  FillIsNew(*data);

  // 3. Join rates: exposures from `invited` lists, else from the inviter's
  // contacts.
  data->joins.assign(n, 0);
  data->exposures.assign(n, 0);
  AddJoinsAndExposures(
      s, user_of, [&](NodeId u) { return data->neighbors(u); }, data->joins,
      data->exposures);
  FillJoinRates(*data);
  progress.Add(1);

  // 4. Purchases (including campaign joins and the inviter's own order):
  // per-user item and category affinities, item buyers.
  const PurchaseTriples p =
      CollectPurchases(s, as_of, config.half_life_days, user_of, item_of);
  const auto& p_user = p.user;
  const auto& p_item = p.item;
  const auto& p_weight = p.weight;
  const uint32_t num_items = static_cast<uint32_t>(s.items.size());
  data->item_category.assign(num_items, IdMap::kAbsent);
  {
    // Categories too are numbered in ascending order.
    std::vector<CategoryId> named;
    for (CategoryId c : s.item_category) {
      if (c != kNoCategory) named.push_back(c);
    }
    std::sort(named.begin(), named.end());
    named.erase(std::unique(named.begin(), named.end()), named.end());
    std::vector<uint32_t> dense(named.size());
    data->categories.MapOrInsert(named, dense.data());
    for (uint32_t i = 0; i < num_items && i < s.item_category.size(); ++i) {
      if (s.item_category[i] != kNoCategory) {
        data->item_category[item_of(i)] =
            *data->categories.Find(s.item_category[i]);
      }
    }
  }
  data->user_items = MergeRows({}, 1, n, p_user, p_item, p_weight);
  data->item_buyers = MergeRows({}, 1, num_items, p_item, p_user, p_weight);
  {
    const PurchaseTriples c = p.ByCategory(data->item_category);
    data->user_categories = MergeRows({}, 1, n, c.user, c.item, c.weight);
  }
  FillPurchaseTotals(*data);
  progress.Add(1);

  // 5. Profile attributes.
  data->attributes = BuildAttributes(s.attributes, n, user_of);

  // 6. Communities, once per build, over the finished CSR.
  GraphStats& st = data->stats;
  if (options.communities) FillCommunities(*data);
  if (options.centrality) FillCentrality(*data);
  if (options.abuse) {
    std::vector<AssistEvent> assists = KeptAssists(s, *data);
    AttachAbuse(*data, DetectAbuseOn(*data, *options.abuse, &assists));
  }

  // 7. Statistics.
  st.num_nodes = n;
  st.num_arcs = static_cast<int64_t>(data->targets.size());
  st.num_items = num_items;
  st.num_categories = data->categories.size();
  st.num_events =
      static_cast<int64_t>(s.friend_src.size() + s.inter_src.size() +
                           s.purchase_user.size() + s.campaign_inviter.size());
  // Idempotent ingestion: what a later Update() must skip.
  data->applied_keys.interactions = AppliedKeysOf(s.inter_key);
  data->applied_keys.purchases = AppliedKeysOf(s.purchase_key);
  data->applied_keys.campaigns = AppliedKeysOf(s.campaign_key);
  st.duplicates_skipped = s.duplicates();
  st.purchases_matched = s.purchases_matched;
  FillMemoryStats(*data);
  st.as_of = as_of;
  st.build_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  data->events = std::move(keep);
  return SocialGraph(std::move(data));
}

}  // namespace invitegraph::internal
