// Reserved words of the audience language (audience.h): its keywords and the
// graph-derived attributes every graph has. Profile columns may use neither.
#ifndef INVITEGRAPH_INGEST_AUDIENCE_NAMES_H_
#define INVITEGRAPH_INGEST_AUDIENCE_NAMES_H_

#include <array>
#include <cstdint>
#include <string_view>

namespace invitegraph::internal {

inline constexpr std::array<std::string_view, 8> kAudienceKeywords = {
    "and", "or", "not", "in", "inviter", "true", "false", "user"};

inline constexpr std::array<std::string_view, 8> AudienceKeywords() {
  return kAudienceKeywords;
}

// Built-in attributes, all numbers (is_new is 0/1); see audience.h.
enum class Builtin : uint8_t {
  kDegree,
  kActivity7d,
  kActivity30d,
  kIsNew,
  kJoinRate,
  kPurchases,
  kFirstSeen,
  kSuspicion,
  kReputation,
  kPagerank,
  kCoreNumber,
  kClustering,
  kCount
};

inline constexpr std::array<std::string_view,
                            static_cast<size_t>(Builtin::kCount)>
    kBuiltinNames = {"degree",     "activity_7d", "activity_30d", "is_new",
                     "join_rate",  "purchases",   "first_seen",   "suspicion",
                     "reputation", "pagerank",    "core_number",  "clustering"};

inline constexpr auto BuiltinAttributeNames() { return kBuiltinNames; }

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_INGEST_AUDIENCE_NAMES_H_
