// Time decay and tie-strength arithmetic on hand-sized graphs, with expected
// values computed from the documented formulas: each event weighs 2^(-age /
// half_life), tie strength is sum(channel weight * decayed events) +
// friendship_weight.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "graph/packed_arc.h"
#include "invitegraph/graph_builder.h"
#include "invitegraph/social_graph.h"
#include "testing/fixtures.h"

namespace invitegraph {
namespace {

using testing::kAsOf;
using testing::kDay;
using testing::RequireOk;
using testing::Unwrap;

// Storage precision documented in social_graph.h: channel weights within 3.2%
// relative error, tie strength within 0.02%, over ranges that hold every value
// below.
constexpr double kChannelRelErr = 0.0325;
constexpr double kTieRelErr = 0.0002;

// Relative error; an exact 0 must be stored as 0.
double RelErr(double stored, double exact) {
  if (exact == 0) return stored == 0 ? 0.0 : 1.0;
  return std::abs(stored - exact) / exact;
}

void CheckChannel(float stored, double exact) {
  INFO("channel weight " << stored << " vs exact " << exact);
  CHECK(RelErr(stored, exact) <= kChannelRelErr);
}

void CheckTie(float stored, double exact) {
  INFO("tie strength " << stored << " vs exact " << exact);
  CHECK(RelErr(stored, exact) <= kTieRelErr);
}

struct Event {
  UserId src, dst;
  Channel kind;
  Timestamp age_seconds;
};

// Builds a graph of `events` (and optional friendships) as of kAsOf.
SocialGraph Build(
    const std::vector<Event>& events, GraphConfig config = {},
    const std::vector<std::pair<UserId, UserId>>& friendships = {}) {
  GraphBuilder b(std::move(config));
  std::vector<UserId> src, dst, fs, fd;
  std::vector<Channel> kind;
  std::vector<Timestamp> ts;
  for (const Event& e : events) {
    src.push_back(e.src);
    dst.push_back(e.dst);
    kind.push_back(e.kind);
    ts.push_back(kAsOf - e.age_seconds);
  }
  for (const auto& [a, c] : friendships) {
    fs.push_back(a);
    fd.push_back(c);
  }
  if (!fs.empty()) RequireOk(b.AddFriendships({.src = fs, .dst = fd}));
  if (!src.empty()) {
    RequireOk(
        b.AddInteractions({.src = src, .dst = dst, .kind = kind, .ts = ts}));
  }
  return Unwrap(b.Build(testing::AsOf(kAsOf)));
}

ArcInfo Arc(const SocialGraph& g, UserId u, UserId v) {
  const auto a = g.FindNode(u), b = g.FindNode(v);
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  const std::optional<ArcInfo> arc = g.FindArc(*a, *b);
  REQUIRE(arc.has_value());
  return *arc;
}

constexpr int kChat = static_cast<int>(Channel::kChat);

TEST_CASE("one chat at one half-life weighs 0.5", "[graph][decay]") {
  const SocialGraph g = Build({{1, 2, Channel::kChat, 30 * kDay}});
  const ArcInfo a = Arc(g, 1, 2);
  CheckChannel(a.channel_weight[kChat], 0.5);
  CheckTie(a.tie_strength, 0.5 * 1.0);  // default chat weight 1.0
  for (int c = 0; c < kNumChannels; ++c) {
    if (c != kChat) CHECK(a.channel_weight[c] == 0);
  }
  CHECK(a.days_since_last_interaction == 30);
  CHECK_FALSE(a.is_friend);
}

TEST_CASE("two half-lives weigh 0.25, whatever the half-life",
          "[graph][decay]") {
  CheckChannel(Arc(Build({{1, 2, Channel::kChat, 60 * kDay}}), 1, 2)
                   .channel_weight[kChat],
               0.25);
  const SocialGraph g =
      Build({{1, 2, Channel::kChat, 20 * kDay}},
            GraphConfig{.half_life_days = 10, .channel_weights = {}});
  const ArcInfo a = Arc(g, 1, 2);
  CheckChannel(a.channel_weight[kChat], 0.25);
  CheckTie(a.tie_strength, 0.25);
}

TEST_CASE("events of an arc add up per channel", "[graph][decay]") {
  const SocialGraph g = Build({{1, 2, Channel::kChat, 0},
                               {1, 2, Channel::kChat, 30 * kDay},
                               {1, 2, Channel::kChat, 60 * kDay},
                               {1, 2, Channel::kLike, 0},
                               {1, 2, Channel::kAssist, 30 * kDay}});
  const ArcInfo a = Arc(g, 1, 2);
  CheckChannel(a.channel_weight[kChat], 1.75);
  CheckChannel(a.channel_weight[static_cast<int>(Channel::kLike)], 1.0);
  CheckChannel(a.channel_weight[static_cast<int>(Channel::kAssist)], 0.5);
  // Default weights: chat 1.0, like 0.3, assist 1.5.
  CheckTie(a.tie_strength, 1.75 * 1.0 + 1.0 * 0.3 + 0.5 * 1.5);
  CHECK(a.days_since_last_interaction == 0);
}

TEST_CASE("channel_weights overrides change tie strength only",
          "[graph][decay]") {
  const std::vector<Event> events = {{1, 2, Channel::kChat, 30 * kDay},
                                     {1, 2, Channel::kShare, 0}};
  const ArcInfo base = Arc(Build(events), 1, 2);
  CheckTie(base.tie_strength, 0.5 * 1.0 + 1.0 * 0.8);

  GraphConfig config;
  config.channel_weights = {{"chat", 3.0}, {"share", 0.0}};
  const ArcInfo a = Arc(Build(events, config), 1, 2);
  CheckTie(a.tie_strength, 0.5 * 3.0);
  CHECK(a.channel_weight ==
        base.channel_weight);  // decayed counts do not change

  const auto w = Unwrap(ResolveChannelWeights(config));
  CHECK(w[kChat] == 3.0);
  CHECK(w[static_cast<int>(Channel::kShare)] == 0.0);
  CHECK(w[static_cast<int>(Channel::kTeamJoin)] == 2.0);  // untouched default
}

TEST_CASE("bad channel_weights are rejected", "[graph][decay]") {
  GraphConfig unknown;
  unknown.channel_weights = {{"poke", 1.0}};
  testing::CheckError(ResolveChannelWeights(unknown).status(),
                      absl::StatusCode::kInvalidArgument,
                      {"poke", "chat", "invite_accepted"});
  GraphBuilder b(unknown);
  const std::vector<UserId> src = {1}, dst = {2};
  RequireOk(b.AddFriendships({.src = src, .dst = dst}));
  CHECK(b.Build().status().code() == absl::StatusCode::kInvalidArgument);

  GraphConfig negative;
  negative.channel_weights = {{"like", -1.0}};
  testing::CheckError(ResolveChannelWeights(negative).status(),
                      absl::StatusCode::kInvalidArgument, {"like"});
  GraphConfig nan;
  nan.channel_weights = {{"like", std::nan("")}};
  CHECK(ResolveChannelWeights(nan).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("a friendship adds friendship_weight in both directions",
          "[graph][decay]") {
  const std::vector<Event> events = {{1, 2, Channel::kChat, 30 * kDay}};
  for (double fw : {1.0, 2.5, 0.0}) {
    CAPTURE(fw);
    GraphConfig config;
    config.friendship_weight = fw;
    const SocialGraph g = Build(events, config, {{2, 1}});
    const ArcInfo forward = Arc(g, 1, 2), backward = Arc(g, 2, 1);
    CHECK(forward.is_friend);
    CHECK(backward.is_friend);
    CheckTie(forward.tie_strength, 0.5 + fw);
    CheckTie(backward.tie_strength, fw);
    CHECK(backward.days_since_last_interaction == kNeverDays);
  }
}

TEST_CASE("the reverse arc of a one-way interaction has zero weights",
          "[graph][decay]") {
  const SocialGraph g = Build({{7, 3, Channel::kComment, 2 * kDay}});
  CHECK(g.num_arcs() == 2);
  const ArcInfo back = Arc(g, 3, 7);
  CHECK(back.tie_strength == 0);
  for (int c = 0; c < kNumChannels; ++c) CHECK(back.channel_weight[c] == 0);
  CHECK(back.days_since_last_interaction == kNeverDays);
  CHECK_FALSE(back.is_friend);
  CHECK(Arc(g, 7, 3).tie_strength > 0);
}

TEST_CASE("days_since_last_interaction counts whole days", "[graph][decay]") {
  for (int64_t days : {0, 1, 7, 100}) {
    for (int64_t hours : {0, 1, 23}) {
      CAPTURE(days, hours);
      const Timestamp age =
          days * kDay + hours * 3600 + (hours == 23 ? 3599 : 0);
      const SocialGraph g = Build({{1, 2, Channel::kVisit, age},
                                   {1, 2, Channel::kVisit, age + 40 * kDay}});
      CHECK(Arc(g, 1, 2).days_since_last_interaction ==
            static_cast<float>(days));
    }
  }
  // Older than kNeverDays: reported as kNeverDays, and decayed to nothing.
  const ArcInfo ancient =
      Arc(Build({{1, 2, Channel::kChat, 5000 * kDay}}), 1, 2);
  CHECK(ancient.days_since_last_interaction == kNeverDays);
  CHECK(ancient.channel_weight[kChat] == 0);
}

TEST_CASE("as_of moves the decay and defaults to the latest event",
          "[graph][decay]") {
  GraphBuilder b;
  const std::vector<UserId> src = {1, 2}, dst = {2, 3};
  const std::vector<Channel> kind = {Channel::kChat, Channel::kChat};
  const std::vector<Timestamp> ts = {kAsOf - 30 * kDay, kAsOf - 5 * kDay};
  RequireOk(
      b.AddInteractions({.src = src, .dst = dst, .kind = kind, .ts = ts}));
  const SocialGraph latest = Unwrap(b.Build());
  CHECK(latest.as_of() == kAsOf - 5 * kDay);
  CHECK(latest.stats().as_of == kAsOf - 5 * kDay);
  const SocialGraph later = Unwrap(b.Build(testing::AsOf(kAsOf + 30 * kDay)));
  CheckTie(Arc(latest, 1, 2).tie_strength, std::exp2(-25.0 / 30.0));
  CheckTie(Arc(later, 1, 2).tie_strength, 0.25);
  CHECK(Arc(later, 1, 2).days_since_last_interaction == 60);
}

TEST_CASE("purchases decay into profiles and affinities", "[graph][decay]") {
  GraphBuilder b;
  const std::vector<UserId> user = {1, 1, 1, 2};
  const std::vector<ItemId> item = {10, 11, 10, 11};
  const std::vector<Timestamp> ts = {kAsOf, kAsOf - 30 * kDay,
                                     kAsOf - 60 * kDay, kAsOf};
  const std::vector<CategoryId> category = {4, 5, 4, 5};
  RequireOk(b.AddPurchases({.user = user,
                            .item = item,
                            .ts = ts,
                            .category = category,
                            .amount = {}}));
  const SocialGraph g = Unwrap(b.Build(testing::AsOf(kAsOf)));
  const NodeId u = *g.FindNode(1);
  const UserProfile p = g.profile(u);
  CHECK(p.purchase_weight == Approx(1.0 + 0.5 + 0.25).epsilon(1e-6));
  REQUIRE(p.category_affinity.size() == 2);
  CHECK(p.category_affinity[0].first == 4);
  CHECK(p.category_affinity[0].second == Approx(1.25).epsilon(1e-6));
  CHECK(p.category_affinity[1].first == 5);
  CHECK(p.category_affinity[1].second == Approx(0.5).epsilon(1e-6));
  CHECK(g.ItemAffinity(u, 10) == Approx(1.25).epsilon(1e-6));
  CHECK(g.ItemAffinity(u, 12) == 0);
  CHECK(g.CategoryAffinity(u, 4) == Approx(1.25 / 1.75).epsilon(1e-6));
  CHECK(g.CategoryAffinity(u, 99) == 0);
  CHECK(g.item_category(10) == 4);
  CHECK(g.item_category(12) == kNoCategory);
  // Cosine of (1.25, 0.5) and (0, 1).
  CHECK(g.ShoppingSimilarity(u, *g.FindNode(2)) ==
        Approx(0.5 / std::sqrt(1.25 * 1.25 + 0.5 * 0.5)).epsilon(1e-5));
  std::vector<UserId> buyers;
  for (NodeId n : g.item_buyers(11)) buyers.push_back(g.user_id(n));
  std::sort(buyers.begin(), buyers.end());
  CHECK(buyers == std::vector<UserId>{1, 2});
}

TEST_CASE("activity windows and first_seen follow event times",
          "[graph][decay]") {
  GraphConfig config;
  config.new_user_days = 15;
  // User 1 sends at 1, 10 and 40 days; user 2 only receives; user 3 first seen
  // at 20 days.
  const SocialGraph g = Build({{1, 2, Channel::kChat, 1 * kDay},
                               {1, 2, Channel::kChat, 10 * kDay},
                               {1, 3, Channel::kChat, 40 * kDay},
                               {3, 2, Channel::kLike, 20 * kDay}},
                              config);
  const UserProfile p1 = g.profile(*g.FindNode(1)),
                    p2 = g.profile(*g.FindNode(2)),
                    p3 = g.profile(*g.FindNode(3));
  CHECK(p1.activity_7d == 1);
  CHECK(p1.activity_30d == 2);
  CHECK(p2.activity_30d == 0);  // receiving is not activity
  CHECK(p3.activity_30d == 1);
  CHECK(p1.first_seen == kAsOf - 40 * kDay);
  CHECK(p2.first_seen == kAsOf - 20 * kDay);
  CHECK(p3.first_seen == kAsOf - 40 * kDay);
  CHECK_FALSE(p1.is_new);
  CHECK_FALSE(p2.is_new);  // 20 days > new_user_days = 15
  const SocialGraph fresh = Build({{8, 9, Channel::kChat, 3 * kDay}}, config);
  CHECK(fresh.profile(*fresh.FindNode(8)).is_new);
}

// PackedArc's log scales: q = 1 + round(steps * log2(w / min)), so within its
// range a weight is stored with relative error <= 2^(1 / (2 * steps)) - 1.
TEST_CASE("quantised storage meets the documented relative error",
          "[graph][decay]") {
  using internal::PackedArc;
  const double tie_bound = std::exp2(1 / (2 * PackedArc::kTieSteps)) - 1;
  const double tie_max =
      PackedArc::kTieMin * std::exp2(65534 / PackedArc::kTieSteps);
  const double channel_bound =
      std::exp2(1 / (2 * PackedArc::kChannelSteps)) - 1;
  const double channel_max =
      PackedArc::kChannelMin * std::exp2(254 / PackedArc::kChannelSteps);
  // The scales keep the public promises and cover the weights that matter:
  // events up to ten half-lives old (2^-10) and sums of thousands of events.
  CHECK(tie_bound <= kTieRelErr);
  CHECK(channel_bound <= kChannelRelErr);
  CHECK(PackedArc::kChannelMin <= 0x1p-10);
  CHECK(channel_max >= 5000);
  CHECK(PackedArc::kTieMin <= 1e-4);
  CHECK(tie_max >= 1e5);

  int checked = 0, bad_tie = 0, bad_channel = 0;
  for (double w = PackedArc::kTieMin; w < tie_max; w *= 1.0123) {
    const double t = PackedArc::DecodeTie(PackedArc::EncodeTie(w));
    if (RelErr(t, w) > tie_bound + 1e-6) ++bad_tie;
    if (w >= PackedArc::kChannelMin && w < channel_max) {
      const double c = PackedArc::ChannelTable()[PackedArc::EncodeChannel(w)];
      if (RelErr(c, w) > channel_bound + 1e-6) ++bad_channel;
    }
    ++checked;
  }
  CHECK(checked > 1000);
  CHECK(bad_tie == 0);
  CHECK(bad_channel == 0);
  // Below the ranges weights read as 0, and so do zero, negative and NaN
  // weights; above them they clamp to the largest code.
  for (double w : {0.0, -1.0, std::nan(""), 0.9 * PackedArc::kChannelMin}) {
    CAPTURE(w);
    CHECK(PackedArc::ChannelTable()[PackedArc::EncodeChannel(w)] == 0);
  }
  for (double w : {0.0, -1.0, std::nan(""), 0.9 * PackedArc::kTieMin}) {
    CAPTURE(w);
    CHECK(PackedArc::DecodeTie(PackedArc::EncodeTie(w)) == 0);
  }
  CHECK(PackedArc::EncodeChannel(10 * channel_max) == 255);
  CHECK(PackedArc::EncodeTie(10 * tie_max) == 65535);
}

// purchase_weight and CategoryAffinity() are over all of the user's decayed
// purchases.
TEST_CASE("purchase_weight counts purchases of uncategorised items",
          "[graph][decay]") {
  GraphBuilder b;
  const std::vector<UserId> user = {1, 1};
  const std::vector<ItemId> item = {10, 11};
  const std::vector<Timestamp> ts = {kAsOf, kAsOf};
  const std::vector<CategoryId> category = {4, kNoCategory};
  RequireOk(b.AddPurchases({.user = user,
                            .item = item,
                            .ts = ts,
                            .category = category,
                            .amount = {}}));
  const SocialGraph g = Unwrap(b.Build(testing::AsOf(kAsOf)));
  const NodeId u = *g.FindNode(1);
  CHECK(g.ItemAffinity(u, 11) == Approx(1.0));
  CHECK(g.profile(u).purchase_weight == Approx(2.0));
  CHECK(g.CategoryAffinity(u, 4) == Approx(0.5));
}

}  // namespace
}  // namespace invitegraph
