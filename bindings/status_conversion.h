// The one place where absl::Status becomes a Python exception: a Python
// model's own exception is raised again as it was; otherwise
// kInvalidArgument -> ValueError, kNotFound -> KeyError, kOutOfRange ->
// IndexError, anything else -> invitegraph.Error.
#ifndef INVITEGRAPH_BINDINGS_STATUS_CONVERSION_H_
#define INVITEGRAPH_BINDINGS_STATUS_CONVERSION_H_

#include <pybind11/pybind11.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace invitegraph::py_bindings {

// invitegraph.Error, created in module.cc.
pybind11::object& ErrorType();

// Raises the Python exception a Python model raised inside the call, if `s`
// carries one (python_ranker.cc), so users see their own exception.
void RethrowPythonError(const absl::Status& s);

inline void ThrowIfError(const absl::Status& s) {
  if (s.ok()) return;
  RethrowPythonError(s);
  const std::string msg(s.message());
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
      throw pybind11::value_error(msg);
    case absl::StatusCode::kNotFound:
      throw pybind11::key_error(msg);
    case absl::StatusCode::kOutOfRange:
      throw pybind11::index_error(msg);
    default:
      PyErr_SetString(ErrorType().ptr(), msg.c_str());
      throw pybind11::error_already_set();
  }
}

template <typename T>
T ValueOrThrow(absl::StatusOr<T>&& s) {
  ThrowIfError(s.status());
  return std::move(s).value();
}

}  // namespace invitegraph::py_bindings

#endif  // INVITEGRAPH_BINDINGS_STATUS_CONVERSION_H_
