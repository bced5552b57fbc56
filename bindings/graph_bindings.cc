// GraphBuilder and SocialGraph (their options: options_bindings.cc).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "bindings/arguments.h"
#include "bindings/numpy.h"
#include "bindings/status_conversion.h"
#include "invitegraph/arc_partials.h"
#include "invitegraph/candidates.h"
#include "invitegraph/graph_builder.h"
#include "invitegraph/social_graph.h"
#include "invitegraph/time_limits.h"

namespace invitegraph::py_bindings {

namespace py = pybind11;
using namespace pybind11::literals;

namespace {

py::dict ArcDict(const ArcInfo& a, const SocialGraph& g) {
  py::dict channels;
  for (int c = 0; c < kNumChannels; ++c) {
    channels[py::str(std::string(ChannelNames()[c]))] = a.channel_weight[c];
  }
  return py::dict(
      "target"_a = g.user_id(a.target), "tie_strength"_a = a.tie_strength,
      "channel_weight"_a = channels,
      "days_since_last_interaction"_a = a.days_since_last_interaction,
      "is_friend"_a = a.is_friend);
}

// The node of the id `user` (argument `name`): an exact integer (arguments.h)
// that is in the graph, else NotFoundError.
NodeId NodeOf(const SocialGraph& g, py::handle user,
              absl::string_view name = "user") {
  const UserId id = ExactInt(user, name);
  auto n = g.FindNode(id);
  if (!n) {
    Raise(ErrorClass::kNotFound,
          absl::StrCat(name, "=", id, ": not in the graph"));
  }
  return *n;
}

// The core graph of `graph`: a _core.SocialGraph, or the
// invitegraph.SocialGraph (invitegraph/_graph.py) holding one as `_g`. A copy
// of the handle: the graph's data is shared, not copied. TypeError for anything
// else.
SocialGraph CoreGraphOf(py::handle graph) {
  if (py::isinstance<SocialGraph>(graph)) return graph.cast<SocialGraph>();
  const py::object core = py::getattr(graph, "_g", py::none());
  if (!py::isinstance<SocialGraph>(core)) {
    throw py::type_error(absl::StrCat(
        "expected an invitegraph.SocialGraph, got ",
        py::str(py::type::of(graph).attr("__name__")).cast<std::string>()));
  }
  return core.cast<SocialGraph>();
}

}  // namespace

void DeclareGraph(py::module_& m) {
  py::class_<SocialGraph>(m, "SocialGraph", R"pbdoc(
The immutable social graph: symmetric contact arcs with decayed per-channel weights and
tie strength, user profiles and an item index. Safe to share across threads. The core
of invitegraph.SocialGraph, which holds one as ``_g``.
)pbdoc");
}

void InitGraph(py::module_& m) {
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
            CampaignBatch batch;
            batch.inviter = AsSpan(inviter);
            batch.item = AsSpan(item);
            batch.joined_offsets = AsSpan(joined_offsets);
            batch.joined = AsSpan(joined);
            batch.ts = AsSpan(ts);
            batch.category = AsSpan(category);
            batch.invited_offsets = AsSpan(invited_offsets);
            batch.invited = AsSpan(invited);
            batch.event_id = AsSpan(event_id);
            ThrowIfError(b.AddCampaigns(batch));
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

  // Declared by DeclareGraph() (module.cc), before the bindings that name it.
  py::reinterpret_borrow<py::class_<SocialGraph>>(m.attr("SocialGraph"))
      .def(py::init(&CoreGraphOf), py::arg("graph"),
           "The core graph of an invitegraph.SocialGraph (sharing its data).")
      .def_property_readonly("num_nodes", &SocialGraph::num_nodes,
                             "Number of users.")
      .def_property_readonly("num_arcs", &SocialGraph::num_arcs,
                             "Number of directed arcs.")
      .def_property_readonly("as_of", &SocialGraph::as_of,
                             "Reference time (unix s).")
      .def_property_readonly("config", &SocialGraph::config,
                             "The GraphConfig used.")
      .def(
          "stats",
          [](const SocialGraph& g) {
            const GraphStats s = g.stats();
            return py::dict(
                "num_nodes"_a = s.num_nodes, "num_arcs"_a = s.num_arcs,
                "num_items"_a = s.num_items,
                "num_categories"_a = s.num_categories,
                "num_events"_a = s.num_events, "arc_bytes"_a = s.arc_bytes,
                "offset_bytes"_a = s.offset_bytes,
                "total_bytes"_a = s.total_bytes,
                "bytes_per_arc"_a =
                    s.num_arcs ? double(s.arc_bytes) / s.num_arcs : 0.0,
                "as_of"_a = s.as_of, "num_communities"_a = s.num_communities,
                "build_seconds"_a = s.build_seconds,
                "community_seconds"_a = s.community_seconds,
                "duplicates_skipped"_a = s.duplicates_skipped,
                "centrality_seconds"_a = s.centrality_seconds,
                "pagerank_seconds"_a = s.pagerank_seconds,
                "core_seconds"_a = s.core_seconds,
                "clustering_seconds"_a = s.clustering_seconds);
          },
          "Sizes, memory and build time (community_seconds and "
          "centrality_seconds are part of build_seconds; pagerank_seconds, "
          "core_seconds and clustering_seconds are the wall time of each "
          "centrality step, which may overlap); duplicates_skipped: rows this "
          "build or update skipped as already applied (event ids, dedupe).")
      .def(
          "attribute_info",
          [](const SocialGraph& g) {
            py::list out;
            for (const AttributeInfo& a : g.attributes()) {
              out.append(
                  py::dict("name"_a = a.name,
                           "type"_a = std::string(AttributeTypeName(a.type)),
                           "builtin"_a = a.builtin, "values"_a = a.values));
            }
            return out;
          },
          "Profile attributes ({name, type, builtin, values}), columns by "
          "name, then the built-in number attributes audiences may use.")
      .def(
          "attribute_column",
          [](const SocialGraph& g, const std::string& name) -> py::object {
            const auto c = g.attribute_column(name);
            if (!c) return py::none();
            return py::dict("type"_a = std::string(AttributeTypeName(c->type)),
                            "dictionary"_a = std::vector<std::string>(
                                c->dictionary.begin(), c->dictionary.end()),
                            "codes"_a = ToNumpy(std::vector<int32_t>(
                                c->codes.begin(), c->codes.end())),
                            "tag_offsets"_a = ToNumpy(std::vector<int64_t>(
                                c->tag_offsets.begin(), c->tag_offsets.end())),
                            "numbers"_a = ToNumpy(std::vector<double>(
                                c->numbers.begin(), c->numbers.end())));
          },
          py::arg("name"),
          "One profile column by NodeId ({type, dictionary, codes, "
          "tag_offsets, numbers}), or None.")
      .def_property_readonly("has_events", &SocialGraph::has_events,
                             "True if built with keep_events.")
      .def_property_readonly("has_abuse", &SocialGraph::has_abuse,
                             "True if abuse scores are attached.")
      .def_property_readonly(
          "has_centrality", &SocialGraph::has_centrality,
          "True if PageRank, k-core numbers and clustering were computed.")
      .def("__contains__",
           [](const SocialGraph& g, py::handle u) {
             // Only an exact integer id can be in the graph: 2.5, True
             // or "2" are not (and asking is not an error, as for a dict).
             try {
               return g.FindNode(ExactInt(u, "user")).has_value();
             } catch (py::error_already_set&) {
               return false;
             }
           })
      .def("__len__", &SocialGraph::num_nodes)
      .def(
          "user_ids",
          [](py::object self) {
            const SocialGraph& g = self.cast<const SocialGraph&>();
            return ReadOnlyView(g.user_ids(), self);
          },
          "External ids indexed by internal node id (read-only view).")
      .def(
          "csr",
          [](py::object self) {
            const SocialGraph& g = self.cast<const SocialGraph&>();
            return py::make_tuple(ReadOnlyView(g.row_offsets(), self),
                                  ReadOnlyView(g.arc_targets(), self));
          },
          "(row offsets, targets) of the CSR over internal node ids (read-only "
          "views).")
      .def(
          "community_columns",
          [](py::object self) {
            const SocialGraph& g = self.cast<const SocialGraph&>();
            if (g.communities().empty() && g.num_nodes() > 0) {
              Raise(ErrorClass::kInvalidArgument,
                    "this graph was built with communities=False");
            }
            return py::dict(
                "user"_a = ReadOnlyView(g.user_ids(), self),
                "community"_a = ReadOnlyView(g.communities(), self));
          },
          R"pbdoc(
Columns of the communities found at build time.

Returns
-------
dict
    ``user`` (int64, external ids) and ``community`` (uint32, dense labels in order of
    first appearance), both read-only views indexed by internal node id. Use
    ``SocialGraph.communities()`` for a DataFrame.
)pbdoc")
      .def(
          "centrality_columns",
          [](py::object self) {
            const SocialGraph& g = self.cast<const SocialGraph&>();
            if (!g.has_centrality() && g.num_nodes() > 0) {
              Raise(ErrorClass::kInvalidArgument,
                    "this graph has no influence measures: it was built (or "
                    "updated, or forgotten from) with centrality=False");
            }
            return py::dict(
                "user"_a = ReadOnlyView(g.user_ids(), self),
                "pagerank"_a = ReadOnlyView(g.pageranks(), self),
                "core_number"_a = ReadOnlyView(g.core_numbers(), self),
                "clustering"_a = ReadOnlyView(g.clusterings(), self));
          },
          R"pbdoc(
Columns of the influence measures computed at build time.

Returns
-------
dict
    ``user`` (int64, external ids), ``pagerank`` (float32, as ``nx.pagerank``, sums
    to 1), ``core_number`` (uint32, as ``nx.core_number``) and ``clustering``
    (float32, as ``nx.clustering``), read-only views indexed by internal node id. Use
    ``SocialGraph.centrality()`` for a DataFrame. ValueError if the graph was built
    with ``centrality=False``.
)pbdoc")
      .def(
          "pagerank",
          [](const SocialGraph& g, py::handle user) {
            return g.pagerank(NodeOf(g, user));
          },
          py::arg("user"),
          "The user's PageRank (0 without centrality; KeyError for an unknown "
          "user).")
      .def(
          "core_number",
          [](const SocialGraph& g, py::handle user) {
            return g.core_number(NodeOf(g, user));
          },
          py::arg("user"),
          "The user's k-core number (0 without centrality; KeyError for an "
          "unknown user).")
      .def(
          "clustering",
          [](const SocialGraph& g, py::handle user) {
            return g.clustering(NodeOf(g, user));
          },
          py::arg("user"),
          "The user's local clustering coefficient (0 without centrality; "
          "KeyError for an unknown user).")
      .def(
          "arc_columns",
          [](const SocialGraph& g) {
            const int64_t m = g.num_arcs();
            std::vector<int64_t> src(m), dst(m);
            std::vector<float> tie(m), days(m), weights(m * kNumChannels);
            std::vector<uint8_t> is_friend(m);
            {
              py::gil_scoped_release nogil;
              int64_t j = 0;
              for (NodeId u = 0; u < g.num_nodes(); ++u) {
                for (int64_t i = 0; i < g.degree(u); ++i, ++j) {
                  const ArcInfo a = g.arc(u, i);
                  src[j] = g.user_id(u);
                  dst[j] = g.user_id(a.target);
                  tie[j] = a.tie_strength;
                  days[j] = a.days_since_last_interaction;
                  is_friend[j] = a.is_friend;
                  for (int c = 0; c < kNumChannels; ++c) {
                    weights[j * kNumChannels + c] = a.channel_weight[c];
                  }
                }
              }
            }
            py::array_t<float> w = ToNumpy(std::move(weights));
            return py::dict(
                "src"_a = ToNumpy(std::move(src)),
                "dst"_a = ToNumpy(std::move(dst)),
                "tie_strength"_a = ToNumpy(std::move(tie)),
                "days_since_last_interaction"_a = ToNumpy(std::move(days)),
                "is_friend"_a = ToNumpy(std::move(is_friend)),
                "channel_weight"_a =
                    w.reshape(std::vector<py::ssize_t>{m, kNumChannels}));
          },
          "Every directed arc as columns (external ids), in CSR order: src, "
          "dst, tie_strength, days_since_last_interaction, is_friend (uint8) "
          "and channel_weight (arcs x channels, channel_names() order).")
      .def(
          "adamic_adar_columns",
          [](const SocialGraph& g, py::handle inviters, py::handle k_arg,
             py::handle threads_arg) {
            const auto column = ExactInts(inviters, "inviters");
            const auto users = AsSpan(Column<int64_t>(column));
            const int k = static_cast<int>(ExactInt(k_arg, "k", 0, kInt32Max));
            const int num_threads = static_cast<int>(
                ExactInt(threads_arg, "num_threads", 0, kInt32Max));
            std::vector<NodeId> nodes;
            nodes.reserve(users.size());
            for (size_t i = 0; i < users.size(); ++i) {
              auto n = g.FindNode(users[i]);
              if (!n) {
                Raise(ErrorClass::kNotFound,
                      absl::StrCat("inviters[", i, "]=", users[i],
                                   ": not in the graph"));
              }
              nodes.push_back(*n);
            }
            absl::StatusOr<std::vector<std::vector<ScoredCandidate>>> top =
                absl::UnknownError("not run");
            std::vector<int64_t> inviter_col, candidate_col;
            std::vector<double> score_col;
            {
              py::gil_scoped_release nogil;
              top = TopAdamicAdar(g, nodes, k, {.num_threads = num_threads});
              if (top.ok()) {
                size_t rows = 0;
                for (const auto& list : *top) rows += list.size();
                inviter_col.reserve(rows);
                candidate_col.reserve(rows);
                score_col.reserve(rows);
                for (size_t i = 0; i < top->size(); ++i) {
                  for (const ScoredCandidate& c : (*top)[i]) {
                    inviter_col.push_back(users[i]);
                    candidate_col.push_back(g.user_id(c.candidate));
                    score_col.push_back(c.score);
                  }
                }
              }
            }
            ThrowIfError(top.status());
            return py::dict("inviter"_a = ToNumpy(std::move(inviter_col)),
                            "candidate"_a = ToNumpy(std::move(candidate_col)),
                            "score"_a = ToNumpy(std::move(score_col)));
          },
          py::arg("inviters"), py::arg("k") = 20, py::arg("num_threads") = 0,
          "Columns inviter, candidate, score of the k best Adamic-Adar "
          "candidates at distance 2 per inviter (GIL released); see "
          "SocialGraph.adamic_adar_top.")
      .def(
          "community",
          [](const SocialGraph& g, py::handle user) {
            return g.community(NodeOf(g, user));
          },
          py::arg("user"),
          "The user's community label (KeyError for an unknown user).")
      .def(
          "neighbors",
          [](const SocialGraph& g, py::handle user) {
            const NodeId n = NodeOf(g, user);
            std::vector<int64_t> out;
            for (NodeId v : g.neighbors(n)) out.push_back(g.user_id(v));
            return ToNumpy(std::move(out));
          },
          py::arg("user"), "External ids of the user's contacts.")
      .def(
          "degree",
          [](const SocialGraph& g, py::handle user) {
            return g.degree(NodeOf(g, user));
          },
          py::arg("user"))
      .def(
          "arc",
          [](const SocialGraph& g, py::handle src,
             py::handle dst) -> py::object {
            auto a = g.FindArc(NodeOf(g, src, "src"), NodeOf(g, dst, "dst"));
            if (!a) return py::none();
            return ArcDict(*a, g);
          },
          py::arg("src"), py::arg("dst"),
          "The arc src -> dst as a dict, or None.")
      .def(
          "profile",
          [](const SocialGraph& g, py::handle user) {
            const UserProfile p = g.profile(NodeOf(g, user));
            py::dict cats;
            for (const auto& [c, w] : p.category_affinity)
              cats[py::int_(c)] = w;
            return py::dict("user"_a = p.user, "degree"_a = p.degree,
                            "activity_7d"_a = p.activity_7d,
                            "activity_30d"_a = p.activity_30d,
                            "first_seen"_a = p.first_seen,
                            "is_new"_a = p.is_new, "joins"_a = p.joins,
                            "exposures"_a = p.exposures,
                            "join_rate"_a = p.join_rate,
                            "purchase_weight"_a = p.purchase_weight,
                            "category_affinity"_a = cats);
          },
          py::arg("user"), "The user's profile as a dict.")
      .def(
          "item_category",
          [](const SocialGraph& g, py::handle item) -> py::object {
            const CategoryId c = g.item_category(ExactInt(item, "item"));
            if (c == kNoCategory) return py::none();
            return py::int_(c);
          },
          py::arg("item"))
      .def(
          "item_buyers",
          [](const SocialGraph& g, py::handle item) {
            std::vector<int64_t> out;
            for (NodeId v : g.item_buyers(ExactInt(item, "item")))
              out.push_back(g.user_id(v));
            return ToNumpy(std::move(out));
          },
          py::arg("item"), "External ids of the item's buyers.")
      .def(
          "_update",
          [](const SocialGraph& g, const GraphBuilder& new_events,
             std::optional<int64_t> as_of, bool communities, bool centrality) {
            UpdateOptions options;
            options.as_of = as_of;
            options.communities = communities;
            options.centrality = centrality;
            absl::StatusOr<SocialGraph> out = absl::UnknownError("");
            {
              py::gil_scoped_release nogil;
              out = g.Update(new_events, options);
            }
            return ValueOrThrow(std::move(out));
          },
          py::arg("new_events"), py::arg("as_of") = py::none(),
          py::arg("communities") = true, py::arg("centrality") = true,
          "A new graph with the events staged in `new_events` (a GraphBuilder "
          "of only the new rows) folded in, as of `as_of`. Use "
          "SocialGraph.update for DataFrames. GIL released.")
      .def(
          "forget",
          [](const SocialGraph& g, py::handle user_ids, bool ignore_unknown,
             bool communities, bool centrality) {
            ForgetOptions options;
            options.ignore_unknown = ignore_unknown;
            options.communities = communities;
            options.centrality = centrality;
            // An erasure request must name exactly whom it erases: 2.5 is
            // refused, never truncated to user 2.
            const Column<int64_t> column = ExactInts(user_ids, "user_ids");
            auto ids = AsSpan(column);
            absl::StatusOr<SocialGraph> out = absl::UnknownError("");
            {
              py::gil_scoped_release nogil;
              out = g.Forget(ids, options);
            }
            return ValueOrThrow(std::move(out));
          },
          py::arg("user_ids"), py::kw_only(), py::arg("ignore_unknown") = true,
          py::arg("communities") = true, py::arg("centrality") = true,
          "A new graph without the given users (invitegraph.SocialGraph.forget "
          "documents it). GIL released.")
      .def(
          "save",
          [](const SocialGraph& g, const std::filesystem::path& path,
             bool events) {
            absl::StatusOr<int64_t> n = absl::UnknownError("");
            {
              py::gil_scoped_release nogil;
              n = g.Save(path.string(), SnapshotOptions{.events = events});
            }
            ThrowIfFileError(n.status());
            return *n;
          },
          py::arg("path"), py::kw_only(), py::arg("events") = true,
          "Writes a snapshot; returns the bytes written "
          "(invitegraph.SocialGraph.save documents it). GIL released.")
      .def_static(
          "load",
          [](const std::filesystem::path& path) {
            absl::StatusOr<SocialGraph> g = absl::UnknownError("");
            {
              py::gil_scoped_release nogil;
              g = SocialGraph::Load(path.string());
            }
            ThrowIfFileError(g.status());
            return std::move(*g);
          },
          py::arg("path"),
          "Reads a snapshot written by save() (invitegraph.SocialGraph.load "
          "documents it). GIL released.")
      .def(
          "to_bytes",
          [](const SocialGraph& g, bool events) {
            absl::StatusOr<std::string> b = absl::UnknownError("");
            {
              py::gil_scoped_release nogil;
              b = g.ToBytes(SnapshotOptions{.events = events});
            }
            return py::bytes(ValueOrThrow(std::move(b)));
          },
          py::kw_only(), py::arg("events") = true,
          "The snapshot as bytes (what pickling uses, with the kept events; "
          "events=False leaves them out, as save()).")
      .def_static(
          "from_bytes",
          [](py::bytes data) {
            const std::string_view view = data;
            absl::StatusOr<SocialGraph> g = absl::UnknownError("");
            {
              py::gil_scoped_release nogil;
              g = SocialGraph::FromBytes(view);
            }
            return ValueOrThrow(std::move(g));
          },
          py::arg("data"), "A graph from to_bytes() output (validated).")
      .def(py::pickle(
          // A pickle (and copy.deepcopy) is the whole graph, kept events
          // included: an unpickled graph trains as the original does.
          [](const SocialGraph& g) {
            absl::StatusOr<std::string> b = absl::UnknownError("");
            {
              py::gil_scoped_release nogil;
              b = g.ToBytes(SnapshotOptions{.events = true});
            }
            return py::make_tuple(py::bytes(ValueOrThrow(std::move(b))));
          },
          [](const py::tuple& t) {
            if (t.size() != 1) {
              Raise(ErrorClass::kSnapshot,
                    "SocialGraph pickle: expected one bytes field");
            }
            const std::string_view view = t[0].cast<py::bytes>();
            absl::StatusOr<SocialGraph> g = absl::UnknownError("");
            {
              py::gil_scoped_release nogil;
              g = SocialGraph::FromBytes(view);
            }
            return ValueOrThrow(std::move(g));
          }))
      .def("__repr__", [](const SocialGraph& g) {
        return "<SocialGraph users=" + std::to_string(g.num_nodes()) +
               " arcs=" + std::to_string(g.num_arcs()) +
               " as_of=" + std::to_string(g.as_of()) + ">";
      });
  // Every binding that takes a SocialGraph (here, Recommender, Audience,
  // detect_abuse, training sets) also takes the Python invitegraph.SocialGraph,
  // through the constructor above: the package hands its graphs to _core as
  // they are.
  py::implicitly_convertible<py::object, SocialGraph>();
}

}  // namespace invitegraph::py_bindings
