// The one place where external int64 ids become dense uint32 ids (and back).
//
// Ids are assigned in first-seen order (builds then renumber them in ascending
// order, Sorted()). Lookups use a direct table while the
// ids seen so far are small and dense enough (the common case of auto-increment
// keys), and a hash map otherwise; both give the same mapping.
#ifndef INVITEGRAPH_INGEST_ID_MAP_H_
#define INVITEGRAPH_INGEST_ID_MAP_H_

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/types/span.h"

namespace invitegraph::internal {

class IdMap {
 public:
  static constexpr uint32_t kAbsent = UINT32_MAX;

  // Dense id of `id`, if present.
  std::optional<uint32_t> Find(int64_t id) const {
    const uint32_t d = Lookup(id);
    if (d == kAbsent) return std::nullopt;
    return d;
  }
  // Maps every id (all must be >= 0) to its dense id, inserting unseen ones in
  // order. The caller checks beforehand that size() + ids.size() < kAbsent.
  void MapOrInsert(absl::Span<const int64_t> ids, uint32_t* out);

  int64_t size() const { return static_cast<int64_t>(external_.size()); }
  absl::Span<const int64_t> external_ids() const { return external_; }
  int64_t external(uint32_t dense) const { return external_[dense]; }
  int64_t MemoryBytes() const;

  // The same ids numbered in ascending order of external id, and in `perm`
  // (resized to size()) each old dense id's new one. Builds number users and
  // items this way, so that any subset of them -- a shard of a distributed
  // job -- keeps their relative order, and with it every order-dependent
  // result (float sums over sorted rows, ties broken by dense id).
  IdMap Sorted(std::vector<uint32_t>* perm) const;
  // True when dense ids already follow external ids.
  bool IsSorted() const {
    return std::is_sorted(external_.begin(), external_.end());
  }

 private:
  uint32_t Lookup(int64_t id) const {
    if (id >= 0 && static_cast<uint64_t>(id) < direct_.size())
      return direct_[id];
    auto it = hash_.find(id);
    return it == hash_.end() ? kAbsent : it->second;
  }
  // Grows the direct table to cover ids below `limit`, moving hashed ids into
  // it.
  void GrowDirect(int64_t limit);

  std::vector<uint32_t> direct_;  // id -> dense, kAbsent when unseen
  absl::flat_hash_map<int64_t, uint32_t> hash_;  // ids beyond the direct table
  std::vector<int64_t> external_;                // dense -> id
};

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_INGEST_ID_MAP_H_
