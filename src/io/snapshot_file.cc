#include "io/snapshot_file.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "ingest/id_map.h"
#include "invitegraph/version.h"
#include "io/file_io.h"
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace invitegraph::internal {

namespace {

constexpr uint64_t kHeaderBytes = 56;  // up to and with the header checksum
constexpr uint64_t kEntryBytes = 32;
constexpr uint32_t kByteOrderMark = 0x0A0B0C0D;
constexpr size_t kVersionField = 16;
constexpr size_t kKindField = 8;

uint64_t Hash(const void* p, size_t n) { return XXH3_64bits(p, n); }

template <typename T>
void Put(std::string& out, T v) {
  static_assert(std::is_trivially_copyable_v<T>);
  out.append(reinterpret_cast<const char*>(&v), sizeof(T));
}
void PutPadded(std::string& out, std::string_view s, size_t width) {
  std::string field(width, '\0');
  std::memcpy(field.data(), s.data(), std::min(width, s.size()));
  out += field;
}
template <typename T>
T GetAt(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
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
  Put<uint32_t>(out, kSnapshotFormatVersion);
  Put<uint32_t>(out, kByteOrderMark);
  PutPadded(out, kVersion, kVersionField);
  PutPadded(out, kind_, kKindField);
  Put<uint64_t>(out, sections_.size());
  Put<uint64_t>(out, Hash(out.data(), out.size()));
  const uint64_t table_end =
      kHeaderBytes + kEntryBytes * sections_.size() + sizeof(uint64_t);
  uint64_t offset = table_end + Pad(table_end);
  std::string table;
  for (const Section& s : sections_) {
    Put<uint32_t>(table, s.tag);
    Put<uint32_t>(table, s.elem_size);
    Put<uint64_t>(table, offset);
    Put<uint64_t>(table, s.size);
    Put<uint64_t>(table, Hash(s.data, s.size));
    offset += s.size + Pad(s.size);
  }
  out += table;
  Put<uint64_t>(out, Hash(table.data(), table.size()));
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

absl::StatusOr<SnapshotReader> SnapshotReader::ReadFile(
    const std::string& path) {
  // Litter of writers killed mid-save goes whenever the path is used.
  RemoveStaleTemps(path);
  std::shared_ptr<uint64_t[]> buffer;
  // The buffer is the file's size (fstat), never a length read from it.
  auto size = ReadRegularFile(path, "snapshot", [&](uint64_t n) {
    buffer.reset(new uint64_t[(n + 7) / 8]);
    return reinterpret_cast<char*>(buffer.get());
  });
  if (!size.ok()) return size.status();
  auto reader = Parse(std::move(buffer), static_cast<int64_t>(*size));
  if (!reader.ok()) {
    return absl::Status(reader.status().code(),
                        absl::StrCat(reader.status().message(), " (", path,
                                     ", ", *size, " bytes)"));
  }
  return reader;
}

absl::StatusOr<SnapshotReader> SnapshotReader::FromBytes(
    std::string_view bytes) {
  std::shared_ptr<uint64_t[]> buffer(new uint64_t[(bytes.size() + 7) / 8]);
  if (!bytes.empty()) std::memcpy(buffer.get(), bytes.data(), bytes.size());
  return Parse(std::move(buffer), static_cast<int64_t>(bytes.size()));
}

absl::StatusOr<SnapshotReader> SnapshotReader::Parse(
    std::shared_ptr<uint64_t[]> buffer, int64_t size_in) {
  const char* p = reinterpret_cast<const char*>(buffer.get());
  const uint64_t size = static_cast<uint64_t>(size_in);
  if (size < kHeaderBytes) {
    return Corrupt(absl::StrCat("file is ", size,
                                " bytes, shorter than the 56-byte header "
                                "(truncated, or not a snapshot)"));
  }
  if (std::memcmp(p, kSnapshotMagic, sizeof(kSnapshotMagic)) != 0) {
    return Corrupt("bad magic: not an invitegraph snapshot");
  }
  SnapshotReader r;
  r.format_version_ = GetAt<uint32_t>(p + 8);
  if (GetAt<uint32_t>(p + 12) != kByteOrderMark) {
    return Corrupt("byte order differs from this machine's");
  }
  r.library_version_ = Trimmed(p + 16, kVersionField);
  r.kind_ = Trimmed(p + 32, kKindField);
  if (GetAt<uint64_t>(p + 48) != Hash(p, 48)) {
    return Corrupt("header checksum mismatch (the file is damaged)");
  }
  if (r.format_version_ != kSnapshotFormatVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("snapshot: format version ", r.format_version_,
                     " (written by ", "invitegraph ", r.library_version_,
                     "); this is invitegraph ", std::string(kVersion),
                     ", which reads format version ", kSnapshotFormatVersion));
  }
  const uint64_t num = GetAt<uint64_t>(p + 40);
  if (num > (size - kHeaderBytes) / kEntryBytes) {
    return Corrupt(absl::StrCat("section table of ", num,
                                " entries does not fit in the file"));
  }
  const uint64_t table_bytes = num * kEntryBytes;
  if (kHeaderBytes + table_bytes + 8 > size) {
    return Corrupt("truncated inside the section table");
  }
  const char* table = p + kHeaderBytes;
  if (GetAt<uint64_t>(table + table_bytes) != Hash(table, table_bytes)) {
    return Corrupt("section table checksum mismatch (the file is damaged)");
  }
  uint64_t end = kHeaderBytes + table_bytes + 8;
  for (uint64_t i = 0; i < num; ++i) {
    const char* e = table + i * kEntryBytes;
    Entry x{GetAt<uint32_t>(e), GetAt<uint32_t>(e + 4), GetAt<uint64_t>(e + 8),
            GetAt<uint64_t>(e + 16)};
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
    // Padding is zero, so that no byte of the file goes unchecked.
    for (uint64_t i = end; i < x.offset; ++i) {
      if (p[i] != 0) {
        return Corrupt(absl::StrCat("non-zero padding byte at offset ", i,
                                    " (the file is damaged)"));
      }
    }
    if (GetAt<uint64_t>(e + 24) != Hash(p + x.offset, x.size)) {
      return Corrupt(absl::StrCat("section ", name,
                                  ": checksum mismatch (the file is damaged)"));
    }
    end = x.offset + x.size;
    r.entries_.push_back(x);
  }
  if (end != size) {
    return Corrupt(
        absl::StrCat(size - end, " unexpected bytes after the last section"));
  }
  r.buffer_ = std::move(buffer);
  r.size_ = size_in;
  return r;
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
    return std::string_view(
        reinterpret_cast<const char*>(buffer_.get()) + e.offset, e.size);
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
