#include "io/snapshot_file.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ingest/id_map.h"
#include "internal/bytes.h"
#include "internal/parallel.h"
#include "invitegraph/status.h"
#include "invitegraph/version.h"
#include "io/file_io.h"
#include "io/hash.h"

namespace invitegraph::internal {

namespace {

constexpr uint64_t kHeaderBytes = 56;  // up to and with the header checksum
constexpr uint64_t kEntryBytes = 32;
constexpr uint32_t kByteOrderMark = 0x0A0B0C0D;
constexpr size_t kVersionField = 16;
constexpr size_t kKindField = 8;

uint64_t Hash(const void* p, size_t n) { return Xxh3(p, n); }

// Below this many payload bytes checksums are computed on the calling thread
// alone: starting threads would cost more than they save (and tests and
// fuzzers load thousands of tiny snapshots).
constexpr uint64_t kParallelBytes = uint64_t{16} << 20;

int ThreadsFor(uint64_t bytes, int threads) {
  return bytes < kParallelBytes ? 1 : ResolveThreads(threads);
}

// Snapshots at least this large are read into whole pages of their own, so
// that KeepOnly() can hand back the pages of sections no longer needed.
constexpr uint64_t kPagedBufferBytes = uint64_t{1} << 20;

// A buffer for `size` bytes of snapshot, 8-byte aligned: page-aligned
// anonymous memory (`*paged`) from kPagedBufferBytes on, the heap below.
std::shared_ptr<char> NewBuffer(uint64_t size, bool* paged) {
  *paged = false;
  if (size >= kPagedBufferBytes) {
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED) {
      *paged = true;
      return std::shared_ptr<char>(static_cast<char*>(p),
                                   [size](char* q) { ::munmap(q, size); });
    }
  }
  std::shared_ptr<uint64_t[]> words(new uint64_t[(size + 7) / 8]);
  char* p = reinterpret_cast<char*>(words.get());
  return std::shared_ptr<char>(std::move(words), p);
}

uint64_t NumBlocks(uint64_t size) {
  return (size + kSnapshotBlockBytes - 1) / kSnapshotBlockBytes;
}

// XXH3-64 of each 1 MiB block of the payloads (format 2), on `threads`
// threads: blocks[i][b] is block b of payload i. Each thread hashes whole
// blocks into its own slots, so the result does not depend on scheduling.
std::vector<std::vector<uint64_t>> BlockHashes(
    absl::Span<const std::string_view> payloads, int threads) {
  std::vector<std::vector<uint64_t>> blocks(payloads.size());
  std::vector<std::pair<uint32_t, uint64_t>> tasks;  // (payload, block)
  for (size_t i = 0; i < payloads.size(); ++i) {
    blocks[i].resize(NumBlocks(payloads[i].size()));
    for (uint64_t b = 0; b < blocks[i].size(); ++b) {
      tasks.emplace_back(static_cast<uint32_t>(i), b);
    }
  }
  const auto hash = [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const auto [i, b] = tasks[t];
      const std::string_view p = payloads[i];
      const uint64_t at = b * kSnapshotBlockBytes;
      blocks[i][b] =
          Hash(p.data() + at, std::min(kSnapshotBlockBytes, p.size() - at));
    }
    return absl::OkStatus();
  };
  // Chunks of 8 blocks: few enough claims, small enough to balance.
  (void)ParallelForRange(static_cast<int64_t>(tasks.size()), threads, 8, hash);
  return blocks;
}

// The checksums of `payloads` in format `version` (snapshot_file.h).
std::vector<uint64_t> Checksums(absl::Span<const std::string_view> payloads,
                                uint32_t version, int threads) {
  uint64_t total = 0;
  for (std::string_view p : payloads) total += p.size();
  threads = ThreadsFor(total, threads);
  std::vector<uint64_t> out(payloads.size());
  if (version == 1) {
    // One serial hash per payload; payloads spread over the threads.
    (void)ParallelForRange(static_cast<int64_t>(payloads.size()), threads, 1,
                           [&](int64_t begin, int64_t end) {
                             for (int64_t i = begin; i < end; ++i) {
                               out[i] =
                                   Hash(payloads[i].data(), payloads[i].size());
                             }
                             return absl::OkStatus();
                           });
    return out;
  }
  const auto blocks = BlockHashes(payloads, threads);
  for (size_t i = 0; i < payloads.size(); ++i) {
    out[i] = Hash(blocks[i].data(), blocks[i].size() * sizeof(uint64_t));
  }
  return out;
}

void PutPadded(std::string& out, std::string_view s, size_t width) {
  std::string field(width, '\0');
  std::memcpy(field.data(), s.data(), std::min(width, s.size()));
  out += field;
}
std::string Trimmed(const char* p, size_t width) {
  return std::string(p, strnlen(p, width));
}

absl::Status Corrupt(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("snapshot: ", what));
}

}  // namespace

absl::Status CheckFloat(std::string_view what, double value,
                        FloatDomain domain) {
  if (InFloatDomain(value, domain)) return absl::OkStatus();
  absl::string_view why;
  switch (domain) {
    case FloatDomain::kNonNegative:
      why = std::isfinite(value) ? "must be >= 0" : "must be a finite number";
      break;
    case FloatDomain::kUnitInterval:
      why = "must be in [0, 1]";
      break;
    case FloatDomain::kFiniteOrNaN:
      why = "must be finite (NaN: missing)";
      break;
  }
  return Corrupt(absl::StrCat(absl::string_view(what.data(), what.size()), "=",
                              value, ": ", why));
}

std::string TagName(uint32_t tag) {
  std::string s(4, '?');
  for (int i = 0; i < 4; ++i) {
    const char c = static_cast<char>((tag >> (8 * i)) & 0xFF);
    s[i] = (c >= 0x20 && c < 0x7F) ? c : '?';
  }
  return s;
}

std::string SnapshotWriter::Head() const {
  std::string out;
  out.append(kSnapshotMagic, sizeof(kSnapshotMagic));
  AppendBytesOf<uint32_t>(kSnapshotFormatVersion, &out);
  AppendBytesOf<uint32_t>(kByteOrderMark, &out);
  PutPadded(out, kVersion, kVersionField);
  PutPadded(out, kind_, kKindField);
  AppendBytesOf<uint64_t>(sections_.size(), &out);
  AppendBytesOf<uint64_t>(Hash(out.data(), out.size()), &out);
  const uint64_t table_end =
      kHeaderBytes + kEntryBytes * sections_.size() + sizeof(uint64_t);
  uint64_t offset = table_end + Pad(table_end);
  std::vector<std::string_view> payloads;
  for (const Section& s : sections_) payloads.emplace_back(s.data, s.size);
  const std::vector<uint64_t> sums =
      Checksums(payloads, kSnapshotFormatVersion, /*threads=*/0);
  std::string table;
  for (size_t i = 0; i < sections_.size(); ++i) {
    const Section& s = sections_[i];
    AppendBytesOf<uint32_t>(s.tag, &table);
    AppendBytesOf<uint32_t>(s.elem_size, &table);
    AppendBytesOf<uint64_t>(offset, &table);
    AppendBytesOf<uint64_t>(s.size, &table);
    AppendBytesOf<uint64_t>(sums[i], &table);
    offset += s.size + Pad(s.size);
  }
  out += table;
  AppendBytesOf<uint64_t>(Hash(table.data(), table.size()), &out);
  out.append(Pad(out.size()), '\0');
  return out;
}

std::string SnapshotWriter::ToBytes() const {
  std::string out = Head();
  for (size_t i = 0; i < sections_.size(); ++i) {
    out.append(sections_[i].data, sections_[i].size);
    if (i + 1 < sections_.size()) out.append(Pad(sections_[i].size), '\0');
  }
  return out;
}

absl::StatusOr<int64_t> SnapshotWriter::WriteFile(
    const std::string& path) const {
  // Views of the head, the payloads and the padding between them: the file is
  // written straight from the sections, never assembled in memory.
  static const char kZeros[64] = {};
  const std::string head = Head();
  std::vector<std::string_view> pieces = {head};
  for (size_t i = 0; i < sections_.size(); ++i) {
    pieces.emplace_back(sections_[i].data, sections_[i].size);
    if (i + 1 < sections_.size()) {
      pieces.emplace_back(kZeros, Pad(sections_[i].size));
    }
  }
  return WriteFileAtomically(path, pieces, "snapshot");
}

uint64_t SnapshotReader::HeadBytes(const char* p, uint64_t available,
                                   uint64_t size) {
  if (available < kHeaderBytes) return std::min(size, kHeaderBytes);
  const uint64_t num = LoadBytesAt<uint64_t>(p + 40);
  // A count too large for the file is ParseHead's to report.
  if (num > (size - kHeaderBytes) / kEntryBytes) return kHeaderBytes;
  return std::min(size, kHeaderBytes + num * kEntryBytes + 8);
}

absl::StatusOr<SnapshotReader> SnapshotReader::ParseHead(const char* p,
                                                         uint64_t size) {
  if (size < kHeaderBytes) {
    return Corrupt(absl::StrCat("file is ", size,
                                " bytes, shorter than the 56-byte header "
                                "(truncated, or not a snapshot)"));
  }
  if (std::memcmp(p, kSnapshotMagic, sizeof(kSnapshotMagic)) != 0) {
    return Corrupt("bad magic: not an invitegraph snapshot");
  }
  SnapshotReader r;
  r.format_version_ = LoadBytesAt<uint32_t>(p + 8);
  if (LoadBytesAt<uint32_t>(p + 12) != kByteOrderMark) {
    return Corrupt("byte order differs from this machine's");
  }
  r.library_version_ = Trimmed(p + 16, kVersionField);
  r.kind_ = Trimmed(p + 32, kKindField);
  if (LoadBytesAt<uint64_t>(p + 48) != Hash(p, 48)) {
    return Corrupt("header checksum mismatch (the file is damaged)");
  }
  if (r.format_version_ < kOldestSnapshotFormatVersion ||
      r.format_version_ > kSnapshotFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "snapshot: format version ", r.format_version_, " (written by ",
        "invitegraph ", r.library_version_, "); this is invitegraph ",
        std::string(kVersion), ", which reads format versions ",
        kOldestSnapshotFormatVersion, " to ", kSnapshotFormatVersion));
  }
  const uint64_t num = LoadBytesAt<uint64_t>(p + 40);
  if (num > (size - kHeaderBytes) / kEntryBytes) {
    return Corrupt(absl::StrCat("section table of ", num,
                                " entries does not fit in the file"));
  }
  const uint64_t table_bytes = num * kEntryBytes;
  if (kHeaderBytes + table_bytes + 8 > size) {
    return Corrupt("truncated inside the section table");
  }
  const char* table = p + kHeaderBytes;
  if (LoadBytesAt<uint64_t>(table + table_bytes) != Hash(table, table_bytes)) {
    return Corrupt("section table checksum mismatch (the file is damaged)");
  }
  uint64_t end = kHeaderBytes + table_bytes + 8;
  for (uint64_t i = 0; i < num; ++i) {
    const char* e = table + i * kEntryBytes;
    Entry x{LoadBytesAt<uint32_t>(e), LoadBytesAt<uint32_t>(e + 4),
            LoadBytesAt<uint64_t>(e + 8), LoadBytesAt<uint64_t>(e + 16),
            LoadBytesAt<uint64_t>(e + 24)};
    const std::string name = TagName(x.tag);
    if (x.elem_size == 0 || x.size % x.elem_size != 0) {
      return Corrupt(absl::StrCat("section ", name, ": length ", x.size,
                                  " is not a multiple of its element size ",
                                  x.elem_size));
    }
    if (x.offset < end || x.offset % 64 != 0 || x.offset > size ||
        x.size > size - x.offset) {
      return Corrupt(absl::StrCat(
          "section ", name, ": bytes [", x.offset, ", ", x.offset + x.size,
          ") do not lie in the file (", size, " bytes) after the previous one",
          // In order and aligned per the (checksummed) table, yet past the
          // end: the file was cut short, possibly before this section began.
          x.offset >= end && x.offset % 64 == 0 ? " (truncated)" : ""));
    }
    end = x.offset + x.size;
    r.entries_.push_back(x);
  }
  if (end != size) {
    return Corrupt(
        absl::StrCat(size - end, " unexpected bytes after the last section"));
  }
  r.size_ = static_cast<int64_t>(size);
  return r;
}

absl::Status SnapshotReader::CheckPadding() const {
  const char* p = data_.get();
  uint64_t end = kHeaderBytes + kEntryBytes * entries_.size() + 8;
  for (const Entry& e : entries_) {
    // Padding is zero, so that no byte of the file goes unchecked.
    for (uint64_t i = end; i < e.offset; ++i) {
      if (p[i] != 0) {
        return Corrupt(absl::StrCat("non-zero padding byte at offset ", i,
                                    " (the file is damaged)"));
      }
    }
    end = e.offset + e.size;
  }
  return absl::OkStatus();
}

absl::StatusOr<SnapshotReader> SnapshotReader::Parse(
    std::shared_ptr<const char> data, int64_t size, bool mapped,
    absl::Span<const uint32_t> unchecked, int threads) {
  INVITEGRAPH_ASSIGN_OR_RETURN(
      SnapshotReader r, ParseHead(data.get(), static_cast<uint64_t>(size)));
  r.data_ = std::move(data);
  r.mapped_ = mapped;
  INVITEGRAPH_RETURN_IF_ERROR(r.CheckPadding());
  std::vector<const Entry*> check;
  for (const Entry& e : r.entries_) {
    if (std::find(unchecked.begin(), unchecked.end(), e.tag) ==
        unchecked.end()) {
      check.push_back(&e);
    }
  }
  INVITEGRAPH_RETURN_IF_ERROR(r.VerifyPayloads(check, threads));
  return r;
}

namespace {

// `status` with the file named after its message.
absl::Status InFile(const absl::Status& status, const std::string& path,
                    uint64_t size) {
  return absl::Status(status.code(), absl::StrCat(status.message(), " (", path,
                                                  ", ", size, " bytes)"));
}

}  // namespace

absl::StatusOr<SnapshotReader> SnapshotReader::ReadFile(const std::string& path,
                                                        int threads) {
  // Litter of writers killed mid-save goes whenever the path is used.
  RemoveStaleTemps(path);
  // The buffer is the file's size (fstat), never a length read from it.
  std::shared_ptr<char> buffer;
  bool paged = false;
  const char* p = nullptr;
  uint64_t size = 0;
  // The head is checked as soon as it has arrived (a foreign or damaged file
  // is refused before the rest is read); then, in format 2, each block is
  // hashed as soon as it is whole, while it is still in cache.
  std::optional<SnapshotReader> head;
  absl::Status head_error;
  std::vector<std::vector<uint64_t>> blocks;
  size_t next_entry = 0;
  uint64_t next_block = 0;
  const auto on_read = [&](uint64_t done) -> absl::Status {
    if (!head) {
      if (done < HeadBytes(p, done, size)) return absl::OkStatus();
      auto parsed = ParseHead(p, size);
      if (!parsed.ok()) {
        head_error = parsed.status();
        return head_error;
      }
      head = std::move(*parsed);
      if (head->format_version_ == 1) return absl::OkStatus();
      for (const Entry& e : head->entries_) {
        blocks.emplace_back(NumBlocks(e.size));
      }
    }
    if (head->format_version_ == 1) return absl::OkStatus();
    const std::vector<Entry>& entries = head->entries_;
    while (next_entry < entries.size()) {
      const Entry& e = entries[next_entry];
      if (next_block == blocks[next_entry].size()) {
        ++next_entry;
        next_block = 0;
        continue;
      }
      const uint64_t at = next_block * kSnapshotBlockBytes;
      const uint64_t len = std::min(kSnapshotBlockBytes, e.size - at);
      if (e.offset + at + len > done) break;
      blocks[next_entry][next_block++] = Hash(p + e.offset + at, len);
    }
    return absl::OkStatus();
  };
  auto read = ReadRegularFile(
      path, "snapshot",
      [&](uint64_t n) {
        size = n;
        buffer = NewBuffer(n, &paged);
        p = buffer.get();
        return buffer.get();
      },
      on_read, /*prefault=*/ResolveThreads(threads) > 1);
  if (!read.ok()) {
    return head_error.ok() ? read.status() : InFile(head_error, path, size);
  }
  SnapshotReader r = std::move(*head);
  r.data_ = std::move(buffer);
  r.paged_ = paged;
  absl::Status s = r.CheckPadding();
  if (s.ok() && r.format_version_ == 1) {
    std::vector<const Entry*> all;
    for (const Entry& e : r.entries_) all.push_back(&e);
    s = r.VerifyPayloads(all, threads);
  }
  for (size_t i = 0; s.ok() && i < blocks.size(); ++i) {
    if (Hash(blocks[i].data(), blocks[i].size() * sizeof(uint64_t)) !=
        r.entries_[i].checksum) {
      s = Corrupt(absl::StrCat("section ", TagName(r.entries_[i].tag),
                               ": checksum mismatch (the file is damaged)"));
    }
  }
  if (!s.ok()) return InFile(s, path, size);
  return r;
}

absl::StatusOr<SnapshotReader> SnapshotReader::MapFile(
    const std::string& path, absl::Span<const uint32_t> unchecked,
    int threads) {
  RemoveStaleTemps(path);
  auto file = MapRegularFile(path, "snapshot");
  if (!file.ok()) return file.status();
  auto reader = Parse(file->data, static_cast<int64_t>(file->size),
                      /*mapped=*/true, unchecked, threads);
  if (!reader.ok()) return InFile(reader.status(), path, file->size);
  return reader;
}

absl::StatusOr<SnapshotReader> SnapshotReader::FromBytes(std::string_view bytes,
                                                         int threads) {
  bool paged = false;
  std::shared_ptr<char> buffer = NewBuffer(bytes.size(), &paged);
  if (!bytes.empty()) std::memcpy(buffer.get(), bytes.data(), bytes.size());
  auto r = Parse(std::move(buffer), static_cast<int64_t>(bytes.size()),
                 /*mapped=*/false, {}, threads);
  if (r.ok()) r->paged_ = paged;
  return r;
}

absl::Status SnapshotReader::VerifyPayloads(
    absl::Span<const Entry* const> entries, int threads) const {
  std::vector<std::string_view> payloads;
  for (const Entry* e : entries) {
    payloads.emplace_back(data_.get() + e->offset, e->size);
  }
  const std::vector<uint64_t> sums =
      Checksums(payloads, format_version_, threads);
  for (size_t i = 0; i < entries.size(); ++i) {
    if (sums[i] != entries[i]->checksum) {
      return Corrupt(absl::StrCat("section ", TagName(entries[i]->tag),
                                  ": checksum mismatch (the file is damaged)"));
    }
  }
  return absl::OkStatus();
}

void SnapshotReader::KeepOnly(absl::Span<const uint32_t> tags) {
  if (!paged_) return;
  std::vector<std::pair<uint64_t, uint64_t>> keep;  // [begin, end), in order
  for (const Entry& e : entries_) {
    if (std::find(tags.begin(), tags.end(), e.tag) != tags.end()) {
      keep.emplace_back(e.offset, e.offset + e.size);
    }
  }
  keep.emplace_back(size_, size_);
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  char* base = const_cast<char*>(data_.get());
  uint64_t from = 0;
  for (const auto& [begin, end] : keep) {
    // The whole pages between the last kept section and this one.
    const uint64_t a = (from + page - 1) / page * page;
    const uint64_t b = begin / page * page;
    if (a < b) ::madvise(base + a, b - a, MADV_DONTNEED);
    from = std::max(from, end);
  }
}

bool SnapshotReader::Has(uint32_t tag) const {
  return std::any_of(entries_.begin(), entries_.end(),
                     [&](const Entry& e) { return e.tag == tag; });
}

absl::StatusOr<std::string_view> SnapshotReader::Find(uint32_t tag,
                                                      uint32_t elem_size,
                                                      int64_t count) const {
  for (const Entry& e : entries_) {
    if (e.tag != tag) continue;
    if (e.elem_size != elem_size) {
      return Corrupt(absl::StrCat("section ", TagName(tag), ": element size ",
                                  e.elem_size, ", expected ", elem_size));
    }
    if (count >= 0 && e.size / elem_size != static_cast<uint64_t>(count)) {
      return Corrupt(absl::StrCat("section ", TagName(tag), ": ",
                                  e.size / elem_size, " elements, expected ",
                                  count));
    }
    return std::string_view(data_.get() + e.offset, e.size);
  }
  return Corrupt(absl::StrCat("missing section ", TagName(tag)));
}

absl::Status FillIdMap(absl::Span<const int64_t> ids, absl::string_view what,
                       IdMap* map) {
  if (ids.size() >= IdMap::kAbsent) {
    return Corrupt(absl::StrCat("too many ", what, " ids: ", ids.size()));
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0) {
      return Corrupt(absl::StrCat(what, " id #", i, " is negative: ", ids[i]));
    }
  }
  std::vector<uint32_t> dense(ids.size());
  map->MapOrInsert(ids, dense.data());
  if (map->size() != static_cast<int64_t>(ids.size())) {
    for (size_t i = 0; i < ids.size(); ++i) {
      if (dense[i] != i) {
        return Corrupt(absl::StrCat(what, " id ", ids[i], " appears twice"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace invitegraph::internal
