// How requests are served: in groups (RecommendRange), in thread chunks
// (ServeAll), and gathered into a SuggestionTable (ToTable).
#include <algorithm>
#include <vector>

#include "invitegraph/status.h"
#include "recommend/impl.h"
#include "recommend/requests.h"

namespace invitegraph {

absl::Status Recommender::Impl::RecommendRange(
    absl::Span<const NodeId> nodes, absl::Span<const Campaign> campaigns,
    int64_t begin, int64_t end, const ServeOptions& options, RequestScratch& s,
    absl::Span<InviteList> out) const {
  const int64_t target_rows = ranker->PreferredBatchRows();
  const auto ids = graph.user_ids();
  std::vector<int64_t> redo;
  int64_t i = begin;
  while (i < end) {
    const int64_t first = i;
    s.offsets.assign(1, 0);
    s.nows.clear();
    s.urgencies.clear();
    s.cut.clear();
    auto featurize = [&](std::vector<CandidateScratch::Candidate>* found,
                         FeatureArray* values, std::vector<uint8_t>* at_cap) {
      bool cut = false;
      Featurize(nodes[i], campaigns[i], s, found, values, at_cap,
                &s.nows.emplace_back(), &s.urgencies.emplace_back(),
                CascadeKeep(options, ids[nodes[i]], campaigns[i]), &cut);
      s.cut.push_back(cut);
    };
    if (target_rows <= 0 || end - i == 1) {  // nothing to stack
      featurize(&s.found, &s.features.values, &s.at_cap);
      s.offsets.push_back(static_cast<int64_t>(s.found.size()));
      ++i;
    } else {
      s.found.clear();
      s.stacked.clear();
      s.at_cap.clear();
      do {
        featurize(&s.part_found, &s.part, &s.part_at_cap);
        s.found.insert(s.found.end(), s.part_found.begin(), s.part_found.end());
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
    // A cut pool whose survivors the policy filtered below k: serve the
    // request again from its whole pool, so the cascade never returns fewer
    // suggestions than a full scoring would.
    for (int64_t r = first; r < i; ++r) {
      const InviteList& list = out[r - begin];
      const int64_t wanted = options.cascade_k >= 0
                                 ? std::min<int64_t>(options.cascade_k, list.k)
                                 : list.k;
      if (s.cut[r - first] &&
          static_cast<int64_t>(list.suggestions.size()) < wanted) {
        redo.push_back(r);
      }
    }
  }
  if (!redo.empty()) {
    ServeOptions whole = options;
    whole.cascade = false;
    for (int64_t r : redo) {
      INVITEGRAPH_RETURN_IF_ERROR(RecommendRange(
          nodes, campaigns, r, r + 1, whole, s, out.subspan(r - begin, 1)));
    }
  }
  return absl::OkStatus();
}

int64_t Recommender::Impl::CascadeKeep(const ServeOptions& options,
                                       UserId inviter,
                                       const Campaign& campaign) const {
  if (!cascade || !options.cascade || !options.allowed.empty()) return -1;
  int64_t k = options.cascade_k >= 0 ? options.cascade_k : options.k;
  if (options.diversify && config.policy.urgency_raises_k) {
    k = std::max<int64_t>(k, StillNeeded(inviter, campaign));
  }
  return std::max<int64_t>(config.cascade_size, k);
}

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

SuggestionTable Recommender::Impl::ToTable(absl::Span<const UserId> inviters,
                                           absl::Span<const ItemId> items,
                                           const internal::Requests& requests,
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

}  // namespace invitegraph
