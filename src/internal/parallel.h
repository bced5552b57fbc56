// ParallelFor: runs fn(i) for i in [0, n) on up to `threads` threads (0: all
// hardware threads) in contiguous chunks, and returns the error of the lowest
// failing index, so the outcome does not depend on the thread count or
// scheduling.
#ifndef INVITEGRAPH_INTERNAL_PARALLEL_H_
#define INVITEGRAPH_INTERNAL_PARALLEL_H_

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "invitegraph/progress.h"

namespace invitegraph::internal {

inline int ResolveThreads(int threads) {
  if (threads > 0) return threads;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

// Serialises and throttles progress calls from many threads (see progress.h).
class ProgressReporter {
 public:
  ProgressReporter(const ProgressFn& fn, int64_t total)
      : fn_(fn), total_(total), step_(std::max<int64_t>(1, total / 100)) {}
  void Add(int64_t n) {
    if (!fn_) return;
    const int64_t done = done_.fetch_add(n, std::memory_order_relaxed) + n;
    if (done / step_ == (done - n) / step_ && done != total_) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (done > reported_) {
      reported_ = done;
      fn_(done, total_);
    }
  }

 private:
  const ProgressFn& fn_;
  const int64_t total_;
  const int64_t step_;
  std::atomic<int64_t> done_{0};
  std::mutex mu_;
  int64_t reported_ = -1;
};

// fn(begin, end) processes the half-open index range; chunks are claimed
// dynamically.
inline absl::Status ParallelForRange(
    int64_t n, int threads, int64_t chunk,
    const std::function<absl::Status(int64_t begin, int64_t end)>& fn) {
  if (n <= 0) return absl::OkStatus();
  chunk = std::max<int64_t>(1, chunk);
  const int64_t num_chunks = (n + chunk - 1) / chunk;
  const int workers =
      static_cast<int>(std::min<int64_t>(ResolveThreads(threads), num_chunks));
  std::atomic<int64_t> next{0};
  std::mutex mu;
  int64_t error_chunk = INT64_MAX;
  absl::Status error;
  auto work = [&] {
    for (;;) {
      const int64_t c = next.fetch_add(1, std::memory_order_relaxed);
      if (c >= num_chunks) return;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (c > error_chunk) return;  // a lower chunk already failed
      }
      absl::Status s = fn(c * chunk, std::min(n, (c + 1) * chunk));
      if (!s.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        if (c < error_chunk) {
          error_chunk = c;
          error = std::move(s);
        }
      }
    }
  };
  if (workers <= 1) {
    work();
  } else {
    std::vector<std::thread> pool;
    pool.reserve(workers - 1);
    for (int t = 1; t < workers; ++t) pool.emplace_back(work);
    work();
    for (std::thread& t : pool) t.join();
  }
  return error;
}

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_INTERNAL_PARALLEL_H_
