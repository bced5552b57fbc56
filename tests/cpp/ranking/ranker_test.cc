// Rankers: the spec grammar, the registry, the built-in linear ranker against
// its documented formula, and a conformance pass over every registered kind.
#include "invitegraph/ranker.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "testing/fixtures.h"
#include "testing/oracles.h"

namespace invitegraph {
namespace {

using testing::CheckError;
using testing::Unwrap;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

// Random non-negative feature rows in plausible ranges (flags 0/1, days up to
// 400).
FeatureMatrix RandomFeatures(int rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  FeatureMatrix x;
  x.values.resize(rows, kNumFeatures);
  for (int r = 0; r < rows; ++r) {
    x.candidates.push_back(100 + r);
    for (int f = 0; f < kNumFeatures; ++f) {
      float v = 20.0f * unit(rng) * unit(rng);
      if (f == kIsFriend || f == kIsTwoHop || f == kCandidateBoughtItem ||
          f == kCandidateIsNew) {
        v = unit(rng) < 0.5f ? 0.0f : 1.0f;
      } else if (f == kJaccard || f == kCandidateCategoryAffinity ||
                 f == kShoppingSimilarity || f == kCandidateJoinRate ||
                 f == kItemSimilarity || f == kCandidateAcceptRate) {
        v = unit(rng);
      } else if (f == kDaysSinceLastInteraction) {
        v = 400.0f * unit(rng);
      }
      x.values(r, f) = v;
    }
  }
  return x;
}

std::vector<float> Scores(const Ranker& ranker, const FeatureMatrix& x) {
  std::vector<float> out(x.rows());
  testing::RequireOk(ranker.Score(x, absl::MakeSpan(out)));
  return out;
}

// sum_f w[f] * T_f(x_f) with the transform ranker.h documents.
std::vector<double> OracleLinearScores(const std::array<float, kNumFeatures>& w,
                                       const FeatureMatrix& x) {
  std::vector<double> out;
  for (int64_t r = 0; r < x.rows(); ++r) {
    double s = 0;
    for (int f = 0; f < kNumFeatures; ++f) {
      s += w[f] * testing::DocumentedLinearTransform(f, x.values(r, f));
    }
    out.push_back(s);
  }
  return out;
}

void CheckClose(const std::vector<float>& got,
                const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  int bad = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::abs(got[i] - want[i]) > 1e-4 * (1 + std::abs(want[i]))) ++bad;
  }
  CHECK(bad == 0);
}

TEST_CASE("the linear ranker computes its documented weighted sum",
          "[recommend][ranker]") {
  const std::unique_ptr<Ranker> r = Unwrap(MakeRanker("linear"));
  CHECK(r->spec() == "linear");
  const FeatureMatrix x = RandomFeatures(200, 1);
  CheckClose(Scores(*r, x), OracleLinearScores(LinearRankerWeights(), x));
  for (int f = 0; f < kNumFeatures; ++f) {
    for (float v : {0.0f, 0.5f, 3.0f, 90.0f}) {
      CHECK(LinearTransform(f, v) ==
            Approx(testing::DocumentedLinearTransform(f, v))
                .epsilon(1e-6)
                .margin(1e-7));
    }
  }
  // Explain's contributions add up to the score.
  const std::vector<float> s = Scores(*r, x);
  std::array<float, kNumFeatures> parts;
  for (int64_t row : {0, 7, 199}) {
    testing::RequireOk(r->Explain(x, row, absl::MakeSpan(parts)));
    double sum = 0;
    for (float p : parts) sum += p;
    CHECK(sum == Approx(s[row]).epsilon(1e-5).margin(1e-5));
  }
  CHECK(r->Explain(x, 200, absl::MakeSpan(parts)).code() == kInvalid);
  CHECK(r->Explain(x, -1, absl::MakeSpan(parts)).code() == kInvalid);
}

TEST_CASE("ExplainRows equals Explain per row and checks its arguments",
          "[recommend][ranker]") {
  const std::unique_ptr<Ranker> r = Unwrap(MakeRanker("linear"));
  const FeatureMatrix x = RandomFeatures(40, 8);
  const std::vector<int64_t> rows = {39, 0, 7, 7};
  std::vector<float> many(rows.size() * kNumFeatures);
  testing::RequireOk(r->ExplainRows(x, rows, absl::MakeSpan(many)));
  std::array<float, kNumFeatures> one;
  for (size_t i = 0; i < rows.size(); ++i) {
    testing::RequireOk(r->Explain(x, rows[i], absl::MakeSpan(one)));
    CHECK(std::equal(one.begin(), one.end(), many.begin() + i * kNumFeatures));
  }
  testing::RequireOk(r->ExplainRows(x, {}, absl::Span<float>()));
  std::vector<float> short_out(kNumFeatures);
  CheckError(r->ExplainRows(x, rows, absl::MakeSpan(short_out)), kInvalid,
             {"linear", "ExplainRows", "4 rows"});
  const std::vector<int64_t> bad_rows = {0, 40};
  std::vector<float> out(2 * kNumFeatures);
  CheckError(r->ExplainRows(x, bad_rows, absl::MakeSpan(out)), kInvalid,
             {"rows[1]=40", "[0, 40)"});
}

TEST_CASE("linear(key=value) overrides one weight", "[recommend][ranker]") {
  const std::unique_ptr<Ranker> base = Unwrap(MakeRanker("linear"));
  const std::unique_ptr<Ranker> r = Unwrap(MakeRanker("linear(adamic_adar=2)"));
  CHECK(r->spec() == "linear(adamic_adar=2)");
  const FeatureMatrix x = RandomFeatures(100, 2);
  std::array<float, kNumFeatures> w = LinearRankerWeights();
  w[kAdamicAdar] = 2.0f;
  const std::vector<float> s = Scores(*r, x), s0 = Scores(*base, x);
  CheckClose(s, OracleLinearScores(w, x));
  int changed = 0;
  for (int64_t i = 0; i < x.rows(); ++i) {
    const double delta =
        (2.0 - LinearRankerWeights()[kAdamicAdar]) *
        std::log1p(static_cast<double>(x.values(i, kAdamicAdar)));
    CHECK(s[i] - s0[i] == Approx(delta).epsilon(1e-4).margin(1e-4));
    if (s[i] != s0[i]) ++changed;
  }
  CHECK(changed > 0);

  const std::unique_ptr<Ranker> two =
      Unwrap(MakeRanker(" linear( jaccard = 0.5 , is_two_hop=-1 ) "));
  CHECK(two->spec() == "linear(is_two_hop=-1,jaccard=0.5)");  // feature order
}

TEST_CASE("unknown ranker names and keys list the valid ones",
          "[recommend][ranker]") {
  CheckError(MakeRanker("boosted").status(), kInvalid,
             {"boosted", "linear", "logistic", "pairwise"});
  CheckError(MakeRanker("linear(bogus=1)").status(), kInvalid,
             {"bogus", "tie_strength", "adamic_adar", "candidate_degree"});
  CheckError(MakeRanker("linear(adamic_adar=abc)").status(), kInvalid,
             {"adamic_adar", "abc"});
  CheckError(MakeRanker("linear(adamic_adar=inf)").status(), kInvalid,
             {"adamic_adar"});
  CheckError(MakeRanker("linear(adamic_adar=nan)").status(), kInvalid,
             {"adamic_adar"});
  CheckError(MakeRanker("linear(adamic_adar)").status(), kInvalid,
             {"adamic_adar", "="});
  CheckError(MakeRanker("").status(), kInvalid, {"empty name"});
}

TEST_CASE("ParseSpec handles the spec grammar's edge cases",
          "[recommend][ranker]") {
  using Params = std::vector<std::pair<std::string, std::string>>;
  {
    const auto [name, params] = Unwrap(ParseSpec("linear"));
    CHECK(name == "linear");
    CHECK(params.empty());
  }
  {
    const auto [name, params] =
        Unwrap(ParseSpec("  my_ranker2 ( a = 1 , b=x y ,c=-0.5) "));
    CHECK(name == "my_ranker2");
    CHECK(params == Params{{"a", "1"}, {"b", "x y"}, {"c", "-0.5"}});
  }
  {
    const auto [name, params] = Unwrap(ParseSpec("linear()"));
    CHECK(name == "linear");
    CHECK(params.empty());
  }
  {
    const auto [name, params] = Unwrap(ParseSpec("linear(  )"));
    CHECK(params.empty());
  }
  CheckError(ParseSpec("").status(), kInvalid, {"empty name"});
  CheckError(ParseSpec("   ").status(), kInvalid, {"empty name"});
  CheckError(ParseSpec("(a=1)").status(), kInvalid, {"empty name"});
  CheckError(ParseSpec("lin-ear").status(), kInvalid, {"lin-ear", "letters"});
  CheckError(ParseSpec("lin ear(a=1)").status(), kInvalid, {"letters"});
  CheckError(ParseSpec("linear(a=1").status(), kInvalid, {"missing ')'"});
  CheckError(ParseSpec("linear(a=1)x").status(), kInvalid, {"missing ')'"});
  CheckError(ParseSpec("linear(a)").status(), kInvalid, {"'a' has no '='"});
  CheckError(ParseSpec("linear(a=1,)").status(), kInvalid, {"no '='"});
  CheckError(ParseSpec("linear(=1)").status(), kInvalid,
             {"empty key or value"});
  CheckError(ParseSpec("linear(a= )").status(), kInvalid,
             {"empty key or value"});
  CheckError(ParseSpec("linear(a=1,a=2)").status(), kInvalid,
             {"'a' given twice"});
  // Every error message shows the expected form.
  CheckError(ParseSpec("linear(a)").status(), kInvalid,
             {"name(key=value,...)"});
}

TEST_CASE("linear specs round-trip through MakeRanker", "[recommend][ranker]") {
  const FeatureMatrix x = RandomFeatures(50, 3);
  for (const char* spec : {"linear", "linear(adamic_adar=2)",
                           "linear(tie_strength=0,jaccard=-1.25)",
                           "linear(candidate_degree=0.05,days_since_last_"
                           "interaction=4,is_friend=1e-3)"}) {
    CAPTURE(spec);
    const std::unique_ptr<Ranker> a = Unwrap(MakeRanker(spec));
    const std::unique_ptr<Ranker> b = Unwrap(MakeRanker(a->spec()));
    CHECK(b->spec() == a->spec());
    CHECK(Scores(*a, x) == Scores(*b, x));
  }
  // A spec that sets a weight to its default is the default ranker.
  CHECK(Unwrap(MakeRanker("linear(tie_strength=1)"))->spec() == "linear");
}

// spec() must print weights with enough digits (%.9g) to rebuild the same
// float; six significant digits would turn 1234567 into 1.23457e+06.
TEST_CASE("linear specs round-trip weights that need more than six digits",
          "[recommend][ranker]") {
  const std::unique_ptr<Ranker> a =
      Unwrap(MakeRanker("linear(jaccard=1234567)"));
  const std::unique_ptr<Ranker> b = Unwrap(MakeRanker(a->spec()));
  CAPTURE(a->spec());
  const FeatureMatrix x = RandomFeatures(50, 4);
  CHECK(Scores(*a, x) == Scores(*b, x));
}

// A user ranker: score = scale * candidate_degree, with no explanation.
class DegreeRanker final : public Ranker {
 public:
  explicit DegreeRanker(float scale) : scale_(scale) {}
  std::string spec() const override {
    return scale_ == 1.0f ? "by_degree"
                          : "by_degree(scale=" + std::to_string(scale_) + ")";
  }

 private:
  absl::Status ScoreImpl(const FeatureMatrix& x,
                         absl::Span<float> out) const override {
    for (int64_t i = 0; i < x.rows(); ++i)
      out[i] = scale_ * x.values(i, kCandidateDegree);
    return absl::OkStatus();
  }
  float scale_;
};

absl::StatusOr<std::unique_ptr<Ranker>> MakeDegreeRanker(
    const std::vector<std::pair<std::string, std::string>>& params) {
  float scale = 1.0f;
  for (const auto& [key, value] : params) {
    if (key != "scale" || !absl::SimpleAtof(value, &scale)) {
      return absl::InvalidArgumentError("by_degree: keys: scale");
    }
  }
  return std::make_unique<DegreeRanker>(scale);
}

TEST_CASE("RegisterRanker adds a kind that MakeRanker finds",
          "[recommend][ranker]") {
  RegisterRanker("by_degree", MakeDegreeRanker);
  const std::vector<std::string> names = RankerNames();
  CHECK(std::is_sorted(names.begin(), names.end()));
  CHECK(std::count(names.begin(), names.end(), "by_degree") == 1);
  CHECK(std::count(names.begin(), names.end(), "linear") == 1);

  const std::unique_ptr<Ranker> r = Unwrap(MakeRanker("by_degree(scale=2)"));
  const FeatureMatrix x = RandomFeatures(20, 5);
  const std::vector<float> s = Scores(*r, x);
  for (int64_t i = 0; i < x.rows(); ++i)
    CHECK(s[i] == 2.0f * x.values(i, kCandidateDegree));
  CHECK(Scores(*Unwrap(MakeRanker(r->spec())), x) == s);
  CHECK(Unwrap(MakeRanker("by_degree"))->spec() == "by_degree");
  CHECK(MakeRanker("by_degree(alpha=1)").status().code() == kInvalid);
  // The default Explain is unimplemented.
  std::array<float, kNumFeatures> parts;
  CHECK(r->Explain(x, 0, absl::MakeSpan(parts)).code() ==
        absl::StatusCode::kUnimplemented);
  const std::vector<int64_t> rows = {0, 1};
  std::vector<float> many(2 * kNumFeatures);
  CHECK(r->ExplainRows(x, rows, absl::MakeSpan(many)).code() ==
        absl::StatusCode::kUnimplemented);
  CHECK(r->PreferredBatchRows() == 0);
  // Unknown names now list the new kind too.
  CheckError(MakeRanker("nope").status(), kInvalid, {"by_degree", "linear"});

  // Registering again replaces the factory.
  RegisterRanker("by_degree",
                 [](const auto&) -> absl::StatusOr<std::unique_ptr<Ranker>> {
                   return std::make_unique<DegreeRanker>(-1.0f);
                 });
  CHECK(Scores(*Unwrap(MakeRanker("by_degree")), x)[0] ==
        -x.values(0, kCandidateDegree));
  RegisterRanker("by_degree", MakeDegreeRanker);
}

// Conformance: every registered kind builds from its bare name, checks shapes,
// scores deterministically and rebuilds from its spec.
TEST_CASE("every registered ranker conforms", "[recommend][ranker]") {
  RegisterRanker("by_degree", MakeDegreeRanker);
  const FeatureMatrix x = RandomFeatures(30, 6);
  for (const std::string& name : RankerNames()) {
    CAPTURE(name);
    // Learned kinds need weights; any will do here.
    std::string spec = name;
    if (name == "logistic" || name == "pairwise") {
      std::vector<std::string> w;
      for (const std::string& f : FeatureNames())
        w.push_back("w." + f + "=0.1");
      spec = name + "(" + absl::StrJoin(w, ",") + ")";
    }
    const std::unique_ptr<Ranker> r = Unwrap(MakeRanker(spec));
    const std::vector<float> s = Scores(*r, x);
    CHECK(Scores(*r, x) == s);
    CHECK(Scores(*Unwrap(MakeRanker(r->spec())), x) == s);
    std::vector<float> wrong(x.rows() + 1);
    CheckError(r->Score(x, absl::MakeSpan(wrong)), kInvalid, {"rows"});
    FeatureMatrix narrow;
    narrow.values.resize(3, kNumFeatures - 1);
    narrow.values.setZero();
    std::vector<float> out(3);
    CheckError(r->Score(narrow, absl::MakeSpan(out)), kInvalid, {"columns"});
    FeatureMatrix empty;
    empty.values.resize(0, kNumFeatures);
    testing::RequireOk(r->Score(empty, absl::Span<float>()));
  }
}

}  // namespace
}  // namespace invitegraph
