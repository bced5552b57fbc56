// Training sets from campaign history.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <map>
#include <string>
#include <vector>

#include "bindings/campaign_columns.h"
#include "bindings/numpy.h"
#include "bindings/outcome_columns.h"
#include "bindings/status_conversion.h"
#include "invitegraph/training.h"

namespace invitegraph::py_bindings {

namespace py = pybind11;
using namespace pybind11::literals;

namespace {

// Hands a row-major matrix to NumPy without copying it.
py::array_t<float> MatrixToNumpy(FeatureArray&& m) {
  auto* owner = new FeatureArray(std::move(m));
  py::capsule free_owner(owner,
                         [](void* p) { delete static_cast<FeatureArray*>(p); });
  const auto rows = static_cast<py::ssize_t>(owner->rows());
  const auto cols = static_cast<py::ssize_t>(owner->cols());
  return py::array_t<float>({rows, cols},
                            {cols * static_cast<py::ssize_t>(sizeof(float)),
                             static_cast<py::ssize_t>(sizeof(float))},
                            owner->data(), free_owner);
}

py::dict ReportDict(const TrainingReport& r) {
  return py::dict("records"_a = r.records, "records_used"_a = r.records_used,
                  "inviter_unknown"_a = r.inviter_unknown,
                  "without_candidates"_a = r.without_candidates,
                  "without_positives"_a = r.without_positives,
                  "joiners"_a = r.joiners, "joiners_found"_a = r.joiners_found,
                  "joiners_missing"_a = r.joiners_missing,
                  "records_missing_joiners"_a = r.records_missing_joiners,
                  "rows"_a = r.rows, "positives"_a = r.positives,
                  "graphs_built"_a = r.graphs_built,
                  "purchases_matched"_a = r.purchases_matched,
                  "uninvited_dropped"_a = r.uninvited_dropped,
                  "step_hidden_share"_a = r.step_hidden_share,
                  "warnings"_a = r.warnings, "seconds"_a = r.seconds);
}

}  // namespace

void InitTraining(py::module_& m) {
  m.def(
      "training_folds",
      [](const Column<int64_t>& inviter, const Column<int64_t>& item,
         uint64_t seed, int folds) {
        const auto u = AsSpan(inviter), i = AsSpan(item);
        if (u.size() != i.size() || folds < 1) {
          Raise(ErrorClass::kInvalidArgument,
                "training_folds: inviter and item must be as long, folds >= 1");
        }
        std::vector<int32_t> out(u.size());
        for (size_t r = 0; r < u.size(); ++r) {
          out[r] = TrainingFold(u[r], i[r], seed, folds);
        }
        return ToNumpy(std::move(out));
      },
      py::arg("inviter"), py::arg("item"), py::arg("seed"), py::arg("folds"),
      "The fold of each record without ts (training.h TrainingFold).");
  m.def(
      "build_training_set",
      [](const SocialGraph& graph, const Column<int64_t>& inviter,
         const Column<int64_t>& item, const Column<int64_t>& joined_offsets,
         const Column<int64_t>& joined,
         const std::optional<Column<int64_t>>& ts,
         const std::optional<Column<int64_t>>& category,
         const std::optional<Column<int64_t>>& invited_offsets,
         const std::optional<Column<int64_t>>& invited,
         const TrainingOptions& options, py::object progress,
         py::object outcomes) {
        const CampaignBatch h =
            CampaignColumns(inviter, item, joined_offsets, joined, ts, category,
                            invited_offsets, invited);
        TrainingOptions o = options;
        o.progress = WrapProgress(progress);
        std::optional<OutcomeColumns> outcome_columns;
        if (!outcomes.is_none()) {
          auto t = outcomes.cast<py::tuple>();
          outcome_columns.emplace(
              t[0].cast<Column<int64_t>>(), t[1].cast<Column<int64_t>>(),
              t[2].cast<Column<int64_t>>(), t[3].cast<Column<int64_t>>(),
              t[4].cast<Column<uint8_t>>());
          o.outcomes = outcome_columns->batch();
        }
        absl::StatusOr<TrainingSet> t = absl::UnknownError("");
        {
          py::gil_scoped_release nogil;
          t = BuildTrainingSet(graph, h, o);
        }
        TrainingSet s = ValueOrThrow(std::move(t));
        py::dict d;
        d["record"] = ToNumpy(std::move(s.record));
        d["inviter"] = ToNumpy(std::move(s.inviter));
        d["item"] = ToNumpy(std::move(s.item));
        d["candidate"] = ToNumpy(std::move(s.candidate));
        d["x"] = MatrixToNumpy(std::move(s.x));
        d["label"] = ToNumpy(std::move(s.label));
        d["weight"] = ToNumpy(std::move(s.weight));
        d["report"] = ReportDict(s.report);
        return d;
      },
      py::arg("graph"), py::arg("inviter"), py::arg("item"),
      py::arg("joined_offsets"), py::arg("joined"), py::kw_only(),
      py::arg("ts") = py::none(), py::arg("category") = py::none(),
      py::arg("invited_offsets") = py::none(), py::arg("invited") = py::none(),
      py::arg("options") = TrainingOptions{}, py::arg("progress") = py::none(),
      py::arg("outcomes") = py::none(),
      "Leakage-free training rows from campaign history (GIL released); see "
      "invitegraph.training_set.");
  // The defaults, from TrainingOptions: the Python wrappers read them here so
  // that one place decides them.
  m.attr("training_defaults") =
      py::dict("folds"_a = TrainingOptions{}.folds,
               "as_of_step_days"_a = TrainingOptions{}.as_of_step_days,
               "uninvited_weight"_a = TrainingOptions{}.uninvited_weight,
               "step_hidden_warn_share"_a = kStepHiddenWarnShare);
}

}  // namespace invitegraph::py_bindings
