// Brute-force oracles the library is checked against: contact sets from raw
// event rows, link-prediction counts by set algebra, the linear ranker's
// transform as documented, and a recommender that scores every candidate and
// sorts them all.
#ifndef INVITEGRAPH_TESTS_TESTING_ORACLES_H_
#define INVITEGRAPH_TESTS_TESTING_ORACLES_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "invitegraph/features.h"
#include "invitegraph/ranker.h"
#include "invitegraph/status.h"
#include "invitegraph/types.h"
#include "testing/fixtures.h"

namespace invitegraph::testing {

// Undirected contacts per external user id: friendships and interactions,
// either way.
using ContactSets = std::map<UserId, std::set<UserId>>;

inline ContactSets ContactsOf(const RandomEvents& e) {
  ContactSets c;
  auto link = [&](UserId a, UserId b) {
    c[a].insert(b);
    c[b].insert(a);
  };
  for (size_t i = 0; i < e.friend_src.size(); ++i)
    link(e.friend_src[i], e.friend_dst[i]);
  for (size_t i = 0; i < e.inter_src.size(); ++i)
    link(e.inter_src[i], e.inter_dst[i]);
  // Users seen only in purchases have no contacts.
  for (UserId u : e.purchase_user) c[u];
  return c;
}

struct LinkCounts {
  int64_t common = 0;
  double adamic_adar = 0;
  double jaccard = 0;
};

// |N(u) & N(v)|, sum over common z of 1 / ln |N(z)|, and |N(u) & N(v)| / |N(u)
// | N(v)|.
inline LinkCounts BruteForceLinkCounts(const ContactSets& c, UserId u,
                                       UserId v) {
  const std::set<UserId>& a = c.at(u);
  const std::set<UserId>& b = c.at(v);
  std::vector<UserId> both, either;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(),
                        std::back_inserter(both));
  std::set_union(a.begin(), a.end(), b.begin(), b.end(),
                 std::back_inserter(either));
  LinkCounts out;
  out.common = static_cast<int64_t>(both.size());
  for (UserId z : both)
    out.adamic_adar += 1.0 / std::log(static_cast<double>(c.at(z).size()));
  out.jaccard =
      either.empty() ? 0.0 : static_cast<double>(both.size()) / either.size();
  return out;
}

// Users two hops from `u` through contacts with at most `hub_degree_cap`
// contacts, excluding `u` and its own contacts.
inline std::set<UserId> FriendsOfFriends(
    const ContactSets& c, UserId u,
    int64_t hub_degree_cap = std::numeric_limits<int64_t>::max()) {
  const std::set<UserId>& direct = c.at(u);
  std::set<UserId> out;
  for (UserId z : direct) {
    const std::set<UserId>& via = c.at(z);
    if (static_cast<int64_t>(via.size()) > hub_degree_cap) continue;
    for (UserId v : via) {
      if (v != u && direct.count(v) == 0) out.insert(v);
    }
  }
  return out;
}

// The linear ranker's per-feature transform as ranker.h documents it: log1p for
// count-like features, exp(-days / 30) for recency, identity otherwise.
inline double DocumentedLinearTransform(int f, double x) {
  static const std::set<int> kLog1p = {
      kTieStrength,          kReverseTieStrength,   kChatWeight,
      kLikeWeight,           kCommentWeight,        kShareWeight,
      kVisitWeight,          kAssistWeight,         kTeamJoinWeight,
      kInviteAcceptedWeight, kCommonNeighbors,      kAdamicAdar,
      kCandidateActivity7d,  kCandidateActivity30d, kCandidateDegree};
  if (f == kDaysSinceLastInteraction) return std::exp(-x / 30.0);
  if (kLog1p.count(f)) return std::log1p(x);
  return x;
}

struct ScoredCandidate {
  UserId candidate = -1;
  float score = 0;
  bool operator==(const ScoredCandidate&) const = default;
};

// Scores every row of `x` with `ranker`, sorts all rows by (score desc,
// candidate id asc) and keeps the first `k`.
inline absl::StatusOr<std::vector<ScoredCandidate>> BruteForceTopK(
    const FeatureMatrix& x, const Ranker& ranker, int k) {
  std::vector<float> scores(x.rows());
  INVITEGRAPH_RETURN_IF_ERROR(ranker.Score(x, absl::MakeSpan(scores)));
  std::vector<ScoredCandidate> all;
  for (int64_t r = 0; r < x.rows(); ++r)
    all.push_back({x.candidates[r], scores[r]});
  std::sort(all.begin(), all.end(),
            [](const ScoredCandidate& a, const ScoredCandidate& b) {
              return a.score != b.score ? a.score > b.score
                                        : a.candidate < b.candidate;
            });
  if (static_cast<int64_t>(all.size()) > k) all.resize(k);
  return all;
}

}  // namespace invitegraph::testing

#endif  // INVITEGRAPH_TESTS_TESTING_ORACLES_H_
