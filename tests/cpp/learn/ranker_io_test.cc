// Ranker persistence: JSON and file round trips give identical scores, saves
// are atomic, and foreign, newer, corrupt or truncated documents give clear
// errors rather than crashes.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "invitegraph/fit.h"
#include "invitegraph/version.h"
#include "learn/learn_testing.h"
#include "testing/fixtures.h"

namespace invitegraph {
namespace {

namespace fs = std::filesystem;
using testing::CheckError;
using testing::TempDir;
using testing::Unwrap;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;
constexpr absl::StatusCode kPrecondition =
    absl::StatusCode::kFailedPrecondition;

std::unique_ptr<Ranker> Fitted(const char* model) {
  const testing::Simulated s = testing::Simulate(5000, -1.0, 31);
  FitOptions o;
  o.model = model;
  return Unwrap(FitRanker(s.x, s.label, {}, s.group, o));
}

const testing::Simulated& Rows() {
  static const testing::Simulated* s =
      new testing::Simulated(testing::Simulate(500, 0.0, 32));
  return *s;
}

TEST_CASE("rankers round-trip through JSON and files with identical scores",
          "[learn][io]") {
  TempDir dir("ranker_io");
  std::vector<std::unique_ptr<Ranker>> rankers;
  rankers.push_back(Fitted("logistic"));
  rankers.push_back(Fitted("pairwise"));
  rankers.push_back(Unwrap(MakeRanker("linear")));
  rankers.push_back(Unwrap(MakeRanker("linear(adamic_adar=2.5)")));
  for (const auto& r : rankers) {
    CAPTURE(r->spec().substr(0, 60));
    const std::string json = Unwrap(RankerToJson(*r));
    const nlohmann::json doc = nlohmann::json::parse(json);
    CHECK(doc["format"] == "invitegraph.ranker");
    CHECK(doc["format_version"] == 1);
    CHECK(doc["library_version"] == std::string(kVersion));
    CHECK(doc["spec"] == r->spec());
    CHECK(doc["kind"] == Unwrap(ParseSpec(r->spec())).first);
    CHECK(
        doc["features"].get<std::vector<std::string>>() ==
        std::vector<std::string>(FeatureNames().begin(), FeatureNames().end()));
    const auto params = Unwrap(ParseSpec(r->spec())).second;
    CHECK(doc["params"].size() == params.size());
    for (const auto& [k, v] : params) {
      INFO(k);
      REQUIRE(doc["params"].contains(k));
      CHECK(doc["params"][k].get<double>() == std::stod(v));
    }
    const std::vector<float> want = testing::ScoreRows(*r, Rows().x);
    const auto from_json = Unwrap(RankerFromJson(json));
    CHECK(from_json->spec() == r->spec());
    CHECK(testing::ScoreRows(*from_json, Rows().x) == want);

    const std::string path = dir.File("ranker.json");
    testing::RequireOk(SaveRanker(*r, path));
    const auto loaded = Unwrap(LoadRanker(path));
    CHECK(loaded->spec() == r->spec());
    CHECK(testing::ScoreRows(*loaded, Rows().x) == want);
    // Saving over an existing file replaces it and leaves no temporary.
    CHECK(dir.Names() == std::vector<std::string>{"ranker.json"});
  }
}

TEST_CASE("SaveRanker writes through a temporary and renames it",
          "[learn][io]") {
  TempDir dir("ranker_io");
  const std::string path = dir.File("model.json");
  const auto logistic = Fitted("logistic");
  testing::RequireOk(SaveRanker(*logistic, path));
  // A stale temporary from a crashed save neither blocks nor survives a save.
  { std::ofstream(path + ".tmp") << "{half a fi"; }
  const auto linear = Unwrap(MakeRanker("linear"));
  testing::RequireOk(SaveRanker(*linear, path));
  CHECK(dir.Names() == std::vector<std::string>{"model.json"});
  CHECK(Unwrap(LoadRanker(path))->spec() == "linear");
  // An unwritable destination fails cleanly, naming the path, and leaves the
  // old file whole.
  const std::string missing_dir = dir.File("no/such/dir/model.json");
  CheckError(SaveRanker(*linear, missing_dir), absl::StatusCode::kNotFound,
             {missing_dir});
  CheckError(LoadRanker(dir.File("absent.json")).status(),
             absl::StatusCode::kNotFound, {"absent.json"});
  // Rankers MakeRanker cannot rebuild are refused at save time.
  class Unregistered final : public Ranker {
   public:
    std::string spec() const override { return "unregistered_kind"; }

   private:
    absl::Status ScoreImpl(const FeatureMatrix&,
                           absl::Span<float>) const override {
      return absl::OkStatus();
    }
  };
  CheckError(SaveRanker(Unregistered(), path), kInvalid, {"unregistered_kind"});
  CHECK(Unwrap(LoadRanker(path))->spec() == "linear");
  CHECK(dir.Names() == std::vector<std::string>{"model.json"});
}

nlohmann::ordered_json Doc(const Ranker& r) {
  return nlohmann::ordered_json::parse(Unwrap(RankerToJson(r)));
}

TEST_CASE("loading checks format, version and the feature schema",
          "[learn][io]") {
  const auto r = Fitted("logistic");
  const auto names = FeatureNames();
  {
    auto doc = Doc(*r);
    doc["format"] = "something.else";
    CheckError(RankerFromJson(doc.dump()).status(), kInvalid,
               {"format", "something.else", "invitegraph.ranker"});
  }
  {
    auto doc = Doc(*r);
    doc["format_version"] = 2;
    doc["library_version"] = "9.0.0";
    CheckError(RankerFromJson(doc.dump()).status(), kPrecondition,
               {"format_version 2", "9.0.0", "newer", "upgrade"});
  }
  {
    auto doc = Doc(*r);
    doc["format_version"] = "1";
    CheckError(RankerFromJson(doc.dump()).status(), kInvalid,
               {"format_version", "integer"});
  }
  {
    // Reordered names.
    auto doc = Doc(*r);
    std::swap(doc["features"][3], doc["features"][4]);
    CheckError(RankerFromJson(doc.dump()).status(), kPrecondition,
               {"position 3", names[3], names[4], "reordered"});
  }
  {
    // A feature this build has but the file lacks.
    auto doc = Doc(*r);
    doc["features"].erase(doc["features"].begin() + 5);
    CheckError(RankerFromJson(doc.dump()).status(), kPrecondition,
               {"position 5", "missing from the model: " + names[5]});
  }
  {
    // A feature this build does not know (a newer build's model).
    auto doc = Doc(*r);
    doc["features"].push_back("candidate_telepathy");
    CheckError(RankerFromJson(doc.dump()).status(), kPrecondition,
               {"unknown to this build: candidate_telepathy"});
  }
  {
    auto doc = Doc(*r);
    doc["kind"] = "pairwise";
    CheckError(RankerFromJson(doc.dump()).status(), kInvalid,
               {"kind", "pairwise", "logistic"});
  }
  {
    auto doc = Doc(*r);
    doc["params"]["a"] = 123.0;
    CheckError(RankerFromJson(doc.dump()).status(), kInvalid,
               {"params", "'a'", "123"});
  }
  {
    auto doc = Doc(*r);
    doc.erase("spec");
    CheckError(RankerFromJson(doc.dump()).status(), kInvalid,
               {"missing field \"spec\""});
  }
  {
    auto doc = Doc(*r);
    doc["spec"] = "logistic(bogus=1)";
    doc.erase("params");
    CheckError(RankerFromJson(doc.dump()).status(), kInvalid, {"bogus"});
  }
  CheckError(RankerFromJson("[1, 2]").status(), kInvalid,
             {"not a JSON object"});
  CheckError(RankerFromJson("").status(), kInvalid, {"malformed"});
  CheckError(RankerFromJson("{\"format\": ").status(), kInvalid, {"malformed"});
}

TEST_CASE("truncated and corrupted documents give errors, never crashes",
          "[learn][io]") {
  TempDir dir("ranker_io");
  const std::string json = Unwrap(RankerToJson(*Fitted("pairwise")));
  // Every truncation is malformed JSON or a document missing fields.
  int errors = 0, prefixes = 0;
  for (size_t len = 0; len < json.size() - 2; len += 13) {
    ++prefixes;
    if (!RankerFromJson(json.substr(0, len)).ok()) ++errors;
  }
  CHECK(errors == prefixes);
  // A truncated file, as a crash during a non-atomic write would leave it,
  // names the file.
  const std::string path = dir.File("cut.json");
  { std::ofstream(path) << json.substr(0, json.size() / 2); }
  CheckError(LoadRanker(path).status(), kInvalid, {path, "malformed"});
  // Random byte flips: either a clear error or a ranker that scores.
  std::mt19937_64 rng(7);
  int ok = 0, failed = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::string bad = json;
    for (int k = 0; k < 3; ++k) {
      bad[rng() % bad.size()] = static_cast<char>(rng() % 256);
    }
    auto loaded = RankerFromJson(bad);
    if (loaded.ok()) {
      ++ok;
      std::vector<float> out(Rows().x.rows());
      FeatureMatrix m;
      m.values = Rows().x;
      testing::RequireOk((*loaded)->Score(m, absl::MakeSpan(out)));
    } else {
      ++failed;
      CHECK(!loaded.status().message().empty());
    }
  }
  CHECK(failed > 250);
}

}  // namespace
}  // namespace invitegraph
