// The one place where a failure becomes a Python exception. Every exception
// the bindings raise is one of invitegraph._errors (docs/refusals.md: "What
// invitegraph refuses"): a Python model's own exception is raised again as it
// was; otherwise kInvalidArgument -> InvalidArgumentError (a ValueError),
// kNotFound -> NotFoundError (a KeyError), kOutOfRange -> OutOfRangeError (an
// IndexError), kDataLoss -> SnapshotError (an OSError), anything else ->
// invitegraph.Error. Calls that read or write files convert with
// ThrowIfFileError, so that a missing file is a SnapshotError, not a KeyError.
#ifndef INVITEGRAPH_BINDINGS_STATUS_CONVERSION_H_
#define INVITEGRAPH_BINDINGS_STATUS_CONVERSION_H_

#include <pybind11/pybind11.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace invitegraph::py_bindings {

// The classes of invitegraph._errors, looked up once in module.cc.
enum class ErrorClass {
  kError,
  kInvalidArgument,
  kArgumentType,
  kNotFound,
  kOutOfRange,
  kSnapshot,
  kSnapshotNotFound,
  kSnapshotPermission,
};
pybind11::handle ErrorType(ErrorClass c = ErrorClass::kError);

// Raises `c` with `message`.
[[noreturn]] void Raise(ErrorClass c, absl::string_view message);

// Raises the Python exception a Python model raised inside the call, if `s`
// carries one (python_ranker.cc), so users see their own exception.
void RethrowPythonError(const absl::Status& s);

// The class a status code maps to (see the file comment).
ErrorClass ClassOf(absl::StatusCode code);

inline void ThrowIfError(const absl::Status& s) {
  if (s.ok()) return;
  RethrowPythonError(s);
  Raise(ClassOf(s.code()), s.message());
}

// For calls that read or write snapshots: any failure but a bad argument is a
// SnapshotError; ENOENT (kNotFound) and EACCES (kPermissionDenied) are its
// subclasses that are also FileNotFoundError and PermissionError.
inline void ThrowIfFileError(const absl::Status& s) {
  if (s.ok()) return;
  RethrowPythonError(s);
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
      Raise(ErrorClass::kInvalidArgument, s.message());
    case absl::StatusCode::kNotFound:
      Raise(ErrorClass::kSnapshotNotFound, s.message());
    case absl::StatusCode::kPermissionDenied:
      Raise(ErrorClass::kSnapshotPermission, s.message());
    default:
      Raise(ErrorClass::kSnapshot, s.message());
  }
}

template <typename T>
T ValueOrThrow(absl::StatusOr<T>&& s) {
  ThrowIfError(s.status());
  return std::move(s).value();
}

template <typename T>
T ValueOrThrowFile(absl::StatusOr<T>&& s) {
  ThrowIfFileError(s.status());
  return std::move(s).value();
}

}  // namespace invitegraph::py_bindings

#endif  // INVITEGRAPH_BINDINGS_STATUS_CONVERSION_H_
