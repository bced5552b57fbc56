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

// Everything one group of requests needs, reused across groups on the same
// thread. A group is one request unless the ranker asks for stacked rows
// (Ranker::PreferredBatchRows()).
struct RequestScratch {
  RequestScratch(uint32_t num_nodes, uint32_t num_items)
      : candidates(num_nodes), items(num_items) {}
  CandidateScratch candidates;
  internal::ItemScratch items;
  // Candidates of the group's requests, concatenated; row i of `features` is
  // found[i]. Request r owns rows [offsets[r], offsets[r + 1]).
  std::vector<CandidateScratch::Candidate> found;
  std::vector<int64_t> offsets;
  FeatureMatrix features;
  // One request's candidates and rows while stacking, and the stacked rows.
  std::vector<CandidateScratch::Candidate> part_found;
  FeatureArray part;
  std::vector<float> stacked;
  std::vector<float> scores;
  std::vector<int64_t> order;
  // The suggested rows of the group in output order, how many per request,
  // and their contributions (chosen.size() x kNumFeatures).
  std::vector<int64_t> chosen;
  std::vector<int64_t> taken;
  std::vector<float> contributions;
};

}  // namespace

struct Recommender::Impl {
  SocialGraph graph;
  RecommenderConfig config;
  std::shared_ptr<const Ranker> ranker;

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

  // Candidates of one request into `found` and their feature rows into
  // `values`.
  void Featurize(NodeId inviter, const Campaign& campaign,
                 CandidateScratch& candidates, internal::ItemScratch& items,
                 std::vector<CandidateScratch::Candidate>* found,
                 FeatureArray* values) const {
    const internal::GraphData& g = graph.data();
    candidates.Find(g, inviter, config.candidates, found);
    const auto ctx =
        internal::ResolveCampaign(g, campaign.item, campaign.category);
    // One consistent feedback state for the whole request.
    const internal::RecipientState::Reader feedback(recipients);
    internal::FillFeatures(g, inviter, ctx, *found, feedback.view(), &items,
                           values);
  }

  // Requests [begin, end) of (nodes, campaigns) into out[0, end - begin), in
  // groups: each group's rows go to the ranker in one Score() call and its
  // suggestions in one ExplainRows() call. Groups are formed from the given
  // range only, so they depend on the range and not on the thread running it.
  absl::Status RecommendRange(absl::Span<const NodeId> nodes,
                              absl::Span<const Campaign> campaigns,
                              int64_t begin, int64_t end, int k,
                              RequestScratch& s,
                              absl::Span<std::vector<Suggestion>> out) const {
    const int64_t target_rows = ranker->PreferredBatchRows();
    int64_t i = begin;
    while (i < end) {
      const int64_t first = i;
      s.offsets.assign(1, 0);
      if (target_rows <= 0 || end - i == 1) {  // nothing to stack
        Featurize(nodes[i], campaigns[i], s.candidates, s.items, &s.found,
                  &s.features.values);
        s.offsets.push_back(static_cast<int64_t>(s.found.size()));
        ++i;
      } else {
        s.found.clear();
        s.stacked.clear();
        do {
          Featurize(nodes[i], campaigns[i], s.candidates, s.items, &s.part_found,
                    &s.part);
          s.found.insert(s.found.end(), s.part_found.begin(),
                         s.part_found.end());
          s.stacked.insert(s.stacked.end(), s.part.data(),
                           s.part.data() + s.part.size());
          s.offsets.push_back(static_cast<int64_t>(s.found.size()));
          ++i;
        } while (i < end && static_cast<int64_t>(s.found.size()) < target_rows);
        s.features.values = Eigen::Map<const FeatureArray>(
            s.stacked.data(), static_cast<Eigen::Index>(s.found.size()),
            kNumFeatures);
      }
      INVITEGRAPH_RETURN_IF_ERROR(
          SuggestGroup(k, s, out.subspan(first - begin, i - first)));
    }
    return absl::OkStatus();
  }

  // Scores the group in `s`, keeps each request's top k and explains them.
  absl::Status SuggestGroup(int k, RequestScratch& s,
                            absl::Span<std::vector<Suggestion>> out) const {
    const int64_t rows = s.offsets.back();
    s.scores.resize(rows);
    INVITEGRAPH_RETURN_IF_ERROR(
        ranker->Score(s.features, absl::MakeSpan(s.scores)));
    const auto ids = graph.user_ids();
    // Best first: score descending (NaN last), then external id ascending.
    auto better = [&](int64_t a, int64_t b) {
      const float x = std::isnan(s.scores[a]) ? -INFINITY : s.scores[a];
      const float y = std::isnan(s.scores[b]) ? -INFINITY : s.scores[b];
      if (x != y) return x > y;
      return ids[s.found[a].node] < ids[s.found[b].node];
    };
    s.chosen.clear();
    s.taken.clear();
    for (size_t r = 0; r < out.size(); ++r) {
      const int64_t lo = s.offsets[r], hi = s.offsets[r + 1];
      s.order.resize(hi - lo);
      std::iota(s.order.begin(), s.order.end(), lo);
      const int64_t take = std::min<int64_t>(k, hi - lo);
      std::partial_sort(s.order.begin(), s.order.begin() + take, s.order.end(),
                        better);
      s.chosen.insert(s.chosen.end(), s.order.begin(), s.order.begin() + take);
      s.taken.push_back(take);
    }
    // One explanation call for all suggestions of the group. kUnimplemented
    // means the ranker cannot explain: say so rather than guess.
    bool explained = false;
    if (config.max_reasons > 0 && !s.chosen.empty()) {
      s.contributions.resize(s.chosen.size() * kNumFeatures);
      const absl::Status st = ranker->ExplainRows(
          s.features, s.chosen, absl::MakeSpan(s.contributions));
      if (st.ok()) {
        explained = true;
      } else if (st.code() != absl::StatusCode::kUnimplemented) {
        return st;
      }
    }
    size_t c = 0;
    for (size_t r = 0; r < out.size(); ++r) {
      std::vector<Suggestion>& v = out[r];
      v.clear();
      v.reserve(s.taken[r]);
      for (int64_t t = 0; t < s.taken[r]; ++t, ++c) {
        const int64_t i = s.chosen[c];
        Suggestion sug;
        sug.candidate = ids[s.found[i].node];
        sug.score = s.scores[i];
        sug.rank = static_cast<int>(t + 1);
        if (explained) {
          const float* x = s.features.values.row(i).data();
          sug.reasons = internal::ReasonCodes(
              absl::MakeConstSpan(x, kNumFeatures),
              absl::MakeConstSpan(s.contributions)
                  .subspan(c * kNumFeatures, kNumFeatures),
              config.max_reasons);
        } else if (config.max_reasons > 0) {
          sug.reasons = {kReasonsUnavailable};
        }
        v.push_back(std::move(sug));
      }
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
  // Reasons come from this ranker's own ExplainRows() or not at all
  // (kReasonsUnavailable): explaining another model's weights would invent
  // reasons the ranker did not use.
  impl->ranker = std::move(ranker);
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
  absl::Status st = impl_->RecommendRange(
      absl::MakeConstSpan(&node, 1), absl::MakeConstSpan(&campaign, 1), 0, 1, k,
      *scratch, absl::MakeSpan(&out, 1));
  impl_->Release(std::move(scratch));
  if (!st.ok()) return st;
  return out;
}

absl::StatusOr<FeatureMatrix> Recommender::Features(
    UserId inviter, const Campaign& campaign) const {
  INVITEGRAPH_ASSIGN_OR_RETURN(NodeId node, InviterNode(impl_->graph, inviter));
  auto scratch = impl_->Acquire();
  FeatureMatrix out;
  impl_->Featurize(node, campaign, scratch->candidates, scratch->items,
                   &scratch->found,
                   &out.values);
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
  std::vector<Campaign> campaigns(n);
  for (int64_t i = 0; i < n; ++i) {
    campaigns[i].item = items[i];
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
        const absl::Status st = impl_->RecommendRange(
            nodes, campaigns, begin, end, k, *scratch,
            absl::MakeSpan(results).subspan(begin, end - begin));
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
