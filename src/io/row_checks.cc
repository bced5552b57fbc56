#include "io/row_checks.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "internal/parallel.h"

namespace invitegraph::internal {

namespace {

absl::Status Bad(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("snapshot: ", what));
}

// Below this many keys the checks run on the calling thread alone: starting
// threads would cost more than they save.
constexpr uint64_t kParallelKeys = uint64_t{1} << 22;

int ThreadsFor(uint64_t keys, int threads) {
  return keys < kParallelKeys ? 1 : ResolveThreads(threads);
}

// [begin, end) cut into `parts` ranges of about equal length.
uint64_t PartBegin(uint64_t begin, uint64_t end, int parts, int part) {
  return begin + (end - begin) * static_cast<uint64_t>(part) /
                     static_cast<uint64_t>(parts);
}

// The row-by-row check (CheckRows' exact pass): the first bad row by name.
absl::Status RowByRow(absl::string_view what, absl::Span<const uint64_t> off,
                      absl::Span<const uint32_t> keys, uint64_t bound) {
  for (size_t r = 0; r + 1 < off.size(); ++r) {
    for (uint64_t i = off[r]; i < off[r + 1]; ++i) {
      if (keys[i] >= bound) {
        return Bad(absl::StrCat(what, ": row ", r, " refers to ", keys[i],
                                ", out of range (", bound, ")"));
      }
      if (i > off[r] && keys[i] <= keys[i - 1]) {
        return Bad(absl::StrCat(what, ": row ", r, " is not sorted"));
      }
    }
  }
  return absl::OkStatus();
}

// The arc-by-arc check (CheckSymmetric's exact pass): a binary search for the
// reverse of every arc, in row order.
absl::Status ArcByArc(absl::Span<const uint64_t> off,
                      absl::Span<const uint32_t> targets) {
  const auto row = [&](uint32_t u) {
    return targets.subspan(off[u], off[u + 1] - off[u]);
  };
  for (uint32_t u = 0; u + 1 < off.size(); ++u) {
    for (uint32_t v : row(u)) {
      if (v == u) {
        return Bad(absl::StrCat("adjacency: node ", u, " links to itself"));
      }
      const auto back = row(v);
      if (!std::binary_search(back.begin(), back.end(), u)) {
        return Bad(absl::StrCat("adjacency: arc ", u, " -> ", v,
                                " has no reverse arc"));
      }
    }
  }
  return absl::OkStatus();
}

// Descents (i with keys[i] <= keys[i - 1]) in [begin, end), begin >= 1, and
// whether a key there is >= bound. One branch-free pass the compiler
// vectorises (32-bit counters, so in pieces of at most 2^31 keys).
struct KeyScan {
  uint64_t descents = 0;
  bool out_of_range = false;
};
KeyScan ScanKeys(const uint32_t* k, uint64_t begin, uint64_t end,
                 uint64_t bound) {
  // A bound above every uint32 is clamped for the vector compare; then no
  // key is out of range, whatever the compare flags.
  const bool clamp = bound > UINT32_MAX;
  const uint32_t b = clamp ? UINT32_MAX : static_cast<uint32_t>(bound);
  KeyScan s;
  uint32_t out = 0;
  for (uint64_t at = begin; at < end;) {
    const uint64_t stop = std::min(end, at + (uint64_t{1} << 31));
    uint32_t descents = 0;
    for (uint64_t i = at; i < stop; ++i) {
      descents += k[i] <= k[i - 1];
      out |= k[i] >= b;
    }
    s.descents += descents;
    at = stop;
  }
  s.out_of_range = out != 0 && !clamp;
  return s;
}

// The fast pass of CheckRows, for offsets that passed CheckRowOffsets. Keys
// increase strictly within every row exactly when every descent of the whole
// key array falls on the first key of a row; so count the descents (one
// vectorised pass over the keys) and those at row starts (one per row).
bool RowsValid(absl::Span<const uint64_t> off, absl::Span<const uint32_t> keys,
               uint64_t bound, int threads) {
  const uint64_t m = keys.size();
  if (m == 0) return true;
  if (keys[0] >= bound) return false;
  threads = ThreadsFor(m, threads);
  std::vector<KeyScan> scans(threads);
  (void)ParallelForRange(threads, threads, 1, [&](int64_t t, int64_t) {
    scans[t] = ScanKeys(keys.data(), PartBegin(1, m, threads, t),
                        PartBegin(1, m, threads, t + 1), bound);
    return absl::OkStatus();
  });
  uint64_t descents = 0;
  for (const KeyScan& s : scans) {
    if (s.out_of_range) return false;
    descents += s.descents;
  }
  // Distinct row starts inside (0, m): with non-decreasing offsets, those
  // where the offset rises.
  uint64_t at_starts = 0;
  for (size_t r = 1; r + 1 < off.size(); ++r) {
    const uint64_t s = off[r];
    if (s > off[r - 1] && s < m) at_starts += keys[s] <= keys[s - 1];
  }
  return descents == at_starts;
}

// The fast pass of CheckSymmetric, for rows that passed CheckRows. The arcs
// u -> v with u < v (in each sorted row, the keys after the first one above
// u) must be exactly the reverses of those with u > v. They are bucketed by v
// (2^shift rows a bucket, so a bucket's rows and cursors stay in cache), in
// the order of u, as (v - bucket start, u) packed into a Pair; then bucket by
// bucket the u's of row v's entries, in order, must be row v's first keys
// (one cursor per row). Each match is a key of row v below v, a different one
// each time (the cursor moves on); with as many arcs below the diagonal as
// above it, every key below the diagonal is matched, so nothing is left to
// check after.
template <typename Pair>
bool ArcsSymmetricAs(absl::Span<const uint64_t> off,
                     absl::Span<const uint32_t> targets, int threads, int shift,
                     int u_bits) {
  const uint32_t width = uint32_t{1} << shift;
  const uint32_t n = static_cast<uint32_t>(off.size() - 1);
  const uint64_t m = targets.size();
  const uint32_t num_buckets = (n >> shift) + 1;
  // Parts: source ranges of about m / threads arcs each.
  std::vector<uint32_t> part(threads + 1, n);
  for (int t = 0; t < threads; ++t) {
    part[t] =
        static_cast<uint32_t>(std::lower_bound(off.begin(), off.end() - 1,
                                               PartBegin(0, m, threads, t)) -
                              off.begin());
  }
  part[0] = 0;
  // Per row, where its keys above the diagonal start; per part and bucket,
  // how many arcs u -> v, u < v, it holds. A self-loop fails at once.
  std::vector<uint64_t> upper(n);
  std::vector<uint64_t> count(static_cast<size_t>(threads) * num_buckets, 0);
  std::atomic<bool> self_loop{false};
  (void)ParallelForRange(threads, threads, 1, [&](int64_t t, int64_t) {
    uint64_t* c = count.data() + t * num_buckets;
    bool loop = false;
    for (uint32_t u = part[t]; u < part[t + 1]; ++u) {
      const uint32_t* b = targets.data() + off[u];
      const uint32_t* e = targets.data() + off[u + 1];
      const uint32_t* s = std::upper_bound(b, e, u);
      loop |= s > b && s[-1] == u;
      upper[u] = static_cast<uint64_t>(s - targets.data());
      for (; s < e; ++s) ++c[*s >> shift];
    }
    if (loop) self_loop.store(true, std::memory_order_relaxed);
    return absl::OkStatus();
  });
  if (self_loop.load()) return false;
  // Where each part writes into each bucket: buckets in order, parts in order
  // within a bucket, so a bucket's entries are ordered by u.
  std::vector<uint64_t> bucket(num_buckets + 1, 0);
  std::vector<uint64_t> write(count.size());
  for (uint32_t b = 0; b < num_buckets; ++b) {
    uint64_t at = bucket[b];
    for (int t = 0; t < threads; ++t) {
      write[t * num_buckets + b] = at;
      at += count[t * num_buckets + b];
    }
    bucket[b + 1] = at;
  }
  const uint64_t total = bucket[num_buckets];
  // The arcs below the diagonal must be as many as those above it.
  if (2 * total != m) return false;
  std::unique_ptr<Pair[]> pairs(new Pair[total]);
  (void)ParallelForRange(threads, threads, 1, [&](int64_t t, int64_t) {
    uint64_t* w = write.data() + t * num_buckets;
    for (uint32_t u = part[t]; u < part[t + 1]; ++u) {
      for (uint64_t i = upper[u]; i < off[u + 1]; ++i) {
        const uint32_t v = targets[i];
        pairs[w[v >> shift]++] = Pair{v & (width - 1)} << u_bits | u;
      }
    }
    return absl::OkStatus();
  });
  const Pair u_mask = (Pair{1} << u_bits) - 1;
  std::atomic<bool> ok{true};
  (void)ParallelForRange(
      num_buckets, threads, 4, [&](int64_t b_begin, int64_t b_end) {
        std::vector<uint64_t> cursor(width);
        for (int64_t b = b_begin; b < b_end && ok.load(); ++b) {
          const uint32_t v0 = static_cast<uint32_t>(b) << shift;
          const uint32_t v1 = std::min(n, v0 + width);
          for (uint32_t v = v0; v < v1; ++v) cursor[v - v0] = off[v];
          bool good = true;
          for (uint64_t k = bucket[b]; k < bucket[b + 1]; ++k) {
            const uint32_t v = static_cast<uint32_t>(pairs[k] >> u_bits);
            const uint32_t u = static_cast<uint32_t>(pairs[k] & u_mask);
            const uint64_t c = cursor[v]++;
            good &= c < off[v0 + v + 1] && targets[c] == u;
          }
          if (!good) ok.store(false);
        }
        return absl::OkStatus();
      });
  return ok.load();
}

bool ArcsSymmetric(absl::Span<const uint64_t> off,
                   absl::Span<const uint32_t> targets, int threads) {
  if (targets.empty()) return true;
  // 4 096 rows a bucket; a pair fits 4 bytes while a node id takes at most
  // 20 bits (a million users), else 8.
  constexpr int kShift = 12;
  const uint64_t n = off.size() - 1;
  int u_bits = 1;
  while ((uint64_t{1} << u_bits) < n) ++u_bits;
  threads = ThreadsFor(targets.size(), threads);
  if (u_bits + kShift <= 32) {
    return ArcsSymmetricAs<uint32_t>(off, targets, threads, kShift, u_bits);
  }
  return ArcsSymmetricAs<uint64_t>(off, targets, threads, kShift, 32);
}

}  // namespace

absl::Status CheckRowOffsets(absl::string_view what,
                             absl::Span<const uint64_t> off,
                             uint64_t num_keys) {
  if (off.empty() || off.front() != 0 || off.back() != num_keys) {
    return Bad(absl::StrCat(what, ": row offsets do not span the ", num_keys,
                            " entries"));
  }
  for (size_t r = 0; r + 1 < off.size(); ++r) {
    if (off[r + 1] < off[r]) {
      return Bad(absl::StrCat(what, ": row ", r, " ends before it starts"));
    }
    if (off[r + 1] > num_keys) {
      return Bad(absl::StrCat(what, ": row ", r, " ends at ", off[r + 1],
                              ", past the ", num_keys, " entries"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckRows(absl::string_view what, absl::Span<const uint64_t> off,
                       absl::Span<const uint32_t> keys, uint64_t bound,
                       int threads) {
  if (absl::Status s = CheckRowOffsets(what, off, keys.size()); !s.ok()) {
    return s;
  }
  if (RowsValid(off, keys, bound, threads)) return absl::OkStatus();
  if (absl::Status s = RowByRow(what, off, keys, bound); !s.ok()) return s;
  return absl::InternalError(
      absl::StrCat(what, ": the fast and the row-by-row row checks disagree"));
}

absl::Status CheckSymmetric(absl::Span<const uint64_t> off,
                            absl::Span<const uint32_t> targets, int threads) {
  if (ArcsSymmetric(off, targets, threads)) return absl::OkStatus();
  if (absl::Status s = ArcByArc(off, targets); !s.ok()) return s;
  return absl::InternalError(
      "adjacency: the fast and the arc-by-arc symmetry checks disagree");
}

}  // namespace invitegraph::internal
