// The inside of a Recommender: one generation (Impl: a graph with its
// recorded state, scratch pool and the stages of a request) and what every
// copy shares (Shared: config, ranker, policy chain and the current
// generation). Each stage of a request is defined in its own file:
//
//   featurize.cc   candidates and feature rows of one request
//   serve.cc       grouping requests, thread chunks, scratch pool, tables
//   suggest.cc     score, policy chain, cut and reasons of a group
//   cut.cc         the top-k / diversity cut of one request
//   generations.cc creating, swapping and the recorded state
//   requests.cc    checking and resolving requests
//   recommender.cc the public request entry points; wave.cc RecommendWave
#ifndef INVITEGRAPH_RECOMMEND_IMPL_H_
#define INVITEGRAPH_RECOMMEND_IMPL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "candidates/candidate_finder.h"
#include "features/feature_rows.h"
#include "feedback/recipient_state.h"
#include "feedback/state_store.h"
#include "internal/parallel.h"
#include "invitegraph/recommender.h"
#include "policy/policy_chain.h"
#include "recommend/request_scratch.h"

namespace invitegraph {

namespace internal {
struct Requests;  // requests.h

// The columns RecommenderConfig::attribute_features names, looked up in `g`;
// kInvalidArgument for a column of the wrong type (featurize.cc).
absl::StatusOr<AttributeFeatureColumns> ResolveAttributeFeatures(
    const GraphData& g, const AttributeFeatureOptions& o);
}  // namespace internal

using internal::CandidateScratch;
using internal::RequestScratch;
using internal::ServeOptions;

struct Recommender::Impl {
  SocialGraph graph;
  RecommenderConfig config;
  std::shared_ptr<const Ranker> ranker;
  internal::PolicyChain policy;

  // Recorded outcomes, shared by every copy of the Recommender. Mutable: the
  // Recommender is a const handle, and the state locks itself.
  mutable internal::RecipientState recipients;

  // A pool of scratch objects, so concurrent requests never share one.
  mutable std::mutex mu;
  mutable std::vector<std::unique_ptr<RequestScratch>> pool;

  // The attribute feature columns of this graph (ResolveAttributeFeatures).
  internal::AttributeFeatureColumns attribute_columns;
  // The graph's per-user feature inputs, a cache line a user (user_block.h).
  internal::UserBlocks user_blocks;
  // The cascade's first stage for this graph and ranker (cascade.h), if
  // config.cascade_size > 0 and the ranker gives first-stage weights.
  internal::FirstStage first_stage;
  bool cascade = false;

  Impl(SocialGraph g, const RecommenderConfig& c, internal::PolicyChain p)
      : graph(std::move(g)),
        config(c),
        policy(std::move(p)),
        recipients(graph.data(), c.scoring.feedback,
                   c.policy.max_invites_per_recipient, c.time_limits) {}

  std::unique_ptr<RequestScratch> Acquire() const {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!pool.empty()) {
        auto s = std::move(pool.back());
        pool.pop_back();
        return s;
      }
    }
    return std::make_unique<RequestScratch>(
        static_cast<uint32_t>(graph.num_nodes()),
        static_cast<uint32_t>(graph.data().items.size()));
  }
  void Release(std::unique_ptr<RequestScratch> s) const {
    std::lock_guard<std::mutex> lock(mu);
    pool.push_back(std::move(s));
  }

  // Candidates of one request into `found` and their feature rows into
  // `values`; if `at_cap` is set, whether each candidate is at a cap, if `now`
  // is, the feedback clock, and if `urgency` is, the campaign's urgency. With
  // `keep` >= 0 the cascade (cascade.h) keeps the best `keep` candidates of a
  // larger pool, and `cut` (if set) says whether it cut any.
  void Featurize(NodeId inviter, const Campaign& campaign, RequestScratch& s,
                 std::vector<CandidateScratch::Candidate>* found,
                 FeatureArray* values, std::vector<uint8_t>* at_cap = nullptr,
                 Timestamp* now = nullptr, double* urgency = nullptr,
                 int64_t keep = -1, bool* cut = nullptr) const;

  // How many candidates of a request the cascade keeps: -1 for all (the
  // cascade is off or the ranker gives no first-stage weights, the request is
  // a wave's restricted one, or options say so), else
  // RecommenderConfig::cascade_size but never fewer than the k the request
  // may ask for (options.cascade_k if set).
  int64_t CascadeKeep(const ServeOptions& options, UserId inviter,
                      const Campaign& campaign) const;

  // All requests, in chunks of 64 across `num_threads` threads; each chunk's
  // lists go to `sink` (called concurrently for disjoint chunks).
  absl::Status ServeAll(
      const std::vector<NodeId>& nodes, const std::vector<Campaign>& campaigns,
      const ServeOptions& options, int num_threads,
      internal::ProgressReporter& progress,
      const std::function<void(int64_t begin, absl::Span<InviteList>)>& sink)
      const;

  // results[j]'s suggestions as rows (inviters[i], items[i], ...) with
  // i = requests.rows[j], and requests.unknown_rows; moves the suggestions.
  static SuggestionTable ToTable(absl::Span<const UserId> inviters,
                                 absl::Span<const ItemId> items,
                                 const internal::Requests& requests,
                                 std::vector<InviteList>& results);

  // Requests [begin, end) of (nodes, campaigns) into out[0, end - begin), in
  // groups: each group's rows go to the ranker in one Score() call and its
  // suggestions in one ExplainRows() call. Groups are formed from the given
  // range only, so they depend on the range and not on the thread running it.
  absl::Status RecommendRange(absl::Span<const NodeId> nodes,
                              absl::Span<const Campaign> campaigns,
                              int64_t begin, int64_t end,
                              const ServeOptions& options, RequestScratch& s,
                              absl::Span<InviteList> out) const;

  // Scores the group in `s`, runs the policy chain on each request's rows,
  // keeps each request's top k of the surviving rows (or the diversity pick)
  // and explains them.
  absl::Status SuggestGroup(const ServeOptions& options,
                            absl::Span<const NodeId> nodes,
                            absl::Span<const Campaign> campaigns,
                            RequestScratch& s,
                            absl::Span<InviteList> out) const;

  // Joiners the team still needs; -1 without a team size.
  static int StillNeeded(UserId inviter, const Campaign& c);

  static void AddReason(std::string code, std::vector<std::string>* reasons);

  // Appends the chosen rows of [lo, hi) to s.chosen (and s.promoted, s.taken):
  // the top k kept rows by (adjusted score desc, candidate id asc), or with
  // diversity > 0 the greedy pick of policy.h.
  void Cut(RequestScratch& s, int64_t lo, int64_t hi, int k,
           double diversity) const;
};

// What every copy of a Recommender shares: the current generation (graph,
// recorded state and scratch pool, immutable but for the state), swapped
// whole by SwapGraph(), the parts every generation has in common, and the
// state store (RecommenderConfig::state) every generation's state writes
// through.
struct Recommender::Shared final : internal::StateHost {
  RecommenderConfig config;
  std::shared_ptr<const Ranker> ranker;
  internal::PolicyChain policy;

  mutable std::mutex mu;  // guards `current`, held only to copy or replace it
  mutable std::shared_ptr<const Impl> current;
  mutable std::mutex swap_mu;  // serialises swaps and state loads

  std::shared_ptr<const Impl> Get() const {
    std::lock_guard<std::mutex> lock(mu);
    return current;
  }
  void Publish(std::shared_ptr<const Impl> next) const {
    std::lock_guard<std::mutex> lock(mu);
    current = std::move(next);
  }
  // A generation for `graph`: its own state, scratch pool and attribute
  // columns; kInvalidArgument if the columns do not fit the config.
  absl::StatusOr<std::shared_ptr<Impl>> Make(SocialGraph graph) const;

  // Runs `op` on the current generation's state, again on the next one if a
  // swap retired it meanwhile (a swap publishes right after retiring).
  template <typename Op>
  auto OnState(const Op& op) const {
    for (;;) {
      const std::shared_ptr<const Impl> impl = Get();
      auto result = op(impl->recipients);
      if (!internal::RecipientState::IsRetired(StatusOf(result))) return result;
      std::this_thread::yield();
    }
  }
  template <typename T>
  static absl::Status StatusOf(const absl::StatusOr<T>& r) {
    return r.status();
  }
  static absl::Status StatusOf(const absl::Status& s) { return s; }

  // StateHost, for the store's background work.
  absl::Status WithState(
      absl::FunctionRef<absl::Status(internal::RecipientState&)> op) override {
    std::lock_guard<std::mutex> swap(swap_mu);
    return op(Get()->recipients);
  }
  absl::Status ApplyEvent(const internal::StateEvent& e) override {
    return OnState(
        [&](internal::RecipientState& state) { return state.Apply(e); });
  }

  // Declared last, so it goes first: its threads stop while the generations
  // they reach are still there.
  std::unique_ptr<internal::StateStore> store;
};

}  // namespace invitegraph

#endif  // INVITEGRAPH_RECOMMEND_IMPL_H_
