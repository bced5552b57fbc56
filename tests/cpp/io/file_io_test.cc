// Saving and loading files: temporary files of killed saves are cleaned up
// without touching a live writer's, and only regular files are read (every
// artifact: graph snapshots, state snapshots, rankers).
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "invitegraph/fit.h"
#include "invitegraph/recommender.h"
#include "invitegraph/social_graph.h"
#include "testing/fixtures.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace invitegraph {
namespace {

using testing::ReadAll;
using testing::WriteAll;

namespace fs = std::filesystem;
using testing::CheckError;
using testing::RequireOk;
using testing::TempDir;
using testing::Unwrap;

SocialGraph Graph(uint64_t seed, int num_users = 30) {
  return Unwrap(testing::BuildGraph(
      testing::MakeRandomEvents({.num_users = num_users, .seed = seed})));
}

// One kind of saved artifact, through its public save and load.
struct Artifact {
  const char* name;
  std::function<absl::Status(const std::string&)> save;
  std::function<absl::Status(const std::string&)> load;
};

std::vector<Artifact> Artifacts() {
  static const SocialGraph* g = new SocialGraph(Graph(3));
  static const Recommender* rec =
      new Recommender(Unwrap(Recommender::Create(*g)));
  static const Ranker* ranker = Unwrap(MakeRanker("linear")).release();
  return {
      {"graph", [](const std::string& p) { return g->Save(p).status(); },
       [](const std::string& p) { return SocialGraph::Load(p).status(); }},
      // The same file mapped (LoadOptions::mmap) is held to the same rules.
      {"mapped graph", [](const std::string& p) { return g->Save(p).status(); },
       [](const std::string& p) {
         return SocialGraph::Load(p, {.mmap = true}).status();
       }},
      {"state", [](const std::string& p) { return rec->SaveState(p).status(); },
       [](const std::string& p) { return rec->LoadState(p); }},
      {"ranker", [](const std::string& p) { return SaveRanker(*ranker, p); },
       [](const std::string& p) { return LoadRanker(p).status(); }},
  };
}

// The issue: SIGKILLed saves left full-size `path.tmp-<pid>` files forever,
// and later successful saves did not remove them.
TEST_CASE("A killed save's temporary file goes with the next save or load",
          "[snapshot][file_io]") {
  for (const Artifact& a : Artifacts()) {
    INFO(a.name);
    TempDir dir("file_io");
    const std::string path = dir.File("x");
    RequireOk(a.save(path));
    const std::string whole = ReadAll(path);
    // What killed writers leave: full-size copies under a temporary name, in
    // this build's naming (pid, counter), the earlier one (pid) and the one
    // SaveRanker once used. Nobody holds them. Next to them, files that only
    // look similar, which must stay.
    const std::vector<std::string> litter = {"x.tmp-4194301-0", "x.tmp-77",
                                             "x.tmp"};
    const std::vector<std::string> bystanders = {"x.tmpl", "xx.tmp-1",
                                                 "y.tmp-1"};
    auto scatter = [&](const std::vector<std::string>& names) {
      for (const std::string& n : names) WriteAll(dir.File(n), whole);
    };
    scatter(litter);
    scatter(bystanders);
    RequireOk(a.load(path));
    std::vector<std::string> expected = bystanders;
    expected.push_back("x");
    std::sort(expected.begin(), expected.end());
    CHECK(dir.Names() == expected);

    scatter(litter);
    RequireOk(a.save(path));
    CHECK(dir.Names() == expected);
    CHECK(ReadAll(path) == whole);

    // A failed load (here: of a damaged file) cleans up too.
    scatter(litter);
    WriteAll(path, whole.substr(0, whole.size() / 2));
    CHECK_FALSE(a.load(path).ok());
    CHECK(dir.Names() == expected);
  }
}

TEST_CASE("A temporary file a live writer holds is never removed",
          "[snapshot][file_io]") {
  for (const Artifact& a : Artifacts()) {
    INFO(a.name);
    TempDir dir("file_io");
    const std::string path = dir.File("x");
    RequireOk(a.save(path));
    // A writer (another thread or process) in the middle of its save: it
    // holds the lock on its temporary file until it renames it.
    const std::string temp = dir.File("x.tmp-1-1");
    WriteAll(temp, "half a snapshot");
    const int fd = ::open(temp.c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    REQUIRE(::flock(fd, LOCK_EX) == 0);
    RequireOk(a.save(path));
    RequireOk(a.load(path));
    CHECK(fs::exists(temp));
    // The writer dies: its lock goes, and so does the file on the next load.
    ::close(fd);
    RequireOk(a.load(path));
    CHECK_FALSE(fs::exists(temp));
  }
}

// Two writers of one path, in two threads and in two processes: each save
// succeeds (no writer removes or reuses another's temporary file), each load
// sees one whole snapshot, and nothing is left over.
TEST_CASE("Concurrent saves of one path all succeed and leave nothing behind",
          "[snapshot][file_io]") {
  TempDir dir("file_io");
  const std::string path = dir.File("g.igsnap");
  const SocialGraph a = Graph(5, 30), b = Graph(6, 50);
  REQUIRE(a.num_nodes() != b.num_nodes());
  RequireOk(a.Save(path).status());
  auto loads_whole = [&] {
    const auto g = SocialGraph::Load(path);
    return g.ok() &&
           (g->num_nodes() == a.num_nodes() || g->num_nodes() == b.num_nodes());
  };

  SECTION("threads") {
    std::atomic<int> failures{0};
    auto writer = [&](const SocialGraph& g) {
      for (int i = 0; i < 25; ++i) {
        failures += !g.Save(path).ok();
        failures += !loads_whole();
      }
    };
    std::thread t1(writer, std::cref(a)), t2(writer, std::cref(b));
    t1.join();
    t2.join();
    CHECK(failures == 0);
  }
  SECTION("processes") {
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      int failures = 0;
      for (int i = 0; i < 40; ++i) failures += !b.Save(path).ok();
      ::_exit(failures == 0 ? 0 : 1);
    }
    int failures = 0, status = 0;
    // Save and load (each cleaning up) for as long as the child writes.
    while (::waitpid(child, &status, WNOHANG) == 0) {
      failures += !a.Save(path).ok();
      failures += !loads_whole();
    }
    CHECK(failures == 0);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  CHECK(loads_whole());
  CHECK(dir.Names() == std::vector<std::string>{"g.igsnap"});
}

// The issue: SocialGraph::Load of a directory threw std::bad_array_new_length
// (the directory's "size" became the buffer's). Only regular files are read,
// and a FIFO is not waited on.
TEST_CASE("Loading what is not a regular file is an error naming the path",
          "[snapshot][file_io]") {
  TempDir dir("file_io");
  const std::string sub = dir.File("a_directory");
  fs::create_directories(sub);
  const std::string fifo = dir.File("a_fifo");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  for (const Artifact& a : Artifacts()) {
    INFO(a.name);
    CheckError(a.load(sub), absl::StatusCode::kFailedPrecondition,
               {sub, "is a directory"});
    CheckError(a.load(fifo), absl::StatusCode::kFailedPrecondition,
               {fifo, "not a regular file"});
    CHECK(a.load(dir.File("missing")).code() == absl::StatusCode::kNotFound);
    // Saving over a directory fails cleanly too, leaving no temporary file.
    CHECK_FALSE(a.save(sub).ok());
  }
  CHECK(dir.Names() == std::vector<std::string>{"a_directory", "a_fifo"});
}

TEST_CASE("Empty and truncated files are clear errors naming the path",
          "[snapshot][file_io]") {
  TempDir dir("file_io");
  const std::string empty = dir.File("empty");
  WriteAll(empty, "");
  CheckError(SocialGraph::Load(empty).status(), absl::StatusCode::kDataLoss,
             {"file is 0 bytes", empty});
  CheckError(SocialGraph::Load(empty, {.mmap = true}).status(),
             absl::StatusCode::kDataLoss, {"file is 0 bytes", empty});
  const Recommender rec = Unwrap(Recommender::Create(Graph(3)));
  CheckError(rec.LoadState(empty), absl::StatusCode::kDataLoss,
             {"file is 0 bytes", empty});
  CheckError(LoadRanker(empty).status(), absl::StatusCode::kInvalidArgument,
             {"malformed", empty});

  const std::string graph = dir.File("g"), state = dir.File("s"),
                    ranker = dir.File("r");
  RequireOk(Graph(3).Save(graph).status());
  RequireOk(rec.SaveState(state).status());
  RequireOk(SaveRanker(*Unwrap(MakeRanker("linear")), ranker));
  for (const std::string& p : {graph, state, ranker}) {
    const std::string bytes = ReadAll(p);
    WriteAll(p, bytes.substr(0, bytes.size() - 7));
  }
  CheckError(SocialGraph::Load(graph).status(), absl::StatusCode::kDataLoss,
             {"truncated", graph});
  CheckError(SocialGraph::Load(graph, {.mmap = true}).status(),
             absl::StatusCode::kDataLoss, {"truncated", graph});
  CheckError(rec.LoadState(state), absl::StatusCode::kDataLoss, {state});
  CheckError(LoadRanker(ranker).status(), absl::StatusCode::kInvalidArgument,
             {"malformed", ranker});
}

// Every length in the container is checked against the bytes that remain
// before it is used, so huge ones (checksums resealed, as a crafted file
// would have them) are errors, never allocations.
TEST_CASE("Huge lengths inside a snapshot are refused before any allocation",
          "[snapshot][file_io]") {
  const std::string bytes = Unwrap(Graph(3).ToBytes());
  uint64_t num;
  std::memcpy(&num, bytes.data() + 40, 8);
  {
    std::string bad = bytes;
    const uint64_t huge = ~uint64_t{0} / 32;
    std::memcpy(bad.data() + 40, &huge, 8);
    const uint64_t sum = XXH3_64bits(bad.data(), 48);
    std::memcpy(bad.data() + 48, &sum, 8);
    CheckError(SocialGraph::FromBytes(bad).status(),
               absl::StatusCode::kDataLoss, {"does not fit in the file"});
  }
  for (uint64_t i = 0; i < num; ++i) {
    std::string bad = bytes;
    char* entry = bad.data() + 56 + i * 32;
    uint32_t elem_size;
    std::memcpy(&elem_size, entry + 4, 4);
    // The largest length that is a whole number of elements.
    const uint64_t huge = ~uint64_t{0} / elem_size * elem_size;
    std::memcpy(entry + 16, &huge, 8);
    const uint64_t sum = XXH3_64bits(bad.data() + 56, num * 32);
    std::memcpy(bad.data() + 56 + num * 32, &sum, 8);
    CheckError(SocialGraph::FromBytes(bad).status(),
               absl::StatusCode::kDataLoss, {"do not lie in the file"});
  }
}

// The ranker format has no binary float sections: its numbers are the spec's
// key=value pairs, which the ranker factories parse and refuse unless finite
// (and JSON itself holds no NaN or infinity). Pinned here with the rest.
TEST_CASE("A ranker document with a non-finite number is refused",
          "[snapshot][file_io]") {
  auto doc = nlohmann::ordered_json::parse(
      Unwrap(RankerToJson(*Unwrap(MakeRanker("linear")))));
  doc.erase("params");
  for (const char* bad : {"nan", "inf", "-inf", "1e39"}) {
    INFO(bad);
    doc["spec"] = std::string("linear(adamic_adar=") + bad + ")";
    CheckError(RankerFromJson(doc.dump()).status(),
               absl::StatusCode::kInvalidArgument,
               {"adamic_adar", "not a finite number"});
  }
}

}  // namespace
}  // namespace invitegraph
