#pragma once

// Hosting workers for other processes: a node spawns its workers and a
// directory (protocol.hpp, directory_actor) and publishes the directory on a
// TCP port. Clients connect with runtime::connect and find workers by name.
//
// Example (what apps/node does):
//   auto node = workers::host_node(sys, {{"bob", "carol"}, "127.0.0.1", 0});
//   if (node) std::cout << "listening on port " << node->port << '\n';

#include <chrono>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include "workers/actors/runtime_config.hpp"
#include "workers/actors/worker_actor.hpp"
#include "workers/data_plane.hpp"
#include "workers/data_source.hpp"
#include "workers/protocol.hpp"

namespace workers {

struct node_options {
  /// Names of the workers this node hosts.
  std::vector<std::string> workers;
  /// Address to bind; 127.0.0.1 unless the node must be reachable from
  /// other hosts.
  std::string host = "127.0.0.1";
  /// Port to bind; 0 lets the OS choose.
  uint16_t port = 0;
  /// The address peers reach this node at (its workers tell peers to dial
  /// it, large tensors are fetched from it): `host` if empty. Needed when
  /// `host` is a wildcard (0.0.0.0) or behind NAT.
  std::string advertised_host;
  /// Port of the data plane (data_plane.hpp) on `host`; 0 lets the OS
  /// choose. A fixed port that is taken fails host_node.
  uint16_t data_port = 0;
  /// A range of ports instead (data_plane.hpp, D7): the first free one is
  /// bound, none free fails host_node naming `[node] data-ports`.
  port_range data_ports;
  /// How the node accepts and opens connections: TLS with its own
  /// certificate unless `gate.insecure` (gate.hpp).
  gate_options gate;
  /// The workers' options; `worker.data_dir` is where they read datasets,
  /// `worker.sources` the formats they can read (data_source.hpp).
  worker_options worker;
  /// Datasets to load at start (`[data] datasets`): host_node has each
  /// hosted worker load its entries and skips the others' (other nodes').
  std::vector<data_request> datasets;
  /// Bound of loading them all (`[data] load-timeout`).
  caf::timespan load_timeout = std::chrono::minutes(2);
  /// `[node] snapshot-dir`: where each worker writes its snapshot when
  /// the node stops (node_snapshot.hpp); empty: none.
  std::string snapshot_dir;
  /// `[node] restore`: start from the snapshots in snapshot_dir (the
  /// datasets are in them, so `[data] datasets` are not loaded again).
  bool restore = false;
  /// Where host and port came from, for errors (e.g. "set by node.port");
  /// empty: set in code.
  std::string address_source;
};

/// The configuration of a node program: libworkers' options plus
///   [node]
///   workers=["bob"]     ; workers this node hosts
///   host="127.0.0.1"    ; address to bind
///   port=0              ; 0: the port the cluster config lists for the
///                       ; first worker, or else one the OS chooses
///   data-port=0         ; port of the data plane for large tensors (0: the
///                       ; OS chooses; data_plane.hpp)
///   data-ports="40100-40199" ; or a range: the first free port is bound
///                       ; (for firewalls; not with data-port)
///   [data]              ; what this node's workers load at start
///   dir="/usr/share/datasets/fashion-mnist" ; where the files are (default:
///                       ; each format's own)
///   datasets=["worker=bob split=train shard=0/3 limit=500"]
///                       ; entries (data_source.hpp), in the formats of the
///                       ; sources given to the constructor; those of
///                       ; workers on other nodes are skipped
///   load-timeout=2min   ; bound of loading them all
///   [node]
///   snapshot-dir="/var/lib/workers" ; on SIGTERM each worker saves itself
///                       ; there (node_snapshot.hpp)
///   restore=false       ; start from those snapshots (--node.restore)
/// and the flag `--print-cluster` (cluster_layout.hpp).
class node_config : public runtime_config {
 public:
  /// `sources`: the formats `[data] datasets` entries may name and the
  /// node's workers read (data_source.hpp); null: none, so any entry is
  /// refused. apps/node passes the FL library's fashion_mnist_sources().
  explicit node_config(std::shared_ptr<const data_sources> sources = nullptr);

  /// The node options these settings describe, with host and port taken
  /// from the cluster list when the [node] section leaves them open. Called
  /// by apps/node; fails (bad_argument) if the cluster list is not empty and
  /// a hosted worker is not in it or the workers are at different
  /// addresses, or if a `[data] datasets` entry is malformed or names a
  /// worker the list lacks (check_data_entries).
  caf::expected<node_options> node_opts() const;

  /// `--print-cluster`: print the nodes of the cluster list and exit.
  bool print_cluster = false;

  std::vector<std::string> node_workers;
  std::string node_host;
  uint16_t node_port = 0;
  uint16_t node_data_port = 0;
  std::string node_data_ports;
  std::string node_advertised_host;
  std::string data_dir;
  std::vector<std::string> data_datasets;
  caf::timespan data_load_timeout = node_options{}.load_timeout;
  std::string node_snapshot_dir;
  bool node_restore = false;
};

/// A running node.
struct node {
  uint16_t port = 0;
  directory_actor directory;
  std::vector<worker_ref> workers;
  /// The node's data plane, shared by its workers (bulk.hpp).
  std::shared_ptr<data_plane> plane;
  /// The node's gate, shared by its workers.
  std::shared_ptr<gate_slot> gate;

  /// Stops the workers and the directory.
  void stop();
};

/// Behaviour of a directory serving `workers`. Spawned by host_node.
directory_actor::behavior_type directory_impl(directory_actor::pointer self,
                                              std::vector<worker_ref> workers);

/// Spawns the workers of a node, has them load their `datasets` (all at
/// once, each in its worker's detached loader) and waits for that within
/// `load_timeout`, then spawns the directory and publishes it: whoever
/// finds the node finds its data. Fails if a name is empty or repeated,
/// the port is taken, a worker's audit file cannot be opened
/// (audit_writer.hpp, W5), or a dataset does not load (naming the entry,
/// the worker and the file or directory).
caf::expected<node> host_node(caf::actor_system& sys, const node_options& opts);

/// Blocks SIGINT and SIGTERM in the calling thread and in every thread it
/// starts afterwards (call it first in main, before the actor system).
void block_termination_signals();

/// Makes glibc give tensor buffers of 4 MiB and more back to the system
/// when they are freed. By default glibc raises its mmap threshold after
/// the first large free, so later large tensors come from the heap and
/// their freed space stays in the process: a node's RSS then grows in steps
/// of the largest tensor it has seen. Called by node programs at start
/// (process-wide, so an embedding application decides for itself).
void tune_allocator_for_tensors();

/// Waits for SIGINT or SIGTERM; returns the signal.
int await_termination_signal();

} // namespace workers
