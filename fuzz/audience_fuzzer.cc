// libFuzzer target: Audience::Compile on arbitrary expressions.
//
// The graph is fixed (seven users with a category, a tags and a number
// column, some values missing). An expression either fails with
// kInvalidArgument and a message naming the position, or compiles; a compiled
// audience must then evaluate for every (inviter, candidate) pair, agree with
// its negation ("not (...)") on every pair, and filter a Recommend without
// returning anyone outside it.
//
//   build-asan/fuzz/audience_fuzzer -max_total_time=600 corpus/
//   fuzz/corpus/audience
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "invitegraph/audience.h"
#include "invitegraph/graph_builder.h"
#include "invitegraph/recommender.h"

namespace invitegraph {
namespace {

SocialGraph MakeGraph() {
  const std::vector<UserId> src = {1, 1, 1, 2, 2, 3}, dst = {2, 3, 4, 5, 6, 7};
  GraphBuilder b;
  FUZZ_CHECK(b.AddFriendships({.src = src, .dst = dst}).ok());
  const std::vector<UserId> users = {1, 2, 3, 4, 5, 6, 7};
  const std::vector<std::string> regions = {"north", "south", ""};
  const std::vector<int32_t> region = {0, 1, -1, 0, 2, 1, 0};
  const std::vector<std::string> tag_names = {"skincare", "baby", "x y"};
  const std::vector<int64_t> offsets = {0, 1, 3, 3, 4, 5, 6, 6};
  const std::vector<int32_t> tags = {0, 0, 1, 2, 0, 1};
  const std::vector<double> spend = {1, 50, NAN, -3, 1e300, 0, 7};
  const std::vector<ProfileColumn> cols = {
      {.name = "region",
       .type = AttributeType::kCategory,
       .codes = region,
       .dictionary = regions},
      {.name = "tags",
       .type = AttributeType::kTags,
       .codes = tags,
       .offsets = offsets,
       .dictionary = tag_names},
      {.name = "spend", .type = AttributeType::kNumber, .numbers = spend},
  };
  FUZZ_CHECK(b.AddProfiles({.user = users, .columns = cols}).ok());
  auto g = b.Build();
  FUZZ_CHECK(g.ok());
  return *g;
}

}  // namespace
}  // namespace invitegraph

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace invitegraph;
  static const SocialGraph* const graph = new SocialGraph(MakeGraph());
  static const Recommender* const rec =
      new Recommender(*Recommender::Create(*graph));
  const std::string expr(reinterpret_cast<const char*>(data), size);
  auto a = Audience::Compile(expr, *graph);
  if (!a.ok()) {
    FUZZ_CHECK(a.status().code() == absl::StatusCode::kInvalidArgument);
    FUZZ_CHECK(a.status().message().find("audience: ") == 0);
    return 0;
  }
  auto negated = Audience::Compile("not (" + expr + ")", *graph);
  FUZZ_CHECK(negated.ok());
  for (NodeId u = 0; u < graph->num_nodes(); ++u) {
    for (NodeId v = 0; v < graph->num_nodes(); ++v) {
      FUZZ_CHECK(a->Matches(u, v) != negated->Matches(u, v));
    }
  }
  for (UserId inviter : {1, 2, 3}) {
    auto s = rec->Recommend(inviter, Campaign{.audience = *a}, 10);
    FUZZ_CHECK(s.ok());
    const NodeId u = *graph->FindNode(inviter);
    for (const Suggestion& x : *s) {
      FUZZ_CHECK(a->Matches(u, *graph->FindNode(x.candidate)));
    }
  }
  return 0;
}
