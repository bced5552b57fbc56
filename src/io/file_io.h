// The file primitives behind every saved artifact: graph snapshots, recipient
// state snapshots (snapshot_file.h) and ranker JSON (ranker_io.cc) are written
// with WriteFileAtomically() and read with ReadRegularFile(), so they share
// one durability and one validation story.
//
// Writing. `path` is replaced by rename(2) of a sibling temporary file
// `path.tmp-<pid>-<n>`, written, fsynced, renamed, and the directory fsynced:
// a crash at any point leaves the old file or the new one, whole. A writer
// killed before the rename leaves its temporary file behind, so every save
// and every load of `path` first removes the `path.tmp-*` siblings whose
// writer is gone (RemoveStaleTemps).
//
// "Gone" is decided by an advisory lock, not by the pid in the name (pids are
// reused, and another thread of this process, or another process, may be
// saving the same path right now): the writer holds flock(LOCK_EX) on its
// temporary file from the moment it exists until it is renamed or removed,
// and the kernel drops that lock when the writer exits, however it dies. The
// cleaner removes only a temporary file it can lock itself, and only if the
// name still refers to the file it locked (so a temporary file renamed over
// `path` meanwhile is never touched). A writer that created its file but had
// not locked it yet when a cleaner got there finds its name gone once it
// holds the lock, and starts over under a new name. Where flock is not
// supported the writer goes on unlocked and cleaners, unable to lock, leave
// every temporary file alone: litter is possible there, a lost save is not.
//
// O_TMPFILE + linkat(2) was considered instead: it needs a name again to
// replace `path` (linkat does not overwrite), so it still leaves a window for
// litter, and is missing on some filesystems; the lock covers every case.
//
// Reading. Only a regular file is read or mapped (a directory, FIFO or
// device is an error naming the path, and a FIFO is never waited on); its
// size comes from fstat(2), so no length inside the file can make a read
// allocate more than the file holds.
//
// Mapping (MapRegularFile) shares the file's page cache instead of copying
// it. A mapping keeps the file it was made of: Save renames a new file over
// the path, so mappings of the old one stay whole (the old inode lives until
// the last mapping goes), and deleting the path is harmless too. What a
// mapping cannot survive is a write into the same file: another program
// rewriting it in place changes the mapped bytes under the reader, and
// truncating it makes reads of the lost pages fault (SIGBUS).
#ifndef INVITEGRAPH_IO_FILE_IO_H_
#define INVITEGRAPH_IO_FILE_IO_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace invitegraph::internal {

// Replaces `path` with the concatenation of `pieces`, atomically (see above).
// Errors name `who` (e.g. "snapshot", "SaveRanker") and the file; on error
// nothing is left behind. Returns the number of bytes written.
absl::StatusOr<int64_t> WriteFileAtomically(
    const std::string& path, absl::Span<const std::string_view> pieces,
    std::string_view who);

// Removes the `path.tmp-*` siblings of `path` that no live writer holds
// (see above), and `path.tmp`, the name rankers were once written through;
// best effort, never fails. Returns how many it removed.
int RemoveStaleTemps(const std::string& path);

// The whole of the regular file `path`: `allocate(size)` is called once with
// its size and returns where to put the bytes. kNotFound (and the other errno
// codes) when it cannot be opened; kFailedPrecondition, naming the path, when
// it is a directory or not a regular file; kDataLoss if it shrinks while
// being read. Returns the size.
//
// `on_read(done)` is called each time the first `done` bytes have arrived
// (every few MiB, and once at the end), so the caller can check them while
// they are still in cache; an error it returns stops the read and is
// returned. With `prefault`, a large destination's pages are faulted in by a
// helper thread ahead of the reads (MADV_POPULATE_WRITE, Linux 5.14; skipped
// where unsupported): on a VM a page fault costs about as much as copying the
// page, and this way the two overlap.
absl::StatusOr<uint64_t> ReadRegularFile(
    const std::string& path, std::string_view who,
    absl::FunctionRef<char*(uint64_t size)> allocate,
    absl::FunctionRef<absl::Status(uint64_t done)> on_read =
        [](uint64_t) { return absl::OkStatus(); },
    bool prefault = false);

// A read-only, shared mapping of the regular file `path` (see above), with
// the refusals of ReadRegularFile. `data` keeps the pages mapped while any
// copy of it lives; the descriptor is closed at once. Mapping costs O(1):
// pages are read (or found in the page cache) when first touched. An empty
// file gives a null `data` and size 0.
struct MappedFile {
  std::shared_ptr<const char> data;
  uint64_t size = 0;
};
absl::StatusOr<MappedFile> MapRegularFile(const std::string& path,
                                          std::string_view who);

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_IO_FILE_IO_H_
