// Outcome columns from NumPy arrays as an OutcomeBatch. Converts with the GIL
// held; batch() may then be used without it while the arrays live.
#ifndef INVITEGRAPH_BINDINGS_OUTCOME_COLUMNS_H_
#define INVITEGRAPH_BINDINGS_OUTCOME_COLUMNS_H_

#include <cstdint>
#include <vector>

#include "bindings/numpy.h"
#include "invitegraph/outcomes.h"

namespace invitegraph::py_bindings {

class OutcomeColumns {
 public:
  // `outcome` holds codes in OutcomeNames() order; the core validates them.
  OutcomeColumns(const Column<int64_t>& inviter, const Column<int64_t>& invitee,
                 const Column<int64_t>& item, const Column<int64_t>& ts,
                 const Column<uint8_t>& outcome)
      : inviter_(AsSpan(inviter)),
        invitee_(AsSpan(invitee)),
        item_(AsSpan(item)),
        ts_(AsSpan(ts)) {
    const absl::Span<const uint8_t> codes = AsSpan(outcome);
    outcome_.reserve(codes.size());
    for (uint8_t c : codes) outcome_.push_back(static_cast<Outcome>(c));
  }

  OutcomeBatch batch() const {
    return {.inviter = inviter_,
            .invitee = invitee_,
            .item = item_,
            .ts = ts_,
            .outcome = outcome_};
  }

 private:
  absl::Span<const UserId> inviter_, invitee_;
  absl::Span<const ItemId> item_;
  absl::Span<const Timestamp> ts_;
  std::vector<Outcome> outcome_;
};

}  // namespace invitegraph::py_bindings

#endif  // INVITEGRAPH_BINDINGS_OUTCOME_COLUMNS_H_
