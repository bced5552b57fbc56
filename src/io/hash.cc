#include "io/hash.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace invitegraph::internal {

namespace {

bool HasAvx2() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  static const bool avx2 = __builtin_cpu_supports("avx2");
  return avx2;
#else
  return false;
#endif
}

}  // namespace

uint64_t Xxh3(const void* data, size_t size) {
  // Short inputs (headers, tables, block lists) gain nothing from AVX2.
  if (size >= 1024 && HasAvx2()) return Xxh3Avx2(data, size);
  return XXH3_64bits(data, size);
}

}  // namespace invitegraph::internal
