// Keys of idempotent ingestion (GraphConfig::dedupe, the event_id columns).
//
// Every staged row of interactions, purchases and campaigns may carry one
// 128-bit key; a row whose key was already applied to its table is skipped.
// Keys come in two kinds that can never be equal:
//   - an event id:   hi = kIdKeyHi (1), lo = the id's two's-complement bits;
//   - a fingerprint: hi has its top bit set; the other 127 bits are a stable
//     hash of the row's validated values (RowFingerprint below).
// kNoKey ({0, 0}) marks a row without a key.
//
// The fingerprint is written here rather than taken from absl::Hash because
// keys are saved in snapshots and compared across processes, machines and
// library versions: absl::Hash is salted per process. It hashes 64-bit words
// (values, not bytes, so it is the same on any byte order) with two chained
// lanes of different bijective 64-bit finalisers (MurmurHash3's fmix64 and
// Stafford's Mix13), each word also mixed with its position, then folds the
// word count in. It is not cryptographic: someone who wants two different
// rows to collide can make them. For rows that are not crafted, treating the
// 127 free bits as uniform, the chance that any two of n distinct rows of one
// table collide is about n^2 / 2^128: below 3e-21 for a billion rows. A
// collision would drop the later row as a duplicate.
#ifndef INVITEGRAPH_INGEST_EVENT_KEY_H_
#define INVITEGRAPH_INGEST_EVENT_KEY_H_

#include <cstdint>
#include <cstring>
#include <tuple>
#include <utility>

#include "absl/types/span.h"

namespace invitegraph::internal {

struct EventKey {
  uint64_t hi = 0;
  uint64_t lo = 0;

  friend bool operator==(const EventKey& a, const EventKey& b) {
    return a.hi == b.hi && a.lo == b.lo;
  }
  friend bool operator!=(const EventKey& a, const EventKey& b) {
    return !(a == b);
  }
  friend bool operator<(const EventKey& a, const EventKey& b) {
    return std::tie(a.hi, a.lo) < std::tie(b.hi, b.lo);
  }
  // For absl::flat_hash_set (in-process only; never saved).
  template <typename H>
  friend H AbslHashValue(H h, const EventKey& k) {
    return H::combine(std::move(h), k.hi, k.lo);
  }
};
static_assert(sizeof(EventKey) == 16);

inline constexpr EventKey kNoKey{0, 0};
inline constexpr uint64_t kIdKeyHi = 1;
inline constexpr uint64_t kFingerprintBit = uint64_t{1} << 63;

inline EventKey IdKey(int64_t id) {
  return EventKey{kIdKeyHi, static_cast<uint64_t>(id)};
}
inline bool IsIdKey(const EventKey& k) { return k.hi == kIdKeyHi; }
inline bool IsFingerprint(const EventKey& k) {
  return (k.hi & kFingerprintBit) != 0;
}

// Streams 64-bit words into a 128-bit fingerprint (see the file comment).
class Fingerprinter {
 public:
  // `domain` separates tables (and format revisions of a table's words).
  explicit Fingerprinter(uint64_t domain) { Add(domain); }

  void Add(uint64_t w) {
    ++n_;
    a_ = Fmix64(a_ ^ (w + n_ * 0x9e3779b97f4a7c15ULL));
    b_ = Mix13(b_ + Rotl(w, 29) + n_ * 0xd6e8feb86659fd93ULL);
  }
  void AddSigned(int64_t v) { Add(static_cast<uint64_t>(v)); }
  // A finite double by its bits, with -0.0 read as 0.0.
  void AddDouble(double v) {
    if (v == 0) v = 0;
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    Add(bits);
  }
  // A list: its length, then its values (order matters).
  void AddList(absl::Span<const int64_t> values) {
    Add(values.size());
    for (int64_t v : values) AddSigned(v);
  }

  EventKey Finish() const {
    const uint64_t a = Fmix64(a_ ^ Rotl(b_, 17) ^ n_);
    const uint64_t b = Mix13(b_ ^ a_ ^ (n_ << 32));
    return EventKey{a | kFingerprintBit, b};
  }

 private:
  static uint64_t Rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
  static uint64_t Fmix64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
  }
  static uint64_t Mix13(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
  }

  uint64_t a_ = 0x243f6a8885a308d3ULL;  // digits of pi
  uint64_t b_ = 0x13198a2e03707344ULL;
  uint64_t n_ = 0;
};

// Domains of the three keyed tables.
inline constexpr uint64_t kInteractionDomain = 0x49474b494e540001ULL;
inline constexpr uint64_t kPurchaseDomain = 0x49474b5055520001ULL;
inline constexpr uint64_t kCampaignDomain = 0x49474b43414d0001ULL;

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_INGEST_EVENT_KEY_H_
