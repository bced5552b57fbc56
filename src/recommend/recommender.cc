#include "invitegraph/recommender.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <mutex>
#include <numeric>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "candidates/candidate_finder.h"
#include "explain/reasons.h"
#include "features/feature_rows.h"
#include "feedback/recipient_state.h"
#include "feedback/state_snapshot.h"
#include "graph/graph_data.h"
#include "internal/parallel.h"
#include "internal/strings.h"
#include "invitegraph/status.h"
#include "policy/policy_chain.h"
#include "policy/wave_assign.h"

namespace invitegraph {

using internal::CandidateScratch;

namespace {

struct Requests;  // a many-inviter call's requests, resolved (defined below)

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
  std::vector<double> urgencies;
  std::vector<UserId> candidate_ids;
  std::vector<float> adjusted;
  std::vector<uint8_t> keep;
  std::vector<std::pair<int64_t, std::string_view>> policy_reasons;
  std::vector<int64_t> order;
  // The suggested rows of the group in output order, how many per request,
  // and their contributions (chosen.size() x kNumFeatures).
  std::vector<int64_t> chosen;
  std::vector<uint8_t> promoted;  // by chosen row: picked for diversity
  std::vector<int64_t> taken;
  std::vector<float> contributions;
  // The diversity pick: rescaled scores, picked flags and (community, picks).
  std::vector<float> relevance;
  std::vector<uint8_t> picked;
  std::vector<std::pair<uint32_t, int>> community_picks;
  std::vector<double> probabilities;
};

// How SuggestGroup serves a group of requests.
struct ServeOptions {
  int k = 0;
  bool explain = true;    // reasons (config.max_reasons permitting)
  bool diversify = true;  // Policy::diversity and urgency's k
  // If set, per request of the group: the only candidates it may return
  // (sorted ascending).
  absl::Span<const std::vector<UserId>> allowed = {};
};

// The columns RecommenderConfig::attribute_features names, looked up in `g`;
// kInvalidArgument for a column of the wrong type.
absl::StatusOr<internal::AttributeFeatureColumns> ResolveAttributeFeatures(
    const internal::GraphData& g, const AttributeFeatureOptions& o) {
  internal::AttributeFeatureColumns out;
  auto column = [&](const std::string& name, AttributeType type,
                    absl::string_view field)
      -> absl::StatusOr<const internal::AttributeColumn*> {
    const internal::AttributeColumn* c = g.attributes.Find(name);
    if (c != nullptr && c->type != type) {
      return absl::InvalidArgumentError(absl::StrCat(
          "RecommenderConfig.scoring.attribute_features.", field, "='", name,
          "': the graph's column is ", internal::Sv(AttributeTypeName(c->type)),
          ", the feature needs ", internal::Sv(AttributeTypeName(type))));
    }
    return c;
  };
  INVITEGRAPH_ASSIGN_OR_RETURN(
      out.region, column(o.region, AttributeType::kCategory, "region"));
  INVITEGRAPH_ASSIGN_OR_RETURN(
      out.age_band, column(o.age_band, AttributeType::kCategory, "age_band"));
  INVITEGRAPH_ASSIGN_OR_RETURN(out.tags,
                               column(o.tags, AttributeType::kTags, "tags"));
  for (const auto& [category, tags] : o.category_tags) {
    if (tags.empty()) continue;
    std::vector<int32_t> codes;
    for (const std::string& t : tags) {
      const int32_t c = out.tags != nullptr ? out.tags->Find(t) : -1;
      if (c >= 0) codes.push_back(c);
    }
    std::sort(codes.begin(), codes.end());
    codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
    std::vector<std::string> distinct = tags;
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()),
                   distinct.end());
    out.category_tags[category] = {std::move(codes),
                                   static_cast<int32_t>(distinct.size())};
  }
  return out;
}

// `campaign` with its audience compiled for `graph`: as given when it already
// is (or has none), else a copy compiled again from its expression.
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

  // The attribute feature columns of this graph (ResolveAttributeFeatures).
  internal::AttributeFeatureColumns attribute_columns;

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
  // is, the feedback clock, and if `urgency` is, the campaign's urgency.
  void Featurize(NodeId inviter, const Campaign& campaign,
                 CandidateScratch& candidates, internal::ItemScratch& items,
                 std::vector<CandidateScratch::Candidate>* found,
                 FeatureArray* values, std::vector<uint8_t>* at_cap = nullptr,
                 Timestamp* now = nullptr, double* urgency = nullptr) const {
    const internal::GraphData& g = graph.data();
    // One consistent feedback state for the whole request: urgency, features
    // and cap counts see the same recorded outcomes and clock.
    const internal::RecipientState::Reader feedback(recipients);
    const double u =
        campaign.ends_at.has_value()
            ? Urgency(config.policy, *campaign.ends_at, feedback.view().now)
            : 0.0;
    if (u > 0) {
      CandidateOptions wide = config.scoring.candidates;
      wide.max_two_hop = static_cast<int>(std::min<double>(
          std::llround(wide.max_two_hop *
                       (1 + u * (config.policy.urgency_two_hop_factor - 1))),
          std::numeric_limits<int>::max()));
      candidates.Find(g, inviter, wide, found, campaign.audience.program());
    } else {
      candidates.Find(g, inviter, config.scoring.candidates, found,
                      campaign.audience.program());
    }
    const auto ctx = internal::ResolveCampaign(
        g, campaign.item, campaign.category, &attribute_columns);
    internal::FillFeatures(
        g, inviter, ctx, *found, feedback.view(), &items, values,
        static_cast<float>(config.policy.suspicious_tie_discount));
    if (at_cap != nullptr) {
      at_cap->resize(found->size());
      const bool caps = policy.has_caps();
      for (size_t i = 0; i < found->size(); ++i) {
        (*at_cap)[i] = caps && feedback.view().AtCap((*found)[i].node);
      }
    }
    if (now != nullptr) *now = feedback.view().now;
    if (urgency != nullptr) *urgency = u;
  }

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
                                 const Requests& requests,
                                 std::vector<InviteList>& results);

  // Requests [begin, end) of (nodes, campaigns) into out[0, end - begin), in
  // groups: each group's rows go to the ranker in one Score() call and its
  // suggestions in one ExplainRows() call. Groups are formed from the given
  // range only, so they depend on the range and not on the thread running it.
  absl::Status RecommendRange(absl::Span<const NodeId> nodes,
                              absl::Span<const Campaign> campaigns,
                              int64_t begin, int64_t end,
                              const ServeOptions& options, RequestScratch& s,
                              absl::Span<InviteList> out) const {
    const int64_t target_rows = ranker->PreferredBatchRows();
    int64_t i = begin;
    while (i < end) {
      const int64_t first = i;
      s.offsets.assign(1, 0);
      s.nows.clear();
      s.urgencies.clear();
      if (target_rows <= 0 || end - i == 1) {  // nothing to stack
        Featurize(nodes[i], campaigns[i], s.candidates, s.items, &s.found,
                  &s.features.values, &s.at_cap, &s.nows.emplace_back(),
                  &s.urgencies.emplace_back());
        s.offsets.push_back(static_cast<int64_t>(s.found.size()));
        ++i;
      } else {
        s.found.clear();
        s.stacked.clear();
        s.at_cap.clear();
        do {
          Featurize(nodes[i], campaigns[i], s.candidates, s.items,
                    &s.part_found, &s.part, &s.part_at_cap,
                    &s.nows.emplace_back(), &s.urgencies.emplace_back());
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
      ServeOptions group = options;
      if (!options.allowed.empty())
        group.allowed = options.allowed.subspan(first, i - first);
      INVITEGRAPH_RETURN_IF_ERROR(
          SuggestGroup(group, nodes.subspan(first, i - first),
                       campaigns.subspan(first, i - first), s,
                       out.subspan(first - begin, i - first)));
    }
    return absl::OkStatus();
  }

  // Scores the group in `s`, runs the policy chain on each request's rows,
  // keeps each request's top k of the surviving rows (or the diversity pick)
  // and explains them.
  absl::Status SuggestGroup(const ServeOptions& options,
                            absl::Span<const NodeId> nodes,
                            absl::Span<const Campaign> campaigns,
                            RequestScratch& s,
                            absl::Span<InviteList> out) const {
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
      if (!options.allowed.empty()) {
        const std::vector<UserId>& allowed = options.allowed[r];
        for (int64_t i = lo; i < hi; ++i) {
          if (!std::binary_search(allowed.begin(), allowed.end(),
                                  s.candidate_ids[i]))
            s.keep[i] = 0;
        }
      }
    }
    // Reasons by row, each row's codes in the order the steps added them.
    std::stable_sort(
        s.policy_reasons.begin(), s.policy_reasons.end(),
        [](const auto& a, const auto& b) { return a.first < b.first; });
    s.chosen.clear();
    s.promoted.clear();
    s.taken.clear();
    for (size_t r = 0; r < out.size(); ++r) {
      InviteList& list = out[r];
      list = InviteList{};
      list.urgency = s.urgencies[r];
      list.still_needed = StillNeeded(ids[nodes[r]], campaigns[r]);
      list.k = options.k;
      double diversity = 0;
      if (options.diversify) {
        if (config.policy.urgency_raises_k && list.still_needed > options.k) {
          list.k =
              options.k + static_cast<int>(std::llround(
                              list.urgency * (list.still_needed - options.k)));
        }
        diversity = config.policy.diversity * (1 - list.urgency);
      }
      Cut(s, s.offsets[r], s.offsets[r + 1], list.k, diversity);
    }
    // One explanation call for all suggestions of the group. kUnimplemented
    // means the ranker cannot explain: say so rather than guess.
    const bool want_reasons = options.explain && config.max_reasons > 0;
    bool explained = false;
    if (want_reasons && !s.chosen.empty()) {
      s.contributions.resize(s.chosen.size() * kNumFeatures);
      const absl::Status st = ranker->ExplainRows(
          s.features, s.chosen, absl::MakeSpan(s.contributions));
      if (st.ok()) {
        explained = true;
      } else if (st.code() != absl::StatusCode::kUnimplemented) {
        return st;
      }
    }
    const bool calibrated = ranker->calibrated();
    size_t c = 0;
    for (size_t r = 0; r < out.size(); ++r) {
      InviteList& list = out[r];
      std::vector<Suggestion>& v = list.suggestions;
      v.reserve(s.taken[r]);
      for (int64_t t = 0; t < s.taken[r]; ++t, ++c) {
        const int64_t i = s.chosen[c];
        Suggestion sug;
        sug.candidate = s.candidate_ids[i];
        sug.score = s.adjusted[i];
        sug.ranker_score = s.scores[i];
        if (calibrated)
          sug.join_probability = std::clamp(s.scores[i], 0.f, 1.f);
        sug.rank = static_cast<int>(t + 1);
        if (explained) {
          const float* x = s.features.values.row(i).data();
          sug.reasons = internal::ReasonCodes(
              absl::MakeConstSpan(x, kNumFeatures),
              absl::MakeConstSpan(s.contributions)
                  .subspan(c * kNumFeatures, kNumFeatures),
              config.max_reasons);
        } else if (want_reasons) {
          sug.reasons = {kReasonsUnavailable};
        }
        if (want_reasons) {
          auto it = std::lower_bound(
              s.policy_reasons.begin(), s.policy_reasons.end(), i,
              [](const auto& a, int64_t row) { return a.first < row; });
          for (; it != s.policy_reasons.end() && it->first == i; ++it)
            AddReason(std::string(it->second), &sug.reasons);
          if (s.promoted[c]) AddReason(kReasonDiversity, &sug.reasons);
        }
        v.push_back(std::move(sug));
      }
      if (calibrated) {
        s.probabilities.clear();
        list.expected_joins = 0;
        for (const Suggestion& x : v) {
          s.probabilities.push_back(x.join_probability);
          if (!std::isnan(x.join_probability))
            list.expected_joins += x.join_probability;
        }
        if (list.still_needed >= 0) {
          list.fill_probability =
              AtLeastProbability(s.probabilities, list.still_needed);
        }
      }
    }
    return absl::OkStatus();
  }

  // Joiners the team still needs; -1 without a team size.
  static int StillNeeded(UserId inviter, const Campaign& c) {
    if (c.team_size <= 0) return -1;
    std::vector<UserId> m = c.members;
    std::sort(m.begin(), m.end());
    m.erase(std::unique(m.begin(), m.end()), m.end());
    const int64_t others =
        static_cast<int64_t>(m.size()) -
        (std::binary_search(m.begin(), m.end(), inviter) ? 1 : 0);
    return static_cast<int>(std::max<int64_t>(0, c.team_size - 1 - others));
  }

  static void AddReason(std::string code, std::vector<std::string>* reasons) {
    if (std::find(reasons->begin(), reasons->end(), code) == reasons->end())
      reasons->push_back(std::move(code));
  }

  // Appends the chosen rows of [lo, hi) to s.chosen (and s.promoted, s.taken):
  // the top k kept rows by (adjusted score desc, candidate id asc), or with
  // diversity > 0 the greedy pick of policy.h.
  void Cut(RequestScratch& s, int64_t lo, int64_t hi, int k,
           double diversity) const {
    // Best first: adjusted score descending (NaN last), then external id
    // ascending.
    auto better = [&](int64_t a, int64_t b) {
      const float x = std::isnan(s.adjusted[a]) ? -INFINITY : s.adjusted[a];
      const float y = std::isnan(s.adjusted[b]) ? -INFINITY : s.adjusted[b];
      if (x != y) return x > y;
      return s.candidate_ids[a] < s.candidate_ids[b];
    };
    // Filters run before the cut: only surviving rows compete.
    s.order.clear();
    for (int64_t i = lo; i < hi; ++i) {
      if (s.keep[i]) s.order.push_back(i);
    }
    const int64_t n = static_cast<int64_t>(s.order.size());
    const int64_t take = std::min<int64_t>(k, n);
    s.taken.push_back(take);
    if (diversity <= 0 || take <= 1) {
      std::partial_sort(s.order.begin(), s.order.begin() + take, s.order.end(),
                        better);
      s.chosen.insert(s.chosen.end(), s.order.begin(), s.order.begin() + take);
      s.promoted.insert(s.promoted.end(), take, 0);
      return;
    }
    std::sort(s.order.begin(), s.order.end(), better);
    // Scores rescaled to [0, 1]; non-increasing along s.order.
    float top = -INFINITY, bottom = INFINITY;
    for (int64_t i : s.order) {
      if (std::isfinite(s.adjusted[i])) {
        top = std::max(top, s.adjusted[i]);
        bottom = std::min(bottom, s.adjusted[i]);
      }
    }
    s.relevance.resize(n);
    for (int64_t j = 0; j < n; ++j) {
      const float a = s.adjusted[s.order[j]];
      if (std::isnan(a) || a == -INFINITY) {
        s.relevance[j] = 0;
      } else if (a == INFINITY || !(top > bottom)) {
        s.relevance[j] = 1;
      } else {
        s.relevance[j] = (a - bottom) / (top - bottom);
      }
    }
    const auto communities = graph.communities();
    s.picked.assign(n, 0);
    s.community_picks.clear();
    auto picks_of = [&](uint32_t community) -> int* {
      for (auto& [c, m] : s.community_picks) {
        if (c == community) return &m;
      }
      return nullptr;
    };
    int64_t first_open = 0;  // the best-scored row not yet picked
    for (int64_t t = 0; t < take; ++t) {
      int64_t best = -1;
      double best_gain = -INFINITY;
      for (int64_t j = first_open; j < n; ++j) {
        if (s.picked[j]) continue;
        // gain <= relevance, which only falls along the order.
        if (best >= 0 && s.relevance[j] <= best_gain) break;
        const int* m = picks_of(communities[s.found[s.order[j]].node]);
        const double gain = s.relevance[j] - diversity * (m ? *m : 0);
        if (gain > best_gain) {
          best_gain = gain;
          best = j;
        }
      }
      s.picked[best] = 1;
      s.chosen.push_back(s.order[best]);
      s.promoted.push_back(best != first_open ? 1 : 0);
      const uint32_t community = communities[s.found[s.order[best]].node];
      if (int* m = picks_of(community)) {
        ++*m;
      } else {
        s.community_picks.emplace_back(community, 1);
      }
      while (first_open < n && s.picked[first_open]) ++first_open;
    }
  }
};

// What every copy of a Recommender shares: the current generation (graph,
// recorded state and scratch pool, immutable but for the state), swapped
// whole by SwapGraph(), and the parts every generation has in common.
struct Recommender::Shared {
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
  absl::StatusOr<std::shared_ptr<Impl>> Make(SocialGraph graph) const {
    INVITEGRAPH_ASSIGN_OR_RETURN(
        internal::AttributeFeatureColumns columns,
        ResolveAttributeFeatures(graph.data(),
                                 config.scoring.attribute_features));
    auto impl = std::make_shared<Impl>(std::move(graph), config, policy);
    impl->ranker = ranker;
    impl->attribute_columns = std::move(columns);
    return impl;
  }

  // Runs `op` on the current generation's state, again on the next one if a
  // swap retired it meanwhile (a swap publishes right after retiring).
  template <typename Op>
  auto OnState(const Op& op) const {
    for (;;) {
      const std::shared_ptr<const Impl> impl = Get();
      auto result = op(impl->recipients);
      if (!internal::RecipientState::IsRetired(result.status())) return result;
      std::this_thread::yield();
    }
  }
};

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
  INVITEGRAPH_RETURN_IF_ERROR(
      time_limits.Validate("RecommenderConfig.time_limits"));
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
  return Recommender(std::move(shared));
}

SocialGraph Recommender::graph() const { return Current()->graph; }

absl::StatusOr<OutcomeReport> Recommender::RecordOutcomes(
    const OutcomeBatch& batch) const {
  return shared_->OnState(
      [&](internal::RecipientState& state) { return state.Record(batch); });
}

absl::StatusOr<std::vector<bool>> Recommender::ReserveInvites(
    UserId inviter, absl::Span<const UserId> invitees, ItemId item,
    Timestamp ts) const {
  return shared_->OnState([&](internal::RecipientState& state) {
    return state.Reserve(inviter, invitees, item, ts);
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

int64_t Recommender::ForgetUsers(absl::Span<const UserId> users) const {
  std::lock_guard<std::mutex> swap(shared_->swap_mu);
  return Current()->recipients.Forget(users);
}

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
  return Current()->recipients.Import(p);
}

absl::Status Recommender::StateFromBytes(std::string_view bytes) const {
  INVITEGRAPH_ASSIGN_OR_RETURN(internal::PortableRecipientState p,
                               internal::ParseStateBytes(bytes));
  std::lock_guard<std::mutex> swap(shared_->swap_mu);
  return Current()->recipients.Import(p);
}

namespace {
absl::StatusOr<NodeId> InviterNode(const SocialGraph& g, UserId inviter) {
  if (auto n = g.FindNode(inviter)) return *n;
  return absl::NotFoundError(
      absl::StrCat("inviter ", inviter, " is not in the graph"));
}

// A deadline in milliseconds or centuries ahead would silently mean "no
// urgency"; one before 1970 "full urgency".
absl::Status CheckEndsAt(const Campaign& campaign, const TimeLimits& limits) {
  if (!campaign.ends_at.has_value()) return absl::OkStatus();
  return CheckTimestamp(*campaign.ends_at, limits, "campaign.ends_at",
                        TimeUse::kDeadline);
}
}  // namespace

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
  INVITEGRAPH_RETURN_IF_ERROR(CheckEndsAt(campaign, impl->config.time_limits));
  INVITEGRAPH_ASSIGN_OR_RETURN(NodeId node, InviterNode(impl->graph, inviter));
  Campaign rebound;
  INVITEGRAPH_ASSIGN_OR_RETURN(const Campaign* bound,
                               BindAudience(impl->graph, campaign, &rebound));
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
  INVITEGRAPH_RETURN_IF_ERROR(CheckEndsAt(campaign, impl->config.time_limits));
  INVITEGRAPH_ASSIGN_OR_RETURN(NodeId node, InviterNode(impl->graph, inviter));
  Campaign rebound;
  INVITEGRAPH_ASSIGN_OR_RETURN(const Campaign* bound,
                               BindAudience(impl->graph, campaign, &rebound));
  auto scratch = impl->Acquire();
  FeatureMatrix out;
  impl->Featurize(node, *bound, scratch->candidates, scratch->items,
                  &scratch->found, &out.values);
  const auto ids = impl->graph.user_ids();
  out.candidates.reserve(scratch->found.size());
  for (const auto& c : scratch->found) out.candidates.push_back(ids[c.node]);
  impl->Release(std::move(scratch));
  return out;
}

namespace {

// Requests checked and resolved to nodes. With kFail an unknown inviter fails
// before any work; with kSkip only the known ones are kept, `rows` giving each
// kept request's position and `unknown_rows` the skipped positions (both
// ascending: found in one sequential pass, so independent of threads).
struct Requests {
  std::vector<NodeId> nodes;
  std::vector<Campaign> campaigns;
  std::vector<int64_t> rows;
  std::vector<int64_t> unknown_rows;
};

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

}  // namespace

absl::Status Recommender::Impl::ServeAll(
    const std::vector<NodeId>& nodes, const std::vector<Campaign>& campaigns,
    const ServeOptions& options, int num_threads,
    internal::ProgressReporter& progress,
    const std::function<void(int64_t begin, absl::Span<InviteList>)>& sink)
    const {
  const int64_t n = static_cast<int64_t>(nodes.size());
  return internal::ParallelForRange(
      n, num_threads, 64, [&](int64_t begin, int64_t end) -> absl::Status {
        auto scratch = Acquire();
        std::vector<InviteList> lists(end - begin);
        const absl::Status st =
            RecommendRange(nodes, campaigns, begin, end, options, *scratch,
                           absl::MakeSpan(lists));
        Release(std::move(scratch));
        if (!st.ok()) return st;
        sink(begin, absl::MakeSpan(lists));
        progress.Add(end - begin);
        return absl::OkStatus();
      });
}

absl::StatusOr<SuggestionTable> Recommender::RecommendBatch(
    absl::Span<const UserId> inviters, absl::Span<const ItemId> items, int k,
    const BatchOptions& options) const {
  const std::shared_ptr<const Impl> impl = Current();
  INVITEGRAPH_ASSIGN_OR_RETURN(
      Requests req,
      ResolveRequests(impl->graph, inviters, items, k, options.audience,
                      options.unknown_inviters));
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

SuggestionTable Recommender::Impl::ToTable(absl::Span<const UserId> inviters,
                                           absl::Span<const ItemId> items,
                                           const Requests& requests,
                                           std::vector<InviteList>& results) {
  SuggestionTable t;
  t.unknown_inviter_rows = requests.unknown_rows;
  int64_t total = 0;
  for (const auto& r : results)
    total += static_cast<int64_t>(r.suggestions.size());
  t.inviter.reserve(total);
  t.item.reserve(total);
  t.candidate.reserve(total);
  t.score.reserve(total);
  t.ranker_score.reserve(total);
  t.join_probability.reserve(total);
  t.rank.reserve(total);
  t.reasons.reserve(total);
  for (size_t j = 0; j < results.size(); ++j) {
    const int64_t i = requests.rows[j];
    for (Suggestion& s : results[j].suggestions)
      t.Append(inviters[i], items[i], std::move(s));
  }
  return t;
}

absl::StatusOr<Wave> Recommender::RecommendWave(
    absl::Span<const UserId> inviters, absl::Span<const ItemId> items, int k,
    const WaveOptions& options) const {
  const std::shared_ptr<const Impl> impl = Current();
  const auto start = std::chrono::steady_clock::now();
  INVITEGRAPH_ASSIGN_OR_RETURN(
      Requests req,
      ResolveRequests(impl->graph, inviters, items, k, options.audience,
                      options.unknown_inviters));
  if (options.recipient_capacity < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "WaveOptions.recipient_capacity=", options.recipient_capacity,
        ": must be >= 1"));
  }
  if (options.exact_work_limit < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("WaveOptions.exact_work_limit=", options.exact_work_limit,
                     ": must be >= 0"));
  }
  if (!impl->ranker->calibrated()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "RecommendWave maximises expected joins and needs calibrated join "
        "probabilities, but ranker '",
        impl->ranker->spec().substr(0, 40),
        "' scores are not probabilities: fit a \"logistic\" ranker"));
  }
  {
    // Over every row, skipped ones included: a repeat is a malformed wave
    // whether or not its inviter is known yet.
    absl::flat_hash_map<std::pair<UserId, ItemId>, int64_t> seen;
    for (int64_t i = 0; i < static_cast<int64_t>(inviters.size()); ++i) {
      auto [it, fresh] = seen.try_emplace({inviters[i], items[i]}, i);
      if (!fresh) {
        return absl::InvalidArgumentError(
            absl::StrCat("wave row ", i, " (inviter ", inviters[i], ", item ",
                         items[i], ") repeats row ", it->second));
      }
    }
  }
  // From here on, request j is the served request at position req.rows[j].
  const int64_t n = static_cast<int64_t>(req.rows.size());
  internal::ProgressReporter progress(
      options.progress, 2 * static_cast<int64_t>(inviters.size()));
  if (!req.unknown_rows.empty())
    progress.Add(2 * static_cast<int64_t>(req.unknown_rows.size()));

  // 1. Every request's eligible candidates, best adjusted score first, with
  // their join probabilities (no reasons yet).
  struct Eligible {
    UserId candidate;
    float p;
  };
  std::vector<std::vector<Eligible>> eligible(n);
  INVITEGRAPH_RETURN_IF_ERROR(impl->ServeAll(
      req.nodes, req.campaigns,
      ServeOptions{.k = std::numeric_limits<int>::max(),
                   .explain = false,
                   .diversify = false},
      options.num_threads, progress,
      [&](int64_t begin, absl::Span<InviteList> lists) {
        for (size_t i = 0; i < lists.size(); ++i) {
          auto& e = eligible[begin + i];
          e.reserve(lists[i].suggestions.size());
          for (const Suggestion& x : lists[i].suggestions) {
            const float p =
                std::isnan(x.join_probability) ? 0.f : x.join_probability;
            e.push_back({x.candidate, p});
          }
        }
      }));

  // 2. The assignment problem: recipients numbered in order of first
  // appearance, each with room min(recipient_capacity, cap headroom).
  internal::WaveProblem problem;
  problem.num_inviters = static_cast<int32_t>(n);
  problem.k = k;
  absl::flat_hash_map<UserId, int32_t> recipient_of;
  std::vector<UserId> recipients;
  WaveReport report;
  report.requests = n;
  absl::flat_hash_map<UserId, int64_t> naive_load;
  for (int64_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < eligible[i].size(); ++j) {
      const Eligible& e = eligible[i][j];
      auto [it, fresh] = recipient_of.try_emplace(
          e.candidate, static_cast<int32_t>(recipients.size()));
      if (fresh) recipients.push_back(e.candidate);
      problem.edges.push_back(
          {static_cast<int32_t>(i), it->second, static_cast<double>(e.p)});
      if (static_cast<int64_t>(j) < k) {  // naive top k
        ++report.naive_suggestions;
        report.naive_expected_joins += e.p;
        report.naive_max_recipient_load = std::max(
            report.naive_max_recipient_load, ++naive_load[e.candidate]);
      }
    }
  }
  for (const auto& [user, load] : naive_load)
    report.naive_recipients_over_capacity += load > options.recipient_capacity;
  problem.num_recipients = static_cast<int32_t>(recipients.size());
  problem.capacity.resize(recipients.size());
  {
    const internal::RecipientState::Reader feedback(impl->recipients);
    for (size_t r = 0; r < recipients.size(); ++r) {
      const NodeId node = *impl->graph.FindNode(recipients[r]);
      problem.capacity[r] = static_cast<int32_t>(std::clamp<int64_t>(
          feedback.view().Headroom(node), 0, options.recipient_capacity));
    }
  }
  const auto solve_start = std::chrono::steady_clock::now();
  INVITEGRAPH_ASSIGN_OR_RETURN(
      internal::WaveSolution solution,
      internal::SolveWave(problem, options.method, options.exact_work_limit));
  report.solve_seconds = std::chrono::duration<double>(
                             std::chrono::steady_clock::now() - solve_start)
                             .count();
  report.exact = solution.exact;
  std::vector<std::vector<UserId>> allowed(n);
  for (int64_t e : solution.chosen) {
    const internal::WaveEdge& edge = problem.edges[e];
    allowed[edge.inviter].push_back(recipients[edge.recipient]);
  }
  for (auto& a : allowed) std::sort(a.begin(), a.end());
  eligible.clear();
  eligible.shrink_to_fit();

  // 3. Serve each request restricted to its assigned recipients, so lists are
  // ordered and explained as Recommend() does.
  std::vector<InviteList> results(n);
  INVITEGRAPH_RETURN_IF_ERROR(impl->ServeAll(
      req.nodes, req.campaigns,
      ServeOptions{.k = k, .diversify = false, .allowed = allowed},
      options.num_threads, progress,
      [&](int64_t begin, absl::Span<InviteList> lists) {
        for (size_t i = 0; i < lists.size(); ++i)
          results[begin + i] = std::move(lists[i]);
      }));
  absl::flat_hash_map<UserId, int64_t> load;
  for (const InviteList& list : results) {
    report.short_requests += static_cast<int64_t>(list.suggestions.size()) < k;
    for (const Suggestion& x : list.suggestions) {
      ++report.suggestions;
      report.expected_joins +=
          std::isnan(x.join_probability) ? 0 : x.join_probability;
      report.max_recipient_load =
          std::max(report.max_recipient_load, ++load[x.candidate]);
    }
  }
  Wave wave;
  wave.suggestions = Impl::ToTable(inviters, items, req, results);
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  wave.report = report;
  return wave;
}

}  // namespace invitegraph
