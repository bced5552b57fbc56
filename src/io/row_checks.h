// The checks a loaded snapshot's compressed rows (the CSR adjacency, user
// items and categories, item buyers) must pass before anything reads them,
// at memory speed.
//
// Each check has a fast path and an exact one. The fast path decides only
// whether the rows are valid, in passes that are sequential or cache-local
// and split over threads; only when it finds them invalid does the exact,
// row-by-row pass run, to name the first offending row or arc. So the
// message, like the outcome, is the same for every thread count, and the
// same as the row-by-row checks have always given.
#ifndef INVITEGRAPH_IO_ROW_CHECKS_H_
#define INVITEGRAPH_IO_ROW_CHECKS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace invitegraph::internal {

// Row offsets `off` over `num_keys` entries: they must start at 0, never
// decrease and end at `num_keys`, so no row reaches past the entries (not
// even one before a decrease). O(rows). kDataLoss naming `what` and the row.
absl::Status CheckRowOffsets(absl::string_view what,
                             absl::Span<const uint64_t> off, uint64_t num_keys);

// CheckRowOffsets, then: every key below `bound`, and keys strictly
// increasing within each row. O(rows + keys) on up to `threads` threads
// (0: all cores). kDataLoss naming `what`, the row and the key.
absl::Status CheckRows(absl::string_view what, absl::Span<const uint64_t> off,
                       absl::Span<const uint32_t> keys, uint64_t bound,
                       int threads);

// For rows that passed CheckRows with bound = number of rows: every arc
// u -> v has its reverse v -> u, and no node links to itself. The recommender
// looks up the reverse of every arc it scores, so a missing one would read
// out of bounds. O(rows + arcs) time on up to `threads` threads, and a
// scratch array of 8 bytes per arc u -> v with u < v (half the arcs).
// kDataLoss naming the first (by source, then target) arc without its
// reverse, or the node linking to itself.
absl::Status CheckSymmetric(absl::Span<const uint64_t> off,
                            absl::Span<const uint32_t> targets, int threads);

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_IO_ROW_CHECKS_H_
