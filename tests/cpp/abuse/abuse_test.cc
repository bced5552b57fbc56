// Abuse detection on a hand-made world whose every ring, group and honest
// look-alike is known: scores against the documented formulas recomputed from
// the graph's own weights, evidence bits, arcs, determinism, the graph
// plumbing (build option, WithAbuse, snapshots, Forget) and the policy step.
#include "invitegraph/abuse.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "invitegraph/graph_builder.h"
#include "invitegraph/recommender.h"
#include "testing/fixtures.h"

namespace invitegraph {
namespace {

using testing::CheckError;
using testing::kAsOf;
using testing::kDay;
using testing::RequireOk;
using testing::Unwrap;

// Who is who in World().
constexpr UserId kBeneficiary = 1;
const std::vector<UserId> kRing = {100, 101, 102, 103, 104, 105};
const std::vector<UserId> kHonestClique = {20, 21, 22, 23};  // old, buyers
const std::vector<UserId> kHonestTriangle = {10, 11, 12};
const std::vector<UserId> kClickers = {200, 201, 202, 203, 204};
const std::vector<UserId> kTargets = {2, 3, 4, 5, 6, 7};
constexpr Timestamp kOld = kAsOf - 200 * kDay;

struct Events {
  std::vector<UserId> fsrc, fdst, src, dst, buyer;
  std::vector<Channel> kind;
  std::vector<Timestamp> ts, bts;
  std::vector<ItemId> item;
  void Assist(UserId a, UserId b, Timestamp t, int times = 1) {
    for (int i = 0; i < times; ++i) {
      src.push_back(a);
      dst.push_back(b);
      kind.push_back(Channel::kAssist);
      ts.push_back(t);
    }
  }
  void Chat(UserId a, UserId b, Timestamp t) {
    src.push_back(a);
    dst.push_back(b);
    kind.push_back(Channel::kChat);
    ts.push_back(t);
  }
  void Buy(UserId u, Timestamp t) {
    buyer.push_back(u);
    item.push_back(500 + u % 7);
    bts.push_back(t);
  }
};

Events WorldEvents() {
  Events e;
  // Honest users 1..40: a friendship ring with old chats and a purchase each.
  for (UserId u = 1; u <= 40; ++u) {
    const UserId v = u % 40 + 1;
    e.fsrc.push_back(u);
    e.fdst.push_back(v);
    e.Chat(u, v, kOld);
    e.Chat(v, u, kAsOf - 3 * kDay);
    e.Buy(u, kOld + kDay);
  }
  for (UserId u = 2; u <= 12; ++u) {  // the beneficiary knows many
    e.fsrc.push_back(kBeneficiary);
    e.fdst.push_back(u);
  }
  // Honest look-alikes: a reciprocal-assist clique of old buyers and a
  // triangle (too small to be a ring).
  for (const auto* group : {&kHonestClique, &kHonestTriangle}) {
    for (UserId a : *group)
      for (UserId b : *group)
        if (a != b) e.Assist(a, b, kAsOf - 10 * kDay);
  }
  // The ring: fresh accounts assisting each other twice in each direction,
  // each a friend of the beneficiary whom they all assist. Their times are
  // spread (a different day for each pair; members 100..105 differ mod 10),
  // so the ring is not also in lockstep.
  for (UserId a : kRing) {
    e.fsrc.push_back(a);
    e.fdst.push_back(kBeneficiary);
    e.Assist(a, kBeneficiary, kAsOf - 2 * kDay + 1000 * (a - 100), 3);
    for (UserId b : kRing) {
      if (a == b) continue;
      const Timestamp t = kAsOf - (1 + (a * 7 + b) % 10) * kDay;
      e.Assist(a, b, t);
      e.Assist(a, b, t + 3600);
    }
  }
  // Lockstep: the clickers assist every target within a minute of each other
  // (target t at its own time), and like an honest user once.
  for (size_t t = 0; t < kTargets.size(); ++t) {
    const Timestamp at = kAsOf - (10 + static_cast<Timestamp>(t)) * kDay;
    for (size_t c = 0; c < kClickers.size(); ++c)
      e.Assist(kClickers[c], kTargets[t], at + 10 * static_cast<Timestamp>(c));
  }
  for (UserId c : kClickers) {
    e.src.push_back(c);
    e.dst.push_back(30);
    e.kind.push_back(Channel::kLike);
    e.ts.push_back(kAsOf - 15 * kDay);
  }
  // Two honest users who assisted the same two targets close together:
  // below min_lockstep_targets = 3.
  for (UserId t : {8, 9}) {
    e.Assist(13, t, kAsOf - 50 * kDay);
    e.Assist(14, t, kAsOf - 50 * kDay + 30);
  }
  return e;
}

SocialGraph Build(const Events& e,
                  BuildOptions options = testing::AsOf(kAsOf)) {
  GraphBuilder b;
  RequireOk(b.AddFriendships({.src = e.fsrc, .dst = e.fdst}));
  RequireOk(b.AddInteractions(
      {.src = e.src, .dst = e.dst, .kind = e.kind, .ts = e.ts}));
  RequireOk(b.AddPurchases({.user = e.buyer, .item = e.item, .ts = e.bts}));
  return Unwrap(b.Build(options));
}

SocialGraph KeptWorld() {
  BuildOptions o = testing::AsOf(kAsOf);
  o.keep_events = true;
  return Build(WorldEvents(), o);
}

NodeId Node(const SocialGraph& g, UserId u) {
  const auto n = g.FindNode(u);
  REQUIRE(n.has_value());
  return *n;
}

float Assist(const SocialGraph& g, UserId a, UserId b) {
  const auto arc = g.FindArc(Node(g, a), Node(g, b));
  return arc ? arc->channel_weight[static_cast<int>(Channel::kAssist)] : 0.0f;
}

// Decayed assists a user gives and receives, from the graph's arcs.
std::pair<double, double> Balance(const SocialGraph& g, UserId u) {
  double given = 0, received = 0;
  const NodeId n = Node(g, u);
  for (NodeId v : g.neighbors(n)) {
    given += Assist(g, u, g.user_id(v));
    received += Assist(g, g.user_id(v), u);
  }
  return {given, received};
}

// ring_score of a group by the documented formula, from the graph.
double RingScoreOracle(const SocialGraph& g, const std::vector<UserId>& ring,
                       double min_reciprocal) {
  double edges = 0, within = 0, total = 0;
  for (UserId a : ring) {
    const auto [given, received] = Balance(g, a);
    total += given + received;
    for (UserId b : ring) {
      if (a == b) continue;
      within += Assist(g, a, b);
      edges += Assist(g, a, b) >= min_reciprocal &&
               Assist(g, b, a) >= min_reciprocal;
    }
  }
  const double m = static_cast<double>(ring.size());
  const double density = edges / (m * (m - 1));
  const double insularity = std::min(1.0, 2 * within / total);
  return density * (0.5 + 0.5 * insularity);
}

TEST_CASE("abuse: the ring, its scores and evidence match the formulas",
          "[abuse]") {
  const SocialGraph g = KeptWorld();
  const AbuseReport r = Unwrap(DetectAbuse(g));
  REQUIRE(r.user.size() == static_cast<size_t>(g.num_nodes()));
  CHECK(r.stats.lockstep_computed);

  const int32_t ring = r.ring[Node(g, kRing[0])];
  REQUIRE(ring >= 0);
  CHECK(r.ring_size[ring] == static_cast<int32_t>(kRing.size()));
  CHECK(r.ring_density[ring] == Approx(1.0));
  const double score = RingScoreOracle(g, kRing, 0.5);
  CHECK(r.ring_score_of[ring] == Approx(score).epsilon(1e-5));
  CHECK(r.ring_fresh_share[ring] == 1.0f);
  CHECK(r.ring_no_purchase_share[ring] == 1.0f);
  for (UserId u : kRing) {
    const NodeId n = Node(g, u);
    INFO("ring member " << u);
    CHECK(r.ring[n] == ring);
    // account = 1 (fresh, no purchases): suspicion = ring score.
    CHECK(r.suspicion[n] == Approx(score).epsilon(1e-5));
    const uint32_t want = kFreshAccount | kNoPurchases | kRingMember | kFlagged;
    CHECK(r.evidence[n] == want);
    const auto [given, received] = Balance(g, u);
    CHECK(r.assists_given[n] == Approx(given).epsilon(1e-5));
    CHECK(r.assists_received[n] == Approx(received).epsilon(1e-5));
    CHECK(r.reputation[n] ==
          Approx((1 - score) * (given + 2) / (given + received + 2 * 2))
              .epsilon(1e-4));
  }
  // The beneficiary takes without giving; it is not a ring member.
  const NodeId b = Node(g, kBeneficiary);
  CHECK(r.ring[b] == -1);
  CHECK((r.evidence[b] & kTaker) != 0);
  CHECK((r.evidence[b] & kFlagged) == 0);
  CHECK(r.suspicion[b] == 0.0f);
}

TEST_CASE("abuse: honest look-alikes are not flagged", "[abuse]") {
  const SocialGraph g = KeptWorld();
  const AbuseReport r = Unwrap(DetectAbuse(g));
  // The old buyers' clique is structurally a ring, but their accounts halve
  // the score, which then cannot exceed flag_above = 0.5.
  const NodeId first = Node(g, kHonestClique[0]);
  REQUIRE(r.ring[first] >= 0);
  for (UserId u : kHonestClique) {
    const NodeId n = Node(g, u);
    CHECK(r.ring[n] == r.ring[first]);
    CHECK(r.evidence[n] == kRingMember);
    CHECK(r.suspicion[n] ==
          Approx(0.5 * RingScoreOracle(g, kHonestClique, 0.5)).epsilon(1e-5));
  }
  for (UserId u : kHonestTriangle) CHECK(r.ring[Node(g, u)] == -1);
  for (UserId u : {13, 14}) {
    CHECK(r.lockstep_group[Node(g, u)] == -1);
    CHECK(r.lockstep_partners[Node(g, u)] == 0);
  }
  int64_t flagged = 0;
  for (size_t n = 0; n < r.user.size(); ++n) {
    const bool planted =
        std::count(kRing.begin(), kRing.end(), r.user[n]) > 0 ||
        std::count(kClickers.begin(), kClickers.end(), r.user[n]) > 0;
    INFO("user " << r.user[n]);
    CHECK(((r.evidence[n] & kFlagged) != 0) == planted);
    flagged += (r.evidence[n] & kFlagged) != 0;
  }
  CHECK(r.stats.flagged == flagged);
  CHECK(r.stats.rings == 2);
  CHECK(r.stats.ring_members == 10);
}

TEST_CASE("abuse: lockstep clickers from kept or given events", "[abuse]") {
  const SocialGraph g = KeptWorld();
  const AbuseReport kept = Unwrap(DetectAbuse(g));
  const Events e = WorldEvents();
  const InteractionBatch batch{
      .src = e.src, .dst = e.dst, .kind = e.kind, .ts = e.ts};
  const AbuseReport given = Unwrap(DetectAbuse(Build(e), {}, &batch));
  for (const AbuseReport* r : {&kept, &given}) {
    CHECK(r->stats.lockstep_computed);
    CHECK(r->stats.lockstep_groups == 1);
    CHECK(r->stats.lockstep_members == static_cast<int64_t>(kClickers.size()));
    const int32_t group = r->lockstep_group[Node(g, kClickers[0])];
    REQUIRE(group >= 0);
    CHECK(r->group_size[group] == static_cast<int32_t>(kClickers.size()));
    CHECK(r->group_targets[group] == static_cast<int32_t>(kTargets.size()));
    const double p = kClickers.size() - 1, t = kTargets.size();
    const double want = (1 - std::exp(-p / 3)) * (1 - std::exp(-t / 3));
    for (UserId c : kClickers) {
      const NodeId n = Node(g, c);
      CHECK(r->lockstep_partners[n] == static_cast<int32_t>(p));
      CHECK(r->lockstep_targets[n] == static_cast<int32_t>(t));
      CHECK(r->lockstep_score[n] == Approx(want).epsilon(1e-5));
      CHECK(r->suspicion[n] == Approx(want).epsilon(1e-5));  // account = 1
      CHECK(r->evidence[n] ==
            (kFreshAccount | kNoPurchases | kLockstep | kFlagged));
    }
    for (UserId t2 : kTargets) CHECK(r->lockstep_group[Node(g, t2)] == -1);
  }
  CHECK(given.suspicion == kept.suspicion);

  // Only assist rows count, users outside the graph are skipped and counted.
  Events more = e;
  more.src.push_back(999'999);
  more.dst.push_back(2);
  more.kind.push_back(Channel::kAssist);
  more.ts.push_back(kAsOf);
  const InteractionBatch with_unknown{
      .src = more.src, .dst = more.dst, .kind = more.kind, .ts = more.ts};
  const AbuseReport u = Unwrap(DetectAbuse(Build(e), {}, &with_unknown));
  CHECK(u.stats.unknown_event_users == 1);
  CHECK(u.suspicion == kept.suspicion);

  // Without events: no lockstep, the clickers are not flagged.
  const AbuseReport none = Unwrap(DetectAbuse(Build(e)));
  CHECK_FALSE(none.stats.lockstep_computed);
  for (UserId c : kClickers) CHECK(none.suspicion[Node(g, c)] == 0.0f);
  for (UserId c : kRing)
    CHECK(none.suspicion[Node(g, c)] == kept.suspicion[Node(g, c)]);
}

TEST_CASE("abuse: arcs touching suspects, both ways, with what ties them",
          "[abuse]") {
  const SocialGraph g = KeptWorld();
  const AbuseReport r = Unwrap(DetectAbuse(g));
  std::set<std::pair<UserId, UserId>> listed;
  for (size_t i = 0; i < r.arc_src.size(); ++i) {
    const UserId a = r.arc_src[i], b = r.arc_dst[i];
    listed.insert({a, b});
    const float sa = r.suspicion[Node(g, a)], sb = r.suspicion[Node(g, b)];
    CHECK(r.arc_suspicion[i] == std::max(sa, sb));
    const bool same_ring =
        r.ring[Node(g, a)] >= 0 && r.ring[Node(g, a)] == r.ring[Node(g, b)];
    const bool clicker =
        std::count(kClickers.begin(), kClickers.end(), a) > 0 &&
        std::count(kTargets.begin(), kTargets.end(), b) > 0;
    const ArcAbuseKind want = same_ring ? ArcAbuseKind::kSameRing
                              : clicker ? ArcAbuseKind::kLockstepAssist
                                        : ArcAbuseKind::kSuspiciousEnd;
    INFO(a << " -> " << b);
    CHECK(r.arc_kind[i] == want);
  }
  // Every arc with a suspicious end is listed, in both directions.
  int64_t expected = 0;
  for (NodeId u = 0; u < g.num_nodes(); ++u)
    for (NodeId v : g.neighbors(u))
      if (std::max(r.suspicion[u], r.suspicion[v]) > 0) {
        ++expected;
        CHECK(listed.count({g.user_id(u), g.user_id(v)}) == 1);
      }
  CHECK(static_cast<int64_t>(r.arc_src.size()) == expected);
  CHECK(ArcAbuseKindName(ArcAbuseKind::kLockstepAssist) == "lockstep_assist");
  const auto names = AbuseEvidenceNames(kRingMember | kFlagged);
  CHECK(std::vector<std::string>(names.begin(), names.end()) ==
        std::vector<std::string>{"ring_member", "flagged"});
}

TEST_CASE("abuse: the same report for any thread count", "[abuse]") {
  const SocialGraph g = KeptWorld();
  AbuseOptions one, two;
  one.num_threads = 1;
  two.num_threads = 2;
  const AbuseReport a = Unwrap(DetectAbuse(g, one));
  const AbuseReport b = Unwrap(DetectAbuse(g, two));
  CHECK(a.suspicion == b.suspicion);
  CHECK(a.reputation == b.reputation);
  CHECK(a.evidence == b.evidence);
  CHECK(a.ring == b.ring);
  CHECK(a.lockstep_group == b.lockstep_group);
  CHECK(a.arc_src == b.arc_src);
  CHECK(a.arc_dst == b.arc_dst);
}

TEST_CASE("abuse: bad options and batches name the field", "[abuse]") {
  const SocialGraph g = KeptWorld();
  AbuseOptions o;
  o.min_ring_size = 2;
  CheckError(DetectAbuse(g, o).status(), absl::StatusCode::kInvalidArgument,
             {"AbuseOptions.min_ring_size"});
  o = {};
  o.flag_above = 1;
  CheckError(DetectAbuse(g, o).status(), absl::StatusCode::kInvalidArgument,
             {"AbuseOptions.flag_above"});
  o = {};
  o.lockstep_window_seconds = 0;
  BuildOptions bo = testing::AsOf(kAsOf);
  bo.abuse = o;
  GraphBuilder b;
  const std::vector<UserId> s = {1}, d = {2};
  RequireOk(b.AddFriendships({.src = s, .dst = d}));
  CheckError(b.Build(bo).status(), absl::StatusCode::kInvalidArgument,
             {"AbuseOptions.lockstep_window_seconds"});

  const std::vector<UserId> src = {1, 2}, dst = {2};
  const std::vector<Timestamp> ts = {kAsOf, kAsOf};
  const InteractionBatch ragged{.src = src, .dst = dst, .ts = ts};
  CheckError(DetectAbuse(g, {}, &ragged).status(),
             absl::StatusCode::kInvalidArgument, {"assists.dst", "1 rows"});
  const std::vector<UserId> dst2 = {2, 3};
  const std::vector<Timestamp> neg = {kAsOf, -5};
  const InteractionBatch negative{.src = src, .dst = dst2, .ts = neg};
  CheckError(DetectAbuse(g, {}, &negative).status(),
             absl::StatusCode::kInvalidArgument, {"assists.ts[1]=-5"});
}

TEST_CASE("abuse: scores ride on the graph", "[abuse]") {
  const SocialGraph g = KeptWorld();
  const AbuseReport r = Unwrap(DetectAbuse(g));
  CHECK_FALSE(g.has_abuse());
  CHECK(g.reputation(0) == 0.5f);
  const SocialGraph s = Unwrap(g.WithAbuse(r));
  REQUIRE(s.has_abuse());
  for (NodeId n = 0; n < s.num_nodes(); ++n) {
    CHECK(s.suspicion(n) == r.suspicion[n]);
    CHECK(s.reputation(n) == r.reputation[n]);
    CHECK(s.abuse_evidence(n) == r.evidence[n]);
  }

  SECTION("a build with the option scores from its staged events") {
    BuildOptions o = testing::AsOf(kAsOf);
    o.abuse = AbuseOptions{};
    const SocialGraph built = Build(WorldEvents(), o);
    REQUIRE(built.has_abuse());
    for (NodeId n = 0; n < built.num_nodes(); ++n)
      CHECK(built.suspicion(n) == r.suspicion[n]);
  }
  SECTION("snapshots keep them") {
    const SocialGraph back =
        Unwrap(SocialGraph::FromBytes(Unwrap(s.ToBytes())));
    REQUIRE(back.has_abuse());
    for (NodeId n = 0; n < back.num_nodes(); ++n) {
      CHECK(back.suspicion(n) == s.suspicion(n));
      CHECK(back.abuse_evidence(n) == s.abuse_evidence(n));
    }
    // A graph without scores writes no abuse sections.
    const SocialGraph plain =
        Unwrap(SocialGraph::FromBytes(Unwrap(g.ToBytes())));
    CHECK_FALSE(plain.has_abuse());
  }
  SECTION("Forget keeps the others' scores") {
    const SocialGraph f = Unwrap(s.Forget({kRing[0]}));
    REQUIRE(f.has_abuse());
    for (NodeId n = 0; n < f.num_nodes(); ++n)
      CHECK(f.suspicion(n) == s.suspicion(Node(s, f.user_id(n))));
  }
  SECTION("a report of another graph is refused") {
    const SocialGraph other = Unwrap(g.Forget({kRing[0]}));
    CheckError(other.WithAbuse(r).status(), absl::StatusCode::kInvalidArgument,
               {"WithAbuse", "users"});
    AbuseReport bad = r;
    bad.suspicion[3] = 1.5f;
    CheckError(g.WithAbuse(bad).status(), absl::StatusCode::kInvalidArgument,
               {"suspicion[3]=1.5"});
  }
}

std::vector<UserId> Candidates(const std::vector<Suggestion>& s) {
  std::vector<UserId> out;
  for (const Suggestion& x : s) out.push_back(x.candidate);
  return out;
}

TEST_CASE("abuse: the policy drops, penalises and discounts suspects",
          "[abuse][policy]") {
  const SocialGraph plain = KeptWorld();
  const SocialGraph g = Unwrap(plain.WithAbuse(Unwrap(DetectAbuse(plain))));
  const auto is_ring = [](UserId u) {
    return std::count(kRing.begin(), kRing.end(), u) > 0;
  };
  // The beneficiary's strongest ties are the ring members who assist it.
  {
    Recommender open = Unwrap(Recommender::Create(plain));
    const auto s = Unwrap(open.Recommend(kBeneficiary, {}, 5));
    CHECK(std::count_if(s.begin(), s.end(), [&](const Suggestion& x) {
            return is_ring(x.candidate);
          }) >= 3);
  }
  SECTION("exclusion") {
    RecommenderConfig c;
    c.policy.exclude_suspicion_above = 0.5;
    Recommender rec = Unwrap(Recommender::Create(g, c));
    const auto s = Unwrap(rec.Recommend(kBeneficiary, {}, 8));
    CHECK(s.size() == 8);  // exactly k: the drop runs before the cut
    for (UserId u : Candidates(s)) CHECK_FALSE(is_ring(u));
    // On a graph without scores the same policy is a no-op.
    Recommender rec_plain = Unwrap(Recommender::Create(plain, c));
    Recommender open = Unwrap(Recommender::Create(plain));
    CHECK(Candidates(Unwrap(rec_plain.Recommend(kBeneficiary, {}, 8))) ==
          Candidates(Unwrap(open.Recommend(kBeneficiary, {}, 8))));
  }
  SECTION("penalty with its reason") {
    RecommenderConfig c;
    c.policy.suspicion_penalty = 2;
    c.policy.penalize_suspicion_above = 0.1;
    Recommender rec = Unwrap(Recommender::Create(g, c));
    const auto all = Unwrap(rec.Recommend(kBeneficiary, {}, 100));
    const FeatureMatrix f = Unwrap(rec.Features(kBeneficiary, {}));
    for (const Suggestion& x : all) {
      const auto row =
          std::find(f.candidates.begin(), f.candidates.end(), x.candidate) -
          f.candidates.begin();
      const float susp = f.values(row, kCandidateSuspicion);
      INFO("candidate " << x.candidate);
      CHECK(susp == g.suspicion(Node(g, x.candidate)));
      const bool hit = susp > 0.1f;
      CHECK(x.score == Approx(x.ranker_score - (hit ? 2 * susp : 0.0f)));
      CHECK((std::count(x.reasons.begin(), x.reasons.end(),
                        kReasonSuspectedAbuse) > 0) == hit);
    }
  }
  SECTION("tie discount scales the arc's tie features") {
    RecommenderConfig c;
    c.policy.suspicious_tie_discount = 0.5;
    Recommender rec = Unwrap(Recommender::Create(g, c));
    Recommender open = Unwrap(Recommender::Create(g));
    const FeatureMatrix a = Unwrap(rec.Features(kBeneficiary, {}));
    const FeatureMatrix b = Unwrap(open.Features(kBeneficiary, {}));
    REQUIRE(a.candidates == b.candidates);
    for (int64_t i = 0; i < a.rows(); ++i) {
      const float keep =
          1 - 0.5f * std::max(g.suspicion(Node(g, kBeneficiary)),
                              g.suspicion(Node(g, a.candidates[i])));
      for (int f : {kTieStrength, kReverseTieStrength, kAssistWeight})
        CHECK(a.values(i, f) == Approx(b.values(i, f) * keep));
      CHECK(a.values(i, kCandidateReputation) ==
            g.reputation(Node(g, a.candidates[i])));
    }
  }
  SECTION("bad thresholds name the field") {
    RecommenderConfig c;
    c.policy.suspicious_tie_discount = 2;
    CheckError(Recommender::Create(g, c).status(),
               absl::StatusCode::kInvalidArgument,
               {"policy.suspicious_tie_discount"});
  }
}

}  // namespace
}  // namespace invitegraph
