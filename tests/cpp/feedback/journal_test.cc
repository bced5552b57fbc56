// The journal store's failure cases: a torn or corrupted tail cut at every
// byte is dropped (counted, never a crash) and the state is exactly the
// state after the whole records before it; a second writer is refused by
// the lock; ForgetUsers leaves no byte of the user in the directory; a
// damaged snapshot or a foreign file is a clear error; and the golden
// journal pins the format in both directions.
#include "feedback/journal.h"

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "invitegraph/recommender.h"
#include "testing/fixtures.h"
#include "testing/state_script.h"

namespace invitegraph {
namespace {

using testing::ReadAll;
using testing::WriteAll;

namespace fs = std::filesystem;
using testing::CheckError;
using testing::kAsOf;
using testing::kDay;
using testing::RequireOk;
using testing::TempDir;
using testing::Unwrap;

const std::string kLog = "journal-0000000000000001.log";

// A journal of `n` single-event writes (reserves and records alternating)
// in `dir`, and the memory backend's state bytes after each write: state
// bytes after 0, 1, ..., n events.
std::vector<std::string> WriteEvents(const std::string& dir, int n) {
  const SocialGraph g = testing::ScriptGraph(1, 40);
  const Recommender journal =
      Unwrap(Recommender::Create(g, testing::ScriptConfig("journal:" + dir)));
  const Recommender memory =
      Unwrap(Recommender::Create(g, testing::ScriptConfig("memory")));
  const std::vector<UserId> ids(g.user_ids().begin(), g.user_ids().end());
  std::vector<std::string> after = {Unwrap(memory.StateToBytes())};
  for (int i = 0; i < n; ++i) {
    const UserId u = ids[1 + i % (ids.size() - 1)];
    const Timestamp ts = kAsOf + kDay + i * 60;
    for (const Recommender* r : {&journal, &memory}) {
      if (i % 2 == 0) {
        REQUIRE(Unwrap(r->ReserveInvites(ids[0], {u}, 2, ts))[0]);
      } else {
        const UserId inviter = ids[0];
        const ItemId item = 2;
        const Outcome o = Outcome::kAccepted;
        Unwrap(r->RecordOutcomes({.inviter = {&inviter, 1},
                                  .invitee = {&u, 1},
                                  .item = {&item, 1},
                                  .ts = {&ts, 1},
                                  .outcome = {&o, 1}}));
      }
    }
    after.push_back(Unwrap(memory.StateToBytes()));
  }
  REQUIRE(Unwrap(journal.StateToBytes()) == after.back());
  return after;
}

Recommender Open(const std::string& dir) {
  return Unwrap(Recommender::Create(testing::ScriptGraph(1, 40),
                                    testing::ScriptConfig("journal:" + dir)));
}

// Offsets where each record of the log starts, and its end.
std::vector<size_t> RecordStarts(const std::string& log) {
  std::vector<size_t> starts;
  size_t at = internal::kJournalHeadBytes;
  while (at < log.size()) {
    starts.push_back(at);
    uint32_t n;
    std::memcpy(&n, log.data() + at, 4);
    at += internal::kJournalFrameBytes + n;
  }
  REQUIRE(at == log.size());
  starts.push_back(at);
  return starts;
}

// Whether any file under `dir` holds `id` as 8 little-endian bytes or as
// decimal text.
bool AnyFileHolds(const std::string& dir, UserId id) {
  char raw[8];
  std::memcpy(raw, &id, 8);
  const std::string bytes(raw, 8), text = std::to_string(id);
  for (const auto& f : fs::recursive_directory_iterator(dir)) {
    if (!f.is_regular_file()) continue;
    const std::string content = ReadAll(f.path());
    if (content.find(bytes) != std::string::npos ||
        content.find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

TEST_CASE("A journal cut at any byte replays the whole records before the cut",
          "[journal]") {
  TempDir dir("torn");
  const int kEvents = 6;
  const std::vector<std::string> after = WriteEvents(dir.File("j"), kEvents);
  const std::string log = ReadAll(dir.File("j") + "/" + kLog);
  const std::vector<size_t> starts = RecordStarts(log);
  REQUIRE(starts.size() == kEvents + 1);
  // Every length from the bare head to one byte short of the whole log
  // (and a head torn at creation: shorter than 16 bytes).
  for (size_t cut = 0; cut < log.size(); ++cut) {
    INFO("cut at " << cut << " of " << log.size());
    TempDir trial("torn_trial");
    fs::create_directories(trial.File("j"));
    WriteAll(trial.File("j") + "/" + kLog, log.substr(0, cut));
    int whole = 0;
    while (whole < kEvents && starts[whole + 1] <= cut) ++whole;
    const size_t good = cut < internal::kJournalHeadBytes ? 0 : starts[whole];
    const Recommender rec = Open(trial.File("j"));
    CHECK(Unwrap(rec.StateToBytes()) == after[whole]);
    const StateStoreInfo info = rec.StateInfo();
    CHECK(info.replayed_events == whole);
    CHECK(info.dropped_bytes == static_cast<int64_t>(cut - good));
    CHECK((info.dropped_records > 0) == (cut > good));
    // The torn tail is cut off, so the next write follows a whole record
    // and survives a reopen.
    const UserId u = testing::ScriptGraph(1, 40).user_ids()[5];
    REQUIRE(Unwrap(rec.ReserveInvites(testing::ScriptGraph(1, 40).user_ids()[0],
                                      {u}, 2, kAsOf + 3 * kDay))[0]);
    const std::string expected_log =
        (cut < internal::kJournalHeadBytes ? internal::JournalHead()
                                           : log.substr(0, good));
    const std::string now = ReadAll(trial.File("j") + "/" + kLog);
    CHECK(now.substr(0, expected_log.size()) == expected_log);
    CHECK(now.size() > expected_log.size());  // the new record follows
  }
}

TEST_CASE("A write after a torn tail survives the next reopen", "[journal]") {
  TempDir dir("torn_write");
  const std::vector<std::string> after = WriteEvents(dir.File("j"), 4);
  const std::string path = dir.File("j") + "/" + kLog;
  const std::string log = ReadAll(path);
  WriteAll(path, log.substr(0, log.size() - 3));  // tear the last record
  std::string state;
  {
    const Recommender rec = Open(dir.File("j"));
    CHECK(Unwrap(rec.StateToBytes()) == after[3]);
    const UserId u = testing::ScriptGraph(1, 40).user_ids()[7];
    REQUIRE(Unwrap(rec.ReserveInvites(testing::ScriptGraph(1, 40).user_ids()[0],
                                      {u}, 2, kAsOf + 3 * kDay))[0]);
    state = Unwrap(rec.StateToBytes());
  }
  const Recommender again = Open(dir.File("j"));
  CHECK(Unwrap(again.StateToBytes()) == state);
  CHECK(again.StateInfo().dropped_bytes == 0);
  CHECK(again.StateInfo().replayed_events == 4);
}

TEST_CASE("A corrupted record drops it and everything after it, counted",
          "[journal]") {
  TempDir dir("corrupt");
  const int kEvents = 5;
  const std::vector<std::string> after = WriteEvents(dir.File("j"), kEvents);
  const std::string log = ReadAll(dir.File("j") + "/" + kLog);
  const std::vector<size_t> starts = RecordStarts(log);
  for (int bad = 0; bad < kEvents; ++bad) {
    // One byte of the payload, then one of the checksum, then the length.
    for (size_t offset :
         {internal::kJournalFrameBytes + 3, size_t{6}, size_t{1}}) {
      INFO("record " << bad << " byte " << offset);
      TempDir trial("corrupt_trial");
      fs::create_directories(trial.File("j"));
      std::string damaged = log;
      damaged[starts[bad] + offset] ^= 0x5a;
      WriteAll(trial.File("j") + "/" + kLog, damaged);
      const Recommender rec = Open(trial.File("j"));
      CHECK(Unwrap(rec.StateToBytes()) == after[bad]);
      CHECK(rec.StateInfo().replayed_events == bad);
      CHECK(rec.StateInfo().dropped_bytes ==
            static_cast<int64_t>(log.size() - starts[bad]));
      CHECK(rec.StateInfo().dropped_records >= 1);
    }
  }
}

TEST_CASE("One journal has one writer", "[journal]") {
  TempDir dir("lock");
  const std::string spec = "journal:" + dir.File("j");
  const SocialGraph g = testing::ScriptGraph(1, 40);
  {
    const Recommender first =
        Unwrap(Recommender::Create(g, testing::ScriptConfig(spec)));
    const absl::StatusOr<Recommender> second =
        Recommender::Create(g, testing::ScriptConfig(spec));
    CheckError(second.status(), absl::StatusCode::kFailedPrecondition,
               {dir.File("j"), "LOCK",
                "is locked by pid " + std::to_string(::getpid())});
    // Another process is refused the same way.
    const pid_t child = ::fork();
    if (child == 0) {
      const bool refused =
          !Recommender::Create(g, testing::ScriptConfig(spec)).ok();
      ::_exit(refused ? 0 : 1);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  // Closed: the next one opens.
  const Recommender owner =
      Unwrap(Recommender::Create(g, testing::ScriptConfig(spec)));
  // A child that inherited it through fork() may not write to it: its
  // copy of the state would diverge from the parent's in one log.
  const pid_t child = ::fork();
  if (child == 0) {
    const UserId u = g.user_ids()[2];
    const absl::StatusOr<std::vector<bool>> r =
        owner.ReserveInvites(g.user_ids()[0], {u}, 2, kAsOf + kDay);
    ::_exit(r.status().code() == absl::StatusCode::kFailedPrecondition ? 0 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(Unwrap(owner.ReserveInvites(g.user_ids()[0], {g.user_ids()[2]}, 2,
                                    kAsOf + kDay))[0]);
}

TEST_CASE("ForgetUsers leaves no byte of the user in the journal directory",
          "[journal]") {
  TempDir dir("forget");
  const std::string spec = "journal:" + dir.File("j");
  const SocialGraph g = testing::ScriptGraph(1, 40);
  const std::vector<UserId> ids(g.user_ids().begin(), g.user_ids().end());
  // An invitee outside the graph with an id no other byte run will match.
  const UserId ghost = 0x0123456789ABCDEF;
  const UserId inviter = ids[0], member = ids[9];
  const Recommender rec =
      Unwrap(Recommender::Create(g, testing::ScriptConfig(spec)));
  const std::vector<UserId> inviters(2, inviter), invitees = {ghost, member};
  const std::vector<ItemId> items(2, 2);
  const std::vector<Timestamp> ts(2, kAsOf + kDay);
  const std::vector<Outcome> outcomes = {Outcome::kDeclined,
                                         Outcome::kAccepted};
  Unwrap(rec.RecordOutcomes({.inviter = inviters,
                             .invitee = invitees,
                             .item = items,
                             .ts = ts,
                             .outcome = outcomes}));
  // Compacted into a snapshot, and in the log again after it.
  RequireOk(rec.LoadState([&] {
    const std::string path = dir.File("s.igstate");
    Unwrap(rec.SaveState(path));
    return path;
  }()));
  Unwrap(rec.RecordOutcomes({.inviter = inviters,
                             .invitee = invitees,
                             .item = items,
                             .ts = ts,
                             .outcome = outcomes}));
  REQUIRE(AnyFileHolds(dir.File("j"), ghost));  // the scan can see it
  REQUIRE(rec.FeedbackFor(ghost).failures == 2);
  CHECK(Unwrap(rec.ForgetUsers({ghost})) == 1);
  CHECK_FALSE(AnyFileHolds(dir.File("j"), ghost));
  CHECK(rec.FeedbackFor(ghost).failures == 0);
  CHECK(rec.FeedbackFor(member).successes == 2);  // others are kept
  const std::string state = Unwrap(rec.StateToBytes());
  CHECK(state.find(std::string(reinterpret_cast<const char*>(&ghost), 8)) ==
        std::string::npos);
}

TEST_CASE("A snapshot write killed midway leaves no file with forgotten users",
          "[journal]") {
  TempDir dir("killed_snapshot");
  const std::string j = dir.File("j");
  const UserId ghost = 0x0123456789ABCDEF;
  {
    const Recommender rec = Open(j);
    REQUIRE(Unwrap(rec.ForgetUsers({424242})) == 0);  // state-2, journal-2
  }
  // What a kill during the next compaction's snapshot write leaves: its
  // temporary file, holding a user about to be forgotten.
  char raw[8];
  std::memcpy(raw, &ghost, 8);
  WriteAll(j + "/state-0000000000000003.igstate.tmp-99999-0",
           "partial snapshot " + std::string(raw, 8));
  REQUIRE(AnyFileHolds(j, ghost));
  const Recommender rec = Open(j);
  CHECK_FALSE(AnyFileHolds(j, ghost));
}

TEST_CASE("A damaged log that is not the newest is an error", "[journal]") {
  TempDir dir("damaged_older");
  const std::vector<std::string> after = WriteEvents(dir.File("j"), 3);
  const std::string log = ReadAll(dir.File("j") + "/" + kLog);
  // journal-1 torn, and a later generation after it.
  WriteAll(dir.File("j") + "/" + kLog, log.substr(0, log.size() - 2));
  WriteAll(dir.File("j") + "/journal-0000000000000002.log",
           internal::JournalHead());
  CheckError(
      Recommender::Create(testing::ScriptGraph(1, 40),
                          testing::ScriptConfig("journal:" + dir.File("j")))
          .status(),
      absl::StatusCode::kDataLoss, {kLog, "not the newest"});
}

TEST_CASE("A damaged snapshot or a foreign log is an error naming the file",
          "[journal]") {
  TempDir dir("damaged");
  const std::string j = dir.File("j");
  {
    const Recommender rec = Open(j);
    const UserId u = testing::ScriptGraph(1, 40).user_ids()[3];
    REQUIRE(Unwrap(rec.ReserveInvites(testing::ScriptGraph(1, 40).user_ids()[0],
                                      {u}, 2, kAsOf + kDay))[0]);
    REQUIRE(Unwrap(rec.ForgetUsers({424242})) == 0);  // compacts: state-2
  }
  const std::string snapshot = j + "/state-0000000000000002.igstate";
  REQUIRE(fs::exists(snapshot));
  std::string bytes = ReadAll(snapshot);
  bytes[bytes.size() / 2] ^= 1;
  WriteAll(snapshot, bytes);
  CheckError(Recommender::Create(testing::ScriptGraph(1, 40),
                                 testing::ScriptConfig("journal:" + j))
                 .status(),
             absl::StatusCode::kDataLoss, {snapshot, "newest snapshot"});

  TempDir other("foreign");
  fs::create_directories(other.File("j"));
  WriteAll(other.File("j") + "/" + kLog, "NOTAJOURNAL AT ALL, JUST TEXT");
  CheckError(
      Recommender::Create(testing::ScriptGraph(1, 40),
                          testing::ScriptConfig("journal:" + other.File("j")))
          .status(),
      absl::StatusCode::kDataLoss, {kLog, "not an invitegraph journal"});
}

TEST_CASE("State specs are checked before anything is opened", "[journal]") {
  for (const auto& [spec, fragment] :
       std::vector<std::pair<std::string, std::string>>{
           {"", "unknown backend"},
           {"disk:/x", "unknown backend"},
           {"journal:", "directory is empty"},
           {"journal:/x?sync=never", "sync=never"},
           {"journal:/x?group_ms=0", "group_ms=0"},
           {"journal:/x?compact_bytes=10", "compact_bytes=10"},
           {"journal:/x?fast", "not key=value"},
           {"journal:/x?color=red", "unknown option \"color\""},
           {"memory?x=1", "unknown option"},
           {"redis://localhost", "HOST:PORT"},
           {"redis://localhost:0", "port=0"},
           {"redis://localhost:6379/x", "db=x"},
           {"redis://localhost:6379?timeout_ms=0", "timeout_ms=0"},
       }) {
    INFO(spec);
    RecommenderConfig config;
    config.state = spec;
    CheckError(config.Validate(), absl::StatusCode::kInvalidArgument,
               {"RecommenderConfig.state=\"" + spec + "\"", fragment});
  }
  for (const std::string ok :
       {"memory", "journal:rel/dir", "journal:/a/b?sync=group&group_ms=5",
        "redis://127.0.0.1:6379",
        "redis://h:1/3?prefix=shop1:&timeout_ms=50"}) {
    INFO(ok);
    CHECK(ValidateStateSpec(ok).ok());
  }
}

// The golden journal (tests/data/golden_journal_v1.log): these events, in
// this order. Reading it gives them back, and writing them gives it back,
// so a change of the format cannot pass unnoticed.
std::vector<internal::StateEvent> GoldenEvents() {
  using internal::StateEvent;
  return {
      {.kind = StateEvent::Kind::kOutcomes,
       .clock = 1'700'000'100,
       .users = {5, 9'000'000'000'000'000'001, 7},
       .ts = {1'700'000'050, 1'700'000'100, 1'699'990'000},
       .outcomes = {Outcome::kSent, Outcome::kAccepted, Outcome::kIgnored}},
      {.kind = StateEvent::Kind::kForget,
       .clock = std::numeric_limits<Timestamp>::min(),
       .users = {7, 11},
       .ts = {},
       .outcomes = {}},
      {.kind = StateEvent::Kind::kOutcomes,
       .clock = 1'700'000'200,
       .users = {11},
       .ts = {1'700'000'200},
       .outcomes = {Outcome::kDeclined}},
  };
}

TEST_CASE("The golden journal reads as its events and is written the same",
          "[journal]") {
  const std::string path =
      std::string(INVITEGRAPH_TEST_DATA_DIR) + "/golden_journal_v1.log";
  std::string expected = internal::JournalHead();
  for (const internal::StateEvent& e : GoldenEvents()) {
    internal::AppendJournalRecord(e, &expected);
  }
  if (std::getenv("INVITEGRAPH_WRITE_GOLDEN") != nullptr) {
    WriteAll(path, expected);
  }
  const std::string golden = ReadAll(path);
  REQUIRE(!golden.empty());
  CHECK(golden == expected);
  std::vector<internal::StateEvent> read;
  const internal::JournalScan scan =
      Unwrap(internal::ScanJournal(golden, [&](const internal::StateEvent& e) {
        read.push_back(e);
        return absl::OkStatus();
      }));
  CHECK(scan.dropped_bytes == 0);
  const std::vector<internal::StateEvent> want = GoldenEvents();
  REQUIRE(read.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    CHECK(read[i].kind == want[i].kind);
    CHECK(read[i].clock == want[i].clock);
    CHECK(read[i].users == want[i].users);
    CHECK(read[i].ts == want[i].ts);
    CHECK(read[i].outcomes == want[i].outcomes);
  }
}

}  // namespace
}  // namespace invitegraph
