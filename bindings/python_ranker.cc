#include "bindings/python_ranker.h"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bindings/status_conversion.h"
#include "invitegraph/features.h"
#include "invitegraph/recommender.h"

namespace invitegraph::py_bindings {

namespace py = pybind11;
using namespace pybind11::literals;

namespace {

// ---------------------------------------------------------------------------
// Python exceptions raised inside C++ calls, kept until the binding boundary
// raises them again. Statuses that never reach the boundary (the error of a
// later chunk of a failed batch) leave entries behind, so the store is
// bounded and drops the oldest.
constexpr char kPythonErrorUrl[] = "invitegraph/python-exception";
constexpr size_t kMaxPendingErrors = 64;

class PendingErrors {
 public:
  uint64_t Put(py::error_already_set e) {
    std::lock_guard<std::mutex> lock(mu_);
    const uint64_t id = next_++;
    errors_.emplace(id, std::move(e));
    while (errors_.size() > kMaxPendingErrors) errors_.erase(errors_.begin());
    return id;
  }
  std::optional<py::error_already_set> Take(uint64_t id) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = errors_.find(id);
    if (it == errors_.end()) return std::nullopt;
    py::error_already_set e = std::move(it->second);
    errors_.erase(it);
    return e;
  }

 private:
  std::mutex mu_;  // always taken with the GIL held, never the other way
  uint64_t next_ = 1;
  std::map<uint64_t, py::error_already_set> errors_;
};

PendingErrors& Pending() {
  // Leaked: destroying Python objects at process exit is not safe.
  static PendingErrors* const pending = new PendingErrors();
  return *pending;
}

std::string TypeName(py::handle o) {
  return py::str(py::type::handle_of(o).attr("__name__"));
}

// ---------------------------------------------------------------------------
enum class ScoreMethod { kPredictProba, kPredict, kCall };
enum class Input { kArray, kFrame };
enum class Explainer { kNone, kLightGbm, kLinear };

const char* MethodName(ScoreMethod m) {
  switch (m) {
    case ScoreMethod::kPredictProba:
      return "predict_proba";
    case ScoreMethod::kPredict:
      return "predict";
    default:
      return "call";
  }
}

// A read-only C-order view of `rows` x kNumFeatures floats at `data`, whose
// base is `owner` (no copy).
py::array_t<float> FeatureView(const float* data, int64_t rows,
                               py::handle owner) {
  py::array_t<float> a(
      {static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(kNumFeatures)},
      {static_cast<py::ssize_t>(kNumFeatures * sizeof(float)),
       static_cast<py::ssize_t>(sizeof(float))},
      data, owner);
  py::detail::array_proxy(a.ptr())->flags &=
      ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return a;
}

class CallbackRanker final : public Ranker {
 public:
  // Builds the adapter; throws TypeError / ValueError (GIL held).
  CallbackRanker(py::object model, int64_t batch_rows);
  ~CallbackRanker() override;

  std::string spec() const override { return spec_; }
  int64_t PreferredBatchRows() const override { return batch_rows_; }
  // predict_proba's class-1 column is taken as a calibrated P(join).
  bool calibrated() const override {
    return method_kind_ == ScoreMethod::kPredictProba;
  }
  absl::Status Explain(const FeatureMatrix& x, int64_t row,
                       absl::Span<float> out) const override {
    return ExplainRows(x, absl::MakeConstSpan(&row, 1), out);
  }

 private:
  absl::Status ScoreImpl(const FeatureMatrix& x,
                         absl::Span<float> out) const override;
  absl::Status ExplainRowsImpl(const FeatureMatrix& x,
                               absl::Span<const int64_t> rows,
                               absl::Span<float> out) const override;

  void ChooseColumns();
  void ChooseExplainer();
  // What the model gets for the feature rows in `view` (GIL held).
  py::object ModelInput(py::array_t<float> view) const;
  // Checks the model's output and copies it into `out` (GIL held).
  absl::Status CopyScores(py::handle result, absl::Span<float> out) const;
  // kFailedPrecondition if something still refers to the rows lent through
  // `owner` (GIL held).
  absl::Status CheckReturned(const py::capsule& owner) const;
  absl::Status Invalid(const std::string& what) const {
    return absl::InvalidArgumentError(
        absl::StrCat(spec_, ": ", call_name_, " ", what));
  }

  py::object model_;
  py::object method_;   // the bound method (or the callable) that scores
  py::object contrib_;  // LightGBM: the bound predict, for pred_contrib
  py::object frame_type_;
  py::object columns_;        // pd.Index of FeatureNames()
  py::object model_columns_;  // list of the model's columns, if a subset
  ScoreMethod method_kind_ = ScoreMethod::kCall;
  Input input_ = Input::kFrame;
  Explainer explainer_ = Explainer::kNone;
  // Our feature index of each model column; identity_ when all, in order.
  std::vector<int> model_features_;
  bool identity_ = true;
  int proba_column_ = 1;
  float sign_ = 1.0f;  // -1 when the positive class is classes_[0]
  int64_t batch_rows_ = 0;
  std::string model_name_, call_name_, spec_;
};

CallbackRanker::CallbackRanker(py::object model, int64_t batch_rows)
    : model_(std::move(model)), batch_rows_(batch_rows) {
  if (batch_rows < 0) {
    Raise(ErrorClass::kInvalidArgument,
          absl::StrCat("batch_rows=", batch_rows, ": must be >= 0"));
  }
  model_name_ = TypeName(model_);
  if (py::hasattr(model_, "predict_proba")) {
    method_kind_ = ScoreMethod::kPredictProba;
    method_ = model_.attr("predict_proba");
  } else if (py::hasattr(model_, "predict")) {
    method_kind_ = ScoreMethod::kPredict;
    method_ = model_.attr("predict");
  } else if (PyCallable_Check(model_.ptr())) {
    method_kind_ = ScoreMethod::kCall;
    method_ = model_;
    if (py::hasattr(model_, "__qualname__"))
      model_name_ = py::str(model_.attr("__qualname__"));
  } else {
    Raise(
        ErrorClass::kArgumentType,
        absl::StrCat(
            "ranker: expected a spec string such as 'linear', a model with "
            "predict_proba or predict (scikit-learn, LightGBM), or a callable "
            "taking a feature DataFrame; got ",
            model_name_, ", which has none of these"));
  }
  call_name_ = method_kind_ == ScoreMethod::kCall
                   ? absl::StrCat("callable ", model_name_)
                   : absl::StrCat(model_name_, ".", MethodName(method_kind_));
  spec_ = absl::StrCat("python(model=", model_name_,
                       ",method=", MethodName(method_kind_), ")");
  py::module_ pd = py::module_::import("pandas");
  frame_type_ = pd.attr("DataFrame");
  const auto names = FeatureNames();
  columns_ =
      pd.attr("Index")(std::vector<std::string>(names.begin(), names.end()));
  ChooseColumns();

  if (method_kind_ == ScoreMethod::kPredictProba &&
      py::hasattr(model_, "classes_")) {
    const py::list classes = py::list(model_.attr("classes_"));
    int found = -1;
    for (size_t i = 0; i < classes.size(); ++i) {
      const py::object label = classes[i];
      if (label.equal(py::int_(1))) found = static_cast<int>(i);
    }
    if (found >= 0) {
      proba_column_ = found;
    } else if (classes.size() != 2) {
      Raise(ErrorClass::kInvalidArgument,
            absl::StrCat("ranker ", model_name_, ": predict_proba has ",
                         classes.size(), " classes ",
                         std::string(py::str(model_.attr("classes_"))),
                         " and none is 1, so no column is the positive class"));
    }
    if (classes.size() == 2 && proba_column_ == 0) sign_ = -1.0f;
  }
  ChooseExplainer();
}

// Which columns the model was fitted on, and whether it takes a NumPy array or
// a DataFrame.
void CallbackRanker::ChooseColumns() {
  const auto names = FeatureNames();
  std::optional<std::vector<std::string>> fitted;
  std::optional<int64_t> n_features;
  py::object lgb =
      py::module_::import("sys").attr("modules").attr("get")("lightgbm");
  const bool is_booster =
      !lgb.is_none() && py::isinstance(model_, lgb.attr("Booster"));
  if (py::hasattr(model_, "feature_names_in_")) {
    fitted = model_.attr("feature_names_in_")
                 .attr("tolist")()
                 .cast<std::vector<std::string>>();
  } else if (is_booster) {
    auto booster_names =
        model_.attr("feature_name")().cast<std::vector<std::string>>();
    bool ours = true;
    for (const std::string& n : booster_names) {
      ours = ours && std::find(names.begin(), names.end(), n) != names.end();
    }
    if (ours) {
      fitted = std::move(booster_names);
    } else {
      n_features = static_cast<int64_t>(booster_names.size());
    }
  } else if (py::hasattr(model_, "n_features_in_")) {
    n_features = model_.attr("n_features_in_").cast<int64_t>();
  }

  model_features_.clear();
  if (fitted) {
    input_ = Input::kFrame;
    std::vector<std::string> unknown;
    for (const std::string& n : *fitted) {
      auto f = FeatureIndex(n);
      if (f.ok()) {
        model_features_.push_back(*f);
      } else {
        unknown.push_back(n);
      }
    }
    if (!unknown.empty()) {
      Raise(
          ErrorClass::kInvalidArgument,
          absl::StrCat(
              "ranker ", model_name_,
              " was fitted on columns invitegraph does not produce: ",
              absl::StrJoin(unknown, ", "),
              ". Fit it on rec.features(...).drop(columns=\"candidate\") or a "
              "subset of invitegraph.feature_names(): ",
              absl::StrJoin(names, ", ")));
    }
  } else if (n_features) {
    input_ = Input::kArray;
    if (*n_features != kNumFeatures) {
      Raise(
          ErrorClass::kInvalidArgument,
          absl::StrCat(
              "ranker ", model_name_, " was fitted on ", *n_features,
              " unnamed columns, but invitegraph provides ", kNumFeatures,
              " (invitegraph.feature_names()); fit it on all of them, or on a "
              "DataFrame with their names to use a subset"));
    }
  } else {
    input_ = Input::kFrame;  // callables and duck-typed models see names
  }
  if (model_features_.empty()) {
    for (int f = 0; f < kNumFeatures; ++f) model_features_.push_back(f);
  }
  identity_ = static_cast<int>(model_features_.size()) == kNumFeatures;
  for (int j = 0; identity_ && j < kNumFeatures; ++j)
    identity_ = model_features_[j] == j;
  if (!identity_) {
    py::list cols;
    for (int f : model_features_) cols.append(py::str(names[f]));
    model_columns_ = cols;
  }
}

void CallbackRanker::ChooseExplainer() {
  py::object lgb =
      py::module_::import("sys").attr("modules").attr("get")("lightgbm");
  if (!lgb.is_none() && (py::isinstance(model_, lgb.attr("LGBMModel")) ||
                         py::isinstance(model_, lgb.attr("Booster")))) {
    explainer_ = Explainer::kLightGbm;
    contrib_ = model_.attr("predict");
    return;
  }
  const std::string module =
      py::str(py::type::handle_of(model_).attr("__module__"));
  if (module.rfind("sklearn.", 0) != 0) return;
  // hasattr is False for an unfitted model, whose coef_ raises.
  if (!py::hasattr(model_, "coef_")) return;
  py::array coef = py::array::ensure(model_.attr("coef_"));
  const auto n = static_cast<py::ssize_t>(model_features_.size());
  if (!coef) return;
  if ((coef.ndim() == 1 && coef.shape(0) == n) ||
      (coef.ndim() == 2 && coef.shape(0) == 1 && coef.shape(1) == n)) {
    explainer_ = Explainer::kLinear;
  }
}

CallbackRanker::~CallbackRanker() {
  if (!Py_IsInitialized()) {
    // The interpreter is gone: leak rather than touch it.
    for (py::object* o : {&model_, &method_, &contrib_, &frame_type_, &columns_,
                          &model_columns_}) {
      o->release();
    }
    return;
  }
  py::gil_scoped_acquire gil;
  model_ = method_ = contrib_ = frame_type_ = columns_ = model_columns_ =
      py::object();
}

py::object CallbackRanker::ModelInput(py::array_t<float> view) const {
  if (input_ == Input::kArray) return view;
  py::object frame =
      frame_type_(std::move(view), "columns"_a = columns_, "copy"_a = false);
  if (identity_) return frame;
  return frame[model_columns_];
}

absl::Status CallbackRanker::CopyScores(py::handle result,
                                        absl::Span<float> out) const {
  const auto rows = static_cast<py::ssize_t>(out.size());
  auto a = py::array_t<double, py::array::forcecast>::ensure(result);
  if (!a) {
    return Invalid(absl::StrCat("returned a ", TypeName(result),
                                " that is not an array of numbers; it must "
                                "return one score per row"));
  }
  if (a.ndim() == 0) {
    return Invalid(absl::StrCat("returned a single ", TypeName(result),
                                "; it must return one score per row"));
  }
  py::ssize_t column = 0;
  bool shape_ok = false;
  if (a.ndim() == 1) {
    shape_ok = true;
  } else if (a.ndim() == 2) {
    column = method_kind_ == ScoreMethod::kPredictProba ? proba_column_ : 0;
    shape_ok = a.shape(1) > column &&
               (method_kind_ == ScoreMethod::kPredictProba || a.shape(1) == 1);
  }
  if (!shape_ok) {
    std::vector<py::ssize_t> shape(a.shape(), a.shape() + a.ndim());
    return Invalid(absl::StrCat(
        "returned an array of shape (", absl::StrJoin(shape, ", "), ")",
        method_kind_ == ScoreMethod::kPredictProba
            ? absl::StrCat("; expected (rows, classes) with column ",
                           proba_column_, " for class 1")
            : "; expected one score per row"));
  }
  if (a.shape(0) != rows) {
    return Invalid(absl::StrCat("returned ", a.shape(0), " scores for ", rows,
                                " feature rows; it must return one per row"));
  }
  for (py::ssize_t i = 0; i < rows; ++i) {
    const double v = a.ndim() == 1 ? a.at(i) : a.at(i, column);
    const float f = static_cast<float>(v);
    if (!std::isfinite(f)) {
      return Invalid(absl::StrCat("returned ", v, " at row ", i, " of ", rows,
                                  "; scores must be finite numbers"));
    }
    out[i] = f;
  }
  return absl::OkStatus();
}

absl::Status CallbackRanker::CheckReturned(const py::capsule& owner) const {
  if (owner.ref_count() <= 1) return absl::OkStatus();
  // Reference cycles hold on until a collection; only then is it the model.
  py::module_::import("gc").attr("collect")();
  if (owner.ref_count() <= 1) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      spec_, ": ", call_name_,
      " kept a reference to the feature rows it was given. They are a "
      "read-only view of memory that invitegraph reuses, valid only during "
      "the call; copy them (np.array(X), X.copy()) to keep them"));
}

absl::Status CallbackRanker::ScoreImpl(const FeatureMatrix& x,
                                       absl::Span<float> out) const {
  const int64_t rows = x.rows();
  if (rows == 0) return absl::OkStatus();  // no call for no candidates
  py::gil_scoped_acquire gil;
  absl::Status status;
  // The view's base: once it is released, no Python object sees the rows.
  py::capsule owner(static_cast<const void*>(x.values.data()),
                    "invitegraph.feature_rows");
  try {
    py::object result =
        method_(ModelInput(FeatureView(x.values.data(), rows, owner)));
    status = CopyScores(result, out);
  } catch (py::error_already_set& e) {
    status = StatusFromPythonError(e, call_name_);
  } catch (const std::exception& e) {
    status = absl::InternalError(absl::StrCat(spec_, ": ", e.what()));
  }
  const absl::Status returned = CheckReturned(owner);
  return status.ok() ? returned : status;
}

absl::Status CallbackRanker::ExplainRowsImpl(const FeatureMatrix& x,
                                             absl::Span<const int64_t> rows,
                                             absl::Span<float> out) const {
  if (explainer_ == Explainer::kNone) {
    return absl::UnimplementedError(
        absl::StrCat(spec_, ": no documented way to explain a ", model_name_));
  }
  const auto n = static_cast<py::ssize_t>(rows.size());
  const auto m = static_cast<py::ssize_t>(model_features_.size());
  std::fill(out.begin(), out.end(), 0.0f);
  py::gil_scoped_acquire gil;
  try {
    if (explainer_ == Explainer::kLinear) {
      // Read live, as predict does: contribution = coef * x.
      auto coef = py::array_t<double, py::array::forcecast>::ensure(
          model_.attr("coef_"));
      if (!coef || coef.size() != m) {
        return absl::FailedPreconditionError(absl::StrCat(
            spec_, ": ", model_name_, ".coef_ no longer has ", m, " entries"));
      }
      const double* w = coef.data();
      for (py::ssize_t i = 0; i < n; ++i) {
        for (py::ssize_t j = 0; j < m; ++j) {
          const int f = model_features_[j];
          out[i * kNumFeatures + f] = static_cast<float>(
              sign_ * w[j] * static_cast<double>(x.values(rows[i], f)));
        }
      }
      return absl::OkStatus();
    }
    // LightGBM TreeSHAP on a copy of the chosen rows only, in one call.
    py::array_t<float> chosen({n, static_cast<py::ssize_t>(kNumFeatures)});
    float* dst = chosen.mutable_data();
    for (py::ssize_t i = 0; i < n; ++i) {
      const float* src = x.values.row(rows[i]).data();
      std::copy(src, src + kNumFeatures, dst + i * kNumFeatures);
    }
    py::object result =
        contrib_(ModelInput(std::move(chosen)), "pred_contrib"_a = true);
    auto c = py::array_t<double, py::array::forcecast>::ensure(result);
    const std::string what =
        absl::StrCat(model_name_, ".predict(X, pred_contrib=True)");
    if (!c || c.ndim() != 2 || c.shape(0) != n || c.shape(1) % (m + 1) != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat(spec_, ": ", what, " did not return ", n, " rows of ", m,
                       " contributions plus a bias (per class)"));
    }
    // Multiclass models return one block of m + 1 columns per class.
    const py::ssize_t classes = c.shape(1) / (m + 1);
    const py::ssize_t block = classes > 1 ? proba_column_ * (m + 1) : 0;
    const float sign = classes > 1 ? 1.0f : sign_;
    if (block + m >= c.shape(1)) {
      return absl::FailedPreconditionError(absl::StrCat(
          spec_, ": ", what, " has no block for class column ", proba_column_));
    }
    for (py::ssize_t i = 0; i < n; ++i) {
      for (py::ssize_t j = 0; j < m; ++j) {
        out[i * kNumFeatures + model_features_[j]] =
            sign * static_cast<float>(c.at(i, block + j));
      }
    }
    return absl::OkStatus();
  } catch (py::error_already_set& e) {
    return StatusFromPythonError(
        e, absl::StrCat(model_name_, ".predict(X, pred_contrib=True)"));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat(spec_, ": ", e.what()));
  }
}

}  // namespace

std::shared_ptr<const Ranker> MakePythonRanker(py::object model,
                                               int64_t batch_rows) {
  return std::make_shared<const CallbackRanker>(std::move(model), batch_rows);
}

absl::Status StatusFromPythonError(py::error_already_set& e,
                                   std::string_view context) {
  std::string text;
  try {
    py::object value = e.value();
    text = absl::StrCat(
        std::string(py::str(py::type::handle_of(value).attr("__name__"))), ": ",
        std::string(py::str(value)));
    if (py::hasattr(value, "add_note")) {
      value.attr("add_note")(absl::StrCat("(raised by ", std::string(context),
                                          ", called by invitegraph)"));
    }
    // The traceback's frames hold the model's locals, among them the feature
    // view whose memory invitegraph reuses: clear them (the stack stays).
    if (e.trace()) {
      py::module_::import("traceback").attr("clear_frames")(e.trace());
    }
  } catch (py::error_already_set& inner) {
    text = inner.what();
  }
  absl::Status s =
      absl::UnknownError(absl::StrCat(std::string(context), " raised ", text));
  s.SetPayload(kPythonErrorUrl,
               absl::Cord(absl::StrCat(Pending().Put(std::move(e)))));
  return s;
}

void RethrowPythonError(const absl::Status& s) {
  const auto payload = s.GetPayload(kPythonErrorUrl);
  if (!payload) return;
  uint64_t id = 0;
  if (!absl::SimpleAtoi(std::string(*payload), &id)) return;
  if (std::optional<py::error_already_set> e = Pending().Take(id)) throw *e;
}

}  // namespace invitegraph::py_bindings
