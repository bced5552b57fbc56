// GraphBuilder (graph_builder.h): stages batches through the ingest layer
// (ingest/stage.h) and builds graphs from them (builder/build.h).
#include "invitegraph/graph_builder.h"

#include <memory>
#include <utility>
#include <vector>

#include "builder/build.h"
#include "graph/arc_aggregator.h"
#include "ingest/id_map.h"
#include "ingest/stage.h"
#include "ingest/staged_events.h"
#include "ingest/validate.h"
#include "internal/parallel.h"
#include "invitegraph/status.h"

namespace invitegraph {

using internal::ArcAggregator;
using internal::IdMap;
using internal::StagedEvents;

GraphBuilder::GraphBuilder(GraphConfig config)
    : config_(std::move(config)), staged_(std::make_shared<StagedEvents>()) {}
GraphBuilder::~GraphBuilder() = default;
GraphBuilder::GraphBuilder(GraphBuilder&&) noexcept = default;
GraphBuilder& GraphBuilder::operator=(GraphBuilder&&) noexcept = default;

// Graphs built with keep_events share the staged rows; the first change after
// such a build copies them, so those graphs never see later batches.
StagedEvents& GraphBuilder::Mutable() {
  if (staged_.use_count() > 1) {
    staged_ = std::make_shared<StagedEvents>(*staged_);
  }
  return *staged_;
}

StagedCounts GraphBuilder::counts() const {
  StagedCounts c;
  c.friendships = static_cast<int64_t>(staged_->friend_src.size());
  c.interactions = static_cast<int64_t>(staged_->inter_src.size());
  c.purchases = static_cast<int64_t>(staged_->purchase_user.size());
  c.campaigns = static_cast<int64_t>(staged_->campaign_inviter.size());
  c.profiles = staged_->profile_rows;
  c.users = staged_->users.size();
  c.items = staged_->items.size();
  c.duplicate_interactions = staged_->duplicate_interactions;
  c.duplicate_purchases = staged_->duplicate_purchases;
  c.duplicate_campaigns = staged_->duplicate_campaigns;
  return c;
}

absl::Status GraphBuilder::AddProfiles(const ProfileBatch& b) {
  return internal::IngestProfiles(
      config_, {*staged_, [this]() -> StagedEvents& { return Mutable(); }}, b);
}
absl::Status GraphBuilder::AddFriendships(const FriendshipBatch& b) {
  return internal::IngestFriendships(
      config_, {*staged_, [this]() -> StagedEvents& { return Mutable(); }}, b);
}
absl::Status GraphBuilder::AddInteractions(const InteractionBatch& b) {
  return internal::IngestInteractions(
      config_, {*staged_, [this]() -> StagedEvents& { return Mutable(); }}, b);
}
absl::Status GraphBuilder::AddInteractions(const EncodedInteractionBatch& b) {
  return internal::IngestInteractions(
      config_, {*staged_, [this]() -> StagedEvents& { return Mutable(); }}, b);
}
absl::Status GraphBuilder::AddPurchases(const PurchaseBatch& b) {
  return internal::IngestPurchases(
      config_, {*staged_, [this]() -> StagedEvents& { return Mutable(); }}, b);
}
absl::Status GraphBuilder::AddCampaigns(const CampaignBatch& b) {
  return internal::IngestCampaigns(
      config_, {*staged_, [this]() -> StagedEvents& { return Mutable(); }}, b);
}

absl::StatusOr<ArcPartialTable> GraphBuilder::PartialArcs(
    Timestamp as_of, int num_threads) const {
  const StagedEvents& s = *staged_;
  INVITEGRAPH_RETURN_IF_ERROR(config_.Validate());
  INVITEGRAPH_RETURN_IF_ERROR(
      CheckTimestamp(as_of, config_.time_limits, "as_of"));
  INVITEGRAPH_RETURN_IF_ERROR(
      internal::CheckNotAfter("interactions", s.inter_ts, as_of));
  INVITEGRAPH_RETURN_IF_ERROR(
      internal::CheckNotAfter("campaigns", s.campaign_ts, as_of));
  ArcPartialTable out;
  if (s.users.size() == 0) return out;
  std::vector<uint32_t> perm;
  const IdMap users = s.users.IsSorted() ? s.users : s.users.Sorted(&perm);
  const auto user_of = [&](uint32_t id) {
    return perm.empty() ? id : perm[id];
  };
  ArcAggregator agg(static_cast<uint32_t>(users.size()), config_.half_life_days,
                    as_of);
  const int threads = internal::ResolveThreads(
      num_threads != 0 ? num_threads : config_.num_threads);
  agg.Gather(threads, [&](auto&& emit) {
    EmitArcContributions(s, as_of, user_of, emit);
  });
  INVITEGRAPH_RETURN_IF_ERROR(
      agg.Reduce(
             threads,
             [&](uint64_t m) {
               out.src.resize(m);
               out.dst.resize(m);
               out.partial.resize(m);
             },
             [&](uint64_t i, NodeId u, NodeId v, const ArcPartial& a) {
               out.src[i] = users.external(u);
               out.dst[i] = users.external(v);
               out.partial[i] = a;
             })
          .status());
  return out;
}

absl::StatusOr<SocialGraph> GraphBuilder::Build(
    const BuildOptions& options) const {
  // The default as_of (the latest staged time) was checked when staged.
  // Training rebuilds call BuildFromStaged directly, as of times checked as
  // history rows.
  if (options.as_of.has_value()) {
    INVITEGRAPH_RETURN_IF_ERROR(config_.Validate());
    INVITEGRAPH_RETURN_IF_ERROR(CheckTimestamp(
        *options.as_of, config_.time_limits, "BuildOptions.as_of"));
  }
  // Purchase rows that are campaign participations are counted once,
  // through their campaign, here and in every rebuild from the kept events.
  const std::shared_ptr<const internal::StagedEvents> events =
      internal::WithoutParticipations(staged_,
                                      config_.participation_window_days);
  return internal::BuildFromStaged(
      *events, options.keep_events ? events : nullptr, config_, options);
}

}  // namespace invitegraph
