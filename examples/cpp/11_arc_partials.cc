// Edges on many machines: each worker reduces the events it holds to exact
// partial aggregates, any worker merges them, and the merged arcs equal a
// one-machine build's, whatever the split. invitegraph.spark.edges runs this
// in Spark executors; here three "workers" are three GraphBuilders.
//
//   cmake -B build -DINVITEGRAPH_BUILD_EXAMPLES=ON && cmake --build build
//   ./build/examples/11_arc_partials
#include <cstdio>
#include <map>
#include <utility>
#include <vector>

#include "invitegraph/arc_partials.h"
#include "invitegraph/graph_builder.h"
#include "invitegraph/status.h"
#include "invitegraph/synth.h"

namespace ig = invitegraph;

namespace {

absl::Status Run() {
  INVITEGRAPH_ASSIGN_OR_RETURN(
      ig::synth::World w, ig::synth::Generate({.n_users = 5'000, .seed = 3}));
  const ig::InteractionBatch all = w.interactions();

  // One machine: the reference.
  ig::GraphBuilder whole;
  INVITEGRAPH_RETURN_IF_ERROR(whole.AddInteractions(all));
  INVITEGRAPH_ASSIGN_OR_RETURN(ig::SocialGraph g, whole.Build());

  // Three workers, each with every third row, all decayed to the same as_of.
  constexpr int kWorkers = 3;
  std::map<std::pair<ig::UserId, ig::UserId>, ig::ArcPartial> merged;
  size_t partial_rows = 0;
  for (int k = 0; k < kWorkers; ++k) {
    std::vector<ig::UserId> src, dst;
    std::vector<ig::Channel> kind;
    std::vector<ig::Timestamp> ts;
    for (size_t i = k; i < all.src.size(); i += kWorkers) {
      src.push_back(all.src[i]);
      dst.push_back(all.dst[i]);
      kind.push_back(all.kind[i]);
      ts.push_back(all.ts[i]);
    }
    ig::GraphBuilder part;
    INVITEGRAPH_RETURN_IF_ERROR(
        part.AddInteractions({.src = src, .dst = dst, .kind = kind, .ts = ts}));
    INVITEGRAPH_ASSIGN_OR_RETURN(ig::ArcPartialTable t,
                                 part.PartialArcs(g.as_of()));
    partial_rows += t.src.size();
    // The shuffle: rows of one arc meet, and merge by integer addition.
    for (size_t i = 0; i < t.src.size(); ++i) {
      merged[{t.src[i], t.dst[i]}].Merge(t.partial[i]);
    }
  }

  int64_t equal = 0;
  for (const auto& [key, partial] : merged) {
    INVITEGRAPH_ASSIGN_OR_RETURN(ig::ArcInfo arc,
                                 ig::FinishArc(partial, g.config()));
    const auto want =
        g.FindArc(*g.FindNode(key.first), *g.FindNode(key.second));
    equal +=
        want && want->tie_strength == arc.tie_strength &&
        want->channel_weight == arc.channel_weight &&
        want->days_since_last_interaction == arc.days_since_last_interaction;
  }
  std::printf("%zu interactions on %d workers: %zu partial rows, %zu arcs\n",
              all.src.size(), kWorkers, partial_rows, merged.size());
  if (equal == g.num_arcs() &&
      static_cast<int64_t>(merged.size()) == g.num_arcs()) {
    std::printf("arcs equal to the one-machine build: all %lld\n",
                static_cast<long long>(equal));
  } else {
    std::printf("arcs equal to the one-machine build: only %lld of %lld\n",
                static_cast<long long>(equal),
                static_cast<long long>(g.num_arcs()));
  }
  return absl::OkStatus();
}

}  // namespace

int main() {
  const absl::Status s = Run();
  if (!s.ok()) {
    std::fprintf(stderr, "error: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
