// libFuzzer target: a recipient state journal ("journal:DIR") opened from an
// arbitrary log file.
//
// Each input is the first log of a fresh directory, tried twice: as it is,
// and "resealed" (every record's checksum recomputed over the mutated
// payload, so mutations reach the event parser and the replay behind the
// checksums). Opening must either succeed or refuse a foreign file with
// kDataLoss; never crash. An opened journal must have cut its log back to
// the records it kept, serve a request, take a reservation, and reopen to
// exactly the state it was closed with, dropping nothing the second time.
//
//   build-fuzz/fuzz/journal_fuzzer -max_total_time=600 corpus/
//   fuzz/corpus/journal
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "fuzz_check.h"
#include "invitegraph/graph_builder.h"
#include "invitegraph/recommender.h"
#include "invitegraph/social_graph.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace invitegraph {
namespace {

namespace fs = std::filesystem;

constexpr Timestamp kNow = 1'700'000'000 + 30 * 86'400;

// A small graph whose ids the seeds use: 1..40 in a ring with chords.
const SocialGraph& Graph() {
  static const SocialGraph* g = [] {
    GraphBuilder b;
    std::vector<UserId> src, dst;
    for (UserId u = 1; u <= 40; ++u) {
      src.push_back(u);
      dst.push_back(u % 40 + 1);
      src.push_back(u);
      dst.push_back((u + 6) % 40 + 1);
    }
    FUZZ_CHECK(b.AddFriendships({.src = src, .dst = dst}).ok());
    BuildOptions options;
    options.as_of = kNow - 10 * 86'400;
    absl::StatusOr<SocialGraph> built = b.Build(options);
    FUZZ_CHECK(built.ok());
    return new SocialGraph(*std::move(built));
  }();
  return *g;
}

const std::string& Dir() {
  static const std::string* dir = [] {
    const fs::path p =
        fs::temp_directory_path() /
        ("invitegraph_journal_fuzz_" + std::to_string(::getpid()));
    return new std::string(p.string());
  }();
  return *dir;
}

RecommenderConfig Config() {
  RecommenderConfig config;
  config.policy.max_invites_per_recipient = {
      {.window_seconds = 86'400, .max = 2}};
  config.time_limits.now = kNow;
  config.state = "journal:" + Dir();
  return config;
}

std::string Reseal(std::string s) {
  size_t at = 16;
  while (at + 12 <= s.size()) {
    uint32_t n;
    std::memcpy(&n, s.data() + at, 4);
    if (n > s.size() - at - 12) break;
    const uint64_t sum = XXH3_64bits(s.data() + at + 12, n);
    std::memcpy(s.data() + at + 4, &sum, 8);
    at += 12 + n;
  }
  return s;
}

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void TryLog(const std::string& bytes) {
  fs::remove_all(Dir());
  fs::create_directories(Dir());
  const std::string log = Dir() + "/journal-0000000000000001.log";
  {
    std::ofstream out(log, std::ios::binary);
    out << bytes;
  }
  std::string state;
  {
    absl::StatusOr<Recommender> rec = Recommender::Create(Graph(), Config());
    if (!rec.ok()) {
      FUZZ_CHECK(rec.status().code() == absl::StatusCode::kDataLoss);
      return;
    }
    const StateStoreInfo info = rec->StateInfo();
    FUZZ_CHECK(info.dropped_bytes >= 0 &&
               info.dropped_bytes <= static_cast<int64_t>(bytes.size()));
    FUZZ_CHECK((info.dropped_bytes > 0) == (info.dropped_records > 0));
    // The log now holds exactly what was kept (a new head if it was torn).
    const std::string kept = Read(log);
    if (bytes.size() >= 16) {
      FUZZ_CHECK(kept.size() == bytes.size() - info.dropped_bytes);
      FUZZ_CHECK(bytes.compare(0, kept.size(), kept) == 0);
    } else {
      FUZZ_CHECK(kept.size() == 16);
    }
    FUZZ_CHECK(rec->Recommend(1, Campaign{.item = 1}, 5).ok());
    (void)rec->FeedbackFor(2);
    FUZZ_CHECK(
        rec->ReserveInvites(1, std::vector<UserId>{3, 3, 3}, 1, kNow).ok());
    absl::StatusOr<std::string> s = rec->StateToBytes();
    FUZZ_CHECK(s.ok());
    state = *s;
  }
  absl::StatusOr<Recommender> again = Recommender::Create(Graph(), Config());
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->StateInfo().dropped_bytes == 0);
  absl::StatusOr<std::string> s = again->StateToBytes();
  FUZZ_CHECK(s.ok() && *s == state);
}

}  // namespace
}  // namespace invitegraph

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  invitegraph::TryLog(bytes);
  invitegraph::TryLog(invitegraph::Reseal(bytes));
  return 0;
}
