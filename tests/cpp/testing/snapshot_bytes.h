// Reading and tampering with the sections of snapshot bytes in tests, as a
// writer with a bug would have written them (the layout is io/snapshot_file.h:
// a 56-byte header whose bytes 40..48 count the sections, then a table of
// 32-byte entries {fourcc tag, offset, size, XXH3 of the payload} sealed by
// the XXH3 of the table).
//
//   std::string bad = Tampered<float>(bytes, "JRAT",
//                                     [](auto& v) { v[0] = NAN; });
#ifndef INVITEGRAPH_TESTS_TESTING_SNAPSHOT_BYTES_H_
#define INVITEGRAPH_TESTS_TESTING_SNAPSHOT_BYTES_H_

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

// Header-only xxHash, as the library's snapshot code uses it.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace invitegraph::testing {

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
    const uint64_t sum = XXH3_64bits(bytes.data() + offset, size);
    std::memcpy(e + 24, &sum, 8);
  }
  REQUIRE(found);
  const uint64_t sum = XXH3_64bits(bytes.data() + 56, num * 32);
  std::memcpy(bytes.data() + 56 + num * 32, &sum, 8);
  return bytes;
}

}  // namespace invitegraph::testing

#endif  // INVITEGRAPH_TESTS_TESTING_SNAPSHOT_BYTES_H_
