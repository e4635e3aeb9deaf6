#pragma once

// The worker actor: a named object store that speaks `worker_actor`
// (libworkers/core/workers/protocol.hpp). Each handler is a few lines that call
// the object_store and carry out what it returns (retains/releases to send,
// parked requests to retry); all decisions live in libworkers.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "workers/actors/gate.hpp"
#include "workers/audit_writer.hpp"
#include "workers/bulk.hpp"
#include "workers/object_store.hpp"
#include "workers/parking_lot.hpp"
#include "workers/peer_watch.hpp"
#include "workers/protocol.hpp"

namespace workers {

struct worker_image;
struct handle_table;

/// Where a node listens, once it does (host_node sets the port after
/// publishing); shared by the node's workers.
struct node_address {
  std::string host;
  std::atomic<uint16_t> port{0};
};

struct worker_options {
  /// How long a request for an unknown id waits for the object to arrive
  /// (messages from different senders have no order; see protocol.hpp).
  caf::timespan park_timeout = std::chrono::seconds(1);
  /// Bound of this worker's own requests to other workers (forwarded
  /// operations through chains, the put of a move).
  caf::timespan forward_timeout = std::chrono::seconds(10);
  /// How long a reference held here lives without a renewal (protocol.hpp,
  /// F1): references of a holder that stopped renewing (its process died,
  /// or was stopped) lapse between 1x and 1.5x this after the last renewal.
  /// Holders renew every quarter of their own lease setting: it must be the
  /// same across a cluster (workers.lease).
  caf::timespan lease = std::chrono::seconds(30);
  /// Most requests that may wait for objects at once (`workers.max-parked`).
  size_t max_parked = 100000;
  /// Most of them from one peer (`workers.max-parked-per-peer`): a peer's
  /// flood of requests for ids that never arrive fails its own requests,
  /// not everyone's (parking_lot.hpp, P2).
  size_t max_parked_per_peer = 10000;
  /// The longest a peer's `expect` may announce an arrival for
  /// (`workers.expect-timeout`); a longer `within` is cut to this. The
  /// pending expectations per peer are bounded by
  /// limits.max_expectations_per_peer.
  caf::timespan expect_timeout = std::chrono::seconds(30);
  /// Transfers the process's data plane serves at once
  /// (`workers.data-plane-max-transfers`); read by runtime and host_node
  /// when they make the plane (data_plane.hpp, D5).
  size_t data_plane_max_transfers = 64;
  /// ... of them to one remote address
  /// (`workers.data-plane-max-transfers-per-host`; data_plane.hpp, D6).
  size_t data_plane_max_per_host = data_plane::default_max_per_host;
  /// Tombstone and early-record bounds of the store.
  object_store::limits limits;
  /// Who may do what here (access_control.hpp; the `[policy]` section).
  access_config access;
  /// The process's gate (gate.hpp), through which workers dial other
  /// nodes; empty in a process that never went on the network.
  std::shared_ptr<gate_slot> gate;
  /// The address of this worker's node (nodes only; null for workers in a
  /// client process). Lets peers on other nodes dial this node.
  std::shared_ptr<node_address> self_address;
  /// The process's data plane (bulk.hpp), shared by its workers; a worker
  /// without one makes its own, which stages for chunk reads only.
  std::shared_ptr<data_plane> plane;
  /// `[policy] audit-dir`: where each worker keeps its audit file
  /// DIR/<worker>.audit (audit_writer.hpp); empty: in memory only.
  std::string audit_dir;
  /// The worker's opened audit file; set by whoever spawns the worker
  /// (runtime::spawn_worker, host_node) from audit_dir, so that a file that
  /// cannot be opened fails the start, not the worker later (W5).
  std::shared_ptr<audit_writer> audit_file;
  /// `[log] slow-op`: an operation served slower than this is logged
  /// (log.hpp, warn); zero: never.
  caf::timespan slow_op = std::chrono::seconds(1);
  /// `[data] dir` (node.hpp): the only directory `load` reads dataset files
  /// from, so a load request names a dataset, never a path ("": each
  /// source's own default).
  std::string data_dir;
  /// The formats `load` can read (data_source.hpp, S4); null: none. Set by
  /// whoever spawns the worker (apps/node: the FL library's sources).
  std::shared_ptr<const data_sources> sources;
  /// `[node] snapshot-dir`: told to stop (user_shutdown), the worker first
  /// writes DIR/<name>.snapshot (worker_snapshot.hpp); empty: no snapshot.
  std::string snapshot_dir;
  /// The snapshot this worker restores at start (`--node.restore`), and the
  /// handles its pointer entries are bound to (worker_snapshot.hpp); set by
  /// host_node, null otherwise.
  std::shared_ptr<const worker_image> restore_from;
  std::shared_ptr<const handle_table> handles;
};

struct worker_state {
  static inline const char* name = "workers.worker";

  using waiter = std::function<void(bool final)>;

  worker_state() : store(""), lot(0) {
    // nop
  }

  worker_options opts;
  object_store store;
  parking_lot<waiter> lot;
  id_generator ids;
  /// Holder ids this worker grants (take, search): drawn from an origin of
  /// their own, so nobody derives them from the object ids they see.
  id_generator holder_ids;
  /// Pointer entries whose forwarded operation has not answered yet; a get
  /// or move of one waits, so that the caller learns the chain's outcome.
  std::unordered_set<object_id> forwarding;
  /// Message and tensor byte counters (the `stats` message).
  worker_stats stats;
  /// Every tensor that left this worker (audit_log.hpp).
  audit_log audit;
  /// Operands pinned for parked requests (key: the request's first result
  /// id, which holds the pins): see pin() in worker_parking.cpp.
  std::unordered_map<object_id, std::vector<object_id>> pins;
  /// A plan stored by `define`: who defined it, and its hash for approvals
  /// (plan_hash.hpp).
  struct stored_plan {
    plan steps;
    std::string owner;
    std::string hash;
  };
  /// Plans stored by `define`, until clear.
  std::unordered_map<object_id, stored_plan> plans;
  /// Peers with requests from this worker in flight (chains, moves).
  peer_watch watch;
  /// Sends waiting for a direct connection to a peer's node: everything to
  /// one peer goes over one route, so CAF keeps it in order (a release must
  /// never overtake an operation that uses the object).
  std::unordered_map<caf::actor_addr, std::vector<std::function<void()>>>
    connecting;
  object_store::time_point next_housekeeping;
  /// Work to run again once its time has come (on_tick): a move waiting for
  /// the gate to prove its destination's principal (A5).
  std::vector<std::pair<object_store::time_point, std::function<void()>>>
    deferred;
  /// When this worker last reported a refused `expect` on stderr (at most
  /// one line a second, whatever a flood does).
  object_store::time_point last_expect_warning;
  /// Lease rounds so far (every quarter lease; every other one starts a new
  /// lease period in the store).
  uint64_t lease_rounds = 0;
};

using worker_pointer = worker_actor::stateful_pointer<worker_state>;

/// The behaviour of a worker named `name`. Spawned by runtime::spawn_worker
/// (and by node programs); runs until it receives an exit message.
worker_actor::behavior_type worker_impl(worker_pointer self, std::string name,
                                        worker_options opts);

} // namespace workers
