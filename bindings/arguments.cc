#include "bindings/arguments.h"

#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "bindings/status_conversion.h"

namespace invitegraph::py_bindings {

namespace py = pybind11;

namespace {

// NumPy's abstract scalar types, looked up once (NumPy is loaded with the
// extension anyway).
struct NumpyTypes {
  py::object integer, floating, bool_, asarray;
};

const NumpyTypes& Np() {
  static const NumpyTypes* types = [] {
    py::module_ np = py::module_::import("numpy");
    return new NumpyTypes{np.attr("integer"), np.attr("floating"),
                          np.attr("bool_"), np.attr("asarray")};
  }();
  return *types;
}

// The value as a message shows it: NumPy scalars as the Python numbers they
// hold (numpy 2 would print np.float64(2.5)), long reprs cut.
std::string Shown(py::handle v) {
  std::string s;
  if (py::isinstance(v, Np().floating)) {
    s = py::repr(py::float_(v.cast<double>()));
  } else if (py::isinstance(v, Np().integer)) {
    s = py::str(py::reinterpret_steal<py::object>(PyNumber_Index(v.ptr())));
  } else {
    s = py::repr(v);
  }
  if (s.size() > 60) s = absl::StrCat(s.substr(0, 57), "...");
  return s;
}

std::string ShownDouble(double d) { return py::repr(py::float_(d)); }

// Where a value sits: the argument, and its position in a sequence (-1: a
// scalar). Formatted only when a value is refused, so that checking a column
// of millions of ids builds no strings.
struct Where {
  absl::string_view name;
  int64_t pos = -1;
  std::string Text() const {
    return pos < 0 ? std::string(name) : absl::StrCat(name, "[", pos, "]");
  }
};

[[noreturn]] void Refuse(ErrorClass c, const Where& where,
                         absl::string_view shown, absl::string_view reason) {
  Raise(c, absl::StrCat(where.Text(), "=", shown, ": ", reason));
}

std::string RangeText(int64_t lo, int64_t hi) {
  if (lo == kInt64Min && hi == kInt64Max) return "does not fit in int64";
  if (hi == kInt64Max) return absl::StrCat("must be >= ", lo);
  if (lo == kInt64Min) return absl::StrCat("must be <= ", hi);
  return absl::StrCat("must be between ", lo, " and ", hi);
}

int64_t InRange(int64_t x, const Where& where, int64_t lo, int64_t hi) {
  if (x < lo || x > hi) {
    Refuse(ErrorClass::kInvalidArgument, where, absl::StrCat(x),
           RangeText(lo, hi));
  }
  return x;
}

// 2^53: from here on, consecutive integers share a float64.
constexpr double kExactFloatLimit = 9007199254740992.0;

int64_t FromDouble(double d, const Where& where, int64_t lo, int64_t hi) {
  if (!std::isfinite(d)) {
    Refuse(ErrorClass::kInvalidArgument, where, ShownDouble(d),
           "missing or non-finite value");
  }
  if (d != std::floor(d)) {
    Refuse(ErrorClass::kInvalidArgument, where, ShownDouble(d),
           "not an integer");
  }
  if (d >= 0x1p63 || d < -0x1p63) {
    Refuse(ErrorClass::kInvalidArgument, where, ShownDouble(d),
           RangeText(lo, hi));
  }
  if (std::fabs(d) >= kExactFloatLimit) {
    Refuse(ErrorClass::kInvalidArgument, where, ShownDouble(d),
           "a float of magnitude 2^53 or more does not hold one exact "
           "integer; pass integers (int64) instead");
  }
  const int64_t x = static_cast<int64_t>(d);
  if (x < lo || x > hi) {
    Refuse(ErrorClass::kInvalidArgument, where, ShownDouble(d),
           RangeText(lo, hi));
  }
  return x;
}

int64_t CheckOne(py::handle v, const Where& where, int64_t lo, int64_t hi) {
  if (v.is_none()) {
    Refuse(ErrorClass::kArgumentType, where, "None", "missing value");
  }
  if (PyBool_Check(v.ptr()) || py::isinstance(v, Np().bool_)) {
    Refuse(ErrorClass::kArgumentType, where, Shown(v),
           "expected an integer, got bool");
  }
  if (PyLong_Check(v.ptr()) || py::isinstance(v, Np().integer)) {
    auto index = py::reinterpret_steal<py::object>(PyNumber_Index(v.ptr()));
    if (!index) throw py::error_already_set();
    int overflow = 0;
    const long long x = PyLong_AsLongLongAndOverflow(index.ptr(), &overflow);
    if (overflow != 0) {
      Refuse(ErrorClass::kInvalidArgument, where, Shown(v), RangeText(lo, hi));
    }
    if (x == -1 && PyErr_Occurred()) throw py::error_already_set();
    return InRange(x, where, lo, hi);
  }
  if (PyFloat_Check(v.ptr()) || py::isinstance(v, Np().floating)) {
    return FromDouble(v.cast<double>(), where, lo, hi);
  }
  Refuse(ErrorClass::kArgumentType, where, Shown(v),
         absl::StrCat("expected an integer, got ", Py_TYPE(v.ptr())->tp_name));
}

template <typename T>
void CheckIntegers(const py::array& a, absl::string_view name, int64_t lo,
                   int64_t hi, int64_t* out) {
  const auto typed = py::array_t<T, py::array::forcecast>::ensure(a);
  const T* in = typed.data();
  for (py::ssize_t i = 0; i < typed.size(); ++i) {
    if constexpr (std::is_unsigned_v<T>) {
      if (in[i] > static_cast<T>(kInt64Max)) {
        Refuse(ErrorClass::kInvalidArgument, Where{name, i},
               absl::StrCat(in[i]), RangeText(lo, hi));
      }
    }
    out[i] = InRange(static_cast<int64_t>(in[i]), Where{name, i}, lo, hi);
  }
}

}  // namespace

int64_t ExactInt(py::handle v, absl::string_view name, int64_t lo, int64_t hi) {
  return CheckOne(v, Where{name}, lo, hi);
}

std::optional<int64_t> ExactIntOrNone(py::handle v, absl::string_view name,
                                      int64_t lo, int64_t hi) {
  if (v.is_none()) return std::nullopt;
  return CheckOne(v, Where{name}, lo, hi);
}

py::array_t<int64_t> ExactInts(py::handle values, absl::string_view name,
                               int64_t lo, int64_t hi) {
  if (values.is_none() || PyUnicode_Check(values.ptr()) ||
      PyBytes_Check(values.ptr())) {
    Refuse(ErrorClass::kArgumentType, Where{name}, Shown(values),
           "expected a sequence of integers");
  }
  const bool is_list =
      PyList_Check(values.ptr()) || PyTuple_Check(values.ptr());
  if (!is_list &&
      (py::isinstance<py::array>(values) || py::hasattr(values, "__array__"))) {
    // NumPy arrays, pandas Series and Index, Arrow arrays: by dtype.
    py::array a = Np().asarray(values);
    if (a.ndim() != 1) {
      Refuse(ErrorClass::kInvalidArgument, Where{name},
             absl::StrCat("<array of ", a.ndim(), " dimensions>"),
             "expected a one-dimensional sequence of integers");
    }
    const py::ssize_t n = a.size();
    py::array_t<int64_t> out(n);
    int64_t* dst = out.mutable_data();
    const char kind = a.dtype().kind();
    if (kind == 'i') {
      if (lo == kInt64Min && hi == kInt64Max) {
        return py::array_t<int64_t, py::array::c_style |
                                        py::array::forcecast>::ensure(a);
      }
      CheckIntegers<int64_t>(a, name, lo, hi, dst);
    } else if (kind == 'u') {
      CheckIntegers<uint64_t>(a, name, lo, hi, dst);
    } else if (kind == 'f') {
      const auto d = py::array_t<double, py::array::forcecast>::ensure(a);
      for (py::ssize_t i = 0; i < n; ++i)
        dst[i] = FromDouble(d.data()[i], Where{name, i}, lo, hi);
    } else if (kind == 'O') {
      const py::list items = a.attr("tolist")();
      for (py::ssize_t i = 0; i < n; ++i)
        dst[i] = CheckOne(items[i], Where{name, i}, lo, hi);
    } else {
      Refuse(ErrorClass::kArgumentType, Where{name},
             absl::StrCat("<array of ", std::string(py::str(a.dtype())), ">"),
             "expected integers");
    }
    return out;
  }
  if (!PySequence_Check(values.ptr()) &&
      !py::isinstance<py::iterable>(values)) {
    Refuse(ErrorClass::kArgumentType, Where{name}, Shown(values),
           absl::StrCat("expected a sequence of integers, got ",
                        Py_TYPE(values.ptr())->tp_name));
  }
  // Lists, tuples, generators: each element on its own, so a bool or a
  // string among ints is caught (np.asarray would turn [True, 2] into ints).
  auto items = py::reinterpret_steal<py::list>(PySequence_List(values.ptr()));
  if (!items) throw py::error_already_set();
  py::array_t<int64_t> out(static_cast<py::ssize_t>(items.size()));
  int64_t* dst = out.mutable_data();
  for (size_t i = 0; i < items.size(); ++i)
    dst[i] = CheckOne(items[i], Where{name, static_cast<int64_t>(i)}, lo, hi);
  return out;
}

void InitArguments(py::module_& m) {
  m.def(
      "exact_int",
      [](py::handle value, const std::string& name, int64_t lo, int64_t hi) {
        return ExactInt(value, name, lo, hi);
      },
      py::arg("value"), py::arg("name"), py::arg("lo") = kInt64Min,
      py::arg("hi") = kInt64Max,
      "The value as an exact integer in [lo, hi] (docs/refusals.md: 'Ids and "
      "counts'), else ArgumentTypeError / InvalidArgumentError naming "
      "`name`.");
  m.def(
      "exact_ints",
      [](py::handle values, const std::string& name, int64_t lo, int64_t hi) {
        return ExactInts(values, name, lo, hi);
      },
      py::arg("values"), py::arg("name"), py::arg("lo") = kInt64Min,
      py::arg("hi") = kInt64Max,
      "A one-dimensional int64 array of exact integers in [lo, hi], else "
      "an error naming `name[i]`.");
}

}  // namespace invitegraph::py_bindings
