#include "explain/reasons.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace invitegraph::internal {
namespace {

// Contributions below this do not make a reason.
constexpr float kMinContribution = 0.05f;
// "accepts_invites_often" needs a posterior accept rate of at least this: the
// prior alone contributes to every score and explains nothing.
constexpr float kOftenAcceptRate = 0.5f;

// The reason code of feature `f` in row `x`; empty when the feature explains
// nothing there.
std::string Code(int f, absl::Span<const float> x) {
  switch (f) {
    case kTieStrength:
      return "close_contact";
    case kReverseTieStrength:
      return "reaches_out_to_you";
    case kChatWeight:
      return "frequent_chat";
    case kLikeWeight:
      return "likes_your_posts";
    case kCommentWeight:
      return "comments_often";
    case kShareWeight:
      return "shares_with_you";
    case kVisitWeight:
      return "visits_often";
    case kAssistWeight:
      return "assisted_before";
    case kTeamJoinWeight:
      return "teamed_up_before";
    case kInviteAcceptedWeight:
      return "accepted_invites_before";
    case kDaysSinceLastInteraction:
      return absl::StrCat("recent_contact:",
                          static_cast<int>(x[kDaysSinceLastInteraction]), "d");
    case kIsFriend:
      return "friend";
    case kIsTwoHop:
      return "friend_of_friend";
    case kCommonNeighbors:
    case kAdamicAdar:
    case kJaccard:
      return absl::StrCat("shared_friends:",
                          static_cast<int>(x[kCommonNeighbors]));
    case kCandidateBoughtItem:
      return "bought_this_item";
    case kCandidateCategoryAffinity:
      return "likes_this_category";
    case kShoppingSimilarity:
      return "similar_shopper";
    case kCandidateActivity7d:
      return "active_this_week";
    case kCandidateActivity30d:
      return "active_this_month";
    case kCandidateIsNew:
      return "new_user";
    case kCandidateJoinRate:
      return "often_joins";
    case kCandidateDegree:
      return "well_connected";
    case kItemSimilarity:
      return "similar_taste";
    case kCandidatePurchases:
      return "active_shopper";
    case kCandidateAcceptRate:
      return x[kCandidateAcceptRate] >= kOftenAcceptRate
                 ? "accepts_invites_often"
                 : "";
    case kCandidateFatigue:
      return "";  // having had many invites is never a reason to invite
    case kCandidateSuspicion:
      return "";  // nor is being suspected (a learned weight may be > 0)
    case kCandidateReputation:
      return "helps_others";
    // Only where the candidate has the attribute: a learned negative weight
    // contributes at x = 0, which must not read as "same region".
    case kSameRegion:
      return x[kSameRegion] > 0 ? "same_region" : "";
    case kSameAgeBand:
      return x[kSameAgeBand] > 0 ? "same_age_band" : "";
    case kTagOverlap:
      return x[kTagOverlap] > 0 ? "shared_interests" : "";
    case kCategoryTagMatch:
      return x[kCategoryTagMatch] > 0 ? "interested_in_this_category" : "";
    // Influence features.
    case kCandidatePagerank:
      return "influential";
    case kCandidateCoreNumber:
      return "core_of_the_network";
    case kCandidateClustering:
      return "close_knit_circle";
    default:
      return "other";
  }
}

}  // namespace

std::vector<std::string> ReasonCodes(absl::Span<const float> x,
                                     absl::Span<const float> contribution,
                                     int max_reasons) {
  // Largest contribution first, ties in feature order, over the features
  // that can make a reason (contribution >= kMinContribution; a NaN cannot):
  // usually a handful, so sorting them costs little and allocates nothing.
  std::array<int, kNumFeatures> order;
  int candidates = 0;
  for (int f = 0; f < kNumFeatures; ++f) {
    if (contribution[f] >= kMinContribution) order[candidates++] = f;
  }
  std::sort(order.begin(), order.begin() + candidates, [&](int a, int b) {
    return contribution[a] != contribution[b]
               ? contribution[a] > contribution[b]
               : a < b;
  });
  std::vector<std::string> out;
  for (int i = 0; i < candidates; ++i) {
    if (static_cast<int>(out.size()) >= max_reasons) break;
    const int f = order[i];
    std::string code = Code(f, x);
    if (code.empty()) continue;  // this feature explains nothing in this row
    if (std::find(out.begin(), out.end(), code) == out.end())
      out.push_back(std::move(code));
  }
  return out;
}

}  // namespace invitegraph::internal
