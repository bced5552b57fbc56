#include <cctype>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "invitegraph/ranker.h"

namespace invitegraph {

absl::StatusOr<
    std::pair<std::string, std::vector<std::pair<std::string, std::string>>>>
ParseSpec(std::string_view spec_in) {
  absl::string_view spec = absl::StripAsciiWhitespace(
      absl::string_view(spec_in.data(), spec_in.size()));
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad spec '", spec, "': ", why, "; expected name(key=value,...)"));
  };
  std::pair<std::string, std::vector<std::pair<std::string, std::string>>> out;
  const size_t open = spec.find('(');
  absl::string_view name = spec.substr(0, open);
  name = absl::StripAsciiWhitespace(name);
  if (name.empty()) return bad("empty name");
  for (char ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_') {
      return bad("the name may hold only letters, digits and '_'");
    }
  }
  out.first = std::string(name);
  if (open == absl::string_view::npos) return out;
  if (spec.back() != ')') return bad("missing ')'");
  absl::string_view args = spec.substr(open + 1, spec.size() - open - 2);
  if (absl::StripAsciiWhitespace(args).empty()) return out;
  for (absl::string_view part : absl::StrSplit(args, ',')) {
    const size_t eq = part.find('=');
    if (eq == absl::string_view::npos)
      return bad(absl::StrCat("'", part, "' has no '='"));
    absl::string_view key = absl::StripAsciiWhitespace(part.substr(0, eq));
    absl::string_view value = absl::StripAsciiWhitespace(part.substr(eq + 1));
    if (key.empty() || value.empty())
      return bad(absl::StrCat("empty key or value in '", part, "'"));
    for (const auto& [k, v] : out.second) {
      if (k == key) return bad(absl::StrCat("key '", key, "' given twice"));
    }
    out.second.emplace_back(std::string(key), std::string(value));
  }
  return out;
}

}  // namespace invitegraph
