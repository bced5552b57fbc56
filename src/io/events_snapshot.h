// The kept events of a graph (BuildOptions::keep_events, StagedEvents) as
// optional sections of its snapshot, so that a saved, loaded, pickled or
// unpickled graph can still build training sets (BuildTrainingSet rebuilds it
// from them) and detect abuse from its assists.
//
// Sections (tags start with 'E'; all optional as a group: a file without EMET
// holds no events and loads as a graph without them):
//   EMET  JSON: counts, max_ts, duplicate counts, profile columns (name, type,
//         dictionary, rows) and the abuse options the graph's scores were
//         computed with (training rebuilds recompute them the same way)
//   EUSR, EITM  int64 external ids of the staged users / items, in staged
//         (dense) order; EICT  int64 category of each staged item
//   EFRS, EFRD  friendships; EIS_, EID_, EIK_, EIT_ (+ EIKY keys) the
//   interactions; EPU_, EPI_, EPT_, EPC_ (+ EPKY) the purchases; ECI_, ECM_,
//   ECT_, ECC_, ECJO/ECJ_ (joined), ECH_/ECVO/ECV_ (invited) (+ ECKY) the
//   campaigns; EAPR, EACD, EANM, EATO, EATC, EATG the staged profile columns.
// Everything is checked on load (ids in range, offsets, kinds, timestamps,
// keys, dictionaries, tag rows), so a damaged file is kDataLoss, never a
// StagedEvents that breaks a later rebuild.
#ifndef INVITEGRAPH_IO_EVENTS_SNAPSHOT_H_
#define INVITEGRAPH_IO_EVENTS_SNAPSHOT_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ingest/staged_events.h"
#include "invitegraph/abuse.h"
#include "io/snapshot_file.h"

namespace invitegraph::internal {

// The events laid out for their sections; owns what the writer points into,
// so it must outlive the writer's ToBytes()/WriteFile().
class EventSections {
 public:
  EventSections(const StagedEvents& s,
                const std::optional<AbuseOptions>& abuse_options);
  void AddTo(SnapshotWriter& w) const;

 private:
  const StagedEvents& s_;
  std::string meta_;
  std::vector<int32_t> codes_, tag_codes_;
  std::vector<double> numbers_;
  std::vector<uint64_t> tag_offsets_;
  std::vector<uint8_t> tags_given_;
};

struct LoadedEvents {
  std::shared_ptr<const StagedEvents> events;  // null: the file has none
  std::optional<AbuseOptions> abuse_options;
};

// The events of a snapshot, if it has them; `num_users` and `as_of` are the
// graph's (the events must name exactly as many users, none after as_of).
// kDataLoss naming the section and row on anything inconsistent.
absl::StatusOr<LoadedEvents> LoadEventSections(const SnapshotReader& r,
                                               int64_t num_users,
                                               Timestamp as_of);

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_IO_EVENTS_SNAPSHOT_H_
