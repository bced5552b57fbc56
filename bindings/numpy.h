// NumPy <-> C++ column conversions for the bindings.
#ifndef INVITEGRAPH_BINDINGS_NUMPY_H_
#define INVITEGRAPH_BINDINGS_NUMPY_H_

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>
#include <optional>
#include <vector>

#include "absl/types/span.h"
#include "bindings/status_conversion.h"
#include "invitegraph/progress.h"

namespace invitegraph::py_bindings {

namespace py = pybind11;

// A C-contiguous array of exactly T (the Python layer converts and validates
// dtypes, so no silent casts happen here).
template <typename T>
using Column = py::array_t<T, py::array::c_style>;

template <typename T>
absl::Span<const T> AsSpan(const Column<T>& a) {
  if (a.ndim() != 1)
    Raise(ErrorClass::kInvalidArgument, "expected a one-dimensional array");
  return absl::MakeConstSpan(a.data(), static_cast<size_t>(a.size()));
}

template <typename T>
absl::Span<const T> AsSpan(const std::optional<Column<T>>& a) {
  return a ? AsSpan(*a) : absl::Span<const T>();
}

// Moves a vector into a NumPy array that owns it through a capsule (no copy).
template <typename T>
py::array_t<T> ToNumpy(std::vector<T>&& v) {
  auto* heap = new std::vector<T>(std::move(v));
  py::capsule owner(heap,
                    [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>({static_cast<py::ssize_t>(heap->size())}, {sizeof(T)},
                        heap->data(), owner);
}

// A read-only view of `data`, kept alive by `base`.
template <typename T>
py::array_t<T> ReadOnlyView(absl::Span<const T> data, py::handle base) {
  py::array_t<T> a({static_cast<py::ssize_t>(data.size())}, {sizeof(T)},
                   data.data(), base);
  py::detail::array_proxy(a.ptr())->flags &=
      ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return a;
}

// Wraps a Python callable(done, total) as a ProgressFn that takes the GIL when
// called from a worker thread.
inline ProgressFn WrapProgress(const py::object& fn) {
  if (fn.is_none()) return {};
  auto shared =
      std::shared_ptr<py::object>(new py::object(fn), [](py::object* p) {
        py::gil_scoped_acquire gil;
        delete p;
      });
  return [shared](int64_t done, int64_t total) {
    py::gil_scoped_acquire gil;
    try {
      (*shared)(done, total);
    } catch (py::error_already_set& e) {
      e.discard_as_unraisable("invitegraph progress callback");
    }
  };
}

}  // namespace invitegraph::py_bindings

#endif  // INVITEGRAPH_BINDINGS_NUMPY_H_
