// File: profiles.h
// User attributes: who the recipient is, beyond the graph. A profile batch is
// a user column plus any number of named attribute columns of three types:
//
//   kCategory  one string per user, dictionary-encoded (region, age_band,
//              gender, tier): row i has dictionary[codes[i]], -1 = missing.
//   kTags      a list of strings per user (interests): row i's tags are
//              dictionary[codes[offsets[i] .. offsets[i+1])].
//   kNumber    a double per user (signup_ts, spend_level); NaN = missing.
//
//   std::vector<std::string> regions = {"north", "south"};
//   std::vector<int32_t> region_codes = {0, 1, -1};
//   ProfileColumn region{.name = "region", .type = AttributeType::kCategory,
//                        .codes = region_codes, .dictionary = regions};
//   builder.AddProfiles({.user = users, .columns = {&region, 1}});
//
// Semantics (GraphBuilder::AddProfiles, SocialGraph::Update): a profile row
// upserts the user's values column by column; a missing value (-1, NaN)
// leaves what an earlier batch gave, a tags row (even an empty one) replaces
// the user's tags. A user seen only in profiles becomes a node without
// contacts. Built graphs hold each column's dictionary sorted and pruned to
// the strings some user holds, so codes do not depend on row order and a
// forgotten user's strings leave with them (SocialGraph::Forget).
//
// Attribute names are identifiers ([A-Za-z_][A-Za-z0-9_]*) other than the
// audience language's keywords and built-in attributes (audience.h).
#ifndef INVITEGRAPH_PROFILES_H_
#define INVITEGRAPH_PROFILES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/types/span.h"
#include "invitegraph/types.h"

namespace invitegraph {

enum class AttributeType : uint8_t { kCategory = 0, kTags = 1, kNumber = 2 };

// "category", "tags" or "number".
std::string_view AttributeTypeName(AttributeType type);

struct ProfileColumn {
  std::string name;
  AttributeType type = AttributeType::kCategory;
  // kCategory: one code per row (-1: missing). kTags: the rows' tags,
  // concatenated.
  absl::Span<const int32_t> codes = {};
  // kTags only: rows + 1 offsets into `codes`, starting at 0.
  absl::Span<const int64_t> offsets = {};
  // kCategory and kTags: the strings codes refer to, each once.
  absl::Span<const std::string> dictionary = {};
  // kNumber: one value per row (NaN: missing; infinities are rejected).
  absl::Span<const double> numbers = {};
};

struct ProfileBatch {
  absl::Span<const UserId> user = {};  // each user at most once per batch
  absl::Span<const ProfileColumn> columns = {};
};

// One attribute of a built graph (SocialGraph::attributes()).
struct AttributeInfo {
  std::string name;
  AttributeType type = AttributeType::kNumber;
  bool builtin = false;  // a graph-derived attribute (audience.h), not a column
  // kCategory / kTags: the distinct values users hold, sorted.
  std::vector<std::string> values;
};

// A profile column of a built graph (SocialGraph::attribute_column()),
// indexed by NodeId; views into the graph.
struct AttributeColumnView {
  AttributeType type = AttributeType::kNumber;
  absl::Span<const std::string> dictionary;  // sorted
  absl::Span<const int32_t> codes;           // kCategory (-1: missing), kTags
  absl::Span<const uint64_t> tag_offsets;    // kTags: num_nodes + 1
  absl::Span<const double> numbers;          // kNumber (NaN: missing)
};

}  // namespace invitegraph

#endif  // INVITEGRAPH_PROFILES_H_
