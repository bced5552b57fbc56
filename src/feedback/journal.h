// The journal's log file format (RecommenderConfig::state = "journal:DIR").
//
//   head    "IGJOURNL", u32 version (1), u32 zero               16 bytes
//   record  u32 n, u64 XXH3-64 of the payload, payload (n bytes) 12 + n
//
// Little-endian; the payload is one state event (state_event.h). A record
// is appended with one write(2) and the log only grows, so a crash can leave
// at most a torn last record; a reader keeps the records before the first
// one whose length runs past the end, whose checksum fails, or whose payload
// does not parse, and drops the rest as a corrupted tail.
#ifndef INVITEGRAPH_FEEDBACK_JOURNAL_H_
#define INVITEGRAPH_FEEDBACK_JOURNAL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "feedback/state_event.h"

namespace invitegraph::internal {

inline constexpr std::string_view kJournalMagic = "IGJOURNL";
inline constexpr uint32_t kJournalVersion = 1;
inline constexpr size_t kJournalHeadBytes = 16;
inline constexpr size_t kJournalFrameBytes = 12;
// A record's payload is at most this long; a longer length is corruption.
inline constexpr uint32_t kJournalMaxPayload = 1u << 30;

std::string JournalHead();
// One record framing `e`, appended to `out`.
void AppendJournalRecord(const StateEvent& e, std::string* out);

struct JournalScan {
  int64_t events = 0;           // records kept
  int64_t good_bytes = 0;       // the head and the records kept
  int64_t dropped_bytes = 0;    // the corrupted tail
  int64_t dropped_records = 0;  // in it, as far as their lengths delimit them
  std::string first_problem;    // what was wrong where the tail starts
};

// Reads a whole log, calling `on_event` for each record kept, in order. A
// log shorter than its head (torn while being created) is empty with its
// bytes dropped. kDataLoss if the head is not a journal's or names a later
// version; an error from `on_event` stops the scan and is returned.
absl::StatusOr<JournalScan> ScanJournal(
    std::string_view bytes,
    absl::FunctionRef<absl::Status(const StateEvent&)> on_event);

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_FEEDBACK_JOURNAL_H_
