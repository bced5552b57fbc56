// Bridges std::string_view and Debian's Abseil 20220623, whose
// absl::string_view is its own type (absl::StrCat does not accept
// std::string_view there).
#ifndef INVITEGRAPH_INTERNAL_STRINGS_H_
#define INVITEGRAPH_INTERNAL_STRINGS_H_

#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

namespace invitegraph::internal {

inline absl::string_view Sv(std::string_view s) { return {s.data(), s.size()}; }

// Joins any range of string-like values with `sep`.
template <typename Range>
std::string Join(const Range& values, std::string_view sep) {
  std::string out;
  bool first = true;
  for (const auto& v : values) {
    if (!first) out.append(sep);
    out.append(std::string_view(v));
    first = false;
  }
  return out;
}

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_INTERNAL_STRINGS_H_
