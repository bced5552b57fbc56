// Small algorithms over sorted spans, shared by features and abuse scoring.
#ifndef INVITEGRAPH_INTERNAL_SORTED_H_
#define INVITEGRAPH_INTERNAL_SORTED_H_

#include <cstddef>
#include <cstdint>

#include "absl/types/span.h"

namespace invitegraph::internal {

// |a & b| of two ascending lists without repeats, by one merge.
template <typename T>
int64_t SortedIntersectionSize(absl::Span<const T> a, absl::Span<const T> b) {
  int64_t n = 0;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] < b[j]) {
      ++i;
    } else if (b[j] < a[i]) {
      ++j;
    } else {
      ++n;
      ++i;
      ++j;
    }
  }
  return n;
}

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_INTERNAL_SORTED_H_
