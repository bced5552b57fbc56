// Recipient protection that survives a restart: caps and fatigue kept in a
// journal (RecommenderConfig::state = "journal:DIR"), so a service that
// crashes or is redeployed does not invite the same people again.
//
//   cmake -B build -DINVITEGRAPH_BUILD_EXAMPLES=ON && cmake --build build
//   ./build/examples/15_durable_state
//
// With several replicas, the same code with state = "redis://HOST:PORT"
// shares one cap across all of them (docs/state.md).
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "invitegraph/graph_builder.h"
#include "invitegraph/recommender.h"
#include "invitegraph/status.h"

namespace ig = invitegraph;

namespace {

constexpr ig::Timestamp kNow = 1'700'000'000;  // unix seconds
constexpr ig::Timestamp kDay = 86'400;

// User 1 and five friends.
absl::StatusOr<ig::SocialGraph> Build() {
  const std::vector<ig::UserId> src = {1, 1, 1, 1, 1}, dst = {2, 3, 4, 5, 6};
  ig::GraphBuilder b;
  INVITEGRAPH_RETURN_IF_ERROR(b.AddFriendships({.src = src, .dst = dst}));
  ig::BuildOptions o;
  o.as_of = kNow;
  return b.Build(o);
}

// A recommender on `graph` whose state lives in the journal `dir`: at most
// two invites per recipient a week.
absl::StatusOr<ig::Recommender> Open(const ig::SocialGraph& graph,
                                     const std::string& dir) {
  ig::RecommenderConfig config;
  config.policy.max_invites_per_recipient = {
      {.window_seconds = 7 * kDay, .max = 2}};
  config.time_limits.now = kNow + kDay;  // a fixed "now" for a repeatable run
  config.state = "journal:" + dir;
  return ig::Recommender::Create(graph, config);
}

std::string Grants(const std::vector<bool>& granted) {
  std::string out;
  for (bool g : granted) out += g ? " yes" : " no";
  return out;
}

absl::Status Run() {
  const std::string dir =
      (std::filesystem::temp_directory_path() / "invitegraph_example_state")
          .string();
  std::filesystem::remove_all(dir);
  INVITEGRAPH_ASSIGN_OR_RETURN(const ig::SocialGraph graph, Build());
  {
    INVITEGRAPH_ASSIGN_OR_RETURN(const ig::Recommender rec, Open(graph, dir));
    // Two campaigns invite user 2; each grant is on disk when this returns.
    INVITEGRAPH_ASSIGN_OR_RETURN(std::vector<bool> g,
                                 rec.ReserveInvites(1, {2, 3}, 42, kNow));
    std::printf("first campaign, invite 2 and 3:%s\n", Grants(g).c_str());
    INVITEGRAPH_ASSIGN_OR_RETURN(g, rec.ReserveInvites(1, {2}, 43, kNow + 60));
    std::printf("second campaign, invite 2:%s\n", Grants(g).c_str());
  }  // the process "crashes": everything in memory is gone

  INVITEGRAPH_ASSIGN_OR_RETURN(const ig::Recommender rec, Open(graph, dir));
  std::printf(
      "after the restart: %lld events replayed, 2 has %lld sends "
      "this week\n",
      static_cast<long long>(rec.StateInfo().replayed_events),
      static_cast<long long>(rec.RecentSends(2, 7 * kDay)));
  INVITEGRAPH_ASSIGN_OR_RETURN(std::vector<bool> g,
                               rec.ReserveInvites(1, {2, 4}, 44, kNow + 120));
  std::printf("third campaign, invite 2 and 4:%s\n", Grants(g).c_str());
  std::filesystem::remove_all(dir);
  return absl::OkStatus();
}

}  // namespace

int main() {
  const absl::Status s = Run();
  if (!s.ok()) {
    std::fprintf(stderr, "example failed: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
