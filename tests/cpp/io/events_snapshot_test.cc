// Kept events in snapshots: a loaded graph builds the same training sets as
// the one that was saved; leaving them out is said by BuildTrainingSet; a
// damaged event section is kDataLoss, never a graph that breaks later.
#include <catch2/catch.hpp>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "invitegraph/abuse.h"
#include "invitegraph/graph_builder.h"
#include "invitegraph/profiles.h"
#include "invitegraph/social_graph.h"
#include "invitegraph/synth.h"
#include "invitegraph/training.h"
#include "testing/fixtures.h"
#include "testing/snapshot_bytes.h"

namespace invitegraph {
namespace {

using testing::CheckError;
using testing::Section;
using testing::Tampered;
using testing::Unwrap;

synth::World TinyWorld(int64_t users) {
  return Unwrap(synth::Generate({.n_users = users,
                                 .seed = 5,
                                 .avg_friends = 6,
                                 .n_categories = 4,
                                 .n_items = 30,
                                 .campaigns_per_user = 0.4,
                                 .days = 40}));
}

// Every kind of kept row: friendships, interactions, purchases and campaigns
// (with ts, categories and invited lists) with dedupe keys, profile columns
// of the three types, abuse scores and centrality.
SocialGraph KeptGraph(const synth::World& w, bool keep_events = true) {
  GraphBuilder b(GraphConfig{.dedupe = Dedupe::kExact});
  testing::RequireOk(b.AddFriendships(w.friendships()));
  testing::RequireOk(b.AddInteractions(w.interactions()));
  testing::RequireOk(b.AddPurchases(w.purchases()));
  testing::RequireOk(b.AddCampaigns(w.campaigns()));
  // Half the campaigns again without ts, category or invited lists.
  const size_t half = w.campaign_inviter.size() / 2;
  const CampaignBatch untimed{
      .inviter = absl::MakeConstSpan(w.campaign_inviter).subspan(0, half),
      .item = absl::MakeConstSpan(w.campaign_item).subspan(0, half),
      .joined_offsets =
          absl::MakeConstSpan(w.joined_offsets).subspan(0, half + 1),
      .joined = absl::MakeConstSpan(w.joined).subspan(
          0, static_cast<size_t>(w.joined_offsets[half]))};
  testing::RequireOk(b.AddCampaigns(untimed));
  const std::vector<UserId> users = {0, 1, 2, 3, 5};
  const std::vector<std::string> regions = {"north", "south"};
  const std::vector<int32_t> region_codes = {0, 1, -1, 0, 1};
  const std::vector<std::string> tags = {"a", "b", "c"};
  const std::vector<int32_t> tag_codes = {2, 0, 1, 1};
  const std::vector<int64_t> tag_offsets = {0, 2, 2, 3, 4, 4};
  const std::vector<double> age = {31, std::nan(""), 22.5, 40, 19};
  const std::vector<ProfileColumn> columns = {
      {.name = "region",
       .type = AttributeType::kCategory,
       .codes = region_codes,
       .dictionary = regions},
      {.name = "tags",
       .type = AttributeType::kTags,
       .codes = tag_codes,
       .offsets = tag_offsets,
       .dictionary = tags},
      {.name = "age", .type = AttributeType::kNumber, .numbers = age}};
  testing::RequireOk(b.AddProfiles({.user = users, .columns = columns}));
  return Unwrap(b.Build({.keep_events = keep_events,
                         .centrality = true,
                         .abuse = AbuseOptions{.fresh_days = 12}}));
}

void RequireSameSet(const TrainingSet& a, const TrainingSet& b) {
  REQUIRE(a.rows() == b.rows());
  CHECK(a.record == b.record);
  CHECK(a.candidate == b.candidate);
  CHECK(a.label == b.label);
  CHECK(a.weight == b.weight);
  CHECK(a.x == b.x);
  CHECK(a.report.graphs_built == b.report.graphs_built);
  CHECK(a.report.step_hidden_share == b.report.step_hidden_share);
}

TEST_CASE("A snapshot keeps the kept events: the loaded graph trains the same",
          "[snapshot][events]") {
  const synth::World w = TinyWorld(300);
  const SocialGraph g = KeptGraph(w);
  REQUIRE(g.has_events());
  const std::string bytes = Unwrap(g.ToBytes());
  const SocialGraph h = Unwrap(SocialGraph::FromBytes(bytes));
  REQUIRE(h.has_events());
  testing::CheckSameGraph(g, h);
  // Saved again, the loaded graph gives the same bytes: nothing was lost.
  CHECK(Unwrap(h.ToBytes()) == bytes);

  const CampaignBatch timed = w.campaigns();
  CampaignBatch untimed = timed;
  untimed.ts = {};
  for (const TrainingOptions& o :
       {TrainingOptions{}, TrainingOptions{.as_of_step_days = 0},
        TrainingOptions{.folds = 4, .seed = 3}}) {
    RequireSameSet(Unwrap(BuildTrainingSet(g, timed, o)),
                   Unwrap(BuildTrainingSet(h, timed, o)));
    RequireSameSet(Unwrap(BuildTrainingSet(g, untimed, o)),
                   Unwrap(BuildTrainingSet(h, untimed, o)));
  }
  // Abuse scores from the kept assists, with the options the graph used.
  const AbuseReport ra = Unwrap(DetectAbuse(g, AbuseOptions{.fresh_days = 12}));
  const AbuseReport rb = Unwrap(DetectAbuse(h, AbuseOptions{.fresh_days = 12}));
  CHECK(rb.stats.lockstep_computed);  // from the kept assists
  CHECK(ra.suspicion == rb.suspicion);
}

TEST_CASE("A snapshot without events says why training cannot run",
          "[snapshot][events]") {
  const synth::World w = TinyWorld(120);
  const SocialGraph g = KeptGraph(w);
  const std::string with = Unwrap(g.ToBytes());
  const std::string without = Unwrap(g.ToBytes({.events = false}));
  CHECK(without.size() < with.size());
  const SocialGraph lean = Unwrap(SocialGraph::FromBytes(without));
  CHECK_FALSE(lean.has_events());
  testing::CheckSameGraph(g, lean);
  CheckError(BuildTrainingSet(lean, w.campaigns()).status(),
             absl::StatusCode::kFailedPrecondition,
             {"saved without them", "events = false", "keep_events"});
  // A graph that never kept events: the file has none to give.
  const SocialGraph plain = KeptGraph(w, /*keep_events=*/false);
  const SocialGraph loaded =
      Unwrap(SocialGraph::FromBytes(Unwrap(plain.ToBytes())));
  CheckError(BuildTrainingSet(loaded, w.campaigns()).status(),
             absl::StatusCode::kFailedPrecondition,
             {"loaded from a snapshot that has none", "keep_events"});
  // Built in-process without them: the plain advice.
  const absl::Status built = BuildTrainingSet(plain, w.campaigns()).status();
  CheckError(built, absl::StatusCode::kFailedPrecondition, {"keep_events"});
  CHECK_THAT(std::string(built.message()),
             !Catch::Contains("loaded from a snapshot"));
}

TEST_CASE("Every truncation of a snapshot with events is a clear error",
          "[snapshot][events]") {
  const std::string bytes = Unwrap(KeptGraph(TinyWorld(30)).ToBytes());
  for (size_t len = 0; len < bytes.size(); ++len) {
    const auto r = SocialGraph::FromBytes(std::string_view(bytes.data(), len));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == absl::StatusCode::kDataLoss);
  }
  // Empty event sections are not written, so the file ends inside one.
  CheckError(SocialGraph::FromBytes(bytes.substr(0, bytes.size() - 1)).status(),
             absl::StatusCode::kDataLoss, {"truncated"});
}

TEST_CASE("Event sections that a sealed file gets wrong are refused by name",
          "[snapshot][events]") {
  const std::string bytes = Unwrap(KeptGraph(TinyWorld(60)).ToBytes());
  REQUIRE(SocialGraph::FromBytes(bytes).ok());
  const auto refused = [](const std::string& bad,
                          std::vector<std::string> parts) {
    CheckError(SocialGraph::FromBytes(bad).status(),
               absl::StatusCode::kDataLoss, std::move(parts));
  };
  refused(Tampered<uint32_t>(bytes, "EFRS", [](auto& v) { v[1] = 1'000'000; }),
          {"snapshot events", "EFRS[1]=1000000", "out of range"});
  refused(Tampered<uint32_t>(bytes, "EFRD", [](auto& v) { v[0] = 0; }),
          {"friendship #0", "itself"});
  refused(Tampered<uint8_t>(bytes, "EIK_", [](auto& v) { v[2] = 200; }),
          {"interaction #2", "unknown kind 200"});
  refused(Tampered<int64_t>(bytes, "EIT_", [](auto& v) { v[0] = -5; }),
          {"EIT_[0]=-5"});
  refused(
      Tampered<int64_t>(bytes, "ECJO", [](auto& v) { v[1] = v.back() + 1; }),
      {"ECJO"});
  refused(Tampered<uint8_t>(bytes, "ECH_", [](auto& v) { v[0] = 2; }),
          {"campaign #0", "invited flag"});
  {
    // A campaign whose inviter is among its own joiners.
    const auto offsets = Section<int64_t>(bytes, "ECJO");
    const auto joined = Section<uint32_t>(bytes, "ECJ_");
    size_t c = 0;
    while (offsets[c + 1] == offsets[c]) ++c;
    refused(Tampered<uint32_t>(bytes, "ECI_",
                               [&](auto& v) { v[c] = joined[offsets[c]]; }),
            {absl::StrCat("campaign #", c), "inviter among its invitees"});
  }
  refused(Tampered<int64_t>(bytes, "EUSR", [](auto& v) { v[3] = v[2]; }),
          {"user id", "appears twice"});
  refused(Tampered<int32_t>(bytes, "EATC", [](auto& v) { v[0] = 7; }),
          {"EATC", "tags"});
  refused(Tampered<int32_t>(bytes, "EACD", [](auto& v) { v[0] = 9; }),
          {"region", "outside its dictionary"});
}

}  // namespace
}  // namespace invitegraph
