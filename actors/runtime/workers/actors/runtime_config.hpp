#pragma once

// runtime_config: a CAF actor_system_config that knows libworkers' options,
// so runtimes and nodes are configured by CAF INI files and the command line
// the CAF way (`--config-file=config/local-cluster.ini`,
// `--workers.park-timeout=2s`).
//
//   [workers]
//   request-timeout=10s  ; bound of every blocking wait of the caller
//   park-timeout=1s      ; how long a worker waits for an object to arrive
//   forward-timeout=8s   ; bound of a worker's own requests (chains, moves)
//   me="me"              ; the caller's name in printed pointers
//   data-host="127.0.0.1" ; where this process serves large tensors to other
//                        ; nodes (data_plane.hpp; nodes use [node] host)
//   data-port=0          ; its port (0: the OS chooses; nodes: [node]
//                        ; data-port)
//   data-ports="40200-40299" ; or a range: the first free port is bound
//                        ; (nodes: [node] data-ports); not with data-port
//   max-tensor-bytes=1073741824 ; largest tensor a worker creates or accepts
//   max-parked=100000    ; requests waiting for objects, per worker
//   max-parked-per-peer=10000 ; ... of them from one peer
//   expect-timeout=30s   ; longest arrival a peer's `expect` may announce
//   max-expectations-per-peer=10000 ; announced arrivals pending per peer
//   data-plane-max-transfers=64 ; large-tensor transfers served at once
//   data-plane-max-transfers-per-host=16 ; ... of them to one address
//   [cluster]
//   workers=["bob@127.0.0.1:27001", "alice@127.0.0.1:27002"]
//   insecure=false       ; true: plaintext, identities declared, not proven
//                        ; (local development only; gate.hpp)
//   certificates="config/tls" ; NAME.pem/.key per principal, and ca.pem
//   [openssl]            ; or this process's identity file by file
//   certificate="tls/me.pem"  key="tls/me.key"  cafile="tls/ca.pem"
//   [gate]
//   max-message-bytes=1073741824 ; largest message a peer may announce
//   max-connections=512  ; connections open at once
//   handshake-timeout=10s ; a connection must authenticate within this
//   max-connections-per-host=64 ; connections accepted from one address
//   frame-timeout=30s    ; a started message must arrive in full within this
//   dial-hosts=[]        ; hosts a node may dial besides its cluster's
//   [policy]             ; (access_control.hpp), and:
//   audit-dir="/var/log/workers" ; each worker appends its audit log to
//                        ; DIR/<worker>.audit (audit_writer.hpp)
//   [log]                ; (log.hpp)
//   level="warn"         ; off, error, warn, info, debug (nodes: info)
//   file=""              ; append to this file (empty: stderr)
//   slow-op=1s           ; log operations a worker takes longer than this
//
// It also loads CAF's middleman with the defaults this project relies on:
// CAF's automatic connections off (workers link their nodes directly
// themselves, in one direction per pair of nodes) and heartbeats on (so a
// silent peer is noticed); and it picks the scheduler settings apps/bench
// measured fastest on 2 cores: scheduler.policy=sharing (it can be overridden
// like any CAF option, e.g. --scheduler.policy=stealing).

#include <optional>
#include <string>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <caf/timespan.hpp>

#include "workers/actors/runtime.hpp"
#include "workers/data_source.hpp"

namespace workers {

class runtime_config : public caf::actor_system_config {
 public:
  runtime_config();

  /// Parses the command line and the config file; `--cluster=FILE` is an
  /// alias of CAF's `--config-file=FILE`. Called first thing in main. Fails
  /// (bad_argument, naming the file, the key and what was expected) on an
  /// unreadable file, an unknown section, an unknown key in libworkers'
  /// sections, a value of the wrong type, an unknown option, a stray
  /// argument, or a malformed cluster list (config_check.hpp). `--help`
  /// prints libworkers' options (help_text), CAF's are in `--long-help`.
  caf::error parse_args(int argc, char** argv);

  /// parse_args for the program `app`, as main needs it: returns the exit
  /// code main should return now -- 2 after printing the bad option to
  /// stderr, 0 after printing --help -- or nothing to go on.
  std::optional<int> parse_or_exit(int argc, char** argv,
                                   const std::string& app);

  /// Adjusts CAF settings that depend on libworkers' options; called by
  /// runtime(runtime_config&) and the node program before they create the
  /// actor system. CAF's automatic connections are forced off, even if a
  /// config file turns them on: they dial in both directions between two
  /// nodes, which CAF 0.17 mishandles (worker_links.hpp, send_to), and with
  /// TLS they would dial in plain text; workers link nodes themselves.
  void prepare();

  /// The runtime options these settings describe.
  runtime_options options() const;

  /// What `--help` prints: the program's own options and libworkers'
  /// sections (CAF's own are left to `--long-help`).
  std::string help_text() const;

  /// CAF's `--dump-config` content plus the effective value of every option
  /// that has one, defaults included. parse_args prints it as INI
  /// (ini_writer.hpp) for `--dump-config`.
  caf::settings dump_content() const override;

  /// Where the configuration came from, for messages: the config file read,
  /// or "the command line".
  std::string config_source() const;

  caf::timespan request_timeout;
  caf::timespan park_timeout;
  caf::timespan forward_timeout;
  caf::timespan lease;
  std::string me_name = "me";
  std::string data_host;
  uint16_t data_port = 0;
  /// `[workers] data-ports`: "FIRST-LAST" (port_range.hpp), empty: unset.
  std::string data_ports;
  /// The largest tensor a worker creates or accepts (limits.hpp).
  uint64_t max_tensor_bytes = default_max_tensor_bytes;
  /// `[workers]` bounds of what peers may leave pending (worker_actor.hpp).
  size_t max_parked;
  size_t max_parked_per_peer;
  caf::timespan expect_timeout;
  size_t max_expectations_per_peer;
  size_t data_plane_max_transfers;
  size_t data_plane_max_per_host;
  std::vector<std::string> cluster_workers;
  /// `[cluster] insecure`: plaintext between nodes (local development).
  bool insecure = false;
  /// `[cluster] certificates`: a directory with ca.pem and NAME.pem/.key per
  /// principal (scripts/make-certs.sh); see identity_files.
  std::string certificates;

  /// The TLS files of `principal`: CAF's [openssl] keys where set, else
  /// `<certificates>/<principal>.pem` and `.key` and `<certificates>/ca.pem`.
  /// Called by options() for the client ([workers] me) and by node_opts()
  /// for the node (its first worker).
  tls_files identity_files(const std::string& principal) const;
  /// `[gate]` limits (gate.hpp).
  size_t max_message_bytes;
  size_t max_connections;
  caf::timespan handshake_timeout;
  size_t max_connections_per_host;
  caf::timespan frame_timeout;
  std::vector<std::string> dial_hosts;
  /// `[policy]`: who may do what on this process's workers
  /// (access_control.hpp).
  std::vector<std::string> admins;
  std::vector<std::string> trusted;
  bool admin_plans = false;
  size_t aggregate_min_rows = access_config{}.aggregate_min_rows;
  size_t aggregate_min_owners = access_config{}.aggregate_min_owners;
  std::vector<std::string> release_to;
  std::vector<std::string> approved_plans;
  bool disable_checks = false;
  /// `[policy] audit-dir`: each worker appends its audit log to
  /// DIR/<worker>.audit (audit_writer.hpp); empty: in memory only.
  std::string audit_dir;
  /// The formats the workers spawned with these options can load
  /// (worker_options::sources, data_source.hpp); null: none. Set in code,
  /// not by a config file: node programs pass their sources to node_config.
  std::shared_ptr<const data_sources> sources;
  /// `[log]` (log.hpp): parse_args applies level and file to the process's
  /// log at once, so a bad level or an unwritable file fails the start.
  std::string log_level_name = "warn";
  std::string log_file;
  caf::timespan slow_op = std::chrono::seconds(1);

 protected:
  /// Applies `[log]` to the process's log (log.hpp); bad_argument naming
  /// the file and the key if the level is unknown or the file cannot be
  /// opened. Called by parse_args.
  caf::error apply_log_settings() const;

  /// Sections whose unknown keys are errors (config_check.hpp).
  std::vector<std::string> strict_sections_;

 private:
  /// The config file read, if any.
  std::string config_file_;
};

} // namespace workers
