#include "feedback/journal.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "internal/bytes.h"
#include "io/hash.h"

namespace invitegraph::internal {

std::string JournalHead() {
  std::string h(kJournalMagic);
  AppendBytesOf<uint32_t>(kJournalVersion, &h);
  AppendBytesOf<uint32_t>(0, &h);
  return h;
}

void AppendJournalRecord(const StateEvent& e, std::string* out) {
  const size_t at = out->size();
  out->append(kJournalFrameBytes, '\0');
  AppendEventBytes(e, out);
  const size_t n = out->size() - at - kJournalFrameBytes;
  const uint32_t n32 = static_cast<uint32_t>(n);
  const uint64_t sum = Xxh3(out->data() + at + kJournalFrameBytes, n);
  std::memcpy(out->data() + at, &n32, 4);
  std::memcpy(out->data() + at + 4, &sum, 8);
}

absl::StatusOr<JournalScan> ScanJournal(
    std::string_view bytes,
    absl::FunctionRef<absl::Status(const StateEvent&)> on_event) {
  JournalScan scan;
  if (bytes.size() < kJournalHeadBytes) {
    // Torn while being created: nothing was ever appended after it.
    scan.dropped_bytes = static_cast<int64_t>(bytes.size());
    if (!bytes.empty()) {
      scan.dropped_records = 1;
      scan.first_problem = "the head is torn";
    }
    return scan;
  }
  if (bytes.substr(0, kJournalMagic.size()) != kJournalMagic) {
    return absl::DataLossError("not an invitegraph journal (bad magic)");
  }
  const uint32_t version = LoadBytesAt<uint32_t>(bytes.data() + 8);
  if (version != kJournalVersion) {
    return absl::DataLossError(absl::StrCat(
        "journal version ", version, " is not supported (this build reads ",
        kJournalVersion, ")"));
  }
  size_t at = kJournalHeadBytes;
  while (at < bytes.size()) {
    const size_t left = bytes.size() - at;
    std::string problem;
    if (left < kJournalFrameBytes) {
      problem = absl::StrCat("a torn record frame of ", left, " bytes");
    } else {
      const uint32_t n = LoadBytesAt<uint32_t>(bytes.data() + at);
      const uint64_t sum = LoadBytesAt<uint64_t>(bytes.data() + at + 4);
      const std::string_view payload =
          n <= left - kJournalFrameBytes
              ? bytes.substr(at + kJournalFrameBytes, n)
              : std::string_view();
      if (n > kJournalMaxPayload || n > left - kJournalFrameBytes) {
        problem = absl::StrCat("a record of ", n, " bytes with ",
                               left - kJournalFrameBytes, " left");
      } else if (Xxh3(payload.data(), payload.size()) != sum) {
        problem = "a record whose checksum does not match";
      } else {
        absl::StatusOr<StateEvent> e = ParseEventBytes(payload);
        if (!e.ok()) {
          problem = std::string(e.status().message());
        } else {
          const absl::Status s = on_event(*e);
          if (!s.ok()) return s;
          ++scan.events;
          at += kJournalFrameBytes + n;
          continue;
        }
      }
    }
    // The tail from `at` is dropped; count the records its lengths delimit.
    scan.first_problem = absl::StrCat(problem, " at offset ", at);
    scan.dropped_bytes = static_cast<int64_t>(left);
    for (size_t p = at; p < bytes.size();) {
      ++scan.dropped_records;
      if (bytes.size() - p < kJournalFrameBytes) break;
      const uint64_t n = LoadBytesAt<uint32_t>(bytes.data() + p);
      p += kJournalFrameBytes + n;
    }
    break;
  }
  scan.good_bytes = static_cast<int64_t>(at);
  return scan;
}

}  // namespace invitegraph::internal
