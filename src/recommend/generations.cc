// Creating a Recommender, swapping its graph generation, and the recorded
// state every generation hands to the next.
#include "absl/strings/str_cat.h"
#include "feedback/state_snapshot.h"
#include "invitegraph/status.h"
#include "recommend/impl.h"

namespace invitegraph {

absl::StatusOr<std::shared_ptr<Recommender::Impl>> Recommender::Shared::Make(
    SocialGraph graph) const {
  INVITEGRAPH_ASSIGN_OR_RETURN(
      internal::AttributeFeatureColumns columns,
      internal::ResolveAttributeFeatures(graph.data(),
                                         config.scoring.attribute_features));
  auto impl = std::make_shared<Impl>(std::move(graph), config, policy);
  impl->ranker = ranker;
  impl->user_blocks = internal::BuildUserBlocks(impl->graph.data());
  if (config.cascade_size > 0) {
    if (const auto weights = ranker->FirstStageWeights()) {
      impl->first_stage =
          internal::FirstStage::Make(impl->user_blocks, *weights);
      impl->cascade = true;
    }
  }
  impl->attribute_columns = std::move(columns);
  return impl;
}

Recommender::Recommender(std::shared_ptr<const Shared> shared)
    : shared_(std::move(shared)) {}

std::shared_ptr<const Recommender::Impl> Recommender::Current() const {
  return shared_->Get();
}

absl::Status RecommenderConfig::Validate() const {
  INVITEGRAPH_RETURN_IF_ERROR(scoring.Validate("RecommenderConfig.scoring"));
  if (max_reasons < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "RecommenderConfig.max_reasons=", max_reasons, ": must be >= 0"));
  }
  if (cascade_size < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "RecommenderConfig.cascade_size=", cascade_size, ": must be >= 0"));
  }
  INVITEGRAPH_RETURN_IF_ERROR(
      time_limits.Validate("RecommenderConfig.time_limits"));
  INVITEGRAPH_RETURN_IF_ERROR(
      ValidateStateSpec(state, "RecommenderConfig.state"));
  return policy.Validate("RecommenderConfig.policy");
}

absl::StatusOr<Recommender> Recommender::Create(
    SocialGraph graph, RecommenderConfig config,
    std::shared_ptr<const Ranker> ranker) {
  INVITEGRAPH_RETURN_IF_ERROR(config.Validate());
  INVITEGRAPH_ASSIGN_OR_RETURN(internal::PolicyChain chain,
                               internal::PolicyChain::Make(config.policy));
  if (config.policy.diversity > 0 && graph.communities().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "RecommenderConfig.policy.diversity=", config.policy.diversity,
        ": needs the graph's communities, but it was built without them "
        "(BuildOptions::communities = false)"));
  }
  if (ranker == nullptr) {
    INVITEGRAPH_ASSIGN_OR_RETURN(std::unique_ptr<Ranker> r,
                                 MakeRanker("linear"));
    ranker = std::move(r);
  }
  INVITEGRAPH_RETURN_IF_ERROR(CheckFeatureSchema(ranker->schema()));
  // Reasons come from this ranker's own ExplainRows() or not at all
  // (kReasonsUnavailable): explaining another model's weights would invent
  // reasons the ranker did not use.
  auto shared = std::make_shared<Shared>();
  shared->config = config;
  shared->ranker = std::move(ranker);
  shared->policy = std::move(chain);
  INVITEGRAPH_ASSIGN_OR_RETURN(shared->current, shared->Make(std::move(graph)));
  INVITEGRAPH_ASSIGN_OR_RETURN(
      shared->store, internal::OpenStateStore(
                         config.state, config.policy.max_invites_per_recipient,
                         config.time_limits));
  INVITEGRAPH_RETURN_IF_ERROR(
      shared->store->Restore(shared->current->recipients));
  shared->store->Start(shared.get());
  return Recommender(std::move(shared));
}

SocialGraph Recommender::graph() const { return Current()->graph; }

absl::StatusOr<OutcomeReport> Recommender::RecordOutcomes(
    const OutcomeBatch& batch) const {
  return shared_->OnState([&](internal::RecipientState& state) {
    return shared_->store->Record(state, batch);
  });
}

absl::StatusOr<std::vector<bool>> Recommender::ReserveInvites(
    UserId inviter, absl::Span<const UserId> invitees, ItemId item,
    Timestamp ts) const {
  return shared_->OnState([&](internal::RecipientState& state) {
    return shared_->store->Reserve(state, inviter, invitees, item, ts);
  });
}

int64_t Recommender::RecentSends(UserId user, int64_t window_seconds) const {
  return Current()->recipients.RecentSends(user, window_seconds);
}

RecipientFeedback Recommender::FeedbackFor(UserId user) const {
  return Current()->recipients.Lookup(user);
}
const Ranker& Recommender::ranker() const { return *shared_->ranker; }
const RecommenderConfig& Recommender::config() const { return shared_->config; }

absl::Status Recommender::SwapGraph(SocialGraph graph) const {
  if (shared_->config.policy.diversity > 0 && graph.communities().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "SwapGraph: the policy's diversity=", shared_->config.policy.diversity,
        " needs the graph's communities, but the new graph was built without "
        "them"));
  }
  // Everything slow (the new generation) happens before the old state stops
  // taking writes; between Retire() and Publish() writers spin briefly.
  INVITEGRAPH_ASSIGN_OR_RETURN(std::shared_ptr<Impl> next,
                               shared_->Make(std::move(graph)));
  std::lock_guard<std::mutex> swap(shared_->swap_mu);
  const std::shared_ptr<const Impl> old = shared_->Get();
  const absl::Status imported =
      next->recipients.Import(old->recipients.Retire());
  if (!imported.ok()) {  // not expected: Export() output is consistent
    old->recipients.Reopen();
    return imported;
  }
  shared_->Publish(std::move(next));
  return absl::OkStatus();
}

absl::StatusOr<int64_t> Recommender::ForgetUsers(
    absl::Span<const UserId> users) const {
  std::lock_guard<std::mutex> swap(shared_->swap_mu);
  return shared_->store->Forget(Current()->recipients, users);
}

StateStoreInfo Recommender::StateInfo() const { return shared_->store->Info(); }

absl::StatusOr<int64_t> Recommender::SaveState(const std::string& path) const {
  return internal::WriteStateFile(Current()->recipients.Export(), path);
}

absl::StatusOr<std::string> Recommender::StateToBytes() const {
  return internal::StateBytes(Current()->recipients.Export());
}

// Both validate the whole snapshot before the state is replaced.
absl::Status Recommender::LoadState(const std::string& path) const {
  INVITEGRAPH_ASSIGN_OR_RETURN(internal::PortableRecipientState p,
                               internal::ReadStateFile(path));
  std::lock_guard<std::mutex> swap(shared_->swap_mu);
  return shared_->store->Import(Current()->recipients, p);
}

absl::Status Recommender::StateFromBytes(std::string_view bytes) const {
  INVITEGRAPH_ASSIGN_OR_RETURN(internal::PortableRecipientState p,
                               internal::ParseStateBytes(bytes));
  std::lock_guard<std::mutex> swap(shared_->swap_mu);
  return shared_->store->Import(Current()->recipients, p);
}

}  // namespace invitegraph
