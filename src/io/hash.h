// XXH3-64, the hash of snapshot checksums (snapshot_file.h), at the speed of
// the machine it runs on: with AVX2 where the CPU has it (chosen at run time;
// the values are the same either way, by xxHash's definition), SSE2
// otherwise. Checksumming a gigabyte is ~0.1 s with SSE2 and about half that
// with AVX2.
#ifndef INVITEGRAPH_IO_HASH_H_
#define INVITEGRAPH_IO_HASH_H_

#include <cstddef>
#include <cstdint>

namespace invitegraph::internal {

uint64_t Xxh3(const void* data, size_t size);

// Xxh3 compiled for AVX2 (hash_avx2.cc, built with -mavx2 on x86-64; the
// portable code elsewhere). Call only through Xxh3, which checks the CPU.
uint64_t Xxh3Avx2(const void* data, size_t size);

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_IO_HASH_H_
