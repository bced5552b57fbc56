// Stage 2 of a request group: score the rows, run the policy chain, cut each
// request's list (cut.cc) and explain the suggestions.
#include <algorithm>
#include <cmath>
#include <string>

#include "explain/reasons.h"
#include "invitegraph/status.h"
#include "recommend/impl.h"

namespace invitegraph {

absl::Status Recommender::Impl::SuggestGroup(
    const ServeOptions& options, absl::Span<const NodeId> nodes,
    absl::Span<const Campaign> campaigns, RequestScratch& s,
    absl::Span<InviteList> out) const {
  const int64_t rows = s.offsets.back();
  s.scores.resize(rows);
  INVITEGRAPH_RETURN_IF_ERROR(
      ranker->Score(s.features, absl::MakeSpan(s.scores)));
  const auto ids = graph.user_ids();
  s.candidate_ids.resize(rows);
  for (int64_t i = 0; i < rows; ++i) s.candidate_ids[i] = ids[s.found[i].node];
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
      if (calibrated) sug.join_probability = std::clamp(s.scores[i], 0.f, 1.f);
      sug.rank = static_cast<int>(t + 1);
      if (explained) {
        const float* x = s.features.values.row(i).data();
        sug.reasons =
            internal::ReasonCodes(absl::MakeConstSpan(x, kNumFeatures),
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

int Recommender::Impl::StillNeeded(UserId inviter, const Campaign& c) {
  if (c.team_size <= 0) return -1;
  std::vector<UserId> m = c.members;
  std::sort(m.begin(), m.end());
  m.erase(std::unique(m.begin(), m.end()), m.end());
  const int64_t others =
      static_cast<int64_t>(m.size()) -
      (std::binary_search(m.begin(), m.end(), inviter) ? 1 : 0);
  return static_cast<int>(std::max<int64_t>(0, c.team_size - 1 - others));
}

void Recommender::Impl::AddReason(std::string code,
                                  std::vector<std::string>* reasons) {
  if (std::find(reasons->begin(), reasons->end(), code) == reasons->end())
    reasons->push_back(std::move(code));
}

}  // namespace invitegraph
