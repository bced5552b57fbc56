// SocialGraph::Load with LoadOptions::mmap: the arcs are served from a
// mapping of the file, the graph answers exactly as a read one does, it
// outlives the file being replaced or removed, everything built from it owns
// its arcs, and the load checks what docs/snapshots.md says it checks.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "invitegraph/graph_builder.h"
#include "invitegraph/recommender.h"
#include "invitegraph/social_graph.h"
#include "testing/fixtures.h"
#include "testing/snapshot_bytes.h"

namespace invitegraph {
namespace {

using testing::ReadAll;
using testing::WriteAll;

using testing::CheckError;
using testing::RequireOk;
using testing::TempDir;
using testing::Unwrap;

constexpr LoadOptions kMapped{.mmap = true};
constexpr LoadOptions kMappedVerified{.mmap = true, .verify = true};

// The file behind the mapping that holds `p`, from /proc/self/maps ("" when
// `p` is not in a file mapping: heap memory, say). A file deleted since shows
// as "<path> (deleted)".
std::string MappedFileOf(const void* p) {
  std::ifstream maps("/proc/self/maps");
  const auto at = reinterpret_cast<unsigned long long>(p);
  std::string line;
  while (std::getline(maps, line)) {
    unsigned long long lo = 0, hi = 0;
    if (std::sscanf(line.c_str(), "%llx-%llx", &lo, &hi) != 2) continue;
    if (at < lo || at >= hi) continue;
    const size_t slash = line.find('/');
    return slash == std::string::npos ? "" : line.substr(slash);
  }
  return "";
}

SocialGraph Graph(uint64_t seed) {
  return Unwrap(
      testing::BuildGraph(testing::MakeRandomEvents({.num_users = 60,
                                                     .num_friendships = 150,
                                                     .num_interactions = 400,
                                                     .num_purchases = 200,
                                                     .seed = seed})));
}

// Every answer of `a` and `b` is the same: users, arcs and profiles, the
// item index, communities, centrality, and Recommend for every user.
void CheckAnswersAlike(const SocialGraph& a, const SocialGraph& b) {
  testing::CheckSameGraph(a, b);
  CHECK(std::vector<uint32_t>(a.communities().begin(), a.communities().end()) ==
        std::vector<uint32_t>(b.communities().begin(), b.communities().end()));
  CHECK(std::vector<float>(a.pageranks().begin(), a.pageranks().end()) ==
        std::vector<float>(b.pageranks().begin(), b.pageranks().end()));
  for (ItemId item = 0; item < 12; ++item) {
    const auto x = a.item_buyers(item), y = b.item_buyers(item);
    CHECK(std::vector<NodeId>(x.begin(), x.end()) ==
          std::vector<NodeId>(y.begin(), y.end()));
  }
  const Recommender ra = Unwrap(Recommender::Create(a));
  const Recommender rb = Unwrap(Recommender::Create(b));
  int suggestions = 0;
  for (NodeId u = 0; u < a.num_nodes(); ++u) {
    for (ItemId item : {ItemId{3}, ItemId{7}}) {
      const auto x = Unwrap(ra.Recommend(a.user_id(u), {.item = item}, 5));
      const auto y = Unwrap(rb.Recommend(b.user_id(u), {.item = item}, 5));
      REQUIRE(x.size() == y.size());
      for (size_t i = 0; i < x.size(); ++i) {
        CHECK(x[i].candidate == y[i].candidate);
        CHECK(x[i].score == y[i].score);
        CHECK(x[i].reasons == y[i].reasons);
      }
      suggestions += static_cast<int>(x.size());
    }
  }
  CHECK(suggestions > 0);
}

TEST_CASE(
    "A mapped graph serves its arcs from the file and answers as a read "
    "one",
    "[snapshot]") {
  TempDir dir("mapped");
  const std::string path = dir.File("g.igsnap");
  const SocialGraph built = Graph(3);
  Unwrap(built.Save(path));
  const SocialGraph read = Unwrap(SocialGraph::Load(path));
  for (const LoadOptions& options : {kMapped, kMappedVerified}) {
    INFO("verify " << options.verify);
    const SocialGraph mapped = Unwrap(SocialGraph::Load(path, options));
    CHECK(mapped.mapped());
    // The row offsets, neighbour ids and arc records are the file's pages.
    CHECK(MappedFileOf(mapped.arc_targets().data()) == path);
    CHECK(MappedFileOf(mapped.row_offsets().data()) == path);
    CheckAnswersAlike(read, mapped);
    // A snapshot of it (what pickling and Save write) is the file itself.
    CHECK(Unwrap(mapped.ToBytes()) == ReadAll(path));
  }
  CHECK_FALSE(built.mapped());
  CHECK_FALSE(read.mapped());
  CHECK(MappedFileOf(read.arc_targets().data()).empty());
}

TEST_CASE("A mapped graph outlives its file being replaced or removed",
          "[snapshot]") {
  TempDir dir("mapped");
  const std::string path = dir.File("g.igsnap");
  const SocialGraph first = Graph(3), second = Graph(4);
  Unwrap(first.Save(path));
  const SocialGraph mapped = Unwrap(SocialGraph::Load(path, kMapped));
  // Save renames a new file over the path: the mapping keeps the old one.
  Unwrap(second.Save(path));
  testing::CheckSameGraph(Unwrap(SocialGraph::Load(path)), second);
  CheckAnswersAlike(mapped, first);
  std::filesystem::remove(path);
  CHECK(MappedFileOf(mapped.arc_targets().data()) == path + " (deleted)");
  CheckAnswersAlike(mapped, first);
  // Saved again, it loads back whole.
  const std::string again = dir.File("again.igsnap");
  Unwrap(mapped.Save(again));
  CheckAnswersAlike(Unwrap(SocialGraph::Load(again)), first);
  // A recommender swapped onto it, and a copy kept after the graph goes.
  const Recommender rec = Unwrap(Recommender::Create(second));
  {
    const SocialGraph swapped = Unwrap(SocialGraph::Load(again, kMapped));
    RequireOk(rec.SwapGraph(swapped));
  }
  const Recommender reference = Unwrap(Recommender::Create(first));
  for (NodeId u = 0; u < first.num_nodes(); ++u) {
    const UserId user = first.user_id(u);
    const auto x = Unwrap(rec.Recommend(user, {.item = 3}, 5));
    const auto y = Unwrap(reference.Recommend(user, {.item = 3}, 5));
    REQUIRE(x.size() == y.size());
    for (size_t i = 0; i < x.size(); ++i) {
      CHECK(x[i].candidate == y[i].candidate);
    }
  }
}

TEST_CASE("Graphs made from a mapped graph own their arcs", "[snapshot]") {
  TempDir dir("mapped");
  const std::string path = dir.File("g.igsnap");
  Unwrap(Graph(3).Save(path));
  const SocialGraph read = Unwrap(SocialGraph::Load(path));
  const SocialGraph mapped = Unwrap(SocialGraph::Load(path, kMapped));
  // Update folds new events into a new graph, built in memory.
  const auto update = [](const SocialGraph& g) {
    GraphBuilder more(g.config());
    const std::vector<UserId> src = {g.user_id(0), g.user_id(5)};
    const std::vector<UserId> dst = {g.user_id(9), 999999};
    RequireOk(more.AddFriendships({.src = src, .dst = dst}));
    return Unwrap(g.Update(more, {.as_of = g.as_of() + 3600}));
  };
  const SocialGraph updated = update(mapped);
  CHECK_FALSE(updated.mapped());
  testing::CheckSameGraph(updated, update(read));
  // Forget writes a new graph without the users, in memory too.
  const std::vector<UserId> gone = {read.user_id(1), read.user_id(2)};
  const SocialGraph forgotten = Unwrap(mapped.Forget(gone));
  CHECK_FALSE(forgotten.mapped());
  CHECK(MappedFileOf(forgotten.arc_targets().data()).empty());
  testing::CheckSameGraph(forgotten, Unwrap(read.Forget(gone)));
  std::filesystem::remove(path);
  CHECK(updated.num_arcs() > read.num_arcs());
  CHECK(forgotten.num_nodes() == read.num_nodes() - 2);
}

TEST_CASE("A mapped load checks all but the arcs, or everything with verify",
          "[snapshot]") {
  TempDir dir("mapped");
  const std::string path = dir.File("g.igsnap");
  const std::string bytes = Unwrap(Graph(3).ToBytes());
  const auto flipped = [&](std::string_view tag) {
    const auto [offset, size] = testing::SectionRange(bytes, tag);
    REQUIRE(size > 0);
    std::string bad = bytes;
    bad[offset + size / 2] ^= 0x01;
    return bad;
  };
  // Damage to anything but the neighbour ids and arc records is refused
  // without verify: per-user columns, row offsets, ids, the head.
  for (const std::string_view tag : {"JRAT", "OFFS", "USER", "UIK_", "META"}) {
    INFO(tag);
    WriteAll(path, flipped(tag));
    CheckError(
        SocialGraph::Load(path, kMapped).status(), absl::StatusCode::kDataLoss,
        {absl::StrCat("section ", std::string(tag), ": checksum mismatch"),
         path});
  }
  WriteAll(path, bytes.substr(0, bytes.size() - 5));
  CheckError(SocialGraph::Load(path, kMapped).status(),
             absl::StatusCode::kDataLoss, {"truncated", path});
  // Row offsets are checked, O(users), even resealed behind valid checksums:
  // every row lies inside the arcs.
  WriteAll(path, testing::Tampered<uint64_t>(bytes, "OFFS", [](auto& off) {
             off[1] = off.back() + 1000;
           }));
  CheckError(SocialGraph::Load(path, kMapped).status(),
             absl::StatusCode::kDataLoss,
             {"adjacency: row 0 ends at", "past the"});
  // The neighbour ids and arc records are trusted without verify (the
  // trade-off docs/snapshots.md states): damage there loads. With verify it
  // is refused as a read refuses it.
  for (const std::string_view tag : {"TGTS", "ARCS"}) {
    INFO(tag);
    WriteAll(path, flipped(tag));
    CHECK(SocialGraph::Load(path, kMapped).ok());
    CheckError(
        SocialGraph::Load(path, kMappedVerified).status(),
        absl::StatusCode::kDataLoss,
        {absl::StrCat("section ", std::string(tag), ": checksum mismatch"),
         path});
  }
  // Options are checked first.
  CheckError(
      SocialGraph::Load(path, {.mmap = true, .num_threads = -1}).status(),
      absl::StatusCode::kInvalidArgument, {"LoadOptions.num_threads=-1"});
}

TEST_CASE("A verified mapped load refuses what a read refuses, in its words",
          "[snapshot]") {
  TempDir dir("mapped");
  const std::string path = dir.File("g.igsnap");
  const std::string bytes = Unwrap(Graph(5).ToBytes());
  int refused = 0;
  // Every third byte, one bit each, and a few truncations.
  std::vector<std::string> damaged;
  for (size_t i = 0; i < bytes.size(); i += 3) {
    std::string bad = bytes;
    bad[i] = static_cast<char>(bad[i] ^ (1 << (i % 8)));
    damaged.push_back(std::move(bad));
  }
  for (size_t len : {size_t{0}, size_t{40}, size_t{100}, bytes.size() / 2,
                     bytes.size() - 1}) {
    damaged.push_back(bytes.substr(0, len));
  }
  for (const std::string& bad : damaged) {
    WriteAll(path, bad);
    const absl::Status read = SocialGraph::Load(path).status();
    const absl::Status mapped =
        SocialGraph::Load(path, kMappedVerified).status();
    REQUIRE(read == mapped);
    refused += !read.ok();
  }
  CHECK(refused == static_cast<int>(damaged.size()));
}

}  // namespace
}  // namespace invitegraph
