// Audiences (audience.h) against predicates written out in C++, compile-time
// errors, the cut, graph swaps, and the attribute features.
#include "invitegraph/audience.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "invitegraph/features.h"
#include "invitegraph/graph_builder.h"
#include "invitegraph/recommender.h"
#include "testing/fixtures.h"

namespace invitegraph {
namespace {

using testing::CheckError;
using testing::RequireOk;
using testing::Unwrap;
constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

// Random events plus profiles: region r0..r3 or missing, age_band a0..a2 or
// missing, tags from t0..t3 plus "skincare", spend (NaN for a quarter).
struct World {
  testing::RandomEvents events;
  std::vector<UserId> user;
  std::vector<std::string> regions = {"r0", "r1", "r2", "r3"};
  std::vector<std::string> bands = {"a0", "a1", "a2"};
  std::vector<std::string> tag_names = {"t0", "t1", "t2", "t3", "skincare"};
  std::vector<int32_t> region, band, tags;
  std::vector<int64_t> tag_offsets{0};
  std::vector<double> spend;

  explicit World(uint64_t seed) {
    events = testing::MakeRandomEvents({.num_users = 80,
                                        .num_friendships = 160,
                                        .num_interactions = 300,
                                        .seed = seed});
    std::mt19937_64 rng(seed * 31 + 7);
    for (int i = 0; i < 80; ++i) {
      user.push_back(testing::RandomUserId(i));
      region.push_back(static_cast<int32_t>(rng() % 5) - 1);
      band.push_back(static_cast<int32_t>(rng() % 4) - 1);
      for (int32_t t = 0; t < 5; ++t) {
        if (rng() % 3 == 0) tags.push_back(t);
      }
      tag_offsets.push_back(static_cast<int64_t>(tags.size()));
      spend.push_back(rng() % 4 == 0 ? NAN : static_cast<double>(rng() % 100));
    }
  }

  SocialGraph Build() const {
    GraphBuilder b;
    RequireOk(testing::AddAll(events, b));
    const std::vector<ProfileColumn> cols = {
        {.name = "region",
         .type = AttributeType::kCategory,
         .codes = region,
         .dictionary = regions},
        {.name = "age_band",
         .type = AttributeType::kCategory,
         .codes = band,
         .dictionary = bands},
        {.name = "tags",
         .type = AttributeType::kTags,
         .codes = tags,
         .offsets = tag_offsets,
         .dictionary = tag_names},
        {.name = "spend", .type = AttributeType::kNumber, .numbers = spend},
    };
    RequireOk(b.AddProfiles({.user = user, .columns = cols}));
    return Unwrap(b.Build(testing::AsOf(testing::kAsOf)));
  }
};

// One user's attributes as the oracle reads them.
struct Person {
  std::string region, band;  // "" = missing
  std::vector<std::string> tags;
  double spend = NAN;
  bool HasTag(const std::string& t) const {
    return std::find(tags.begin(), tags.end(), t) != tags.end();
  }
};

std::map<UserId, Person> People(const World& w) {
  std::map<UserId, Person> out;
  for (size_t i = 0; i < w.user.size(); ++i) {
    Person p;
    if (w.region[i] >= 0) p.region = w.regions[w.region[i]];
    if (w.band[i] >= 0) p.band = w.bands[w.band[i]];
    for (int64_t j = w.tag_offsets[i]; j < w.tag_offsets[i + 1]; ++j)
      p.tags.push_back(w.tag_names[w.tags[j]]);
    p.spend = w.spend[i];
    out[w.user[i]] = p;
  }
  return out;
}

using Predicate = std::function<bool(const Person& inviter, const Person& c,
                                     const UserProfile& cp)>;

// The graph the current case runs on, for predicates on its centrality.
const SocialGraph* g_current = nullptr;

TEST_CASE("audiences select exactly the candidates their predicate holds for",
          "[audience]") {
  const World w(3);
  const SocialGraph g = w.Build();
  const auto people = People(w);
  RecommenderConfig config;
  config.scoring.candidates.max_two_hop =
      100'000;  // no cap: the pool is everyone
  const Recommender rec = Unwrap(Recommender::Create(g, config));
  g_current = &g;

  const std::vector<std::pair<std::string, Predicate>> cases = {
      {"pagerank > 1.2 or (core_number >= 3 and clustering < 0.5)",
       [](const Person&, const Person&, const UserProfile& p) {
         const NodeId n = *g_current->FindNode(p.user);
         // PageRank x users in float, as the feature of that name.
         return g_current->pagerank(n) *
                        static_cast<float>(g_current->num_nodes()) >
                    1.2 ||
                (g_current->core_number(n) >= 3 &&
                 g_current->clustering(n) < 0.5);
       }},
      {"region == 'r1'", [](const Person&, const Person& c,
                            const UserProfile&) { return c.region == "r1"; }},
      {"region == inviter.region",
       [](const Person& u, const Person& c, const UserProfile&) {
         return !c.region.empty() && c.region == u.region;
       }},
      {"age_band in ['a0', 'a2'] and 'skincare' in tags",
       [](const Person&, const Person& c, const UserProfile&) {
         return (c.band == "a0" || c.band == "a2") && c.HasTag("skincare");
       }},
      {"not (region == 'r1') or spend >= 50",
       [](const Person&, const Person& c, const UserProfile&) {
         return c.region != "r1" || (!std::isnan(c.spend) && c.spend >= 50);
       }},
      {"region != 'r1'",
       [](const Person&, const Person& c, const UserProfile&) {
         return !c.region.empty() && c.region != "r1";
       }},
      {"spend not in [10, 20.0, 30] and age_band not in ['a1']",
       [](const Person&, const Person& c, const UserProfile&) {
         return !std::isnan(c.spend) && c.spend != 10 && c.spend != 20 &&
                c.spend != 30 && !c.band.empty() && c.band != "a1";
       }},
      {"is_new or degree > 5",
       [](const Person&, const Person&, const UserProfile& p) {
         return p.is_new || p.degree > 5;
       }},
      {"'t1' not in inviter.tags and activity_30d >= 1 and spend < "
       "inviter.spend",
       [](const Person& u, const Person& c, const UserProfile& p) {
         return !u.HasTag("t1") && p.activity_30d >= 1 && c.spend < u.spend;
       }},
      {"region == 'nowhere' or (age_band == \"a1\" and not is_new)",
       [](const Person&, const Person& c, const UserProfile& p) {
         return c.band == "a1" && !p.is_new;
       }},
  };
  for (const auto& [expr, pred] : cases) {
    CAPTURE(expr);
    const Audience a = Unwrap(Audience::Compile(expr, g));
    CHECK(a.expression() == expr);
    int64_t kept = 0, total = 0;
    for (int i = 0; i < 80; i += 3) {
      const UserId u = testing::RandomUserId(i);
      if (!g.FindNode(u)) continue;
      const FeatureMatrix all = Unwrap(rec.Features(u, Campaign{.item = 701}));
      const FeatureMatrix some =
          Unwrap(rec.Features(u, Campaign{.item = 701, .audience = a}));
      std::vector<UserId> expected;
      for (UserId v : all.candidates) {
        if (pred(people.at(u), people.at(v), g.profile(*g.FindNode(v))))
          expected.push_back(v);
      }
      CHECK(some.candidates == expected);
      // Matches() agrees with the filter for every pool member.
      for (UserId v : all.candidates) {
        const bool in =
            std::find(expected.begin(), expected.end(), v) != expected.end();
        CHECK(a.Matches(*g.FindNode(u), *g.FindNode(v)) == in);
      }
      // Exactly k when k candidates qualify.
      const auto list =
          Unwrap(rec.Recommend(u, Campaign{.item = 701, .audience = a}, 5));
      CHECK(list.size() == std::min<size_t>(5, expected.size()));
      for (const Suggestion& s : list) {
        CHECK(std::find(expected.begin(), expected.end(), s.candidate) !=
              expected.end());
      }
      kept += static_cast<int64_t>(expected.size());
      total += static_cast<int64_t>(all.candidates.size());
    }
    // Every case is selective on this world (neither none nor all), but the
    // last, which nobody's "nowhere" region can widen.
    CHECK(total > 0);
    CHECK(kept < total);
  }
}

TEST_CASE("the audience filters 2-hop candidates before the cap",
          "[audience]") {
  const World w(4);
  const SocialGraph g = w.Build();
  RecommenderConfig wide, narrow;
  wide.scoring.candidates.max_two_hop = 100'000;
  narrow.scoring.candidates.max_two_hop = 3;
  const Recommender all = Unwrap(Recommender::Create(g, wide));
  const Recommender capped = Unwrap(Recommender::Create(g, narrow));
  const Audience a = Unwrap(Audience::Compile("region in ['r0', 'r1']", g));
  int checked = 0;
  for (int i = 0; i < 80; ++i) {
    const UserId u = testing::RandomUserId(i);
    if (!g.FindNode(u)) continue;
    const Campaign c{.item = 701, .audience = a};
    const FeatureMatrix pool = Unwrap(all.Features(u, c));
    const FeatureMatrix cut = Unwrap(capped.Features(u, c));
    int64_t pool_two_hop = 0, cut_two_hop = 0;
    for (int64_t r = 0; r < pool.rows(); ++r)
      pool_two_hop += pool.values(r, kIsTwoHop) > 0;
    for (int64_t r = 0; r < cut.rows(); ++r)
      cut_two_hop += cut.values(r, kIsTwoHop) > 0;
    CHECK(cut_two_hop == std::min<int64_t>(3, pool_two_hop));
    checked += pool_two_hop > 3;
  }
  CHECK(checked > 5);  // the cap mattered for several inviters
}

TEST_CASE("audience compile errors name the problem and the place",
          "[audience]") {
  const World w(5);
  const SocialGraph g = w.Build();
  auto err = [&](const std::string& expr) {
    return Audience::Compile(expr, g).status();
  };
  CheckError(err("regoin == 'r1'"), kInvalid,
             {"unknown attribute 'regoin'", "character 1", "region (category)",
              "tags (tags)", "spend (number)", "degree (number)"});
  CheckError(err("inviter.nope > 1"), kInvalid,
             {"unknown attribute 'nope'", "character 9"});
  CheckError(err("region < 3"), kInvalid,
             {"'<' cannot compare region (category) with the number 3"});
  CheckError(err("'x' in region"), kInvalid,
             {"'in' cannot compare the string 'x' with region (category)"});
  CheckError(err("tags == 'x'"), kInvalid, {"'==' cannot compare", "tags"});
  CheckError(err("spend in ['a']"), kInvalid,
             {"cannot compare spend (number) with a list of strings"});
  CheckError(err("age_band == region"), kInvalid, {"same attribute only"});
  CheckError(err("degree"), kInvalid, {"expected a comparison", "degree"});
  CheckError(err("region = 'x'"), kInvalid,
             {"'=' is not an operator", "character 8"});
  CheckError(err("(region == 'x'"), kInvalid, {"expected ')'", "character 1"});
  CheckError(err("region == 'x' and"), kInvalid, {"unexpected end"});
  CheckError(err("region == 'x"), kInvalid, {"unterminated string"});
  CheckError(err("region in ['a', 1]"), kInvalid, {"only strings or only"});
  CheckError(err("region == 'x' spend"), kInvalid, {"unexpected 'spend'"});
  CheckError(err("  "), kInvalid, {"empty expression"});
  CheckError(err("inviter == 'x'"), kInvalid, {"'inviter' must be followed"});
  CheckError(err("region == \xe2\x80\x98x\xe2\x80\x99"), kInvalid,
             {"unexpected non-ASCII character", "character 11"});
  CheckError(err("spend > 0x10"), kInvalid, {"unexpected 'x10'"});
  // Nesting and size are bounded, so compiling and evaluating never recurse
  // deeply whatever the input.
  std::string deep;
  for (int i = 0; i < 65; ++i) deep += "not ";
  CheckError(err(deep + "is_new"), kInvalid, {"nested deeper than 64"});
  CheckError(err(std::string(100, '(') + "is_new" + std::string(100, ')')),
             kInvalid, {"nested deeper than 64"});
  std::string shallow;
  for (int i = 0; i < 64; ++i) shallow += "not ";
  CHECK(Audience::Compile(shallow + "is_new", g).ok());
  std::string many = "is_new";
  for (int i = 0; i < 2000; ++i) many += " or is_new";
  CheckError(err(many), kInvalid, {"expression too long"});
  // Numbers are decimal whatever the locale: 2.5, -1e1.
  const Audience a = Unwrap(Audience::Compile("spend in [2.5, -1e1, 40]", g));
  for (size_t i = 0; i < w.user.size(); ++i) {
    const NodeId n = *g.FindNode(w.user[i]);
    CHECK(a.Matches(n, n) == (w.spend[i] == 40));  // spend: whole numbers
  }
  CHECK(Audience::Compile("spend in [4e1]", g)->Matches(0, 0) ==
        a.Matches(0, 0));
}

TEST_CASE("a swapped graph recompiles the audience; features read profiles",
          "[audience][features]") {
  const World w(6);
  const SocialGraph g1 = w.Build();
  const SocialGraph g2 = w.Build();  // equal, but other storage
  const Audience a = Unwrap(Audience::Compile("region == 'r2'", g1));
  CHECK(a.CompiledFor(g1));
  CHECK_FALSE(a.CompiledFor(g2));
  RecommenderConfig config;
  config.scoring.attribute_features.category_tags = {
      {testing::RandomItemCategory(701), {"skincare", "t0", "unknown"}}};
  const Recommender rec = Unwrap(Recommender::Create(g1, config));
  const UserId u = testing::RandomUserId(0);
  const auto before =
      Unwrap(rec.Features(u, Campaign{.item = 701, .audience = a}));
  RequireOk(rec.SwapGraph(g2));
  const auto after =
      Unwrap(rec.Features(u, Campaign{.item = 701, .audience = a}));
  CHECK(after.candidates == before.candidates);
  CHECK(after.values == before.values);

  // Attribute features against the people table.
  const auto people = People(w);
  const Person& inviter = people.at(u);
  const FeatureMatrix f = Unwrap(rec.Features(u, Campaign{.item = 701}));
  REQUIRE(f.rows() > 0);
  int same = 0;
  for (int64_t r = 0; r < f.rows(); ++r) {
    const Person& c = people.at(f.candidates[r]);
    const bool same_region = !c.region.empty() && c.region == inviter.region;
    CHECK(f.values(r, kSameRegion) == (same_region ? 1.0f : 0.0f));
    CHECK(f.values(r, kSameAgeBand) ==
          (!c.band.empty() && c.band == inviter.band ? 1.0f : 0.0f));
    int common = 0;
    for (const std::string& t : c.tags) common += inviter.HasTag(t);
    const int uni =
        static_cast<int>(c.tags.size() + inviter.tags.size()) - common;
    CHECK(f.values(r, kTagOverlap) ==
          Approx(uni > 0 ? static_cast<double>(common) / uni : 0.0));
    // Three tags named for the category, one unknown to the graph.
    const int match = c.HasTag("skincare") + c.HasTag("t0");
    CHECK(f.values(r, kCategoryTagMatch) == Approx(match / 3.0));
    same += same_region;
  }
  CHECK(same > 0);
  // A feature column of the wrong type is refused up front.
  RecommenderConfig bad;
  bad.scoring.attribute_features.region = "spend";
  CheckError(Recommender::Create(g1, bad).status(), kInvalid,
             {"attribute_features.region='spend'", "number", "category"});
}

}  // namespace
}  // namespace invitegraph
