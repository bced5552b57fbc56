// The last stage of one request: its top k, or the diversity pick.
#include <algorithm>
#include <cmath>

#include "recommend/impl.h"

namespace invitegraph {

void Recommender::Impl::Cut(RequestScratch& s, int64_t lo, int64_t hi, int k,
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

}  // namespace invitegraph
