#include "ingest/id_map.h"

#include <algorithm>

namespace invitegraph::internal {

namespace {
// The direct table may be at most this many times larger than the number of ids
// it would hold (plus a fixed allowance), so sparse id spaces fall back to
// hashing.
constexpr int64_t kMaxSparsity = 4;
constexpr int64_t kDirectAllowance = int64_t{1} << 16;
}  // namespace

void IdMap::GrowDirect(int64_t limit) {
  direct_.resize(limit, kAbsent);
  for (auto it = hash_.begin(); it != hash_.end();) {
    if (it->first < limit) {
      direct_[it->first] = it->second;
      hash_.erase(it++);
    } else {
      ++it;
    }
  }
}

void IdMap::MapOrInsert(absl::Span<const int64_t> ids, uint32_t* out) {
  if (ids.empty()) return;
  const int64_t max_id = *std::max_element(ids.begin(), ids.end());
  const int64_t budget =
      kMaxSparsity * (size() + static_cast<int64_t>(ids.size())) +
      kDirectAllowance;
  if (max_id >= static_cast<int64_t>(direct_.size()) && max_id < budget) {
    GrowDirect(std::max<int64_t>(max_id + 1,
                                 2 * static_cast<int64_t>(direct_.size())));
  }
  const uint64_t direct_size = direct_.size();
  for (size_t i = 0; i < ids.size(); ++i) {
    const int64_t id = ids[i];
    if (static_cast<uint64_t>(id) < direct_size) {
      uint32_t& slot = direct_[id];
      if (slot == kAbsent) {
        slot = static_cast<uint32_t>(external_.size());
        external_.push_back(id);
      }
      out[i] = slot;
    } else {
      auto [it, inserted] =
          hash_.try_emplace(id, static_cast<uint32_t>(external_.size()));
      if (inserted) external_.push_back(id);
      out[i] = it->second;
    }
  }
}

IdMap IdMap::Sorted(std::vector<uint32_t>* perm) const {
  std::vector<uint32_t> order(external_.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [this](uint32_t a, uint32_t b) {
    return external_[a] < external_[b];
  });
  std::vector<int64_t> ids(order.size());
  perm->assign(order.size(), kAbsent);
  for (uint32_t r = 0; r < order.size(); ++r) {
    ids[r] = external_[order[r]];
    (*perm)[order[r]] = r;
  }
  IdMap out;
  std::vector<uint32_t> dense(ids.size());
  out.MapOrInsert(ids, dense.data());
  return out;
}

int64_t IdMap::MemoryBytes() const {
  return static_cast<int64_t>(direct_.capacity() * sizeof(uint32_t) +
                              external_.capacity() * sizeof(int64_t) +
                              hash_.capacity() *
                                  (sizeof(int64_t) + sizeof(uint32_t) + 1));
}

}  // namespace invitegraph::internal
