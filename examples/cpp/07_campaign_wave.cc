// Campaign rules that need the whole picture: diversity across communities,
// urgency as the deadline nears, the probability that a team fills
// (RecommendList), and one campaign wave across many inviters with a
// per-recipient exposure limit (RecommendWave).
//
//   cmake -B build -DINVITEGRAPH_BUILD_EXAMPLES=ON && cmake --build build
//   ./build/examples/07_campaign_wave
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "invitegraph/fit.h"
#include "invitegraph/graph_builder.h"
#include "invitegraph/recommender.h"
#include "invitegraph/status.h"
#include "invitegraph/synth.h"
#include "invitegraph/training.h"

namespace ig = invitegraph;

absl::Status Run() {
  // 1. A synthetic shop with a campaign history, and a logistic ranker fitted
  //    on it: its scores are calibrated join probabilities.
  INVITEGRAPH_ASSIGN_OR_RETURN(
      ig::synth::World w,
      ig::synth::Generate(
          {.n_users = 3000, .seed = 4, .campaigns_per_user = 0.2}));
  ig::GraphBuilder builder;
  INVITEGRAPH_RETURN_IF_ERROR(builder.AddFriendships(w.friendships()));
  INVITEGRAPH_RETURN_IF_ERROR(builder.AddInteractions(w.interactions()));
  INVITEGRAPH_RETURN_IF_ERROR(builder.AddPurchases(w.purchases()));
  const ig::CampaignBatch history = w.campaigns();
  INVITEGRAPH_RETURN_IF_ERROR(builder.AddCampaigns(history));
  INVITEGRAPH_ASSIGN_OR_RETURN(ig::SocialGraph graph,
                               builder.Build({.keep_events = true}));
  INVITEGRAPH_ASSIGN_OR_RETURN(
      ig::TrainingSet rows,
      ig::BuildTrainingSet(graph, history, {.as_of_step_days = 30}));
  ig::FitOptions fit;
  fit.model = "logistic";
  INVITEGRAPH_ASSIGN_OR_RETURN(std::unique_ptr<ig::Ranker> ranker,
                               ig::FitRanker(rows, fit));
  std::shared_ptr<const ig::Ranker> shared = std::move(ranker);

  ig::RecommenderConfig config;
  config.policy.max_invites_per_recipient = {{86400, 3}};
  config.policy.diversity = 0.5;
  config.policy.fatigue_penalty = 0.5;
  INVITEGRAPH_ASSIGN_OR_RETURN(ig::Recommender rec,
                               ig::Recommender::Create(graph, config, shared));

  // 2. A team of 5 with one member in, ending in 6 hours: urgency 0.75 (the
  //    default window is one day) widens the 2-hop pool, relaxes diversity
  //    and raises k from 2 towards the 3 the team still needs.
  const size_t last = w.campaign_inviter.size() - 1;
  const ig::UserId inviter = w.campaign_inviter[last];
  const ig::ItemId item = w.campaign_item[last];
  ig::Campaign team{.item = item, .team_size = 5};
  team.ends_at = graph.as_of() + 6 * 3600;
  if (w.joined_offsets[last + 1] > w.joined_offsets[last])
    team.members = {w.joined[w.joined_offsets[last]]};
  INVITEGRAPH_ASSIGN_OR_RETURN(ig::InviteList list,
                               rec.RecommendList(inviter, team, 2));
  std::printf(
      "User %lld, item %lld: urgency %.2f, k served %d, team still needs %d\n",
      static_cast<long long>(inviter), static_cast<long long>(item),
      list.urgency, list.k, list.still_needed);
  for (const ig::Suggestion& s : list.suggestions) {
    std::printf(
        "  #%d user %-5lld community %u  P(join) %.3f  reasons:", s.rank,
        static_cast<long long>(s.candidate),
        graph.community(*graph.FindNode(s.candidate)), s.join_probability);
    for (const std::string& r : s.reasons) std::printf(" %s", r.c_str());
    std::printf("\n");
  }
  std::printf("P(team fills if all are invited) = %.3f, expected joins %.2f\n",
              list.fill_probability, list.expected_joins);

  // 3. One wave: 400 inviters push the same item, each recipient in at most
  //    two lists, expected joins maximised under that limit.
  std::vector<ig::UserId> inviters;
  const auto users = graph.user_ids();
  for (size_t i = 0; i < users.size() && inviters.size() < 400; i += 7)
    inviters.push_back(users[i]);
  const std::vector<ig::ItemId> items(inviters.size(), item);
  INVITEGRAPH_ASSIGN_OR_RETURN(
      ig::Wave wave,
      rec.RecommendWave(inviters, items, 5, {.recipient_capacity = 2}));
  const ig::WaveReport& r = wave.report;
  std::printf("Wave of %lld inviters (%s assignment):\n",
              static_cast<long long>(r.requests), r.exact ? "exact" : "greedy");
  std::printf(
      "  naive top-5: expected joins %.1f, max lists per recipient %lld\n",
      r.naive_expected_joins,
      static_cast<long long>(r.naive_max_recipient_load));
  std::printf(
      "  wave:        expected joins %.1f, max lists per recipient %lld\n",
      r.expected_joins, static_cast<long long>(r.max_recipient_load));
  return absl::OkStatus();
}

int main() {
  const absl::Status status = Run();
  if (!status.ok()) {
    std::fprintf(stderr, "07_campaign_wave failed: %s\n",
                 status.ToString().c_str());
    return 1;
  }
  return 0;
}
