// Brute-force oracles the library is checked against: contact sets from raw
// event rows, link-prediction counts by set algebra, purchase vectors and
// recorded-outcome state recomputed from every row, the linear ranker's
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
#include "invitegraph/outcomes.h"
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
      kCandidateActivity7d,  kCandidateActivity30d, kCandidateDegree,
      kCandidatePurchases,   kCandidateFatigue};
  if (f == kDaysSinceLastInteraction) return std::exp(-x / 30.0);
  if (kLog1p.count(f)) return std::log1p(x);
  return x;
}

// `user`'s purchases per item, each weighing 2^(-age / half_life) at `as_of`.
inline std::map<ItemId, double> ItemVector(const RandomEvents& e, UserId user,
                                           Timestamp as_of = kAsOf,
                                           double half_life_days = 30.0) {
  std::map<ItemId, double> out;
  for (size_t i = 0; i < e.purchase_user.size(); ++i) {
    if (e.purchase_user[i] != user) continue;
    out[e.purchase_item[i]] +=
        std::exp2(-static_cast<double>(as_of - e.purchase_ts[i]) /
                  (half_life_days * kDay));
  }
  return out;
}

// Cosine of two sparse vectors; 0 if either is empty.
inline double Cosine(const std::map<ItemId, double>& a,
                     const std::map<ItemId, double>& b) {
  double dot = 0, na = 0, nb = 0;
  for (const auto& [k, w] : a) {
    na += w * w;
    if (auto it = b.find(k); it != b.end()) dot += w * it->second;
  }
  for (const auto& [k, w] : b) nb += w * w;
  return na > 0 && nb > 0 ? dot / std::sqrt(na * nb) : 0.0;
}

inline double Total(const std::map<ItemId, double>& v) {
  double t = 0;
  for (const auto& [k, w] : v) t += w;
  return t;
}

// Every outcome row ever recorded, as plain rows.
struct OutcomeRows {
  std::vector<UserId> inviter, invitee;
  std::vector<ItemId> item;
  std::vector<Timestamp> ts;
  std::vector<Outcome> outcome;

  void Add(UserId from, UserId to, ItemId it, Timestamp t, Outcome o) {
    inviter.push_back(from);
    invitee.push_back(to);
    item.push_back(it);
    ts.push_back(t);
    outcome.push_back(o);
  }
  OutcomeBatch batch(size_t begin = 0, size_t end = SIZE_MAX) const {
    end = std::min(end, inviter.size());
    auto cut = [&](const auto& v) {
      return absl::MakeConstSpan(v).subspan(begin, end - begin);
    };
    return {cut(inviter), cut(invitee), cut(item), cut(ts), cut(outcome)};
  }
};

struct OracleFeedback {
  int64_t successes = 0, failures = 0;
  double accept_rate = 0, fatigue = 0;
};

// The feedback state of `user` from scratch: counts of accepted and of
// declined/ignored rows, the Beta posterior mean, and the sum over its "sent"
// rows of 2^(-(now - ts) / half_life) with now = max(as_of, every row's ts).
inline OracleFeedback BruteForceFeedback(const OutcomeRows& rows, UserId user,
                                         Timestamp as_of,
                                         const FeedbackConfig& c = {}) {
  Timestamp now = as_of;
  for (Timestamp t : rows.ts) now = std::max(now, t);
  OracleFeedback out;
  for (size_t i = 0; i < rows.invitee.size(); ++i) {
    if (rows.invitee[i] != user) continue;
    switch (rows.outcome[i]) {
      case Outcome::kSent:
        out.fatigue += std::exp2(-static_cast<double>(now - rows.ts[i]) /
                                 (c.fatigue_half_life_days * kDay));
        break;
      case Outcome::kAccepted:
        ++out.successes;
        break;
      default:
        ++out.failures;
    }
  }
  out.accept_rate =
      (out.successes + c.accept_prior_mean * c.accept_prior_strength) /
      (out.successes + out.failures + c.accept_prior_strength);
  return out;
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
