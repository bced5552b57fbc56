// File: history.h
// Past campaigns as owned columns: the training history that recorded invite
// outcomes turn into, in the layout GraphBuilder::AddCampaigns() reads.
// Example:
//
//   INVITEGRAPH_ASSIGN_OR_RETURN(CampaignHistory h,
//                                HistoryFromOutcomes(outcome_batch));
//   INVITEGRAPH_RETURN_IF_ERROR(builder.AddCampaigns(h.view()));
//
// Thread safety: a plain value; const methods may run concurrently.
#ifndef INVITEGRAPH_HISTORY_H_
#define INVITEGRAPH_HISTORY_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "invitegraph/events.h"
#include "invitegraph/outcomes.h"
#include "invitegraph/types.h"

namespace invitegraph {

// Campaign r is `inviter[r]` recruiting for `item[r]` from `ts[r]`; its
// invitees are invited[invited_offsets[r] .. invited_offsets[r+1]) and its
// joiners joined[joined_offsets[r] .. joined_offsets[r+1]) (the offset layout
// of CampaignBatch; both offset vectors have size() + 1 entries and start at
// 0).
struct CampaignHistory {
  std::vector<UserId> inviter;
  std::vector<ItemId> item;
  std::vector<Timestamp> ts;         // empty: no timestamps
  std::vector<CategoryId> category;  // empty: categories from the item index
  std::vector<int64_t> joined_offsets = {0};
  std::vector<UserId> joined;
  std::vector<int64_t> invited_offsets = {0};
  std::vector<UserId> invited;

  int64_t size() const { return static_cast<int64_t>(inviter.size()); }
  // A view of these columns, valid while `*this` is unchanged.
  CampaignBatch view() const;
};

// Rows [begin, end) of `batch` as an owned history (offsets rebased), e.g. to
// split campaigns into train and test; the range is clamped to the rows there
// are. Columns absent from `batch` stay empty.
CampaignHistory CopyRows(const CampaignBatch& batch, int64_t begin,
                         int64_t end);

// HistoryFromOutcomes()
//
// One campaign per distinct (inviter, item) of `b`, sorted by inviter then
// item: ts = the earliest ts of its rows, invited = its distinct invitees
// (any outcome), joined = its distinct invitees with an "accepted" row; both
// lists ascending. kInvalidArgument on a bad row, as ValidateOutcomes(b,
// limits).
absl::StatusOr<CampaignHistory> HistoryFromOutcomes(
    const OutcomeBatch& b, const TimeLimits& limits = {});

}  // namespace invitegraph

#endif  // INVITEGRAPH_HISTORY_H_
