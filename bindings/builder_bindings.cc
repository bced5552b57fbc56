// GraphBuilder (staging event batches, building), the module functions on
// channels and plausible times, and arc partials finished into arcs. The graph
// it builds: graph_bindings.cc; options: options_bindings.cc.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "absl/strings/str_cat.h"
#include "bindings/arguments.h"
#include "bindings/campaign_columns.h"
#include "bindings/numpy.h"
#include "bindings/status_conversion.h"
#include "invitegraph/arc_partials.h"
#include "invitegraph/graph_builder.h"
#include "invitegraph/social_graph.h"
#include "invitegraph/time_limits.h"

namespace invitegraph::py_bindings {

namespace py = pybind11;
using namespace pybind11::literals;

void InitBuilder(py::module_& m) {
  m.def(
      "check_timestamp",
      [](Timestamp ts, const TimeLimits* limits, const std::string& where,
         bool deadline) {
        ThrowIfError(CheckTimestamp(
            ts, limits != nullptr ? *limits : TimeLimits{}, where,
            deadline ? TimeUse::kDeadline : TimeUse::kEvent));
      },
      py::arg("ts"), py::arg("time_limits") = nullptr, py::arg("where") = "ts",
      py::arg("deadline") = false,
      "Raises ValueError unless `ts` (unix seconds) is plausible under "
      "`time_limits` (default TimeLimits()); `deadline` uses "
      "max_ends_at_future_seconds. The check every entry point applies.");

  m.def(
      "channel_names",
      [] {
        std::vector<std::string> out;
        for (auto n : ChannelNames()) out.emplace_back(n);
        return out;
      },
      "Known interaction kinds, in channel order.");

  py::class_<GraphBuilder>(m, "GraphBuilder", R"pbdoc(
Stages validated event batches (columns as NumPy arrays of exact dtypes) and builds a
SocialGraph. Each add_* call validates its whole batch first: a bad row raises
ValueError naming table, column, row and value, and nothing of that batch is kept.
Use invitegraph.build_graph for DataFrames.
)pbdoc")
      .def(py::init<GraphConfig>(),
           py::arg_v("config", GraphConfig{}, "GraphConfig()"))
      .def(
          "add_friendships",
          [](GraphBuilder& b, const Column<int64_t>& src,
             const Column<int64_t>& dst) {
            ThrowIfError(b.AddFriendships({AsSpan(src), AsSpan(dst)}));
          },
          py::arg("src"), py::arg("dst"),
          "Undirected contacts (int64 columns).")
      .def(
          "add_interactions",
          [](GraphBuilder& b, const Column<int64_t>& src,
             const Column<int64_t>& dst, const Column<int32_t>& kind_codes,
             const std::vector<std::string>& kind_names,
             const Column<int64_t>& ts,
             const std::optional<Column<int64_t>>& event_id) {
            ThrowIfError(b.AddInteractions(EncodedInteractionBatch{
                AsSpan(src), AsSpan(dst), AsSpan(kind_codes), kind_names,
                AsSpan(ts), AsSpan(event_id)}));
          },
          py::arg("src"), py::arg("dst"), py::arg("kind_codes"),
          py::arg("kind_names"), py::arg("ts"),
          py::arg("event_id") = py::none(),
          "Directed interactions; kind as dictionary codes into kind_names "
          "(-1: missing). Rows whose event_id was already applied are "
          "skipped.")
      .def(
          "add_purchases",
          [](GraphBuilder& b, const Column<int64_t>& user,
             const Column<int64_t>& item, const Column<int64_t>& ts,
             const std::optional<Column<int64_t>>& category,
             const std::optional<Column<double>>& amount,
             const std::optional<Column<int64_t>>& event_id) {
            ThrowIfError(b.AddPurchases(PurchaseBatch{
                AsSpan(user), AsSpan(item), AsSpan(ts), AsSpan(category),
                AsSpan(amount), AsSpan(event_id)}));
          },
          py::arg("user"), py::arg("item"), py::arg("ts"),
          py::arg("category") = py::none(), py::arg("amount") = py::none(),
          py::arg("event_id") = py::none(),
          "Purchases; category -1 means unknown. Rows whose event_id was "
          "already applied are skipped.")
      .def(
          "add_campaigns",
          [](GraphBuilder& b, const Column<int64_t>& inviter,
             const Column<int64_t>& item, const Column<int64_t>& joined_offsets,
             const Column<int64_t>& joined,
             const std::optional<Column<int64_t>>& ts,
             const std::optional<Column<int64_t>>& category,
             const std::optional<Column<int64_t>>& invited_offsets,
             const std::optional<Column<int64_t>>& invited,
             const std::optional<Column<int64_t>>& event_id) {
            ThrowIfError(b.AddCampaigns(
                CampaignColumns(inviter, item, joined_offsets, joined, ts,
                                category, invited_offsets, invited, event_id)));
          },
          py::arg("inviter"), py::arg("item"), py::arg("joined_offsets"),
          py::arg("joined"), py::arg("ts") = py::none(),
          py::arg("category") = py::none(),
          py::arg("invited_offsets") = py::none(),
          py::arg("invited") = py::none(), py::arg("event_id") = py::none(),
          "Campaign history; list columns in offsets layout (offsets size "
          "rows+1). Rows whose event_id was already applied are skipped "
          "with their implied joins and purchases.")
      .def(
          "add_profiles",
          [](GraphBuilder& b, const Column<int64_t>& user,
             const py::list& columns) {
            // Each column: (name, type, codes, offsets, dictionary, numbers);
            // the arrays stay referenced here until the batch is staged.
            std::vector<ProfileColumn> cols;
            std::vector<Column<int32_t>> codes;
            std::vector<Column<int64_t>> offsets;
            std::vector<Column<double>> numbers;
            std::vector<std::vector<std::string>> dictionaries;
            codes.reserve(columns.size());
            offsets.reserve(columns.size());
            numbers.reserve(columns.size());
            dictionaries.reserve(columns.size());
            for (const py::handle& h : columns) {
              const auto t = h.cast<py::tuple>();
              if (t.size() != 6) {
                Raise(ErrorClass::kInvalidArgument,
                      "add_profiles: each column is (name, type, codes, "
                      "offsets, dictionary, numbers)");
              }
              ProfileColumn c;
              c.name = t[0].cast<std::string>();
              const std::string type = t[1].cast<std::string>();
              if (type == "category") {
                c.type = AttributeType::kCategory;
              } else if (type == "tags") {
                c.type = AttributeType::kTags;
              } else if (type == "number") {
                c.type = AttributeType::kNumber;
              } else {
                Raise(ErrorClass::kInvalidArgument,
                      "profiles." + c.name + ": unknown type '" + type + "'");
              }
              if (!t[2].is_none())
                c.codes =
                    AsSpan(codes.emplace_back(t[2].cast<Column<int32_t>>()));
              if (!t[3].is_none()) {
                c.offsets =
                    AsSpan(offsets.emplace_back(t[3].cast<Column<int64_t>>()));
              }
              c.dictionary = dictionaries.emplace_back(
                  t[4].cast<std::vector<std::string>>());
              if (!t[5].is_none()) {
                c.numbers =
                    AsSpan(numbers.emplace_back(t[5].cast<Column<double>>()));
              }
              cols.push_back(std::move(c));
            }
            ThrowIfError(b.AddProfiles({AsSpan(user), cols}));
          },
          py::arg("user"), py::arg("columns"),
          "User attributes: columns as (name, 'category'|'tags'|'number', "
          "codes int32, offsets int64 (tags), dictionary, numbers float64). "
          "Upserts per user and column; missing values keep earlier ones.")
      .def(
          "partial_arc_columns",
          [](const GraphBuilder& b, int64_t as_of, int num_threads) {
            absl::StatusOr<ArcPartialTable> t = absl::UnknownError("");
            {
              py::gil_scoped_release nogil;
              t = b.PartialArcs(as_of, num_threads);
            }
            ArcPartialTable table = ValueOrThrow(std::move(t));
            const auto m = static_cast<py::ssize_t>(table.src.size());
            std::vector<int64_t> fixed(table.src.size() * kNumChannels),
                min_age(table.src.size());
            std::vector<uint8_t> is_friend(table.src.size());
            for (size_t i = 0; i < table.partial.size(); ++i) {
              const ArcPartial& p = table.partial[i];
              std::copy(p.channel_fixed.begin(), p.channel_fixed.end(),
                        fixed.begin() + i * kNumChannels);
              min_age[i] = p.min_age_s;
              is_friend[i] = p.is_friend;
            }
            return py::dict(
                "src"_a = ToNumpy(std::move(table.src)),
                "dst"_a = ToNumpy(std::move(table.dst)),
                "channel_fixed"_a =
                    ToNumpy(std::move(fixed))
                        .reshape(std::vector<py::ssize_t>{m, kNumChannels}),
                "min_age_s"_a = ToNumpy(std::move(min_age)),
                "is_friend"_a = ToNumpy(std::move(is_friend)));
          },
          py::arg("as_of"), py::arg("num_threads") = 0,
          "Exact mergeable partial aggregates of the staged arcs as of as_of "
          "(arc_partials.h), GIL released: src, dst, channel_fixed (rows x "
          "channels, int64 units of 2^-32), min_age_s (-1: none), is_friend.")
      .def(
          "counts",
          [](const GraphBuilder& b) {
            const StagedCounts c = b.counts();
            return py::dict(
                "friendships"_a = c.friendships,
                "interactions"_a = c.interactions, "purchases"_a = c.purchases,
                "campaigns"_a = c.campaigns, "profiles"_a = c.profiles,
                "users"_a = c.users, "items"_a = c.items,
                // Idempotent ingestion.
                "duplicate_interactions"_a = c.duplicate_interactions,
                "duplicate_purchases"_a = c.duplicate_purchases,
                "duplicate_campaigns"_a = c.duplicate_campaigns);
          },
          "Rows and distinct ids staged so far, and rows skipped as "
          "duplicates per table (duplicate_*).")
      .def(
          "build",
          [](const GraphBuilder& b, std::optional<int64_t> as_of,
             py::object progress, bool keep_events, bool communities,
             std::optional<AbuseOptions> abuse, bool centrality) {
            BuildOptions options;
            options.as_of = as_of;
            options.abuse = abuse;
            options.keep_events = keep_events;
            options.communities = communities;
            options.centrality = centrality;
            options.progress = WrapProgress(progress);
            absl::StatusOr<SocialGraph> g = absl::UnknownError("not built");
            {
              py::gil_scoped_release nogil;
              g = b.Build(options);
            }
            return ValueOrThrow(std::move(g));
          },
          py::arg("as_of") = py::none(), py::arg("progress") = py::none(),
          py::arg("keep_events") = false, py::arg("communities") = true,
          py::arg("abuse") = py::none(), py::arg("centrality") = true,
          "Builds the immutable graph (GIL released). as_of defaults to the "
          "latest ts; keep_events keeps the staged rows with the graph for "
          "training sets; abuse (AbuseOptions) scores abuse and attaches it; "
          "centrality computes PageRank, k-core numbers and clustering.");

  m.def(
      "finish_arc_columns",
      [](const GraphConfig& config,
         const py::array_t<int64_t, py::array::c_style>& channel_fixed,
         const Column<int64_t>& min_age_s, const Column<uint8_t>& is_friend) {
        const auto ages = AsSpan(min_age_s);
        const auto friends = AsSpan(is_friend);
        const size_t m = ages.size();
        if (channel_fixed.ndim() != 2 ||
            channel_fixed.shape(1) != kNumChannels ||
            static_cast<size_t>(channel_fixed.shape(0)) != m ||
            friends.size() != m) {
          Raise(ErrorClass::kInvalidArgument,
                "finish_arc_columns: channel_fixed must be rows x channels and "
                "every column the same length");
        }
        std::vector<ArcPartial> partials(m);
        const int64_t* fixed = channel_fixed.data();
        for (size_t i = 0; i < m; ++i) {
          std::copy(fixed + i * kNumChannels, fixed + (i + 1) * kNumChannels,
                    partials[i].channel_fixed.begin());
          partials[i].min_age_s = ages[i];
          partials[i].is_friend = friends[i] != 0;
        }
        absl::StatusOr<std::vector<ArcInfo>> arcs = absl::UnknownError("");
        {
          py::gil_scoped_release nogil;
          arcs = FinishArcs(partials, config);
        }
        const std::vector<ArcInfo> done = ValueOrThrow(std::move(arcs));
        std::vector<float> tie(m), days(m), weights(m * kNumChannels);
        for (size_t i = 0; i < m; ++i) {
          tie[i] = done[i].tie_strength;
          days[i] = done[i].days_since_last_interaction;
          std::copy(done[i].channel_weight.begin(),
                    done[i].channel_weight.end(),
                    weights.begin() + i * kNumChannels);
        }
        return py::dict(
            "tie_strength"_a = ToNumpy(std::move(tie)),
            "days_since_last_interaction"_a = ToNumpy(std::move(days)),
            "channel_weight"_a =
                ToNumpy(std::move(weights))
                    .reshape(std::vector<py::ssize_t>{
                        static_cast<py::ssize_t>(m), kNumChannels}));
      },
      py::arg("config"), py::arg("channel_fixed"), py::arg("min_age_s"),
      py::arg("is_friend"),
      "Merged arc partials finished as SocialGraph.arc_columns() reports "
      "them: tie_strength, days_since_last_interaction, channel_weight.");
}

}  // namespace invitegraph::py_bindings
