// What a built graph keeps of its ingestion: the keys of every applied row
// (idempotent ingestion, event_key.h) and, when asked, the staged events
// themselves. Owned by the ingest layer; the graph only carries it.
#ifndef INVITEGRAPH_INGEST_INGEST_RECORD_H_
#define INVITEGRAPH_INGEST_INGEST_RECORD_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ingest/event_key.h"

namespace invitegraph::internal {

struct StagedEvents;

struct IngestRecord {
  // Keys of every row applied to this graph (and to the graphs it was updated
  // from), per table, sorted and unique; all empty when no row had a key.
  // Update() skips staged rows found here; Forget() keeps them.
  struct AppliedKeys {
    std::vector<EventKey> interactions, purchases, campaigns;
    bool empty() const {
      return interactions.empty() && purchases.empty() && campaigns.empty();
    }
    int64_t size() const {
      return static_cast<int64_t>(interactions.size() + purchases.size() +
                                  campaigns.size());
    }
  };
  AppliedKeys applied_keys;

  // The events the graph was built from, when built with keep_events (and
  // kept through a snapshot, SnapshotOptions::events).
  std::shared_ptr<const StagedEvents> events;
  // Without events after a snapshot load: why, for the error of
  // BuildTrainingSet (empty for a graph built without keep_events).
  std::string no_events_reason;
};

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_INGEST_INGEST_RECORD_H_
