#include "invitegraph/ranker.h"

#include <algorithm>
#include <map>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "invitegraph/status.h"
#include "ranking/builtin.h"
#include "ranking/learned_ranker.h"

namespace invitegraph {

absl::Status Ranker::Score(const FeatureMatrix& x,
                           absl::Span<float> out) const {
  if (x.values.cols() != kNumFeatures) {
    return absl::InvalidArgumentError(
        absl::StrCat(spec(), ": feature matrix has ", x.values.cols(),
                     " columns, expected ", kNumFeatures));
  }
  if (static_cast<int64_t>(out.size()) != x.rows()) {
    return absl::InvalidArgumentError(absl::StrCat(spec(), ": output has ",
                                                   out.size(), " entries for ",
                                                   x.rows(), " rows"));
  }
  return ScoreImpl(x, out);
}

std::optional<std::array<float, kNumFeatures>> Ranker::FirstStageWeights()
    const {
  return std::nullopt;
}

absl::Status Ranker::Explain(const FeatureMatrix&, int64_t,
                             absl::Span<float>) const {
  return absl::UnimplementedError(
      absl::StrCat(spec(), " does not explain its scores"));
}

absl::Status CheckFeatureSchema(absl::Span<const std::string> schema) {
  const absl::Span<const std::string> names = FeatureNames();
  if (schema.empty() || schema == names) return absl::OkStatus();
  size_t pos = 0;
  while (pos < schema.size() && pos < names.size() &&
         schema[pos] == names[pos]) {
    ++pos;
  }
  auto at = [pos](absl::Span<const std::string> v) {
    return pos < v.size() ? absl::StrCat("'", v[pos], "'")
                          : std::string("<end>");
  };
  std::string msg = absl::StrCat(
      "feature schema mismatch: the model has ", schema.size(),
      " features, this build ", names.size(), "; first difference at position ",
      pos, ": model ", at(schema), ", this build ", at(names));
  auto absent = [](absl::Span<const std::string> a,
                   absl::Span<const std::string> b) {
    std::vector<std::string> out;
    for (const std::string& x : a) {
      if (std::find(b.begin(), b.end(), x) == b.end()) out.push_back(x);
    }
    return out;
  };
  const std::vector<std::string> missing = absent(names, schema);
  const std::vector<std::string> extra = absent(schema, names);
  if (!missing.empty()) {
    absl::StrAppend(&msg,
                    "; missing from the model: ", absl::StrJoin(missing, ", "));
  }
  if (!extra.empty()) {
    absl::StrAppend(&msg,
                    "; unknown to this build: ", absl::StrJoin(extra, ", "));
  }
  if (missing.empty() && extra.empty()) {
    absl::StrAppend(&msg, "; same names, reordered");
  }
  return absl::InvalidArgumentError(msg);
}

absl::Status Ranker::ExplainRows(const FeatureMatrix& x,
                                 absl::Span<const int64_t> rows,
                                 absl::Span<float> out) const {
  if (out.size() != rows.size() * kNumFeatures) {
    return absl::InvalidArgumentError(absl::StrCat(
        spec(), ": ExplainRows output has ", out.size(), " entries for ",
        rows.size(), " rows x ", kNumFeatures, " features"));
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i] < 0 || rows[i] >= x.rows()) {
      return absl::InvalidArgumentError(
          absl::StrCat(spec(), ": ExplainRows rows[", i, "]=", rows[i],
                       " is outside [0, ", x.rows(), ")"));
    }
  }
  if (rows.empty()) return absl::OkStatus();
  return ExplainRowsImpl(x, rows, out);
}

absl::Status Ranker::ExplainRowsImpl(const FeatureMatrix& x,
                                     absl::Span<const int64_t> rows,
                                     absl::Span<float> out) const {
  for (size_t i = 0; i < rows.size(); ++i) {
    INVITEGRAPH_RETURN_IF_ERROR(
        Explain(x, rows[i], out.subspan(i * kNumFeatures, kNumFeatures)));
  }
  return absl::OkStatus();
}

namespace {

// The one table of ranker kinds: built-ins first, users' additions on top.
struct Registry {
  std::mutex mu;
  std::map<std::string, RankerFactory> factories;
  Registry() {
    factories.emplace("linear", internal::MakeLinearRanker);
    factories.emplace("logistic", internal::MakeLogisticRanker);
    factories.emplace("pairwise", internal::MakePairwiseRanker);
  }
};

Registry& GetRegistry() {
  static Registry* const registry = new Registry();
  return *registry;
}

}  // namespace

void RegisterRanker(std::string name, RankerFactory factory) {
  Registry& r = GetRegistry();
  std::lock_guard<std::mutex> lock(r.mu);
  r.factories[std::move(name)] = std::move(factory);
}

std::vector<std::string> RankerNames() {
  Registry& r = GetRegistry();
  std::lock_guard<std::mutex> lock(r.mu);
  std::vector<std::string> names;
  for (const auto& [name, f] : r.factories) names.push_back(name);
  return names;
}

absl::StatusOr<std::unique_ptr<Ranker>> MakeRanker(std::string_view spec) {
  INVITEGRAPH_ASSIGN_OR_RETURN(auto parsed, ParseSpec(spec));
  RankerFactory factory;
  {
    Registry& r = GetRegistry();
    std::lock_guard<std::mutex> lock(r.mu);
    auto it = r.factories.find(parsed.first);
    if (it == r.factories.end()) {
      std::vector<std::string> names;
      for (const auto& [name, f] : r.factories) names.push_back(name);
      return absl::InvalidArgumentError(
          absl::StrCat("unknown ranker '", parsed.first,
                       "'; rankers: ", absl::StrJoin(names, ", ")));
    }
    factory = it->second;
  }
  return factory(parsed.second);
}

}  // namespace invitegraph
