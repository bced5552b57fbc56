// The private extension module invitegraph._core; invitegraph/__init__.py
// re-exports it.
#include <pybind11/pybind11.h>

#include <array>
#include <exception>
#include <new>
#include <string>

#include "bindings/arguments.h"
#include "bindings/fit_bindings.h"
#include "bindings/status_conversion.h"
#include "invitegraph/features.h"

namespace invitegraph::py_bindings {

namespace py = pybind11;

namespace {

// In the order of ErrorClass.
constexpr std::array<const char*, 8> kErrorNames = {"Error",
                                                    "InvalidArgumentError",
                                                    "ArgumentTypeError",
                                                    "NotFoundError",
                                                    "OutOfRangeError",
                                                    "SnapshotError",
                                                    "SnapshotNotFoundError",
                                                    "SnapshotPermissionError"};

// The classes of invitegraph._errors, indexed by ErrorClass; owned for the
// life of the process (the module is never unloaded).
std::array<PyObject*, kErrorNames.size()>& ErrorClasses() {
  static std::array<PyObject*, kErrorNames.size()> classes{};
  return classes;
}

}  // namespace

py::handle ErrorType(ErrorClass c) {
  return ErrorClasses()[static_cast<size_t>(c)];
}

void Raise(ErrorClass c, absl::string_view message) {
  const std::string text(message);
  PyErr_SetString(ErrorType(c).ptr(), text.c_str());
  throw py::error_already_set();
}

ErrorClass ClassOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
      return ErrorClass::kInvalidArgument;
    case absl::StatusCode::kNotFound:
      return ErrorClass::kNotFound;
    case absl::StatusCode::kOutOfRange:
      return ErrorClass::kOutOfRange;
    case absl::StatusCode::kDataLoss:
      return ErrorClass::kSnapshot;
    default:
      return ErrorClass::kError;
  }
}

void DeclareGraph(py::module_& m);
void InitAbuse(py::module_& m);
void InitBuilder(py::module_& m);
void InitFeedback(py::module_& m);
void InitGraph(py::module_& m);
void InitOptions(py::module_& m);
void InitRecommend(py::module_& m);
void InitSynth(py::module_& m);
void InitTraining(py::module_& m);

}  // namespace invitegraph::py_bindings

PYBIND11_MODULE(_core, m) {
  namespace py = pybind11;
  using namespace invitegraph::py_bindings;
  m.doc() =
      "invitegraph's C++ core. Use the invitegraph package, not this module.";
  // The exception classes are plain Python (invitegraph/_errors.py), so they
  // carry docstrings and a readable str(); this module only raises them.
  py::module_ errors = py::module_::import("invitegraph._errors");
  for (size_t i = 0; i < kErrorNames.size(); ++i) {
    py::object cls = errors.attr(kErrorNames[i]);
    ErrorClasses()[i] = cls.inc_ref().ptr();
    m.attr(kErrorNames[i]) = cls;
  }
  // A C++ exception that escapes a binding is a bug of ours, not the
  // caller's: report it as invitegraph.Error instead of pybind11's bare
  // RuntimeError. Running out of memory stays a MemoryError, but a length
  // computed from bad data (std::bad_array_new_length, std::length_error) is
  // not an out-of-memory condition.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const std::bad_array_new_length& e) {
      PyErr_SetString(ErrorType(ErrorClass::kError).ptr(),
                      (std::string("internal error: ") + e.what()).c_str());
    } catch (const std::bad_alloc&) {
      throw;  // pybind11's translator: MemoryError
    } catch (const py::builtin_exception&) {
      throw;  // pybind11's own (py::value_error, ...) keep their type
    } catch (const py::error_already_set&) {
      throw;
    } catch (const std::exception& e) {
      PyErr_SetString(ErrorType(ErrorClass::kError).ptr(),
                      (std::string("internal error: ") + e.what()).c_str());
    }
  });
  InitArguments(m);
  InitOptions(m);
  // Classes are registered before the bindings that take or return them, so
  // that signatures (docstrings, _core.pyi) name them: the options first, then
  // SocialGraph (GraphBuilder.build returns one, detect_abuse takes one), then
  // the graph's methods.
  DeclareGraph(m);
  InitBuilder(m);
  InitGraph(m);
  InitAbuse(m);
  InitFit(m);
  InitRecommend(m);
  InitFeedback(m);
  InitSynth(m);
  InitTraining(m);
}
