#include "invitegraph/recommender.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "candidates/candidate_finder.h"
#include "explain/reasons.h"
#include "features/feature_rows.h"
#include "feedback/recipient_state.h"
#include "graph/graph_data.h"
#include "internal/parallel.h"
#include "invitegraph/status.h"

namespace invitegraph {

using internal::CandidateScratch;

namespace {

// Everything one request needs, reused across requests on the same thread.
struct RequestScratch {
  RequestScratch(uint32_t num_nodes, uint32_t num_items)
      : candidates(num_nodes), items(num_items) {}
  CandidateScratch candidates;
  internal::ItemScratch items;
  std::vector<CandidateScratch::Candidate> found;
  FeatureMatrix features;
  std::vector<float> scores;
  std::vector<int32_t> order;
  std::array<float, kNumFeatures> contribution;
};

}  // namespace

struct Recommender::Impl {
  SocialGraph graph;
  RecommenderConfig config;
  std::shared_ptr<const Ranker> ranker;
  std::shared_ptr<const Ranker>
      explainer;  // `ranker` if it explains, else linear

  // Recorded outcomes, shared by every copy of the Recommender. Mutable: the
  // Recommender is a const handle, and the state locks itself.
  mutable internal::RecipientState recipients;

  // A pool of scratch objects, so concurrent requests never share one.
  mutable std::mutex mu;
  mutable std::vector<std::unique_ptr<RequestScratch>> pool;

  Impl(SocialGraph g, const RecommenderConfig& c)
      : graph(std::move(g)), config(c), recipients(graph.data(), c.feedback) {}

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

  // Candidates and their feature rows into `s.features`.
  void Featurize(NodeId inviter, const Campaign& campaign,
                 RequestScratch& s) const {
    const internal::GraphData& g = graph.data();
    s.candidates.Find(g, inviter, config.candidates, &s.found);
    const auto ctx =
        internal::ResolveCampaign(g, campaign.item, campaign.category);
    // One consistent feedback state for the whole request.
    const internal::RecipientState::Reader feedback(recipients);
    internal::FillFeatures(g, inviter, ctx, s.found, feedback.view(), &s.items,
                           &s.features.values);
  }

  absl::Status RecommendNode(NodeId inviter, const Campaign& campaign, int k,
                             RequestScratch& s,
                             std::vector<Suggestion>* out) const {
    out->clear();
    Featurize(inviter, campaign, s);
    const int64_t rows = static_cast<int64_t>(s.found.size());
    s.scores.resize(rows);
    INVITEGRAPH_RETURN_IF_ERROR(
        ranker->Score(s.features, absl::MakeSpan(s.scores)));
    const auto ids = graph.user_ids();
    // Best first: score descending (NaN last), then external id ascending.
    s.order.resize(rows);
    std::iota(s.order.begin(), s.order.end(), 0);
    auto better = [&](int32_t a, int32_t b) {
      const float x = std::isnan(s.scores[a]) ? -INFINITY : s.scores[a];
      const float y = std::isnan(s.scores[b]) ? -INFINITY : s.scores[b];
      if (x != y) return x > y;
      return ids[s.found[a].node] < ids[s.found[b].node];
    };
    const int64_t take = std::min<int64_t>(k, rows);
    std::partial_sort(s.order.begin(), s.order.begin() + take, s.order.end(),
                      better);
    out->reserve(take);
    for (int64_t r = 0; r < take; ++r) {
      const int32_t i = s.order[r];
      Suggestion sug;
      sug.candidate = ids[s.found[i].node];
      sug.score = s.scores[i];
      sug.rank = static_cast<int>(r + 1);
      if (config.max_reasons > 0) {
        INVITEGRAPH_RETURN_IF_ERROR(
            explainer->Explain(s.features, i, absl::MakeSpan(s.contribution)));
        const float* x = s.features.values.row(i).data();
        sug.reasons =
            internal::ReasonCodes(absl::MakeConstSpan(x, kNumFeatures),
                                  s.contribution, config.max_reasons);
      }
      out->push_back(std::move(sug));
    }
    return absl::OkStatus();
  }
};

Recommender::Recommender(std::shared_ptr<const Impl> impl)
    : impl_(std::move(impl)) {}

absl::StatusOr<Recommender> Recommender::Create(
    SocialGraph graph, RecommenderConfig config,
    std::shared_ptr<const Ranker> ranker) {
  if (config.candidates.max_two_hop < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("RecommenderConfig.candidates.max_two_hop=",
                     config.candidates.max_two_hop, ": must be >= 0"));
  }
  if (config.candidates.hub_degree_cap < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("RecommenderConfig.candidates.hub_degree_cap=",
                     config.candidates.hub_degree_cap, ": must be >= 0"));
  }
  if (config.max_reasons < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("RecommenderConfig.max_reasons=", config.max_reasons,
                     ": must be >= 0"));
  }
  INVITEGRAPH_RETURN_IF_ERROR(
      internal::ValidateFeedbackConfig(config.feedback));
  auto impl = std::make_shared<Impl>(std::move(graph), config);
  if (ranker == nullptr) {
    INVITEGRAPH_ASSIGN_OR_RETURN(std::unique_ptr<Ranker> r,
                                 MakeRanker("linear"));
    ranker = std::move(r);
  }
  INVITEGRAPH_RETURN_IF_ERROR(CheckFeatureSchema(ranker->schema()));
  impl->ranker = std::move(ranker);
  // Use the ranker's own explanation when it has one; else the default linear
  // weights.
  FeatureMatrix probe;
  probe.values = FeatureArray::Zero(1, kNumFeatures);
  std::array<float, kNumFeatures> tmp;
  if (impl->ranker->Explain(probe, 0, absl::MakeSpan(tmp)).ok()) {
    impl->explainer = impl->ranker;
  } else {
    INVITEGRAPH_ASSIGN_OR_RETURN(std::unique_ptr<Ranker> r,
                                 MakeRanker("linear"));
    impl->explainer = std::move(r);
  }
  return Recommender(std::move(impl));
}

const SocialGraph& Recommender::graph() const { return impl_->graph; }

absl::StatusOr<OutcomeReport> Recommender::RecordOutcomes(
    const OutcomeBatch& batch) const {
  return impl_->recipients.Record(batch);
}

RecipientFeedback Recommender::FeedbackFor(UserId user) const {
  return impl_->recipients.Lookup(user);
}
const Ranker& Recommender::ranker() const { return *impl_->ranker; }
const RecommenderConfig& Recommender::config() const { return impl_->config; }

namespace {
absl::StatusOr<NodeId> InviterNode(const SocialGraph& g, UserId inviter) {
  if (auto n = g.FindNode(inviter)) return *n;
  return absl::NotFoundError(
      absl::StrCat("inviter ", inviter, " is not in the graph"));
}
}  // namespace

absl::StatusOr<std::vector<Suggestion>> Recommender::Recommend(
    UserId inviter, const Campaign& campaign, int k) const {
  if (k < 0)
    return absl::InvalidArgumentError(absl::StrCat("k=", k, ": must be >= 0"));
  INVITEGRAPH_ASSIGN_OR_RETURN(NodeId node, InviterNode(impl_->graph, inviter));
  auto scratch = impl_->Acquire();
  std::vector<Suggestion> out;
  absl::Status st = impl_->RecommendNode(node, campaign, k, *scratch, &out);
  impl_->Release(std::move(scratch));
  if (!st.ok()) return st;
  return out;
}

absl::StatusOr<FeatureMatrix> Recommender::Features(
    UserId inviter, const Campaign& campaign) const {
  INVITEGRAPH_ASSIGN_OR_RETURN(NodeId node, InviterNode(impl_->graph, inviter));
  auto scratch = impl_->Acquire();
  impl_->Featurize(node, campaign, *scratch);
  FeatureMatrix out;
  out.values = scratch->features.values;
  const auto ids = impl_->graph.user_ids();
  out.candidates.reserve(scratch->found.size());
  for (const auto& c : scratch->found) out.candidates.push_back(ids[c.node]);
  impl_->Release(std::move(scratch));
  return out;
}

absl::StatusOr<SuggestionTable> Recommender::RecommendBatch(
    absl::Span<const UserId> inviters, absl::Span<const ItemId> items, int k,
    const BatchOptions& options) const {
  if (k < 0)
    return absl::InvalidArgumentError(absl::StrCat("k=", k, ": must be >= 0"));
  if (inviters.size() != items.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("inviters has ", inviters.size(), " rows but items has ",
                     items.size()));
  }
  const int64_t n = static_cast<int64_t>(inviters.size());
  // Resolve all inviters first so an unknown one fails before any work.
  std::vector<NodeId> nodes(n);
  for (int64_t i = 0; i < n; ++i) {
    auto node = impl_->graph.FindNode(inviters[i]);
    if (!node) {
      return absl::NotFoundError(absl::StrCat("inviters[", i, "]=", inviters[i],
                                              " is not in the graph"));
    }
    nodes[i] = *node;
  }
  std::vector<std::vector<Suggestion>> results(n);
  internal::ProgressReporter progress(options.progress, n);
  INVITEGRAPH_RETURN_IF_ERROR(internal::ParallelForRange(
      n, options.num_threads, 64,
      [&](int64_t begin, int64_t end) -> absl::Status {
        auto scratch = impl_->Acquire();
        absl::Status st;
        for (int64_t i = begin; i < end && st.ok(); ++i) {
          st = impl_->RecommendNode(nodes[i], Campaign{.item = items[i]}, k,
                                    *scratch, &results[i]);
        }
        impl_->Release(std::move(scratch));
        progress.Add(end - begin);
        return st;
      }));
  SuggestionTable t;
  int64_t total = 0;
  for (const auto& r : results) total += static_cast<int64_t>(r.size());
  t.inviter.reserve(total);
  t.item.reserve(total);
  t.candidate.reserve(total);
  t.score.reserve(total);
  t.rank.reserve(total);
  t.reasons.reserve(total);
  for (int64_t i = 0; i < n; ++i) {
    for (Suggestion& s : results[i])
      t.Append(inviters[i], items[i], std::move(s));
  }
  return t;
}

}  // namespace invitegraph
