// Wave assignment: for one campaign wave, picks at most `k` recipients per
// inviter so that no recipient is given to more than `capacity[r]` inviters,
// maximising the expected joins (the sum of the chosen pairs' probabilities).
// This is maximum-weight bipartite b-matching. Example:
//   WaveProblem p{.num_inviters = 2, .num_recipients = 2, .k = 1,
//                 .capacity = {1, 1},
//                 .edges = {{0, 0, 0.9}, {0, 1, 0.8}, {1, 0, 0.85}}};
//   INVITEGRAPH_ASSIGN_OR_RETURN(WaveSolution s,
//                                SolveWave(p, WaveMethod::kAuto));
//   // s.chosen == {1, 2}, s.total_weight == 1.65, s.exact == true
//
// Thread safety: SolveWave() is a pure function; concurrent calls are safe.
// Determinism: the same problem and arguments always give the same solution,
// including how ties among equally good assignments are broken.
#ifndef INVITEGRAPH_POLICY_WAVE_ASSIGN_H_
#define INVITEGRAPH_POLICY_WAVE_ASSIGN_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "invitegraph/wave.h"

namespace invitegraph::internal {

// One eligible (inviter, recipient) pair and its join probability.
struct WaveEdge {
  int32_t inviter = 0;    // in [0, num_inviters)
  int32_t recipient = 0;  // in [0, num_recipients)
  double weight = 0;      // join probability, finite, in [0, 1]
};

struct WaveProblem {
  int32_t num_inviters = 0;
  int32_t num_recipients = 0;
  int k = 0;                           // max recipients per inviter, >= 0
  std::vector<int32_t> capacity = {};  // size num_recipients, each >= 0
  std::vector<WaveEdge> edges = {};    // at most one per (inviter, recipient)
};

// WaveMethod and kDefaultExactWorkLimit are public (invitegraph/wave.h); the
// limit's measurements are in wave_assign.cc.

struct WaveSolution {
  std::vector<int64_t> chosen;  // indices into WaveProblem::edges, ascending
  double total_weight = 0;      // sum of the chosen edges' weights
  bool exact = false;           // true if solved by the exact method
};

// The work estimate kAuto compares with `exact_work_limit`: the flow bound
// sum_i min(k, degree(i)) times the number of network arcs plus vertices.
// Saturates at INT64_MAX. `p` need not be valid.
int64_t EstimateWaveWork(const WaveProblem& p);

// Solves `p` with `method`. kInvalidArgument naming the field and index on
// malformed input: negative sizes, k or capacity; capacity.size() !=
// num_recipients; an edge id out of range; a weight that is NaN or outside
// [0, 1]; a duplicate (inviter, recipient) pair; exact_work_limit < 0.
//
// The exact method picks one optimum when several tie (for example, an edge of
// weight 0 may or may not be chosen); the choice is deterministic and reported
// as is, with nothing filtered afterwards.
absl::StatusOr<WaveSolution> SolveWave(
    const WaveProblem& p, WaveMethod method,
    int64_t exact_work_limit = kDefaultExactWorkLimit);

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_POLICY_WAVE_ASSIGN_H_
