// The private extension module invitegraph._core; invitegraph/__init__.py
// re-exports it.
#include <pybind11/pybind11.h>

#include "bindings/fit_bindings.h"
#include "bindings/status_conversion.h"
#include "invitegraph/features.h"

namespace invitegraph::py_bindings {

namespace py = pybind11;

py::object& ErrorType() {
  static py::object* error = new py::object();
  return *error;
}

void InitAbuse(py::module_& m);
void InitFeedback(py::module_& m);
void InitGraph(py::module_& m);
void InitRecommend(py::module_& m);
void InitSynth(py::module_& m);
void InitTraining(py::module_& m);

}  // namespace invitegraph::py_bindings

PYBIND11_MODULE(_core, m) {
  namespace py = pybind11;
  using namespace invitegraph::py_bindings;
  m.doc() =
      "invitegraph's C++ core. Use the invitegraph package, not this module.";
  ErrorType() = py::reinterpret_steal<py::object>(PyErr_NewExceptionWithDoc(
      "invitegraph.Error", "An invitegraph failure that is not a bad argument.",
      PyExc_RuntimeError, nullptr));
  m.attr("Error") = ErrorType();
  InitGraph(m);
  InitAbuse(m);
  InitFit(m);
  InitRecommend(m);
  InitFeedback(m);
  InitSynth(m);
  InitTraining(m);
}
