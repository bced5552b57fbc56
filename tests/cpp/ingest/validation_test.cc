// Every validation error of GraphBuilder: the code is kInvalidArgument and the
// message names table, column and row (as "table.column[row]"); and
// validate-then-commit: a rejected batch leaves the builder exactly as it was.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "invitegraph/events.h"
#include "invitegraph/graph_builder.h"
#include "invitegraph/types.h"
#include "testing/fixtures.h"

namespace invitegraph {
namespace {

using testing::CheckError;
using testing::kAsOf;
using testing::RequireOk;
using testing::Unwrap;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

TEST_CASE("friendship rows are validated", "[ingest][validate]") {
  GraphBuilder b;
  {
    const std::vector<UserId> src = {1, 2, -5}, dst = {2, 3, 4};
    CheckError(b.AddFriendships({.src = src, .dst = dst}), kInvalid,
               {"friendships.src[2]", "-5", ">= 0"});
  }
  {
    const std::vector<UserId> src = {1, 2}, dst = {2, -1};
    CheckError(b.AddFriendships({.src = src, .dst = dst}), kInvalid,
               {"friendships.dst[1]", "-1"});
  }
  {
    const std::vector<UserId> src = {1, 4, 3}, dst = {2, 4, 1};
    CheckError(b.AddFriendships({.src = src, .dst = dst}), kInvalid,
               {"friendships.src[1]", "self-loop"});
  }
  {
    const std::vector<UserId> src = {1, 2, 3}, dst = {2, 3};
    CheckError(b.AddFriendships({.src = src, .dst = dst}), kInvalid,
               {"friendships", "dst", "2", "3"});
  }
  CHECK(b.counts().friendships == 0);
  CHECK(b.counts().users == 0);
}

TEST_CASE("interaction rows are validated", "[ingest][validate]") {
  GraphBuilder b;
  const std::vector<Channel> kind3 = {Channel::kChat, Channel::kLike,
                                      Channel::kShare};
  const std::vector<Timestamp> ts3 = {kAsOf, kAsOf, kAsOf};
  {
    const std::vector<UserId> src = {1, -2, 3}, dst = {2, 3, 4};
    CheckError(
        b.AddInteractions({.src = src, .dst = dst, .kind = kind3, .ts = ts3}),
        kInvalid, {"interactions.src[1]", "-2"});
  }
  {
    const std::vector<UserId> src = {1, 2, 3}, dst = {2, 3, -9};
    CheckError(
        b.AddInteractions({.src = src, .dst = dst, .kind = kind3, .ts = ts3}),
        kInvalid, {"interactions.dst[2]", "-9"});
  }
  {
    const std::vector<UserId> src = {1, 3, 3}, dst = {2, 4, 3};
    CheckError(
        b.AddInteractions({.src = src, .dst = dst, .kind = kind3, .ts = ts3}),
        kInvalid, {"interactions.src[2]", "self-loop"});
  }
  {
    const std::vector<UserId> src = {1, 2, 3}, dst = {2, 3, 4};
    const std::vector<Timestamp> ts = {kAsOf, -1, kAsOf};
    CheckError(
        b.AddInteractions({.src = src, .dst = dst, .kind = kind3, .ts = ts}),
        kInvalid, {"interactions.ts[1]", "-1"});
  }
  {
    const std::vector<UserId> src = {1, 2, 3}, dst = {2, 3, 4};
    const std::vector<Channel> kind = {Channel::kChat, static_cast<Channel>(9),
                                       Channel::kChat};
    CheckError(
        b.AddInteractions({.src = src, .dst = dst, .kind = kind, .ts = ts3}),
        kInvalid, {"interactions.kind[1]", "9", "chat", "invite_accepted"});
  }
  {
    const std::vector<UserId> src = {1, 2, 3}, dst = {2, 3, 4};
    const std::vector<Timestamp> ts = {kAsOf, kAsOf};
    CheckError(
        b.AddInteractions({.src = src, .dst = dst, .kind = kind3, .ts = ts}),
        kInvalid, {"interactions", "ts", "2", "3"});
  }
  {
    const std::vector<UserId> src = {1, 2, 3}, dst = {2, 3, 4};
    const std::vector<Channel> kind = {Channel::kChat};
    CheckError(
        b.AddInteractions({.src = src, .dst = dst, .kind = kind, .ts = ts3}),
        kInvalid, {"interactions", "kind"});
  }
  CHECK(b.counts().interactions == 0);
  CHECK(b.counts().users == 0);
}

TEST_CASE("an unknown dictionary kind is reported at its first row",
          "[ingest][validate]") {
  GraphBuilder b;
  const std::vector<UserId> src = {1, 2, 3, 4}, dst = {2, 3, 4, 5};
  const std::vector<Timestamp> ts = {kAsOf, kAsOf, kAsOf, kAsOf};
  const std::vector<std::string> names = {"poke", "chat", "like"};
  {
    const std::vector<int32_t> codes = {1, 2, 0, 0};
    const absl::Status s =
        b.AddInteractions(EncodedInteractionBatch{.src = src,
                                                  .dst = dst,
                                                  .kind_codes = codes,
                                                  .kind_names = names,
                                                  .ts = ts});
    std::vector<std::string> expected = {"interactions.kind[2]", "'poke'"};
    for (std::string_view known : ChannelNames()) expected.emplace_back(known);
    CheckError(s, kInvalid, expected);
  }
  {
    const std::vector<int32_t> codes = {1, -1, 2, 2};
    CheckError(b.AddInteractions(EncodedInteractionBatch{.src = src,
                                                         .dst = dst,
                                                         .kind_codes = codes,
                                                         .kind_names = names,
                                                         .ts = ts}),
               kInvalid, {"interactions.kind[1]", "missing"});
  }
  {
    const std::vector<int32_t> codes = {1, 2, 1, 3};
    CheckError(b.AddInteractions(EncodedInteractionBatch{.src = src,
                                                         .dst = dst,
                                                         .kind_codes = codes,
                                                         .kind_names = names,
                                                         .ts = ts}),
               kInvalid, {"interactions.kind[3]"});
  }
  CHECK(b.counts().interactions == 0);
  // An unused bad dictionary entry is fine, and codes map through the
  // dictionary.
  const std::vector<int32_t> codes = {1, 2, 1, 2};
  RequireOk(b.AddInteractions(EncodedInteractionBatch{.src = src,
                                                      .dst = dst,
                                                      .kind_codes = codes,
                                                      .kind_names = names,
                                                      .ts = ts}));
  const SocialGraph g = Unwrap(b.Build());
  const auto arc = g.FindArc(*g.FindNode(2), *g.FindNode(3));
  REQUIRE(arc.has_value());
  CHECK(arc->channel_weight[static_cast<int>(Channel::kLike)] > 0);
  CHECK(arc->channel_weight[static_cast<int>(Channel::kChat)] == 0);
}

TEST_CASE("purchase rows are validated", "[ingest][validate]") {
  GraphBuilder b;
  const std::vector<UserId> user = {1, 2, 3};
  const std::vector<ItemId> item = {10, 11, 12};
  const std::vector<Timestamp> ts = {kAsOf, kAsOf, kAsOf};
  {
    const std::vector<UserId> bad = {1, 2, -3};
    CheckError(b.AddPurchases({.user = bad,
                               .item = item,
                               .ts = ts,
                               .category = {},
                               .amount = {}}),
               kInvalid, {"purchases.user[2]", "-3"});
  }
  {
    const std::vector<ItemId> bad = {-10, 11, 12};
    CheckError(b.AddPurchases({.user = user,
                               .item = bad,
                               .ts = ts,
                               .category = {},
                               .amount = {}}),
               kInvalid, {"purchases.item[0]", "-10"});
  }
  {
    const std::vector<Timestamp> bad = {kAsOf, kAsOf, -7};
    CheckError(b.AddPurchases({.user = user,
                               .item = item,
                               .ts = bad,
                               .category = {},
                               .amount = {}}),
               kInvalid, {"purchases.ts[2]", "-7"});
  }
  {
    const std::vector<double> amount = {1.0, std::nan(""), 2.0};
    CheckError(b.AddPurchases({.user = user,
                               .item = item,
                               .ts = ts,
                               .category = {},
                               .amount = amount}),
               kInvalid, {"purchases.amount[1]", "nan"});
  }
  {
    const std::vector<double> amount = {
        1.0, 2.0, std::numeric_limits<double>::infinity()};
    CheckError(b.AddPurchases({.user = user,
                               .item = item,
                               .ts = ts,
                               .category = {},
                               .amount = amount}),
               kInvalid, {"purchases.amount[2]", "inf"});
  }
  {
    const std::vector<double> amount = {-3.5, 2.0, 1.0};
    CheckError(b.AddPurchases({.user = user,
                               .item = item,
                               .ts = ts,
                               .category = {},
                               .amount = amount}),
               kInvalid, {"purchases.amount[0]", "-3.5"});
  }
  {
    const std::vector<CategoryId> category = {1, -2, kNoCategory};
    CheckError(b.AddPurchases({.user = user,
                               .item = item,
                               .ts = ts,
                               .category = category,
                               .amount = {}}),
               kInvalid, {"purchases.category[1]", "-2"});
  }
  {
    const std::vector<double> amount = {1.0, 2.0};
    CheckError(b.AddPurchases({.user = user,
                               .item = item,
                               .ts = ts,
                               .category = {},
                               .amount = amount}),
               kInvalid, {"purchases", "amount", "2", "3"});
  }
  {
    const std::vector<CategoryId> category = {1, 2, 3, 4};
    CheckError(b.AddPurchases({.user = user,
                               .item = item,
                               .ts = ts,
                               .category = category,
                               .amount = {}}),
               kInvalid, {"purchases", "category", "4", "3"});
  }
  {
    const std::vector<ItemId> short_item = {10};
    CheckError(b.AddPurchases({.user = user,
                               .item = short_item,
                               .ts = ts,
                               .category = {},
                               .amount = {}}),
               kInvalid, {"purchases", "item", "1", "3"});
  }
  CHECK(b.counts().purchases == 0);
  CHECK(b.counts().items == 0);
  CHECK(b.counts().users == 0);
}

// A valid two-row campaign batch that each section below breaks in one place.
struct CampaignColumns {
  std::vector<UserId> inviter = {1, 2};
  std::vector<ItemId> item = {10, 11};
  std::vector<int64_t> joined_offsets = {0, 2, 3};
  std::vector<UserId> joined = {3, 4, 5};
  std::vector<Timestamp> ts = {kAsOf, kAsOf};
  std::vector<CategoryId> category = {1, 2};
  std::vector<int64_t> invited_offsets = {0, 3, 4};
  std::vector<UserId> invited = {3, 4, 6, 5};

  CampaignBatch batch() const {
    return {.inviter = inviter,
            .item = item,
            .joined_offsets = joined_offsets,
            .joined = joined,
            .ts = ts,
            .category = category,
            .invited_offsets = invited_offsets,
            .invited = invited};
  }
};

TEST_CASE("campaign rows are validated", "[ingest][validate]") {
  GraphBuilder b;
  RequireOk(GraphBuilder().AddCampaigns(CampaignColumns().batch()));
  using Edit = std::function<void(CampaignColumns&)>;
  struct Case {
    const char* what;
    Edit edit;
    std::vector<std::string> fragments;
  };
  const std::vector<Case> cases = {
      {"negative inviter",
       [](CampaignColumns& c) { c.inviter[1] = -2; },
       {"campaigns.inviter[1]", "-2"}},
      {"negative item",
       [](CampaignColumns& c) { c.item[0] = -1; },
       {"campaigns.item[0]", "-1"}},
      {"negative ts",
       [](CampaignColumns& c) { c.ts[1] = -4; },
       {"campaigns.ts[1]", "-4"}},
      {"bad category",
       [](CampaignColumns& c) { c.category[1] = -3; },
       {"campaigns.category[1]", "-3"}},
      {"negative joiner",
       [](CampaignColumns& c) { c.joined[2] = -6; },
       {"campaigns.joined[1]", "-6"}},
      {"inviter among its joiners",
       [](CampaignColumns& c) { c.joined[2] = 2; },
       {"campaigns.joined[1]", "=2", "inviter"}},
      {"inviter among its invitees",
       [](CampaignColumns& c) { c.invited[1] = 1; },
       {"campaigns.invited[0]", "=1", "inviter"}},
      {"offsets too short",
       [](CampaignColumns& c) {
         c.joined_offsets = {0, 3};
       },
       {"campaigns.joined", "offsets", "2 entries", "3"}},
      {"offsets not starting at 0",
       [](CampaignColumns& c) { c.joined_offsets[0] = 1; },
       {"campaigns.joined[0]", "start at 0"}},
      {"offsets decreasing",
       [](CampaignColumns& c) {
         c.joined_offsets = {0, 3, 2};
       },
       {"campaigns.joined[1]", "decrease"}},
      {"offsets ending early",
       [](CampaignColumns& c) { c.joined_offsets[2] = 2; },
       {"campaigns.joined", "end at 2", "3 values"}},
      {"invited offsets ending late",
       [](CampaignColumns& c) { c.invited_offsets[2] = 5; },
       {"campaigns.invited", "end at 5", "4 values"}},
      {"invited without offsets",
       [](CampaignColumns& c) { c.invited_offsets.clear(); },
       {"campaigns.invited", "invited_offsets"}},
      {"item column too short",
       [](CampaignColumns& c) { c.item.pop_back(); },
       {"campaigns", "item", "1", "2"}},
      {"ts column too long",
       [](CampaignColumns& c) { c.ts.push_back(kAsOf); },
       {"campaigns", "ts", "3", "2"}},
      {"category column too short",
       [](CampaignColumns& c) { c.category.pop_back(); },
       {"campaigns", "category", "1", "2"}},
  };
  for (const Case& c : cases) {
    SECTION(c.what) {
      CampaignColumns cols;
      c.edit(cols);
      CheckError(b.AddCampaigns(cols.batch()), kInvalid, c.fragments);
      const StagedCounts n = b.counts();
      CHECK(n.campaigns == 0);
      CHECK(n.users == 0);
      CHECK(n.items == 0);
    }
  }
}

TEST_CASE("timestamps after as_of fail at Build, counted across batches",
          "[ingest][validate]") {
  GraphBuilder b;
  const std::vector<UserId> src = {1, 2, 3}, dst = {2, 3, 4};
  const std::vector<Channel> kind = {Channel::kChat, Channel::kChat,
                                     Channel::kChat};
  const std::vector<Timestamp> early = {kAsOf - 3, kAsOf - 2, kAsOf - 1};
  const std::vector<Timestamp> late = {kAsOf - 1, kAsOf + 100, kAsOf};
  RequireOk(
      b.AddInteractions({.src = src, .dst = dst, .kind = kind, .ts = early}));
  RequireOk(
      b.AddInteractions({.src = src, .dst = dst, .kind = kind, .ts = late}));
  CheckError(b.Build(testing::AsOf(kAsOf)).status(), kInvalid,
             {"interactions.ts[4]", std::to_string(kAsOf + 100), "as_of"});
  // The default as_of is the latest timestamp, so nothing is after it.
  CHECK(Unwrap(b.Build()).as_of() == kAsOf + 100);

  GraphBuilder p;
  const std::vector<UserId> user = {1, 2};
  const std::vector<ItemId> item = {5, 6};
  const std::vector<Timestamp> pts = {kAsOf, kAsOf + 1};
  RequireOk(p.AddPurchases(
      {.user = user, .item = item, .ts = pts, .category = {}, .amount = {}}));
  CheckError(p.Build(testing::AsOf(kAsOf)).status(), kInvalid,
             {"purchases.ts[1]", "as_of"});

  GraphBuilder c;
  CampaignColumns cols;
  cols.ts = {kAsOf + 5, kAsOf};
  RequireOk(c.AddCampaigns(cols.batch()));
  CheckError(c.Build(testing::AsOf(kAsOf)).status(), kInvalid,
             {"campaigns.ts[0]", "as_of"});
}

TEST_CASE("bad GraphConfig values fail at Build", "[ingest][validate]") {
  const std::vector<UserId> src = {1}, dst = {2};
  auto build = [&](GraphConfig config) {
    GraphBuilder b(std::move(config));
    RequireOk(b.AddFriendships({.src = src, .dst = dst}));
    return b.Build().status();
  };
  CheckError(build({.half_life_days = 0, .channel_weights = {}}), kInvalid,
             {"half_life_days"});
  CheckError(build({.half_life_days = std::nan(""), .channel_weights = {}}),
             kInvalid, {"half_life_days"});
  CheckError(build({.channel_weights = {}, .friendship_weight = -1}), kInvalid,
             {"friendship_weight"});
  CheckError(build({.channel_weights = {}, .new_user_days = -1}), kInvalid,
             {"new_user_days"});
  CheckError(build({.channel_weights = {}, .join_rate_prior_mean = 1.5}),
             kInvalid, {"join_rate_prior_mean"});
  CheckError(build({.channel_weights = {}, .join_rate_prior_strength = 0}),
             kInvalid, {"join_rate_prior_strength"});
  RequireOk(build({}));
}

// Valid tables staged before and after each bad batch.
struct GoodTables {
  std::vector<UserId> f_src = {1, 2, 3}, f_dst = {2, 3, 4};
  std::vector<UserId> i_src = {4, 1}, i_dst = {1, 3};
  std::vector<Channel> i_kind = {Channel::kChat, Channel::kAssist};
  std::vector<Timestamp> i_ts = {kAsOf - 100, kAsOf - 86'400 * 9};
  std::vector<UserId> p_user = {2, 4};
  std::vector<ItemId> p_item = {10, 11};
  std::vector<Timestamp> p_ts = {kAsOf - 5, kAsOf};
  std::vector<CategoryId> p_cat = {1, 2};
  CampaignColumns campaigns;

  void AddFirst(GraphBuilder& b) const {
    RequireOk(b.AddFriendships({.src = f_src, .dst = f_dst}));
    RequireOk(b.AddInteractions(
        {.src = i_src, .dst = i_dst, .kind = i_kind, .ts = i_ts}));
  }
  void AddSecond(GraphBuilder& b) const {
    RequireOk(b.AddPurchases({.user = p_user,
                              .item = p_item,
                              .ts = p_ts,
                              .category = p_cat,
                              .amount = {}}));
    RequireOk(b.AddCampaigns(campaigns.batch()));
  }
};

void CheckSameCounts(const StagedCounts& a, const StagedCounts& b) {
  CHECK(a.friendships == b.friendships);
  CHECK(a.interactions == b.interactions);
  CHECK(a.purchases == b.purchases);
  CHECK(a.campaigns == b.campaigns);
  CHECK(a.users == b.users);
  CHECK(a.items == b.items);
}

TEST_CASE("a rejected batch leaves nothing staged (validate-then-commit)",
          "[ingest][validate]") {
  const GoodTables good;
  GraphBuilder reference;
  good.AddFirst(reference);
  good.AddSecond(reference);
  const SocialGraph expected = Unwrap(reference.Build(testing::AsOf(kAsOf)));

  // Each bad batch introduces new users / items in its valid leading rows and
  // fails on its last row, so a partial commit would show in counts() and in
  // the graph.
  const std::vector<UserId> new_users = {900, 901, 902};
  const std::vector<UserId> bad_users = {903, 904, -1};
  const std::vector<UserId> other_users = {904, 905, 906};
  const std::vector<ItemId> new_items = {90, 91, 92};
  const std::vector<Channel> kinds = {Channel::kChat, Channel::kLike,
                                      Channel::kChat};
  const std::vector<Timestamp> ts = {kAsOf - 1, kAsOf - 2, kAsOf - 3};
  const std::vector<Timestamp> bad_ts = {kAsOf - 1, kAsOf - 2, -3};
  const std::vector<double> bad_amount = {1.0, 2.0, std::nan("")};
  const std::vector<std::string> names = {"chat", "like", "bogus"};
  const std::vector<int32_t> bad_codes = {0, 1, 2};
  CampaignColumns bad_campaign;
  bad_campaign.inviter = {905, 906};
  bad_campaign.joined = {907, 908, 906};  // inviter 906 joins its own campaign

  using Add = std::function<absl::Status(GraphBuilder&)>;
  const std::vector<std::pair<const char*, Add>> bad_batches = {
      {"friendships",
       [&](GraphBuilder& b) {
         return b.AddFriendships({.src = new_users, .dst = bad_users});
       }},
      {"interactions",
       [&](GraphBuilder& b) {
         return b.AddInteractions(
             {.src = new_users, .dst = bad_users, .kind = kinds, .ts = ts});
       }},
      {"interactions ts",
       [&](GraphBuilder& b) {
         return b.AddInteractions({.src = new_users,
                                   .dst = other_users,
                                   .kind = kinds,
                                   .ts = bad_ts});
       }},
      {"encoded interactions",
       [&](GraphBuilder& b) {
         return b.AddInteractions(
             EncodedInteractionBatch{.src = new_users,
                                     .dst = other_users,
                                     .kind_codes = bad_codes,
                                     .kind_names = names,
                                     .ts = ts});
       }},
      {"purchases",
       [&](GraphBuilder& b) {
         return b.AddPurchases({.user = new_users,
                                .item = new_items,
                                .ts = ts,
                                .category = {},
                                .amount = bad_amount});
       }},
      {"campaigns",
       [&](GraphBuilder& b) { return b.AddCampaigns(bad_campaign.batch()); }},
  };
  for (const auto& [what, add] : bad_batches) {
    SECTION(what) {
      GraphBuilder b;
      good.AddFirst(b);
      const StagedCounts before = b.counts();
      CHECK(add(b).code() == absl::StatusCode::kInvalidArgument);
      CheckSameCounts(b.counts(), before);
      good.AddSecond(b);
      CheckSameCounts(b.counts(), reference.counts());
      testing::CheckSameGraph(Unwrap(b.Build(testing::AsOf(kAsOf))), expected);
    }
  }
}

TEST_CASE("counts() reports what was staged", "[ingest][validate]") {
  const GoodTables good;
  GraphBuilder b;
  good.AddFirst(b);
  good.AddSecond(b);
  const StagedCounts n = b.counts();
  CHECK(n.friendships == 3);
  CHECK(n.interactions == 2);
  CHECK(n.purchases == 2);
  CHECK(n.campaigns == 2);
  CHECK(n.users == 6);  // 1..6: invitee 6 appears only in `invited`
  CHECK(n.items == 2);  // campaign items 10 and 11 are the purchased ones
}

}  // namespace
}  // namespace invitegraph
