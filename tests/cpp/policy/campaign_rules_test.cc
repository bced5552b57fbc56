// Campaign-level rules: diversity over communities (checked against a direct
// implementation of the documented pick), urgency (wider pool, relaxed
// diversity, raised k) and the team's fill probability.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <vector>

#include "invitegraph/graph_builder.h"
#include "invitegraph/policy.h"
#include "invitegraph/recommender.h"
#include "ranking/learned_ranker.h"
#include "testing/fixtures.h"
#include "testing/oracles.h"

namespace invitegraph {
namespace {

using testing::CheckError;
using testing::kAsOf;
using testing::kDay;
using testing::RequireOk;
using testing::Unwrap;

// Inviter 1 knows two cliques: A = 2..6 (chats a lot with 1) and B = 7..11
// (chats little). Louvain separates the cliques.
SocialGraph TwoCliques() {
  GraphBuilder b;
  std::vector<UserId> src, dst, isrc, idst;
  std::vector<Channel> kind;
  std::vector<Timestamp> ts;
  auto clique = [&](UserId lo, UserId hi) {
    for (UserId u = lo; u <= hi; ++u) {
      for (UserId v = u + 1; v <= hi; ++v) {
        src.push_back(u);
        dst.push_back(v);
      }
    }
  };
  clique(2, 6);
  clique(7, 11);
  for (UserId u = 2; u <= 11; ++u) {
    src.push_back(1);
    dst.push_back(u);
    const int chats =
        u <= 6 ? 20 + static_cast<int>(u) : 12 - static_cast<int>(u) + 1;
    for (int j = 0; j < chats; ++j) {
      isrc.push_back(u);
      idst.push_back(1);
      kind.push_back(Channel::kChat);
      ts.push_back(kAsOf - kDay);
    }
  }
  RequireOk(b.AddFriendships({.src = src, .dst = dst}));
  RequireOk(
      b.AddInteractions({.src = isrc, .dst = idst, .kind = kind, .ts = ts}));
  return Unwrap(b.Build(testing::AsOf(kAsOf)));
}

Recommender WithPolicy(const SocialGraph& g, const Policy& p,
                       std::shared_ptr<const Ranker> ranker = nullptr,
                       CandidateOptions candidates = {}) {
  RecommenderConfig c;
  c.policy = p;
  c.scoring.candidates = candidates;
  // The rules are checked against every candidate's features, so every
  // candidate is scored (cascade_test.cc covers the cascade's cut).
  c.cascade_size = 0;
  return Unwrap(Recommender::Create(g, c, std::move(ranker)));
}

bool HasReason(const Suggestion& s, const char* code) {
  return std::find(s.reasons.begin(), s.reasons.end(), code) != s.reasons.end();
}

// A calibrated ranker: P(join) = sigmoid(b + w * tie_strength).
std::shared_ptr<const Ranker> Logistic(double b, double w) {
  internal::LearnedLinearModel m = internal::EmptyLearnedModel();
  m.b = b;
  m.w[kTieStrength] = w;
  return internal::NewLogisticRanker(std::move(m));
}

TEST_CASE("diversity spreads the list across communities", "[policy]") {
  const SocialGraph g = TwoCliques();
  const NodeId a = *g.FindNode(2), b = *g.FindNode(7);
  REQUIRE(g.community(a) == g.community(*g.FindNode(6)));
  REQUIRE(g.community(b) == g.community(*g.FindNode(11)));
  REQUIRE(g.community(a) != g.community(b));
  auto in_a = [](UserId u) { return u >= 2 && u <= 6; };

  const auto plain = Unwrap(WithPolicy(g, {}).Recommend(1, {}, 4));
  REQUIRE(plain.size() == 4);
  for (const Suggestion& s : plain) CHECK(in_a(s.candidate));

  Policy p;
  p.diversity = 1;
  const auto spread = Unwrap(WithPolicy(g, p).Recommend(1, {}, 4));
  REQUIRE(spread.size() == 4);
  // One per community before any second: A, B, A, B by score within each.
  CHECK(in_a(spread[0].candidate));
  CHECK_FALSE(in_a(spread[1].candidate));
  CHECK(in_a(spread[2].candidate));
  CHECK_FALSE(in_a(spread[3].candidate));
  CHECK(spread[0].candidate == plain[0].candidate);
  CHECK(spread[2].candidate == plain[1].candidate);
  // The B picks jumped better-scored A rows: they say so; the A picks do not.
  CHECK_FALSE(HasReason(spread[0], kReasonDiversity));
  CHECK(HasReason(spread[1], kReasonDiversity));
  CHECK_FALSE(HasReason(spread[2], kReasonDiversity));
  CHECK(HasReason(spread[3], kReasonDiversity));
  // Scores are still the adjusted scores; ranks follow the pick order.
  for (size_t i = 0; i < spread.size(); ++i)
    CHECK(spread[i].rank == static_cast<int>(i + 1));
}

// The documented pick, written directly: each step takes the row maximising
// r_i - d * n_c(i), ties to the better-scored row.
std::vector<UserId> DocumentedPick(const SocialGraph& g,
                                   const std::vector<UserId>& candidates,
                                   const std::vector<float>& scores, int k,
                                   double d) {
  std::vector<size_t> order(candidates.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    if (scores[x] != scores[y]) return scores[x] > scores[y];
    return candidates[x] < candidates[y];
  });
  const float hi = *std::max_element(scores.begin(), scores.end());
  const float lo = *std::min_element(scores.begin(), scores.end());
  std::map<uint32_t, int> picks;
  std::vector<bool> taken(order.size(), false);
  std::vector<UserId> out;
  for (int t = 0; t < k && t < static_cast<int>(order.size()); ++t) {
    double best_gain = -INFINITY;
    size_t best = 0;
    for (size_t j = 0; j < order.size(); ++j) {
      if (taken[j]) continue;
      const size_t i = order[j];
      const double r = hi > lo ? (scores[i] - lo) / (hi - lo) : 1.0;
      const uint32_t c = g.community(*g.FindNode(candidates[i]));
      const double gain = r - d * picks[c];
      if (gain > best_gain) {
        best_gain = gain;
        best = j;
      }
    }
    taken[best] = true;
    ++picks[g.community(*g.FindNode(candidates[order[best]]))];
    out.push_back(candidates[order[best]]);
  }
  return out;
}

TEST_CASE("the diversity pick matches the documented formula", "[policy]") {
  const SocialGraph g = Unwrap(testing::BuildGraph(
      testing::MakeRandomEvents({.num_users = 300, .seed = 11})));
  REQUIRE(g.stats().num_communities > 3);
  const Recommender plain = WithPolicy(g, {});
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> unit(0, 1);
  const auto users = g.user_ids();
  int compared = 0;
  for (size_t u = 0; u < users.size(); u += 7) {
    const double d = unit(rng);
    Policy p;
    p.diversity = d;
    const Recommender rec = WithPolicy(g, p);
    const FeatureMatrix x = Unwrap(plain.Features(users[u], {}));
    if (x.candidates.size() < 3) continue;
    std::vector<float> scores(x.candidates.size());
    RequireOk(plain.ranker().Score(x, absl::MakeSpan(scores)));
    const auto got = Unwrap(rec.Recommend(users[u], {}, 6));
    std::vector<UserId> ids;
    for (const Suggestion& s : got) ids.push_back(s.candidate);
    INFO("inviter " << users[u] << " diversity " << d);
    CHECK(ids == DocumentedPick(g, x.candidates, scores, 6, d));
    ++compared;
  }
  CHECK(compared > 20);
}

TEST_CASE("diversity needs communities", "[policy]") {
  const auto e = testing::MakeRandomEvents({.num_users = 40});
  GraphBuilder b;
  RequireOk(testing::AddAll(e, b));
  BuildOptions o = testing::AsOf(kAsOf);
  o.communities = false;
  const SocialGraph g = Unwrap(b.Build(o));
  RecommenderConfig c;
  c.policy.diversity = 0.5;
  CheckError(Recommender::Create(g, c).status(),
             absl::StatusCode::kInvalidArgument,
             {"RecommenderConfig.policy.diversity=0.5"});
  c.policy.diversity = 1.5;
  CheckError(Recommender::Create(Unwrap(testing::BuildGraph(e)), c).status(),
             absl::StatusCode::kInvalidArgument,
             {"RecommenderConfig.policy.diversity=1.5"});
}

TEST_CASE("urgency grows linearly over the window before the end", "[policy]") {
  Policy p;
  p.urgency_window_seconds = 1000;
  CHECK(Urgency(p, 5000, 1000) == 0);  // far from the end
  CHECK(Urgency(p, 2000, 1000) == 0);  // exactly one window left
  CHECK(Urgency(p, 1750, 1000) == Approx(0.25));
  CHECK(Urgency(p, 1000, 1000) == 1);  // at the end
  CHECK(Urgency(p, 500, 1000) == 1);   // after it
}

TEST_CASE("urgency widens the 2-hop pool, relaxes diversity and raises k",
          "[policy]") {
  const SocialGraph g = Unwrap(testing::BuildGraph(
      testing::MakeRandomEvents({.num_users = 300, .seed = 3})));
  Policy p;
  p.urgency_window_seconds = 10 * kDay;
  p.urgency_two_hop_factor = 3;
  const CandidateOptions narrow{.max_two_hop = 4};
  const Recommender rec = WithPolicy(g, p, nullptr, narrow);
  const auto users = g.user_ids();
  // An inviter with more 2-hop candidates than the narrow cap.
  UserId inviter = -1;
  size_t calm_rows = 0;
  for (UserId u : users) {
    const FeatureMatrix x = Unwrap(rec.Features(u, {}));
    int two_hop = 0;
    for (int64_t i = 0; i < x.values.rows(); ++i)
      two_hop += x.values(i, kIsTwoHop) > 0;
    if (two_hop == 4) {
      const FeatureMatrix wide = Unwrap(
          rec.Features(u, Campaign{.ends_at = kAsOf}));  // u = 1: 3x the cap
      int wide_two_hop = 0;
      for (int64_t i = 0; i < wide.values.rows(); ++i)
        wide_two_hop += wide.values(i, kIsTwoHop) > 0;
      if (wide_two_hop >= 12) {
        inviter = u;
        calm_rows = x.candidates.size();
        CHECK(wide_two_hop == 12);
        CHECK(wide.candidates.size() == calm_rows + 8);
        break;
      }
    }
  }
  REQUIRE(inviter >= 0);
  // Half urgency (5 of 10 days left): 4 * (1 + 0.5 * 2) = 8 two-hop rows.
  const FeatureMatrix half =
      Unwrap(rec.Features(inviter, Campaign{.ends_at = kAsOf + 5 * kDay}));
  CHECK(half.candidates.size() == calm_rows + 4);
  // Far from the end: the usual pool.
  CHECK(Unwrap(rec.Features(inviter, Campaign{.ends_at = kAsOf + 30 * kDay}))
            .candidates.size() == calm_rows);

  // k rises towards what the team needs: team of 9 with 2 members -> 6 more.
  Campaign team{.members = {-5, -6}, .team_size = 9};
  InviteList calm = Unwrap(rec.RecommendList(inviter, team, 2));
  CHECK(calm.k == 2);
  CHECK(calm.urgency == 0);
  CHECK(calm.still_needed == 6);
  team.ends_at = kAsOf + 5 * kDay;  // u = 0.5: 2 + round(0.5 * 4) = 4
  InviteList half_list = Unwrap(rec.RecommendList(inviter, team, 2));
  CHECK(half_list.urgency == Approx(0.5));
  CHECK(half_list.k == 4);
  CHECK(half_list.suggestions.size() == 4);
  team.ends_at = kAsOf;  // u = 1: all 6
  InviteList last = Unwrap(rec.RecommendList(inviter, team, 2));
  CHECK(last.k == 6);
  CHECK(last.suggestions.size() == 6);
  // A larger k is never lowered.
  CHECK(Unwrap(rec.RecommendList(inviter, team, 8)).k == 8);
  Policy fixed_k = p;
  fixed_k.urgency_raises_k = false;
  CHECK(Unwrap(WithPolicy(g, fixed_k, nullptr, narrow)
                   .RecommendList(inviter, team, 2))
            .k == 2);

  // At full urgency diversity is off: the list is the plain score order.
  Policy diverse = p;
  diverse.diversity = 1;
  const Recommender drec = WithPolicy(g, diverse, nullptr, narrow);
  Policy plain_p = p;
  const Recommender prec = WithPolicy(g, plain_p, nullptr, narrow);
  const Campaign ending{.ends_at = kAsOf};
  auto ids = [](const std::vector<Suggestion>& v) {
    std::vector<UserId> out;
    for (const Suggestion& s : v) out.push_back(s.candidate);
    return out;
  };
  CHECK(ids(Unwrap(drec.Recommend(inviter, ending, 8))) ==
        ids(Unwrap(prec.Recommend(inviter, ending, 8))));
}

TEST_CASE("AtLeastProbability matches enumeration", "[policy]") {
  std::mt19937 rng(9);
  std::uniform_real_distribution<double> unit(0, 1);
  for (int trial = 0; trial < 200; ++trial) {
    const int n = static_cast<int>(rng() % 9);
    std::vector<double> p(n);
    for (double& x : p) x = unit(rng);
    const int needed = static_cast<int>(rng() % 11) - 1;
    double want = 0;
    for (uint32_t mask = 0; mask < (1u << n); ++mask) {
      double pr = 1;
      int joins = 0;
      for (int i = 0; i < n; ++i) {
        const bool j = (mask >> i) & 1;
        pr *= j ? p[i] : 1 - p[i];
        joins += j;
      }
      if (joins >= needed) want += pr;
    }
    INFO("n=" << n << " needed=" << needed);
    CHECK(AtLeastProbability(p, needed) == Approx(want).margin(1e-12));
  }
}

TEST_CASE(
    "lists report the team's fill probability from calibrated "
    "join probabilities",
    "[policy]") {
  const SocialGraph g = TwoCliques();
  const Recommender rec = WithPolicy(g, {}, Logistic(-1.0, 0.8));
  Campaign c{.members = {2, 1, 2}, .team_size = 5};  // inviter and a repeat
  const InviteList list = Unwrap(rec.RecommendList(1, c, 4));
  CHECK(list.still_needed == 3);  // 5 - inviter - member 2
  REQUIRE(list.suggestions.size() == 4);
  std::vector<double> p;
  double sum = 0;
  for (const Suggestion& s : list.suggestions) {
    CHECK(s.join_probability == s.ranker_score);
    CHECK(s.join_probability > 0);
    CHECK(s.join_probability < 1);
    CHECK(s.candidate != 2);
    p.push_back(s.join_probability);
    sum += s.join_probability;
  }
  CHECK(list.expected_joins == Approx(sum));
  CHECK(list.fill_probability == Approx(AtLeastProbability(p, 3)));
  CHECK(list.fill_probability < 1);
  // More suggestions can only make filling likelier.
  CHECK(Unwrap(rec.RecommendList(1, c, 8)).fill_probability >
        list.fill_probability);
  // A full team needs no one.
  const InviteList full =
      Unwrap(rec.RecommendList(1, Campaign{.members = {2}, .team_size = 2}, 3));
  CHECK(full.still_needed == 0);
  CHECK(full.fill_probability == 1);
  // Not a team campaign: no fill probability, but expected joins.
  const InviteList solo = Unwrap(rec.RecommendList(1, {}, 3));
  CHECK(solo.still_needed == -1);
  CHECK(std::isnan(solo.fill_probability));
  CHECK(solo.expected_joins > 0);
  // An uncalibrated ranker reports no probabilities at all.
  const InviteList linear = Unwrap(WithPolicy(g, {}).RecommendList(1, c, 4));
  CHECK(std::isnan(linear.fill_probability));
  CHECK(std::isnan(linear.expected_joins));
  CHECK(std::isnan(linear.suggestions[0].join_probability));
  CheckError(rec.RecommendList(1, Campaign{.team_size = -1}, 3).status(),
             absl::StatusCode::kInvalidArgument, {"campaign.team_size=-1"});
}

// --- Waves -----------------------------------------------------------------

struct WaveFixture {
  SocialGraph graph = Unwrap(testing::BuildGraph(
      testing::MakeRandomEvents({.num_users = 150, .seed = 21})));
  std::vector<UserId> inviters;
  std::vector<ItemId> items;
  WaveFixture() {
    const auto users = graph.user_ids();
    for (size_t i = 0; i < users.size(); i += 2) {
      inviters.push_back(users[i]);
      items.push_back(700);
    }
  }
};

std::shared_ptr<const Ranker> WaveRanker() {
  internal::LearnedLinearModel m = internal::EmptyLearnedModel();
  m.b = -1.5;
  m.w[kTieStrength] = 0.6;
  m.w[kAdamicAdar] = 0.4;
  return internal::NewLogisticRanker(std::move(m));
}

std::map<UserId, int64_t> Loads(const SuggestionTable& t) {
  std::map<UserId, int64_t> load;
  for (UserId c : t.candidate) ++load[c];
  return load;
}

TEST_CASE("a wave keeps recipient capacity and reports naive top-k",
          "[policy][wave]") {
  const WaveFixture f;
  Policy p;
  p.exclude = {f.graph.user_ids()[3]};
  const Recommender rec = WithPolicy(f.graph, p, WaveRanker());
  const int k = 4;
  for (WaveMethod method : {WaveMethod::kGreedy, WaveMethod::kExact}) {
    const Wave w = Unwrap(rec.RecommendWave(
        f.inviters, f.items, k, {.recipient_capacity = 2, .method = method}));
    const SuggestionTable& t = w.suggestions;
    CHECK(w.report.exact == (method == WaveMethod::kExact));
    // Capacity and k hold; the reported figures are the table's.
    int64_t max_load = 0;
    for (const auto& [c, n] : Loads(t)) max_load = std::max(max_load, n);
    CHECK(max_load <= 2);
    CHECK(w.report.max_recipient_load == max_load);
    CHECK(w.report.suggestions == t.size());
    double joins = 0;
    for (float x : t.join_probability) joins += x;
    CHECK(w.report.expected_joins == Approx(joins));
    // Every suggestion is one Recommend() could make; per request at most k,
    // ranked by adjusted score.
    std::map<UserId, std::set<UserId>> eligible;
    double naive_joins = 0;
    std::map<UserId, int64_t> naive_load;
    for (UserId u : f.inviters) {
      for (const Suggestion& s : Unwrap(rec.Recommend(u, {.item = 700}, 1000)))
        eligible[u].insert(s.candidate);
      for (const Suggestion& s : Unwrap(rec.Recommend(u, {.item = 700}, k))) {
        naive_joins += s.join_probability;
        ++naive_load[s.candidate];
      }
    }
    std::map<UserId, int> per_request;
    for (int64_t i = 0; i < t.size(); ++i) {
      CHECK(eligible[t.inviter[i]].count(t.candidate[i]) == 1);
      CHECK(t.candidate[i] != p.exclude[0]);
      CHECK(t.rank[i] == ++per_request[t.inviter[i]]);
      if (i > 0 && t.inviter[i] == t.inviter[i - 1])
        CHECK(t.score[i] <= t.score[i - 1]);
      CHECK_FALSE(t.reasons[i].empty());
    }
    for (const auto& [u, n] : per_request) CHECK(n <= k);
    CHECK(w.report.naive_expected_joins == Approx(naive_joins));
    int64_t naive_max = 0, over = 0;
    for (const auto& [c, n] : naive_load) {
      naive_max = std::max(naive_max, n);
      over += n > 2;
    }
    CHECK(w.report.naive_max_recipient_load == naive_max);
    CHECK(w.report.naive_recipients_over_capacity == over);
    REQUIRE(naive_max > 2);  // the fixture makes capacity bind
  }
  // Exact is at least as good as greedy.
  const Wave greedy = Unwrap(rec.RecommendWave(
      f.inviters, f.items, k,
      {.recipient_capacity = 2, .method = WaveMethod::kGreedy}));
  const Wave exact = Unwrap(rec.RecommendWave(
      f.inviters, f.items, k,
      {.recipient_capacity = 2, .method = WaveMethod::kExact}));
  CHECK(exact.report.expected_joins >= greedy.report.expected_joins - 1e-6);
}

TEST_CASE("a wave whose capacity does not bind is the batch", "[wave]") {
  const WaveFixture f;
  const Recommender rec = WithPolicy(f.graph, {}, WaveRanker());
  const Wave w = Unwrap(rec.RecommendWave(
      f.inviters, f.items, 3,
      {.recipient_capacity = static_cast<int>(f.inviters.size())}));
  const SuggestionTable b = Unwrap(rec.RecommendBatch(f.inviters, f.items, 3));
  // The same lists up to ties in join probability: per request, the same
  // probabilities.
  CHECK(w.suggestions.inviter == b.inviter);
  auto by_request = [](const SuggestionTable& t) {
    std::map<UserId, std::vector<float>> p;
    for (int64_t i = 0; i < t.size(); ++i)
      p[t.inviter[i]].push_back(t.join_probability[i]);
    for (auto& [u, v] : p) std::sort(v.begin(), v.end());
    return p;
  };
  CHECK(by_request(w.suggestions) == by_request(b));
  CHECK(w.report.expected_joins == Approx(w.report.naive_expected_joins));
}

TEST_CASE("a wave respects invite caps and thread counts", "[wave]") {
  const WaveFixture f;
  Policy p;
  p.max_invites_per_recipient = {{kDay, 2}};
  const Recommender rec = WithPolicy(f.graph, p, WaveRanker());
  // One send already recorded for every user: each has room for one more.
  testing::OutcomeRows rows;
  for (UserId u : f.graph.user_ids()) {
    if (u != f.inviters[0])
      rows.Add(f.inviters[0], u, 700, kAsOf, Outcome::kSent);
  }
  RequireOk(rec.RecordOutcomes(rows.batch()).status());
  const Wave one = Unwrap(rec.RecommendWave(
      f.inviters, f.items, 3, {.recipient_capacity = 3, .num_threads = 1}));
  // inviters[0] received no send, so it has room for two.
  for (const auto& [c, n] : Loads(one.suggestions))
    CHECK(n <= (c == f.inviters[0] ? 2 : 1));
  const Wave four = Unwrap(rec.RecommendWave(
      f.inviters, f.items, 3, {.recipient_capacity = 3, .num_threads = 4}));
  CHECK(one.suggestions.candidate == four.suggestions.candidate);
  CHECK(one.suggestions.inviter == four.suggestions.inviter);
  CHECK(one.report.expected_joins == four.report.expected_joins);
}

TEST_CASE("a wave skips unknown inviters and reports their rows", "[wave]") {
  const WaveFixture f;
  const Recommender rec = WithPolicy(f.graph, {}, WaveRanker());
  // The known requests with unknown ones at the start, inside and last.
  std::vector<UserId> inviters = {123456788, 123456789};
  std::vector<ItemId> items = {700, 700};
  for (size_t i = 0; i < f.inviters.size(); ++i) {
    if (i == 5) {
      inviters.push_back(987654);
      items.push_back(700);
    }
    inviters.push_back(f.inviters[i]);
    items.push_back(f.items[i]);
  }
  inviters.push_back(987654);
  items.push_back(701);
  const std::vector<int64_t> want_rows = {
      0, 1, 7, static_cast<int64_t>(inviters.size()) - 1};
  for (WaveMethod method : {WaveMethod::kGreedy, WaveMethod::kExact}) {
    const WaveOptions o{.recipient_capacity = 2, .method = method};
    const Wave want = Unwrap(rec.RecommendWave(f.inviters, f.items, 4, o));
    REQUIRE(want.suggestions.size() > 100);
    for (int threads : {1, 2}) {
      CAPTURE(threads);
      WaveOptions skip = o;
      skip.num_threads = threads;
      const Wave w = Unwrap(rec.RecommendWave(inviters, items, 4, skip));
      // The wave of the known requests alone, and the skipped positions.
      CHECK(w.suggestions.inviter == want.suggestions.inviter);
      CHECK(w.suggestions.item == want.suggestions.item);
      CHECK(w.suggestions.candidate == want.suggestions.candidate);
      CHECK(w.suggestions.score == want.suggestions.score);
      CHECK(w.suggestions.reasons == want.suggestions.reasons);
      CHECK(w.suggestions.unknown_inviter_rows == want_rows);
      CHECK(w.report.requests == static_cast<int64_t>(f.inviters.size()));
      CHECK(w.report.expected_joins == want.report.expected_joins);
      CHECK(w.report.short_requests == want.report.short_requests);
      CHECK(w.report.naive_expected_joins == want.report.naive_expected_joins);
    }
  }
}

TEST_CASE("bad waves are rejected", "[wave]") {
  const WaveFixture f;
  const Recommender rec = WithPolicy(f.graph, {}, WaveRanker());
  CheckError(
      rec.RecommendWave(f.inviters, f.items, 3, {.recipient_capacity = 0})
          .status(),
      absl::StatusCode::kInvalidArgument, {"WaveOptions.recipient_capacity=0"});
  const std::vector<UserId> twice = {f.inviters[0], f.inviters[1],
                                     f.inviters[0]};
  CheckError(rec.RecommendWave(twice, {700, 700, 700}, 3).status(),
             absl::StatusCode::kInvalidArgument, {"wave row 2", "row 0"});
  CheckError(
      rec.RecommendWave({f.inviters[0], -77}, {700, 700}, 3,
                        {.unknown_inviters = UnknownInviterPolicy::kFail})
          .status(),
      absl::StatusCode::kNotFound, {"inviters[1]=-77"});
  // A repeat is refused even when its inviter would be skipped.
  CheckError(
      rec.RecommendWave({-77, f.inviters[0], -77}, {700, 700, 700}, 3).status(),
      absl::StatusCode::kInvalidArgument, {"wave row 2", "row 0"});
  CheckError(
      WithPolicy(f.graph, {}).RecommendWave(f.inviters, f.items, 3).status(),
      absl::StatusCode::kFailedPrecondition, {"calibrated", "linear"});
}

}  // namespace
}  // namespace invitegraph
