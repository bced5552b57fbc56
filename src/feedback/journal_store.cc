// The journal store ("journal:DIR"): recipient state that survives a crash,
// for one process.
//
// DIR holds generations G = 1, 2, ...: `state-G.igstate`, a state snapshot
// (state_snapshot.h) of everything before `journal-G.log`, a log of the
// events after it (journal.h). Generation 1 has no snapshot (the empty
// state). Opening replays the newest snapshot and every log from its
// generation on, in order. Every write is logged under the state's writer
// lock before it is applied, so the log's order is the order of
// application, and with sync=always it is fdatasynced before the call
// returns (concurrent calls share one fdatasync: group commit by waiting).
//
// Compaction (when the log passes compact_bytes, in a background thread;
// after ForgetUsers; on LoadState): under the state's reader lock (writes
// wait, reads go on) the log is fsynced and a new one, G+1, started; the
// state exported at that point is written as state-(G+1) after the lock is
// released; then every file of older generations is removed. A crash before
// the snapshot is whole leaves state-G + journal-G + journal-(G+1), which
// replays to the same state. LoadState writes its snapshot before the
// writer lock is released, so no write can be logged onto the old base.
//
// DIR/LOCK is held with flock(LOCK_EX) for the store's lifetime: a second
// process (or a second Recommender in this one) opening DIR gets a clear
// error instead of two writers interleaving one log.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "feedback/journal.h"
#include "feedback/state_snapshot.h"
#include "feedback/state_store.h"
#include "invitegraph/status.h"
#include "io/file_io.h"

namespace invitegraph::internal {

namespace {

namespace fs = std::filesystem;

absl::Status Errno(std::string_view what, const std::string& path) {
  return absl::UnavailableError(
      absl::StrCat("journal: ", absl::string_view(what.data(), what.size()),
                   " ", path, ": ", std::strerror(errno)));
}

absl::Status SyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open directory", dir);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Errno("cannot fsync directory", dir);
  return absl::OkStatus();
}

absl::Status WriteAll(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("cannot write", path);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

// The generation in `name` = prefix + 16 hex digits + suffix.
std::optional<uint64_t> GenerationOf(std::string_view name,
                                     std::string_view prefix,
                                     std::string_view suffix) {
  if (name.size() != prefix.size() + 16 + suffix.size() ||
      name.substr(0, prefix.size()) != prefix ||
      name.substr(name.size() - suffix.size()) != suffix) {
    return std::nullopt;
  }
  uint64_t g = 0;
  const char* first = name.data() + prefix.size();
  const auto [end, ec] = std::from_chars(first, first + 16, g, 16);
  if (ec != std::errc() || end != first + 16) return std::nullopt;
  return g;
}

class JournalStore final : public StateStore, public EventLog {
 public:
  explicit JournalStore(const StateSpec& spec) : spec_(spec) {}

  ~JournalStore() override {
    {
      std::lock_guard<std::mutex> lock(wake_mu_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (background_.joinable()) background_.join();
    if (syncer_.joinable()) syncer_.join();
    {
      std::lock_guard<std::mutex> lock(sync_mu_);
      if (fd_ >= 0) {
        if (durable_ < appended_) ::fdatasync(fd_);
        ::close(fd_);
      }
    }
    if (lock_fd_ >= 0) ::close(lock_fd_);  // drops the flock
  }

  absl::Status Lock() {
    std::error_code ec;
    fs::create_directories(spec_.dir, ec);
    if (ec) {
      return absl::UnavailableError(absl::StrCat(
          "journal: cannot create directory ", spec_.dir, ": ", ec.message()));
    }
    const std::string path = Path("LOCK");
    lock_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd_ < 0) return Errno("cannot open", path);
    if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      char pid[32] = {0};
      const ssize_t n = ::pread(lock_fd_, pid, sizeof(pid) - 1, 0);
      ::close(lock_fd_);
      lock_fd_ = -1;
      if (err == EWOULDBLOCK) {
        return absl::FailedPreconditionError(absl::StrCat(
            "journal ", spec_.dir,
            " is open in another process or Recommender (", path, " is locked",
            n > 0 ? absl::StrCat(" by pid ", pid) : "",
            "); one journal has one writer"));
      }
      errno = err;
      return Errno("cannot lock", path);
    }
    const std::string me = std::to_string(::getpid());
    if (::ftruncate(lock_fd_, 0) == 0) {
      (void)!::pwrite(lock_fd_, me.data(), me.size(), 0);
    }
    return absl::OkStatus();
  }

  absl::Status Restore(RecipientState& state) override {
    // Generations present, by kind.
    std::map<uint64_t, std::string> snapshots, logs;
    std::error_code ec;
    for (const fs::directory_entry& f : fs::directory_iterator(spec_.dir, ec)) {
      const std::string name = f.path().filename().string();
      if (const auto g = GenerationOf(name, "state-", ".igstate")) {
        snapshots[*g] = f.path().string();
      } else if (const auto g = GenerationOf(name, "journal-", ".log")) {
        logs[*g] = f.path().string();
      }
    }
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("journal: cannot list ", spec_.dir, ": ", ec.message()));
    }
    RemoveSnapshotTemps();
    uint64_t base = 1;
    if (!snapshots.empty()) {
      base = snapshots.rbegin()->first;
      const std::string& path = snapshots.rbegin()->second;
      absl::StatusOr<PortableRecipientState> p = ReadStateFile(path);
      if (!p.ok()) {
        return absl::DataLossError(absl::StrCat(
            "journal ", spec_.dir, ": its newest snapshot cannot be read (",
            p.status().message(), "); the state before its log is lost"));
      }
      INVITEGRAPH_RETURN_IF_ERROR(state.Import(*p));
    }
    gen_ = base;
    for (const auto& [g, path] : logs) {
      if (g < base) continue;
      std::string bytes;
      INVITEGRAPH_RETURN_IF_ERROR(
          ReadRegularFile(path, "journal", [&](uint64_t size) {
            bytes.resize(size);
            return bytes.data();
          }).status());
      absl::StatusOr<JournalScan> scan = ScanJournal(
          bytes, [&](const StateEvent& e) { return state.Apply(e); });
      if (!scan.ok()) {
        return absl::DataLossError(
            absl::StrCat(path, ": ", scan.status().message()));
      }
      replayed_ += scan->events;
      if (scan->dropped_bytes > 0 && g != logs.rbegin()->first) {
        // Only the newest log is ever appended to: a damaged older one is
        // lost media or a lying fsync, and replaying later logs across the
        // hole would apply writes without the ones before them.
        return absl::DataLossError(absl::StrCat(
            path, ": ", scan->first_problem, " (", scan->dropped_bytes,
            " bytes), in a log that is not the newest; the state after it "
            "cannot be rebuilt"));
      }
      if (scan->dropped_bytes > 0) {
        dropped_records_ += scan->dropped_records;
        dropped_bytes_ += scan->dropped_bytes;
        std::fprintf(
            stderr,
            "invitegraph: journal %s: dropped a corrupted tail of %lld "
            "bytes (%lld records; %s); kept %lld records\n",
            path.c_str(), static_cast<long long>(scan->dropped_bytes),
            static_cast<long long>(scan->dropped_records),
            scan->first_problem.c_str(), static_cast<long long>(scan->events));
        // Cut it off, so what is appended next follows a whole record.
        if (::truncate(path.c_str(), scan->good_bytes) != 0) {
          return Errno("cannot truncate the corrupted tail of", path);
        }
      }
      gen_ = g;
      bytes_ = scan->good_bytes;
    }
    if (logs.empty() || logs.rbegin()->first < base ||
        bytes_ < static_cast<int64_t>(kJournalHeadBytes)) {
      INVITEGRAPH_RETURN_IF_ERROR(StartLog(gen_));
    } else {
      const std::string path = LogPath(gen_);
      fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
      if (fd_ < 0) return Errno("cannot open", path);
    }
    RemoveOlderThan(base);
    return absl::OkStatus();
  }

  void Start(StateHost* host) override {
    host_ = host;
    background_ = std::thread([this] { Background(); });
    if (spec_.group_commit) syncer_ = std::thread([this] { GroupSync(); });
  }

  // EventLog
  absl::StatusOr<uint64_t> Append(const StateEvent& e) override {
    INVITEGRAPH_RETURN_IF_ERROR(CheckOwner());
    std::string rec;
    AppendJournalRecord(e, &rec);
    if (rec.size() - kJournalFrameBytes > kJournalMaxPayload) {
      return absl::InvalidArgumentError(
          absl::StrCat("journal: one call of ", e.users.size(),
                       " rows is more than a journal record holds (",
                       kJournalMaxPayload >> 20, " MiB); split it"));
    }
    std::lock_guard<std::mutex> lock(append_mu_);
    INVITEGRAPH_RETURN_IF_ERROR(Broken());
    const int64_t before = bytes_;
    const absl::Status w = WriteAll(fd_, rec, LogPath(gen_));
    if (!w.ok()) {
      // Never leave a torn record in the middle of the log: what follows it
      // would be unreadable.
      if (::ftruncate(fd_, before) != 0) {
        broken_ = absl::DataLossError(absl::StrCat(
            "journal ", spec_.dir,
            ": a failed append could not be undone; no more writes are "
            "taken (",
            w.message(), ")"));
      }
      return w;
    }
    bytes_ += static_cast<int64_t>(rec.size());
    const uint64_t ticket = appended_.fetch_add(1) + 1;
    if (bytes_ > spec_.compact_bytes) wake_.notify_all();
    return ticket;
  }

  absl::Status Sync(uint64_t ticket) override {
    if (spec_.group_commit) return absl::OkStatus();
    return SyncTo(ticket);
  }

  absl::StatusOr<OutcomeReport> Record(RecipientState& state,
                                       const OutcomeBatch& b) override {
    return state.Record(b, this);
  }
  absl::StatusOr<std::vector<bool>> Reserve(RecipientState& state,
                                            UserId inviter,
                                            absl::Span<const UserId> invitees,
                                            ItemId item,
                                            Timestamp ts) override {
    return state.Reserve(inviter, invitees, item, ts, this);
  }
  absl::StatusOr<int64_t> Forget(RecipientState& state,
                                 absl::Span<const UserId> users) override {
    INVITEGRAPH_ASSIGN_OR_RETURN(const int64_t had, state.Forget(users, this));
    // The forget event is durable; compacting drops every older record of
    // the users (and this event) from the directory.
    INVITEGRAPH_RETURN_IF_ERROR(Compact(state));
    return had;
  }
  absl::Status Import(RecipientState& state,
                      const PortableRecipientState& p) override {
    return state.ImportAnd(p, [&](const PortableRecipientState& now) {
      INVITEGRAPH_ASSIGN_OR_RETURN(const uint64_t g, Rotate());
      INVITEGRAPH_RETURN_IF_ERROR(WriteSnapshot(now, g));
      RemoveOlderThan(g);
      return absl::OkStatus();
    });
  }

  StateStoreInfo Info() const override {
    std::lock_guard<std::mutex> lock(append_mu_);
    return {.backend = "journal",
            .replayed_events = replayed_,
            .dropped_records = dropped_records_,
            .dropped_bytes = dropped_bytes_,
            .log_bytes = bytes_,
            .compactions = compactions_.load()};
  }

 private:
  std::string Path(std::string_view name) const {
    return (fs::path(spec_.dir) / std::string(name)).string();
  }
  std::string LogPath(uint64_t g) const {
    return Path(absl::StrFormat("journal-%016x.log", g));
  }
  std::string SnapshotPath(uint64_t g) const {
    return Path(absl::StrFormat("state-%016x.igstate", g));
  }

  // Creates journal-g with its head, durably, and appends to it from now on.
  absl::Status StartLog(uint64_t g) {
    const std::string path = LogPath(g);
    const int fd =
        ::open(path.c_str(),
               O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return Errno("cannot create", path);
    absl::Status s = WriteAll(fd, JournalHead(), path);
    if (s.ok() && ::fdatasync(fd) != 0) s = Errno("cannot fdatasync", path);
    if (s.ok()) s = SyncDir(spec_.dir);
    if (!s.ok()) {
      ::close(fd);
      return s;
    }
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
    gen_ = g;
    bytes_ = static_cast<int64_t>(kJournalHeadBytes);
    return absl::OkStatus();
  }

  // Makes the log durable up to `ticket` (or further), sharing one
  // fdatasync among the callers waiting meanwhile.
  //
  // A failed fdatasync breaks the store: Linux reports a writeback error
  // once, so a later fdatasync could succeed while the failed pages never
  // reach the disk, and a replay would stop at that hole. The event of a
  // call that failed here is applied in this process; whether it is durable
  // is unknown.
  absl::Status SyncTo(uint64_t ticket) {
    std::lock_guard<std::mutex> lock(sync_mu_);
    INVITEGRAPH_RETURN_IF_ERROR(Broken());
    if (durable_ >= ticket) return absl::OkStatus();
    const uint64_t target = appended_.load();
    if (::fdatasync(fd_) != 0) {
      const absl::Status s = Errno("cannot fdatasync", LogPath(gen_));
      Break(s.message());
      return s;
    }
    durable_ = target;
    return absl::OkStatus();
  }

  // After a write or sync that cannot be trusted, every later write fails
  // with `why` (until the journal is opened again, which replays what
  // reached the disk).
  void Break(absl::string_view why) {
    std::lock_guard<std::mutex> lock(broken_mu_);
    if (broken_.ok()) {
      broken_ = absl::DataLossError(
          absl::StrCat("journal ", spec_.dir, ": ", why,
                       "; it takes no more writes until it is opened again"));
      std::fprintf(stderr, "invitegraph: %s\n",
                   std::string(broken_.message()).c_str());
    }
  }
  absl::Status Broken() const {
    std::lock_guard<std::mutex> lock(broken_mu_);
    return broken_;
  }

  // Writes from a process that inherited this store through fork() would
  // interleave two diverging histories in one log: refused.
  absl::Status CheckOwner() const {
    if (::getpid() == owner_) return absl::OkStatus();
    return absl::FailedPreconditionError(
        absl::StrCat("journal ", spec_.dir, " belongs to process ", owner_,
                     "; a forked child must create its own Recommender"));
  }

  // Called with writes held off (the state's lock): syncs the current log,
  // starts the next generation's, and returns its number.
  absl::StatusOr<uint64_t> Rotate() {
    std::lock_guard<std::mutex> append(append_mu_);
    std::lock_guard<std::mutex> sync(sync_mu_);
    INVITEGRAPH_RETURN_IF_ERROR(Broken());
    if (::fdatasync(fd_) != 0) {
      const absl::Status s = Errno("cannot fdatasync", LogPath(gen_));
      Break(s.message());
      return s;
    }
    durable_ = appended_.load();
    INVITEGRAPH_RETURN_IF_ERROR(StartLog(gen_ + 1));
    return gen_;
  }

  absl::Status WriteSnapshot(const PortableRecipientState& p, uint64_t g) {
    INVITEGRAPH_RETURN_IF_ERROR(WriteStateFile(p, SnapshotPath(g)).status());
    compactions_.fetch_add(1);
    return absl::OkStatus();
  }

  // Removes the temporary files of snapshot writes that did not finish (a
  // kill mid-write): they may hold users forgotten since. This store holds
  // DIR/LOCK, so no other writer of these names is alive.
  void RemoveSnapshotTemps() {
    std::error_code ec;
    for (const fs::directory_entry& f : fs::directory_iterator(spec_.dir, ec)) {
      const std::string name = f.path().filename().string();
      if (name.rfind("state-", 0) == 0 &&
          name.find(".igstate.tmp") != std::string::npos) {
        fs::remove(f.path(), ec);
      }
    }
  }

  // Removes every file of generations before `g` (best effort: a file left
  // behind is ignored by the next open and removed then).
  void RemoveOlderThan(uint64_t g) {
    for (uint64_t old = g; old-- > 0;) {
      const bool a = ::unlink(LogPath(old).c_str()) == 0;
      const bool b = ::unlink(SnapshotPath(old).c_str()) == 0;
      if (!a && !b && old + 64 < g) break;  // nothing older is left
    }
    (void)SyncDir(spec_.dir);
  }

  absl::Status Compact(RecipientState& state) {
    uint64_t g = 0;
    INVITEGRAPH_ASSIGN_OR_RETURN(const PortableRecipientState p,
                                 state.ExportAnd([&]() -> absl::Status {
                                   INVITEGRAPH_ASSIGN_OR_RETURN(g, Rotate());
                                   return absl::OkStatus();
                                 }));
    INVITEGRAPH_RETURN_IF_ERROR(WriteSnapshot(p, g));
    RemoveOlderThan(g);
    return absl::OkStatus();
  }

  // sync=group: the log is synced every group_ms, in a thread of its own so
  // that a compaction (which may wait for a swap or write a large snapshot)
  // never stretches the window. An error breaks the store (SyncTo).
  void GroupSync() {
    std::unique_lock<std::mutex> lock(wake_mu_);
    while (!stopping_) {
      wake_.wait_for(lock, std::chrono::milliseconds(spec_.group_ms));
      if (stopping_) break;
      lock.unlock();
      (void)SyncTo(appended_.load());
      lock.lock();
    }
  }

  // Compacts when the log has grown past compact_bytes (woken by Append).
  void Background() {
    std::unique_lock<std::mutex> lock(wake_mu_);
    while (!stopping_) {
      wake_.wait_for(lock, std::chrono::milliseconds(1000));
      if (stopping_) break;
      lock.unlock();
      int64_t bytes;
      {
        std::lock_guard<std::mutex> append(append_mu_);
        bytes = bytes_;
      }
      if (bytes > spec_.compact_bytes) {
        const absl::Status s = host_->WithState(
            [&](RecipientState& state) { return Compact(state); });
        if (!s.ok()) {
          std::fprintf(stderr,
                       "invitegraph: journal %s: compaction failed: %s\n",
                       spec_.dir.c_str(), std::string(s.message()).c_str());
        }
      }
      lock.lock();
    }
  }

  const StateSpec spec_;
  StateHost* host_ = nullptr;
  int lock_fd_ = -1;

  mutable std::mutex append_mu_;  // the log file, its generation and size
  int fd_ = -1;
  uint64_t gen_ = 1;
  int64_t bytes_ = 0;
  std::atomic<uint64_t> appended_{0};  // records appended since open

  std::mutex sync_mu_;
  uint64_t durable_ = 0;  // records known to be on disk

  mutable std::mutex broken_mu_;  // a leaf: taken under any other
  absl::Status broken_;
  const pid_t owner_ = ::getpid();

  int64_t replayed_ = 0, dropped_records_ = 0, dropped_bytes_ = 0;
  std::atomic<int64_t> compactions_{0};

  std::mutex wake_mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread background_, syncer_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<StateStore>> OpenJournalStore(
    const StateSpec& spec) {
  auto store = std::make_unique<JournalStore>(spec);
  INVITEGRAPH_RETURN_IF_ERROR(store->Lock());
  return store;
}

}  // namespace invitegraph::internal
