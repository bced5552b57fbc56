// Ship a graph as a snapshot, then swap a serving recommender to a newer one
// without stopping it: the nightly-build workflow.
//
//   cmake -B build -DINVITEGRAPH_BUILD_EXAMPLES=ON && cmake --build build
//   ./build/examples/09_snapshot_swap
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "invitegraph/graph_builder.h"
#include "invitegraph/recommender.h"
#include "invitegraph/status.h"

namespace ig = invitegraph;

namespace {

constexpr ig::Timestamp kNow = 1'700'000'000;  // unix seconds
constexpr ig::Timestamp kDay = 86'400;

// Friends 1-2, 1-3, 2-4, 3-4, 4-5 and `chats` chat events 1 -> 5 a day apart.
absl::StatusOr<ig::SocialGraph> Build(int chats) {
  const std::vector<ig::UserId> f_src = {1, 1, 2, 3, 4},
                                f_dst = {2, 3, 4, 4, 5};
  std::vector<ig::UserId> src, dst;
  std::vector<ig::Channel> kind;
  std::vector<ig::Timestamp> ts;
  for (int i = 0; i < chats; ++i) {
    src.push_back(1);
    dst.push_back(5);
    kind.push_back(ig::Channel::kChat);
    ts.push_back(kNow - i * kDay);
  }
  ig::GraphBuilder b;
  INVITEGRAPH_RETURN_IF_ERROR(b.AddFriendships({.src = f_src, .dst = f_dst}));
  if (chats > 0) {
    INVITEGRAPH_RETURN_IF_ERROR(
        b.AddInteractions({.src = src, .dst = dst, .kind = kind, .ts = ts}));
  }
  ig::BuildOptions o;
  o.as_of = kNow;
  return b.Build(o);
}

void Print(const ig::Recommender& rec, const char* when) {
  auto top = rec.Recommend(1, ig::Campaign{.item = 7}, 3);
  std::printf("%s:", when);
  if (top.ok()) {
    for (const ig::Suggestion& s : *top) {
      std::printf(" %lld", static_cast<long long>(s.candidate));
    }
  }
  std::printf("\n");
}

absl::Status Run() {
  const std::string dir =
      (std::filesystem::temp_directory_path() / "invitegraph_example_09")
          .string();
  std::filesystem::create_directories(dir);

  // Yesterday's build, shipped as a snapshot and loaded by the server.
  INVITEGRAPH_ASSIGN_OR_RETURN(ig::SocialGraph old_graph, Build(0));
  INVITEGRAPH_ASSIGN_OR_RETURN(int64_t bytes,
                               old_graph.Save(dir + "/graph.igsnap"));
  std::printf("saved %lld bytes\n", static_cast<long long>(bytes));
  INVITEGRAPH_ASSIGN_OR_RETURN(ig::SocialGraph served,
                               ig::SocialGraph::Load(dir + "/graph.igsnap"));
  INVITEGRAPH_ASSIGN_OR_RETURN(ig::Recommender rec,
                               ig::Recommender::Create(served));
  Print(rec, "before the swap");

  // Serving threads keep going while the new graph arrives.
  std::atomic<bool> stop{false};
  std::atomic<long> failed{0}, served_requests{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 2; ++t) {
    workers.emplace_back([&] {
      while (!stop) {
        if (!rec.Recommend(1, ig::Campaign{.item = 7}, 3).ok()) ++failed;
        ++served_requests;
      }
    });
  }
  // Today's build: user 1 now chats with 5 every day.
  INVITEGRAPH_ASSIGN_OR_RETURN(ig::SocialGraph new_graph, Build(5));
  INVITEGRAPH_ASSIGN_OR_RETURN(bytes, new_graph.Save(dir + "/graph.igsnap"));
  INVITEGRAPH_ASSIGN_OR_RETURN(ig::SocialGraph fresh,
                               ig::SocialGraph::Load(dir + "/graph.igsnap"));
  INVITEGRAPH_RETURN_IF_ERROR(rec.SwapGraph(fresh));
  while (served_requests < 1000) std::this_thread::yield();
  stop = true;
  for (std::thread& w : workers) w.join();
  std::printf("served %ld requests during the swap, %ld failed\n",
              served_requests.load(), failed.load());
  Print(rec, "after the swap");
  std::filesystem::remove_all(dir);
  return failed == 0 ? absl::OkStatus()
                     : absl::InternalError("a request failed");
}

}  // namespace

int main() {
  const absl::Status s = Run();
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
