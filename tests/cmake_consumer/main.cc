// Builds a triangle plus a tail and checks the recommender suggests the friend
// of a friend: proves the installed headers, libraries and CMake package work
// together.
#include <cstdio>
#include <vector>

#include "invitegraph/graph_builder.h"
#include "invitegraph/recommender.h"

int main() {
  std::vector<int64_t> src = {1, 2, 3}, dst = {2, 3, 4};
  invitegraph::GraphBuilder b;
  if (!b.AddFriendships({src, dst}).ok()) return 1;
  auto g = b.Build();
  if (!g.ok()) return 1;
  auto rec = invitegraph::Recommender::Create(*g);
  if (!rec.ok()) return 1;
  auto s = rec->Recommend(1, invitegraph::Campaign{}, 5);
  if (!s.ok() || s->size() != 2) return 1;
  std::printf("consumer ok: %zu suggestions for user 1\n", s->size());
  return 0;
}
