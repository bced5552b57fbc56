// Invite outcomes: names, and campaign history built from outcome logs. The
// Recommender's record_outcomes / feedback_for are in recommend_bindings.cc.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "bindings/numpy.h"
#include "bindings/outcome_columns.h"
#include "bindings/status_conversion.h"
#include "invitegraph/history.h"
#include "invitegraph/outcomes.h"
#include "invitegraph/time_limits.h"

namespace invitegraph::py_bindings {

namespace py = pybind11;

void InitFeedback(py::module_& m) {
  m.def(
      "outcome_names",
      [] {
        std::vector<std::string> out;
        for (std::string_view n : OutcomeNames()) out.emplace_back(n);
        return out;
      },
      "Outcome names in code order: sent, accepted, declined, ignored.");
  m.def(
      "history_from_outcomes",
      [](const Column<int64_t>& inviter, const Column<int64_t>& invitee,
         const Column<int64_t>& item, const Column<int64_t>& ts,
         const Column<uint8_t>& outcome, const TimeLimits* time_limits) {
        OutcomeColumns c(inviter, invitee, item, ts, outcome);
        const TimeLimits limits =
            time_limits != nullptr ? *time_limits : TimeLimits{};
        absl::StatusOr<CampaignHistory> h = absl::UnknownError("");
        {
          py::gil_scoped_release nogil;
          h = HistoryFromOutcomes(c.batch(), limits);
        }
        CampaignHistory v = ValueOrThrow(std::move(h));
        py::dict d;
        d["inviter"] = ToNumpy(std::move(v.inviter));
        d["item"] = ToNumpy(std::move(v.item));
        d["ts"] = ToNumpy(std::move(v.ts));
        d["invited_offsets"] = ToNumpy(std::move(v.invited_offsets));
        d["invited"] = ToNumpy(std::move(v.invited));
        d["joined_offsets"] = ToNumpy(std::move(v.joined_offsets));
        d["joined"] = ToNumpy(std::move(v.joined));
        return d;
      },
      py::arg("inviter"), py::arg("invitee"), py::arg("item"), py::arg("ts"),
      py::arg("outcome"), py::arg("time_limits") = nullptr, R"pbdoc(
One campaign per (inviter, item), sorted: columns inviter, item, ts (earliest
row), invited_offsets/invited (distinct invitees) and joined_offsets/joined
(distinct "accepted" invitees), lists in offsets layout. `outcome` holds codes
in outcome_names() order; `ts` must be plausible under `time_limits`
(default TimeLimits()).
)pbdoc");
}

}  // namespace invitegraph::py_bindings
