#include "invitegraph/history.h"

#include <algorithm>
#include <numeric>

#include "invitegraph/status.h"

namespace invitegraph {

CampaignBatch CampaignHistory::view() const {
  return CampaignBatch{.inviter = inviter,
                       .item = item,
                       .joined_offsets = joined_offsets,
                       .joined = joined,
                       .ts = ts,
                       .category = category,
                       .invited_offsets = invited_offsets,
                       .invited = invited};
}

CampaignHistory CopyRows(const CampaignBatch& b, int64_t begin, int64_t end) {
  const int64_t n = static_cast<int64_t>(b.inviter.size());
  end = std::clamp<int64_t>(end, 0, n);
  begin = std::clamp<int64_t>(begin, 0, end);
  CampaignHistory h;
  auto rows = [&](auto span, auto& out) {
    if (!span.empty()) out.assign(span.begin() + begin, span.begin() + end);
  };
  rows(b.inviter, h.inviter);
  rows(b.item, h.item);
  rows(b.ts, h.ts);
  rows(b.category, h.category);
  auto lists = [&](absl::Span<const int64_t> offsets,
                   absl::Span<const UserId> values, std::vector<int64_t>& o,
                   std::vector<UserId>& v) {
    if (offsets.empty()) {
      o.clear();
      return;
    }
    v.assign(values.begin() + offsets[begin], values.begin() + offsets[end]);
    o.assign(1, 0);
    for (int64_t r = begin; r < end; ++r)
      o.push_back(offsets[r + 1] - offsets[begin]);
  };
  lists(b.joined_offsets, b.joined, h.joined_offsets, h.joined);
  lists(b.invited_offsets, b.invited, h.invited_offsets, h.invited);
  return h;
}

absl::StatusOr<CampaignHistory> HistoryFromOutcomes(const OutcomeBatch& b,
                                                    const TimeLimits& limits) {
  INVITEGRAPH_RETURN_IF_ERROR(ValidateOutcomes(b, limits));
  const size_t n = b.inviter.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    if (b.inviter[x] != b.inviter[y]) return b.inviter[x] < b.inviter[y];
    if (b.item[x] != b.item[y]) return b.item[x] < b.item[y];
    return x < y;
  });
  CampaignHistory h;
  std::vector<UserId> invited, joined;
  for (size_t g = 0; g < n;) {
    const UserId inviter = b.inviter[order[g]];
    const ItemId item = b.item[order[g]];
    Timestamp ts = b.ts[order[g]];
    invited.clear();
    joined.clear();
    size_t e = g;
    for (; e < n && b.inviter[order[e]] == inviter && b.item[order[e]] == item;
         ++e) {
      const size_t r = order[e];
      ts = std::min(ts, b.ts[r]);
      invited.push_back(b.invitee[r]);
      if (b.outcome[r] == Outcome::kAccepted) joined.push_back(b.invitee[r]);
    }
    for (std::vector<UserId>* list : {&invited, &joined}) {
      std::sort(list->begin(), list->end());
      list->erase(std::unique(list->begin(), list->end()), list->end());
    }
    h.inviter.push_back(inviter);
    h.item.push_back(item);
    h.ts.push_back(ts);
    h.invited.insert(h.invited.end(), invited.begin(), invited.end());
    h.invited_offsets.push_back(static_cast<int64_t>(h.invited.size()));
    h.joined.insert(h.joined.end(), joined.begin(), joined.end());
    h.joined_offsets.push_back(static_cast<int64_t>(h.joined.size()));
    g = e;
  }
  return h;
}

}  // namespace invitegraph
