// File: wave.h
// Options and report of Recommender::RecommendWave(): one campaign wave across
// many inviters, assigned so that no recipient is suggested to more than
// `recipient_capacity` inviters, maximising the expected joins.
//
//   WaveOptions o{.recipient_capacity = 2};
//   INVITEGRAPH_ASSIGN_OR_RETURN(Wave w, rec.RecommendWave(inviters, items,
//                                                          5, o));
//   std::cout << w.report.expected_joins << " vs naive "
//             << w.report.naive_expected_joins;
#ifndef INVITEGRAPH_WAVE_H_
#define INVITEGRAPH_WAVE_H_

#include <cstdint>

#include "invitegraph/audience.h"
#include "invitegraph/progress.h"

namespace invitegraph {

enum class WaveMethod {
  // kExact when the estimated work is at most WaveOptions::exact_work_limit,
  // else kGreedy.
  kAuto,
  // Pairs by (join probability desc, inviter asc, recipient asc), each taken
  // while its inviter and recipient have room: at least half the optimum,
  // O(E log E) for E eligible pairs.
  kGreedy,
  // Min-cost flow (successive shortest paths): an optimal assignment, to
  // within 2^-40 per chosen pair. About 8 ns per unit of estimated work
  // (the flow bound times the network's arcs plus vertices).
  kExact,
};

// Work units up to which kAuto solves exactly: about 0.4 s on one core.
inline constexpr int64_t kDefaultExactWorkLimit = 50'000'000;

// What a many-inviter call (RecommendBatch(), RecommendWave()) does with a
// request whose inviter is not in the graph. New users who are not in the
// latest snapshot yet are normal in production, so a batch job skips them by
// default rather than losing every other request's work.
enum class UnknownInviterPolicy {
  // Serve the other requests; list the skipped request positions in
  // SuggestionTable::unknown_inviter_rows. The caller decides what a new user
  // gets instead (a cold-start list is a product choice the graph cannot make).
  kSkip,
  // kNotFound naming the first unknown request, inviters[i]=id, and nothing
  // is served: what Recommend() does for one request.
  kFail,
};

struct WaveOptions {
  int recipient_capacity = 1;  // >= 1: lists a recipient may appear in
  WaveMethod method = WaveMethod::kAuto;
  int64_t exact_work_limit = kDefaultExactWorkLimit;  // >= 0
  int num_threads = 0;  // 0: all hardware threads. Results do not depend on it.
  ProgressFn progress = {};
  Audience audience = {};  // every request's audience (Campaign::audience)
  UnknownInviterPolicy unknown_inviters = UnknownInviterPolicy::kSkip;
};

struct WaveReport {
  int64_t requests = 0;  // requests served (skipped unknown inviters excluded)
  int64_t suggestions = 0;
  double expected_joins = 0;       // sum of the suggestions' join_probability
  int64_t max_recipient_load = 0;  // most lists one recipient appears in
  int64_t short_requests = 0;      // requests given fewer than k suggestions
  // The same requests served one by one (top k by adjusted score, each
  // request blind to the others), over the same candidates.
  int64_t naive_suggestions = 0;
  double naive_expected_joins = 0;
  int64_t naive_max_recipient_load = 0;
  int64_t naive_recipients_over_capacity = 0;
  bool exact = false;  // solved by the exact method
  double solve_seconds = 0;
  double seconds = 0;
};

}  // namespace invitegraph

#endif  // INVITEGRAPH_WAVE_H_
