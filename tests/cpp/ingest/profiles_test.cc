// Profile ingestion (profiles.h): validation, upsert semantics, order
// independence, snapshots, Update and Forget.
#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "invitegraph/graph_builder.h"
#include "invitegraph/social_graph.h"
#include "testing/fixtures.h"

namespace invitegraph {
namespace {

using testing::CheckError;
using testing::RequireOk;
using testing::Unwrap;
constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

// A profile table as plain vectors, turned into a ProfileBatch on demand.
struct Profiles {
  std::vector<UserId> user;
  std::vector<std::string> regions;  // dictionary of `region`
  std::vector<int32_t> region;
  std::vector<std::string> tag_names;
  std::vector<int64_t> tag_offsets{0};
  std::vector<int32_t> tags;
  std::vector<double> spend;
  std::string spend_name = "spend";
  std::vector<ProfileColumn> columns;

  void Add(UserId u, int32_t r, std::vector<int32_t> t, double s) {
    user.push_back(u);
    region.push_back(r);
    tags.insert(tags.end(), t.begin(), t.end());
    tag_offsets.push_back(static_cast<int64_t>(tags.size()));
    spend.push_back(s);
  }
  ProfileBatch Batch() {
    columns = {
        {.name = "region",
         .type = AttributeType::kCategory,
         .codes = region,
         .dictionary = regions},
        {.name = "tags",
         .type = AttributeType::kTags,
         .codes = tags,
         .offsets = tag_offsets,
         .dictionary = tag_names},
        {.name = spend_name, .type = AttributeType::kNumber, .numbers = spend},
    };
    return {.user = user, .columns = columns};
  }
};

// The value of each user's attributes as strings, by user id, for
// comparisons independent of NodeIds and codes.
std::map<UserId, std::string> Rendered(const SocialGraph& g) {
  std::map<UserId, std::string> out;
  const auto region = g.attribute_column("region");
  const auto tags = g.attribute_column("tags");
  const auto spend = g.attribute_column("spend");
  for (NodeId n = 0; n < g.num_nodes(); ++n) {
    std::string s;
    if (region && region->codes[n] >= 0)
      s += "r=" + region->dictionary[region->codes[n]];
    if (tags) {
      s += " t=";
      for (uint64_t j = tags->tag_offsets[n]; j < tags->tag_offsets[n + 1]; ++j)
        s += tags->dictionary[tags->codes[j]] + ",";
    }
    if (spend && !std::isnan(spend->numbers[n]))
      s += " s=" + std::to_string(spend->numbers[n]);
    out[g.user_id(n)] = s;
  }
  return out;
}

GraphBuilder WithFriends() {
  GraphBuilder b;
  const std::vector<UserId> src = {1, 2, 3}, dst = {2, 3, 4};
  RequireOk(b.AddFriendships({.src = src, .dst = dst}));
  return b;
}

TEST_CASE("profiles are validated whole and a bad batch leaves nothing",
          "[profiles]") {
  GraphBuilder b = WithFriends();
  Profiles p;
  p.regions = {"north", "south"};
  p.tag_names = {"skincare", "baby"};
  p.Add(1, 0, {0}, 10);
  p.Add(2, 1, {0, 1}, NAN);
  RequireOk(b.AddProfiles(p.Batch()));
  CHECK(b.counts().profiles == 2);

  auto expect_rejected = [&](Profiles q, std::vector<std::string> parts) {
    const StagedCounts before = b.counts();
    CheckError(b.AddProfiles(q.Batch()), kInvalid, parts);
    CHECK(b.counts().profiles == before.profiles);
    CHECK(b.counts().users == before.users);
  };
  {
    Profiles q = p;
    q.user[1] = -5;
    expect_rejected(q, {"profiles.user[1]=-5"});
  }
  {
    Profiles q = p;
    q.user[1] = 1;
    expect_rejected(q, {"profiles.user[1]=1", "row 0"});
  }
  {
    Profiles q = p;
    q.region[0] = 2;
    expect_rejected(q, {"profiles.region[0]=code 2", "dictionary of 2"});
  }
  {
    Profiles q = p;
    q.regions = {"north", "north"};
    expect_rejected(q, {"profiles.region", "'north' twice"});
  }
  // Invalid UTF-8, including what a loose check would let through (an
  // overlong NUL, a surrogate, a code point past U+10FFFF, a cut sequence).
  for (const char* bad_text : {"\xff\xfe", "\xc0\x80", "\xed\xa0\x80",
                               "\xf4\x90\x80\x80", "a\xe2\x80"}) {
    Profiles q = p;
    q.regions = {"north", std::string(bad_text)};
    expect_rejected(q, {"profiles.region", "#1", "UTF-8"});
  }
  {
    Profiles q = p;  // valid multi-byte text is fine
    q.regions = {"north", "s\xc3\xbc\xe5\x8c\x97\xf0\x9f\x8c\x8f"};
    GraphBuilder ok = WithFriends();
    RequireOk(ok.AddProfiles(q.Batch()));
    RequireOk(Unwrap(ok.Build()).ToBytes().status());
  }
  {
    Profiles q = p;
    q.tag_offsets = {0, 2, 1};
    expect_rejected(q, {"profiles.tags[1]", "must not decrease"});
  }
  {
    Profiles q = p;
    q.spend[1] = INFINITY;
    expect_rejected(q, {"profiles.spend[1]=inf", "finite"});
  }
  {
    Profiles q = p;
    q.spend_name = "degree";  // a built-in attribute
    expect_rejected(q, {"'degree'", "built-in"});
    q.spend_name = "2x";
    expect_rejected(q, {"identifiers", "'2x'"});
    q.spend_name = "region";
    expect_rejected(q, {"'region' given twice"});
  }
  // A name keeps its type across batches.
  {
    std::vector<UserId> u = {9};
    std::vector<double> x = {1};
    std::vector<ProfileColumn> cols = {
        {.name = "region", .type = AttributeType::kNumber, .numbers = x}};
    CheckError(b.AddProfiles({.user = u, .columns = cols}), kInvalid,
               {"profiles.region", "category", "number"});
    CHECK(b.counts().users == 4);  // user 9 was not added
  }
  const SocialGraph g = Unwrap(b.Build());
  const auto r = Rendered(g);
  CHECK(r.at(1) == "r=north t=skincare, s=10.000000");
  CHECK(r.at(2) == "r=south t=baby,skincare,");
  CHECK(r.at(3) == " t=");
}

TEST_CASE("later batches upsert: missing values keep, tags replace",
          "[profiles]") {
  GraphBuilder b = WithFriends();
  Profiles first;
  first.regions = {"north", "west"};
  first.tag_names = {"a", "b"};
  first.Add(1, 0, {0, 1}, 5);
  first.Add(2, 1, {1}, 7);
  RequireOk(b.AddProfiles(first.Batch()));
  Profiles second;
  second.regions = {"south"};
  second.tag_names = {"c"};
  second.Add(1, -1, {}, NAN);  // nothing given but an empty tag list
  second.Add(2, 0, {0}, 8);
  second.Add(7, 0, {}, 1);  // a user only profiles know
  RequireOk(b.AddProfiles(second.Batch()));
  const SocialGraph g = Unwrap(b.Build());
  const auto r = Rendered(g);
  CHECK(r.at(1) == "r=north t= s=5.000000");
  CHECK(r.at(2) == "r=south t=c, s=8.000000");
  CHECK(r.at(7) == "r=south t= s=1.000000");
  CHECK(g.degree(*g.FindNode(7)) == 0);
  // "west" lost its only holder: pruned from the dictionary, as are "a"/"b".
  const auto region = g.attribute_column("region");
  REQUIRE(region);
  CHECK(std::vector<std::string>(region->dictionary.begin(),
                                 region->dictionary.end()) ==
        std::vector<std::string>{"north", "south"});
  CHECK(g.attribute_column("tags")->dictionary.size() == 1);
  CHECK_FALSE(g.attribute_column("nope"));
  // attributes(): columns by name, then the built-ins.
  const auto attrs = g.attributes();
  REQUIRE(attrs.size() >= 3);
  CHECK(attrs[0].name == "region");
  CHECK(attrs[1].name == "spend");
  CHECK(attrs[2].name == "tags");
  CHECK(attrs[2].type == AttributeType::kTags);
  CHECK(attrs.back().builtin);
}

TEST_CASE("profile columns do not depend on batch or row order", "[profiles]") {
  std::mt19937_64 rng(5);
  Profiles all;
  all.regions = {"r0", "r1", "r2", "r3"};
  all.tag_names = {"t0", "t1", "t2", "t3", "t4"};
  for (UserId u = 0; u < 40; ++u) {
    std::vector<int32_t> t;
    for (int32_t k = 0; k < 5; ++k) {
      if (rng() % 3 == 0) t.push_back(k);
    }
    all.Add(100 + u, static_cast<int32_t>(rng() % 5) - 1, t,
            rng() % 4 == 0 ? NAN : static_cast<double>(rng() % 100));
  }
  GraphBuilder a = WithFriends();
  RequireOk(a.AddProfiles(all.Batch()));
  // The same rows reversed, in two batches, with the dictionaries reversed.
  GraphBuilder b = WithFriends();
  for (int half = 0; half < 2; ++half) {
    Profiles p;
    p.regions = {"r3", "r2", "r1", "r0"};
    p.tag_names = {"t4", "t3", "t2", "t1", "t0"};
    for (int i = 39 - 20 * half; i >= 20 - 20 * half; --i) {
      std::vector<int32_t> t;
      for (int64_t j = all.tag_offsets[i]; j < all.tag_offsets[i + 1]; ++j)
        t.push_back(4 - all.tags[j]);
      p.Add(all.user[i], all.region[i] < 0 ? -1 : 3 - all.region[i], t,
            all.spend[i]);
    }
    RequireOk(b.AddProfiles(p.Batch()));
  }
  const SocialGraph ga = Unwrap(a.Build()), gb = Unwrap(b.Build());
  CHECK(Rendered(ga) == Rendered(gb));
  const auto ca = ga.attribute_column("tags"), cb = gb.attribute_column("tags");
  CHECK(std::vector<int32_t>(ca->codes.begin(), ca->codes.end()) ==
        std::vector<int32_t>(cb->codes.begin(), cb->codes.end()));
}

TEST_CASE("snapshots, Update and Forget carry profile columns",
          "[profiles][snapshot]") {
  GraphBuilder b = WithFriends();
  Profiles p;
  p.regions = {"north", "south", "secret"};
  p.tag_names = {"x", "y"};
  p.Add(1, 0, {0}, 1);
  p.Add(2, 2, {1}, 2);
  p.Add(3, 1, {0, 1}, 3);
  RequireOk(b.AddProfiles(p.Batch()));
  const SocialGraph g = Unwrap(b.Build());
  const SocialGraph loaded =
      Unwrap(SocialGraph::FromBytes(Unwrap(g.ToBytes())));
  CHECK(Rendered(loaded) == Rendered(g));

  // Update: new values overlay, a new column appears, types must match.
  GraphBuilder more;
  Profiles q;
  q.regions = {"east"};
  q.tag_names = {"z"};
  q.Add(3, 0, {0}, NAN);
  q.Add(5, -1, {}, 9);
  RequireOk(more.AddProfiles(q.Batch()));
  const std::vector<UserId> s = {4}, d = {5};
  RequireOk(more.AddFriendships({.src = s, .dst = d}));
  const SocialGraph u = Unwrap(g.Update(more));
  const auto r = Rendered(u);
  CHECK(r.at(1) == "r=north t=x, s=1.000000");
  CHECK(r.at(3) == "r=east t=z, s=3.000000");
  CHECK(r.at(5) == " t= s=9.000000");
  GraphBuilder clash;
  std::vector<UserId> cu = {1};
  std::vector<double> cx = {1};
  std::vector<ProfileColumn> cc = {
      {.name = "tags", .type = AttributeType::kNumber, .numbers = cx}};
  RequireOk(clash.AddProfiles({.user = cu, .columns = cc}));
  CheckError(g.Update(clash).status(), kInvalid,
             {"profiles.tags", "tags", "number"});

  // A user named only in profiles, even with every value missing, stays a
  // node through an Update that drops replayed rows (WithoutRows).
  {
    GraphBuilder replay(GraphConfig{.dedupe = Dedupe::kExact});
    const std::vector<UserId> rs = {1}, rd = {2};
    const std::vector<Channel> rk = {Channel::kChat};
    const std::vector<Timestamp> rt = {100};
    RequireOk(
        replay.AddInteractions({.src = rs, .dst = rd, .kind = rk, .ts = rt}));
    const SocialGraph base = Unwrap(replay.Build());
    GraphBuilder again(GraphConfig{.dedupe = Dedupe::kExact});
    RequireOk(
        again.AddInteractions({.src = rs, .dst = rd, .kind = rk, .ts = rt}));
    Profiles only;
    only.Add(42, -1, {}, NAN);
    only.tag_offsets = {0, 0};
    RequireOk(again.AddProfiles(only.Batch()));
    const SocialGraph updated = Unwrap(base.Update(again));
    CHECK(updated.stats().duplicates_skipped == 1);
    CHECK(updated.FindNode(42).has_value());
  }

  // Forget: the user's values go, and so does a string only they held.
  const SocialGraph f = Unwrap(g.Forget(std::vector<UserId>{2}));
  const auto region = f.attribute_column("region");
  CHECK(std::vector<std::string>(region->dictionary.begin(),
                                 region->dictionary.end()) ==
        std::vector<std::string>{"north", "south"});
  auto rf = Rendered(g);
  rf.erase(2);
  // Codes change with the pruned dictionary; the rendered values do not.
  CHECK(Rendered(f) == rf);
}

}  // namespace
}  // namespace invitegraph
