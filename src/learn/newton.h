// Newton's method for weighted, L2-penalised logistic loss,
//
//   L(beta) = sum_i s_i * (log(1 + exp(d_i.beta)) - y_i * d_i.beta)
//             + 1/2 * sum_j penalty_j * beta_j^2,
//
// over design rows d_i that a LogLossProblem produces chunk by chunk. Every
// pass over the rows splits them into fixed chunks whose partial loss,
// gradient and Hessian are each computed by one thread and then added in
// chunk order, so the result is bit-identical for any thread count.
#ifndef INVITEGRAPH_LEARN_NEWTON_H_
#define INVITEGRAPH_LEARN_NEWTON_H_

#include <cstdint>
#include <functional>

#include "Eigen/Core"
#include "absl/status/statusor.h"

namespace invitegraph::internal {

inline constexpr int64_t kFitChunkRows = 16384;

// Design rows of one chunk, row-major so that Fill() writes whole rows.
using DesignChunk =
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

class LogLossProblem {
 public:
  virtual ~LogLossProblem() = default;
  virtual int64_t rows() const = 0;
  virtual int dims() const = 0;
  // Fills rows [begin, end) of the design into `d` ((end - begin) x dims()),
  // their labels (0 or 1) into `y` and their weights (>= 0) into `s`, all
  // already sized. Called concurrently on disjoint ranges.
  virtual void Fill(int64_t begin, int64_t end, DesignChunk& d,
                    Eigen::VectorXd& y, Eigen::VectorXd& s) const = 0;
};

struct NewtonOptions {
  Eigen::VectorXd penalty;  // dims() entries, >= 0
  int max_iter = 100;
  // Converged when the Newton decrement g'H^-1 g / 2 <= tol * max(1, |L|).
  double tol = 1e-8;
  int num_threads = 0;
  std::function<void(int iteration)> on_iteration = {};
};

struct NewtonResult {
  Eigen::VectorXd beta;
  int iterations = 0;  // accepted Newton steps
  double loss = 0;     // L(beta), penalty included
  bool converged = false;
};

// Minimises L from `beta`. Errors only if a pass fails (it cannot today) or
// the loss at the start is not finite.
absl::StatusOr<NewtonResult> MinimizeLogLoss(const LogLossProblem& problem,
                                             Eigen::VectorXd beta,
                                             const NewtonOptions& options);

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_LEARN_NEWTON_H_
