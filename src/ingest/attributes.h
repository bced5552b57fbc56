// User attribute columns (profiles.h): as a GraphBuilder stages them, and as a
// built graph holds them. Internal.
#ifndef INVITEGRAPH_INGEST_ATTRIBUTES_H_
#define INVITEGRAPH_INGEST_ATTRIBUTES_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/types/span.h"
#include "invitegraph/profiles.h"
#include "invitegraph/types.h"

namespace invitegraph::internal {

class IdMap;

// One column as staged, indexed by the builder's dense user ids (vectors grow
// on demand; users past their end hold nothing). Codes index `dictionary`, in
// first-seen order.
struct StagedAttribute {
  std::string name;
  AttributeType type = AttributeType::kCategory;
  std::vector<std::string> dictionary;
  absl::flat_hash_map<std::string, int32_t> code_of;
  std::vector<int32_t> code;               // kCategory: -1 = not given
  std::vector<double> number;              // kNumber: NaN = not given
  std::vector<std::vector<int32_t>> tags;  // kTags: sorted, unique
  std::vector<uint8_t> tags_given;         // kTags: 1 if a row set them

  int32_t Intern(const std::string& s);
};

struct StagedAttributes {
  std::vector<StagedAttribute> columns;  // in order of first appearance
  std::vector<uint8_t> profiled;  // by staged user: named in some profile row
  const StagedAttribute* Find(std::string_view name) const;
};

// Checks a whole batch (kInvalidArgument naming profiles.<column>[row]=value),
// against the columns staged so far too (a name keeps its type).
absl::Status ValidateProfiles(const ProfileBatch& batch,
                              const StagedAttributes& staged);
// Applies a validated batch; `users[i]` is row i's dense user id.
void StageProfiles(const ProfileBatch& batch, absl::Span<const uint32_t> users,
                   StagedAttributes& staged);

// Sets used[u] for every staged user some profile row named.
void MarkProfiledUsers(const StagedAttributes& staged,
                       std::vector<uint8_t>& used);
// The staged columns with user u moved to user_of[u] (every profiled user
// must map), for new_users users in all.
StagedAttributes RemapStaged(const StagedAttributes& staged,
                             absl::Span<const uint32_t> user_of,
                             uint32_t new_users);

// One column of a built graph, indexed by NodeId. The dictionary is sorted and
// holds only strings some user has.
struct AttributeColumn {
  std::string name;
  AttributeType type = AttributeType::kCategory;
  std::vector<std::string> dictionary;
  std::vector<int32_t> code;          // kCategory: -1 = missing
  std::vector<double> number;         // kNumber: NaN = missing
  std::vector<uint64_t> tag_offsets;  // kTags: num_nodes + 1
  std::vector<int32_t> tag_codes;     // kTags: sorted within each row

  // Code of `s`, or -1 if no user has it.
  int32_t Find(std::string_view s) const;
  absl::Span<const int32_t> tags(uint32_t node) const {
    return absl::MakeConstSpan(tag_codes.data() + tag_offsets[node],
                               tag_offsets[node + 1] - tag_offsets[node]);
  }
  bool missing(uint32_t node) const {
    switch (type) {
      case AttributeType::kCategory:
        return code[node] < 0;
      case AttributeType::kNumber:
        return std::isnan(number[node]);
      case AttributeType::kTags:
        return tag_offsets[node] == tag_offsets[node + 1];
    }
    return true;
  }
  int64_t MemoryBytes() const;
};

struct AttributeTable {
  std::vector<AttributeColumn> columns;  // sorted by name
  // The column named `name`, or null.
  const AttributeColumn* Find(std::string_view name) const;
  int64_t MemoryBytes() const;
};

// The staged columns over `num_nodes` nodes, staged user u at node_of(u).
template <typename NodeOf>
AttributeTable BuildAttributes(const StagedAttributes& staged,
                               uint32_t num_nodes, const NodeOf& node_of);

// `base` (over its own nodes, extended to `num_nodes` with missing values)
// with the staged values laid over it, user u at node_of(u): given values
// replace the old ones. kInvalidArgument if a staged column has another type
// than the graph's column of that name.
template <typename NodeOf>
absl::Status OverlayAttributes(const AttributeTable& base,
                               const StagedAttributes& staged,
                               uint32_t num_nodes, const NodeOf& node_of,
                               AttributeTable* out);

// Only the nodes in `kept` (old NodeIds, ascending), renumbered 0.. in that
// order; dictionaries pruned to what remains.
AttributeTable SubsetAttributes(const AttributeTable& t,
                                absl::Span<const uint32_t> kept);

// Checks a table read from a snapshot: sizes against num_nodes, codes in
// range, sorted unique dictionaries and tag rows, valid names.
absl::Status CheckAttributes(const AttributeTable& t, uint32_t num_nodes);

// Valid attribute name: an identifier that is not reserved (audience.h).
bool IsAttributeName(std::string_view name);
// Why `name` cannot be used, or empty.
std::string AttributeNameProblem(std::string_view name);

// --- template definitions ---

template <typename NodeOf>
AttributeTable BuildAttributes(const StagedAttributes& staged,
                               uint32_t num_nodes, const NodeOf& node_of) {
  AttributeTable out;
  // No base column to clash with: cannot fail.
  OverlayAttributes(AttributeTable{}, staged, num_nodes, node_of, &out)
      .IgnoreError();
  return out;
}

// Implemented over a per-user index vector so the template part stays small.
absl::Status OverlayAttributesMapped(const AttributeTable& base,
                                     const StagedAttributes& staged,
                                     uint32_t num_nodes,
                                     absl::Span<const uint32_t> node_of_staged,
                                     AttributeTable* out);

template <typename NodeOf>
absl::Status OverlayAttributes(const AttributeTable& base,
                               const StagedAttributes& staged,
                               uint32_t num_nodes, const NodeOf& node_of,
                               AttributeTable* out) {
  size_t staged_users = 0;
  for (const StagedAttribute& c : staged.columns) {
    staged_users =
        std::max({staged_users, c.code.size(), c.number.size(), c.tags.size()});
  }
  std::vector<uint32_t> map(staged_users);
  for (size_t u = 0; u < staged_users; ++u)
    map[u] = node_of(static_cast<uint32_t>(u));
  return OverlayAttributesMapped(base, staged, num_nodes, map, out);
}

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_INGEST_ATTRIBUTES_H_
