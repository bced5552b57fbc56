// File: progress.h
// Progress reporting for long calls (graph build, batch recommendation,
// synthetic data).
//
//   options.progress = [](int64_t done, int64_t total) { std::cerr << done <<
//   "/" << total; };
//
// The callback may be invoked from worker threads, but never concurrently with
// itself, with `done` non-decreasing and a final call where done == total. It
// is throttled to about a hundred calls per run. An empty function disables
// reporting.
#ifndef INVITEGRAPH_PROGRESS_H_
#define INVITEGRAPH_PROGRESS_H_

#include <cstdint>
#include <functional>

namespace invitegraph {

using ProgressFn = std::function<void(int64_t done, int64_t total)>;

}  // namespace invitegraph

#endif  // INVITEGRAPH_PROGRESS_H_
