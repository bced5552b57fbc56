// Fills feature rows for the candidates of one request.
#ifndef INVITEGRAPH_FEATURES_FEATURE_ROWS_H_
#define INVITEGRAPH_FEATURES_FEATURE_ROWS_H_

#include <vector>

#include "candidates/candidate_finder.h"
#include "features/user_block.h"
#include "feedback/recipient_state.h"
#include "graph/graph_data.h"
#include "invitegraph/features.h"

namespace invitegraph::internal {

// The campaign resolved to dense ids (IdMap::kAbsent when unknown).
// The profile columns behind the attribute features (null: absent), and each
// category's mapped tags (AttributeFeatureOptions::category_tags), by external
// category id (the graph need not have seen the category): the codes of those
// the graph knows, sorted, and how many were named.
struct AttributeFeatureColumns {
  const AttributeColumn* region = nullptr;
  const AttributeColumn* age_band = nullptr;
  const AttributeColumn* tags = nullptr;
  absl::flat_hash_map<CategoryId, std::pair<std::vector<int32_t>, int32_t>>
      category_tags;
};

struct CampaignContext {
  uint32_t item = IdMap::kAbsent;
  uint32_t category = IdMap::kAbsent;
  const AttributeFeatureColumns* attributes = nullptr;
  const std::vector<int32_t>* category_tags = nullptr;
  int32_t category_tag_count = 0;
};

// `attributes` may be null (the attribute features are then 0).
CampaignContext ResolveCampaign(const GraphData& g, ItemId item,
                                CategoryId category,
                                const AttributeFeatureColumns* attributes);

// The inviter's decayed item-purchase row scattered into a dense array over
// items, so item_similarity costs O(candidate's row length) per candidate.
// Reused across requests on one thread: a slot is valid only when its stamp
// equals the current epoch, so nothing is cleared per request.
class ItemScratch {
 public:
  explicit ItemScratch(uint32_t num_items) : slots_(num_items) {}

  // Scatters row `u` of `rows` (user -> item weights).
  void Load(const SparseRows& rows, NodeId u);
  // Cosine of the loaded row and the row held at [begin, end) of `rows`; 0 if
  // either is empty.
  float Cosine(const SparseRows& rows, uint64_t begin, uint64_t end) const;
  // Asks for the slots Cosine() will read for that row (its keys must be at
  // hand).
  void Prefetch(const SparseRows& rows, uint64_t begin, uint64_t end) const {
    for (uint64_t i = begin; i < end; ++i)
      __builtin_prefetch(&slots_[rows.keys[i]]);
  }

 private:
  struct Slot {
    uint32_t stamp = 0;
    float weight = 0;
  };
  std::vector<Slot> slots_;
  uint32_t epoch_ = 0;
  double norm_ = 0;  // L2 norm of the loaded row
};

// Writes one row per candidate into `out` (resized to candidates x
// kNumFeatures). `users` are `g`'s user blocks (user_block.h), `feedback`
// supplies the recorded-outcome features; `items` is this thread's scratch.
// `tie_discount` (Policy::suspicious_tie_discount) scales the inviter-candidate
// arc's tie and channel features by 1 - tie_discount * arc suspicion when the
// graph has abuse scores.
void FillFeatures(const GraphData& g, const UserBlocks& users, NodeId inviter,
                  const CampaignContext& campaign,
                  const std::vector<CandidateScratch::Candidate>& candidates,
                  const FeedbackView& feedback, ItemScratch* items,
                  FeatureArray* out, float tie_discount = 0);

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_FEATURES_FEATURE_ROWS_H_
