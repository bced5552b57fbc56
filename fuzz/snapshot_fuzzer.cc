// libFuzzer target: SocialGraph::FromBytes on arbitrary bytes.
//
// Each input is tried twice: as it is (the container's checks: magic, sizes,
// checksums) and "resealed", with every checksum recomputed over the mutated
// bytes, so that mutations reach the graph validation behind the checksums
// (graph_snapshot.cc) instead of dying at the first hash. A snapshot that
// loads must also be safe to use: every accessor on every node, a round trip
// through ToBytes, a Recommender on a few inviters, and with kept events
// (events_snapshot.cc) a training set and abuse detection rebuilt from them;
// and the same bytes as a mapped file (LoadOptions::mmap), with and without
// verify, load and serve the same graph.
//
//   build-fuzz/fuzz/snapshot_fuzzer -max_total_time=600 corpus/
//   fuzz/corpus/snapshot
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "invitegraph/abuse.h"
#include "invitegraph/recommender.h"
#include "invitegraph/social_graph.h"
#include "invitegraph/training.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace invitegraph {
namespace {

template <typename T>
T LoadAt(const std::string& s, size_t at) {
  T v;
  std::memcpy(&v, s.data() + at, sizeof(T));
  return v;
}
template <typename T>
void StoreAt(std::string& s, size_t at, T v) {
  std::memcpy(s.data() + at, &v, sizeof(T));
}

// A payload's checksum in format `version` (src/io/snapshot_file.h): 1, the
// XXH3-64 of the payload; 2, the XXH3-64 of the XXH3-64s of its 1 MiB blocks.
uint64_t PayloadChecksum(const char* p, uint64_t size, uint32_t version) {
  if (version == 1) return XXH3_64bits(p, size);
  constexpr uint64_t kBlock = uint64_t{1} << 20;
  std::vector<uint64_t> blocks;
  for (uint64_t at = 0; at < size; at += kBlock) {
    blocks.push_back(XXH3_64bits(p + at, std::min(kBlock, size - at)));
  }
  return XXH3_64bits(blocks.data(), blocks.size() * sizeof(uint64_t));
}

// Recomputes the header, section-table and payload checksums (layout in
// src/io/snapshot_file.h) wherever the bytes are there to hash, in the
// format version the header names.
void Reseal(std::string& s) {
  constexpr size_t kHeader = 56, kEntry = 32;
  if (s.size() < kHeader) return;
  StoreAt<uint64_t>(s, 48, XXH3_64bits(s.data(), 48));
  const uint32_t version = LoadAt<uint32_t>(s, 8);
  const uint64_t num = LoadAt<uint64_t>(s, 40);
  if (s.size() < kHeader + 8 || num > (s.size() - kHeader - 8) / kEntry) return;
  for (uint64_t i = 0; i < num; ++i) {
    const size_t e = kHeader + i * kEntry;
    const uint64_t offset = LoadAt<uint64_t>(s, e + 8);
    const uint64_t size = LoadAt<uint64_t>(s, e + 16);
    if (offset <= s.size() && size <= s.size() - offset) {
      StoreAt<uint64_t>(s, e + 24,
                        PayloadChecksum(s.data() + offset, size, version));
    }
  }
  const size_t table_end = kHeader + num * kEntry;
  StoreAt<uint64_t>(s, table_end,
                    XXH3_64bits(s.data() + kHeader, num * kEntry));
}

void Exercise(const SocialGraph& g) {
  const int64_t n = g.num_nodes();
  FUZZ_CHECK(n >= 0 && g.num_arcs() >= 0);
  FUZZ_CHECK(static_cast<int64_t>(g.user_ids().size()) == n);
  for (NodeId u = 0; u < n; ++u) {
    FUZZ_CHECK(g.FindNode(g.user_id(u)) == u);
    const auto row = g.neighbors(u);
    FUZZ_CHECK(static_cast<int64_t>(row.size()) == g.degree(u));
    for (size_t i = 0; i < row.size(); ++i) {
      FUZZ_CHECK(row[i] < n);
      const ArcInfo a = g.arc(u, static_cast<int64_t>(i));
      FUZZ_CHECK(a.target == row[i]);
      const auto found = g.FindArc(u, row[i]);
      FUZZ_CHECK(found && found->target == row[i]);
      (void)g.FindArc(row[i], u);
      (void)g.ShoppingSimilarity(u, row[i]);
    }
    (void)g.FindArc(u, u);
    const UserProfile p = g.profile(u);
    FUZZ_CHECK(p.user == g.user_id(u));
    for (const auto& [cat, w] : p.category_affinity) {
      (void)g.CategoryAffinity(u, cat);
      (void)w;
    }
    (void)g.CategoryAffinity(u, kNoCategory);
    (void)g.community(u);
  }
  for (ItemId item : {ItemId{-1}, ItemId{0}, ItemId{1}, ItemId{42}}) {
    (void)g.item_category(item);
    for (NodeId b : g.item_buyers(item)) {
      FUZZ_CHECK(b < n);
      (void)g.ItemAffinity(b, item);
    }
  }
  (void)g.stats();

  // A loaded graph writes itself back out and loads again.
  auto bytes = g.ToBytes();
  FUZZ_CHECK(bytes.ok());
  auto again = SocialGraph::FromBytes(*bytes);
  FUZZ_CHECK(again.ok() && again->num_arcs() == g.num_arcs());

  if (g.has_events() && n > 0) {
    // Rebuilds from the kept events: exact as of the graph's time, and one
    // fold (the graph without the record's campaigns); errors are fine.
    const std::vector<UserId> inviter = {g.user_id(0)};
    const std::vector<ItemId> item = {1};
    const std::vector<int64_t> offsets = {0, 0};
    const std::vector<Timestamp> ts = {g.as_of()};
    const CampaignBatch timed{
        .inviter = inviter, .item = item, .joined_offsets = offsets, .ts = ts};
    (void)BuildTrainingSet(g, timed, {.as_of_step_days = 0, .num_threads = 1});
    CampaignBatch untimed = timed;
    untimed.ts = {};
    (void)BuildTrainingSet(g, untimed, {.folds = 2, .num_threads = 1});
    (void)DetectAbuse(g, {.num_threads = 1});
  }

  auto rec = Recommender::Create(g);
  if (!rec.ok()) return;
  for (NodeId u = 0; u < n && u < 3; ++u) {
    for (ItemId item : {ItemId{-1}, ItemId{1}}) {
      auto s = rec->Recommend(g.user_id(u), {.item = item}, 10);
      FUZZ_CHECK(s.ok());
      FUZZ_CHECK(s->size() <= 10);
      for (const Suggestion& x : *s) FUZZ_CHECK(x.candidate != g.user_id(u));
    }
  }
}

}  // namespace
}  // namespace invitegraph

namespace invitegraph {
namespace {

// Bytes that loaded, as a file mapped with and without verify
// (LoadOptions::mmap): both must load (they hold nothing a read refuses) and
// serve the same graph safely.
void ExerciseMapped(std::string_view bytes, const SocialGraph& read) {
  static const std::string path =
      "/tmp/invitegraph_snapshot_fuzzer_" + std::to_string(::getpid());
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    FUZZ_CHECK(out.good());
  }
  for (const bool verify : {false, true}) {
    auto g = SocialGraph::Load(path, {.mmap = true, .verify = verify});
    FUZZ_CHECK(g.ok() && g->mapped() && g->num_arcs() == read.num_arcs());
    Exercise(*g);
  }
  std::remove(path.c_str());
}

void TryBytes(std::string_view bytes) {
  if (auto g = SocialGraph::FromBytes(bytes); g.ok()) {
    Exercise(*g);
    ExerciseMapped(bytes, *g);
  }
}

}  // namespace
}  // namespace invitegraph

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  invitegraph::TryBytes(raw);
  std::string sealed(raw);
  invitegraph::Reseal(sealed);
  if (sealed != raw) invitegraph::TryBytes(sealed);
  return 0;
}
