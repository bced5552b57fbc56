// Recommender, rankers and features.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>

#include "absl/strings/str_cat.h"
#include "bindings/arguments.h"
#include "bindings/fit_bindings.h"
#include "bindings/numpy.h"
#include "bindings/outcome_columns.h"
#include "bindings/python_ranker.h"
#include "bindings/status_conversion.h"
#include "invitegraph/features.h"
#include "invitegraph/outcomes.h"
#include "invitegraph/policy.h"
#include "invitegraph/ranker.h"
#include "invitegraph/recommender.h"

namespace invitegraph::py_bindings {

namespace py = pybind11;
using namespace pybind11::literals;

namespace {

// Columns of suggestions; reasons become a list of lists of str.
py::dict SuggestionColumns(SuggestionTable&& t, bool with_request) {
  py::list reasons(t.reasons.size());
  for (size_t i = 0; i < t.reasons.size(); ++i) {
    py::list r(t.reasons[i].size());
    for (size_t j = 0; j < t.reasons[i].size(); ++j)
      r[j] = py::str(t.reasons[i][j]);
    reasons[i] = std::move(r);
  }
  py::dict d;
  if (with_request) {
    d["inviter"] = ToNumpy(std::move(t.inviter));
    d["item"] = ToNumpy(std::move(t.item));
  }
  d["candidate"] = ToNumpy(std::move(t.candidate));
  d["score"] = ToNumpy(std::move(t.score));
  d["ranker_score"] = ToNumpy(std::move(t.ranker_score));
  d["join_probability"] = ToNumpy(std::move(t.join_probability));
  d["rank"] = ToNumpy(std::move(t.rank));
  d["reasons"] = std::move(reasons);
  return d;
}

// "skip" | "raise", as Python callers spell UnknownInviterPolicy.
UnknownInviterPolicy ParseUnknownInviters(const std::string& s) {
  if (s == "skip") return UnknownInviterPolicy::kSkip;
  if (s == "raise") return UnknownInviterPolicy::kFail;
  Raise(ErrorClass::kInvalidArgument,
        absl::StrCat("unknown_inviters='", s, "': expected 'skip' or 'raise'"));
}

}  // namespace

void InitRecommend(py::module_& m) {
  m.def(
      "feature_names",
      [] {
        auto n = FeatureNames();
        return std::vector<std::string>(n.begin(), n.end());
      },
      "Names of the feature columns, in order.");
  m.def("ranker_names", &RankerNames, "Registered ranker kinds.");
  m.def(
      "linear_weights",
      [] {
        py::dict d;
        const auto names = FeatureNames();
        for (int f = 0; f < kNumFeatures; ++f)
          d[py::str(names[f])] = LinearRankerWeights()[f];
        return d;
      },
      "Default weights of the built-in linear ranker, by feature.");

  py::class_<Audience>(m, "Audience", R"pbdoc(
A campaign audience compiled for one graph (see invitegraph.Recommender.audience and
the README, "Audiences"): an expression over the candidate's and the inviter's
attributes, evaluated per candidate in C++.
)pbdoc")
      .def_static(
          "compile",
          [](const std::string& expression, const SocialGraph& graph) {
            return ValueOrThrow(Audience::Compile(expression, graph));
          },
          py::arg("expression"), py::arg("graph"),
          "Compiles `expression`; ValueError on an unknown attribute, a type "
          "error or bad syntax, naming the position.")
      .def_property_readonly("expression", &Audience::expression)
      .def("compiled_for", &Audience::CompiledFor, py::arg("graph"))
      .def(
          "matches",
          [](const Audience& a, const SocialGraph& g, py::handle inviter,
             py::handle candidate) {
            const auto u = g.FindNode(ExactInt(inviter, "inviter"));
            const auto v = g.FindNode(ExactInt(candidate, "candidate"));
            if (!u || !v) Raise(ErrorClass::kNotFound, "user not in the graph");
            if (!a.CompiledFor(g)) {
              return ValueOrThrow(Audience::Compile(a.expression(), g))
                  .Matches(*u, *v);
            }
            return a.Matches(*u, *v);
          },
          py::arg("graph"), py::arg("inviter"), py::arg("candidate"),
          "Whether `candidate` is in the audience of `inviter`'s campaign.")
      .def("__repr__", [](const Audience& a) {
        return "<Audience " + a.expression() + ">";
      });

  py::class_<Recommender>(m, "Recommender", R"pbdoc(
Ranked, explained invitees for (inviter, item) requests over one SocialGraph.
Thread-safe (record_outcomes included); long calls release the GIL. Use
invitegraph.Recommender for DataFrames.
)pbdoc")
      .def(py::init([](const SocialGraph& graph, const py::object& ranker,
                       const RecommenderConfig& config, int64_t batch_rows) {
             // A spec or a Ranker object; anything else is a Python model.
             const bool native = py::isinstance<py::str>(ranker) ||
                                 py::isinstance<Ranker>(ranker);
             std::shared_ptr<const Ranker> r =
                 native ? RankerArg(ranker)
                        : MakePythonRanker(ranker, batch_rows);
             if (!native) {
               return ValueOrThrow(
                   Recommender::Create(graph, config, std::move(r)));
             }
             // Opening the state store may replay a journal or reach a
             // Redis server: without the GIL. (A Python model's ranker must
             // not be released without it, so that case keeps it.)
             absl::StatusOr<Recommender> made = absl::UnknownError("");
             {
               py::gil_scoped_release nogil;
               made = Recommender::Create(graph, config, std::move(r));
             }
             return ValueOrThrow(std::move(made));
           }),
           py::arg("graph"), py::arg("ranker") = "linear", py::kw_only(),
           py::arg("config") = RecommenderConfig{}, py::arg("batch_rows") = 0)
      .def_property_readonly(
          "config", [](const Recommender& r) { return r.config(); },
          "The RecommenderConfig it was made with (a copy).")
      .def_property_readonly(
          "ranker_spec", [](const Recommender& r) { return r.ranker().spec(); })
      .def_property_readonly("graph", &Recommender::graph)
      .def(
          "recommend",
          [](const Recommender& r, py::handle inviter_arg, py::handle item_arg,
             py::handle k_arg, py::handle category_arg, py::handle members_arg,
             py::handle team_size_arg, std::optional<Timestamp> ends_at,
             std::optional<Audience> audience) {
            const UserId inviter = ExactInt(inviter_arg, "inviter");
            const ItemId item = ExactIntOrNone(item_arg, "item").value_or(-1);
            const int k = static_cast<int>(ExactInt(k_arg, "k", 0, kInt32Max));
            const CategoryId category = static_cast<CategoryId>(
                ExactIntOrNone(category_arg, "category", kNoCategory)
                    .value_or(kNoCategory));
            const auto member_ids = ExactInts(members_arg, "members");
            std::vector<UserId> members(member_ids.data(),
                                        member_ids.data() + member_ids.size());
            const int team_size = static_cast<int>(
                ExactInt(team_size_arg, "team_size", 0, kInt32Max));
            absl::StatusOr<InviteList> s = absl::UnknownError("");
            {
              py::gil_scoped_release nogil;
              s = r.RecommendList(
                  inviter,
                  Campaign{.item = item,
                           .category = category,
                           .members = std::move(members),
                           .team_size = team_size,
                           .ends_at = ends_at,
                           .audience = audience.value_or(Audience())},
                  k);
            }
            InviteList v = ValueOrThrow(std::move(s));
            SuggestionTable t;
            for (Suggestion& x : v.suggestions)
              t.Append(inviter, item, std::move(x));
            py::dict list("k"_a = v.k, "urgency"_a = v.urgency,
                          "still_needed"_a = v.still_needed,
                          "expected_joins"_a = v.expected_joins,
                          "fill_probability"_a = v.fill_probability);
            return py::make_tuple(SuggestionColumns(std::move(t), false),
                                  std::move(list));
          },
          py::arg("inviter"), py::arg("item") = py::none(), py::arg("k") = 10,
          py::arg("category") = py::none(), py::arg("members") = py::tuple(),
          py::arg("team_size") = 0, py::arg("ends_at") = py::none(),
          py::arg("audience") = py::none(),
          "(columns candidate, score, ranker_score, join_probability, rank, "
          "reasons; {k, urgency, still_needed, expected_joins, "
          "fill_probability}) of one campaign request.")
      .def(
          "recommend_batch",
          [](const Recommender& r, py::handle inviters_arg,
             py::handle items_arg, py::handle k_arg, py::handle threads_arg,
             py::object progress, std::optional<Audience> audience,
             const std::string& unknown_inviters) {
            const Column<int64_t> inviters =
                ExactInts(inviters_arg, "inviters");
            const Column<int64_t> items = ExactInts(items_arg, "items");
            auto inv = AsSpan(inviters);
            auto it = AsSpan(items);
            const int k = static_cast<int>(ExactInt(k_arg, "k", 0, kInt32Max));
            const int num_threads = static_cast<int>(
                ExactInt(threads_arg, "num_threads", 0, kInt32Max));
            BatchOptions options;
            options.unknown_inviters = ParseUnknownInviters(unknown_inviters);
            options.audience = audience.value_or(Audience());
            options.num_threads = num_threads;
            options.progress = WrapProgress(progress);
            absl::StatusOr<SuggestionTable> t = absl::UnknownError("");
            {
              py::gil_scoped_release nogil;
              t = r.RecommendBatch(inv, it, k, options);
            }
            SuggestionTable v = ValueOrThrow(std::move(t));
            py::array unknown = ToNumpy(std::move(v.unknown_inviter_rows));
            return py::make_tuple(SuggestionColumns(std::move(v), true),
                                  std::move(unknown));
          },
          py::arg("inviters"), py::arg("items"), py::arg("k") = 10,
          py::arg("num_threads") = 0, py::arg("progress") = py::none(),
          py::arg("audience") = py::none(),
          py::arg("unknown_inviters") = "skip",
          "(columns, positions of the requests skipped for an unknown inviter) "
          "for every (inviters[i], items[i]) on all cores; same rows as "
          "recommend. unknown_inviters='raise': KeyError instead.")
      .def(
          "recommend_wave",
          [](const Recommender& r, py::handle inviters_arg,
             py::handle items_arg, py::handle k_arg, py::handle capacity_arg,
             const std::string& method, py::handle work_arg,
             py::handle threads_arg, py::object progress,
             std::optional<Audience> audience,
             const std::string& unknown_inviters) {
            const Column<int64_t> inviters =
                ExactInts(inviters_arg, "inviters");
            const Column<int64_t> items = ExactInts(items_arg, "items");
            auto inv = AsSpan(inviters);
            auto it = AsSpan(items);
            const int k = static_cast<int>(ExactInt(k_arg, "k", 0, kInt32Max));
            const int recipient_capacity = static_cast<int>(
                ExactInt(capacity_arg, "recipient_capacity", 0, kInt32Max));
            const int64_t exact_work_limit =
                ExactInt(work_arg, "exact_work_limit", 0);
            const int num_threads = static_cast<int>(
                ExactInt(threads_arg, "num_threads", 0, kInt32Max));
            WaveOptions o;
            o.unknown_inviters = ParseUnknownInviters(unknown_inviters);
            o.audience = audience.value_or(Audience());
            o.recipient_capacity = recipient_capacity;
            if (method == "auto") {
              o.method = WaveMethod::kAuto;
            } else if (method == "greedy") {
              o.method = WaveMethod::kGreedy;
            } else if (method == "exact") {
              o.method = WaveMethod::kExact;
            } else {
              Raise(ErrorClass::kInvalidArgument,
                    "method='" + method +
                        "': expected 'auto', 'greedy' or 'exact'");
            }
            o.exact_work_limit = exact_work_limit;
            o.num_threads = num_threads;
            o.progress = WrapProgress(progress);
            absl::StatusOr<Wave> w = absl::UnknownError("");
            {
              py::gil_scoped_release nogil;
              w = r.RecommendWave(inv, it, k, o);
            }
            Wave v = ValueOrThrow(std::move(w));
            const WaveReport& x = v.report;
            py::dict report(
                "requests"_a = x.requests, "suggestions"_a = x.suggestions,
                "expected_joins"_a = x.expected_joins,
                "max_recipient_load"_a = x.max_recipient_load,
                "short_requests"_a = x.short_requests,
                "naive_suggestions"_a = x.naive_suggestions,
                "naive_expected_joins"_a = x.naive_expected_joins,
                "naive_max_recipient_load"_a = x.naive_max_recipient_load,
                "naive_recipients_over_capacity"_a =
                    x.naive_recipients_over_capacity,
                "method"_a = x.exact ? "exact" : "greedy",
                "solve_seconds"_a = x.solve_seconds, "seconds"_a = x.seconds);
            py::array unknown =
                ToNumpy(std::move(v.suggestions.unknown_inviter_rows));
            return py::make_tuple(
                SuggestionColumns(std::move(v.suggestions), true),
                std::move(report), std::move(unknown));
          },
          py::arg("inviters"), py::arg("items"), py::arg("k") = 5,
          py::arg("recipient_capacity") = 1, py::arg("method") = "auto",
          py::arg("exact_work_limit") = kDefaultExactWorkLimit,
          py::arg("num_threads") = 0, py::arg("progress") = py::none(),
          py::arg("audience") = py::none(),
          py::arg("unknown_inviters") = "skip",
          "One campaign wave: (columns, report, skipped request positions) "
          "with no recipient in more than recipient_capacity lists, "
          "maximising expected joins.")
      .def(
          "features",
          [](const Recommender& r, py::handle inviter_arg, py::handle item_arg,
             py::handle category_arg, std::optional<Audience> audience) {
            const UserId inviter = ExactInt(inviter_arg, "inviter");
            const ItemId item = ExactIntOrNone(item_arg, "item").value_or(-1);
            const CategoryId category = static_cast<CategoryId>(
                ExactIntOrNone(category_arg, "category", kNoCategory)
                    .value_or(kNoCategory));
            absl::StatusOr<FeatureMatrix> f = absl::UnknownError("");
            {
              py::gil_scoped_release nogil;
              f = r.Features(
                  inviter, Campaign{.item = item,
                                    .category = category,
                                    .audience = audience.value_or(Audience())});
            }
            FeatureMatrix x = ValueOrThrow(std::move(f));
            py::array_t<float> values(
                {static_cast<py::ssize_t>(x.values.rows()),
                 static_cast<py::ssize_t>(x.values.cols())});
            std::copy(x.values.data(), x.values.data() + x.values.size(),
                      values.mutable_data());
            return py::make_tuple(ToNumpy(std::move(x.candidates)), values);
          },
          py::arg("inviter"), py::arg("item") = py::none(),
          py::arg("category") = py::none(), py::arg("audience") = py::none(),
          "(candidates, feature matrix) of the rows recommend scores.")
      .def(
          "record_outcomes",
          [](const Recommender& r, const Column<int64_t>& inviter,
             const Column<int64_t>& invitee, const Column<int64_t>& item,
             const Column<int64_t>& ts, const Column<uint8_t>& outcome) {
            OutcomeColumns c(inviter, invitee, item, ts, outcome);
            absl::StatusOr<OutcomeReport> report = absl::UnknownError("");
            {
              py::gil_scoped_release nogil;
              report = r.RecordOutcomes(c.batch());
            }
            const OutcomeReport v = ValueOrThrow(std::move(report));
            return py::dict("applied"_a = v.applied,
                            "unknown_invitees"_a = v.unknown_invitees);
          },
          py::arg("inviter"), py::arg("invitee"), py::arg("item"),
          py::arg("ts"), py::arg("outcome"), R"pbdoc(
Applies invite outcomes (codes in outcome_names() order) to the state every
copy of this recommender shares; all or nothing. Returns {applied,
unknown_invitees}.
)pbdoc")
      .def(
          "reserve_invites",
          [](const Recommender& r, py::handle inviter_arg,
             py::handle invitees_arg, py::handle item_arg, Timestamp ts) {
            const UserId inviter = ExactInt(inviter_arg, "inviter");
            const Column<int64_t> invitees =
                ExactInts(invitees_arg, "invitees");
            const ItemId item = ExactInt(item_arg, "item");
            auto inv = AsSpan(invitees);
            absl::StatusOr<std::vector<bool>> g = absl::UnknownError("");
            {
              py::gil_scoped_release nogil;
              g = r.ReserveInvites(inviter, inv, item, ts);
            }
            const std::vector<bool> v = ValueOrThrow(std::move(g));
            py::array_t<bool> out(static_cast<py::ssize_t>(v.size()));
            for (size_t i = 0; i < v.size(); ++i) out.mutable_data()[i] = v[i];
            return out;
          },
          py::arg("inviter"), py::arg("invitees"), py::arg("item"),
          py::arg("ts"), R"pbdoc(
Atomically records a "sent" outcome for each invitee whose caps allow one more
send; returns a bool array, True where granted (and recorded).
)pbdoc")
      .def(
          "recent_sends",
          [](const Recommender& r, py::handle user, py::handle window) {
            return r.RecentSends(ExactInt(user, "user"),
                                 ExactInt(window, "window_seconds", 0));
          },
          py::arg("user"), py::arg("window_seconds"),
          "Recorded sends to `user` in (now - window_seconds, now] (kept "
          "only with caps, within the longest cap window).")
      .def(
          "feedback_for",
          [](const Recommender& r, py::handle user) {
            const RecipientFeedback f = r.FeedbackFor(ExactInt(user, "user"));
            return py::dict(
                "in_graph"_a = f.in_graph, "successes"_a = f.successes,
                "failures"_a = f.failures, "accept_rate"_a = f.accept_rate,
                "fatigue"_a = f.fatigue, "as_of"_a = f.as_of);
          },
          py::arg("user"),
          "Recorded-outcome state of `user` at the recommender's current now.")
      .def(
          "swap_graph",
          [](const Recommender& r, SocialGraph g) {
            absl::Status s;
            {
              py::gil_scoped_release nogil;
              s = r.SwapGraph(std::move(g));
            }
            ThrowIfError(s);
          },
          py::arg("graph"),
          "Switches to `graph` without stopping requests (GIL released).")
      .def(
          "forget_users",
          [](const Recommender& r, py::handle users_arg) {
            // An erasure names exactly whom it erases: 2.5 is refused.
            const Column<int64_t> ids = ExactInts(users_arg, "users");
            const std::vector<UserId> users(ids.data(),
                                            ids.data() + ids.size());
            absl::StatusOr<int64_t> n = absl::UnknownError("");
            {
              py::gil_scoped_release nogil;
              n = r.ForgetUsers(users);
            }
            return ValueOrThrow(std::move(n));
          },
          py::arg("users"),
          "Erases these recipients' recorded state (durably, with a journal "
          "or Redis state; GIL released).")
      .def(
          "state_info",
          [](const Recommender& r) {
            StateStoreInfo i;
            {
              py::gil_scoped_release nogil;
              i = r.StateInfo();
            }
            py::dict d;
            d["backend"] = i.backend;
            d["replayed_events"] = i.replayed_events;
            d["dropped_records"] = i.dropped_records;
            d["dropped_bytes"] = i.dropped_bytes;
            d["log_bytes"] = i.log_bytes;
            d["compactions"] = i.compactions;
            d["followed_events"] = i.followed_events;
            d["max_follow_lag_ms"] = i.max_follow_lag_ms;
            d["connected"] = i.connected;
            return d;
          },
          "What the state store has done (C++ StateStoreInfo): replayed and "
          "dropped journal records, compactions, the Redis follower's lag.")
      .def(
          "save_state",
          [](const Recommender& r, const std::string& path) {
            absl::StatusOr<int64_t> n = absl::UnknownError("");
            {
              py::gil_scoped_release nogil;
              n = r.SaveState(path);
            }
            return ValueOrThrowFile(std::move(n));
          },
          py::arg("path"))
      .def(
          "load_state",
          [](const Recommender& r, const std::string& path) {
            absl::Status s;
            {
              py::gil_scoped_release nogil;
              s = r.LoadState(path);
            }
            ThrowIfFileError(s);
          },
          py::arg("path"))
      .def("state_to_bytes",
           [](const Recommender& r) {
             absl::StatusOr<std::string> b = absl::UnknownError("");
             {
               py::gil_scoped_release nogil;
               b = r.StateToBytes();
             }
             return py::bytes(ValueOrThrow(std::move(b)));
           })
      .def(
          "state_from_bytes",
          [](const Recommender& r, py::bytes data) {
            const std::string_view view = data;
            absl::Status s;
            {
              py::gil_scoped_release nogil;
              s = r.StateFromBytes(view);
            }
            ThrowIfError(s);
          },
          py::arg("data"));
}

}  // namespace invitegraph::py_bindings
