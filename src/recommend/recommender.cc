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
#include "policy/policy_chain.h"

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
  // Policy inputs and outputs per row of the group: cap flags (taken with
  // the features), candidate ids, adjusted scores, kept flags and the
  // (row, code) reasons the steps added; and each request's feedback "now".
  std::vector<uint8_t> at_cap, part_at_cap;
  std::vector<Timestamp> nows;
  std::vector<UserId> candidate_ids;
  std::vector<float> adjusted;
  std::vector<uint8_t> keep;
  std::vector<std::pair<int64_t, std::string_view>> policy_reasons;
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
  internal::PolicyChain policy;

  // Recorded outcomes, shared by every copy of the Recommender. Mutable: the
  // Recommender is a const handle, and the state locks itself.
  mutable internal::RecipientState recipients;

  // A pool of scratch objects, so concurrent requests never share one.
  mutable std::mutex mu;
  mutable std::vector<std::unique_ptr<RequestScratch>> pool;

  Impl(SocialGraph g, const RecommenderConfig& c, internal::PolicyChain p)
      : graph(std::move(g)),
        config(c),
        policy(std::move(p)),
        recipients(graph.data(), c.feedback,
                   c.policy.max_invites_per_recipient) {}

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
  // `values`; if `at_cap` is set, whether each candidate is at a cap, and if
  // `now` is, the feedback clock.
  void Featurize(NodeId inviter, const Campaign& campaign,
                 CandidateScratch& candidates, internal::ItemScratch& items,
                 std::vector<CandidateScratch::Candidate>* found,
                 FeatureArray* values, std::vector<uint8_t>* at_cap = nullptr,
                 Timestamp* now = nullptr) const {
    const internal::GraphData& g = graph.data();
    candidates.Find(g, inviter, config.candidates, found);
    const auto ctx =
        internal::ResolveCampaign(g, campaign.item, campaign.category);
    // One consistent feedback state for the whole request: features and cap
    // counts see the same recorded outcomes.
    const internal::RecipientState::Reader feedback(recipients);
    internal::FillFeatures(g, inviter, ctx, *found, feedback.view(), &items,
                           values);
    if (at_cap != nullptr) {
      at_cap->resize(found->size());
      const bool caps = policy.has_caps();
      for (size_t i = 0; i < found->size(); ++i) {
        (*at_cap)[i] = caps && feedback.view().AtCap((*found)[i].node);
      }
    }
    if (now != nullptr) *now = feedback.view().now;
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
      s.nows.clear();
      if (target_rows <= 0 || end - i == 1) {  // nothing to stack
        Featurize(nodes[i], campaigns[i], s.candidates, s.items, &s.found,
                  &s.features.values, &s.at_cap, &s.nows.emplace_back());
        s.offsets.push_back(static_cast<int64_t>(s.found.size()));
        ++i;
      } else {
        s.found.clear();
        s.stacked.clear();
        s.at_cap.clear();
        do {
          Featurize(nodes[i], campaigns[i], s.candidates, s.items,
                    &s.part_found, &s.part, &s.part_at_cap,
                    &s.nows.emplace_back());
          s.found.insert(s.found.end(), s.part_found.begin(),
                         s.part_found.end());
          s.at_cap.insert(s.at_cap.end(), s.part_at_cap.begin(),
                          s.part_at_cap.end());
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
          SuggestGroup(k, nodes.subspan(first, i - first),
                       campaigns.subspan(first, i - first), s,
                       out.subspan(first - begin, i - first)));
    }
    return absl::OkStatus();
  }

  // Scores the group in `s`, runs the policy chain on each request's rows,
  // keeps each request's top k of the surviving rows and explains them.
  absl::Status SuggestGroup(int k, absl::Span<const NodeId> nodes,
                            absl::Span<const Campaign> campaigns,
                            RequestScratch& s,
                            absl::Span<std::vector<Suggestion>> out) const {
    const int64_t rows = s.offsets.back();
    s.scores.resize(rows);
    INVITEGRAPH_RETURN_IF_ERROR(
        ranker->Score(s.features, absl::MakeSpan(s.scores)));
    const auto ids = graph.user_ids();
    s.candidate_ids.resize(rows);
    for (int64_t i = 0; i < rows; ++i)
      s.candidate_ids[i] = ids[s.found[i].node];
    s.adjusted.assign(s.scores.begin(), s.scores.end());
    s.keep.assign(rows, 1);
    s.policy_reasons.clear();
    const absl::Span<const float> values(s.features.values.data(),
                                         s.features.values.size());
    for (size_t r = 0; r < out.size(); ++r) {
      const int64_t lo = s.offsets[r], hi = s.offsets[r + 1];
      const size_t first_reason = s.policy_reasons.size();
      PolicyContext ctx;
      ctx.inviter = ids[nodes[r]];
      ctx.item = campaigns[r].item;
      ctx.members = campaigns[r].members;
      ctx.now = s.nows[r];
      CandidateRows view(
          absl::MakeConstSpan(s.candidate_ids).subspan(lo, hi - lo),
          values.subspan(lo * kNumFeatures, (hi - lo) * kNumFeatures),
          absl::MakeConstSpan(s.at_cap).subspan(lo, hi - lo),
          absl::MakeSpan(s.adjusted).subspan(lo, hi - lo),
          absl::MakeSpan(s.keep).subspan(lo, hi - lo), &s.policy_reasons);
      INVITEGRAPH_RETURN_IF_ERROR(policy.Apply(ctx, view));
      for (size_t j = first_reason; j < s.policy_reasons.size(); ++j)
        s.policy_reasons[j].first += lo;
    }
    // Reasons by row, each row's codes in the order the steps added them.
    std::stable_sort(
        s.policy_reasons.begin(), s.policy_reasons.end(),
        [](const auto& a, const auto& b) { return a.first < b.first; });
    // Best first: adjusted score descending (NaN last), then external id
    // ascending.
    auto better = [&](int64_t a, int64_t b) {
      const float x = std::isnan(s.adjusted[a]) ? -INFINITY : s.adjusted[a];
      const float y = std::isnan(s.adjusted[b]) ? -INFINITY : s.adjusted[b];
      if (x != y) return x > y;
      return s.candidate_ids[a] < s.candidate_ids[b];
    };
    s.chosen.clear();
    s.taken.clear();
    for (size_t r = 0; r < out.size(); ++r) {
      const int64_t lo = s.offsets[r], hi = s.offsets[r + 1];
      // Filters run before the cut: only surviving rows compete.
      s.order.clear();
      for (int64_t i = lo; i < hi; ++i) {
        if (s.keep[i]) s.order.push_back(i);
      }
      const int64_t take =
          std::min<int64_t>(k, static_cast<int64_t>(s.order.size()));
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
        sug.candidate = s.candidate_ids[i];
        sug.score = s.adjusted[i];
        sug.ranker_score = s.scores[i];
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
        if (config.max_reasons > 0 && !s.policy_reasons.empty()) {
          auto it = std::lower_bound(
              s.policy_reasons.begin(), s.policy_reasons.end(), i,
              [](const auto& a, int64_t row) { return a.first < row; });
          for (; it != s.policy_reasons.end() && it->first == i; ++it) {
            std::string code(it->second);
            if (std::find(sug.reasons.begin(), sug.reasons.end(), code) ==
                sug.reasons.end())
              sug.reasons.push_back(std::move(code));
          }
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
  INVITEGRAPH_ASSIGN_OR_RETURN(internal::PolicyChain chain,
                               internal::PolicyChain::Make(config.policy));
  auto impl =
      std::make_shared<Impl>(std::move(graph), config, std::move(chain));
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

absl::StatusOr<std::vector<bool>> Recommender::ReserveInvites(
    UserId inviter, absl::Span<const UserId> invitees, ItemId item,
    Timestamp ts) const {
  return impl_->recipients.Reserve(inviter, invitees, item, ts);
}

int64_t Recommender::RecentSends(UserId user, int64_t window_seconds) const {
  return impl_->recipients.RecentSends(user, window_seconds);
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
                   &scratch->found, &out.values);
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
