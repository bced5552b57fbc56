// Abuse resistance: score a graph for fake-assist rings and lockstep helpers
// at build time, read the evidence, and keep suspects out of invite lists.
//
//   cmake -B build -DINVITEGRAPH_BUILD_EXAMPLES=ON && cmake --build build
//   ./build/examples/10_abuse
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "invitegraph/abuse.h"
#include "invitegraph/graph_builder.h"
#include "invitegraph/recommender.h"
#include "invitegraph/status.h"
#include "invitegraph/synth.h"

namespace ig = invitegraph;

namespace {

int CountFlagged(const ig::SocialGraph& g,
                 const std::vector<ig::Suggestion>& list) {
  int n = 0;
  for (const ig::Suggestion& s : list)
    n += (g.abuse_evidence(*g.FindNode(s.candidate)) & ig::kFlagged) != 0;
  return n;
}

absl::Status Run() {
  // 1 % ring members and 1 % lockstep clickers, with the truth.
  ig::synth::Options o;
  o.n_users = 20'000;
  o.seed = 5;
  o.abuse.ring_prevalence = 0.01;
  o.abuse.lockstep_prevalence = 0.01;
  INVITEGRAPH_ASSIGN_OR_RETURN(ig::synth::World w, ig::synth::Generate(o));

  // Score at build time: the builder has the assist events and their times.
  ig::GraphBuilder b;
  INVITEGRAPH_RETURN_IF_ERROR(b.AddFriendships(w.friendships()));
  INVITEGRAPH_RETURN_IF_ERROR(b.AddInteractions(w.interactions()));
  INVITEGRAPH_RETURN_IF_ERROR(b.AddPurchases(w.purchases()));
  ig::BuildOptions options;
  options.communities = false;
  options.abuse = ig::AbuseOptions{};
  INVITEGRAPH_ASSIGN_OR_RETURN(ig::SocialGraph g, b.Build(options));

  // The full report (rings, groups, arcs) comes from DetectAbuse.
  const ig::InteractionBatch events = w.interactions();
  INVITEGRAPH_ASSIGN_OR_RETURN(ig::AbuseReport r,
                               ig::DetectAbuse(g, {}, &events));
  std::printf("flagged %lld of %lld users: %lld rings, %lld lockstep groups\n",
              static_cast<long long>(r.stats.flagged),
              static_cast<long long>(r.stats.users),
              static_cast<long long>(r.stats.rings),
              static_cast<long long>(r.stats.lockstep_groups));
  int64_t hits = 0, honest_flagged = 0;
  for (ig::NodeId n = 0; n < g.num_nodes(); ++n) {
    const bool flagged = (r.evidence[n] & ig::kFlagged) != 0;
    const bool planted = w.user_abuse[g.user_id(n)] != 0;
    hits += flagged && planted;
    honest_flagged += flagged && !planted;
  }
  std::printf("planted among flagged: %lld, honest flagged: %lld\n",
              static_cast<long long>(hits),
              static_cast<long long>(honest_flagged));
  for (ig::NodeId n = 0; n < g.num_nodes(); ++n) {
    if (r.ring[n] < 0 || !(r.evidence[n] & ig::kFlagged)) continue;
    std::printf(
        "user %lld: suspicion %.3f, ring of %d (density %.2f), evidence:",
        static_cast<long long>(r.user[n]), r.suspicion[n],
        r.ring_size[r.ring[n]], r.ring_density[r.ring[n]]);
    for (std::string_view e : ig::AbuseEvidenceNames(r.evidence[n]))
      std::printf(" %.*s", static_cast<int>(e.size()), e.data());
    std::printf("\n");
    break;
  }

  // The ring's beneficiary, with and without the policy step.
  const ig::UserId beneficiary = w.ring_beneficiary[0];
  options.abuse.reset();
  INVITEGRAPH_ASSIGN_OR_RETURN(ig::SocialGraph plain, b.Build(options));
  INVITEGRAPH_ASSIGN_OR_RETURN(ig::Recommender open,
                               ig::Recommender::Create(plain));
  ig::RecommenderConfig guarded_config;
  guarded_config.policy.exclude_suspicion_above = 0.5;
  guarded_config.policy.suspicious_tie_discount = 1.0;
  INVITEGRAPH_ASSIGN_OR_RETURN(ig::Recommender guarded,
                               ig::Recommender::Create(g, guarded_config));
  INVITEGRAPH_ASSIGN_OR_RETURN(auto a, open.Recommend(beneficiary, {}, 10));
  INVITEGRAPH_ASSIGN_OR_RETURN(auto c, guarded.Recommend(beneficiary, {}, 10));
  std::printf(
      "flagged accounts in user %lld's top 10: %d without scores, "
      "%d excluding suspicion > 0.5\n",
      static_cast<long long>(beneficiary), CountFlagged(g, a),
      CountFlagged(g, c));
  return absl::OkStatus();
}

}  // namespace

int main() {
  if (absl::Status s = Run(); !s.ok()) {
    std::fprintf(stderr, "example failed: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
