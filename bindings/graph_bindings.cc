// SocialGraph: the core graph invitegraph.SocialGraph (_graph.py) wraps; its
// accessors, column views, updates and snapshots. GraphBuilder and the module
// functions on channels, times and arc partials: builder_bindings.cc; options:
// options_bindings.cc.
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
                "purchases_matched"_a = s.purchases_matched,
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
      .def_property_readonly(
          "mapped", &SocialGraph::mapped,
          "True if the arcs are served from a mapped snapshot file "
          "(load(path, mmap=True)).")
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
          [](const std::filesystem::path& path, bool mmap, bool verify,
             py::handle threads_arg) {
            const LoadOptions options{
                .mmap = mmap,
                .verify = verify,
                .num_threads = static_cast<int>(
                    ExactInt(threads_arg, "num_threads", 0, kInt32Max))};
            absl::StatusOr<SocialGraph> g = absl::UnknownError("");
            {
              py::gil_scoped_release nogil;
              g = SocialGraph::Load(path.string(), options);
            }
            ThrowIfFileError(g.status());
            return std::move(*g);
          },
          py::arg("path"), py::kw_only(), py::arg("mmap") = false,
          py::arg("verify") = false, py::arg("num_threads") = 0,
          "Reads a snapshot written by save(), or with mmap=True maps its "
          "arcs (invitegraph.SocialGraph.load documents it). GIL released.")
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
