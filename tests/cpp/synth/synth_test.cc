#include "invitegraph/synth.h"

#include <algorithm>
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
  REQUIRE(w.user_abuse.size() == n);
  REQUIRE(w.user_abuse_group.size() == n);
  int bad_user = 0;
  for (size_t u = 0; u < n; ++u) {
    if (w.user_abuse[u] != static_cast<uint8_t>(AbuseKind::kHonest)) {
      // Planted: no community, no interest, the documented constants.
      if (w.user_community[u] != -1 || w.user_abuse_group[u] < 0) ++bad_user;
      for (int j = 0; j < o.n_categories; ++j) {
        if (w.user_interest[u * o.n_categories + j] != 0.0f) ++bad_user;
      }
      if (w.user_responsiveness[u] != 1e-4f || w.user_activity[u] != 1.0f)
        ++bad_user;
      continue;
    }
    if (w.user_abuse_group[u] != -1) ++bad_user;
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
         a.user_interest == b.user_interest &&
         a.n_categories == b.n_categories && a.user_abuse == b.user_abuse &&
         a.user_abuse_group == b.user_abuse_group &&
         a.ring_beneficiary == b.ring_beneficiary &&
         a.lockstep_target_offsets == b.lockstep_target_offsets &&
         a.lockstep_targets == b.lockstep_targets &&
         a.invited_join_prob == b.invited_join_prob;
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
  add("abuse.ring_prevalence",
      [](Options& o) { o.abuse.ring_prevalence = -0.1; });
  add("abuse.ring_prevalence",
      [](Options& o) { o.abuse.ring_prevalence = 1.0; });
  add("abuse.ring_prevalence",
      [&](Options& o) { o.abuse.ring_prevalence = nan; });
  add("abuse.ring_prevalence", [](Options& o) {
    o.abuse.ring_prevalence = 0.6;
    o.abuse.lockstep_prevalence = 0.5;
  });
  add("abuse.ring_size_min", [](Options& o) { o.abuse.ring_size_min = 2; });
  add("abuse.ring_size_max", [](Options& o) { o.abuse.ring_size_max = 3; });
  add("abuse.ring_size_max", [](Options& o) { o.abuse.ring_size_max = 5000; });
  add("abuse.ring_assists_per_pair",
      [](Options& o) { o.abuse.ring_assists_per_pair = -1.0; });
  add("abuse.ring_camouflage_friends",
      [](Options& o) { o.abuse.ring_camouflage_friends = -1; });
  add("abuse.ring_purchase_share",
      [](Options& o) { o.abuse.ring_purchase_share = 1.5; });
  add("abuse.lockstep_prevalence",
      [](Options& o) { o.abuse.lockstep_prevalence = -0.01; });
  add("abuse.lockstep_group_min",
      [](Options& o) { o.abuse.lockstep_group_min = 1; });
  add("abuse.lockstep_group_max",
      [](Options& o) { o.abuse.lockstep_group_max = 7; });
  add("abuse.lockstep_targets_min",
      [](Options& o) { o.abuse.lockstep_targets_min = 0; });
  add("abuse.lockstep_targets_max",
      [](Options& o) { o.abuse.lockstep_targets_max = 9; });
  add("abuse.lockstep_window_seconds",
      [](Options& o) { o.abuse.lockstep_window_seconds = 0; });
  add("abuse.fresh_days", [](Options& o) { o.abuse.fresh_days = 0.0; });
  add("abuse.fresh_days", [&](Options& o) { o.abuse.fresh_days = nan; });
  // One ring of 9 in 10 users leaves a single honest user.
  add("abuse.ring_prevalence", [](Options& o) {
    o.n_users = 10;
    o.abuse.ring_prevalence = 0.9;
  });
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

// ---------------------------------------------------------------------------
// Planted abuse.

bool IsPlanted(const World& w, UserId u) {
  return w.user_abuse[u] != static_cast<uint8_t>(AbuseKind::kHonest);
}

int64_t CountKind(const World& w, AbuseKind kind) {
  return std::count(w.user_abuse.begin(), w.user_abuse.end(),
                    static_cast<uint8_t>(kind));
}

// Rows [begin, end) of `v`.
template <typename T>
std::vector<T> Rows(const std::vector<T>& v, size_t begin, size_t end) {
  return std::vector<T>(v.begin() + begin, v.begin() + end);
}

Options PlantedOptions() {
  Options o;
  o.n_users = 20'000;
  o.seed = 21;
  o.num_threads = 2;
  o.abuse.ring_prevalence = 0.01;
  o.abuse.lockstep_prevalence = 0.01;
  return o;
}

// Generated once: several cases inspect it.
const World& PlantedWorld() {
  static const World* const world = [] {
    absl::StatusOr<World> w = Generate(PlantedOptions());
    REQUIRE(w.ok());
    return new World(*std::move(w));
  }();
  return *world;
}

TEST_CASE("Default abuse options plant nothing and change nothing",
          "[synth][abuse]") {
  Options o;
  o.n_users = 3'000;
  o.seed = 9;
  absl::StatusOr<World> plain = Generate(o);
  REQUIRE(plain.ok());
  CheckInvariants(*plain, o);
  CHECK(std::all_of(plain->user_abuse.begin(), plain->user_abuse.end(),
                    [](uint8_t k) { return k == 0; }));
  CHECK(std::all_of(plain->user_abuse_group.begin(),
                    plain->user_abuse_group.end(),
                    [](int32_t g) { return g == -1; }));
  CHECK(plain->ring_beneficiary.empty());
  CHECK(plain->lockstep_target_offsets == std::vector<int64_t>{0});
  CHECK(plain->lockstep_targets.empty());

  SECTION("the other abuse fields do nothing at zero prevalence") {
    Options z = o;
    z.abuse.ring_size_min = 5;
    z.abuse.ring_assists_per_pair = 10;
    z.abuse.ring_purchase_share = 1;
    z.abuse.lockstep_group_min = 2;
    z.abuse.fresh_days = 1;
    absl::StatusOr<World> zeroed = Generate(z);
    REQUIRE(zeroed.ok());
    CHECK(SameWorld(*plain, *zeroed));
  }
  SECTION("a share too small for one whole ring plants nothing") {
    Options z = o;
    z.abuse.ring_prevalence = 1.0 / 3'000;  // 1 account < ring_size_min / 2
    absl::StatusOr<World> zeroed = Generate(z);
    REQUIRE(zeroed.ok());
    CHECK(SameWorld(*plain, *zeroed));
  }
}

TEST_CASE(
    "participations_in_purchases appends one purchase per participant and "
    "changes nothing else",
    "[synth]") {
  Options o;
  o.n_users = 3'000;
  o.seed = 4;
  o.abuse.ring_prevalence = 0.01;
  o.abuse.ring_purchase_share = 1;  // planted purchase rows follow
  const World plain = *Generate(o);
  o.participations_in_purchases = true;
  const absl::StatusOr<World> trap = Generate(o);
  REQUIRE(trap.ok());
  CheckInvariants(*trap, o);

  // Every table but purchases is the same world.
  World without = *trap;
  // The purchases: the interest-driven rows, then one per participant of
  // each honest campaign (inviter, then joiners, in campaign order), then
  // the planted rows.
  size_t honest = 0;
  while (honest < plain.purchase_user.size() &&
         plain.user_abuse[plain.purchase_user[honest]] == 0) {
    ++honest;
  }
  REQUIRE(honest < plain.purchase_user.size());  // planted rows exist
  size_t row = honest, participants = 0;
  bool all_match = true;
  for (size_t c = 0; c < plain.campaign_inviter.size(); ++c) {
    if (plain.user_abuse[plain.campaign_inviter[c]] != 0) continue;
    std::vector<UserId> members = {plain.campaign_inviter[c]};
    for (int64_t j = plain.joined_offsets[c]; j < plain.joined_offsets[c + 1];
         ++j) {
      members.push_back(plain.joined[j]);
    }
    for (UserId u : members) {
      ++participants;
      all_match = all_match && row < trap->purchase_user.size() &&
                  trap->purchase_user[row] == u &&
                  trap->purchase_item[row] == plain.campaign_item[c] &&
                  trap->purchase_category[row] == plain.campaign_category[c] &&
                  trap->purchase_ts[row] == plain.campaign_ts[c] &&
                  trap->purchase_amount[row] > 0;
      ++row;
    }
  }
  CHECK(participants > 100);
  CHECK(all_match);
  REQUIRE(trap->purchase_user.size() ==
          plain.purchase_user.size() + participants);
  // Remove the participation rows: the plain world, whole.
  const auto cut = [&](auto& column) {
    column.erase(column.begin() + honest,
                 column.begin() + honest + participants);
  };
  cut(without.purchase_user);
  cut(without.purchase_item);
  cut(without.purchase_category);
  cut(without.purchase_amount);
  cut(without.purchase_ts);
  CHECK(SameWorld(plain, without));
}

TEST_CASE("Planted abuse: prevalence, ids and truth", "[synth][abuse]") {
  const Options o = PlantedOptions();
  const World& w = PlantedWorld();
  CheckInvariants(w, o);
  const int64_t rings = CountKind(w, AbuseKind::kRing);
  const int64_t clickers = CountKind(w, AbuseKind::kLockstep);
  const int64_t n_honest = o.n_users - rings - clickers;
  INFO("ring members " << rings << ", clickers " << clickers);
  CHECK(std::abs(rings - 200) <= 2);
  CHECK(std::abs(clickers - 200) <= 4);

  // Honest ids first, then rings, then clicker groups, each block contiguous
  // and numbered from 0 in id order.
  std::vector<int64_t> ring_sizes, group_sizes;
  for (UserId u = 0; u < o.n_users; ++u) {
    const auto kind = static_cast<AbuseKind>(w.user_abuse[u]);
    const int32_t g = w.user_abuse_group[u];
    if (u < n_honest) {
      REQUIRE(kind == AbuseKind::kHonest);
    } else if (u < n_honest + rings) {
      REQUIRE(kind == AbuseKind::kRing);
      if (g == static_cast<int32_t>(ring_sizes.size())) ring_sizes.push_back(0);
      REQUIRE(g == static_cast<int32_t>(ring_sizes.size()) - 1);
      ++ring_sizes.back();
    } else {
      REQUIRE(kind == AbuseKind::kLockstep);
      if (g == static_cast<int32_t>(group_sizes.size()))
        group_sizes.push_back(0);
      REQUIRE(g == static_cast<int32_t>(group_sizes.size()) - 1);
      ++group_sizes.back();
    }
  }
  for (int64_t s : ring_sizes) {
    CHECK(s >= o.abuse.ring_size_min);
    CHECK(s <= o.abuse.ring_size_max);
  }
  for (int64_t s : group_sizes) {
    CHECK(s >= o.abuse.lockstep_group_min);
    CHECK(s <= o.abuse.lockstep_group_max);
  }
  REQUIRE(w.ring_beneficiary.size() == ring_sizes.size());
  for (UserId b : w.ring_beneficiary) CHECK(b < n_honest);
  REQUIRE(ValidOffsets(w.lockstep_target_offsets, group_sizes.size(),
                       w.lockstep_targets.size()));
  for (size_t g = 0; g < group_sizes.size(); ++g) {
    const std::set<UserId> targets(
        w.lockstep_targets.begin() + w.lockstep_target_offsets[g],
        w.lockstep_targets.begin() + w.lockstep_target_offsets[g + 1]);
    const int64_t count =
        w.lockstep_target_offsets[g + 1] - w.lockstep_target_offsets[g];
    CHECK(static_cast<int64_t>(targets.size()) == count);  // distinct
    CHECK(count >= o.abuse.lockstep_targets_min);
    CHECK(count <= o.abuse.lockstep_targets_max);
    CHECK(*targets.rbegin() < n_honest);
  }

  SECTION("the honest part is the world of n_honest users") {
    Options h = o;
    h.n_users = n_honest;
    h.abuse = Abuse{};
    absl::StatusOr<World> honest = Generate(h);
    REQUIRE(honest.ok());
    const size_t f = honest->friend_src.size();
    const size_t i = honest->inter_src.size();
    REQUIRE(w.friend_src.size() > f);
    REQUIRE(w.inter_src.size() > i);
    CHECK(Rows(w.friend_src, 0, f) == honest->friend_src);
    CHECK(Rows(w.friend_dst, 0, f) == honest->friend_dst);
    CHECK(Rows(w.friend_tie, 0, f) == honest->friend_tie);
    CHECK(Rows(w.inter_src, 0, i) == honest->inter_src);
    CHECK(Rows(w.inter_dst, 0, i) == honest->inter_dst);
    CHECK(Rows(w.inter_kind, 0, i) == honest->inter_kind);
    CHECK(Rows(w.inter_ts, 0, i) == honest->inter_ts);
    CHECK(w.purchase_user == honest->purchase_user);
    CHECK(w.purchase_amount == honest->purchase_amount);
    CHECK(w.purchase_ts == honest->purchase_ts);
    CHECK(w.campaign_inviter == honest->campaign_inviter);
    CHECK(w.invited == honest->invited);
    CHECK(w.joined == honest->joined);
    CHECK(w.item_category == honest->item_category);
    CHECK(Rows(w.user_community, 0, n_honest) == honest->user_community);
    CHECK(Rows(w.user_activity, 0, n_honest) == honest->user_activity);
    CHECK(Rows(w.user_interest, 0, n_honest * o.n_categories) ==
          honest->user_interest);
    // Every planted row comes after the honest rows.
    for (size_t e = f; e < w.friend_src.size(); ++e) {
      REQUIRE(IsPlanted(w, w.friend_src[e]));
    }
    for (size_t e = i; e < w.inter_src.size(); ++e) {
      REQUIRE(IsPlanted(w, w.inter_src[e]));
    }
  }
  SECTION("planted accounts are in no campaign and buy nothing by default") {
    for (UserId u : w.campaign_inviter) CHECK(u < n_honest);
    for (UserId u : w.invited) CHECK(u < n_honest);
    for (UserId u : w.purchase_user) REQUIRE(u < n_honest);
  }
}

TEST_CASE("Planted rings are reciprocal assist cliques", "[synth][abuse]") {
  const Options o = PlantedOptions();
  const World& w = PlantedWorld();
  const Timestamp end = EndOf(o);
  const Timestamp fresh_begin =
      end - static_cast<Timestamp>(o.abuse.fresh_days * kSecondsPerDay);
  std::map<std::pair<UserId, UserId>, int> assists;
  int stale = 0, honest_to_planted = 0;
  for (size_t e = 0; e < w.inter_src.size(); ++e) {
    const UserId a = w.inter_src[e], b = w.inter_dst[e];
    if (IsPlanted(w, b) && !IsPlanted(w, a)) ++honest_to_planted;
    if (!IsPlanted(w, a)) continue;
    if (w.inter_ts[e] < fresh_begin || w.inter_ts[e] >= end) ++stale;
    if (w.inter_kind[e] == Channel::kAssist) ++assists[{a, b}];
  }
  CHECK(stale == 0);
  CHECK(honest_to_planted == 0);

  std::map<int32_t, std::vector<UserId>> members;
  for (UserId u = 0; u < o.n_users; ++u) {
    if (w.user_abuse[u] == static_cast<uint8_t>(AbuseKind::kRing)) {
      members[w.user_abuse_group[u]].push_back(u);
    }
  }
  REQUIRE(members.size() == w.ring_beneficiary.size());
  int missing = 0, unfarmed = 0;
  int64_t pair_assists = 0, pairs = 0;
  for (const auto& [ring, ids] : members) {
    const UserId beneficiary = w.ring_beneficiary[ring];
    for (UserId a : ids) {
      if (assists[{a, beneficiary}] < 2) ++unfarmed;
      for (UserId b : ids) {
        if (a == b) continue;
        const int count = assists[{a, b}];
        if (count < 1) ++missing;
        pair_assists += count;
        ++pairs;
      }
    }
  }
  CHECK(missing == 0);
  CHECK(unfarmed == 0);
  // max(1, Poisson(3)) has mean 3 + P(0) = 3.05.
  CHECK(static_cast<double>(pair_assists) / pairs == Approx(3.05).epsilon(0.1));

  // Camouflage: ring_camouflage_friends distinct honest friends per member,
  // each sent like/visit events; clickers declare no friendships.
  std::map<UserId, std::set<UserId>> friends;
  for (size_t e = 0; e < w.friend_src.size(); ++e) {
    const UserId a = w.friend_src[e], b = w.friend_dst[e];
    if (IsPlanted(w, b)) CHECK(false);
    if (!IsPlanted(w, a)) continue;
    CHECK(w.user_abuse[a] == static_cast<uint8_t>(AbuseKind::kRing));
    CHECK(friends[a].insert(b).second);
  }
  int wrong_friends = 0;
  for (const auto& [ring, ids] : members) {
    for (UserId a : ids) {
      if (static_cast<int>(friends[a].size()) !=
          o.abuse.ring_camouflage_friends)
        ++wrong_friends;
    }
  }
  CHECK(wrong_friends == 0);
}

TEST_CASE("Lockstep groups assist each target within one window",
          "[synth][abuse]") {
  const Options o = PlantedOptions();
  const World& w = PlantedWorld();
  // (group, target) -> times of the group's assists to it; and which clicker
  // assisted each target how often.
  std::map<std::pair<int32_t, UserId>, std::vector<Timestamp>> bursts;
  std::map<std::pair<UserId, UserId>, int> clicks;
  for (size_t e = 0; e < w.inter_src.size(); ++e) {
    const UserId c = w.inter_src[e];
    if (w.user_abuse[c] != static_cast<uint8_t>(AbuseKind::kLockstep) ||
        w.inter_kind[e] != Channel::kAssist) {
      continue;
    }
    bursts[{w.user_abuse_group[c], w.inter_dst[e]}].push_back(w.inter_ts[e]);
    ++clicks[{c, w.inter_dst[e]}];
  }
  const auto n_groups =
      static_cast<int32_t>(w.lockstep_target_offsets.size()) - 1;
  REQUIRE(n_groups > 0);
  size_t expected_bursts = 0;
  int wide = 0, empty = 0;
  for (int32_t g = 0; g < n_groups; ++g) {
    for (int64_t k = w.lockstep_target_offsets[g];
         k < w.lockstep_target_offsets[g + 1]; ++k) {
      ++expected_bursts;
      const auto it = bursts.find({g, w.lockstep_targets[k]});
      if (it == bursts.end()) {
        ++empty;
        continue;
      }
      const auto [lo, hi] =
          std::minmax_element(it->second.begin(), it->second.end());
      if (*hi - *lo >= o.abuse.lockstep_window_seconds) ++wide;
    }
  }
  CHECK(wide == 0);
  CHECK(empty == 0);  // P(no clicker of 8+ turns up) < 1e-8 per burst
  // Assists go only to the group's targets, once per clicker and target.
  CHECK(bursts.size() == expected_bursts);
  int repeated = 0;
  for (const auto& [pair, count] : clicks) repeated += count != 1;
  CHECK(repeated == 0);
  // About 90% of the clickers turn up for each burst.
  std::map<int32_t, int64_t> group_size;
  for (UserId u = 0; u < o.n_users; ++u) {
    if (w.user_abuse[u] == static_cast<uint8_t>(AbuseKind::kLockstep)) {
      ++group_size[w.user_abuse_group[u]];
    }
  }
  int64_t turnout = 0, possible = 0;
  for (const auto& [key, times] : bursts) {
    turnout += static_cast<int64_t>(times.size());
    possible += group_size[key.first];
  }
  REQUIRE(possible > 1000);
  CHECK(static_cast<double>(turnout) / possible == Approx(0.9).margin(0.03));
}

TEST_CASE("Planted abuse is deterministic across thread counts",
          "[synth][abuse]") {
  Options o;
  o.n_users = 5'000;
  o.seed = 8;
  o.abuse.ring_prevalence = 0.02;
  o.abuse.lockstep_prevalence = 0.03;
  o.abuse.ring_purchase_share = 0.5;
  o.num_threads = 1;
  absl::StatusOr<World> one = Generate(o);
  o.num_threads = 2;
  absl::StatusOr<World> two = Generate(o);
  REQUIRE(one.ok());
  REQUIRE(two.ok());
  CHECK(SameWorld(*one, *two));
  CHECK(CountKind(*one, AbuseKind::kRing) == 100);
  CHECK(CountKind(*one, AbuseKind::kLockstep) == 150);

  o.seed = 9;
  absl::StatusOr<World> other = Generate(o);
  REQUIRE(other.ok());
  CHECK(one->ring_beneficiary != other->ring_beneficiary);
  CHECK(one->lockstep_targets != other->lockstep_targets);
}

TEST_CASE("Ring members buy a little when ring_purchase_share asks",
          "[synth][abuse]") {
  Options o;
  o.n_users = 5'000;
  o.seed = 2;
  o.abuse.ring_prevalence = 0.04;
  o.abuse.ring_purchase_share = 0.5;
  absl::StatusOr<World> w = Generate(o);
  REQUIRE(w.ok());
  CheckInvariants(*w, o);
  const Timestamp fresh_begin =
      EndOf(o) - static_cast<Timestamp>(o.abuse.fresh_days * kSecondsPerDay);
  std::map<UserId, int> bought;
  int bad = 0;
  for (size_t i = 0; i < w->purchase_user.size(); ++i) {
    const UserId u = w->purchase_user[i];
    if (!IsPlanted(*w, u)) continue;
    ++bought[u];
    if (w->purchase_amount[i] < 1.0 || w->purchase_amount[i] > 5.0) ++bad;
    if (w->purchase_ts[i] < fresh_begin) ++bad;
  }
  CHECK(bad == 0);
  for (const auto& [u, count] : bought) {
    CHECK(w->user_abuse[u] == static_cast<uint8_t>(AbuseKind::kRing));
    CHECK(count >= 1);
    CHECK(count <= 2);
  }
  const int64_t members = CountKind(*w, AbuseKind::kRing);
  REQUIRE(members == 200);
  CHECK(static_cast<double>(bought.size()) / members ==
        Approx(0.5).margin(0.12));
}

TEST_CASE("Planting works in tiny worlds and odd time spans",
          "[synth][abuse]") {
  SECTION("more camouflage friends and targets than honest users") {
    Options o;
    o.n_users = 60;
    o.n_categories = 3;
    o.abuse.ring_prevalence = 0.1;      // one ring of 6
    o.abuse.lockstep_prevalence = 0.2;  // 12 clickers
    o.abuse.ring_camouflage_friends = 100;
    o.abuse.lockstep_targets_min = 100;
    o.abuse.lockstep_targets_max = 100;
    absl::StatusOr<World> w = Generate(o);
    REQUIRE(w.ok());
    CheckInvariants(*w, o);
    const int64_t n_honest = 60 - 6 - 12;
    CHECK(CountKind(*w, AbuseKind::kRing) == 6);
    CHECK(CountKind(*w, AbuseKind::kLockstep) == 12);
    CHECK(w->lockstep_targets.size() == static_cast<size_t>(n_honest));
  }
  SECTION("a fresh span shorter than the lockstep window") {
    Options o;
    o.n_users = 2'000;
    o.abuse.lockstep_prevalence = 0.02;
    o.abuse.ring_prevalence = 0.02;
    o.abuse.fresh_days = 100.0 / kSecondsPerDay;  // 100 s
    absl::StatusOr<World> w = Generate(o);
    REQUIRE(w.ok());
    CheckInvariants(*w, o);
    int stale = 0;
    for (size_t e = 0; e < w->inter_src.size(); ++e) {
      if (IsPlanted(*w, w->inter_src[e]) && w->inter_ts[e] < EndOf(o) - 100)
        ++stale;
    }
    CHECK(stale == 0);
  }
  SECTION("fresh_days beyond the span allows the whole span") {
    Options o;
    o.n_users = 2'000;
    o.days = 3.0;
    o.abuse.ring_prevalence = 0.05;
    o.abuse.fresh_days = 1000.0;
    absl::StatusOr<World> w = Generate(o);
    REQUIRE(w.ok());
    CheckInvariants(*w, o);
    Timestamp first = std::numeric_limits<Timestamp>::max();
    for (size_t e = 0; e < w->inter_src.size(); ++e) {
      if (IsPlanted(*w, w->inter_src[e]))
        first = std::min(first, w->inter_ts[e]);
    }
    CHECK(first < o.start + 86'400);
  }
}

}  // namespace
}  // namespace invitegraph::synth
