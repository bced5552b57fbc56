#include "learn/newton.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "Eigen/Cholesky"
#include "absl/strings/str_cat.h"
#include "internal/parallel.h"
#include "invitegraph/status.h"

namespace invitegraph::internal {

namespace {

// log(1 + exp(e)) without overflow.
double Log1pExp(double e) {
  return e > 0 ? e + std::log1p(std::exp(-e)) : std::log1p(std::exp(e));
}

double Sigmoid(double e) {
  if (e >= 0) return 1.0 / (1.0 + std::exp(-e));
  const double t = std::exp(e);
  return t / (1.0 + t);
}

struct Totals {
  double loss = 0;
  Eigen::VectorXd grad;
  Eigen::MatrixXd hess;  // lower triangle until Evaluate() mirrors it
};

// Loss, gradient and Hessian at `beta`, penalty included.
absl::StatusOr<Totals> Evaluate(const LogLossProblem& p,
                                const Eigen::VectorXd& beta,
                                const NewtonOptions& o) {
  const int dims = p.dims();
  const int64_t n = p.rows();
  const int64_t num_chunks = (n + kFitChunkRows - 1) / kFitChunkRows;
  std::vector<Totals> part(num_chunks);
  // Several chunks per claim so buffers are reused; the partials stay per
  // chunk, so the grouping cannot change the sums.
  const int64_t per_claim = std::max<int64_t>(
      1,
      num_chunks / (4 * static_cast<int64_t>(ResolveThreads(o.num_threads))));
  INVITEGRAPH_RETURN_IF_ERROR(ParallelForRange(
      num_chunks, o.num_threads, per_claim,
      [&](int64_t cb, int64_t ce) -> absl::Status {
        DesignChunk d;
        Eigen::VectorXd y, s, eta, r, v;
        for (int64_t c = cb; c < ce; ++c) {
          const int64_t begin = c * kFitChunkRows;
          const int64_t end = std::min(n, begin + kFitChunkRows);
          const int64_t m = end - begin;
          d.resize(m, dims);
          y.resize(m);
          s.resize(m);
          p.Fill(begin, end, d, y, s);
          eta.noalias() = d * beta;
          r.resize(m);
          v.resize(m);
          double loss = 0;
          for (int64_t i = 0; i < m; ++i) {
            const double e = eta[i];
            const double q = Sigmoid(e);
            loss += s[i] * (Log1pExp(e) - y[i] * e);
            r[i] = s[i] * (q - y[i]);
            v[i] = std::sqrt(s[i] * q * (1.0 - q));
          }
          Totals& t = part[c];
          t.loss = loss;
          t.grad.noalias() = d.transpose() * r;
          d.array().colwise() *= v.array();
          t.hess = Eigen::MatrixXd::Zero(dims, dims);
          t.hess.selfadjointView<Eigen::Lower>().rankUpdate(d.transpose());
        }
        return absl::OkStatus();
      }));
  Totals total;
  total.grad = Eigen::VectorXd::Zero(dims);
  total.hess = Eigen::MatrixXd::Zero(dims, dims);
  for (const Totals& t : part) {
    total.loss += t.loss;
    total.grad += t.grad;
    total.hess += t.hess;
  }
  total.hess = total.hess.selfadjointView<Eigen::Lower>();
  total.loss += 0.5 * (o.penalty.array() * beta.array().square()).sum();
  total.grad.array() += o.penalty.array() * beta.array();
  total.hess.diagonal() += o.penalty;
  return total;
}

// -H^-1 g, with a tiny ridge so that a singular H (a constant column without
// penalty) still gives the minimum-norm-like step in the identified
// directions. The ridge changes the step, never the optimum.
Eigen::VectorXd NewtonStep(const Totals& t) {
  const double diag_max =
      std::max(1.0, t.hess.diagonal().cwiseAbs().maxCoeff());
  Eigen::MatrixXd h = t.hess;
  h.diagonal().array() += 1e-12 * diag_max;
  Eigen::LDLT<Eigen::MatrixXd> ldlt(h);
  Eigen::VectorXd step = -ldlt.solve(t.grad);
  if (ldlt.info() != Eigen::Success || !step.allFinite()) {
    h.diagonal().array() += 1e-6 * diag_max;
    step = -Eigen::LDLT<Eigen::MatrixXd>(h).solve(t.grad);
  }
  return step;
}

}  // namespace

absl::StatusOr<NewtonResult> MinimizeLogLoss(const LogLossProblem& problem,
                                             Eigen::VectorXd beta,
                                             const NewtonOptions& options) {
  NewtonResult result;
  INVITEGRAPH_ASSIGN_OR_RETURN(Totals t, Evaluate(problem, beta, options));
  if (!std::isfinite(t.loss)) {
    return absl::InternalError(
        absl::StrCat("fit: the loss at the start is ", t.loss));
  }
  for (;;) {
    const Eigen::VectorXd step = NewtonStep(t);
    const double slope = t.grad.dot(step);  // -decrement, < 0 when descending
    if (!(slope < 0)) {
      result.converged = true;
      break;
    }
    if (-slope / 2 <= options.tol * std::max(1.0, std::abs(t.loss))) {
      result.converged = true;
      // One more full step, kept if it does not increase the loss: near the
      // optimum Newton converges quadratically, so this takes the gradient
      // from ~sqrt(tol) to rounding level (exact calibration, tight
      // optimality conditions) for one more pass over the rows.
      if (result.iterations < options.max_iter) {
        INVITEGRAPH_ASSIGN_OR_RETURN(Totals u,
                                     Evaluate(problem, beta + step, options));
        if (std::isfinite(u.loss) && u.loss <= t.loss) {
          beta += step;
          t = std::move(u);
          ++result.iterations;
          if (options.on_iteration) options.on_iteration(result.iterations);
        }
      }
      break;
    }
    if (result.iterations >= options.max_iter) break;
    // Step halving until the Armijo condition holds.
    bool accepted = false;
    double scale = 1.0;
    for (int halving = 0; halving < 50 && !accepted; ++halving, scale /= 2) {
      const Eigen::VectorXd trial = beta + scale * step;
      INVITEGRAPH_ASSIGN_OR_RETURN(Totals u, Evaluate(problem, trial, options));
      if (std::isfinite(u.loss) && u.loss <= t.loss + 1e-4 * scale * slope) {
        beta = trial;
        t = std::move(u);
        accepted = true;
      }
    }
    if (!accepted) {
      // No decrease is representable: beta is optimal to rounding.
      result.converged = true;
      break;
    }
    ++result.iterations;
    if (options.on_iteration) options.on_iteration(result.iterations);
  }
  result.beta = std::move(beta);
  result.loss = t.loss;
  return result;
}

}  // namespace invitegraph::internal
