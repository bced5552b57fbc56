// Policies: filters before the top-k cut, per-recipient caps reserved
// atomically, boosts and a fatigue penalty with their reason codes.
//
//   cmake -B build -DINVITEGRAPH_BUILD_EXAMPLES=ON && cmake --build build
//   ./build/examples/06_policy
#include <cstdio>
#include <string>
#include <vector>

#include "invitegraph/graph_builder.h"
#include "invitegraph/policy.h"
#include "invitegraph/recommender.h"
#include "invitegraph/status.h"

namespace ig = invitegraph;

namespace {

absl::Status PrintTop(const ig::Recommender& rec, const ig::Campaign& campaign,
                      const char* when) {
  INVITEGRAPH_ASSIGN_OR_RETURN(std::vector<ig::Suggestion> top,
                               rec.Recommend(1, campaign, /*k=*/4));
  std::printf("Top %zu invitees %s for user 1:\n", top.size(), when);
  for (const ig::Suggestion& s : top) {
    std::printf("  #%d user %lld  score %.3f (ranker %.3f)  reasons:", s.rank,
                static_cast<long long>(s.candidate), s.score, s.ranker_score);
    for (const std::string& reason : s.reasons)
      std::printf(" %s", reason.c_str());
    std::printf("\n");
  }
  return absl::OkStatus();
}

absl::Status Run() {
  constexpr ig::Timestamp kNow = 1'700'000'000;  // unix seconds
  constexpr ig::Timestamp kDay = 86'400;
  // User 1 is friends with 2..9; the higher the id, the more they chat with 1.
  std::vector<ig::UserId> src, dst, isrc, idst;
  std::vector<ig::Channel> kind;
  std::vector<ig::Timestamp> ts;
  for (ig::UserId u = 2; u <= 9; ++u) {
    src.push_back(1);
    dst.push_back(u);
    for (ig::UserId j = 0; j < u; ++j) {
      isrc.push_back(u);
      idst.push_back(1);
      kind.push_back(ig::Channel::kChat);
      ts.push_back(kNow - kDay);
    }
  }
  ig::GraphBuilder builder;
  INVITEGRAPH_RETURN_IF_ERROR(builder.AddFriendships({.src = src, .dst = dst}));
  INVITEGRAPH_RETURN_IF_ERROR(builder.AddInteractions(
      {.src = isrc, .dst = idst, .kind = kind, .ts = ts}));
  ig::BuildOptions options;
  options.as_of = kNow;
  INVITEGRAPH_ASSIGN_OR_RETURN(ig::SocialGraph graph, builder.Build(options));

  ig::RecommenderConfig config;
  config.policy.exclude = {9};             // opted out
  config.policy.blocked_pairs = {{1, 8}};  // 1 never sees 8
  config.policy.max_invites_per_recipient = {{kDay, 2}, {7 * kDay, 5}};
  config.policy.fatigue_penalty = 0.5;
  config.policy.active_user_boost = 0.1;
  INVITEGRAPH_ASSIGN_OR_RETURN(ig::Recommender rec,
                               ig::Recommender::Create(graph, config));

  ig::Campaign team;
  team.members = {7};  // already in the team
  INVITEGRAPH_RETURN_IF_ERROR(PrintTop(rec, team, "with the policy"));

  // Reserve before sending: caps are checked and the sends recorded at once.
  const std::vector<ig::UserId> to_send = {6, 6, 6, 5};
  INVITEGRAPH_ASSIGN_OR_RETURN(std::vector<bool> granted,
                               rec.ReserveInvites(1, to_send, 42, kNow));
  std::printf("Reserved:");
  for (size_t i = 0; i < to_send.size(); ++i) {
    std::printf(" %lld:%s", static_cast<long long>(to_send[i]),
                granted[i] ? "yes" : "no");
  }
  std::printf("\n");
  return PrintTop(rec, team, "after the sends");
}

}  // namespace

int main() {
  const absl::Status status = Run();
  if (!status.ok()) {
    std::fprintf(stderr, "policy example failed: %s\n",
                 status.ToString().c_str());
    return 1;
  }
  return 0;
}
