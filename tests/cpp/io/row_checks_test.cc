// The fast row checks a snapshot load runs (io/row_checks.h) against
// oracles: the row-by-row and arc-by-arc loops loads ran before, on rows
// damaged in every way the fast passes must catch, and at every thread count.
#include "io/row_checks.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace invitegraph::internal {
namespace {

struct Rows {
  std::vector<uint64_t> off;
  std::vector<uint32_t> keys;
};

// A random symmetric graph without self-loops: sorted rows, each edge both
// ways.
Rows RandomGraph(uint32_t n, uint64_t edges, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<uint32_t> node(0, n - 1);
  std::vector<std::pair<uint32_t, uint32_t>> arcs;
  for (uint64_t e = 0; e < edges; ++e) {
    const uint32_t a = node(rng), b = node(rng);
    if (a == b) continue;
    arcs.emplace_back(a, b);
    arcs.emplace_back(b, a);
  }
  std::sort(arcs.begin(), arcs.end());
  arcs.erase(std::unique(arcs.begin(), arcs.end()), arcs.end());
  Rows r;
  r.off.assign(n + 1, 0);
  for (const auto& [a, b] : arcs) {
    ++r.off[a + 1];
    r.keys.push_back(b);
  }
  for (uint32_t u = 0; u < n; ++u) r.off[u + 1] += r.off[u];
  return r;
}

// The checks as loads made them before the fast passes: the oracle for
// both the outcome and the message.
absl::Status OracleRows(absl::string_view what, const Rows& r, uint64_t bound) {
  const auto& off = r.off;
  const auto& keys = r.keys;
  if (off.empty() || off.front() != 0 || off.back() != keys.size()) {
    return absl::DataLossError(absl::StrCat("snapshot: ", what,
                                            ": row offsets do not span the ",
                                            keys.size(), " entries"));
  }
  for (size_t row = 0; row + 1 < off.size(); ++row) {
    if (off[row + 1] < off[row]) {
      return absl::DataLossError(absl::StrCat("snapshot: ", what, ": row ", row,
                                              " ends before it starts"));
    }
    if (off[row + 1] > keys.size()) {
      return absl::DataLossError(
          absl::StrCat("snapshot: ", what, ": row ", row, " ends at ",
                       off[row + 1], ", past the ", keys.size(), " entries"));
    }
  }
  for (size_t row = 0; row + 1 < off.size(); ++row) {
    for (uint64_t i = off[row]; i < off[row + 1]; ++i) {
      if (keys[i] >= bound) {
        return absl::DataLossError(
            absl::StrCat("snapshot: ", what, ": row ", row, " refers to ",
                         keys[i], ", out of range (", bound, ")"));
      }
      if (i > off[row] && keys[i] <= keys[i - 1]) {
        return absl::DataLossError(
            absl::StrCat("snapshot: ", what, ": row ", row, " is not sorted"));
      }
    }
  }
  return absl::OkStatus();
}

// For rows that passed OracleRows: the first arc, by source then target,
// that is a self-loop or lacks its reverse.
absl::Status OracleSymmetric(const Rows& r) {
  std::vector<std::pair<uint32_t, uint32_t>> arcs;
  for (uint32_t u = 0; u + 1 < r.off.size(); ++u) {
    for (uint64_t i = r.off[u]; i < r.off[u + 1]; ++i) {
      arcs.emplace_back(u, r.keys[i]);
    }
  }
  std::sort(arcs.begin(), arcs.end());
  for (const auto& [u, v] : arcs) {
    if (u == v) {
      return absl::DataLossError(
          absl::StrCat("snapshot: adjacency: node ", u, " links to itself"));
    }
    if (!std::binary_search(arcs.begin(), arcs.end(), std::pair(v, u))) {
      return absl::DataLossError(absl::StrCat(
          "snapshot: adjacency: arc ", u, " -> ", v, " has no reverse arc"));
    }
  }
  return absl::OkStatus();
}

// Every check, on one thread and on several: the same outcome and message
// as the oracles. Returns the oracles' verdict.
absl::Status CheckAgainstOracles(const Rows& r) {
  const uint64_t n = r.off.size() - 1;
  const absl::Status rows = OracleRows("adjacency", r, n);
  const absl::Status symmetric =
      rows.ok() ? OracleSymmetric(r) : absl::OkStatus();
  for (int threads : {1, 2, 3}) {
    INFO("threads " << threads);
    const absl::Status got = CheckRows("adjacency", r.off, r.keys, n, threads);
    CHECK(got == rows);
    if (!rows.ok()) continue;
    CHECK(CheckSymmetric(r.off, r.keys, threads) == symmetric);
  }
  return rows.ok() ? symmetric : rows;
}

// One of the ways rows can be damaged, applied at random.
void Damage(Rows& r, std::mt19937_64& rng) {
  const uint32_t n = static_cast<uint32_t>(r.off.size() - 1);
  std::uniform_int_distribution<uint64_t> any_key(0, r.keys.size() - 1);
  std::uniform_int_distribution<uint32_t> any_row(0, n - 1);
  const uint64_t i = any_key(rng);
  switch (rng() % 8) {
    case 0:  // a key out of range
      r.keys[i] = n + static_cast<uint32_t>(rng() % 3);
      break;
    case 1:  // two keys out of order
      if (i + 1 < r.keys.size()) std::swap(r.keys[i], r.keys[i + 1]);
      break;
    case 2:  // a duplicate key
      if (i > 0) r.keys[i] = r.keys[i - 1];
      break;
    case 3: {  // a self-loop, kept sorted when it fits
      const uint32_t u = any_row(rng);
      if (r.off[u + 1] > r.off[u]) r.keys[r.off[u]] = u;
      break;
    }
    case 4: {  // a target moved within its sorted gap: two arcs lose reverses
      const uint32_t lo = i > 0 ? r.keys[i - 1] + 1 : 0;
      const uint32_t hi = i + 1 < r.keys.size() ? r.keys[i + 1] : n;
      if (lo < hi) r.keys[i] = lo + static_cast<uint32_t>(rng() % (hi - lo));
      break;
    }
    case 5: {  // an offset moved
      const uint32_t row = 1 + any_row(rng) % std::max<uint32_t>(1, n - 1);
      r.off[row] = rng() % (r.keys.size() + 3);
      break;
    }
    case 6: {  // a row emptied into its neighbour: arcs lose their reverses
      const uint32_t row = 1 + any_row(rng) % std::max<uint32_t>(1, n - 1);
      r.off[row] = r.off[row - 1];
      break;
    }
    default:  // the last offset off by one
      r.off.back() += rng() % 2 ? 1 : -1;
      break;
  }
}

TEST_CASE("Fast row checks agree with the row-by-row oracles", "[snapshot]") {
  std::mt19937_64 rng(7);
  int refused = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    Rows r =
        RandomGraph(2 + static_cast<uint32_t>(rng() % 60), rng() % 200, rng());
    if (r.keys.empty()) continue;
    const int damages = trial % 4 == 0 ? 0 : 1 + static_cast<int>(rng() % 2);
    for (int d = 0; d < damages; ++d) Damage(r, rng);
    INFO("trial " << trial);
    refused += !CheckAgainstOracles(r).ok();
  }
  // Both outcomes were exercised, many times.
  CHECK(refused > 1000);
  CHECK(refused < 2900);
}

// Past 2^20 users an arc no longer packs into 4 bytes for the symmetry
// check; the 8-byte path gives the same answers.
TEST_CASE("Fast row checks agree with the oracles past a million users",
          "[snapshot]") {
  std::mt19937_64 rng(17);
  const Rows good = RandomGraph((1u << 20) + 4321, 30000, 5);
  CHECK(CheckAgainstOracles(good).ok());
  int refused = 0;
  for (int trial = 0; trial < 8; ++trial) {
    Rows bad = good;
    Damage(bad, rng);
    INFO("trial " << trial);
    refused += !CheckAgainstOracles(bad).ok();
  }
  CHECK(refused >= 4);
  // Sorted rows in range, one arc moved: only the symmetry check refuses.
  Rows moved = good;
  uint64_t i = moved.keys.size() / 3;
  while (moved.keys[i] + 1 >= moved.keys[i + 1]) ++i;
  moved.keys[i] += 1;
  CHECK_THAT(std::string(CheckAgainstOracles(moved).message()),
             Catch::Contains("has no reverse arc"));
}

// Above the size where the passes split over threads (4 M keys): every
// thread count gives the same outcome and names the same arc.
TEST_CASE("Fast row checks give one answer at every thread count",
          "[snapshot]") {
  const Rows good = RandomGraph(300000, 2200000, 11);
  REQUIRE(good.keys.size() > (uint64_t{1} << 22));
  CHECK(CheckAgainstOracles(good).ok());
  std::mt19937_64 rng(3);
  for (int trial = 0; trial < 2; ++trial) {
    Rows bad = good;
    // A target moved within its sorted gap, far from the start, so that the
    // damage lands in the second thread's part.
    uint64_t i = good.keys.size() / 2 + rng() % (good.keys.size() / 2);
    while (i + 1 < bad.keys.size() && bad.keys[i] + 1 >= bad.keys[i + 1]) ++i;
    bad.keys[i] += 1;
    INFO("trial " << trial << " at " << i);
    CHECK_THAT(std::string(CheckAgainstOracles(bad).message()),
               Catch::Contains("has no reverse arc"));
  }
}

}  // namespace
}  // namespace invitegraph::internal
