// File: state.h
// Where a Recommender keeps recipient protection state (caps' send times,
// fatigue, accept-rate counts): RecommenderConfig::state, one spec string.
//
//   "memory"                 this process only; gone when it exits (the
//                            default: tests, notebooks, batch jobs)
//   "journal:DIR"            durable and embedded, one process: an
//                            append-only, checksummed log in DIR, replayed on
//                            open and compacted into a state snapshot in the
//                            background
//   "redis://HOST:PORT[/DB]" shared by every process (and machine) that names
//                            the same server, database and prefix
//
// Options follow a '?' as key=value pairs joined by '&':
//
//   journal:DIR?sync=always  (default) a grant or outcome is on disk
//                            (fdatasync) before the call returns; concurrent
//                            calls share one fdatasync
//   journal:DIR?sync=group&group_ms=10
//                            calls return once the record is written to the
//                            file (the OS has it), and a background thread
//                            fdatasyncs every group_ms (1..1000, default 10):
//                            a killed process loses nothing, a power loss or
//                            kernel crash up to the last group_ms of
//                            acknowledged writes
//   journal:DIR?compact_bytes=N
//                            compact when the log passes N bytes (default
//                            64 MiB, >= 4096)
//   redis://...?prefix=P     key prefix (default "ig:"), so several shops can
//                            share one server
//   redis://...?timeout_ms=N connect and command timeout (default 1000)
//   redis://...?compact_events=N
//                            when the shared log passes N entries (default
//                            100000, >= 10), one process writes a state
//                            snapshot to the server and trims the log below
//                            it
//
// docs/state.md has the semantics of each backend, what survives what, and
// the figures of benchmarks/state_benchmark.
#ifndef INVITEGRAPH_STATE_H_
#define INVITEGRAPH_STATE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace invitegraph {

// kInvalidArgument naming `field` and what is wrong when `spec` is not a
// state spec as above (nothing is opened or connected).
absl::Status ValidateStateSpec(std::string_view spec,
                               std::string_view field = "state");

// What a Recommender's state store has done (Recommender::StateInfo()).
struct StateStoreInfo {
  std::string backend;  // "memory", "journal" or "redis"
  // Journal: events replayed when the store was opened, and the corrupted
  // or torn records dropped from the end of a log then (also written to
  // stderr), with their bytes.
  int64_t replayed_events = 0;
  int64_t dropped_records = 0;
  int64_t dropped_bytes = 0;
  // Journal: bytes in the current log, and compactions done so far.
  int64_t log_bytes = 0;
  int64_t compactions = 0;
  // Redis: events applied from the shared log (this process's and others'),
  // and the largest delay observed between an event's append on the server
  // and its arrival here by the follower (milliseconds; the staleness bound
  // of features fed by other processes' sends).
  int64_t followed_events = 0;
  int64_t max_follow_lag_ms = 0;
  // Redis: whether the last command reached the server.
  bool connected = true;
};

}  // namespace invitegraph

#endif  // INVITEGRAPH_STATE_H_
