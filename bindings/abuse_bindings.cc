// Abuse detection (abuse.h) for Python: detect_abuse (AbuseOptions is bound in
// options_bindings.cc) returning
// the report's columns as NumPy arrays, and attaching scores to a graph. The
// invitegraph package turns the columns into DataFrames (_abuse.py).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <vector>

#include "bindings/numpy.h"
#include "bindings/status_conversion.h"
#include "invitegraph/abuse.h"
#include "invitegraph/social_graph.h"

namespace invitegraph::py_bindings {

namespace py = pybind11;
using namespace pybind11::literals;

namespace {

py::dict ReportColumns(AbuseReport&& r) {
  std::vector<uint8_t> kind(r.arc_kind.size());
  for (size_t i = 0; i < kind.size(); ++i)
    kind[i] = static_cast<uint8_t>(r.arc_kind[i]);
  const AbuseStats& s = r.stats;
  py::dict stats("users"_a = s.users, "flagged"_a = s.flagged,
                 "rings"_a = s.rings, "ring_members"_a = s.ring_members,
                 "lockstep_groups"_a = s.lockstep_groups,
                 "lockstep_members"_a = s.lockstep_members,
                 "reciprocal_edges"_a = s.reciprocal_edges,
                 "lockstep_computed"_a = s.lockstep_computed,
                 "assist_events"_a = s.assist_events,
                 "unknown_event_users"_a = s.unknown_event_users,
                 "truncated_windows"_a = s.truncated_windows,
                 "seconds"_a = s.seconds);
  py::dict users(
      "user"_a = ToNumpy(std::move(r.user)),
      "suspicion"_a = ToNumpy(std::move(r.suspicion)),
      "reputation"_a = ToNumpy(std::move(r.reputation)),
      "evidence"_a = ToNumpy(std::move(r.evidence)),
      "ring_score"_a = ToNumpy(std::move(r.ring_score)),
      "lockstep_score"_a = ToNumpy(std::move(r.lockstep_score)),
      "account_age_days"_a = ToNumpy(std::move(r.account_age_days)),
      "assists_given"_a = ToNumpy(std::move(r.assists_given)),
      "assists_received"_a = ToNumpy(std::move(r.assists_received)),
      "ring"_a = ToNumpy(std::move(r.ring)),
      "lockstep_group"_a = ToNumpy(std::move(r.lockstep_group)),
      "lockstep_partners"_a = ToNumpy(std::move(r.lockstep_partners)),
      "lockstep_targets"_a = ToNumpy(std::move(r.lockstep_targets)));
  py::dict rings(
      "size"_a = ToNumpy(std::move(r.ring_size)),
      "density"_a = ToNumpy(std::move(r.ring_density)),
      "insularity"_a = ToNumpy(std::move(r.ring_insularity)),
      "fresh_share"_a = ToNumpy(std::move(r.ring_fresh_share)),
      "no_purchase_share"_a = ToNumpy(std::move(r.ring_no_purchase_share)),
      "score"_a = ToNumpy(std::move(r.ring_score_of)));
  py::dict groups("size"_a = ToNumpy(std::move(r.group_size)),
                  "targets"_a = ToNumpy(std::move(r.group_targets)));
  py::dict arcs("src"_a = ToNumpy(std::move(r.arc_src)),
                "dst"_a = ToNumpy(std::move(r.arc_dst)),
                "suspicion"_a = ToNumpy(std::move(r.arc_suspicion)),
                "kind"_a = ToNumpy(std::move(kind)));
  return py::dict("users"_a = users, "rings"_a = rings, "groups"_a = groups,
                  "arcs"_a = arcs, "stats"_a = stats);
}

}  // namespace

void InitAbuse(py::module_& m) {
  m.def(
      "detect_abuse",
      [](const SocialGraph& g, const AbuseOptions& options,
         const std::optional<Column<int64_t>>& src,
         const std::optional<Column<int64_t>>& dst,
         const std::optional<Column<int64_t>>& ts) {
        absl::StatusOr<AbuseReport> r = absl::UnknownError("not run");
        const bool given = src.has_value();
        const InteractionBatch batch{.src = AsSpan(src),
                                     .dst = AsSpan(dst),
                                     .kind = {},
                                     .ts = AsSpan(ts)};
        {
          py::gil_scoped_release nogil;
          r = DetectAbuse(g, options, given ? &batch : nullptr);
        }
        return ReportColumns(ValueOrThrow(std::move(r)));
      },
      py::arg("graph"), py::arg("options"), py::arg("src") = py::none(),
      py::arg("dst") = py::none(), py::arg("ts") = py::none(),
      "Scores every user of the graph (GIL released); src/dst/ts are assist "
      "events (all rows are assists), else the graph's kept events are used. "
      "Returns the report's columns.");

  m.def(
      "graph_with_abuse",
      [](const SocialGraph& g, const Column<int64_t>& user,
         const Column<float>& suspicion, const Column<float>& reputation,
         const Column<uint32_t>& evidence,
         const std::optional<AbuseOptions>& options) {
        AbuseReport r;
        if (options) r.options = *options;
        r.user.assign(AsSpan(user).begin(), AsSpan(user).end());
        r.suspicion.assign(AsSpan(suspicion).begin(), AsSpan(suspicion).end());
        r.reputation.assign(AsSpan(reputation).begin(),
                            AsSpan(reputation).end());
        r.evidence.assign(AsSpan(evidence).begin(), AsSpan(evidence).end());
        absl::StatusOr<SocialGraph> out = absl::UnknownError("not run");
        {
          py::gil_scoped_release nogil;
          out = g.WithAbuse(r);
        }
        return ValueOrThrow(std::move(out));
      },
      py::arg("graph"), py::arg("user"), py::arg("suspicion"),
      py::arg("reputation"), py::arg("evidence"),
      py::arg("options") = py::none(),
      "The graph with these per-user abuse scores attached (options: those "
      "they were computed with, for training-set rebuilds).");

  m.def(
      "graph_abuse_columns",
      [](py::object self) {
        const SocialGraph& g = self.cast<const SocialGraph&>();
        if (!g.has_abuse()) return py::object(py::none());
        const int64_t n = g.num_nodes();
        std::vector<float> s(n), r(n);
        std::vector<uint32_t> e(n);
        for (NodeId u = 0; u < static_cast<NodeId>(n); ++u) {
          s[u] = g.suspicion(u);
          r[u] = g.reputation(u);
          e[u] = g.abuse_evidence(u);
        }
        return py::object(py::dict("user"_a = ReadOnlyView(g.user_ids(), self),
                                   "suspicion"_a = ToNumpy(std::move(s)),
                                   "reputation"_a = ToNumpy(std::move(r)),
                                   "evidence"_a = ToNumpy(std::move(e))));
      },
      py::arg("graph"),
      "The abuse scores attached to the graph as columns, or None.");

  m.def("abuse_evidence_names", []() {
    std::vector<std::string> out;
    for (uint32_t b = 0; b < 32; ++b) {
      const auto names = AbuseEvidenceNames(1u << b);
      if (names.empty()) break;
      out.emplace_back(names[0]);
    }
    return out;
  });
  m.def("arc_abuse_kind_names", []() {
    std::vector<std::string> out;
    for (uint8_t k = 0; k < 3; ++k)
      out.emplace_back(ArcAbuseKindName(static_cast<ArcAbuseKind>(k)));
    return out;
  });
}

}  // namespace invitegraph::py_bindings
