// Campaign columns from NumPy arrays as a CampaignBatch: the shape both
// GraphBuilder.add_campaigns and build_training_set take (list columns in
// offsets layout). The batch views the arrays, which must outlive it.
#ifndef INVITEGRAPH_BINDINGS_CAMPAIGN_COLUMNS_H_
#define INVITEGRAPH_BINDINGS_CAMPAIGN_COLUMNS_H_

#include <cstdint>
#include <optional>

#include "bindings/numpy.h"
#include "invitegraph/events.h"

namespace invitegraph::py_bindings {

using OptionalColumn = std::optional<Column<int64_t>>;

inline CampaignBatch CampaignColumns(
    const Column<int64_t>& inviter, const Column<int64_t>& item,
    const Column<int64_t>& joined_offsets, const Column<int64_t>& joined,
    const OptionalColumn& ts, const OptionalColumn& category,
    const OptionalColumn& invited_offsets, const OptionalColumn& invited,
    const OptionalColumn& event_id = std::nullopt) {
  return {.inviter = AsSpan(inviter),
          .item = AsSpan(item),
          .joined_offsets = AsSpan(joined_offsets),
          .joined = AsSpan(joined),
          .ts = AsSpan(ts),
          .category = AsSpan(category),
          .invited_offsets = AsSpan(invited_offsets),
          .invited = AsSpan(invited),
          .event_id = AsSpan(event_id)};
}

}  // namespace invitegraph::py_bindings

#endif  // INVITEGRAPH_BINDINGS_CAMPAIGN_COLUMNS_H_
