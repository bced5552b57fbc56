// The one rule for integers that arrive from Python: ids (users, items,
// categories) and counts (k, caps, team sizes, thread counts). Every binding
// that takes one converts it here, and the pandas layer's table columns
// (invitegraph/_columns.py) call the same functions, so a request and a table
// accept exactly the same values.
//
// Accepted: a Python int or a NumPy integer, and a float (Python or NumPy)
// whose value is an integer of magnitude below 2^53 (every such float is
// exactly one integer; above 2^53 neighbouring integers share a float, so two
// ids could collide). Refused, naming the argument (and the position in a
// sequence) and the value:
//   - a bool, None, a string or any other non-number: ArgumentTypeError
//     (also a TypeError and a ValueError);
//   - NaN, infinity, a fraction, a float of magnitude 2^53 or more, or an
//     integer outside the argument's range: InvalidArgumentError (ValueError).
// Example: ExactInt(k, "k", 0, INT32_MAX) raises "k=1.5: not an integer".
#ifndef INVITEGRAPH_BINDINGS_ARGUMENTS_H_
#define INVITEGRAPH_BINDINGS_ARGUMENTS_H_

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <limits>
#include <optional>

#include "absl/strings/string_view.h"

namespace invitegraph::py_bindings {

inline constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
inline constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
inline constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

// `v` as an exact integer in [lo, hi], or the error described above.
int64_t ExactInt(pybind11::handle v, absl::string_view name,
                 int64_t lo = kInt64Min, int64_t hi = kInt64Max);

// As ExactInt, but None gives nullopt (an optional id such as an item).
std::optional<int64_t> ExactIntOrNone(pybind11::handle v,
                                      absl::string_view name,
                                      int64_t lo = kInt64Min,
                                      int64_t hi = kInt64Max);

// A one-dimensional int64 array of `values` (a NumPy array, a pandas column
// or any sequence but a string), each element under the rule above; an
// error names `name[i]`. Integer arrays pass without a per-element check.
pybind11::array_t<int64_t> ExactInts(pybind11::handle values,
                                     absl::string_view name,
                                     int64_t lo = kInt64Min,
                                     int64_t hi = kInt64Max);

// Registers exact_int and exact_ints on the module, for the Python layer.
void InitArguments(pybind11::module_& m);

}  // namespace invitegraph::py_bindings

#endif  // INVITEGRAPH_BINDINGS_ARGUMENTS_H_
