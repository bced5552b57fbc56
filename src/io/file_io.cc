#include "io/file_io.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"

namespace invitegraph::internal {

namespace {

constexpr uint64_t kMaxIo = uint64_t{1} << 30;  // per read(2)/write(2) call

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

absl::StatusOr<uint64_t> ReadRegularFile(
    const std::string& path, std::string_view who,
    absl::FunctionRef<char*(uint64_t size)> allocate) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return Errno(errno, who, "open", path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    return Errno(e, who, "stat", path);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::FailedPreconditionError(absl::StrCat(
        Sv(who), ": ", path,
        S_ISDIR(st.st_mode)
            ? " is a directory, not a file"
            : " is not a regular file (a FIFO, socket or device)"));
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  char* p = allocate(size);
  uint64_t done = 0;
  while (done < size) {
    const ssize_t r = ::read(fd, p + done, std::min(size - done, kMaxIo));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      const int e = errno;
      ::close(fd);
      return Errno(e, who, "read", path);
    }
    if (r == 0) {
      ::close(fd);
      return absl::DataLossError(absl::StrCat(
          Sv(who), ": ", path, " shrank from ", size, " to ", done,
          " bytes while being read (truncated by another writer?)"));
    }
    done += static_cast<uint64_t>(r);
  }
  ::close(fd);
  return size;
}

}  // namespace invitegraph::internal
