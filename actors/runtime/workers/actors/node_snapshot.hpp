#pragma once

// node_snapshot: planned restarts of a node (snapshot.hpp has the format
// and the invariants S1-S6). With `[node] snapshot-dir` set, SIGTERM makes
// each worker write DIR/<worker>.snapshot before the node exits
// (stop_with_snapshots); a node started with `[node] restore` (or
// --node.restore) reads them back before it publishes anything
// (load_worker_images), binds the pointer entries they hold to the new
// handles of its own workers and to the workers other nodes serve under
// the names the entries give (find_handles), and renames each snapshot to
// PATH.restored once its worker runs (consume_snapshots, S2).
//
// Example (apps/node):
//   node --node.workers=[bob] --node.port=5101 --node.snapshot-dir=/var/w
//   kill -TERM <pid>            # writes /var/w/bob.snapshot, exit 0
//   node ... --node.restore     # same objects, same ids, same port

#include <memory>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <caf/timespan.hpp>

#include "workers/actors/gate.hpp"
#include "workers/snapshot.hpp"
#include "workers/actors/worker_snapshot.hpp"

namespace workers {

struct node;

/// The snapshots of `names` in `dir`, in that order. Called by host_node
/// for `[node] restore`; fails with the first file's error (naming the file
/// and the reason: snapshot.hpp, S5).
caf::expected<std::vector<std::shared_ptr<const worker_image>>>
load_worker_images(const std::string& dir,
                   const std::vector<std::string>& names);

/// Adds to `table` the workers on other nodes that the pointer entries of
/// `images` name (by name and node address), found through those nodes'
/// directories, each lookup bounded by `timeout`. A node that cannot be
/// reached is reported on stderr and its entries stay unbound (they become
/// failure tombstones: snapshot.hpp, bind_handles). Called by host_node.
void find_handles(
  caf::actor_system& sys, gate& g,
  const std::vector<std::shared_ptr<const worker_image>>& images,
  caf::timespan timeout, handle_table& table);

/// Renames DIR/<name>.snapshot to DIR/<name>.snapshot.restored for each of
/// `names` (S2). Called by host_node once the restored workers run; a
/// failed rename is reported on stderr.
void consume_snapshots(const std::string& dir,
                       const std::vector<std::string>& names);

/// Stops `n` like node::stop, but first has every worker write its
/// snapshot (worker_options::snapshot_dir; stop_with_snapshot) and waits,
/// within `timeout`, until each has exited. Called by apps/node on SIGTERM;
/// returns the first worker's failure (the save's error naming the file) or a
/// timeout.
caf::error stop_with_snapshots(caf::actor_system& sys, node& n,
                               caf::timespan timeout);

} // namespace workers
