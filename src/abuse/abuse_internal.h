// Abuse detection over the graph's storage, shared by DetectAbuse() and
// GraphBuilder::Build() (BuildOptions::abuse), which has the staged events at
// hand and so finds lockstep without keeping them.
#ifndef INVITEGRAPH_ABUSE_ABUSE_INTERNAL_H_
#define INVITEGRAPH_ABUSE_ABUSE_INTERNAL_H_

#include <vector>

#include "invitegraph/abuse.h"
#include "invitegraph/types.h"

namespace invitegraph::internal {

struct GraphData;
struct StagedEvents;

// One assist event over NodeIds.
struct AssistEvent {
  NodeId dst;
  Timestamp ts;
  NodeId src;
};

// The assist rows of staged events, over the NodeIds of `d` (a graph built
// from them: its ids are the staged ones renumbered).
std::vector<AssistEvent> KeptAssists(const StagedEvents& s, const GraphData& d);

// The report for `d`; `events` (reordered) enables lockstep, null skips it.
// `options` must be valid.
AbuseReport DetectAbuseOn(const GraphData& d, const AbuseOptions& options,
                          std::vector<AssistEvent>* events);

// Copies the report's scores into `d` (suspicion, reputation, evidence).
// The report must have been computed on `d`.
void AttachAbuse(GraphData& d, const AbuseReport& report);

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_ABUSE_ABUSE_INTERNAL_H_
