#include "feedback/state_event.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "internal/bytes.h"

namespace invitegraph::internal {

namespace {

constexpr size_t kHead = 1 + 8 + 4;

}  // namespace

void AppendEventBytes(const StateEvent& e, std::string* out) {
  const bool rows = e.kind == StateEvent::Kind::kOutcomes;
  out->reserve(out->size() + kHead + e.users.size() * (rows ? 17 : 8));
  AppendBytesOf(static_cast<uint8_t>(e.kind), out);
  AppendBytesOf<int64_t>(e.clock, out);
  AppendBytesOf(static_cast<uint32_t>(e.users.size()), out);
  for (size_t i = 0; i < e.users.size(); ++i) {
    AppendBytesOf<int64_t>(e.users[i], out);
    if (rows) {
      AppendBytesOf<int64_t>(e.ts[i], out);
      AppendBytesOf(static_cast<uint8_t>(e.outcomes[i]), out);
    }
  }
}

absl::StatusOr<StateEvent> ParseEventBytes(std::string_view bytes) {
  if (bytes.size() < kHead) {
    return absl::DataLossError(absl::StrCat("state event: ", bytes.size(),
                                            " bytes, shorter than its ", kHead,
                                            "-byte head"));
  }
  StateEvent e;
  const uint8_t kind = LoadBytesAt<uint8_t>(bytes.data());
  if (kind != 1 && kind != 2) {
    return absl::DataLossError(
        absl::StrCat("state event: unknown kind ", kind));
  }
  e.kind = static_cast<StateEvent::Kind>(kind);
  e.clock = LoadBytesAt<int64_t>(bytes.data() + 1);
  const uint32_t n = LoadBytesAt<uint32_t>(bytes.data() + 9);
  const bool rows = e.kind == StateEvent::Kind::kOutcomes;
  const uint64_t row_bytes = rows ? 17 : 8;
  if (bytes.size() - kHead != n * row_bytes) {
    return absl::DataLossError(absl::StrCat("state event: ", n, " rows need ",
                                            n * row_bytes, " bytes, found ",
                                            bytes.size() - kHead));
  }
  e.users.resize(n);
  if (rows) {
    e.ts.resize(n);
    e.outcomes.resize(n);
  }
  const char* p = bytes.data() + kHead;
  for (uint32_t i = 0; i < n; ++i, p += row_bytes) {
    e.users[i] = LoadBytesAt<int64_t>(p);
    if (!rows) continue;
    e.ts[i] = LoadBytesAt<int64_t>(p + 8);
    const uint8_t o = LoadBytesAt<uint8_t>(p + 16);
    if (o >= kNumOutcomes) {
      return absl::DataLossError(
          absl::StrCat("state event: row ", i, " has unknown outcome ", o));
    }
    e.outcomes[i] = static_cast<Outcome>(o);
  }
  return e;
}

}  // namespace invitegraph::internal
