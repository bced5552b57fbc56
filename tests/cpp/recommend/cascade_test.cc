// Cascade ranking (RecommenderConfig::cascade_size): the cut keeps the best
// candidates by the documented first-stage score and scores only those; a
// cascade at least as large as the pool changes nothing; a cut pool the policy
// filters below k is served whole.
#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <vector>

#include "invitegraph/graph_builder.h"
#include "invitegraph/ranker.h"
#include "invitegraph/recommender.h"
#include "invitegraph/synth.h"
#include "ranking/learned_ranker.h"
#include "testing/fixtures.h"
#include "testing/oracles.h"

namespace invitegraph {
namespace {

using testing::RequireOk;
using testing::Unwrap;

struct World {
  SocialGraph graph;
  std::vector<UserId> inviters;
  std::vector<ItemId> items;
};

const World& TestWorld() {
  static const World* const w = [] {
    synth::World s = Unwrap(synth::Generate(
        {.n_users = 2000, .seed = 7, .num_threads = 2, .progress = {}}));
    GraphBuilder b;
    RequireOk(b.AddFriendships(s.friendships()));
    RequireOk(b.AddInteractions(s.interactions()));
    RequireOk(b.AddPurchases(s.purchases()));
    RequireOk(b.AddCampaigns(s.campaigns()));
    SocialGraph g = Unwrap(b.Build());
    std::vector<UserId> inviters;
    std::vector<ItemId> items;
    for (size_t r = 0; r < s.campaign_inviter.size() && inviters.size() < 60;
         ++r) {
      inviters.push_back(s.campaign_inviter[r]);
      items.push_back(s.campaign_item[r]);
    }
    return new World{std::move(g), std::move(inviters), std::move(items)};
  }();
  return *w;
}

Recommender WithCascade(const SocialGraph& g, int cascade_size,
                        const Policy& policy = {},
                        CandidateOptions candidates = {}) {
  RecommenderConfig c;
  c.cascade_size = cascade_size;
  c.policy = policy;
  c.scoring.candidates = candidates;
  return Unwrap(Recommender::Create(g, c));
}

// The first-stage score of each row of `x`, written out from the documented
// formula (cascade.h) with the ranker's FirstStageWeights() `a`: pair terms
// (common neighbours, Adamic-Adar, then is_two_hop or the arc terms), jaccard,
// then the per-candidate prior. The world has no hub above the default cap and
// no abuse scores, so the rows' values are the first stage's.
std::vector<float> FirstStage(const FeatureMatrix& x,
                              const std::array<float, kNumFeatures>& a) {
  std::vector<float> out;
  for (int64_t r = 0; r < x.rows(); ++r) {
    auto term = [&](int f) {
      return a[f] * LinearTransform(f, x.values(r, f));
    };
    float s = term(kCommonNeighbors) + term(kAdamicAdar);
    if (x.values(r, kIsTwoHop) == 1) {
      s += a[kIsTwoHop];
    } else {
      s += term(kTieStrength);
      s += term(kReverseTieStrength);
      for (int ch = 0; ch < kNumChannels; ++ch) s += term(kChatWeight + ch);
      s += term(kDaysSinceLastInteraction);
      if (x.values(r, kIsFriend) == 1) s += a[kIsFriend];
    }
    s += term(kJaccard);
    float prior = 0;
    for (int f : {kCandidateActivity7d, kCandidateActivity30d, kCandidateIsNew,
                  kCandidateJoinRate, kCandidateDegree, kCandidatePurchases,
                  kCandidateSuspicion, kCandidateReputation, kCandidatePagerank,
                  kCandidateCoreNumber, kCandidateClustering}) {
      if (a[f] != 0) prior += term(f);
    }
    out.push_back(s + prior);
  }
  return out;
}

// The rows of `x` the cascade keeps: the best `m` by first stage, ties to the
// smaller NodeId, in pool order.
FeatureMatrix Kept(const SocialGraph& g, const FeatureMatrix& x, int m,
                   const Ranker& ranker) {
  const std::vector<float> s = FirstStage(x, *ranker.FirstStageWeights());
  std::vector<int64_t> order(x.rows());
  for (int64_t r = 0; r < x.rows(); ++r) order[r] = r;
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    if (s[a] != s[b]) return s[a] > s[b];
    return *g.FindNode(x.candidates[a]) < *g.FindNode(x.candidates[b]);
  });
  if (static_cast<int64_t>(order.size()) > m) order.resize(m);
  std::sort(order.begin(), order.end());
  FeatureMatrix out;
  out.values.resize(static_cast<Eigen::Index>(order.size()), kNumFeatures);
  for (size_t i = 0; i < order.size(); ++i) {
    out.values.row(static_cast<Eigen::Index>(i)) = x.values.row(order[i]);
    out.candidates.push_back(x.candidates[order[i]]);
  }
  return out;
}

TEST_CASE("the cascade scores only the first stage's best candidates",
          "[recommend][cascade]") {
  const World& w = TestWorld();
  // The default ranker, and one whose own weights make a different first
  // stage (activity, join rate and channels matter more, ties less).
  for (const char* spec :
       {"linear",
        "linear(candidate_join_rate=6,candidate_activity_7d=1,"
        "chat_weight=2,tie_strength=0.2,jaccard=3)"}) {
    std::shared_ptr<const Ranker> ranker = Unwrap(MakeRanker(spec));
    RecommenderConfig full_config;
    full_config.cascade_size = 0;
    const Recommender full =
        Unwrap(Recommender::Create(w.graph, full_config, ranker));
    int cut = 0, compared = 0;
    for (int m : {10, 30}) {
      RecommenderConfig config;
      config.cascade_size = m;
      const Recommender rec =
          Unwrap(Recommender::Create(w.graph, config, ranker));
      for (size_t i = 0; i < w.inviters.size(); ++i) {
        const Campaign c{.item = w.items[i]};
        const FeatureMatrix x = Unwrap(full.Features(w.inviters[i], c));
        const FeatureMatrix kept = Kept(w.graph, x, m, *ranker);
        cut += kept.rows() < x.rows();
        for (int k : {1, 5, m}) {
          CAPTURE(spec, w.inviters[i], m, k);
          const auto got = Unwrap(rec.Recommend(w.inviters[i], c, k));
          std::vector<testing::ScoredCandidate> got_scored;
          for (const Suggestion& s : got)
            got_scored.push_back({s.candidate, s.score});
          CHECK(got_scored ==
                Unwrap(testing::BruteForceTopK(kept, *ranker, k)));
          ++compared;
        }
      }
    }
    CHECK(cut > 50);  // most pools are larger than the cascade
    CHECK(compared == 2 * 3 * static_cast<int>(w.inviters.size()));
  }
}

TEST_CASE("learned rankers give the cascade their own coefficients",
          "[recommend][cascade]") {
  // logistic: coef_f = a * w_f / scale_f.
  internal::LearnedLinearModel m = internal::EmptyLearnedModel();
  m.a = 2;
  m.w[kCandidateJoinRate] = 3;
  m.scale[kCandidateJoinRate] = 4;
  m.w[kTieStrength] = -1;
  m.scale[kTieStrength] = 0.5;
  const auto a = *internal::NewLogisticRanker(m)->FirstStageWeights();
  CHECK(a[kCandidateJoinRate] == 1.5f);
  CHECK(a[kTieStrength] == -4.0f);
  CHECK(a[kAdamicAdar] == 0.0f);
  CHECK(Unwrap(MakeRanker("linear(adamic_adar=7)"))
            ->FirstStageWeights()
            ->at(kAdamicAdar) == 7.0f);
}

TEST_CASE("a cascade at least as large as the pool changes nothing",
          "[recommend][cascade]") {
  const World& w = TestWorld();
  // A low hub cap makes the deferred hub counts matter.
  for (int hub_cap : {1000, 8}) {
    CAPTURE(hub_cap);
    const CandidateOptions o{.hub_degree_cap = hub_cap};
    const Recommender none = WithCascade(w.graph, 0, {}, o);
    const Recommender huge = WithCascade(w.graph, 1 << 20, {}, o);
    int bad = 0;
    for (size_t i = 0; i < w.inviters.size(); ++i) {
      const Campaign c{.item = w.items[i]};
      const auto a = Unwrap(none.Recommend(w.inviters[i], c, 20));
      const auto b = Unwrap(huge.Recommend(w.inviters[i], c, 20));
      REQUIRE(a.size() == b.size());
      for (size_t r = 0; r < a.size(); ++r) {
        bad += a[r].candidate != b[r].candidate || a[r].score != b[r].score ||
               a[r].ranker_score != b[r].ranker_score ||
               a[r].reasons != b[r].reasons;
      }
    }
    CHECK(bad == 0);
    const auto ta = Unwrap(none.RecommendBatch(w.inviters, w.items, 20));
    const auto tb = Unwrap(huge.RecommendBatch(w.inviters, w.items, 20));
    CHECK(ta.candidate == tb.candidate);
    CHECK(ta.score == tb.score);
    CHECK(ta.reasons == tb.reasons);
  }
}

TEST_CASE("a cut pool filtered below k is served from the whole pool",
          "[recommend][cascade]") {
  const World& w = TestWorld();
  const UserId u = w.inviters[0];
  const Campaign c{.item = w.items[0]};
  const Recommender full = WithCascade(w.graph, 0);
  const FeatureMatrix x = Unwrap(full.Features(u, c));
  const int m = 10, k = 5;
  REQUIRE(x.rows() > m + k);
  // Opt out every candidate the first stage keeps.
  Policy p;
  p.exclude = Kept(w.graph, x, m, full.ranker()).candidates;
  const auto got = Unwrap(WithCascade(w.graph, m, p).Recommend(u, c, k));
  const auto want = Unwrap(WithCascade(w.graph, 0, p).Recommend(u, c, k));
  REQUIRE(got.size() == static_cast<size_t>(k));
  REQUIRE(want.size() == got.size());
  for (size_t r = 0; r < got.size(); ++r) {
    CHECK(got[r].candidate == want[r].candidate);
    CHECK(got[r].score == want[r].score);
  }
}

// A ranker that gives no first-stage weights (as a plug-in model): scores
// rows by Adamic-Adar minus the candidate's activity.
class NoWeightsRanker final : public Ranker {
 public:
  std::string spec() const override { return "no_weights"; }

 private:
  absl::Status ScoreImpl(const FeatureMatrix& x,
                         absl::Span<float> out) const override {
    for (int64_t r = 0; r < x.rows(); ++r)
      out[r] = x.values(r, kAdamicAdar) - x.values(r, kCandidateActivity7d);
    return absl::OkStatus();
  }
};

TEST_CASE("a ranker without first-stage weights scores the whole pool",
          "[recommend][cascade]") {
  const World& w = TestWorld();
  auto ranker = std::make_shared<NoWeightsRanker>();
  CHECK_FALSE(ranker->FirstStageWeights().has_value());
  RecommenderConfig small, none;
  small.cascade_size = 5;
  none.cascade_size = 0;
  const Recommender a = Unwrap(Recommender::Create(w.graph, small, ranker));
  const Recommender b = Unwrap(Recommender::Create(w.graph, none, ranker));
  const auto ta = Unwrap(a.RecommendBatch(w.inviters, w.items, 10));
  const auto tb = Unwrap(b.RecommendBatch(w.inviters, w.items, 10));
  CHECK(ta.candidate == tb.candidate);
  CHECK(ta.score == tb.score);
}

TEST_CASE("a wave without a binding capacity is the cascaded batch",
          "[recommend][cascade]") {
  const World& w = TestWorld();
  internal::LearnedLinearModel m = internal::EmptyLearnedModel();
  m.intercept = -2;
  m.w[kTieStrength] = 1;
  m.w[kAdamicAdar] = 0.7f;
  m.w[kCandidateActivity7d] = 0.4f;
  // A feature the first stage does not read, so that the cut matters.
  m.w[kShoppingSimilarity] = 4;
  std::shared_ptr<const Ranker> ranker = internal::NewLogisticRanker(m);
  RecommenderConfig config;
  config.cascade_size = 10;
  const Recommender rec = Unwrap(Recommender::Create(w.graph, config, ranker));
  // One row per inviter: a wave repeats no (inviter, item).
  std::vector<UserId> inviters;
  std::vector<ItemId> items;
  for (size_t i = 0; i < w.inviters.size(); ++i) {
    if (std::find(inviters.begin(), inviters.end(), w.inviters[i]) ==
        inviters.end()) {
      inviters.push_back(w.inviters[i]);
      items.push_back(w.items[i]);
    }
  }
  const int k = 5;
  const Wave wave = Unwrap(rec.RecommendWave(
      inviters, items, k,
      {.recipient_capacity = static_cast<int>(inviters.size())}));
  const SuggestionTable batch = Unwrap(rec.RecommendBatch(inviters, items, k));
  double batch_joins = 0;
  for (float p : batch.join_probability) batch_joins += p;
  CHECK(wave.report.expected_joins == Approx(batch_joins).epsilon(1e-5));
  CHECK(wave.suggestions.candidate.size() == batch.candidate.size());
}

TEST_CASE("cascade_size is validated", "[recommend][cascade]") {
  RecommenderConfig c;
  c.cascade_size = -1;
  testing::CheckError(c.Validate(), absl::StatusCode::kInvalidArgument,
                      {"RecommenderConfig.cascade_size=-1"});
}

}  // namespace
}  // namespace invitegraph
