#include "io/file_io.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"

namespace invitegraph::internal {

namespace {

constexpr uint64_t kMaxIo = uint64_t{1} << 30;  // per write(2) call
// Per read(2) call: small enough that on_read sees bytes still in cache.
constexpr uint64_t kReadChunk = uint64_t{4} << 20;
// Destinations below this size are not prefaulted by a helper thread.
constexpr uint64_t kPrefaultBytes = uint64_t{64} << 20;

absl::string_view Sv(std::string_view s) { return {s.data(), s.size()}; }

absl::Status Errno(int e, std::string_view who, absl::string_view what,
                   const std::string& path) {
  return absl::ErrnoToStatus(e, absl::StrCat(Sv(who), ": ", what, " ", path));
}

// write(2) all of [p, p + n), retrying short writes.
absl::Status WriteAll(int fd, const char* p, uint64_t n, std::string_view who,
                      const std::string& path) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, std::min(n, kMaxIo));
    if (w < 0) {
      if (errno == EINTR) continue;
      return Errno(errno, who, "write", path);
    }
    p += w;
    n -= static_cast<uint64_t>(w);
  }
  return absl::OkStatus();
}

// flock(2), retried on EINTR; false with errno set otherwise.
bool Flock(int fd, int op) {
  for (;;) {
    if (::flock(fd, op) == 0) return true;
    if (errno != EINTR) return false;
  }
}

bool SameFile(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// Directory and file name of `path`; an empty name if `path` names no file
// (ends in '/', or is "." or "..").
std::pair<std::string, std::string> Split(const std::string& path) {
  const std::filesystem::path p(path);
  std::string name = p.filename().string();
  if (name == "." || name == "..") name.clear();
  return {p.has_parent_path() ? p.parent_path().string() : std::string("."),
          name};
}

void SyncDirectory(const std::string& dir) {
  // The rename is durable once the directory entry is; best effort (some
  // filesystems refuse to fsync a directory).
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

// A fresh, exclusively created temporary file next to `path`, locked (when
// the filesystem supports flock) with its name verified to still be its own.
struct Temp {
  int fd = -1;
  std::string name;
};

absl::StatusOr<Temp> CreateTemp(const std::string& path, std::string_view who) {
  static std::atomic<uint64_t> counter{0};
  // Names collide only with a leftover of an earlier process that had this
  // pid, or after a cleaner took a name from under us; both just move on to
  // the next number.
  constexpr int kAttempts = 1000;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    Temp t;
    t.name = absl::StrCat(path, ".tmp-", ::getpid(), "-",
                          counter.fetch_add(1, std::memory_order_relaxed));
    t.fd =
        ::open(t.name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (t.fd < 0) {
      if (errno == EEXIST) continue;
      return Errno(errno, who, "create", t.name);
    }
    if (!Flock(t.fd, LOCK_EX)) return t;  // unsupported: go on unlocked
    // A cleaner may have locked and removed the file between our open and
    // our lock; then the name is gone (or, in theory, someone else's).
    struct stat mine, named;
    if (::fstat(t.fd, &mine) == 0 && ::lstat(t.name.c_str(), &named) == 0 &&
        SameFile(mine, named)) {
      return t;
    }
    ::close(t.fd);
  }
  return absl::UnavailableError(
      absl::StrCat(Sv(who), ": could not create a temporary file next to ",
                   path, " in ", kAttempts, " attempts"));
}

}  // namespace

int RemoveStaleTemps(const std::string& path) {
  const auto [dir, name] = Split(path);
  if (name.empty()) return 0;
  // `name.tmp` is what SaveRanker wrote before it used this helper.
  const std::string legacy = name + ".tmp", prefix = legacy + "-";
  std::vector<std::string> candidates;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (const dirent* e = ::readdir(d)) {
      const std::string_view entry(e->d_name);
      if (entry == legacy ||
          (entry.size() > prefix.size() && entry.starts_with(prefix))) {
        candidates.push_back((std::filesystem::path(dir) / e->d_name).string());
      }
    }
    ::closedir(d);
  }
  int removed = 0;
  for (const std::string& c : candidates) {
    const int fd =
        ::open(c.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) continue;
    struct stat locked, named;
    // A writer that is alive holds the lock; one that died released it. A
    // file we cannot lock (held, or no flock here) is left alone.
    if (::fstat(fd, &locked) == 0 && S_ISREG(locked.st_mode) &&
        Flock(fd, LOCK_EX | LOCK_NB) && ::lstat(c.c_str(), &named) == 0 &&
        SameFile(locked, named) && ::unlink(c.c_str()) == 0) {
      ++removed;
    }
    ::close(fd);  // drops our lock
  }
  return removed;
}

absl::StatusOr<int64_t> WriteFileAtomically(
    const std::string& path, absl::Span<const std::string_view> pieces,
    std::string_view who) {
  RemoveStaleTemps(path);
  auto temp = CreateTemp(path, who);
  if (!temp.ok()) return temp.status();
  const int fd = temp->fd;
  const std::string& tmp = temp->name;
  // The lock goes with the close, so the file is removed (or renamed) first.
  auto fail = [&](absl::Status s) {
    ::unlink(tmp.c_str());
    ::close(fd);
    return s;
  };
  int64_t total = 0;
  for (std::string_view piece : pieces) {
    absl::Status s = WriteAll(fd, piece.data(), piece.size(), who, tmp);
    if (!s.ok()) return fail(s);
    total += static_cast<int64_t>(piece.size());
  }
  if (::fsync(fd) != 0) return fail(Errno(errno, who, "fsync", tmp));
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return fail(absl::ErrnoToStatus(
        errno, absl::StrCat(Sv(who), ": rename ", tmp, " to ", path)));
  }
  // The data was fsynced before the rename; a failing close cannot lose it.
  ::close(fd);
  SyncDirectory(Split(path).first);
  return total;
}

namespace {

// An open regular file and its size; refuses directories, FIFOs and devices
// by name. The descriptor is closed with the object.
class RegularFile {
 public:
  static absl::StatusOr<RegularFile> Open(const std::string& path,
                                          std::string_view who) {
    // O_NONBLOCK: opening a FIFO must not wait for a writer.
    RegularFile f(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (f.fd_ < 0) return Errno(errno, who, "open", path);
    struct stat st;
    if (::fstat(f.fd_, &st) != 0) return Errno(errno, who, "stat", path);
    if (!S_ISREG(st.st_mode)) {
      return absl::FailedPreconditionError(absl::StrCat(
          Sv(who), ": ", path,
          S_ISDIR(st.st_mode)
              ? " is a directory, not a file"
              : " is not a regular file (a FIFO, socket or device)"));
    }
    f.size_ = static_cast<uint64_t>(st.st_size);
    return f;
  }
  RegularFile(RegularFile&& o) noexcept : fd_(o.fd_), size_(o.size_) {
    o.fd_ = -1;
  }
  RegularFile& operator=(RegularFile&&) = delete;
  ~RegularFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  int fd() const { return fd_; }
  uint64_t size() const { return size_; }

 private:
  explicit RegularFile(int fd) : fd_(fd) {}
  int fd_;
  uint64_t size_ = 0;
};

}  // namespace

absl::StatusOr<MappedFile> MapRegularFile(const std::string& path,
                                          std::string_view who) {
  auto file = RegularFile::Open(path, who);
  if (!file.ok()) return file.status();
  MappedFile out;
  out.size = file->size();
  if (out.size == 0) return out;  // mmap(2) refuses a zero length
  void* p = ::mmap(nullptr, out.size, PROT_READ, MAP_SHARED, file->fd(), 0);
  if (p == MAP_FAILED) return Errno(errno, who, "mmap", path);
  const uint64_t size = out.size;
  out.data = std::shared_ptr<const char>(
      static_cast<const char*>(p),
      [size](const char* q) { ::munmap(const_cast<char*>(q), size); });
  return out;
}

namespace {

// Faults in the pages of [p, p + size) from the start, a few MiB at a time,
// until done or `stop`; stops at the first refusal (a kernel without
// MADV_POPULATE_WRITE), leaving the faults to the reads.
void Prefault(char* p, uint64_t size, const std::atomic<bool>& stop) {
#ifdef MADV_POPULATE_WRITE
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  uint64_t at = (reinterpret_cast<uint64_t>(p) + page - 1) / page * page;
  const uint64_t end = (reinterpret_cast<uint64_t>(p) + size) / page * page;
  constexpr uint64_t kStep = uint64_t{8} << 20;
  for (; at < end && !stop.load(std::memory_order_relaxed); at += kStep) {
    if (::madvise(reinterpret_cast<void*>(at), std::min(kStep, end - at),
                  MADV_POPULATE_WRITE) != 0) {
      return;
    }
  }
#else
  (void)p;
  (void)size;
  (void)stop;
#endif
}

}  // namespace

absl::StatusOr<uint64_t> ReadRegularFile(
    const std::string& path, std::string_view who,
    absl::FunctionRef<char*(uint64_t size)> allocate,
    absl::FunctionRef<absl::Status(uint64_t done)> on_read, bool prefault) {
  auto file = RegularFile::Open(path, who);
  if (!file.ok()) return file.status();
  const int fd = file->fd();
  const uint64_t size = file->size();
  char* p = allocate(size);
  std::atomic<bool> stop{false};
  std::thread helper;
  if (prefault && size >= kPrefaultBytes) {
    helper = std::thread([&] { Prefault(p, size, stop); });
  }
  // Joins the helper on every way out.
  struct Join {
    std::atomic<bool>& stop;
    std::thread& helper;
    ~Join() {
      stop.store(true);
      if (helper.joinable()) helper.join();
    }
  } join{stop, helper};
  uint64_t done = 0;
  while (done < size) {
    const ssize_t r = ::read(fd, p + done, std::min(size - done, kReadChunk));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Errno(errno, who, "read", path);
    if (r == 0) {
      return absl::DataLossError(absl::StrCat(
          Sv(who), ": ", path, " shrank from ", size, " to ", done,
          " bytes while being read (truncated by another writer?)"));
    }
    done += static_cast<uint64_t>(r);
    if (absl::Status s = on_read(done); !s.ok()) return s;
  }
  if (size == 0) {
    if (absl::Status s = on_read(0); !s.ok()) return s;
  }
  return size;
}

}  // namespace invitegraph::internal
