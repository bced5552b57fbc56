// Training sets: labels, reporting, and the leakage guarantee checked against
// graphs built from scratch without the record.
#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "invitegraph/graph_builder.h"
#include "invitegraph/history.h"
#include "invitegraph/recommender.h"
#include "invitegraph/synth.h"
#include "invitegraph/training.h"
#include "testing/fixtures.h"

namespace invitegraph {
namespace {

using testing::CheckError;
using testing::Unwrap;

synth::World SmallWorld() {
  return Unwrap(synth::Generate({.n_users = 400,
                                 .seed = 11,
                                 .avg_friends = 8,
                                 .n_categories = 6,
                                 .n_items = 60,
                                 .campaigns_per_user = 0.4,
                                 .days = 60}));
}

// Which rows of the world a from-scratch builder takes.
struct Keep {
  std::function<bool(size_t)> interaction = [](size_t) { return true; };
  std::function<bool(size_t)> purchase = [](size_t) { return true; };
  std::function<bool(size_t)> campaign = [](size_t) { return true; };
};

SocialGraph BuildWorld(const synth::World& w, const Keep& keep,
                       BuildOptions options) {
  // The oracles below rebuild from subsets of the rows; the participation
  // guard, which ties purchase rows to campaigns across those subsets, has
  // its own test (participation_guard_test.cc).
  GraphConfig config;
  config.participation_window_days = -1;
  GraphBuilder b(config);
  testing::RequireOk(b.AddFriendships(w.friendships()));
  std::vector<UserId> s, d;
  std::vector<Channel> k;
  std::vector<Timestamp> t;
  for (size_t i = 0; i < w.inter_src.size(); ++i) {
    if (!keep.interaction(i)) continue;
    s.push_back(w.inter_src[i]);
    d.push_back(w.inter_dst[i]);
    k.push_back(w.inter_kind[i]);
    t.push_back(w.inter_ts[i]);
  }
  testing::RequireOk(
      b.AddInteractions({.src = s, .dst = d, .kind = k, .ts = t}));
  std::vector<UserId> pu;
  std::vector<ItemId> pi;
  std::vector<CategoryId> pc;
  std::vector<Timestamp> pt;
  for (size_t i = 0; i < w.purchase_user.size(); ++i) {
    if (!keep.purchase(i)) continue;
    pu.push_back(w.purchase_user[i]);
    pi.push_back(w.purchase_item[i]);
    pc.push_back(w.purchase_category[i]);
    pt.push_back(w.purchase_ts[i]);
  }
  testing::RequireOk(
      b.AddPurchases({.user = pu, .item = pi, .ts = pt, .category = pc}));
  std::vector<UserId> ci, joined, invited;
  std::vector<ItemId> citem;
  std::vector<CategoryId> ccat;
  std::vector<Timestamp> cts;
  std::vector<int64_t> jo{0}, io{0};
  for (size_t r = 0; r < w.campaign_inviter.size(); ++r) {
    if (!keep.campaign(r)) continue;
    ci.push_back(w.campaign_inviter[r]);
    citem.push_back(w.campaign_item[r]);
    ccat.push_back(w.campaign_category[r]);
    cts.push_back(w.campaign_ts[r]);
    joined.insert(joined.end(), w.joined.begin() + w.joined_offsets[r],
                  w.joined.begin() + w.joined_offsets[r + 1]);
    invited.insert(invited.end(), w.invited.begin() + w.invited_offsets[r],
                   w.invited.begin() + w.invited_offsets[r + 1]);
    jo.push_back(static_cast<int64_t>(joined.size()));
    io.push_back(static_cast<int64_t>(invited.size()));
  }
  testing::RequireOk(b.AddCampaigns({.inviter = ci,
                                     .item = citem,
                                     .joined_offsets = jo,
                                     .joined = joined,
                                     .ts = cts,
                                     .category = ccat,
                                     .invited_offsets = io,
                                     .invited = invited}));
  return Unwrap(b.Build(options));
}

// The world's graph from its events strictly before `cut` (friendships, which
// have no time, all kept), as of `cut`: what a record at `cut` may see.
SocialGraph WorldBefore(const synth::World& w, Timestamp cut) {
  Keep before;
  before.interaction = [&](size_t i) { return w.inter_ts[i] < cut; };
  before.purchase = [&](size_t i) { return w.purchase_ts[i] < cut; };
  before.campaign = [&](size_t c) { return w.campaign_ts[c] < cut; };
  return BuildWorld(w, before, BuildOptions{.as_of = cut});
}

CampaignBatch History(const synth::World& w, bool with_ts) {
  CampaignBatch h{.inviter = w.campaign_inviter,
                  .item = w.campaign_item,
                  .joined_offsets = w.joined_offsets,
                  .joined = w.joined,
                  .category = w.campaign_category};
  if (with_ts) h.ts = w.campaign_ts;
  return h;
}

// Rows of record `r` keyed by candidate.
std::map<UserId, std::vector<float>> RowsOf(const TrainingSet& t, int64_t r) {
  std::map<UserId, std::vector<float>> out;
  for (int64_t i = 0; i < t.rows(); ++i) {
    if (t.record[i] != r) continue;
    out[t.candidate[i]] =
        std::vector<float>(t.x.row(i).data(), t.x.row(i).data() + t.x.cols());
  }
  return out;
}

// Features of (inviter, item) on `g`, keyed by candidate, inviter excluded.
std::map<UserId, std::vector<float>> FeaturesOn(const SocialGraph& g,
                                                const CampaignBatch& h,
                                                size_t r) {
  Recommender rec = Unwrap(Recommender::Create(g));
  FeatureMatrix f = Unwrap(rec.Features(
      h.inviter[r], Campaign{.item = h.item[r], .category = h.category[r]}));
  std::map<UserId, std::vector<float>> out;
  for (int64_t i = 0; i < f.rows(); ++i) {
    if (f.candidates[i] == h.inviter[r]) continue;
    out[f.candidates[i]] = std::vector<float>(
        f.values.row(i).data(), f.values.row(i).data() + f.values.cols());
  }
  return out;
}

void RequireSameRows(const std::map<UserId, std::vector<float>>& got,
                     const std::map<UserId, std::vector<float>>& want) {
  REQUIRE(got.size() == want.size());
  for (const auto& [c, row] : want) {
    INFO("candidate " << c);
    REQUIRE(got.count(c) == 1);
    const std::vector<float>& g = got.at(c);
    for (size_t f = 0; f < row.size(); ++f) {
      INFO("feature " << FeatureNames()[f]);
      CHECK(g[f] == Approx(row[f]).epsilon(1e-5).margin(1e-6));
    }
  }
}

// Records whose joiners reach the candidates, so the check covers label 1.
std::vector<size_t> RecordsWithJoiners(const synth::World& w, size_t count) {
  std::vector<size_t> out;
  for (size_t r = 0; r < w.campaign_inviter.size() && out.size() < count; ++r) {
    if (w.joined_offsets[r + 1] > w.joined_offsets[r]) out.push_back(r);
  }
  return out;
}

TEST_CASE("timed records see exactly the events before their ts") {
  const synth::World w = SmallWorld();
  SocialGraph g = BuildWorld(w, {}, BuildOptions{.keep_events = true});
  const CampaignBatch h = History(w, /*with_ts=*/true);
  TrainingSet t = Unwrap(BuildTrainingSet(g, h, {.as_of_step_days = 0}));
  CHECK(t.report.records == static_cast<int64_t>(h.inviter.size()));
  CHECK(t.report.step_hidden_share == 0);
  CHECK(t.report.positives > 0);
  for (size_t r : RecordsWithJoiners(w, 4)) {
    const Timestamp cut = w.campaign_ts[r];
    SocialGraph past = WorldBefore(w, cut);
    INFO("record " << r);
    RequireSameRows(RowsOf(t, static_cast<int64_t>(r)), FeaturesOn(past, h, r));
  }
}

TEST_CASE("untimed records never see their own campaign or purchases") {
  const synth::World w = SmallWorld();
  SocialGraph g = BuildWorld(w, {}, BuildOptions{.keep_events = true});
  // A few records only, each alone in its fold: exact leave-one-out.
  const std::vector<size_t> picked = RecordsWithJoiners(w, 4);
  std::vector<UserId> inviter, joined;
  std::vector<ItemId> item;
  std::vector<CategoryId> category;
  std::vector<int64_t> offsets{0};
  for (size_t r : picked) {
    inviter.push_back(w.campaign_inviter[r]);
    item.push_back(w.campaign_item[r]);
    category.push_back(w.campaign_category[r]);
    joined.insert(joined.end(), w.joined.begin() + w.joined_offsets[r],
                  w.joined.begin() + w.joined_offsets[r + 1]);
    offsets.push_back(static_cast<int64_t>(joined.size()));
  }
  const CampaignBatch h{.inviter = inviter,
                        .item = item,
                        .joined_offsets = offsets,
                        .joined = joined,
                        .category = category};
  TrainingSet t = Unwrap(BuildTrainingSet(g, h, {.folds = 1000, .seed = 5}));
  REQUIRE(t.report.graphs_built == static_cast<int64_t>(picked.size()));
  CHECK(t.report.positives > 0);
  int joiners_seen = 0, joins_hidden = 0;
  for (size_t k = 0; k < picked.size(); ++k) {
    const size_t r = picked[k];
    // From scratch: drop the campaigns of (inviter, item).
    std::set<UserId> buyers(w.joined.begin() + w.joined_offsets[r],
                            w.joined.begin() + w.joined_offsets[r + 1]);
    buyers.insert(w.campaign_inviter[r]);
    Keep without;
    without.campaign = [&](size_t c) {
      return !(w.campaign_inviter[c] == w.campaign_inviter[r] &&
               w.campaign_item[c] == w.campaign_item[r]);
    };
    SocialGraph loo = BuildWorld(w, without, BuildOptions{.as_of = g.as_of()});
    INFO("record " << r);
    const auto got = RowsOf(t, static_cast<int64_t>(k));
    RequireSameRows(got, FeaturesOn(loo, h, k));
    // On the full graph the record's own joins show; in its rows they do not.
    const auto full = FeaturesOn(g, h, k);
    for (UserId j : buyers) {
      if (!full.count(j)) continue;
      ++joiners_seen;
      // team_join runs joiner -> inviter: the candidate's reverse tie.
      if (!got.count(j) ||
          got.at(j)[kReverseTieStrength] < full.at(j)[kReverseTieStrength]) {
        ++joins_hidden;
      }
    }
  }
  CHECK(joiners_seen > 0);
  CHECK(joins_hidden > 0);
}

TEST_CASE("labels: joiners 1, invited non-joiners 0, uninvited weighted") {
  // 1 - 2, 1 - 3, 1 - 4 friends; 4 - 5 so 5 is a 2-hop candidate.
  std::vector<UserId> fs = {1, 1, 1, 4}, fd = {2, 3, 4, 5};
  GraphBuilder b;
  testing::RequireOk(b.AddFriendships({.src = fs, .dst = fd}));
  std::vector<UserId> p_user = {2};
  std::vector<ItemId> p_item = {9};
  std::vector<Timestamp> p_ts = {testing::kAsOf};
  testing::RequireOk(
      b.AddPurchases({.user = p_user, .item = p_item, .ts = p_ts}));
  SocialGraph g = Unwrap(b.Build(BuildOptions{.keep_events = true}));
  // Joined: 2 and 7 (7 is unknown to the graph: unrankable). Invited: 2, 3.
  std::vector<UserId> inviter = {1}, joined = {2, 7}, invited = {2, 3};
  std::vector<ItemId> item = {9};
  std::vector<int64_t> jo = {0, 2}, io = {0, 2};
  const CampaignBatch h{.inviter = inviter,
                        .item = item,
                        .joined_offsets = jo,
                        .joined = joined,
                        .invited_offsets = io,
                        .invited = invited};
  SECTION("by default uninvited candidates are negatives like the invited") {
    TrainingSet t = Unwrap(BuildTrainingSet(g, h));
    std::map<UserId, std::pair<float, float>> rows;
    for (int64_t i = 0; i < t.rows(); ++i)
      rows[t.candidate[i]] = {t.label[i], t.weight[i]};
    CHECK(rows == std::map<UserId, std::pair<float, float>>{{2, {1.0f, 1.0f}},
                                                            {3, {0.0f, 1.0f}},
                                                            {4, {0.0f, 1.0f}},
                                                            {5, {0.0f, 1.0f}}});
    CHECK(t.report.uninvited_dropped == 0);
    CHECK(t.report.warnings.empty());
  }
  SECTION("uninvited candidates dropped, with a warning") {
    TrainingSet t = Unwrap(BuildTrainingSet(g, h, {.uninvited_weight = 0}));
    std::map<UserId, std::pair<float, float>> rows;
    for (int64_t i = 0; i < t.rows(); ++i)
      rows[t.candidate[i]] = {t.label[i], t.weight[i]};
    CHECK(rows == std::map<UserId, std::pair<float, float>>{{2, {1.0f, 1.0f}},
                                                            {3, {0.0f, 1.0f}}});
    CHECK(t.report.uninvited_dropped == 2);
    REQUIRE(t.report.warnings.size() == 1);
    CHECK_THAT(t.report.warnings[0],
               Catch::Contains("uninvited_weight=0 dropped 2 of 4"));
    CHECK(t.report.joiners == 2);
    CHECK(t.report.joiners_found == 1);
    CHECK(t.report.joiners_missing == 1);
    CHECK(t.report.records_missing_joiners == 1);
    CHECK(t.report.records_used == 1);
    // Joiner 2's purchase of item 9 is the record's own participation
    // (GraphConfig::participation_window_days; the record has no ts, so it
    // claims the latest row): its rows do not see it.
    CHECK(t.report.purchases_matched == 1);
    for (int64_t i = 0; i < t.rows(); ++i) {
      CHECK(t.x(i, kCandidateBoughtItem) == 0.0f);
    }
  }
  SECTION("uninvited candidates down-weighted") {
    TrainingSet t = Unwrap(BuildTrainingSet(g, h, {.uninvited_weight = 0.25f}));
    std::map<UserId, std::pair<float, float>> rows;
    for (int64_t i = 0; i < t.rows(); ++i)
      rows[t.candidate[i]] = {t.label[i], t.weight[i]};
    CHECK(rows ==
          std::map<UserId, std::pair<float, float>>{{2, {1.0f, 1.0f}},
                                                    {3, {0.0f, 1.0f}},
                                                    {4, {0.0f, 0.25f}},
                                                    {5, {0.0f, 0.25f}}});
  }
  SECTION("without invited lists every candidate is labelled") {
    const CampaignBatch h2{.inviter = inviter,
                           .item = item,
                           .joined_offsets = jo,
                           .joined = joined};
    // Nothing to drop, hence no warning, whatever uninvited_weight says.
    TrainingSet t = Unwrap(BuildTrainingSet(g, h2, {.uninvited_weight = 0}));
    CHECK(t.rows() == 4);
    CHECK(t.report.positives == 1);
    CHECK(t.report.uninvited_dropped == 0);
    CHECK(t.report.warnings.empty());
  }
}

TEST_CASE("training sets report unknown inviters and bad input") {
  std::vector<UserId> fs = {1}, fd = {2};
  GraphBuilder b;
  testing::RequireOk(b.AddFriendships({.src = fs, .dst = fd}));
  std::vector<UserId> inviter = {1, 99}, joined = {};
  std::vector<ItemId> item = {3, 3};
  std::vector<int64_t> jo = {0, 0, 0};
  const CampaignBatch h{
      .inviter = inviter, .item = item, .joined_offsets = jo, .joined = joined};
  SocialGraph kept = Unwrap(b.Build(BuildOptions{.keep_events = true}));
  TrainingSet t = Unwrap(BuildTrainingSet(kept, h));
  CHECK(t.report.inviter_unknown == 1);
  CHECK(t.report.without_positives == 1);

  SocialGraph plain = Unwrap(b.Build());
  CheckError(BuildTrainingSet(plain, h).status(),
             absl::StatusCode::kFailedPrecondition, {"keep_events"});
  std::vector<UserId> bad_inviter = {1, -4};
  CheckError(BuildTrainingSet(kept, {.inviter = bad_inviter,
                                     .item = item,
                                     .joined_offsets = jo,
                                     .joined = joined})
                 .status(),
             absl::StatusCode::kInvalidArgument,
             {"history.inviter[1]=-4", "ids must be >= 0"});
  CheckError(BuildTrainingSet(kept, h, {.folds = 1}).status(),
             absl::StatusCode::kInvalidArgument, {"folds=1"});
  CheckError(BuildTrainingSet(kept, h, {.as_of_step_days = 1e300}).status(),
             absl::StatusCode::kInvalidArgument, {"as_of_step_days"});
}

TEST_CASE("training defaults: one-day steps, uninvited candidates weigh 1") {
  // docs/training.md, "Training defaults" documents these; the Python wrappers
  // read them.
  CHECK(TrainingOptions{}.as_of_step_days == 1);
  CHECK(TrainingOptions{}.uninvited_weight == 1);
  CHECK(TrainingOptions{}.folds == 10);
}

TEST_CASE("timed records see the graph as of the start of their day") {
  const synth::World w = SmallWorld();
  SocialGraph g = BuildWorld(w, {}, BuildOptions{.keep_events = true});
  const CampaignBatch h = History(w, /*with_ts=*/true);
  TrainingSet t = Unwrap(BuildTrainingSet(g, h));  // as_of_step_days = 1
  TrainingSet exact = Unwrap(BuildTrainingSet(g, h, {.as_of_step_days = 0}));
  CHECK(t.report.graphs_built < exact.report.graphs_built);
  CHECK(t.report.step_hidden_share > 0);
  CHECK(t.report.step_hidden_share < kStepHiddenWarnShare);
  CHECK(t.report.warnings.empty());
  for (size_t r : RecordsWithJoiners(w, 4)) {
    const Timestamp cut = w.campaign_ts[r] - w.campaign_ts[r] % testing::kDay;
    SocialGraph past = WorldBefore(w, cut);
    INFO("record " << r);
    RequireSameRows(RowsOf(t, static_cast<int64_t>(r)), FeaturesOn(past, h, r));
  }
}

TEST_CASE("a step that hides much of the history says so") {
  // 1 - 2, 1 - 3 friends; 1 chats with 2 on day 100 and with 3 twice on day
  // 200, before the record (day 200, 10000 s in).
  constexpr Timestamp kD = 86'400;
  std::vector<UserId> fs = {1, 1}, fd = {2, 3};
  std::vector<UserId> src = {1, 1, 1}, dst = {2, 3, 3};
  std::vector<Channel> kind(3, Channel::kChat);
  std::vector<Timestamp> when = {100 * kD, 200 * kD + 3600, 200 * kD + 7200};
  GraphBuilder b;
  testing::RequireOk(b.AddFriendships({.src = fs, .dst = fd}));
  testing::RequireOk(
      b.AddInteractions({.src = src, .dst = dst, .kind = kind, .ts = when}));
  SocialGraph g = Unwrap(b.Build({.as_of = 300 * kD, .keep_events = true}));
  std::vector<UserId> inviter = {1}, joined = {3};
  std::vector<ItemId> item = {9};
  std::vector<int64_t> jo = {0, 1};
  auto tie_to_3 = [](const TrainingSet& t) {
    for (int64_t i = 0; i < t.rows(); ++i) {
      if (t.candidate[i] == 3) return t.x(i, kTieStrength);
    }
    return -1.0f;
  };
  SECTION("two of the three earlier events fall in the record's day") {
    std::vector<Timestamp> ts = {200 * kD + 10000};
    const CampaignBatch h{.inviter = inviter,
                          .item = item,
                          .joined_offsets = jo,
                          .joined = joined,
                          .ts = ts};
    TrainingSet stepped = Unwrap(BuildTrainingSet(g, h));
    CHECK(stepped.report.step_hidden_share == Approx(2.0 / 3.0));
    REQUIRE(stepped.report.warnings.size() == 1);
    CHECK_THAT(stepped.report.warnings[0],
               Catch::Contains("as_of_step_days=1 hid 66.7% of the events"));
    TrainingSet exact = Unwrap(BuildTrainingSet(g, h, {.as_of_step_days = 0}));
    CHECK(exact.report.step_hidden_share == 0);
    CHECK(exact.report.warnings.empty());
    // The hidden chats are what tie 1 to 3 beyond the friendship.
    CHECK(tie_to_3(stepped) < tie_to_3(exact));
  }
  SECTION("a record a day later loses nothing") {
    std::vector<Timestamp> ts = {201 * kD + 10000};
    TrainingSet t = Unwrap(BuildTrainingSet(g, {.inviter = inviter,
                                                .item = item,
                                                .joined_offsets = jo,
                                                .joined = joined,
                                                .ts = ts}));
    CHECK(t.report.step_hidden_share == 0);
    CHECK(t.report.warnings.empty());
  }
}

TEST_CASE("training sets do not depend on the thread count") {
  const synth::World w = SmallWorld();
  SocialGraph g = BuildWorld(w, {}, BuildOptions{.keep_events = true});
  for (bool with_ts : {false, true}) {
    const CampaignBatch h = History(w, with_ts);
    TrainingSet a = Unwrap(
        BuildTrainingSet(g, h, {.as_of_step_days = 7, .num_threads = 1}));
    TrainingSet b = Unwrap(
        BuildTrainingSet(g, h, {.as_of_step_days = 7, .num_threads = 2}));
    CHECK(a.candidate == b.candidate);
    CHECK(a.record == b.record);
    CHECK(a.label == b.label);
    CHECK(a.x == b.x);
    CHECK(a.report.graphs_built == b.report.graphs_built);
  }
}

}  // namespace
}  // namespace invitegraph

namespace invitegraph {
namespace {

TEST_CASE("CopyRows splits a history with rebased offsets") {
  std::vector<UserId> inviter = {1, 2, 3}, joined = {10, 11, 12},
                      invited = {10, 11, 12, 13};
  std::vector<ItemId> item = {5, 6, 7};
  std::vector<Timestamp> ts = {100, 200, 300};
  std::vector<int64_t> jo = {0, 1, 1, 3}, io = {0, 2, 2, 4};
  const CampaignBatch b{.inviter = inviter,
                        .item = item,
                        .joined_offsets = jo,
                        .joined = joined,
                        .ts = ts,
                        .invited_offsets = io,
                        .invited = invited};
  const CampaignHistory tail = CopyRows(b, 1, 3);
  CHECK(tail.inviter == std::vector<UserId>{2, 3});
  CHECK(tail.ts == std::vector<Timestamp>{200, 300});
  CHECK(tail.category.empty());
  CHECK(tail.joined_offsets == std::vector<int64_t>{0, 0, 2});
  CHECK(tail.joined == std::vector<UserId>{11, 12});
  CHECK(tail.invited_offsets == std::vector<int64_t>{0, 0, 2});
  CHECK(tail.invited == std::vector<UserId>{12, 13});
  const CampaignBatch no_invited{
      .inviter = inviter, .item = item, .joined_offsets = jo, .joined = joined};
  const CampaignHistory head = CopyRows(no_invited, 0, 1);
  CHECK(head.view().invited_offsets.empty());
  CHECK(head.view().ts.empty());
  CHECK(head.joined == std::vector<UserId>{10});
  // Out-of-range bounds are clamped, never read past the columns.
  CHECK(CopyRows(b, 2, 99).inviter == std::vector<UserId>{3});
  CHECK(CopyRows(b, 3, 1).size() == 0);
}

}  // namespace
}  // namespace invitegraph

namespace invitegraph {
namespace {

TEST_CASE("training rows see the outcomes recorded before them") {
  // 1 - 2, 1 - 3 friends. Outcomes for invitee 2: accepted at t=100 (pair 1,
  // item 9) and declined at t=300 (pair 1, item 8).
  std::vector<UserId> fs = {1, 1}, fd = {2, 3};
  GraphBuilder b;
  testing::RequireOk(b.AddFriendships({.src = fs, .dst = fd}));
  SocialGraph g = Unwrap(b.Build({.as_of = 1000, .keep_events = true}));
  std::vector<UserId> o_inviter = {1, 1, 1, 1}, o_invitee = {2, 2, 2, 2};
  std::vector<ItemId> o_item = {9, 9, 8, 8};
  std::vector<Timestamp> o_ts = {100, 100, 300, 300};
  std::vector<Outcome> o_out = {Outcome::kSent, Outcome::kAccepted,
                                Outcome::kSent, Outcome::kDeclined};
  const FeedbackConfig fb{.accept_prior_mean = 0.2,
                          .accept_prior_strength = 5.0,
                          .fatigue_half_life_days = 7.0};
  TrainingOptions opt;
  opt.outcomes = {.inviter = o_inviter,
                  .invitee = o_invitee,
                  .item = o_item,
                  .ts = o_ts,
                  .outcome = o_out};
  opt.scoring.feedback = fb;
  std::vector<UserId> inviter = {1, 1}, joined = {2, 2};
  std::vector<ItemId> item = {9, 8};
  std::vector<int64_t> jo = {0, 1, 2};
  auto accept_rate_of_2 = [](const TrainingSet& t, int64_t record) {
    for (int64_t i = 0; i < t.rows(); ++i) {
      if (t.record[i] == record && t.candidate[i] == 2)
        return t.x(i, kCandidateAcceptRate);
    }
    return -1.0f;
  };
  SECTION("timed: only outcomes strictly before ts") {
    opt.as_of_step_days = 0;  // ts within one day
    std::vector<Timestamp> ts = {200, 100};
    TrainingSet t = Unwrap(BuildTrainingSet(g,
                                            {.inviter = inviter,
                                             .item = item,
                                             .joined_offsets = jo,
                                             .joined = joined,
                                             .ts = ts},
                                            opt));
    // Record 0 at t=200 sees the acceptance: (1 + 0.2 * 5) / (1 + 5).
    CHECK(accept_rate_of_2(t, 0) == Approx(2.0 / 6.0));
    // Record 1 at t=100 sees nothing: the prior.
    CHECK(accept_rate_of_2(t, 1) == Approx(0.2));
  }
  SECTION("untimed: all outcomes but those of the record's own pair") {
    opt.folds = 1000;
    TrainingSet t = Unwrap(BuildTrainingSet(g,
                                            {.inviter = inviter,
                                             .item = item,
                                             .joined_offsets = jo,
                                             .joined = joined},
                                            opt));
    REQUIRE(t.report.graphs_built == 2);
    // Record 0 (item 9) sees only the decline: 1 / 6; record 1 the accept.
    CHECK(accept_rate_of_2(t, 0) == Approx(1.0 / 6.0));
    CHECK(accept_rate_of_2(t, 1) == Approx(2.0 / 6.0));
  }
}

TEST_CASE("campaigns without ts stay at the graph's as_of in timed rebuilds") {
  std::vector<UserId> fs = {1}, fd = {2};
  GraphBuilder b;
  testing::RequireOk(b.AddFriendships({.src = fs, .dst = fd}));
  std::vector<UserId> c_inviter = {1}, c_joined = {3};
  std::vector<ItemId> c_item = {9};
  std::vector<int64_t> c_jo = {0, 1};
  testing::RequireOk(b.AddCampaigns({.inviter = c_inviter,
                                     .item = c_item,
                                     .joined_offsets = c_jo,
                                     .joined = c_joined}));
  SocialGraph g = Unwrap(b.Build({.as_of = 900, .keep_events = true}));
  std::vector<UserId> inviter = {1}, joined = {};
  std::vector<ItemId> item = {5};
  std::vector<int64_t> jo = {0, 0};
  // A record after the graph's as_of sees the untimed campaign (at 900): 3 is
  // a contact; a record before it does not.
  for (Timestamp ts : {Timestamp{5000}, Timestamp{100}}) {
    std::vector<Timestamp> t_ts = {ts};
    TrainingSet t = Unwrap(BuildTrainingSet(g,
                                            {.inviter = inviter,
                                             .item = item,
                                             .joined_offsets = jo,
                                             .joined = joined,
                                             .ts = t_ts},
                                            {.as_of_step_days = 0}));
    const bool has_3 = std::find(t.candidate.begin(), t.candidate.end(), 3) !=
                       t.candidate.end();
    CAPTURE(ts);
    CHECK(has_3 == (ts > 900));
  }
}

}  // namespace
}  // namespace invitegraph
