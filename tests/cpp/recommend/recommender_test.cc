// Recommender on a 2,000-user synthetic world: top-k contract against a
// brute-force sort of all candidates, errors, batch == single calls for any
// thread count, and reason codes.
#include "invitegraph/recommender.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "explain/reasons.h"
#include "invitegraph/graph_builder.h"
#include "invitegraph/synth.h"
#include "testing/fixtures.h"
#include "testing/oracles.h"

namespace invitegraph {
namespace {

using testing::CheckError;
using testing::RequireOk;
using testing::Unwrap;

struct SynthFixture {
  synth::World world;
  SocialGraph graph;
  std::vector<UserId>
      inviters;               // campaign inviters, then a spread of other users
  std::vector<ItemId> items;  // the campaign item of each inviter row
};

SocialGraph BuildWorld(const synth::World& w, int threads) {
  GraphBuilder b(GraphConfig{.channel_weights = {}, .num_threads = threads});
  RequireOk(b.AddFriendships(w.friendships()));
  RequireOk(b.AddInteractions(w.interactions()));
  RequireOk(b.AddPurchases(w.purchases()));
  RequireOk(b.AddCampaigns(w.campaigns()));
  return Unwrap(b.Build());
}

const SynthFixture& Synth() {
  static const SynthFixture* const fixture = [] {
    synth::World w = Unwrap(synth::Generate(
        {.n_users = 2000, .seed = 42, .num_threads = 2, .progress = {}}));
    SocialGraph g = BuildWorld(w, 2);
    std::vector<UserId> inviters;
    std::vector<ItemId> items;
    for (size_t r = 0; r < w.campaign_inviter.size() && inviters.size() < 150;
         ++r) {
      inviters.push_back(w.campaign_inviter[r]);
      items.push_back(w.campaign_item[r]);
    }
    for (UserId u = 0; u < 2000; u += 13) {
      if (!g.FindNode(u)) continue;
      inviters.push_back(u);
      items.push_back(w.purchase_item[u % w.purchase_item.size()]);
    }
    return new SynthFixture{std::move(w), std::move(g), std::move(inviters),
                            std::move(items)};
  }();
  return *fixture;
}

TEST_CASE("Recommend returns the brute-force top k",
          "[recommend][recommender]") {
  const SynthFixture& f = Synth();
  REQUIRE(f.inviters.size() > 200);
  // Every candidate scored: the oracle sorts them all (cascade_test.cc checks
  // the cascade against its own oracle).
  const Recommender rec =
      Unwrap(Recommender::Create(f.graph, {.cascade_size = 0}));
  int compared = 0;
  for (size_t i = 0; i < f.inviters.size(); i += 5) {
    const UserId u = f.inviters[i];
    const Campaign campaign{.item = f.items[i]};
    const FeatureMatrix x = Unwrap(rec.Features(u, campaign));
    for (int k : {0, 1, 7, 50, 100000}) {
      CAPTURE(u, k);
      const std::vector<Suggestion> got = Unwrap(rec.Recommend(u, campaign, k));
      REQUIRE(static_cast<int64_t>(got.size()) ==
              std::min<int64_t>(k, x.rows()));
      const std::vector<testing::ScoredCandidate> want =
          Unwrap(testing::BruteForceTopK(x, rec.ranker(), k));
      std::vector<testing::ScoredCandidate> got_scored;
      std::set<UserId> distinct;
      int bad = 0;
      for (size_t r = 0; r < got.size(); ++r) {
        got_scored.push_back({got[r].candidate, got[r].score});
        distinct.insert(got[r].candidate);
        if (got[r].rank != static_cast<int>(r + 1)) ++bad;
        if (got[r].candidate == u) ++bad;
        if (r > 0 && got[r].score > got[r - 1].score) ++bad;
        if (r > 0 && got[r].score == got[r - 1].score &&
            !(got[r - 1].candidate < got[r].candidate)) {
          ++bad;
        }
      }
      CHECK(bad == 0);
      CHECK(distinct.size() == got.size());
      CHECK(got_scored == want);
      ++compared;
    }
  }
  CHECK(compared > 100);
}

TEST_CASE(
    "Recommend is deterministic and independent of the Recommender object",
    "[recommend][recommender]") {
  const SynthFixture& f = Synth();
  const Recommender a = Unwrap(Recommender::Create(f.graph));
  const Recommender b = Unwrap(Recommender::Create(f.graph));
  int bad = 0;
  for (size_t i = 0; i < f.inviters.size(); i += 7) {
    const Campaign c{.item = f.items[i]};
    const auto x = Unwrap(a.Recommend(f.inviters[i], c, 10));
    const auto y = Unwrap(a.Recommend(f.inviters[i], c, 10));
    const auto z = Unwrap(b.Recommend(f.inviters[i], c, 10));
    for (const auto* other : {&y, &z}) {
      if (other->size() != x.size()) {
        ++bad;
        continue;
      }
      for (size_t r = 0; r < x.size(); ++r) {
        if ((*other)[r].candidate != x[r].candidate ||
            (*other)[r].score != x[r].score ||
            (*other)[r].reasons != x[r].reasons) {
          ++bad;
        }
      }
    }
  }
  CHECK(bad == 0);
}

TEST_CASE("Recommender errors", "[recommend][recommender]") {
  const SynthFixture& f = Synth();
  const Recommender rec = Unwrap(Recommender::Create(f.graph));
  const UserId known = f.inviters[0];
  CheckError(rec.Recommend(987654, Campaign{}, 5).status(),
             absl::StatusCode::kNotFound, {"987654"});
  CheckError(rec.Recommend(known, Campaign{}, -1).status(),
             absl::StatusCode::kInvalidArgument, {"k=-1"});
  CheckError(rec.Features(-3, Campaign{}).status(), absl::StatusCode::kNotFound,
             {"-3"});
  // Unknown items and categories are not errors: they just match nobody.
  RequireOk(
      rec.Recommend(known, Campaign{.item = 123456789, .category = 99999}, 5)
          .status());

  const std::vector<UserId> inviters = {known, known, 987654, known};
  const std::vector<ItemId> items = {1, 2, 3, 4};
  CheckError(
      rec.RecommendBatch(inviters, items, 5,
                         {.unknown_inviters = UnknownInviterPolicy::kFail})
          .status(),
      absl::StatusCode::kNotFound, {"inviters[2]=987654", "not in the graph"});
  CheckError(rec.RecommendBatch(
                    inviters, items, 5,
                    {.unknown_inviters = static_cast<UnknownInviterPolicy>(7)})
                 .status(),
             absl::StatusCode::kInvalidArgument, {"unknown_inviters=7"});
  CheckError(
      rec.RecommendBatch(inviters, absl::MakeConstSpan(items).subspan(1), 5)
          .status(),
      absl::StatusCode::kInvalidArgument, {"inviters", "items"});
  CheckError(rec.RecommendBatch({}, {}, -2).status(),
             absl::StatusCode::kInvalidArgument, {"k=-2"});
  CHECK(Unwrap(rec.RecommendBatch({}, {}, 5)).size() == 0);

  const RecommenderConfig bad_two_hop{
      .scoring = {.candidates = {.max_two_hop = -1}}};
  CheckError(Recommender::Create(f.graph, bad_two_hop).status(),
             absl::StatusCode::kInvalidArgument, {"max_two_hop"});
  const RecommenderConfig bad_cap{
      .scoring = {.candidates = {.hub_degree_cap = -1}}};
  CheckError(Recommender::Create(f.graph, bad_cap).status(),
             absl::StatusCode::kInvalidArgument, {"hub_degree_cap"});
  const RecommenderConfig bad_reasons{.scoring = {}, .max_reasons = -1};
  CheckError(Recommender::Create(f.graph, bad_reasons).status(),
             absl::StatusCode::kInvalidArgument, {"max_reasons"});
}

// Single Recommend() calls, flattened like a SuggestionTable.
SuggestionTable SingleCalls(const Recommender& rec,
                            const std::vector<UserId>& inviters,
                            const std::vector<ItemId>& items, int k) {
  SuggestionTable t;
  for (size_t i = 0; i < inviters.size(); ++i) {
    for (Suggestion& s :
         Unwrap(rec.Recommend(inviters[i], Campaign{.item = items[i]}, k))) {
      t.inviter.push_back(inviters[i]);
      t.item.push_back(items[i]);
      t.candidate.push_back(s.candidate);
      t.score.push_back(s.score);
      t.rank.push_back(s.rank);
      t.reasons.push_back(std::move(s.reasons));
    }
  }
  return t;
}

void CheckSameTable(const SuggestionTable& a, const SuggestionTable& b) {
  REQUIRE(a.size() == b.size());
  CHECK(a.inviter == b.inviter);
  CHECK(a.item == b.item);
  CHECK(a.candidate == b.candidate);
  CHECK(a.score == b.score);
  CHECK(a.rank == b.rank);
  CHECK(a.reasons == b.reasons);
}

TEST_CASE("RecommendBatch equals single calls for 1, 2 and 4 threads",
          "[recommend][recommender]") {
  const SynthFixture& f = Synth();
  const Recommender rec = Unwrap(Recommender::Create(f.graph));
  // Repeat the inviters so the batch spans many 64-row chunks.
  std::vector<UserId> inviters = f.inviters;
  std::vector<ItemId> items = f.items;
  inviters.insert(inviters.end(), f.inviters.rbegin(), f.inviters.rend());
  items.insert(items.end(), f.items.rbegin(), f.items.rend());
  const SuggestionTable expected = SingleCalls(rec, inviters, items, 8);
  REQUIRE(expected.size() > 1000);
  for (int threads : {1, 2, 4}) {
    CAPTURE(threads);
    int64_t last_done = -1, calls = 0;
    bool monotone = true;
    const BatchOptions options{
        .num_threads = threads, .progress = [&](int64_t done, int64_t total) {
          monotone = monotone && done > last_done &&
                     total == static_cast<int64_t>(inviters.size());
          last_done = done;
          ++calls;
        }};
    CheckSameTable(Unwrap(rec.RecommendBatch(inviters, items, 8, options)),
                   expected);
    CHECK(monotone);
    CHECK(last_done == static_cast<int64_t>(inviters.size()));
    CHECK(calls <= 110);
  }
}

TEST_CASE("RecommendBatch skips unknown inviters and reports their rows",
          "[recommend][recommender]") {
  const SynthFixture& f = Synth();
  const Recommender rec = Unwrap(Recommender::Create(f.graph));
  // Ids the graph lacks: the next id a new user would get, far-off ones, and
  // one repeated; at the start, inside and across 64-request chunks, and last.
  const UserId gap = f.graph.user_ids().back() + 1;
  REQUIRE_FALSE(f.graph.FindNode(gap).has_value());
  const std::vector<UserId> unknown_ids = {987654, gap, 5'000'000'000, 987654};
  std::vector<UserId> known = f.inviters;
  std::vector<ItemId> known_items = f.items;
  known.insert(known.end(), f.inviters.begin(), f.inviters.end());
  known_items.insert(known_items.end(), f.items.begin(), f.items.end());
  std::vector<UserId> inviters;
  std::vector<ItemId> items;
  std::vector<int64_t> want_rows;
  size_t next_unknown = 0;
  for (size_t i = 0; i < known.size(); ++i) {
    if (i == 0 || i == 1 || i == 70 || i == 71 || i == 200) {
      want_rows.push_back(static_cast<int64_t>(inviters.size()));
      inviters.push_back(unknown_ids[next_unknown++ % unknown_ids.size()]);
      items.push_back(known_items[i]);
    }
    inviters.push_back(known[i]);
    items.push_back(known_items[i]);
  }
  want_rows.push_back(static_cast<int64_t>(inviters.size()));
  inviters.push_back(gap);
  items.push_back(7);
  const SuggestionTable expected = SingleCalls(rec, known, known_items, 6);
  REQUIRE(expected.size() > 1000);
  for (int threads : {1, 2}) {
    CAPTURE(threads);
    int64_t last_done = -1, last_total = -1;
    const BatchOptions options{.num_threads = threads,
                               .progress = [&](int64_t done, int64_t total) {
                                 last_done = done;
                                 last_total = total;
                               }};
    const SuggestionTable t =
        Unwrap(rec.RecommendBatch(inviters, items, 6, options));
    CheckSameTable(t, expected);
    CHECK(t.unknown_inviter_rows == want_rows);
    // Progress counts every request, the skipped ones included.
    CHECK(last_done == static_cast<int64_t>(inviters.size()));
    CHECK(last_total == static_cast<int64_t>(inviters.size()));
  }
  // Every inviter known: nothing reported.
  CHECK(Unwrap(rec.RecommendBatch(known, known_items, 6))
            .unknown_inviter_rows.empty());
  // Only unknown inviters: an empty table that names them all.
  const SuggestionTable none =
      Unwrap(rec.RecommendBatch(unknown_ids, {1, 2, 3, 4}, 6));
  CHECK(none.size() == 0);
  CHECK(none.unknown_inviter_rows == std::vector<int64_t>{0, 1, 2, 3});
  // kFail: the first unknown request by position, and no table. From just
  // after the second unknown, the first is the third, at a position > 0.
  const size_t from = static_cast<size_t>(want_rows[1]) + 1;
  CheckError(
      rec.RecommendBatch(absl::MakeConstSpan(inviters).subspan(from),
                         absl::MakeConstSpan(items).subspan(from), 6,
                         {.num_threads = 2,
                          .unknown_inviters = UnknownInviterPolicy::kFail})
          .status(),
      absl::StatusCode::kNotFound,
      {absl::StrCat("inviters[", want_rows[2] - static_cast<int64_t>(from),
                    "]=", inviters[want_rows[2]], " is not in the graph")});
}

TEST_CASE("concurrent Recommend calls match sequential ones",
          "[recommend][recommender]") {
  const SynthFixture& f = Synth();
  const Recommender rec = Unwrap(Recommender::Create(f.graph));
  const SuggestionTable expected = SingleCalls(rec, f.inviters, f.items, 5);
  std::vector<absl::StatusOr<SuggestionTable>> results(4);
  std::vector<std::thread> pool;
  for (int t = 0; t < 4; ++t) {
    pool.emplace_back([&, t] {
      // Catch2 assertions are not thread-safe: collect, check on this thread.
      SuggestionTable table;
      for (size_t i = 0; i < f.inviters.size(); ++i) {
        auto s = rec.Recommend(f.inviters[i], Campaign{.item = f.items[i]}, 5);
        if (!s.ok()) {
          results[t] = s.status();
          return;
        }
        for (Suggestion& x : *s) {
          table.inviter.push_back(f.inviters[i]);
          table.item.push_back(f.items[i]);
          table.candidate.push_back(x.candidate);
          table.score.push_back(x.score);
          table.rank.push_back(x.rank);
          table.reasons.push_back(std::move(x.reasons));
        }
      }
      results[t] = std::move(table);
    });
  }
  for (std::thread& t : pool) t.join();
  for (auto& r : results) CheckSameTable(Unwrap(std::move(r)), expected);
}

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

TEST_CASE("top suggestions carry reasons consistent with their features",
          "[recommend][recommender]") {
  const SynthFixture& f = Synth();
  const Recommender rec = Unwrap(Recommender::Create(f.graph));
  const Recommender one =
      Unwrap(Recommender::Create(f.graph, {.scoring = {}, .max_reasons = 1}));
  const Recommender none =
      Unwrap(Recommender::Create(f.graph, {.scoring = {}, .max_reasons = 0}));
  const std::set<std::string> plain = {"close_contact",
                                       "reaches_out_to_you",
                                       "frequent_chat",
                                       "likes_your_posts",
                                       "comments_often",
                                       "shares_with_you",
                                       "visits_often",
                                       "assisted_before",
                                       "teamed_up_before",
                                       "accepted_invites_before",
                                       "friend",
                                       "friend_of_friend",
                                       "bought_this_item",
                                       "likes_this_category",
                                       "similar_shopper",
                                       "active_this_week",
                                       "active_this_month",
                                       "new_user",
                                       "often_joins",
                                       "well_connected",
                                       "similar_taste",
                                       "active_shopper",
                                       "accepts_invites_often"};
  int with_suggestions = 0, bad = 0, empty_top = 0;
  for (size_t i = 0; i < f.inviters.size(); ++i) {
    const Campaign campaign{.item = f.items[i]};
    const std::vector<Suggestion> s =
        Unwrap(rec.Recommend(f.inviters[i], campaign, 5));
    if (s.empty()) continue;
    ++with_suggestions;
    if (s[0].reasons.empty()) ++empty_top;
    const FeatureMatrix x = Unwrap(rec.Features(f.inviters[i], campaign));
    for (const Suggestion& sug : s) {
      const auto row =
          std::find(x.candidates.begin(), x.candidates.end(), sug.candidate) -
          x.candidates.begin();
      REQUIRE(row < x.rows());
      if (sug.reasons.size() > 3) ++bad;
      if (std::set<std::string>(sug.reasons.begin(), sug.reasons.end())
              .size() != sug.reasons.size()) {
        ++bad;
      }
      for (const std::string& reason : sug.reasons) {
        const auto value = [&](int feature) { return x.values(row, feature); };
        if (reason == "friend" && value(kIsFriend) != 1) ++bad;
        if (reason == "bought_this_item" && value(kCandidateBoughtItem) != 1)
          ++bad;
        if (reason == "friend_of_friend")
          ++bad;  // negative weight: never a reason
        if (reason == "similar_taste" && !(value(kItemSimilarity) > 0)) ++bad;
        if (reason == "active_shopper" && !(value(kCandidatePurchases) > 0))
          ++bad;
        // Without recorded outcomes the accept rate is the prior (0.2).
        if (reason == "accepts_invites_often") ++bad;
        if (StartsWith(reason, "shared_friends:") &&
            reason != "shared_friends:" + std::to_string(static_cast<int>(
                                              value(kCommonNeighbors)))) {
          ++bad;
        }
        if (StartsWith(reason, "recent_contact:") &&
            reason != "recent_contact:" +
                          std::to_string(static_cast<int>(
                              value(kDaysSinceLastInteraction))) +
                          "d") {
          ++bad;
        }
        if (plain.count(reason) == 0 &&
            !StartsWith(reason, "shared_friends:") &&
            !StartsWith(reason, "recent_contact:")) {
          ++bad;
        }
      }
    }
    // Fewer reasons keep the strongest first; none means none.
    const std::vector<Suggestion> s1 =
        Unwrap(one.Recommend(f.inviters[i], campaign, 5));
    const std::vector<Suggestion> s0 =
        Unwrap(none.Recommend(f.inviters[i], campaign, 5));
    REQUIRE(s1.size() == s.size());
    REQUIRE(s0.size() == s.size());
    for (size_t r = 0; r < s.size(); ++r) {
      if (s1[r].candidate != s[r].candidate || s0[r].score != s[r].score) ++bad;
      if (!s0[r].reasons.empty()) ++bad;
      const std::vector<std::string> first(
          s[r].reasons.begin(),
          s[r].reasons.begin() + std::min<size_t>(1, s[r].reasons.size()));
      if (s1[r].reasons != first) ++bad;
    }
  }
  CHECK(with_suggestions > 200);
  CHECK(empty_top == 0);
  CHECK(bad == 0);
}

// Scores candidates by their degree only and does not explain itself.
class DegreeRanker final : public Ranker {
 public:
  std::string spec() const override { return "test_degree"; }

 private:
  absl::Status ScoreImpl(const FeatureMatrix& x,
                         absl::Span<float> out) const override {
    for (int64_t i = 0; i < x.rows(); ++i)
      out[i] = x.values(i, kCandidateDegree);
    return absl::OkStatus();
  }
};

TEST_CASE(
    "a ranker without Explain orders suggestions and gives reasons_unavailable",
    "[recommend][recommender]") {
  const SynthFixture& f = Synth();
  const Recommender rec = Unwrap(
      Recommender::Create(f.graph, {}, std::make_shared<DegreeRanker>()));
  const Recommender quiet =
      Unwrap(Recommender::Create(f.graph, {.scoring = {}, .max_reasons = 0},
                                 std::make_shared<DegreeRanker>()));
  CHECK(rec.ranker().spec() == "test_degree");
  CHECK(std::string(kReasonsUnavailable) == "reasons_unavailable");
  int bad = 0, total = 0;
  for (size_t i = 0; i < f.inviters.size(); i += 3) {
    const std::vector<Suggestion> s =
        Unwrap(rec.Recommend(f.inviters[i], Campaign{.item = f.items[i]}, 10));
    for (size_t r = 0; r < s.size(); ++r) {
      const NodeId n = *f.graph.FindNode(s[r].candidate);
      if (s[r].score != static_cast<float>(f.graph.degree(n))) ++bad;
      if (r > 0 && (s[r].score > s[r - 1].score ||
                    (s[r].score == s[r - 1].score &&
                     s[r].candidate < s[r - 1].candidate))) {
        ++bad;
      }
      // No reasons borrowed from another model: exactly the one code.
      if (s[r].reasons != std::vector<std::string>{kReasonsUnavailable}) ++bad;
      ++total;
    }
    // max_reasons = 0 still means no reasons at all.
    for (const Suggestion& x : Unwrap(quiet.Recommend(
             f.inviters[i], Campaign{.item = f.items[i]}, 10))) {
      if (!x.reasons.empty()) ++bad;
    }
  }
  CHECK(bad == 0);
  CHECK(total > 500);
  // The batch path says the same.
  const SuggestionTable t = Unwrap(rec.RecommendBatch(
      f.inviters, f.items, 5, {.num_threads = 2, .progress = {}}));
  REQUIRE(t.size() > 0);
  for (const auto& reasons : t.reasons)
    CHECK(reasons == std::vector<std::string>{kReasonsUnavailable});
}

TEST_CASE("the linear ranker's reasons are exactly its own contributions",
          "[recommend][recommender]") {
  const SynthFixture& f = Synth();
  const Recommender rec = Unwrap(Recommender::Create(f.graph));
  const auto& w = LinearRankerWeights();
  int checked = 0, bad = 0;
  for (size_t i = 0; i < f.inviters.size(); i += 2) {
    const Campaign campaign{.item = f.items[i]};
    const std::vector<Suggestion> s =
        Unwrap(rec.Recommend(f.inviters[i], campaign, 5));
    const FeatureMatrix x = Unwrap(rec.Features(f.inviters[i], campaign));
    for (const Suggestion& sug : s) {
      const auto row =
          std::find(x.candidates.begin(), x.candidates.end(), sug.candidate) -
          x.candidates.begin();
      REQUIRE(row < x.rows());
      // w_f * T_f(x_f), in float as the ranker computes it (ranker_test pins
      // LinearTransform to the documented formula), without going through
      // LinearRanker::Explain().
      std::array<float, kNumFeatures> parts;
      for (int ft = 0; ft < kNumFeatures; ++ft)
        parts[ft] = w[ft] * LinearTransform(ft, x.values(row, ft));
      const std::vector<std::string> want = internal::ReasonCodes(
          absl::MakeConstSpan(x.values.row(row).data(), kNumFeatures), parts,
          3);
      if (sug.reasons != want) {
        UNSCOPED_INFO("candidate " << sug.candidate);
        ++bad;
      }
      ++checked;
    }
  }
  CHECK(checked > 300);
  CHECK(bad == 0);
}

// Degree ranker that wants stacked batches and counts its Score() calls.
class StackingRanker final : public Ranker {
 public:
  explicit StackingRanker(int64_t rows) : rows_(rows) {}
  std::string spec() const override { return "test_stacking"; }
  int64_t PreferredBatchRows() const override { return rows_; }
  int64_t calls() const { return calls_.load(); }

 private:
  absl::Status ScoreImpl(const FeatureMatrix& x,
                         absl::Span<float> out) const override {
    calls_.fetch_add(1);
    for (int64_t i = 0; i < x.rows(); ++i)
      out[i] = x.values(i, kCandidateDegree) + x.values(i, kAdamicAdar);
    return absl::OkStatus();
  }
  absl::Status ExplainRowsImpl(const FeatureMatrix& x,
                               absl::Span<const int64_t> rows,
                               absl::Span<float> out) const override {
    std::fill(out.begin(), out.end(), 0.0f);
    for (size_t i = 0; i < rows.size(); ++i) {
      out[i * kNumFeatures + kCandidateDegree] =
          x.values(rows[i], kCandidateDegree);
      out[i * kNumFeatures + kAdamicAdar] = x.values(rows[i], kAdamicAdar);
    }
    return absl::OkStatus();
  }
  int64_t rows_;
  mutable std::atomic<int64_t> calls_{0};
};

TEST_CASE("stacked batches equal single calls, with fewer Score calls",
          "[recommend][recommender]") {
  const SynthFixture& f = Synth();
  auto stacking = std::make_shared<StackingRanker>(1000);
  auto plain = std::make_shared<StackingRanker>(0);
  const Recommender a = Unwrap(Recommender::Create(f.graph, {}, stacking));
  const Recommender b = Unwrap(Recommender::Create(f.graph, {}, plain));
  const int64_t n = static_cast<int64_t>(f.inviters.size());
  std::vector<SuggestionTable> tables;
  for (int threads : {1, 2, 4}) {
    tables.push_back(Unwrap(a.RecommendBatch(
        f.inviters, f.items, 7, {.num_threads = threads, .progress = {}})));
  }
  const int64_t stacked_calls = stacking->calls();
  SuggestionTable single;
  for (int64_t i = 0; i < n; ++i) {
    for (Suggestion& s :
         Unwrap(b.Recommend(f.inviters[i], Campaign{.item = f.items[i]}, 7))) {
      single.Append(f.inviters[i], f.items[i], std::move(s));
    }
  }
  CHECK(plain->calls() == n);
  CHECK(stacked_calls < 3 * n / 4);  // three batches, several requests a call
  for (const SuggestionTable& t : tables) {
    CHECK(t.inviter == single.inviter);
    CHECK(t.candidate == single.candidate);
    CHECK(t.score == single.score);
    CHECK(t.rank == single.rank);
    CHECK(t.reasons == single.reasons);
  }
}

TEST_CASE("graph build does not depend on the thread count",
          "[recommend][recommender]") {
  const SynthFixture& f = Synth();
  testing::CheckSameGraph(BuildWorld(f.world, 1), f.graph);
  testing::CheckSameGraph(BuildWorld(f.world, 4), f.graph);
}

}  // namespace
}  // namespace invitegraph
