// Quickstart: build a tiny social graph, then ask whom user 1 should invite to
// a team-up for item 100.
//
//   cmake -B build -DINVITEGRAPH_BUILD_EXAMPLES=ON && cmake --build build
//   ./build/examples/01_quickstart
#include <cstdio>
#include <string>
#include <vector>

#include "invitegraph/graph_builder.h"
#include "invitegraph/recommender.h"
#include "invitegraph/status.h"

namespace ig = invitegraph;

// Library calls return absl::Status or absl::StatusOr<T>. The INVITEGRAPH_*
// macros return early on an error, so Run() reads as straight-line code.
absl::Status Run() {
  constexpr ig::Timestamp kNow = 1'700'000'000;  // unix seconds
  constexpr ig::Timestamp kDay = 86'400;

  // Event tables are plain columns; the builder only borrows them.
  // Declared friendships (undirected): 1-2, 1-3, 1-6, 2-4, 3-4, 4-5.
  const std::vector<ig::UserId> f_src = {1, 1, 1, 2, 3, 4};
  const std::vector<ig::UserId> f_dst = {2, 3, 6, 4, 4, 5};
  // Directed interactions: who chatted with, liked or visited whom, and when.
  const std::vector<ig::UserId> src = {1, 1, 2, 1, 6};
  const std::vector<ig::UserId> dst = {2, 2, 1, 3, 1};
  const std::vector<ig::Channel> kind = {
      ig::Channel::kChat, ig::Channel::kChat, ig::Channel::kLike,
      ig::Channel::kComment, ig::Channel::kVisit};
  const std::vector<ig::Timestamp> ts = {kNow - 1 * kDay, kNow - 3 * kDay,
                                         kNow - 2 * kDay, kNow - 20 * kDay,
                                         kNow - 90 * kDay};
  // Purchases: users 3 and 4 bought item 100 (category 7), 2 bought item 200.
  const std::vector<ig::UserId> buyer = {3, 4, 2};
  const std::vector<ig::ItemId> item = {100, 100, 200};
  const std::vector<ig::CategoryId> category = {7, 7, 8};
  const std::vector<ig::Timestamp> bought = {kNow - 5 * kDay, kNow, kNow};

  // 1. Stage the tables. Each call checks its whole batch before keeping any.
  ig::GraphConfig config;
  config.half_life_days = 30;  // an event's weight halves every 30 days
  ig::GraphBuilder builder(config);
  INVITEGRAPH_RETURN_IF_ERROR(
      builder.AddFriendships({.src = f_src, .dst = f_dst}));
  INVITEGRAPH_RETURN_IF_ERROR(builder.AddInteractions(
      {.src = src, .dst = dst, .kind = kind, .ts = ts}));
  INVITEGRAPH_RETURN_IF_ERROR(
      builder.AddPurchases({.user = buyer,
                            .item = item,
                            .ts = bought,
                            .category = category,
                            .amount = {}}));  // amounts are optional

  // 2. Build the immutable graph. Events decay with their age at `as_of`,
  //    which defaults to the latest timestamp staged (kNow here).
  INVITEGRAPH_ASSIGN_OR_RETURN(ig::SocialGraph graph, builder.Build());
  std::printf("Graph: %lld users, %lld directed arcs\n",
              static_cast<long long>(graph.num_nodes()),
              static_cast<long long>(graph.num_arcs()));

  // 3. A recommender with the default "linear" ranker: the top 3 invitees.
  INVITEGRAPH_ASSIGN_OR_RETURN(ig::Recommender rec,
                               ig::Recommender::Create(graph));
  const ig::UserId inviter = 1;
  INVITEGRAPH_ASSIGN_OR_RETURN(
      std::vector<ig::Suggestion> top,
      rec.Recommend(inviter, ig::Campaign{.item = 100}, /*k=*/3));

  std::printf("Top %zu invitees for user %lld (item 100):\n", top.size(),
              static_cast<long long>(inviter));
  for (const ig::Suggestion& s : top) {
    std::printf("  #%d user %lld  score %.3f  reasons:", s.rank,
                static_cast<long long>(s.candidate), s.score);
    for (const std::string& reason : s.reasons) {
      std::printf(" %s", reason.c_str());
    }
    std::printf("\n");
  }
  return absl::OkStatus();
}

int main() {
  const absl::Status status = Run();
  if (!status.ok()) {
    std::fprintf(stderr, "quickstart failed: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
