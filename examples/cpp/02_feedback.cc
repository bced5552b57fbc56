// Feedback loop: record what happened to sent invites, see the next
// recommendation change, and turn the outcome log into campaign history.
//
//   cmake -B build -DINVITEGRAPH_BUILD_EXAMPLES=ON && cmake --build build
//   ./build/examples/02_feedback
#include <cstdio>
#include <string>
#include <vector>

#include "invitegraph/graph_builder.h"
#include "invitegraph/history.h"
#include "invitegraph/outcomes.h"
#include "invitegraph/recommender.h"
#include "invitegraph/status.h"

namespace ig = invitegraph;

namespace {

absl::Status PrintTop(const ig::Recommender& rec, ig::UserId inviter,
                      const char* when) {
  INVITEGRAPH_ASSIGN_OR_RETURN(
      std::vector<ig::Suggestion> top,
      rec.Recommend(inviter, ig::Campaign{.item = 100}, /*k=*/3));
  std::printf("Top %zu invitees %s for user %lld:\n", top.size(), when,
              static_cast<long long>(inviter));
  for (const ig::Suggestion& s : top) {
    std::printf("  #%d user %lld  score %.3f  reasons:", s.rank,
                static_cast<long long>(s.candidate), s.score);
    for (const std::string& reason : s.reasons)
      std::printf(" %s", reason.c_str());
    std::printf("\n");
  }
  return absl::OkStatus();
}

absl::Status Run() {
  constexpr ig::Timestamp kNow = 1'700'000'000;  // unix seconds
  constexpr ig::Timestamp kDay = 86'400;

  // User 1 is friends with 2..5; 2 chats with 1 a lot, 3 and 4 bought item 100.
  const std::vector<ig::UserId> f_src = {1, 1, 1, 1}, f_dst = {2, 3, 4, 5};
  const std::vector<ig::UserId> src = {2, 2, 1}, dst = {1, 1, 2};
  const std::vector<ig::Channel> kind = {ig::Channel::kChat, ig::Channel::kChat,
                                         ig::Channel::kChat};
  const std::vector<ig::Timestamp> ts = {kNow - kDay, kNow - 2 * kDay, kNow};
  const std::vector<ig::UserId> buyer = {3, 4};
  const std::vector<ig::ItemId> item = {100, 100};
  const std::vector<ig::Timestamp> bought = {kNow - 3 * kDay, kNow - 9 * kDay};

  ig::GraphBuilder builder;
  INVITEGRAPH_RETURN_IF_ERROR(
      builder.AddFriendships({.src = f_src, .dst = f_dst}));
  INVITEGRAPH_RETURN_IF_ERROR(builder.AddInteractions(
      {.src = src, .dst = dst, .kind = kind, .ts = ts}));
  INVITEGRAPH_RETURN_IF_ERROR(
      builder.AddPurchases({.user = buyer, .item = item, .ts = bought}));
  INVITEGRAPH_ASSIGN_OR_RETURN(ig::SocialGraph graph, builder.Build());

  // Priors of the accept rate and the fatigue half-life are configurable.
  ig::RecommenderConfig config;
  config.scoring.feedback.fatigue_half_life_days = 7;
  INVITEGRAPH_ASSIGN_OR_RETURN(ig::Recommender rec,
                               ig::Recommender::Create(graph, config));
  INVITEGRAPH_RETURN_IF_ERROR(PrintTop(rec, 1, "before feedback"));

  // The outcome log: one "sent" row per invite, then its terminal outcome.
  // User 2 was invited three times this week and declined each time; user 4
  // accepted once.
  using O = ig::Outcome;
  const std::vector<ig::UserId> inviter = {1, 1, 1, 1, 1, 1, 1, 1};
  const std::vector<ig::UserId> invitee = {2, 2, 2, 2, 2, 2, 4, 4};
  const std::vector<ig::ItemId> what = {100, 100, 100, 100, 100, 100, 100, 100};
  const std::vector<ig::Timestamp> when = {kNow - 6 * kDay,
                                           kNow - 6 * kDay + 3600,
                                           kNow - 3 * kDay,
                                           kNow - 3 * kDay + 3600,
                                           kNow,
                                           kNow + 3600,
                                           kNow - 6 * kDay,
                                           kNow - 5 * kDay};
  const std::vector<O> outcome = {O::kSent,     O::kDeclined, O::kSent,
                                  O::kDeclined, O::kSent,     O::kDeclined,
                                  O::kSent,     O::kAccepted};
  const ig::OutcomeBatch log{.inviter = inviter,
                             .invitee = invitee,
                             .item = what,
                             .ts = when,
                             .outcome = outcome};
  INVITEGRAPH_ASSIGN_OR_RETURN(ig::OutcomeReport report,
                               rec.RecordOutcomes(log));
  std::printf("Recorded %lld outcomes (%lld for users outside the graph)\n",
              static_cast<long long>(report.applied),
              static_cast<long long>(report.unknown_invitees));
  for (ig::UserId u : {2, 4}) {
    const ig::RecipientFeedback f = rec.FeedbackFor(u);
    std::printf("  user %lld: accept rate %.3f, fatigue %.3f\n",
                static_cast<long long>(u), f.accept_rate, f.fatigue);
  }
  // The very next request sees the outcomes.
  INVITEGRAPH_RETURN_IF_ERROR(PrintTop(rec, 1, "after feedback"));

  // The same log as campaign history, e.g. for GraphBuilder::AddCampaigns.
  INVITEGRAPH_ASSIGN_OR_RETURN(ig::CampaignHistory history,
                               ig::HistoryFromOutcomes(log));
  for (int64_t r = 0; r < history.size(); ++r) {
    std::printf("Campaign: user %lld, item %lld, %lld invited, %lld joined\n",
                static_cast<long long>(history.inviter[r]),
                static_cast<long long>(history.item[r]),
                static_cast<long long>(history.invited_offsets[r + 1] -
                                       history.invited_offsets[r]),
                static_cast<long long>(history.joined_offsets[r + 1] -
                                       history.joined_offsets[r]));
  }
  return absl::OkStatus();
}

}  // namespace

int main() {
  const absl::Status status = Run();
  if (!status.ok()) {
    std::fprintf(stderr, "feedback example failed: %s\n",
                 status.ToString().c_str());
    return 1;
  }
  return 0;
}
