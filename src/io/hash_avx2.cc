// Built with -mavx2 on x86-64 (src/CMakeLists.txt). Only xxHash is compiled
// here, all of it static (XXH_INLINE_ALL), so no AVX2 code can leak into a
// function another file links to; Xxh3 (hash.cc) calls this only on a CPU
// with AVX2.
#include "io/hash.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace invitegraph::internal {

uint64_t Xxh3Avx2(const void* data, size_t size) {
  return XXH3_64bits(data, size);
}

}  // namespace invitegraph::internal
