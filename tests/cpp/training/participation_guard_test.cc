// The participation guard (GraphConfig::participation_window_days): a
// purchase log that also holds every campaign participation
// (synth::Options::participations_in_purchases) builds the same graph, and
// the same training rows in both modes, as the world without those rows;
// with the guard off, the training rows of a past campaign see the very
// purchases that are its labels.
#include <algorithm>
#include <catch2/catch.hpp>
#include <vector>

#include "invitegraph/graph_builder.h"
#include "invitegraph/synth.h"
#include "invitegraph/training.h"
#include "testing/fixtures.h"

namespace invitegraph {
namespace {

using testing::Unwrap;

synth::World World(bool participations) {
  synth::Options o;
  o.n_users = 2'000;
  o.seed = 12;
  o.campaigns_per_user = 0.2;
  o.participations_in_purchases = participations;
  return Unwrap(synth::Generate(o));
}

SocialGraph Build(const synth::World& w, double window_days) {
  GraphConfig config;
  config.participation_window_days = window_days;
  GraphBuilder b(config);
  testing::RequireOk(b.AddFriendships(w.friendships()));
  testing::RequireOk(b.AddInteractions(w.interactions()));
  testing::RequireOk(b.AddPurchases(w.purchases()));
  testing::RequireOk(b.AddCampaigns(w.campaigns()));
  return Unwrap(b.Build(BuildOptions{.keep_events = true}));
}

int64_t Participants(const synth::World& w) {
  return static_cast<int64_t>(w.campaign_inviter.size() + w.joined.size());
}

// The history as training takes it, timed (as-of rebuilds) or not
// (leave-record-out folds).
CampaignBatch History(const synth::World& w, bool timed) {
  CampaignBatch h = w.campaigns();
  if (!timed) h.ts = {};
  return h;
}

void RequireSameRows(const TrainingSet& a, const TrainingSet& b) {
  REQUIRE(a.rows() == b.rows());
  CHECK(a.record == b.record);
  CHECK(a.candidate == b.candidate);
  CHECK(a.label == b.label);
  CHECK(a.weight == b.weight);
  int64_t differ = 0;
  for (int64_t i = 0; i < a.rows(); ++i) {
    for (int f = 0; f < kNumFeatures; ++f) differ += a.x(i, f) != b.x(i, f);
  }
  CHECK(differ == 0);
}

// The mean of candidate_bought_item over the positive rows.
double BoughtAmongJoiners(const TrainingSet& t) {
  double sum = 0, n = 0;
  for (int64_t i = 0; i < t.rows(); ++i) {
    if (t.label[i] != 1) continue;
    sum += t.x(i, kCandidateBoughtItem);
    ++n;
  }
  return n > 0 ? sum / n : 0;
}

TEST_CASE(
    "A purchase log holding the participations builds the world without "
    "them",
    "[training][participations]") {
  const synth::World clean = World(false), trap = World(true);
  REQUIRE(trap.purchase_user.size() ==
          clean.purchase_user.size() + Participants(clean));
  // A window of 0: only same-second matches, so that no interest-driven
  // purchase of the clean world is taken for a participation.
  const SocialGraph g_clean = Build(clean, 0), g_trap = Build(trap, 0);
  CHECK(g_clean.stats().purchases_matched == 0);
  CHECK(g_trap.stats().purchases_matched == Participants(clean));
  testing::CheckSameGraphByUser(g_clean, g_trap);

  for (const bool timed : {false, true}) {
    INFO((timed ? "as-of rebuilds" : "leave-record-out folds"));
    const TrainingSet t_clean =
        Unwrap(BuildTrainingSet(g_clean, History(clean, timed)));
    const TrainingSet t_trap =
        Unwrap(BuildTrainingSet(g_trap, History(trap, timed)));
    CHECK(t_trap.report.purchases_matched == Participants(clean));
    CHECK(t_clean.report.positives > 50);
    RequireSameRows(t_clean, t_trap);
  }
}

TEST_CASE("Without the guard a past campaign's rows see its own purchases",
          "[training][participations]") {
  const synth::World clean = World(false), trap = World(true);
  const SocialGraph g_clean = Build(clean, 0);
  const SocialGraph g_open = Build(trap, -1);  // the guard off
  CHECK(g_open.stats().purchases_matched == 0);
  // Leave-record-out: the campaign goes, its joiners' purchases stay.
  const TrainingSet t_clean =
      Unwrap(BuildTrainingSet(g_clean, History(clean, false)));
  const TrainingSet t_open =
      Unwrap(BuildTrainingSet(g_open, History(trap, false)));
  REQUIRE(t_clean.rows() == t_open.rows());
  const double clean_share = BoughtAmongJoiners(t_clean);
  const double open_share = BoughtAmongJoiners(t_open);
  INFO("candidate_bought_item among joiners: clean " << clean_share << ", open "
                                                     << open_share);
  // Every joiner "bought" the item in the leaky rows; few did otherwise.
  CHECK(open_share > 0.99);
  CHECK(clean_share < 0.5);
}

// The trap world's tables without its campaigns, minus the purchase rows in
// `drop`: what a shop gives build_graph when it keeps campaign history apart.
SocialGraph BuildWithoutCampaigns(const synth::World& w,
                                  const std::vector<uint8_t>& drop,
                                  double window_days, Timestamp as_of) {
  GraphConfig config;
  config.participation_window_days = window_days;
  GraphBuilder b(config);
  testing::RequireOk(b.AddFriendships(w.friendships()));
  testing::RequireOk(b.AddInteractions(w.interactions()));
  std::vector<UserId> user;
  std::vector<ItemId> item;
  std::vector<CategoryId> category;
  std::vector<Timestamp> ts;
  for (size_t i = 0; i < w.purchase_user.size(); ++i) {
    if (!drop.empty() && drop[i]) continue;
    user.push_back(w.purchase_user[i]);
    item.push_back(w.purchase_item[i]);
    category.push_back(w.purchase_category[i]);
    ts.push_back(w.purchase_ts[i]);
  }
  testing::RequireOk(b.AddPurchases(
      {.user = user, .item = item, .ts = ts, .category = category}));
  return Unwrap(b.Build(BuildOptions{.as_of = as_of, .keep_events = true}));
}

TEST_CASE(
    "A record the graph was not given takes its own participations out of "
    "its rows",
    "[training][participations]") {
  // The purchase log holds the participations, the campaigns are not staged:
  // each untimed record must claim them itself. Oracle, by brute force: for
  // each fold, the graph built without the rows its records claim (for each
  // participant, the latest row of the record's item not yet claimed), the
  // guard off; the fold's rows must equal that graph's rows.
  const synth::World trap = World(true);
  TrainingOptions options;
  options.folds = 3;
  const CampaignBatch history = History(trap, false);
  // One as_of for all, so that dropping the latest rows moves no decay.
  const Timestamp as_of = Build(trap, 0).as_of();
  const TrainingSet guarded = Unwrap(BuildTrainingSet(
      BuildWithoutCampaigns(trap, {}, 3.0, as_of), history, options));
  const size_t n = trap.campaign_inviter.size();
  std::vector<uint8_t> claimed;  // by any fold, each row once
  for (int fold = 0; fold < options.folds; ++fold) {
    std::vector<uint8_t> drop(trap.purchase_user.size(), 0);
    std::vector<int64_t> records;
    for (size_t r = 0; r < n; ++r) {
      if (TrainingFold(trap.campaign_inviter[r], trap.campaign_item[r],
                       options.seed, options.folds) != fold) {
        continue;
      }
      records.push_back(static_cast<int64_t>(r));
      std::vector<UserId> members = {trap.campaign_inviter[r]};
      for (int64_t j = trap.joined_offsets[r]; j < trap.joined_offsets[r + 1];
           ++j) {
        members.push_back(trap.joined[j]);
      }
      std::sort(members.begin(), members.end());
      members.erase(std::unique(members.begin(), members.end()), members.end());
      for (UserId u : members) {
        int64_t best = -1;
        for (size_t i = 0; i < trap.purchase_user.size(); ++i) {
          if (drop[i] || trap.purchase_user[i] != u ||
              trap.purchase_item[i] != trap.campaign_item[r]) {
            continue;
          }
          if (best < 0 || trap.purchase_ts[i] > trap.purchase_ts[best]) {
            best = static_cast<int64_t>(i);
          }
        }
        if (best >= 0) drop[best] = 1;
      }
    }
    claimed.resize(drop.size(), 0);
    for (size_t i = 0; i < drop.size(); ++i) claimed[i] |= drop[i];
    const SocialGraph oracle = BuildWithoutCampaigns(trap, drop, -1, as_of);
    const TrainingSet expect =
        Unwrap(BuildTrainingSet(oracle, history, options));
    // The rows of this fold's records, from both.
    int64_t compared = 0, differ = 0;
    size_t a = 0, b = 0;
    for (int64_t r : records) {
      while (a < guarded.record.size() && guarded.record[a] < r) ++a;
      while (b < expect.record.size() && expect.record[b] < r) ++b;
      for (; a < guarded.record.size() && guarded.record[a] == r; ++a, ++b) {
        REQUIRE(b < expect.record.size());
        REQUIRE(expect.record[b] == r);
        REQUIRE(guarded.candidate[a] == expect.candidate[b]);
        CHECK(guarded.label[a] == expect.label[b]);
        for (int f = 0; f < kNumFeatures; ++f) {
          differ += guarded.x(a, f) != expect.x(b, f);
        }
        ++compared;
      }
      CHECK((b == expect.record.size() || expect.record[b] != r));
    }
    INFO("fold " << fold);
    CHECK(compared > 100);
    CHECK(differ == 0);
  }
  const int64_t claimed_total =
      std::count(claimed.begin(), claimed.end(), uint8_t{1});
  CHECK(guarded.report.purchases_matched == claimed_total);
  CHECK(claimed_total >= Participants(World(false)) * 9 / 10);
  // Off, the same rows see their labels: every joiner "bought" the item.
  const TrainingSet open = Unwrap(BuildTrainingSet(
      BuildWithoutCampaigns(trap, {}, -1, as_of), history, options));
  CHECK(open.report.purchases_matched == 0);
  CHECK(BoughtAmongJoiners(open) > 0.99);
  CHECK(BoughtAmongJoiners(guarded) < 0.5);
}

TEST_CASE("A timed record claims a participation stamped before its time",
          "[training][participations]") {
  // 2 bought item 7 an hour before campaign (1, 7) started at T, and the
  // campaign is only in the history: as-of T alone would keep that row.
  constexpr Timestamp T = 1'700'000'000, kDay = 86'400;
  const std::vector<UserId> fs = {1, 1}, fd = {2, 3};
  const std::vector<UserId> pu = {2, 3};
  const std::vector<ItemId> pi = {7, 7};
  const std::vector<Timestamp> pt = {T - 3600, T - 10 * kDay};
  const std::vector<UserId> ci = {1}, joined = {2};
  const std::vector<ItemId> citem = {7};
  const std::vector<int64_t> offsets = {0, 1};
  const std::vector<Timestamp> cts = {T};
  const CampaignBatch history = {.inviter = ci,
                                 .item = citem,
                                 .joined_offsets = offsets,
                                 .joined = joined,
                                 .ts = cts};
  TrainingOptions options;
  options.as_of_step_days = 0;
  for (const double window : {1.0, -1.0}) {
    INFO("window " << window);
    GraphConfig config;
    config.participation_window_days = window;
    GraphBuilder b(config);
    testing::RequireOk(b.AddFriendships({.src = fs, .dst = fd}));
    testing::RequireOk(b.AddPurchases({.user = pu, .item = pi, .ts = pt}));
    const SocialGraph g =
        Unwrap(b.Build(BuildOptions{.as_of = T + kDay, .keep_events = true}));
    const TrainingSet t = Unwrap(BuildTrainingSet(g, history, options));
    REQUIRE(t.rows() == 2);
    for (int64_t i = 0; i < t.rows(); ++i) {
      // 3's purchase ten days before is its own, outside the window.
      const float expect = t.candidate[i] == 3 ? 1.f : window < 0 ? 1.f : 0.f;
      CHECK(t.x(i, kCandidateBoughtItem) == expect);
    }
    CHECK(t.report.purchases_matched == (window < 0 ? 0 : 1));
  }
}

TEST_CASE("The guard takes one purchase per participant, the nearest in time",
          "[training][participations]") {
  // 1 invites 2, who joins at T; 2 bought the item at T - 2d, T + 1h and
  // T + 10d; 1 bought it at T + 5d.
  constexpr Timestamp T = 1'700'000'000, kDay = 86'400;
  GraphConfig config;
  config.participation_window_days = 3;
  GraphBuilder b(config);
  const std::vector<UserId> fs = {1}, fd = {2};
  testing::RequireOk(b.AddFriendships({.src = fs, .dst = fd}));
  const std::vector<UserId> pu = {2, 2, 2, 1};
  const std::vector<ItemId> pi = {7, 7, 7, 7};
  const std::vector<Timestamp> pt = {T - 2 * kDay, T + 3600, T + 10 * kDay,
                                     T + 5 * kDay};
  testing::RequireOk(b.AddPurchases({.user = pu, .item = pi, .ts = pt}));
  const std::vector<UserId> ci = {1}, joined = {2};
  const std::vector<ItemId> citem = {7};
  const std::vector<int64_t> offsets = {0, 1};
  const std::vector<Timestamp> cts = {T};
  testing::RequireOk(b.AddCampaigns({.inviter = ci,
                                     .item = citem,
                                     .joined_offsets = offsets,
                                     .joined = joined,
                                     .ts = cts}));
  const SocialGraph g = Unwrap(b.Build(BuildOptions{.as_of = T + 20 * kDay}));
  // 2's row at T + 1h (nearest); 1's at T + 5d is outside the window.
  CHECK(g.stats().purchases_matched == 1);
  // Off: nothing is matched.
  GraphConfig off = config;
  off.participation_window_days = -1;
  GraphBuilder b2(off);
  testing::RequireOk(b2.AddFriendships({.src = fs, .dst = fd}));
  testing::RequireOk(b2.AddPurchases({.user = pu, .item = pi, .ts = pt}));
  testing::RequireOk(b2.AddCampaigns({.inviter = ci,
                                      .item = citem,
                                      .joined_offsets = offsets,
                                      .joined = joined,
                                      .ts = cts}));
  CHECK(Unwrap(b2.Build(BuildOptions{.as_of = T + 20 * kDay}))
            .stats()
            .purchases_matched == 0);
}

}  // namespace
}  // namespace invitegraph
