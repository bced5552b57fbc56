// Batch validation helpers: each returns kInvalidArgument naming table, column,
// row and value for the first bad row, so nothing is staged from a bad batch.
#ifndef INVITEGRAPH_INGEST_VALIDATE_H_
#define INVITEGRAPH_INGEST_VALIDATE_H_

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <tuple>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "invitegraph/events.h"
#include "invitegraph/status.h"
#include "invitegraph/time_limits.h"
#include "invitegraph/types.h"

namespace invitegraph::internal {

inline absl::Status RowError(std::string_view table, std::string_view column,
                             int64_t row, std::string_view value,
                             std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat(absl::string_view(table.data(), table.size()), ".",
                   absl::string_view(column.data(), column.size()), "[", row,
                   "]=", absl::string_view(value.data(), value.size()), ": ",
                   absl::string_view(why.data(), why.size())));
}

// Every ts[i] must be <= as_of (rows counted across all batches of `table`).
inline absl::Status CheckNotAfter(std::string_view table,
                                  absl::Span<const Timestamp> ts,
                                  Timestamp as_of) {
  for (size_t i = 0; i < ts.size(); ++i) {
    if (ts[i] > as_of) {
      return RowError(table, "ts", i, absl::StrCat(ts[i]),
                      absl::StrCat("timestamp is after as_of=", as_of,
                                   " (rows counted across all batches)"));
    }
  }
  return absl::OkStatus();
}

// All (name, length) pairs must share the first one's length.
inline absl::Status CheckLengths(
    std::string_view table,
    std::initializer_list<std::pair<std::string_view, size_t>> columns) {
  const auto& first = *columns.begin();
  for (const auto& [name, size] : columns) {
    if (size != first.second) {
      return absl::InvalidArgumentError(absl::StrCat(
          absl::string_view(table.data(), table.size()), ": column '",
          absl::string_view(name.data(), name.size()), "' has ", size,
          " rows but '",
          absl::string_view(first.first.data(), first.first.size()), "' has ",
          first.second));
    }
  }
  return absl::OkStatus();
}

inline absl::Status CheckIds(std::string_view table, std::string_view column,
                             absl::Span<const int64_t> ids) {
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0) {
      return RowError(table, column, i, absl::StrCat(ids[i]),
                      "ids must be >= 0");
    }
  }
  return absl::OkStatus();
}

inline absl::Status CheckNoSelfLoops(std::string_view table,
                                     std::string_view src_name,
                                     absl::Span<const int64_t> src,
                                     absl::Span<const int64_t> dst) {
  for (size_t i = 0; i < src.size(); ++i) {
    if (src[i] == dst[i]) {
      return RowError(table, src_name, i, absl::StrCat(src[i]),
                      "self-loop: src and dst are the same user");
    }
  }
  return absl::OkStatus();
}

// Offsets of a list column: size rows + 1, starting at 0, non-decreasing,
// ending at `values`.
inline absl::Status CheckOffsets(std::string_view table,
                                 std::string_view column,
                                 absl::Span<const int64_t> offsets, size_t rows,
                                 size_t values) {
  if (offsets.size() != rows + 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        absl::string_view(table.data(), table.size()), ".",
        absl::string_view(column.data(), column.size()), ": offsets have ",
        offsets.size(), " entries, expected rows + 1 = ", rows + 1));
  }
  if (offsets[0] != 0) {
    return RowError(table, column, 0, absl::StrCat(offsets[0]),
                    "offsets must start at 0");
  }
  for (size_t r = 0; r < rows; ++r) {
    if (offsets[r + 1] < offsets[r]) {
      return RowError(table, column, r, absl::StrCat(offsets[r + 1]),
                      "offsets must not decrease");
    }
  }
  if (static_cast<size_t>(offsets[rows]) != values) {
    return absl::InvalidArgumentError(absl::StrCat(
        absl::string_view(table.data(), table.size()), ".",
        absl::string_view(column.data(), column.size()), ": offsets end at ",
        offsets[rows], " but there are ", values, " values"));
  }
  return absl::OkStatus();
}

// A campaign table (`table` is "campaigns" when staged, "history" when it
// labels training rows): column lengths, list offsets, ids >= 0, plausible
// timestamps (`limits`, time_limits.h), categories >= -1, and no inviter
// among its own joiners or invitees.
inline absl::Status CheckCampaigns(std::string_view table,
                                   const CampaignBatch& b,
                                   const TimeLimits& limits) {
  const size_t n = b.inviter.size();
  INVITEGRAPH_RETURN_IF_ERROR(
      CheckLengths(table, {{"inviter", n}, {"item", b.item.size()}}));
  if (!b.ts.empty()) {
    INVITEGRAPH_RETURN_IF_ERROR(
        CheckLengths(table, {{"inviter", n}, {"ts", b.ts.size()}}));
    INVITEGRAPH_RETURN_IF_ERROR(CheckTimestamps(b.ts, limits, table));
  }
  if (!b.category.empty()) {
    INVITEGRAPH_RETURN_IF_ERROR(
        CheckLengths(table, {{"inviter", n}, {"category", b.category.size()}}));
  }
  INVITEGRAPH_RETURN_IF_ERROR(
      CheckOffsets(table, "joined", b.joined_offsets, n, b.joined.size()));
  if (!b.invited_offsets.empty()) {
    INVITEGRAPH_RETURN_IF_ERROR(
        CheckOffsets(table, "invited", b.invited_offsets, n, b.invited.size()));
  } else if (!b.invited.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(absl::string_view(table.data(), table.size()),
                     ".invited given without invited_offsets"));
  }
  INVITEGRAPH_RETURN_IF_ERROR(CheckIds(table, "inviter", b.inviter));
  INVITEGRAPH_RETURN_IF_ERROR(CheckIds(table, "item", b.item));
  for (const auto& [name, offsets, values] :
       {std::tuple{"joined", b.joined_offsets, b.joined},
        std::tuple{"invited", b.invited_offsets, b.invited}}) {
    if (offsets.empty()) continue;
    for (size_t r = 0; r < n; ++r) {
      for (int64_t j = offsets[r]; j < offsets[r + 1]; ++j) {
        if (values[j] < 0) {
          return RowError(table, name, r, absl::StrCat(values[j]),
                          "ids must be >= 0");
        }
        if (values[j] == b.inviter[r]) {
          return RowError(table, name, r, absl::StrCat(values[j]),
                          "the inviter cannot be among its own invitees");
        }
      }
    }
  }
  for (size_t i = 0; i < b.category.size(); ++i) {
    if (b.category[i] < kNoCategory) {
      return RowError(table, "category", i, absl::StrCat(b.category[i]),
                      "categories must be >= 0 (or -1 for unknown)");
    }
  }
  return absl::OkStatus();
}

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_INGEST_VALIDATE_H_
