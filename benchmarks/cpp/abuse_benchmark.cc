// Abuse detection quality and cost on a synthetic world with planted rings
// and lockstep clickers (synth::Abuse), and what the policy does to invite
// lists.
//
//   abuse_benchmark [n_users=100000] [prevalence=0.01] [seed=42] [threads=0]
//                   [ring_purchase_share=0] [ring_assists_per_pair=3]
//
// The last two make rings harder to tell: members who buy something, and
// sparser assists (Poisson mean, at least one per direction and pair).
// Plants `prevalence` of the users as ring members and as many as lockstep
// clickers, builds the graph (no communities), runs DetectAbuse with the
// world's interactions, and reports precision / recall per planted kind, the
// false-positive rate among honest users and the detector's time. Then, for
// up to 2,000 honest users with a planted contact, the share of top-10 slots
// planted accounts take with the default policy and with
// exclude_suspicion_above = 0.5.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "invitegraph/abuse.h"
#include "invitegraph/graph_builder.h"
#include "invitegraph/recommender.h"
#include "invitegraph/synth.h"

namespace {

using invitegraph::AbuseReport;
using invitegraph::NodeId;
using invitegraph::UserId;
namespace synth = invitegraph::synth;

template <typename T>
T OrDie(absl::StatusOr<T> s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.status().ToString().c_str());
    std::exit(1);
  }
  return *std::move(s);
}

void Check(const absl::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
      .count();
}

struct Counts {
  int64_t truth = 0, flagged = 0, hit = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const int64_t n_users = argc > 1 ? std::atoll(argv[1]) : 100'000;
  const double prevalence = argc > 2 ? std::atof(argv[2]) : 0.01;
  const uint64_t seed = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 42;
  const int threads = argc > 4 ? std::atoi(argv[4]) : 0;

  auto t0 = std::chrono::steady_clock::now();
  synth::Options o;
  o.n_users = n_users;
  o.seed = seed;
  o.num_threads = threads;
  o.abuse.ring_prevalence = prevalence;
  o.abuse.lockstep_prevalence = prevalence;
  if (argc > 5) o.abuse.ring_purchase_share = std::atof(argv[5]);
  if (argc > 6) o.abuse.ring_assists_per_pair = std::atof(argv[6]);
  const synth::World w = OrDie(synth::Generate(o), "synth");
  const double synth_s = Seconds(t0);

  t0 = std::chrono::steady_clock::now();
  invitegraph::GraphConfig config;
  config.num_threads = threads;
  invitegraph::GraphBuilder b(config);
  Check(b.AddFriendships(w.friendships()), "friendships");
  Check(b.AddInteractions(w.interactions()), "interactions");
  Check(b.AddPurchases(w.purchases()), "purchases");
  Check(b.AddCampaigns(w.campaigns()), "campaigns");
  invitegraph::BuildOptions bo;
  bo.communities = false;
  const invitegraph::SocialGraph g = OrDie(b.Build(bo), "build");
  const double build_s = Seconds(t0);

  invitegraph::AbuseOptions ao;
  ao.num_threads = threads;
  const auto batch = w.interactions();
  t0 = std::chrono::steady_clock::now();
  const AbuseReport r =
      OrDie(invitegraph::DetectAbuse(g, ao, &batch), "detect");
  const double detect_s = Seconds(t0);

  // Quality against the planted truth (ids index user_abuse).
  Counts ring, lockstep, any;
  int64_t honest = 0, honest_flagged = 0;
  for (NodeId n = 0; n < g.num_nodes(); ++n) {
    const UserId u = g.user_id(n);
    const auto kind = static_cast<synth::AbuseKind>(w.user_abuse[u]);
    const bool flagged = (r.evidence[n] & invitegraph::kFlagged) != 0;
    const bool as_ring = flagged && (r.evidence[n] & invitegraph::kRingMember);
    const bool as_lockstep =
        flagged && (r.evidence[n] & invitegraph::kLockstep);
    ring.truth += kind == synth::AbuseKind::kRing;
    ring.flagged += as_ring;
    ring.hit += as_ring && kind == synth::AbuseKind::kRing;
    lockstep.truth += kind == synth::AbuseKind::kLockstep;
    lockstep.flagged += as_lockstep;
    lockstep.hit += as_lockstep && kind == synth::AbuseKind::kLockstep;
    any.truth += kind != synth::AbuseKind::kHonest;
    any.flagged += flagged;
    any.hit += flagged && kind != synth::AbuseKind::kHonest;
    if (kind == synth::AbuseKind::kHonest) {
      ++honest;
      honest_flagged += flagged;
    }
  }
  auto ratio = [](int64_t a, int64_t b) {
    return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b);
  };

  // Invite lists of honest users with a planted contact.
  std::vector<UserId> inviters;
  for (NodeId n = 0; n < g.num_nodes() && inviters.size() < 2000; ++n) {
    if (w.user_abuse[g.user_id(n)] != 0) continue;
    for (NodeId v : g.neighbors(n))
      if (w.user_abuse[g.user_id(v)] != 0) {
        inviters.push_back(g.user_id(n));
        break;
      }
  }
  const invitegraph::SocialGraph guarded = OrDie(g.WithAbuse(r), "attach");
  auto planted_share = [&](const invitegraph::SocialGraph& graph,
                           double exclude_above) {
    invitegraph::RecommenderConfig rc;
    rc.policy.exclude_suspicion_above = exclude_above;
    const auto rec =
        OrDie(invitegraph::Recommender::Create(graph, rc), "recommender");
    const std::vector<invitegraph::ItemId> items(inviters.size(), -1);
    invitegraph::BatchOptions opt;
    opt.num_threads = threads;
    const auto t = OrDie(rec.RecommendBatch(inviters, items, 10, opt), "batch");
    int64_t planted = 0;
    for (UserId c : t.candidate) planted += w.user_abuse[c] != 0;
    return ratio(planted, t.size());
  };
  const double share_open = planted_share(g, 1.0);
  const double share_default = planted_share(guarded, 1.0);
  const double share_guarded = planted_share(guarded, 0.5);

  std::printf("users %lld (honest %lld, ring %lld, lockstep %lld), arcs %lld\n",
              static_cast<long long>(g.num_nodes()),
              static_cast<long long>(honest),
              static_cast<long long>(ring.truth),
              static_cast<long long>(lockstep.truth),
              static_cast<long long>(g.num_arcs()));
  std::printf("synth %.1f s, build %.1f s, detect %.2f s (threads %d)\n",
              synth_s, build_s, detect_s, threads);
  std::printf(
      "found: %lld rings (%lld members), %lld lockstep groups (%lld members), "
      "%lld reciprocal assist edges, %lld assist events\n",
      static_cast<long long>(r.stats.rings),
      static_cast<long long>(r.stats.ring_members),
      static_cast<long long>(r.stats.lockstep_groups),
      static_cast<long long>(r.stats.lockstep_members),
      static_cast<long long>(r.stats.reciprocal_edges),
      static_cast<long long>(r.stats.assist_events));
  std::printf("| planted kind | precision | recall |\n|---|---:|---:|\n");
  std::printf("| ring members | %.3f | %.3f |\n", ratio(ring.hit, ring.flagged),
              ratio(ring.hit, ring.truth));
  std::printf("| lockstep clickers | %.3f | %.3f |\n",
              ratio(lockstep.hit, lockstep.flagged),
              ratio(lockstep.hit, lockstep.truth));
  std::printf("| any planted | %.3f | %.3f |\n", ratio(any.hit, any.flagged),
              ratio(any.hit, any.truth));
  std::printf("honest users flagged: %lld of %lld (%.4f %%)\n",
              static_cast<long long>(honest_flagged),
              static_cast<long long>(honest),
              100 * ratio(honest_flagged, honest));
  std::printf(
      "top-10 slots held by planted accounts, %zu honest inviters with a "
      "planted contact: %.3f without scores, %.3f with scores (linear "
      "ranker's suspicion weight), %.3f excluding suspicion > 0.5\n",
      inviters.size(), share_open, share_default, share_guarded);
  return 0;
}
