// Reading and tampering with the sections of snapshot bytes in tests, as a
// writer with a bug would have written them (the layout is io/snapshot_file.h:
// a 56-byte header whose bytes 8..12 hold the format version and 40..48 count
// the sections, then a table of 32-byte entries {fourcc tag, element size,
// offset, size, checksum of the payload} sealed by the XXH3 of the table).
// The checksums are computed here from the format's definition, not by the
// library's code, so the tests pin the format.
//
//   std::string bad = Tampered<float>(bytes, "JRAT",
//                                     [](auto& v) { v[0] = NAN; });
#ifndef INVITEGRAPH_TESTS_TESTING_SNAPSHOT_BYTES_H_
#define INVITEGRAPH_TESTS_TESTING_SNAPSHOT_BYTES_H_

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Header-only xxHash, as the library's snapshot code uses it.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace invitegraph::testing {

// A payload's checksum in format `version`: 1, the XXH3-64 of the payload;
// 2, the XXH3-64 of the XXH3-64s of its 1 MiB blocks.
inline uint64_t PayloadChecksum(const char* p, uint64_t size,
                                uint32_t version) {
  if (version == 1) return XXH3_64bits(p, size);
  constexpr uint64_t kBlock = uint64_t{1} << 20;
  std::vector<uint64_t> blocks;
  for (uint64_t at = 0; at < size; at += kBlock) {
    blocks.push_back(XXH3_64bits(p + at, std::min(kBlock, size - at)));
  }
  return XXH3_64bits(blocks.data(), blocks.size() * sizeof(uint64_t));
}

// The format version of snapshot `bytes`.
inline uint32_t FormatVersion(const std::string& bytes) {
  uint32_t version;
  std::memcpy(&version, bytes.data() + 8, 4);
  return version;
}

// Where the payload of section `tag` lies: {offset, size} (FAILs if there is
// none).
inline std::pair<uint64_t, uint64_t> SectionRange(const std::string& bytes,
                                                  std::string_view tag) {
  REQUIRE(tag.size() == 4);
  uint64_t num;
  std::memcpy(&num, bytes.data() + 40, 8);
  for (uint64_t i = 0; i < num; ++i) {
    const char* e = bytes.data() + 56 + i * 32;
    if (std::memcmp(e, tag.data(), 4) != 0) continue;
    uint64_t offset, size;
    std::memcpy(&offset, e + 8, 8);
    std::memcpy(&size, e + 16, 8);
    return {offset, size};
  }
  FAIL("no section " << tag);
  return {};
}

// The payload of section `tag` as an array of T (FAILs if there is none).
template <typename T>
std::vector<T> Section(const std::string& bytes, std::string_view tag) {
  REQUIRE(tag.size() == 4);
  uint64_t num;
  std::memcpy(&num, bytes.data() + 40, 8);
  for (uint64_t i = 0; i < num; ++i) {
    const char* e = bytes.data() + 56 + i * 32;
    if (std::memcmp(e, tag.data(), 4) != 0) continue;
    uint64_t offset, size;
    std::memcpy(&offset, e + 8, 8);
    std::memcpy(&size, e + 16, 8);
    std::vector<T> values(size / sizeof(T));
    std::memcpy(values.data(), bytes.data() + offset, size);
    return values;
  }
  FAIL("no section " << tag);
  return {};
}

// `bytes` with the payload of section `tag` rewritten by `edit` (called with
// a std::vector<T>&) and the payload and section-table checksums resealed.
template <typename T, typename Edit>
std::string Tampered(std::string bytes, std::string_view tag, Edit edit) {
  REQUIRE(tag.size() == 4);
  uint64_t num;
  std::memcpy(&num, bytes.data() + 40, 8);
  bool found = false;
  for (uint64_t i = 0; i < num; ++i) {
    char* e = bytes.data() + 56 + i * 32;
    if (std::memcmp(e, tag.data(), 4) != 0) continue;
    found = true;
    uint64_t offset, size;
    std::memcpy(&offset, e + 8, 8);
    std::memcpy(&size, e + 16, 8);
    std::vector<T> values(size / sizeof(T));
    std::memcpy(values.data(), bytes.data() + offset, size);
    edit(values);
    std::memcpy(bytes.data() + offset, values.data(), size);
    const uint64_t sum =
        PayloadChecksum(bytes.data() + offset, size, FormatVersion(bytes));
    std::memcpy(e + 24, &sum, 8);
  }
  REQUIRE(found);
  const uint64_t sum = XXH3_64bits(bytes.data() + 56, num * 32);
  std::memcpy(bytes.data() + 56 + num * 32, &sum, 8);
  return bytes;
}

}  // namespace invitegraph::testing

#endif  // INVITEGRAPH_TESTS_TESTING_SNAPSHOT_BYTES_H_
