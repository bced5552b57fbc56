// Rankers as Python objects, their persistence, and FitRanker on arrays.
#include "bindings/fit_bindings.h"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "bindings/numpy.h"
#include "bindings/status_conversion.h"
#include "invitegraph/features.h"
#include "invitegraph/fit.h"
#include "invitegraph/leakage.h"
#include "invitegraph/ranker.h"

namespace invitegraph::py_bindings {

namespace py = pybind11;
using namespace pybind11::literals;

namespace {

std::string Joined(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// `x` as a rows x kNumFeatures float32 C-ordered array. A DataFrame (anything
// with .columns and .to_numpy) is reordered by FeatureNames(); other inputs
// go through numpy.asarray and must be real-valued with kNumFeatures columns.
py::array_t<float, py::array::c_style> FeatureRows(py::handle x,
                                                   const char* what) {
  const auto names = FeatureNames();
  py::object arr;
  if (py::hasattr(x, "columns") && py::hasattr(x, "to_numpy")) {
    std::set<std::string> have;
    for (py::handle c : x.attr("columns")) {
      if (py::isinstance<py::str>(c)) have.insert(c.cast<std::string>());
    }
    std::vector<std::string> missing;
    py::list wanted;
    for (const std::string& n : names) {
      if (!have.count(n)) missing.push_back(n);
      wanted.append(n);
    }
    if (!missing.empty()) {
      Raise(ErrorClass::kInvalidArgument,
            std::string(what) + " is missing feature column(s): " +
                Joined(missing) + " (expected every name of feature_names())");
    }
    arr = x.attr("__getitem__")(wanted).attr("to_numpy")("dtype"_a = "float32");
  } else {
    arr = py::module_::import("numpy").attr("asarray")(x);
  }
  py::array a = arr;
  const char kind = a.dtype().kind();
  if (kind != 'f' && kind != 'i' && kind != 'u' && kind != 'b') {
    Raise(ErrorClass::kArgumentType,
          std::string(what) + ": expected real numbers, got dtype " +
              py::str(a.dtype()).cast<std::string>());
  }
  if (a.ndim() != 2 || a.shape(1) != kNumFeatures) {
    const std::string shape = py::str(a.attr("shape")).cast<std::string>();
    Raise(ErrorClass::kInvalidArgument,
          std::string(what) + " has shape " + shape + "; expected (rows, " +
              std::to_string(kNumFeatures) +
              "), one column per feature_names() entry");
  }
  return py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(
      a);
}

FeatureMatrix ToFeatureMatrix(const py::array_t<float, py::array::c_style>& a) {
  FeatureMatrix m;
  m.values = Eigen::Map<const FeatureArray>(a.data(), a.shape(0), a.shape(1));
  return m;
}

std::string Repr(const Ranker& r) {
  std::string spec = r.spec();
  if (spec.size() > 72) spec = spec.substr(0, 69) + "...";
  return "<invitegraph.Ranker " + spec + ">";
}

}  // namespace

std::shared_ptr<const Ranker> RankerArg(const py::handle& ranker) {
  if (py::isinstance<py::str>(ranker)) {
    return ValueOrThrow(MakeRanker(ranker.cast<std::string>()));
  }
  if (py::isinstance<Ranker>(ranker)) {
    return ranker.cast<std::shared_ptr<Ranker>>();
  }
  Raise(ErrorClass::kArgumentType,
        "ranker: expected a spec string such as 'linear' or an "
        "invitegraph.Ranker, got " +
            py::str(py::type::of(ranker).attr("__name__")).cast<std::string>());
}

void InitFit(py::module_& m) {
  py::class_<Ranker, std::shared_ptr<Ranker>>(m, "Ranker", py::dynamic_attr(),
                                              R"pbdoc(
A scoring model over feature rows: built-in ("linear"), learned
(fit_ranker_arrays) or loaded (load_ranker). Immutable and thread-safe; pass
it to Recommender(graph, ranker=...).
)pbdoc")
      .def_property_readonly("spec", &Ranker::spec,
                             "The spec make_ranker() rebuilds it from.")
      .def_property_readonly(
          "schema",
          [](const Ranker& r) {
            const auto s = r.schema();
            return std::vector<std::string>(s.begin(), s.end());
          },
          "Feature names the model was trained on; [] = any.")
      .def_property_readonly(
          "calibrated", &Ranker::calibrated,
          "Whether score() is a calibrated probability of joining, in [0, 1].")
      .def(
          "to_json",
          [](const Ranker& r) { return ValueOrThrow(RankerToJson(r)); },
          "The ranker as an invitegraph.ranker JSON document.")
      .def(
          "save",
          [](const Ranker& r, const std::string& path) {
            absl::Status s;
            {
              py::gil_scoped_release nogil;
              s = SaveRanker(r, path);
            }
            ThrowIfFileError(s);
          },
          py::arg("path"),
          R"pbdoc(Writes to_json() to path atomically (temporary file, fsync, rename).)pbdoc")
      .def(
          "score",
          [](const Ranker& r, const py::object& x) {
            const auto a = FeatureRows(x, "X");
            const FeatureMatrix fm = ToFeatureMatrix(a);
            std::vector<float> out(fm.rows());
            absl::Status s;
            {
              py::gil_scoped_release nogil;
              s = r.Score(fm, absl::MakeSpan(out));
            }
            ThrowIfError(s);
            return ToNumpy(std::move(out));
          },
          py::arg("X"), R"pbdoc(
Scores of the rows of X.

Parameters
----------
X : DataFrame with the columns of feature_names() (any order, extra columns
    ignored), or an array (rows, len(feature_names())) in that column order.

Returns
-------
numpy.ndarray of float32, one score per row.
)pbdoc")
      .def(
          "explain",
          [](const Ranker& r, const py::object& x, int64_t row) {
            const auto a = FeatureRows(x, "X");
            const FeatureMatrix fm = ToFeatureMatrix(a);
            std::vector<float> out(kNumFeatures);
            ThrowIfError(r.Explain(fm, row, absl::MakeSpan(out)));
            return ToNumpy(std::move(out));
          },
          py::arg("X"), py::arg("row"), R"pbdoc(
Per-feature contributions to the score of X's row `row`, in feature_names()
order. For learned rankers they add up, with the model's intercept, to the
(calibrated) logit.
)pbdoc")
      .def(py::pickle(
          [](const Ranker& r) { return ValueOrThrow(RankerToJson(r)); },
          [](const std::string& json) {
            return std::shared_ptr<Ranker>(ValueOrThrow(RankerFromJson(json)));
          }))
      .def("__repr__", &Repr);

  m.def(
      "make_ranker",
      [](const std::string& spec) {
        return std::shared_ptr<Ranker>(ValueOrThrow(MakeRanker(spec)));
      },
      py::arg("spec"), "The ranker a spec such as 'linear' describes.");
  m.def(
      "load_ranker",
      [](const std::string& path) {
        absl::StatusOr<std::unique_ptr<Ranker>> r = absl::UnknownError("");
        {
          py::gil_scoped_release nogil;
          r = LoadRanker(path);
        }
        return std::shared_ptr<Ranker>(ValueOrThrowFile(std::move(r)));
      },
      py::arg("path"), "Reads a ranker saved by Ranker.save().");
  m.def(
      "ranker_from_json",
      [](const std::string& json) {
        return std::shared_ptr<Ranker>(ValueOrThrow(RankerFromJson(json)));
      },
      py::arg("json"), "The ranker of a Ranker.to_json() document.");

  m.def(
      "_fit_ranker_arrays",
      [](const py::object& x, const Column<float>& label,
         const std::optional<Column<float>>& weight,
         const std::optional<Column<int64_t>>& group, const std::string& model,
         double l2, const std::string& class_weight, int max_iter, double tol,
         int max_pairs_per_positive, uint64_t seed, int num_threads,
         const py::object& progress) {
        const auto a = FeatureRows(x, "X");
        const Eigen::Map<const FeatureArray> view(a.data(), a.shape(0),
                                                  a.shape(1));
        const auto y = AsSpan(label);
        const auto w = AsSpan(weight);
        const auto g = AsSpan(group);
        FitOptions o;
        o.model = model;
        o.l2 = l2;
        o.class_weight = class_weight;
        o.max_iter = max_iter;
        o.tol = tol;
        o.max_pairs_per_positive = max_pairs_per_positive;
        o.seed = seed;
        o.num_threads = num_threads;
        o.progress = WrapProgress(progress);
        FitReport report;
        absl::StatusOr<std::unique_ptr<Ranker>> r = absl::UnknownError("");
        {
          py::gil_scoped_release nogil;
          const FeatureArray xs = view;  // FitRanker takes an owned matrix
          r = FitRanker(xs, y, w, g, o, &report);
        }
        std::shared_ptr<Ranker> ranker = ValueOrThrow(std::move(r));
        py::dict d;
        d["iterations"] = report.iterations;
        d["seconds"] = report.seconds;
        d["rows"] = report.rows;
        d["pairs"] = report.pairs;
        d["final_loss"] = report.final_loss;
        d["converged"] = report.converged;
        return py::make_tuple(ranker, d);
      },
      py::arg("X"), py::arg("y"), py::arg("weight"), py::arg("group"),
      py::arg("model"), py::arg("l2"), py::arg("class_weight"),
      py::arg("max_iter"), py::arg("tol"), py::arg("max_pairs_per_positive"),
      py::arg("seed"), py::arg("num_threads"), py::arg("progress"),
      "FitRanker on arrays; use invitegraph.fit_ranker_arrays.");

  m.def(
      "_compare_separation",
      [](const py::object& train_x, const Column<float>& train_label,
         const py::object& held_out_x, const Column<float>& held_out_label,
         double min_gap, double z) {
        const auto a = FeatureRows(train_x, "train X");
        const auto b = FeatureRows(held_out_x, "held-out X");
        absl::StatusOr<LeakageReport> r = absl::UnknownError("");
        {
          py::gil_scoped_release nogil;
          r = CompareSeparation(
              Eigen::Map<const FeatureArray>(a.data(), a.shape(0), a.shape(1)),
              AsSpan(train_label),
              Eigen::Map<const FeatureArray>(b.data(), b.shape(0), b.shape(1)),
              AsSpan(held_out_label), {.min_gap = min_gap, .z = z});
        }
        const LeakageReport report = ValueOrThrow(std::move(r));
        py::list rows;
        for (const FeatureSeparation& f : report.features) {
          py::dict d;
          d["feature"] = f.feature;
          d["train_auc"] = f.train_auc;
          d["held_out_auc"] = f.held_out_auc;
          d["train_separation"] = f.train_separation;
          d["held_out_separation"] = f.held_out_separation;
          d["gap"] = f.gap;
          d["gap_z"] = f.gap_z;
          d["suspicious"] = f.suspicious;
          rows.append(d);
        }
        py::dict out;
        out["features"] = rows;
        out["train_rows"] = report.train_rows;
        out["train_positives"] = report.train_positives;
        out["held_out_rows"] = report.held_out_rows;
        out["held_out_positives"] = report.held_out_positives;
        return out;
      },
      py::arg("train_X"), py::arg("train_y"), py::arg("held_out_X"),
      py::arg("held_out_y"), py::arg("min_gap"), py::arg("z"),
      "CompareSeparation (leakage.h) on arrays; use "
      "invitegraph.leakage_report.");

  // The defaults the Python functions take from C++ (declared once, there).
  m.attr("fit_defaults") = py::dict("model"_a = FitOptions{}.model);
  m.attr("leakage_defaults") = py::dict("min_gap"_a = LeakageOptions{}.min_gap,
                                        "z"_a = LeakageOptions{}.z);
  // The training options ServingRowOptions() sets: rows as serving sees
  // them, for evaluate and leakage_report.
  const TrainingOptions serving = ServingRowOptions({});
  m.attr("serving_row_options") =
      py::dict("as_of_step_days"_a = serving.as_of_step_days,
               "uninvited_weight"_a = serving.uninvited_weight);
}

}  // namespace invitegraph::py_bindings
