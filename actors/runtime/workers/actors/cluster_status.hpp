#pragma once

// cluster_status: what an operator asks of a running cluster -- each
// worker's address, object count, stored bytes, message and byte counters,
// and the tail of its audit log -- gathered with the ordinary client
// protocol (connect, stats, audit), so it needs no privileged access.
//
// Design note: one worker that cannot be reached (its node down, a TLS
// mismatch, a wrong name) is a row with its error, never a failure of the
// whole report; every wait is bounded by the client's timeout, so a report
// of n workers takes at most about n timeouts. Invariants:
//   S1 One row per entry of the cluster list, in its order.
//   S2 A row has either an error or every field; the audit tail holds the
//      last `tail` entries the worker retained, oldest first.
//
// Example (apps/status):
//   runtime rt{cfg};                                // --config-file=...
//   auto rows = cluster_status(rt, 3);
//   std::cout << render_status(rows);
//   //  worker  address          objects  stored   messages  in  out  audit
//   //  bob     127.0.0.1:27101  2        24 B     17        24 B 0 B  0

#include <string>
#include <vector>

#include <caf/error.hpp>

#include "workers/actors/runtime.hpp"
#include "workers/audit_log.hpp"
#include "workers/protocol.hpp"

namespace workers {

struct worker_status {
  std::string name;
  /// host:port of its node, from the cluster list.
  std::string address;
  /// Why the worker could not be asked; empty if the other fields hold.
  caf::error error;
  worker_stats stats;
  /// Entries the worker's audit log retains, and the last few of them.
  uint64_t audit_entries = 0;
  std::vector<audit_entry> audit_tail;
};

/// The status of every worker `rt`'s cluster list names (S1, S2), with the
/// last `tail` audit entries each. Called by apps/status; never fails (an
/// empty list gives no rows).
std::vector<worker_status> cluster_status(runtime& rt, size_t tail);

/// A table of `rows`, one line per worker, and under each the audit tail
/// indented, or the error. Called by apps/status; never fails.
std::string render_status(const std::vector<worker_status>& rows);

} // namespace workers
