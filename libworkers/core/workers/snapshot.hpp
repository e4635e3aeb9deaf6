#pragma once

// snapshot: a worker's whole state on disk, for planned restarts: a node
// saves one file per worker on SIGTERM and restores them with
// `--node.restore` (node.hpp), so every object keeps its id and the
// pointers clients hold work again. Boost.Serialization is the format (a
// binary archive inside framed_file.hpp's frame, as checkpoint.hpp's).
//
// Design note
// -----------
// What a snapshot holds (worker_image): the store (store_image.hpp: objects
// -- tensors and pointer entries -- ids, holders, tags, policies and
// provenance, tombstones), the worker's plans with their owners and hashes,
// its audit log, and both id generators (origin and counter).
// Invariants:
//   S1 Same ids: a restored worker serves every object under the id it had,
//      to the holders it had (client handles, other workers' pointer
//      entries), and continues its id generators from the saved counters,
//      so it never hands out an id it handed out before.
//   S2 One restore per snapshot: a node that restored a snapshot renames it
//      to PATH.restored, so a later start cannot restore the same state
//      again (which would repeat ids drawn since, and bring back objects
//      taken or moved since); the next SIGTERM writes a new one.
//   S3 Leases (protocol.hpp, F1): the time a node is down does not count.
//      Every restored reference starts a fresh lease at restore, so a
//      client has one lease (1x to 1.5x workers.lease) after the node is
//      back to reconnect and renew; the references of a client that never
//      comes back lapse then, and the objects only it held go (no leak).
//      Pins, early records, expectations and parked requests are not saved:
//      the requests they belong to die with the process (store_image.hpp).
//   S4 Handles: CAF actor handles do not survive a process. A snapshot
//      keeps a pointer entry's target by worker name and node address; the
//      restoring node binds the entries naming its own workers to their new
//      handles, and those naming workers of other nodes to the handles
//      those nodes' directories give now, before any message is served
//      (bind_handles; an entry it cannot bind becomes a failure). Clients
//      rebind their handles when they connect to the worker's name and
//      address again (client::rebind), so that must happen within S3's
//      lease. Left open: pointer entries on *other* nodes that name a
//      restarted worker keep its old handle; requests through them fail
//      with peer_unreachable, as for a worker that died.
//   S5 Never a crash: a missing, truncated, padded, corrupt (checksum) or
//      unreadable snapshot, one of a newer version, or one of another
//      worker is bad_argument naming the file and the reason; the node then
//      exits non-zero.
//   S6 Atomic: written to PATH.tmp, then renamed (framed_file.hpp, FF1).
// Not saved: autograd state (remote_autograd.hpp). A restored tensor holds
// its value and policy but no longer requires grad, and accumulated
// gradients are gone; mark parameters again after a restart.
//
// Example:
//   worker_image img = ...;                  // made by the worker actor
//   save_snapshot("snap/bob.snapshot", img);
//   auto back = load_snapshot("snap/bob.snapshot", "bob"); // or why not

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "workers/audit_log.hpp"
#include "workers/object_id.hpp"
#include "workers/plan.hpp"
#include "workers/store_image.hpp"

namespace workers {

/// Where an id generator stands: its origin and the last seq it handed out.
struct generator_state {
  uint64_t origin = 0;
  uint64_t seq = 0;
};

/// A plan stored by `define`, as the worker keeps it.
struct plan_image {
  object_id id;
  plan steps;
  std::string owner;
  std::string hash;
};

/// Everything a worker restores from (see the design note).
struct worker_image {
  /// The worker's name; load_snapshot checks it.
  std::string worker;
  store_image store;
  generator_state ids;
  generator_state holder_ids;
  std::vector<plan_image> plans;
  std::vector<audit_entry> audit;
  uint64_t audit_dropped = 0;
};

/// The format version this build writes (and the newest it reads); 2 adds
/// plan steps' in-place flags (plan.hpp, P4), version 1 files load as
/// plans without in-place steps.
constexpr uint32_t snapshot_version = 2;

/// DIR/<worker>.snapshot: where a node keeps `worker`'s snapshot.
std::string snapshot_path(const std::string& dir, const std::string& worker);

/// Saves `x` to `path` (S6). Called by a worker stopped with a snapshot
/// dir; bad_argument naming the path and the system's reason on failure.
caf::error save_snapshot(const std::string& path, const worker_image& x);

/// Reads the snapshot of `worker` at `path`. Called by host_node for
/// `--node.restore`; fails as S5 says.
caf::expected<worker_image> load_snapshot(const std::string& path,
                                          const std::string& worker);

/// Gives the current handle of the worker `ref` names (by its name and
/// node address), or a null handle if it is not known.
using handle_lookup = std::function<worker_actor(const worker_ref& ref)>;

/// Binds the pointer entries of `img` to the handles `lookup` gives (S4).
/// An entry whose worker it does not know becomes a failure tombstone
/// (peer_unreachable naming the worker) for its holders: their gets say
/// why, and the entry's reference downstream, which nobody renews now,
/// lapses with its lease there. Called by a restored worker before it
/// serves anything; returns how many entries it could not bind.
size_t bind_handles(worker_image& img, const handle_lookup& lookup);

} // namespace workers
