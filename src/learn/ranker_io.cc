// Rankers as JSON documents (see fit.h), written atomically (io/file_io.h).
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "internal/strings.h"
#include "invitegraph/fit.h"
#include "invitegraph/status.h"
#include "invitegraph/version.h"
#include "io/file_io.h"

namespace invitegraph {

namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kFormat = "invitegraph.ranker";
constexpr int kFormatVersion = 1;

// `s` with `prefix` before its message, same code.
absl::Status Prefixed(const absl::Status& s, absl::string_view prefix) {
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrCat(prefix, s.message()));
}

absl::Status Bad(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("ranker JSON: ", what));
}

// A spec value as a JSON number when it reads as a finite double.
Json ParamValue(const std::string& v) {
  double d;
  if (absl::SimpleAtod(v, &d) && std::isfinite(d)) return d;
  return v;
}

// Member `key` of `doc`, which must exist and have the type `is` checks.
absl::StatusOr<const Json*> Field(const Json& doc, const char* key,
                                  bool (Json::*is)() const, const char* type) {
  auto it = doc.find(key);
  if (it == doc.end()) return Bad(absl::StrCat("missing field \"", key, "\""));
  if (!((*it).*is)()) {
    return Bad(absl::StrCat("field \"", key, "\" must be ", type, ", not ",
                            it->dump()));
  }
  return &*it;
}

absl::StatusOr<std::unique_ptr<Ranker>> FromDocument(const Json& doc) {
  if (!doc.is_object()) return Bad("the document is not a JSON object");
  INVITEGRAPH_ASSIGN_OR_RETURN(
      const Json* format, Field(doc, "format", &Json::is_string, "a string"));
  if (format->get<std::string>() != kFormat) {
    return Bad(absl::StrCat("\"format\" is ", format->dump(), ", expected \"",
                            kFormat, "\""));
  }
  INVITEGRAPH_ASSIGN_OR_RETURN(
      const Json* version,
      Field(doc, "format_version", &Json::is_number_integer, "an integer"));
  const int64_t v = version->get<int64_t>();
  if (v > kFormatVersion) {
    std::string writer = "a newer invitegraph";
    if (auto lib = doc.find("library_version");
        lib != doc.end() && lib->is_string()) {
      writer = absl::StrCat("invitegraph ", lib->get<std::string>());
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "ranker JSON: format_version ", v, " (written by ", writer,
        ") is newer than this build (invitegraph ", internal::Sv(kVersion),
        ") reads, ", kFormatVersion, "; upgrade invitegraph"));
  }
  if (v < 1) return Bad(absl::StrCat("format_version ", v, " is not valid"));

  INVITEGRAPH_ASSIGN_OR_RETURN(
      const Json* features,
      Field(doc, "features", &Json::is_array, "an array of feature names"));
  std::vector<std::string> names;
  for (const Json& f : *features) {
    if (!f.is_string()) {
      return Bad(absl::StrCat("\"features\" holds a non-string ", f.dump()));
    }
    names.push_back(f.get<std::string>());
  }
  if (names.empty()) return Bad("\"features\" is empty");
  const absl::Status schema = CheckFeatureSchema(names);
  if (!schema.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "ranker JSON: the ranker was saved for other features than this "
        "build's FeatureNames(): ",
        schema.message()));
  }

  INVITEGRAPH_ASSIGN_OR_RETURN(
      const Json* kind, Field(doc, "kind", &Json::is_string, "a string"));
  INVITEGRAPH_ASSIGN_OR_RETURN(
      const Json* spec_field, Field(doc, "spec", &Json::is_string, "a string"));
  const std::string spec = spec_field->get<std::string>();
  auto parsed = ParseSpec(spec);
  if (!parsed.ok()) return Prefixed(parsed.status(), "ranker JSON: \"spec\": ");
  if (parsed->first != kind->get<std::string>()) {
    return Bad(absl::StrCat("\"kind\" is ", kind->dump(),
                            " but the spec builds '", parsed->first, "'"));
  }
  // "params" is a readable copy of the spec's; if present it must agree.
  if (auto params = doc.find("params"); params != doc.end()) {
    if (!params->is_object()) return Bad("field \"params\" must be an object");
    if (params->size() != parsed->second.size()) {
      return Bad(absl::StrCat("\"params\" has ", params->size(),
                              " entries but the spec has ",
                              parsed->second.size()));
    }
    for (const auto& [key, value] : parsed->second) {
      auto p = params->find(key);
      if (p == params->end() || *p != ParamValue(value)) {
        return Bad(absl::StrCat("\"params\" disagree with \"spec\" at '", key,
                                "': spec ", value, ", params ",
                                p == params->end() ? "missing" : p->dump()));
      }
    }
  }
  auto ranker = MakeRanker(spec);
  if (!ranker.ok()) return Prefixed(ranker.status(), "ranker JSON: ");
  return ranker;
}

}  // namespace

absl::StatusOr<std::string> RankerToJson(const Ranker& ranker) {
  const std::string spec = ranker.spec();
  auto parsed = ParseSpec(spec);
  if (!parsed.ok()) return Prefixed(parsed.status(), "RankerToJson: ");
  // A document that cannot be loaded back is refused now, not at load time.
  if (auto rebuilt = MakeRanker(spec); !rebuilt.ok()) {
    return Prefixed(
        rebuilt.status(),
        absl::StrCat("RankerToJson: MakeRanker cannot rebuild '", spec, "': "));
  }
  Json doc;
  doc["format"] = kFormat;
  doc["format_version"] = kFormatVersion;
  doc["library_version"] = std::string(kVersion);
  doc["kind"] = parsed->first;
  doc["spec"] = spec;
  Json params = Json::object();
  for (const auto& [key, value] : parsed->second)
    params[key] = ParamValue(value);
  doc["params"] = std::move(params);
  const absl::Span<const std::string> schema =
      ranker.schema().empty() ? FeatureNames() : ranker.schema();
  doc["features"] = std::vector<std::string>(schema.begin(), schema.end());
  return doc.dump(2) + "\n";
}

absl::StatusOr<std::unique_ptr<Ranker>> RankerFromJson(std::string_view json) {
  // nlohmann reports errors by exceptions; none may leave this function.
  try {
    const Json doc = Json::parse(json.begin(), json.end());
    return FromDocument(doc);
  } catch (const Json::exception& e) {
    return Bad(absl::StrCat("malformed: ", e.what()));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("ranker JSON: ", e.what()));
  }
}

absl::Status SaveRanker(const Ranker& ranker, const std::string& path) {
  INVITEGRAPH_ASSIGN_OR_RETURN(std::string text, RankerToJson(ranker));
  // The same atomic write as snapshots (io/file_io.h): a locked temporary
  // file, fsynced and renamed, and litter of killed saves removed.
  const std::string_view pieces[] = {text};
  return internal::WriteFileAtomically(path, pieces, "SaveRanker").status();
}

absl::StatusOr<std::unique_ptr<Ranker>> LoadRanker(const std::string& path) {
  internal::RemoveStaleTemps(path);
  std::string text;
  auto size = internal::ReadRegularFile(path, "LoadRanker", [&](uint64_t n) {
    text.resize(n);
    return text.data();
  });
  if (!size.ok()) return size.status();
  auto ranker = RankerFromJson(text);
  if (!ranker.ok()) {
    return Prefixed(ranker.status(), absl::StrCat("LoadRanker(", path, "): "));
  }
  return ranker;
}

}  // namespace invitegraph
