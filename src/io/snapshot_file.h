// The snapshot container: a versioned, checksummed file of typed sections.
// SocialGraph snapshots (graph_snapshot.cc) and recommender state snapshots
// are both written in it. The layout, all integers little-endian:
//
//   offset  size  field
//   0       8     magic "IGSNAP\r\n" (the \r\n catches text-mode mangling)
//   8       4     format version (kSnapshotFormatVersion)
//   12      4     byte-order mark 0x0A0B0C0D, as written by the host
//   16      16    library version, NUL-padded ("0.1.0")
//   32      8     kind, NUL-padded ("graph", "state")
//   40      8     number of sections S
//   48      8     XXH3-64 of bytes [0, 48)
//   56      S*32  section table: tag (4 ASCII bytes), element size (4),
//                 offset (8), length in bytes (8), checksum of the payload (8)
//   ...     8     XXH3-64 of the section table
//   then the payloads, each at a 64-byte aligned offset, in table order, and
//   nothing after the last one; padding bytes are zero.
//
// A payload's checksum depends on the format version:
//   1: XXH3-64 of the payload;
//   2: XXH3-64 of the array of the XXH3-64s of its 1 MiB blocks (the last one
//      shorter; no blocks, an empty array, for an empty payload), as uint64
//      little-endian. Blocks hash independently: a read hashes each one as
//      soon as it has arrived, while it is still in cache, and bytes in
//      memory (FromBytes, pickles) are hashed on every core; in version 1
//      the 575 MB arc section of a 1 M-user graph was one serial hash.
// Version 2 is written; both are read (tests/data keeps a file of each).
//
// Reading validates everything before anything is used: magic, version, byte
// order, header and table checksums, that every section lies inside the file
// in order without overlap, that its length is a multiple of its element
// size, that padding is zero, and every payload checksum (MapFile() may leave
// named sections unchecked, for the caller to trust); float sections are read
// through GetFloats(), which checks every value against its FloatDomain. A
// truncated, bit-flipped or foreign file is an error naming what is wrong,
// never a crash.
#ifndef INVITEGRAPH_IO_SNAPSHOT_FILE_H_
#define INVITEGRAPH_IO_SNAPSHOT_FILE_H_

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"

namespace invitegraph::internal {

class IdMap;

// The format version written; versions from kOldestSnapshotFormatVersion on
// are read.
inline constexpr uint32_t kSnapshotFormatVersion = 2;
inline constexpr uint32_t kOldestSnapshotFormatVersion = 1;
// Version 2 checksums payloads in blocks of this many bytes.
inline constexpr uint64_t kSnapshotBlockBytes = uint64_t{1} << 20;
inline constexpr char kSnapshotMagic[8] = {'I', 'G', 'S',  'N',
                                           'A', 'P', '\r', '\n'};

// What the values of a floating-point section may be. Every float or double
// section is read with SnapshotReader::GetFloats() and one of these (Get()
// refuses floating-point types at compile time), so a NaN, an infinity or an
// out-of-range value sealed behind valid checksums is refused by name instead
// of surfacing later as a NaN score.
enum class FloatDomain {
  kNonNegative,   // finite and >= 0: counts, decayed weights, norms
  kUnitInterval,  // in [0, 1]: rates, probabilities, scores
  kFiniteOrNaN,   // finite, or NaN meaning "missing": profile numbers
};

inline bool InFloatDomain(double value, FloatDomain domain) {
  switch (domain) {
    case FloatDomain::kNonNegative:
      return std::isfinite(value) && value >= 0;
    case FloatDomain::kUnitInterval:
      return value >= 0 && value <= 1;
    case FloatDomain::kFiniteOrNaN:
      return !std::isinf(value);
  }
  return false;
}

// OK if `value` lies in `domain`; else kDataLoss
// "snapshot: <what>=<value>: <why>", `what` naming the section and the index
// (e.g. "JRAT[5]").
absl::Status CheckFloat(std::string_view what, double value,
                        FloatDomain domain);

// True if every value lies in `domain`: one branch-free pass the compiler
// vectorises (NaN fails every ordered comparison, so it fails the first two
// domains by itself).
template <typename T>
bool AllInFloatDomain(absl::Span<const T> values, FloatDomain domain) {
  constexpr T kInf = std::numeric_limits<T>::infinity();
  // An int accumulator: GCC vectorises an OR of ints, not of bools.
  int bad = 0;
  switch (domain) {
    case FloatDomain::kNonNegative:
      for (const T v : values) bad |= !(v >= 0) | (v == kInf);
      break;
    case FloatDomain::kUnitInterval:
      for (const T v : values) bad |= !(v >= 0) | (v > 1);
      break;
    case FloatDomain::kFiniteOrNaN:
      for (const T v : values) bad |= (v == kInf) | (v == -kInf);
      break;
  }
  return bad == 0;
}

// CheckFloat() on every element, named "<section>[<index>]".
template <typename T>
absl::Status CheckFloats(std::string_view section, absl::Span<const T> values,
                         FloatDomain domain) {
  static_assert(std::is_floating_point_v<T>);
  if (AllInFloatDomain(values, domain)) return absl::OkStatus();
  for (size_t i = 0; i < values.size(); ++i) {
    if (!InFloatDomain(values[i], domain)) {
      return CheckFloat(
          absl::StrCat(absl::string_view(section.data(), section.size()), "[",
                       i, "]"),
          values[i], domain);
    }
  }
  return absl::OkStatus();
}

// A section tag from four ASCII characters.
constexpr uint32_t Tag(const char (&s)[5]) {
  return static_cast<uint32_t>(static_cast<uint8_t>(s[0])) |
         static_cast<uint32_t>(static_cast<uint8_t>(s[1])) << 8 |
         static_cast<uint32_t>(static_cast<uint8_t>(s[2])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(s[3])) << 24;
}
std::string TagName(uint32_t tag);

// Collects sections (as views: the data must outlive the writer) and writes
// them out.
class SnapshotWriter {
 public:
  explicit SnapshotWriter(std::string_view kind) : kind_(kind) {}

  template <typename T>
  void Add(uint32_t tag, absl::Span<const T> data) {
    static_assert(std::is_trivially_copyable_v<T>);
    sections_.push_back({tag, static_cast<uint32_t>(sizeof(T)),
                         reinterpret_cast<const char*>(data.data()),
                         data.size() * sizeof(T)});
  }
  void AddBytes(uint32_t tag, std::string_view bytes) {
    sections_.push_back({tag, 1, bytes.data(), bytes.size()});
  }

  // The whole file in memory.
  std::string ToBytes() const;
  // Replaces `path` atomically (file_io.h: a locked temporary file, fsynced
  // and renamed; litter of killed writers is removed): a crash at any point
  // leaves either the old file or the new one, whole. Returns the number of
  // bytes written.
  absl::StatusOr<int64_t> WriteFile(const std::string& path) const;

 private:
  struct Section {
    uint32_t tag;
    uint32_t elem_size;
    const char* data;
    uint64_t size;
  };
  // The header and section table (payload offsets and checksums filled in).
  std::string Head() const;
  // Bytes from the end of `done` bytes to the next 64-byte boundary.
  static uint64_t Pad(uint64_t done) { return (64 - done % 64) % 64; }

  std::string kind_;
  std::vector<Section> sections_;
};

// A validated snapshot: an 8-byte aligned buffer holding the file (ReadFile,
// FromBytes) or a read-only mapping of it (MapFile). Sections are views into
// it; owner() keeps it alive, so that loaded arrays can point into it without
// a copy.
class SnapshotReader {
 public:
  // Reads and validates `path` (one bulk read of a regular file, file_io.h),
  // first removing the litter of writers of `path` killed mid-save. Format 2
  // blocks are hashed as they arrive; `threads` (0: all cores) bounds the
  // threads used besides: a helper faulting the buffer in ahead of the reads
  // when more than one, and format 1 checksums.
  static absl::StatusOr<SnapshotReader> ReadFile(const std::string& path,
                                                 int threads = 0);
  // Maps `path` read-only (MapRegularFile, file_io.h) and validates it as
  // ReadFile() does, except the payload checksums of the sections tagged in
  // `unchecked`: those bytes are not even read here (a mapped load is ready
  // without touching them; the caller trusts them). Everything else, header,
  // table, bounds, padding and the other payloads, is checked.
  static absl::StatusOr<SnapshotReader> MapFile(
      const std::string& path, absl::Span<const uint32_t> unchecked,
      int threads = 0);
  // Copies and validates `bytes`, hashing on up to `threads` threads.
  static absl::StatusOr<SnapshotReader> FromBytes(std::string_view bytes,
                                                  int threads = 0);

  std::string_view kind() const { return kind_; }
  std::string_view library_version() const { return library_version_; }
  uint32_t format_version() const { return format_version_; }
  int64_t file_bytes() const { return size_; }
  // True for MapFile(): the sections view the file's pages.
  bool mapped() const { return mapped_; }
  std::shared_ptr<const void> owner() const { return data_; }

  // Hands the memory of every section but `tags` back to the system, once
  // their contents have been copied out: a loaded graph keeps alive only the
  // sections it points into (the CSR, most of the file), not the rest of the
  // buffer. Views of other sections must not be used afterwards. Only whole
  // pages of a buffer read into pages of its own (1 MiB and more) are
  // returned; a mapped file is left as it is (its pages are page cache).
  void KeepOnly(absl::Span<const uint32_t> tags);

  bool Has(uint32_t tag) const;
  // The section `tag` as an array of T; kDataLoss if it is missing or its
  // element size is not sizeof(T), and if `count` is given, unless it has
  // exactly that many elements.
  template <typename T>
  absl::StatusOr<absl::Span<const T>> Get(uint32_t tag,
                                          int64_t count = -1) const {
    static_assert(std::is_trivially_copyable_v<T>);
    static_assert(!std::is_floating_point_v<T>,
                  "read float sections with GetFloats, which checks values");
    return View<T>(tag, count);
  }
  // Get() for a float or double section, every value checked to lie in
  // `domain` (kDataLoss naming the section and index otherwise).
  template <typename T>
  absl::StatusOr<absl::Span<const T>> GetFloats(uint32_t tag,
                                                FloatDomain domain,
                                                int64_t count = -1) const {
    static_assert(std::is_floating_point_v<T>);
    auto span = View<T>(tag, count);
    if (!span.ok()) return span.status();
    absl::Status s = CheckFloats(TagName(tag), *span, domain);
    if (!s.ok()) return s;
    return span;
  }
  absl::StatusOr<std::string_view> GetBytes(uint32_t tag) const {
    return Find(tag, 1, -1);
  }

 private:
  struct Entry {
    uint32_t tag;
    uint32_t elem_size;
    uint64_t offset;
    uint64_t size;
    uint64_t checksum;
  };
  // How many bytes of a `size`-byte file ParseHead needs, judging from the
  // first `available` ones (the header says how long the table is).
  static uint64_t HeadBytes(const char* p, uint64_t available, uint64_t size);
  // Checks the header and the section table at `p`, a file of `size` bytes
  // of which HeadBytes() have arrived, and that the sections lie in it in
  // order. No payload byte is read.
  static absl::StatusOr<SnapshotReader> ParseHead(const char* p, uint64_t size);
  // Every padding byte between sections is zero.
  absl::Status CheckPadding() const;
  // ParseHead() and CheckPadding() of the `size` bytes at `data` (kept alive
  // by `data`), then every payload checksum but those of the `unchecked`
  // tags.
  static absl::StatusOr<SnapshotReader> Parse(
      std::shared_ptr<const char> data, int64_t size, bool mapped,
      absl::Span<const uint32_t> unchecked, int threads);
  // kDataLoss naming the first (in table order) of `entries` whose payload
  // does not match its checksum.
  absl::Status VerifyPayloads(absl::Span<const Entry* const> entries,
                              int threads) const;
  absl::StatusOr<std::string_view> Find(uint32_t tag, uint32_t elem_size,
                                        int64_t count) const;
  template <typename T>
  absl::StatusOr<absl::Span<const T>> View(uint32_t tag, int64_t count) const {
    auto s = Find(tag, sizeof(T), count);
    if (!s.ok()) return s.status();
    return absl::Span<const T>(reinterpret_cast<const T*>(s->data()),
                               s->size() / sizeof(T));
  }

  std::shared_ptr<const char> data_;
  int64_t size_ = 0;
  bool mapped_ = false;
  bool paged_ = false;  // data_ is anonymous memory of its own (KeepOnly)
  uint32_t format_version_ = 0;
  std::string library_version_;
  std::string kind_;
  std::vector<Entry> entries_;
};

// Fills `map` from `ids`, external ids in dense order, as a snapshot stores an
// id map (users, items, categories; the graph's and the kept events'); each
// must be >= 0 and appear once, else kDataLoss naming `what` and the id.
absl::Status FillIdMap(absl::Span<const int64_t> ids, absl::string_view what,
                       IdMap* map);

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_IO_SNAPSHOT_FILE_H_
