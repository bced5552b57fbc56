// OptionsClass<T>: binds a C++ options struct to Python from its field list
// alone, so no binding restates a default. Every bound struct gets
//   - keyword construction, T's defaults for whatever is not given (they come
//     from a default-constructed T), then T::Validate();
//   - typed properties (nested options structs are returned by reference, so
//     `scoring.candidates.max_two_hop = 5` edits in place);
//   - __repr__ listing every field, __eq__ field by field, copy, deepcopy and
//     pickling (a dict of fields; old positional pickles where declared);
//   - validate(), raising InvalidArgumentError naming the bad field
//     (status_conversion.h);
//   - `_fields`, the field names in order, for the Python layer.
// A field's keyword value is converted by the rule of its type: integers by
// the exact-integer rule (arguments.h), floats, bools and strings as Python
// gives them, a nested options struct as an instance, a dict of its keywords
// or None (its defaults). A value of the wrong type is an ArgumentTypeError
// naming the field. Setting a property converts the same way and does not
// validate: the entry points do (as in C++, where a struct may hold anything
// until Validate()).
//
//   OptionsClass<CandidateOptions>(m, "CandidateOptions", "Who may be ...")
//       .Field("max_two_hop", &CandidateOptions::max_two_hop, "...")
//       .Done();
#ifndef INVITEGRAPH_BINDINGS_OPTIONS_CLASS_H_
#define INVITEGRAPH_BINDINGS_OPTIONS_CLASS_H_

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bindings/arguments.h"
#include "bindings/status_conversion.h"

namespace invitegraph::py_bindings {

namespace options_detail {

template <typename F>
struct IsOptional : std::false_type {};
template <typename F>
struct IsOptional<std::optional<F>> : std::true_type {};
template <typename F>
struct IsMap : std::false_type {};
template <typename K, typename V>
struct IsMap<std::map<K, V>> : std::true_type {};
template <typename F>
struct IsVector : std::false_type {};
template <typename V>
struct IsVector<std::vector<V>> : std::true_type {};
template <typename F>
struct IsPair : std::false_type {};
template <typename A, typename B>
struct IsPair<std::pair<A, B>> : std::true_type {};

// The Python annotation of a field of type F, for the generated __init__
// signature (pybind11-stubgen reads it) and docstring.
template <typename F>
std::string TypeHint() {
  if constexpr (std::is_same_v<F, bool>) {
    return "bool";
  } else if constexpr (std::is_integral_v<F>) {
    return "int";
  } else if constexpr (std::is_floating_point_v<F>) {
    return "float";
  } else if constexpr (std::is_same_v<F, std::string>) {
    return "str";
  } else if constexpr (IsOptional<F>::value) {
    return TypeHint<typename F::value_type>() + " | None";
  } else if constexpr (IsMap<F>::value) {
    return absl::StrCat("dict[", TypeHint<typename F::key_type>(), ", ",
                        TypeHint<typename F::mapped_type>(), "]");
  } else if constexpr (IsVector<F>::value) {
    return absl::StrCat("list[", TypeHint<typename F::value_type>(), "]");
  } else if constexpr (IsPair<F>::value) {
    return absl::StrCat("tuple[", TypeHint<typename F::first_type>(), ", ",
                        TypeHint<typename F::second_type>(), "]");
  } else {
    // A bound class (a nested options struct): registered before its parent.
    pybind11::handle t = pybind11::type::of<F>();
    return absl::StrCat(
        pybind11::str(t.attr("__module__")).cast<std::string>(), ".",
        pybind11::str(t.attr("__qualname__")).cast<std::string>());
  }
}

[[noreturn]] inline void WrongType(pybind11::handle v, const std::string& name,
                                   const std::string& hint) {
  Raise(
      ErrorClass::kArgumentType,
      absl::StrCat(name, "=", pybind11::repr(v).cast<std::string>(),
                   ": expected ", hint, ", got ",
                   pybind11::str(pybind11::type::handle_of(v).attr("__name__"))
                       .cast<std::string>()));
}

// The range of an integer field's type, clipped to int64 (ExactInt's).
template <typename F>
constexpr int64_t IntMin() {
  return std::is_signed_v<F>
             ? static_cast<int64_t>(std::numeric_limits<F>::min())
             : 0;
}
template <typename F>
constexpr int64_t IntMax() {
  return static_cast<uint64_t>(std::numeric_limits<F>::max()) >
                 static_cast<uint64_t>(kInt64Max)
             ? kInt64Max
             : static_cast<int64_t>(std::numeric_limits<F>::max());
}

// `v` as a field of type F (the rules in the file comment).
template <typename F>
F FromPython(pybind11::handle v, const std::string& name) {
  namespace py = pybind11;
  if constexpr (std::is_integral_v<F> && !std::is_same_v<F, bool>) {
    return static_cast<F>(ExactInt(v, name, IntMin<F>(), IntMax<F>()));
  } else if constexpr (IsOptional<F>::value) {
    if (v.is_none()) return std::nullopt;
    return FromPython<typename F::value_type>(v, name);
  } else if constexpr (std::is_arithmetic_v<F> ||
                       std::is_same_v<F, std::string> || IsMap<F>::value ||
                       IsVector<F>::value) {
    // A str is not a float, nor a number a str: no silent str() or float().
    if constexpr (std::is_floating_point_v<F>) {
      if (py::isinstance<py::str>(v) || py::isinstance<py::bytes>(v)) {
        WrongType(v, name, TypeHint<F>());
      }
    }
    try {
      return v.cast<F>();
    } catch (const py::cast_error&) {
      WrongType(v, name, TypeHint<F>());
    }
  } else {
    // A nested options struct: an instance, a dict of its keywords, or None
    // for its defaults.
    if (v.is_none()) return F{};
    if (py::isinstance<py::dict>(v)) {
      return py::type::of<F>()(**py::reinterpret_borrow<py::dict>(v))
          .template cast<F>();
    }
    if (!py::isinstance<F>(v)) WrongType(v, name, TypeHint<F>());
    return v.cast<F>();
  }
}

}  // namespace options_detail

template <typename T>
class OptionsClass {
 public:
  // Converts a keyword value into a field of `o`; raises naming the field.
  using Setter = std::function<void(T& o, pybind11::handle value)>;
  // The field's value as Python sees it.
  using Getter = std::function<pybind11::object(const T& o)>;

  OptionsClass(pybind11::module_& m, const char* name, std::string doc)
      : cls_(m, name), name_(name), doc_(std::move(doc)) {}

  // A field stored as is. `lo` bounds an integer field below (its type's
  // minimum by default; for counts whose C++ check is elsewhere).
  template <typename F>
  OptionsClass& Field(const char* name, F T::*member, const char* doc,
                      std::optional<int64_t> lo = std::nullopt) {
    namespace py = pybind11;
    const std::string field(name);
    Setter set = [member, field, lo](T& o, py::handle v) {
      if constexpr (std::is_integral_v<F> && !std::is_same_v<F, bool>) {
        if (lo) {
          o.*member = static_cast<F>(
              ExactInt(v, field, *lo, options_detail::IntMax<F>()));
          return;
        }
      }
      o.*member = options_detail::FromPython<F>(v, field);
    };
    Getter get = [member](const T& o) {
      return py::cast(o.*member, py::return_value_policy::copy);
    };
    cls_.def_property(
        name, [member](const T& o) -> const F& { return o.*member; },
        [set](T& o, py::handle v) { set(o, v); },
        py::return_value_policy::reference_internal, doc);
    Add(name, options_detail::TypeHint<F>(), std::move(set), std::move(get),
        doc);
    return *this;
  }

  // A field whose Python spelling differs from its C++ storage (an enum as
  // its name, caps as pairs): `get` returns what Python sees (R, typed for
  // the stub), `set` converts a keyword value.
  template <typename Get>
  OptionsClass& Custom(const char* name, Get get, Setter set, std::string hint,
                       const char* doc) {
    namespace py = pybind11;
    cls_.def_property(
        name, get, [set](T& o, py::handle v) { set(o, v); }, doc);
    Add(
        name, std::move(hint), std::move(set),
        [get](const T& o) { return py::cast(get(o)); }, doc);
    return *this;
  }

  // Pickles made before this binding held a tuple of these fields, in this
  // order (a prefix of it for older ones still); they load too.
  OptionsClass& LegacyPickle(std::vector<std::string> order) {
    legacy_ = std::move(order);
    return *this;
  }

  pybind11::class_<T>& cls() { return cls_; }

  // Installs __init__, __repr__, __eq__, copying, pickling, validate() and
  // _fields. Call once, after the last field.
  pybind11::class_<T>& Done();

 private:
  struct FieldInfo {
    std::string name, hint, doc;
    Setter set;
    Getter get;
  };

  void Add(const char* name, std::string hint, Setter set, Getter get,
           const char* doc) {
    fields_->push_back(
        {name, std::move(hint), doc, std::move(set), std::move(get)});
  }

  pybind11::class_<T> cls_;
  std::string name_, doc_;
  std::vector<std::string> legacy_;
  std::shared_ptr<std::vector<FieldInfo>> fields_ =
      std::make_shared<std::vector<FieldInfo>>();
};

template <typename T>
pybind11::class_<T>& OptionsClass<T>::Done() {
  namespace py = pybind11;
  auto fields = fields_;
  const std::string type = name_;
  auto find = [fields, type](const std::string& key) -> const FieldInfo& {
    for (const FieldInfo& f : *fields) {
      if (f.name == key) return f;
    }
    std::string known;
    for (const FieldInfo& f : *fields) {
      absl::StrAppend(&known, known.empty() ? "" : ", ", f.name);
    }
    Raise(ErrorClass::kArgumentType,
          absl::StrCat(type, ": unknown keyword '", key,
                       "'; known keywords: ", known));
  };

  // The signature and docstring, defaults read from a default-constructed T.
  const T defaults{};
  std::string signature =
      absl::StrCat("__init__(self: ", options_detail::TypeHint<T>(), ", *");
  std::string params = "Parameters\n----------\n";
  for (const FieldInfo& f : *fields) {
    const std::string d =
        py::repr(f.get(defaults)).template cast<std::string>();
    absl::StrAppend(&signature, ", ", f.name, ": ", f.hint, " = ", d);
    absl::StrAppend(&params, f.name, " : ", f.hint, ", default ", d, "\n    ",
                    f.doc, "\n");
  }
  absl::StrAppend(&signature, ") -> None");
  cls_.doc() = absl::StrCat(doc_, "\n\n", params);
  {
    // pybind11 would print `**kwargs`; the stub generator reads this line.
    py::options o;
    o.disable_function_signatures();
    cls_.def(py::init([find](const py::kwargs& kw) {
               T out;
               for (const auto& [k, v] : kw) {
                 find(py::str(k).cast<std::string>()).set(out, v);
               }
               ThrowIfError(out.Validate());
               return out;
             }),
             absl::StrCat(signature,
                          "\n\nKeyword-only; any field left out "
                          "keeps its default. Raises "
                          "InvalidArgumentError naming a bad field.")
                 .c_str());
  }
  py::tuple names(fields->size());
  for (size_t i = 0; i < fields->size(); ++i) names[i] = (*fields)[i].name;
  cls_.attr("_fields") = names;
  cls_.def(
      "validate", [](const T& o) { ThrowIfError(o.Validate()); },
      "Raises InvalidArgumentError naming the first bad field (what every "
      "entry point taking these options checks).");
  cls_.def("__repr__", [fields, type](const T& o) {
    std::string s = type + "(";
    for (size_t i = 0; i < fields->size(); ++i) {
      const FieldInfo& f = (*fields)[i];
      absl::StrAppend(&s, i ? ", " : "", f.name, "=",
                      py::repr(f.get(o)).template cast<std::string>());
    }
    return s + ")";
  });
  cls_.def(
      "__eq__",
      [fields](const T& a, py::object other) {
        if (!py::isinstance<T>(other)) return false;
        const T& b = other.cast<const T&>();
        for (const FieldInfo& f : *fields) {
          if (!f.get(a).equal(f.get(b))) return false;
        }
        return true;
      },
      py::is_operator());
  cls_.def("__copy__", [](const T& o) { return T(o); });
  cls_.def(
      "__deepcopy__", [](const T& o, py::handle) { return T(o); },
      py::arg("memo"));
  const std::vector<std::string> legacy = legacy_;
  cls_.def(py::pickle(
      [fields](const T& o) {
        py::dict d;
        for (const FieldInfo& f : *fields) d[py::str(f.name)] = f.get(o);
        return d;
      },
      [find, legacy, type](const py::object& state) {
        T out;
        if (py::isinstance<py::dict>(state)) {
          for (const auto& [k, v] : py::reinterpret_borrow<py::dict>(state)) {
            find(py::str(k).cast<std::string>()).set(out, v);
          }
        } else if (py::isinstance<py::tuple>(state) && !legacy.empty() &&
                   py::len(state) <= legacy.size()) {
          const py::tuple t = py::reinterpret_borrow<py::tuple>(state);
          for (size_t i = 0; i < t.size(); ++i) find(legacy[i]).set(out, t[i]);
        } else {
          Raise(ErrorClass::kInvalidArgument,
                absl::StrCat("bad ", type, " pickle state"));
        }
        return out;
      }));
  return cls_;
}

}  // namespace invitegraph::py_bindings

#endif  // INVITEGRAPH_BINDINGS_OPTIONS_CLASS_H_
