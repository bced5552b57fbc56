// User attributes and campaign audiences: profiles with a category, a tag list
// and a number column, an audience compiled once per campaign, and the
// attribute features the rankers see.
//
//   cmake -B build -DINVITEGRAPH_BUILD_EXAMPLES=ON && cmake --build build
//   ./build/examples/14_audiences
#include <cstdio>
#include <string>
#include <vector>

#include "invitegraph/audience.h"
#include "invitegraph/features.h"
#include "invitegraph/graph_builder.h"
#include "invitegraph/recommender.h"
#include "invitegraph/status.h"

namespace ig = invitegraph;

absl::Status Run() {
  // User 1 invites; 2..7 are contacts (2..5 direct, 6 and 7 through 2).
  const std::vector<ig::UserId> src = {1, 1, 1, 1, 2, 2};
  const std::vector<ig::UserId> dst = {2, 3, 4, 5, 6, 7};
  ig::GraphBuilder builder;
  INVITEGRAPH_RETURN_IF_ERROR(builder.AddFriendships({.src = src, .dst = dst}));

  // Profiles: region (category), age_band (category), tags (list), spend.
  const std::vector<ig::UserId> users = {1, 2, 3, 4, 5, 6, 7};
  const std::vector<std::string> regions = {"north", "south"};
  const std::vector<int32_t> region = {0, 0, 1, 0, -1, 0, 0};  // -1: missing
  const std::vector<std::string> bands = {"18-24", "25-30"};
  const std::vector<int32_t> band = {1, 1, 1, 0, 1, 1, 1};
  const std::vector<std::string> tag_names = {"skincare", "baby", "sports"};
  const std::vector<int64_t> tag_offsets = {0, 1, 3, 4, 5, 6, 6, 7};
  const std::vector<int32_t> tags = {0, 0, 1, 0, 0, 2, 0};
  const std::vector<double> spend = {50, 80, 20, 90, 60, 10, 70};
  const std::vector<ig::ProfileColumn> columns = {
      {.name = "region",
       .type = ig::AttributeType::kCategory,
       .codes = region,
       .dictionary = regions},
      {.name = "age_band",
       .type = ig::AttributeType::kCategory,
       .codes = band,
       .dictionary = bands},
      {.name = "tags",
       .type = ig::AttributeType::kTags,
       .codes = tags,
       .offsets = tag_offsets,
       .dictionary = tag_names},
      {.name = "spend", .type = ig::AttributeType::kNumber, .numbers = spend},
  };
  INVITEGRAPH_RETURN_IF_ERROR(
      builder.AddProfiles({.user = users, .columns = columns}));
  INVITEGRAPH_ASSIGN_OR_RETURN(ig::SocialGraph g, builder.Build());

  // The merchant's crowd: 25-30, into skincare, in the inviter's region.
  INVITEGRAPH_ASSIGN_OR_RETURN(
      ig::Audience crowd,
      ig::Audience::Compile("age_band in ['25-30'] and 'skincare' in tags and "
                            "region == inviter.region",
                            g));
  ig::RecommenderConfig config;
  config.scoring.attribute_features.category_tags = {{7, {"skincare", "baby"}}};
  INVITEGRAPH_ASSIGN_OR_RETURN(ig::Recommender rec,
                               ig::Recommender::Create(g, config));
  INVITEGRAPH_ASSIGN_OR_RETURN(
      std::vector<ig::Suggestion> all,
      rec.Recommend(1, ig::Campaign{.category = 7}, 10));
  INVITEGRAPH_ASSIGN_OR_RETURN(
      std::vector<ig::Suggestion> some,
      rec.Recommend(1, ig::Campaign{.category = 7, .audience = crowd}, 10));
  std::printf("everyone:");
  for (const auto& s : all) std::printf(" %lld", (long long)s.candidate);
  std::printf("\naudience:");
  for (const auto& s : some) std::printf(" %lld", (long long)s.candidate);
  std::printf("\n");

  // A typo is caught when the campaign is set up, not per request.
  auto bad = ig::Audience::Compile("age_bnd in ['25-30']", g);
  std::printf("compile error: %s\n",
              std::string(bad.status().message()).c_str());

  // The attribute features of user 1's candidates.
  INVITEGRAPH_ASSIGN_OR_RETURN(ig::FeatureMatrix x,
                               rec.Features(1, ig::Campaign{.category = 7}));
  std::printf(
      "candidate  same_region  same_age_band  tag_overlap  "
      "category_tag_match\n");
  for (int64_t r = 0; r < x.rows(); ++r) {
    std::printf("%9lld  %11.0f  %13.0f  %11.3f  %18.3f\n",
                static_cast<long long>(x.candidates[r]),
                x.values(r, ig::kSameRegion), x.values(r, ig::kSameAgeBand),
                x.values(r, ig::kTagOverlap),
                x.values(r, ig::kCategoryTagMatch));
  }
  return absl::OkStatus();
}

int main() {
  const absl::Status s = Run();
  if (!s.ok()) {
    std::fprintf(stderr, "example failed: %s\n",
                 std::string(s.message()).c_str());
    return 1;
  }
  return 0;
}
