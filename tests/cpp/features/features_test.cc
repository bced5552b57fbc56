// Candidate generation and link-prediction features against brute-force set
// algebra on random graphs: common neighbours, Adamic-Adar and Jaccard for
// every candidate, with and without skipped hubs (which switches to
// per-candidate list merging).
#include "invitegraph/features.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "invitegraph/candidates.h"
#include "invitegraph/graph_builder.h"
#include "invitegraph/outcomes.h"
#include "invitegraph/recommender.h"
#include "testing/fixtures.h"
#include "testing/oracles.h"

namespace invitegraph {
namespace {

using testing::BruteForceLinkCounts;
using testing::ContactSets;
using testing::ContactsOf;
using testing::FriendsOfFriends;
using testing::MakeRandomEvents;
using testing::RandomEvents;
using testing::RequireOk;
using testing::Unwrap;

constexpr int kUnlimited = std::numeric_limits<int>::max();

// Compares the features of every inviter's candidates with the oracle. Returns
// the number of candidates checked.
int64_t CheckAllInviters(const SocialGraph& g, const ContactSets& contacts,
                         const CandidateOptions& options) {
  const Recommender rec = Unwrap(Recommender::Create(
      g, RecommenderConfig{.scoring = {.candidates = options}}));
  int64_t checked = 0;
  int bad_set = 0, bad_order = 0, bad_counts = 0, bad_flags = 0;
  for (const auto& [u, direct] : contacts) {
    const FeatureMatrix x = Unwrap(rec.Features(u, Campaign{}));
    REQUIRE(x.rows() == static_cast<int64_t>(x.candidates.size()));
    REQUIRE(x.values.cols() == kNumFeatures);
    const std::set<UserId> fof =
        FriendsOfFriends(contacts, u, options.hub_degree_cap);

    // 1-hop contacts first, then 2-hop ones, each block in NodeId order.
    std::set<UserId> one_hop, two_hop;
    NodeId prev = 0;
    bool in_two_hop = false;
    for (int64_t r = 0; r < x.rows(); ++r) {
      const UserId v = x.candidates[r];
      const NodeId n = *g.FindNode(v);
      const bool is_two_hop = x.values(r, kIsTwoHop) == 1.0f;
      if (r > 0 && in_two_hop == is_two_hop && !(prev < n)) ++bad_order;
      if (in_two_hop && !is_two_hop) ++bad_order;
      in_two_hop = is_two_hop;
      prev = n;
      (is_two_hop ? two_hop : one_hop).insert(v);
      if (v == u) ++bad_set;
    }
    if (one_hop != direct) ++bad_set;
    for (UserId v : two_hop) {
      if (fof.count(v) == 0)
        ++bad_set;  // 2-hop candidates are friends of friends
    }
    if (options.max_two_hop == kUnlimited && two_hop != fof) ++bad_set;
    if (two_hop.size() != std::min<size_t>(fof.size(), options.max_two_hop))
      ++bad_set;

    for (int64_t r = 0; r < x.rows(); ++r) {
      const UserId v = x.candidates[r];
      const testing::LinkCounts want = BruteForceLinkCounts(contacts, u, v);
      if (x.values(r, kCommonNeighbors) != static_cast<float>(want.common))
        ++bad_counts;
      if (std::abs(x.values(r, kAdamicAdar) - want.adamic_adar) >
          1e-5 * (1 + want.adamic_adar)) {
        ++bad_counts;
      }
      if (std::abs(x.values(r, kJaccard) - want.jaccard) > 1e-6) ++bad_counts;
      if (x.values(r, kCandidateDegree) !=
          static_cast<float>(contacts.at(v).size())) {
        ++bad_flags;
      }
      // Arc features of 1-hop candidates come from the arcs; 2-hop ones have
      // none.
      const NodeId a = *g.FindNode(u), b = *g.FindNode(v);
      if (direct.count(v)) {
        const ArcInfo forward = *g.FindArc(a, b), backward = *g.FindArc(b, a);
        if (x.values(r, kTieStrength) != forward.tie_strength ||
            x.values(r, kReverseTieStrength) != backward.tie_strength ||
            x.values(r, kIsFriend) != (forward.is_friend ? 1.0f : 0.0f) ||
            x.values(r, kDaysSinceLastInteraction) !=
                std::min(forward.days_since_last_interaction,
                         backward.days_since_last_interaction)) {
          ++bad_flags;
        }
        for (int c = 0; c < kNumChannels; ++c) {
          if (x.values(r, kChatWeight + c) != forward.channel_weight[c])
            ++bad_flags;
        }
      } else if (x.values(r, kTieStrength) != 0 ||
                 x.values(r, kIsFriend) != 0 ||
                 x.values(r, kDaysSinceLastInteraction) != kNeverDays) {
        ++bad_flags;
      }
      ++checked;
    }
  }
  CHECK(bad_set == 0);
  CHECK(bad_order == 0);
  CHECK(bad_counts == 0);
  CHECK(bad_flags == 0);
  return checked;
}

TEST_CASE("link features equal the brute-force oracle for all candidates",
          "[recommend][features]") {
  for (uint64_t seed : {1, 2, 3}) {
    CAPTURE(seed);
    const RandomEvents e = MakeRandomEvents({.num_users = 70, .seed = seed});
    const SocialGraph g = Unwrap(testing::BuildGraph(e));
    const ContactSets contacts = ContactsOf(e);
    const int64_t checked = CheckAllInviters(
        g, contacts, {.max_two_hop = kUnlimited, .hub_degree_cap = 1000});
    CHECK(checked > 1000);
  }
}

TEST_CASE("skipped hubs keep link features exact", "[recommend][features]") {
  const RandomEvents e = MakeRandomEvents({.num_users = 70, .seed = 7});
  const SocialGraph g = Unwrap(testing::BuildGraph(e));
  const ContactSets contacts = ContactsOf(e);
  // Make sure the cap really skips contacts for many inviters.
  int64_t max_degree = 0;
  for (const auto& [u, c] : contacts) {
    max_degree = std::max<int64_t>(max_degree, static_cast<int64_t>(c.size()));
  }
  for (int cap : {0, 3, 8}) {
    CAPTURE(cap);
    REQUIRE(cap < max_degree);
    CheckAllInviters(g, contacts,
                     {.max_two_hop = kUnlimited, .hub_degree_cap = cap});
  }
}

TEST_CASE("max_two_hop keeps the best friends of friends by Adamic-Adar",
          "[recommend][features]") {
  const RandomEvents e = MakeRandomEvents({.num_users = 80, .seed = 5});
  const SocialGraph g = Unwrap(testing::BuildGraph(e));
  const ContactSets contacts = ContactsOf(e);
  const CandidateOptions options{.max_two_hop = 4, .hub_degree_cap = 1000};
  CheckAllInviters(g, contacts, options);
  const Recommender rec = Unwrap(Recommender::Create(
      g, RecommenderConfig{.scoring = {.candidates = options}}));
  int truncated = 0, bad = 0;
  for (const auto& [u, direct] : contacts) {
    const std::set<UserId> fof = FriendsOfFriends(contacts, u);
    if (fof.size() <= 4) continue;
    ++truncated;
    const FeatureMatrix x = Unwrap(rec.Features(u, Campaign{}));
    std::set<UserId> kept;
    double worst_kept = std::numeric_limits<double>::infinity();
    for (int64_t r = 0; r < x.rows(); ++r) {
      if (x.values(r, kIsTwoHop) != 1.0f) continue;
      kept.insert(x.candidates[r]);
      worst_kept = std::min(
          worst_kept,
          BruteForceLinkCounts(contacts, u, x.candidates[r]).adamic_adar);
    }
    for (UserId v : fof) {
      if (kept.count(v)) continue;
      if (BruteForceLinkCounts(contacts, u, v).adamic_adar > worst_kept + 1e-5)
        ++bad;
    }
  }
  CHECK(truncated > 10);
  CHECK(bad == 0);
}

TEST_CASE("FindCandidates matches the recommender's candidates",
          "[recommend][features]") {
  const RandomEvents e = MakeRandomEvents({.num_users = 50, .seed = 9});
  const SocialGraph g = Unwrap(testing::BuildGraph(e));
  const ContactSets contacts = ContactsOf(e);
  const Recommender rec = Unwrap(Recommender::Create(g));
  int bad = 0;
  for (const auto& [u, direct] : contacts) {
    const NodeId n = *g.FindNode(u);
    const std::vector<NodeId> found = FindCandidates(g, n, CandidateOptions{});
    const FeatureMatrix x = Unwrap(rec.Features(u, Campaign{}));
    std::vector<UserId> as_users;
    for (NodeId v : found) as_users.push_back(g.user_id(v));
    if (as_users != x.candidates) ++bad;
    // Without 2-hop candidates: exactly the contacts, in NodeId order.
    const std::vector<NodeId> one_hop =
        FindCandidates(g, n, CandidateOptions{.include_two_hop = false});
    if (one_hop !=
        std::vector<NodeId>(g.neighbors(n).begin(), g.neighbors(n).end()))
      ++bad;
    const std::vector<NodeId> none =
        FindCandidates(g, n, CandidateOptions{.max_two_hop = 0});
    if (none != one_hop) ++bad;
  }
  CHECK(bad == 0);
}

// Share of `user`'s decayed purchases (half-life 30 days) that are in
// `category`.
double OracleCategoryShare(const RandomEvents& e, UserId user,
                           CategoryId category) {
  double in_category = 0, total = 0;
  for (size_t i = 0; i < e.purchase_user.size(); ++i) {
    if (e.purchase_user[i] != user) continue;
    const double w =
        std::exp2(-static_cast<double>(testing::kAsOf - e.purchase_ts[i]) /
                  (30.0 * testing::kDay));
    total += w;
    if (e.purchase_category[i] == category) in_category += w;
  }
  return total > 0 ? in_category / total : 0.0;
}

TEST_CASE("campaign features follow the candidates' purchases",
          "[recommend][features]") {
  RandomEvents e = MakeRandomEvents({.num_users = 60, .seed = 4});
  // Every item gets a category here; uncategorised purchases are covered (as a
  // known bug) in decay_test.cc.
  for (size_t i = 0; i < e.purchase_item.size(); ++i) {
    e.purchase_category[i] = e.purchase_item[i] % 3;
  }
  const SocialGraph g = Unwrap(testing::BuildGraph(e));
  const Recommender rec = Unwrap(Recommender::Create(g));
  const UserId inviter = testing::RandomUserId(0);  // the most connected user
  struct Case {
    Campaign campaign;
    CategoryId category;  // expected effective category
  };
  const std::vector<Case> cases = {
      {{.item = 701}, 701 % 3},
      {{.item = 705}, 705 % 3},
      {{.item = 701, .category = 0},
       0},  // an explicit category overrides the item's
      {{.item = 999}, kNoCategory},  // unknown item: no category
      {{.item = 999, .category = 1}, 1},
      {{.item = 701, .category = 77}, kNoCategory},  // unknown category
  };
  for (const Case& c : cases) {
    CAPTURE(c.campaign.item, c.campaign.category);
    std::set<UserId> buyers;
    for (size_t i = 0; i < e.purchase_user.size(); ++i) {
      if (e.purchase_item[i] == c.campaign.item)
        buyers.insert(e.purchase_user[i]);
    }
    const FeatureMatrix x = Unwrap(rec.Features(inviter, c.campaign));
    REQUIRE(x.rows() > 10);
    int bad_bought = 0, bad_affinity = 0, bad_profile = 0, bought = 0;
    for (int64_t r = 0; r < x.rows(); ++r) {
      const UserId v = x.candidates[r];
      const NodeId n = *g.FindNode(v);
      bought += buyers.count(v) > 0;
      if ((x.values(r, kCandidateBoughtItem) == 1.0f) !=
          (buyers.count(v) > 0)) {
        ++bad_bought;
      }
      const double share = c.category == kNoCategory
                               ? 0.0
                               : OracleCategoryShare(e, v, c.category);
      if (std::abs(x.values(r, kCandidateCategoryAffinity) - share) > 1e-5) {
        ++bad_affinity;
      }
      const UserProfile p = g.profile(n);
      if (x.values(r, kCandidateActivity7d) != p.activity_7d ||
          x.values(r, kCandidateActivity30d) != p.activity_30d ||
          x.values(r, kCandidateJoinRate) != p.join_rate ||
          x.values(r, kCandidateIsNew) != (p.is_new ? 1.0f : 0.0f)) {
        ++bad_profile;
      }
    }
    CHECK(bad_bought == 0);
    CHECK(bad_affinity == 0);
    CHECK(bad_profile == 0);
    if (c.campaign.item != 999) CHECK(bought > 0);
  }
}

TEST_CASE("purchase and feedback features equal the brute-force oracle",
          "[recommend][features][feedback]") {
  const RandomEvents e = MakeRandomEvents({.num_users = 70, .seed = 12});
  const SocialGraph g = Unwrap(testing::BuildGraph(e));
  const ContactSets contacts = ContactsOf(e);
  const Recommender rec = Unwrap(Recommender::Create(
      g, RecommenderConfig{
             .scoring = {.candidates = {.max_two_hop = kUnlimited}}}));

  // Random outcomes over known and unknown users, recorded in three batches
  // with timestamps out of order and partly after as_of.
  std::mt19937_64 rng(3);
  std::vector<UserId> users;
  for (const auto& [u, c] : contacts) users.push_back(u);
  testing::OutcomeRows rows;
  for (int i = 0; i < 600; ++i) {
    const UserId from = users[rng() % users.size()];
    UserId to = users[rng() % users.size()];
    if (to == from) to = 777777;  // outside the graph
    const Timestamp ts = testing::kAsOf -
                         static_cast<Timestamp>(rng() % (30 * testing::kDay)) +
                         (i > 400 ? 2 * testing::kDay : 0);
    rows.Add(from, to, 700, ts, static_cast<Outcome>(rng() % kNumOutcomes));
  }
  for (size_t b : {0, 150, 400}) {
    const size_t end = b == 0 ? 150 : b == 150 ? 400 : 600;
    RequireOk(rec.RecordOutcomes(rows.batch(b, end)).status());
  }

  int64_t checked = 0, similar = 0;
  int bad_similarity = 0, bad_purchases = 0, bad_accept = 0, bad_fatigue = 0;
  for (const auto& [u, direct] : contacts) {
    const FeatureMatrix x = Unwrap(rec.Features(u, Campaign{.item = 701}));
    const auto items_u = testing::ItemVector(e, u);
    for (int64_t r = 0; r < x.rows(); ++r) {
      const UserId v = x.candidates[r];
      const auto items_v = testing::ItemVector(e, v);
      const double cosine = testing::Cosine(items_u, items_v);
      similar += cosine > 0;
      if (std::abs(x.values(r, kItemSimilarity) - cosine) > 1e-5)
        ++bad_similarity;
      const double total = testing::Total(items_v);
      if (std::abs(x.values(r, kCandidatePurchases) - total) >
          1e-5 * (1 + total)) {
        ++bad_purchases;
      }
      const testing::OracleFeedback f =
          testing::BruteForceFeedback(rows, v, testing::kAsOf);
      if (std::abs(x.values(r, kCandidateAcceptRate) - f.accept_rate) > 1e-6)
        ++bad_accept;
      if (std::abs(x.values(r, kCandidateFatigue) - f.fatigue) >
          1e-5 * (1 + f.fatigue)) {
        ++bad_fatigue;
      }
      ++checked;
    }
  }
  CHECK(checked > 1000);
  CHECK(similar > 50);
  CHECK(bad_similarity == 0);
  CHECK(bad_purchases == 0);
  CHECK(bad_accept == 0);
  CHECK(bad_fatigue == 0);
  // The unknown invitee's rows were kept aside, not lost.
  const testing::OracleFeedback aside =
      testing::BruteForceFeedback(rows, 777777, testing::kAsOf);
  const RecipientFeedback got = rec.FeedbackFor(777777);
  CHECK_FALSE(got.in_graph);
  CHECK(got.successes == aside.successes);
  CHECK(got.failures == aside.failures);
  CHECK(got.fatigue == Approx(aside.fatigue).epsilon(1e-9));
}

TEST_CASE("item similarity of identical and disjoint baskets",
          "[recommend][features]") {
  // 1 and 2 bought the same items at the same times, 3 bought others, 4
  // bought nothing.
  GraphBuilder b;
  const std::vector<UserId> src = {1, 1, 1}, dst = {2, 3, 4};
  RequireOk(b.AddFriendships({.src = src, .dst = dst}));
  const std::vector<UserId> user = {1, 1, 2, 2, 3};
  const std::vector<ItemId> item = {10, 11, 10, 11, 12};
  const std::vector<Timestamp> ts = {
      testing::kAsOf, testing::kAsOf - 30 * testing::kDay, testing::kAsOf,
      testing::kAsOf - 30 * testing::kDay, testing::kAsOf};
  RequireOk(b.AddPurchases({.user = user, .item = item, .ts = ts}));
  const SocialGraph g = Unwrap(b.Build(testing::AsOf(testing::kAsOf)));
  const FeatureMatrix x =
      Unwrap(Unwrap(Recommender::Create(g)).Features(1, Campaign{}));
  REQUIRE(x.candidates == std::vector<UserId>{2, 3, 4});
  CHECK(x.values(0, kItemSimilarity) == Approx(1.0));
  CHECK(x.values(1, kItemSimilarity) == 0);
  CHECK(x.values(2, kItemSimilarity) == 0);
  CHECK(x.values(0, kCandidatePurchases) == Approx(1.5));  // 1 + 2^-1
  CHECK(x.values(1, kCandidatePurchases) == Approx(1.0));
  CHECK(x.values(2, kCandidatePurchases) == 0);
}

TEST_CASE("feature names and indices agree", "[recommend][features]") {
  const auto names = FeatureNames();
  REQUIRE(static_cast<int>(names.size()) == kNumFeatures);
  for (int f = 0; f < kNumFeatures; ++f)
    CHECK(Unwrap(FeatureIndex(names[f])) == f);
  CHECK(Unwrap(FeatureIndex("adamic_adar")) == kAdamicAdar);
  CHECK(Unwrap(FeatureIndex("candidate_degree")) == kCandidateDegree);
  CHECK(names[kItemSimilarity] == "item_similarity");
  CHECK(names[kCandidatePurchases] == "candidate_purchases");
  CHECK(names[kCandidateAcceptRate] == "candidate_accept_rate");
  CHECK(names[kCandidateFatigue] == "candidate_fatigue");
  CHECK(names[kCandidateSuspicion] == "candidate_suspicion");
  CHECK(names[kCandidateReputation] == "candidate_reputation");
  CHECK(names[kSameRegion] == "same_region");
  CHECK(names[kSameAgeBand] == "same_age_band");
  CHECK(names[kTagOverlap] == "tag_overlap");
  CHECK(names[kCategoryTagMatch] == "category_tag_match");
  // Influence features.
  CHECK(names[kCandidatePagerank] == "candidate_pagerank");
  CHECK(names[kCandidateCoreNumber] == "candidate_core_number");
  CHECK(names[kCandidateClustering] == "candidate_clustering");
  CHECK(kNumFeatures == 37);
  CHECK(names[kChatWeight + static_cast<int>(Channel::kTeamJoin)] ==
        "team_join_weight");
  testing::CheckError(FeatureIndex("adamic").status(),
                      absl::StatusCode::kInvalidArgument,
                      {"adamic", "adamic_adar", "jaccard", "tie_strength"});
  CHECK(std::set<std::string>(names.begin(), names.end()).size() ==
        names.size());
}

}  // namespace
}  // namespace invitegraph
