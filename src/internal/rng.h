// Deterministic per-work-item random numbers: Rng(seed, item) gives the same
// stream for the same pair whatever thread runs it (SplitMix64 seeding a
// xoshiro256** generator, after Blackman and Vigna, https://prng.di.unimi.it/).
#ifndef INVITEGRAPH_INTERNAL_RNG_H_
#define INVITEGRAPH_INTERNAL_RNG_H_

#include <cmath>
#include <cstdint>

namespace invitegraph::internal {

inline uint64_t SplitMix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

class Rng {
 public:
  Rng(uint64_t seed, uint64_t item) {
    uint64_t x = seed * 0x9e3779b97f4a7c15ULL ^ (item + 0x632be59bd9b4e019ULL);
    for (uint64_t& s : s_) s = SplitMix64(x);
  }
  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Uniform integer in [0, n), n > 0 (Lemire's multiply-shift; bias < n /
  // 2^64).
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >>
                                 64);
  }
  double Exponential() { return -std::log1p(-Uniform()); }
  double Normal() {
    const double u1 = 1.0 - Uniform(), u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_INTERNAL_RNG_H_
