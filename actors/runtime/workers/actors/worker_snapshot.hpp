#pragma once

// worker_snapshot: the worker actor's side of snapshots (libworkers'
// snapshot.hpp holds the format, the invariants S1-S6 and the plain
// logic). A node started with `--node.restore` hands each worker its image
// (worker_options::restore_from) and a table of the handles its pointer
// entries may name (worker_options::handles); the worker restores at
// start, before it serves any message. A worker with
// worker_options::snapshot_dir set that gets the exit message of
// stop_with_snapshot writes its snapshot first and then exits, with the
// save's error as its exit reason if it failed, so whoever monitors it
// learns whether the snapshot is on disk. Any other exit (node::stop, a
// node that failed to start) writes nothing: an existing snapshot is never
// overwritten by a worker that did not serve.
//
// Example (what host_node and stop_with_snapshots do):
//   wopts.snapshot_dir = "/var/lib/workers";
//   wopts.restore_from = std::make_shared<worker_image>(*load_snapshot(..));
//   ... spawn the worker, SIGTERM ... -> /var/lib/workers/bob.snapshot

#include <map>
#include <memory>
#include <string>

#include "workers/snapshot.hpp"
#include "workers/actors/worker_actor.hpp"

namespace workers {

/// The handles a restored node's workers bind their pointer entries to, by
/// worker name: the node's own workers, and the workers on other nodes it
/// found again. Filled by host_node before any worker runs.
struct handle_table {
  std::map<std::string, worker_actor> by_name;
};

/// The worker's state as a snapshot (store, ids, plans, audit). Called by
/// the worker when it stops with a snapshot dir; never fails.
worker_image image_of(const worker_state& st);

/// Restores `st` (a worker that has served nothing yet) from `img`,
/// binding its pointer entries through `handles` (entries it cannot bind
/// become failure tombstones, snapshot.hpp). Called by worker_impl at
/// start; returns the store's refusal (bad_argument) if the image is
/// inconsistent, and the worker then starts empty.
caf::error restore_worker(worker_state& st, worker_image img,
                          const handle_table* handles);

/// Installs the exit handler that saves the snapshot of `self` to
/// opts.snapshot_dir when stop_with_snapshot asks, before quitting. Called
/// by worker_impl when a snapshot dir is set.
void save_on_shutdown(worker_pointer self);

/// Tells `w` to save its snapshot and exit (an exit message with a reason
/// of its own). Called by node_snapshot's stop_with_snapshots; a worker
/// without a snapshot dir just exits.
void stop_with_snapshot(const worker_actor& w);

} // namespace workers
