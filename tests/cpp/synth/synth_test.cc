#include "invitegraph/synth.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace invitegraph::synth {
namespace {

// Exclusive upper bound of all event times.
Timestamp EndOf(const Options& o) {
  return o.start + static_cast<Timestamp>(std::ceil(o.days * kSecondsPerDay));
}

bool ValidUser(UserId u, const Options& o) { return u >= 0 && u < o.n_users; }

bool ValidOffsets(const std::vector<int64_t>& offsets, size_t rows,
                  size_t values) {
  if (offsets.size() != rows + 1 || offsets.front() != 0) return false;
  for (size_t r = 0; r < rows; ++r) {
    if (offsets[r] > offsets[r + 1]) return false;
  }
  return offsets.back() == static_cast<int64_t>(values);
}

// Checks every structural invariant of a generated world; counts violations so
// that a failure reports which invariant broke rather than flooding the log.
void CheckInvariants(const World& w, const Options& o) {
  const Timestamp end = EndOf(o);
  const auto n = static_cast<size_t>(o.n_users);
  REQUIRE(w.n_categories == o.n_categories);

  // Hidden truth.
  REQUIRE(w.user_community.size() == n);
  REQUIRE(w.user_responsiveness.size() == n);
  REQUIRE(w.user_activity.size() == n);
  REQUIRE(w.user_interest.size() == n * o.n_categories);
  int bad_user = 0;
  for (size_t u = 0; u < n; ++u) {
    double total = 0.0;
    for (int j = 0; j < o.n_categories; ++j) {
      const float x = w.user_interest[u * o.n_categories + j];
      if (!(x >= 0.0f)) ++bad_user;
      total += x;
    }
    if (std::abs(total - 1.0) > 1e-4) ++bad_user;
    if (!(w.user_responsiveness[u] > 0.0f && w.user_responsiveness[u] < 1.0f))
      ++bad_user;
    if (!(w.user_activity[u] > 0.0f) || w.user_community[u] < 0) ++bad_user;
  }
  CHECK(bad_user == 0);
  REQUIRE(!w.item_category.empty());
  int bad_item = 0;
  for (CategoryId c : w.item_category) {
    if (c < 0 || c >= o.n_categories) ++bad_item;
  }
  CHECK(bad_item == 0);
  const auto n_items = static_cast<ItemId>(w.item_category.size());

  // Friendships: no self-loops, ids in range, positive ties, duplicates rare.
  REQUIRE(w.friend_dst.size() == w.friend_src.size());
  REQUIRE(w.friend_tie.size() == w.friend_src.size());
  std::set<std::pair<UserId, UserId>> pairs;
  int bad_friend = 0;
  for (size_t e = 0; e < w.friend_src.size(); ++e) {
    const UserId a = w.friend_src[e], b = w.friend_dst[e];
    if (a == b || !ValidUser(a, o) || !ValidUser(b, o)) ++bad_friend;
    if (!(w.friend_tie[e] > 0.0f) || !std::isfinite(w.friend_tie[e]))
      ++bad_friend;
    pairs.emplace(std::min(a, b), std::max(a, b));
  }
  CHECK(bad_friend == 0);
  CHECK(static_cast<double>(w.friend_src.size() - pairs.size()) <=
        0.01 * static_cast<double>(w.friend_src.size()));

  // Interactions: no self-loops, organic channels only, times in range.
  const size_t m = w.inter_src.size();
  REQUIRE(w.inter_dst.size() == m);
  REQUIRE(w.inter_kind.size() == m);
  REQUIRE(w.inter_ts.size() == m);
  int bad_interaction = 0;
  for (size_t i = 0; i < m; ++i) {
    if (w.inter_src[i] == w.inter_dst[i]) ++bad_interaction;
    if (!ValidUser(w.inter_src[i], o) || !ValidUser(w.inter_dst[i], o))
      ++bad_interaction;
    if (w.inter_kind[i] == Channel::kTeamJoin ||
        w.inter_kind[i] == Channel::kInviteAccepted ||
        static_cast<int>(w.inter_kind[i]) >= kNumChannels) {
      ++bad_interaction;
    }
    if (w.inter_ts[i] < o.start || w.inter_ts[i] >= end) ++bad_interaction;
  }
  CHECK(bad_interaction == 0);

  // Purchases.
  const size_t p = w.purchase_user.size();
  REQUIRE(w.purchase_item.size() == p);
  REQUIRE(w.purchase_category.size() == p);
  REQUIRE(w.purchase_amount.size() == p);
  REQUIRE(w.purchase_ts.size() == p);
  int bad_purchase = 0;
  for (size_t i = 0; i < p; ++i) {
    if (!ValidUser(w.purchase_user[i], o)) ++bad_purchase;
    if (w.purchase_item[i] < 0 || w.purchase_item[i] >= n_items) {
      ++bad_purchase;
      continue;
    }
    if (w.item_category[w.purchase_item[i]] != w.purchase_category[i])
      ++bad_purchase;
    if (!(w.purchase_amount[i] > 0.0) || !std::isfinite(w.purchase_amount[i])) {
      ++bad_purchase;
    }
    if (w.purchase_ts[i] < o.start || w.purchase_ts[i] >= end) ++bad_purchase;
  }
  CHECK(bad_purchase == 0);

  // Campaigns: offsets layout, joined within invited, invitees are distinct
  // friends.
  const size_t c = w.campaign_inviter.size();
  REQUIRE(w.campaign_item.size() == c);
  REQUIRE(w.campaign_category.size() == c);
  REQUIRE(w.campaign_ts.size() == c);
  REQUIRE(ValidOffsets(w.invited_offsets, c, w.invited.size()));
  REQUIRE(ValidOffsets(w.joined_offsets, c, w.joined.size()));
  int bad_campaign = 0;
  for (size_t j = 0; j < c; ++j) {
    const UserId inviter = w.campaign_inviter[j];
    if (!ValidUser(inviter, o)) ++bad_campaign;
    if (w.campaign_item[j] < 0 || w.campaign_item[j] >= n_items ||
        w.item_category[w.campaign_item[j]] != w.campaign_category[j]) {
      ++bad_campaign;
    }
    if (w.campaign_ts[j] < o.start || w.campaign_ts[j] >= end) ++bad_campaign;
    std::set<UserId> invited;
    for (int64_t k = w.invited_offsets[j]; k < w.invited_offsets[j + 1]; ++k) {
      const UserId v = w.invited[k];
      if (v == inviter || !ValidUser(v, o) || !invited.insert(v).second)
        ++bad_campaign;
      if (!pairs.count({std::min(v, inviter), std::max(v, inviter)}))
        ++bad_campaign;
    }
    std::set<UserId> joined;
    for (int64_t k = w.joined_offsets[j]; k < w.joined_offsets[j + 1]; ++k) {
      if (!invited.count(w.joined[k]) || !joined.insert(w.joined[k]).second) {
        ++bad_campaign;
      }
    }
  }
  CHECK(bad_campaign == 0);
}

bool SameWorld(const World& a, const World& b) {
  return a.friend_src == b.friend_src && a.friend_dst == b.friend_dst &&
         a.friend_tie == b.friend_tie && a.inter_src == b.inter_src &&
         a.inter_dst == b.inter_dst && a.inter_kind == b.inter_kind &&
         a.inter_ts == b.inter_ts && a.purchase_user == b.purchase_user &&
         a.purchase_item == b.purchase_item &&
         a.purchase_category == b.purchase_category &&
         a.purchase_amount == b.purchase_amount &&
         a.purchase_ts == b.purchase_ts &&
         a.campaign_inviter == b.campaign_inviter &&
         a.campaign_item == b.campaign_item &&
         a.campaign_category == b.campaign_category &&
         a.campaign_ts == b.campaign_ts &&
         a.joined_offsets == b.joined_offsets &&
         a.invited_offsets == b.invited_offsets && a.joined == b.joined &&
         a.invited == b.invited && a.user_community == b.user_community &&
         a.user_responsiveness == b.user_responsiveness &&
         a.user_activity == b.user_activity &&
         a.item_category == b.item_category &&
         a.user_interest == b.user_interest && a.n_categories == b.n_categories;
}

TEST_CASE("Generate satisfies the world invariants", "[synth]") {
  Options o;
  o.n_users = 5'000;
  o.seed = 11;
  absl::StatusOr<World> w = Generate(o);
  REQUIRE(w.ok());
  CheckInvariants(*w, o);

  SECTION("sizes follow the options") {
    const double mean_degree =
        2.0 * static_cast<double>(w->friend_src.size()) / 5'000;
    CHECK(mean_degree > 0.85 * 2 * o.avg_friends);
    CHECK(mean_degree < 1.05 * 2 * o.avg_friends);
    const double per_friend = static_cast<double>(w->inter_src.size()) /
                              static_cast<double>(w->friend_src.size());
    CHECK(per_friend == Approx(o.interactions_per_friend).epsilon(0.1));
    CHECK(static_cast<double>(w->purchase_user.size()) / 5'000 ==
          Approx(o.purchases_per_user).epsilon(0.1));
    CHECK(w->campaign_inviter.size() == 500);
    CHECK(w->item_category.size() >= 100);
  }
  SECTION("most friendships are inside a community") {
    size_t intra = 0;
    for (size_t e = 0; e < w->friend_src.size(); ++e) {
      intra += w->user_community[w->friend_src[e]] ==
               w->user_community[w->friend_dst[e]];
    }
    const double share =
        static_cast<double>(intra) / static_cast<double>(w->friend_src.size());
    CHECK(share > 0.7);
    CHECK(share < 0.9);
  }
  SECTION("chat is the most common channel") {
    std::vector<int64_t> per_channel(kNumChannels, 0);
    for (Channel k : w->inter_kind) ++per_channel[static_cast<int>(k)];
    for (int k = 1; k < kNumChannels; ++k) {
      CHECK(per_channel[static_cast<int>(Channel::kChat)] > per_channel[k]);
    }
  }
  SECTION("join rate is in the calibrated range") {
    REQUIRE(!w->invited.empty());
    const double rate = static_cast<double>(w->joined.size()) /
                        static_cast<double>(w->invited.size());
    CHECK(rate > 0.15);
    CHECK(rate < 0.25);
  }
}

TEST_CASE("Generate works on tiny and sparse worlds", "[synth]") {
  for (int64_t n : {2, 3, 17}) {
    Options o;
    o.n_users = n;
    o.n_categories = 3;
    o.campaigns_per_user = 1.0;
    absl::StatusOr<World> w = Generate(o);
    REQUIRE(w.ok());
    CheckInvariants(*w, o);
  }
  Options o;
  o.n_users = 100;
  o.avg_friends = 0.0;
  o.purchases_per_user = 0.0;
  o.days = 0.5;
  absl::StatusOr<World> w = Generate(o);
  REQUIRE(w.ok());
  CheckInvariants(*w, o);
  CHECK(w->friend_src.empty());
  CHECK(w->inter_src.empty());
  CHECK(w->purchase_user.empty());
  CHECK(w->invited.empty());
}

TEST_CASE("Generate is deterministic across thread counts and seed sensitive",
          "[synth]") {
  Options o;
  o.n_users = 5'000;
  o.seed = 3;
  o.num_threads = 1;
  absl::StatusOr<World> one = Generate(o);
  o.num_threads = 3;
  absl::StatusOr<World> three = Generate(o);
  REQUIRE(one.ok());
  REQUIRE(three.ok());
  CHECK(SameWorld(*one, *three));

  o.seed = 4;
  absl::StatusOr<World> other = Generate(o);
  REQUIRE(other.ok());
  CHECK(!SameWorld(*one, *other));
  CHECK(one->friend_dst != other->friend_dst);
  CHECK(one->inter_ts != other->inter_ts);
  CHECK(one->user_community != other->user_community);
  CHECK(one->invited != other->invited);
}

TEST_CASE("Generate reports progress up to the total", "[synth]") {
  Options o;
  o.n_users = 5'000;
  int64_t last = -1, total = -1, calls = 0;
  bool monotone = true;
  o.progress = [&](int64_t done, int64_t all) {
    monotone = monotone && done >= last && done <= all;
    last = done;
    total = all;
    ++calls;
  };
  REQUIRE(Generate(o).ok());
  CHECK(monotone);
  CHECK(calls > 0);
  CHECK(calls <= 200);
  CHECK(last == total);
}

TEST_CASE("Generate rejects invalid options", "[synth]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  struct Case {
    std::string option;
    Options options;
  };
  std::vector<Case> cases;
  auto add = [&](std::string option, auto edit) {
    Options o;
    edit(o);
    cases.push_back({std::move(option), std::move(o)});
  };
  add("n_users", [](Options& o) { o.n_users = 1; });
  add("n_users", [](Options& o) { o.n_users = -5; });
  add("avg_friends", [](Options& o) { o.avg_friends = -1.0; });
  add("avg_friends", [&](Options& o) { o.avg_friends = nan; });
  add("n_communities", [](Options& o) { o.n_communities = -1; });
  add("n_categories", [](Options& o) { o.n_categories = 0; });
  add("n_items", [](Options& o) { o.n_items = -1; });
  add("n_items",
      [](Options& o) { o.n_items = 5; });  // fewer than 20 categories
  add("interactions_per_friend",
      [](Options& o) { o.interactions_per_friend = -0.5; });
  add("purchases_per_user", [](Options& o) { o.purchases_per_user = -1.0; });
  add("campaigns_per_user", [&](Options& o) { o.campaigns_per_user = nan; });
  add("days", [](Options& o) { o.days = 0.0; });
  add("days", [](Options& o) { o.days = -3.0; });
  add("num_threads", [](Options& o) { o.num_threads = -2; });
  for (const Case& c : cases) {
    INFO("option " << c.option);
    absl::StatusOr<World> w = Generate(c.options);
    REQUIRE(!w.ok());
    CHECK(w.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(w.status().message()).find(c.option + "=") !=
          std::string::npos);
  }
}

TEST_CASE("Joiners have stronger hidden ties than invitees who did not join",
          "[synth]") {
  Options o;
  o.n_users = 5'000;
  o.seed = 5;
  o.campaigns_per_user = 0.5;
  absl::StatusOr<World> w = Generate(o);
  REQUIRE(w.ok());

  std::map<std::pair<UserId, UserId>, float> tie;
  for (size_t e = 0; e < w->friend_src.size(); ++e) {
    const UserId a = w->friend_src[e], b = w->friend_dst[e];
    tie[{std::min(a, b), std::max(a, b)}] = w->friend_tie[e];
  }
  double joined_sum = 0.0, missed_sum = 0.0;
  int64_t joined_count = 0, missed_count = 0;
  for (size_t j = 0; j < w->campaign_inviter.size(); ++j) {
    const UserId u = w->campaign_inviter[j];
    const std::set<UserId> joined(w->joined.begin() + w->joined_offsets[j],
                                  w->joined.begin() + w->joined_offsets[j + 1]);
    for (int64_t k = w->invited_offsets[j]; k < w->invited_offsets[j + 1];
         ++k) {
      const UserId v = w->invited[k];
      const auto it = tie.find({std::min(u, v), std::max(u, v)});
      REQUIRE(it != tie.end());
      if (joined.count(v)) {
        joined_sum += std::log(it->second);
        ++joined_count;
      } else {
        missed_sum += std::log(it->second);
        ++missed_count;
      }
    }
  }
  REQUIRE(joined_count > 100);
  REQUIRE(missed_count > 100);
  // With a unit coefficient on log(tie) the gap is large; 0.2 leaves ample
  // margin.
  CHECK(joined_sum / joined_count > missed_sum / missed_count + 0.2);
}

}  // namespace
}  // namespace invitegraph::synth
