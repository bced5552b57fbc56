// Fixed-width values in byte strings, in host byte order (the file formats
// that use these -- snapshots, journals, state events -- are written and
// read on little-endian hosts only; snapshot_file.h checks the byte order).
#ifndef INVITEGRAPH_INTERNAL_BYTES_H_
#define INVITEGRAPH_INTERNAL_BYTES_H_

#include <cstring>
#include <string>
#include <type_traits>

namespace invitegraph::internal {

// Appends the bytes of `v` to `out`.
template <typename T>
void AppendBytesOf(T v, std::string* out) {
  static_assert(std::is_trivially_copyable_v<T>);
  out->append(reinterpret_cast<const char*>(&v), sizeof(T));
}

// The T whose bytes start at `p` (any alignment).
template <typename T>
T LoadBytesAt(const char* p) {
  static_assert(std::is_trivially_copyable_v<T>);
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_INTERNAL_BYTES_H_
