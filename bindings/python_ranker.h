// Any Python model as a Ranker (the CallbackRanker of STYLE.md): the adapter
// behind `invitegraph.Recommender(graph, ranker=model)`.
//
//   std::shared_ptr<const Ranker> r = MakePythonRanker(model, 4096);  // GIL
//   Recommender rec = ValueOrThrow(Recommender::Create(graph, config, r));
//
// How a model is called, chosen once at construction:
//   1. model.predict_proba(X) -> the column of class 1 (via classes_), else
//      column 1;
//   2. else model.predict(X) -> its output;
//   3. else model(X) for a callable -> one score per row.
// X is a read-only, zero-copy view of the request's feature rows: a NumPy
// array when the model was fitted on a plain array of all kNumFeatures
// columns (it has n_features_in_ but no feature_names_in_, or is a LightGBM
// Booster with generic column names), else a pandas DataFrame with the
// FeatureNames() columns (only the model's own columns, in its order, when it
// was fitted on a subset; that selection is a copy). X is valid only during
// the call: the model must copy what it keeps, and a call that keeps a
// reference fails.
//
// Explanations (Ranker::Explain/ExplainRows) where a documented method exists:
// LightGBM models (lightgbm.LGBMModel, lightgbm.Booster) through TreeSHAP,
// predict(X, pred_contrib=True), in raw (log-odds) units without the bias
// column; scikit-learn linear models with coef_ of shape (1, n) or (n,)
// fitted on the raw feature columns through coef_ * x. Other models are
// kUnimplemented, so their suggestions carry kReasonsUnavailable.
//
// Thread safety: Score() and Explain() may be called from any thread with or
// without the GIL; they take it only around the Python calls (so calls into
// the model are serialised). Destruction takes the GIL too.
#ifndef INVITEGRAPH_BINDINGS_PYTHON_RANKER_H_
#define INVITEGRAPH_BINDINGS_PYTHON_RANKER_H_

#include <pybind11/pybind11.h>

#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/status/status.h"
#include "invitegraph/ranker.h"

namespace invitegraph::py_bindings {

// The adapter for `model`; `batch_rows` is its PreferredBatchRows() (0: one
// model call per request). Needs the GIL. Throws TypeError when the model has
// neither predict_proba, predict nor __call__, and ValueError when it was
// fitted on columns invitegraph does not produce.
std::shared_ptr<const Ranker> MakePythonRanker(pybind11::object model,
                                               int64_t batch_rows);

// A status carrying the Python exception `e` (raised while `context` ran) so
// that RethrowPythonError() can raise the very same exception at the binding
// boundary. Its message names the exception type and text. Needs the GIL.
absl::Status StatusFromPythonError(pybind11::error_already_set& e,
                                   std::string_view context);

// Raises the original Python exception carried by `s`, if any (see
// StatusFromPythonError); otherwise returns. Needs the GIL. Called by
// ThrowIfError() in status_conversion.h.
void RethrowPythonError(const absl::Status& s);

}  // namespace invitegraph::py_bindings

#endif  // INVITEGRAPH_BINDINGS_PYTHON_RANKER_H_
