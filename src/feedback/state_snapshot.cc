// State snapshots: the recorded outcomes by user id, in the snapshot container
// (snapshot_file.h). Recommender::SaveState() and friends call these.
#include "feedback/state_snapshot.h"

#include <mutex>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "feedback/recipient_state.h"
#include "invitegraph/status.h"
#include "io/snapshot_file.h"

namespace invitegraph::internal {

namespace {

constexpr std::string_view kStateKind = "state";
constexpr uint32_t kMeta = Tag("META");         // JSON: {"now": ts}
constexpr uint32_t kUsers = Tag("RUSR");        // int64, strictly increasing
constexpr uint32_t kRecords = Tag("RREC");      // RecipientRecord per user
constexpr uint32_t kSendUsers = Tag("SUSR");    // int64, strictly increasing
constexpr uint32_t kSendOffsets = Tag("SOFF");  // int64, |SUSR| + 1
constexpr uint32_t kSendTimes = Tag("STS_");    // int64
static_assert(sizeof(RecipientRecord) == 24, "no padding in the record");

absl::Status Bad(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("state snapshot: ", what));
}

SnapshotWriter WriterFor(const PortableRecipientState& p,
                         const std::string& meta) {
  SnapshotWriter w(kStateKind);
  w.AddBytes(kMeta, meta);
  w.Add<int64_t>(kUsers, p.users);
  w.Add<RecipientRecord>(kRecords, p.records);
  w.Add<int64_t>(kSendUsers, p.send_users);
  w.Add<int64_t>(kSendOffsets, p.send_offsets);
  w.Add<int64_t>(kSendTimes, p.send_ts);
  return w;
}

absl::Status CheckIncreasing(absl::Span<const int64_t> ids,
                             absl::string_view what) {
  for (size_t i = 1; i < ids.size(); ++i) {
    if (ids[i] <= ids[i - 1]) {
      return Bad(absl::StrCat(what, " are not strictly increasing at #", i));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<PortableRecipientState> StateFrom(const SnapshotReader& r) {
  if (r.kind() != kStateKind) {
    return absl::InvalidArgumentError(absl::StrCat(
        "snapshot: holds a '", std::string(r.kind()), "', not a state"));
  }
  PortableRecipientState p;
  INVITEGRAPH_ASSIGN_OR_RETURN(std::string_view meta, r.GetBytes(kMeta));
  try {
    p.now = nlohmann::json::parse(meta.begin(), meta.end())
                .at("now")
                .get<Timestamp>();
  } catch (const nlohmann::json::exception& e) {
    return Bad(absl::StrCat("META section: ", e.what()));
  }
  INVITEGRAPH_ASSIGN_OR_RETURN(auto users, r.Get<int64_t>(kUsers));
  INVITEGRAPH_ASSIGN_OR_RETURN(auto records,
                               r.Get<RecipientRecord>(kRecords, users.size()));
  INVITEGRAPH_ASSIGN_OR_RETURN(auto send_users, r.Get<int64_t>(kSendUsers));
  INVITEGRAPH_ASSIGN_OR_RETURN(
      auto offsets, r.Get<int64_t>(kSendOffsets, send_users.size() + 1));
  INVITEGRAPH_ASSIGN_OR_RETURN(auto times, r.Get<int64_t>(kSendTimes));
  INVITEGRAPH_RETURN_IF_ERROR(CheckIncreasing(users, "user ids"));
  INVITEGRAPH_RETURN_IF_ERROR(CheckIncreasing(send_users, "send user ids"));
  // The record's one floating-point field: decayed invites, finite, >= 0.
  for (size_t i = 0; i < records.size(); ++i) {
    if (!InFloatDomain(records[i].fatigue, FloatDomain::kNonNegative)) {
      return CheckFloat(absl::StrCat(TagName(kRecords), "[", i,
                                     "].fatigue (user ", users[i], ")"),
                        records[i].fatigue, FloatDomain::kNonNegative);
    }
  }
  if (offsets.front() != 0 ||
      offsets.back() != static_cast<int64_t>(times.size())) {
    return Bad("send offsets do not span the send times");
  }
  for (size_t i = 0; i + 1 < offsets.size(); ++i) {
    if (offsets[i + 1] < offsets[i]) {
      return Bad(absl::StrCat("send offsets decrease at #", i));
    }
  }
  p.users.assign(users.begin(), users.end());
  p.records.assign(records.begin(), records.end());
  p.send_users.assign(send_users.begin(), send_users.end());
  p.send_offsets.assign(offsets.begin(), offsets.end());
  p.send_ts.assign(times.begin(), times.end());
  return p;
}

std::string MetaOf(const PortableRecipientState& p) {
  return nlohmann::json{{"now", p.now}}.dump();
}

}  // namespace

absl::StatusOr<int64_t> WriteStateFile(const PortableRecipientState& p,
                                       const std::string& path) {
  const std::string meta = MetaOf(p);
  return WriterFor(p, meta).WriteFile(path);
}

std::string StateBytes(const PortableRecipientState& p) {
  const std::string meta = MetaOf(p);
  return WriterFor(p, meta).ToBytes();
}

absl::StatusOr<PortableRecipientState> ReadStateFile(const std::string& path) {
  INVITEGRAPH_ASSIGN_OR_RETURN(SnapshotReader r,
                               SnapshotReader::ReadFile(path));
  auto p = StateFrom(r);
  if (!p.ok()) {
    return absl::Status(p.status().code(),
                        absl::StrCat(p.status().message(), " (", path, ")"));
  }
  return p;
}

absl::StatusOr<PortableRecipientState> ParseStateBytes(std::string_view bytes) {
  INVITEGRAPH_ASSIGN_OR_RETURN(SnapshotReader r,
                               SnapshotReader::FromBytes(bytes));
  return StateFrom(r);
}

}  // namespace invitegraph::internal
