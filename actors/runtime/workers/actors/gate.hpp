#pragma once

// The gate: every connection of a process, checked before CAF hears it.
//
// A node's port is open to the network, and CAF 0.17 parses whatever
// arrives on it. The gate replaces CAF's transports (plain TCP and CAF's
// own TLS module) with one of its own: it accepts and opens connections for
// the middleman, runs TLS with required certificates on both ends
// (tls_context.hpp), and passes every byte through a frame guard
// (frame_guard.hpp) before CAF's BASP parser sees it. The guard binds each
// peer's node id to the principal its certificate proved (peer_registry),
// which is how a worker knows who sent a message.
//
// Invariants:
// - G0a: with TLS (the default), no byte from a peer reaches CAF before the
//   peer presented a certificate the cluster's CA signed.
// - G0b: without TLS (`[cluster] insecure = true`, local development only)
//   the guard still checks every frame, but identities are declared, not
//   proven: `principal_of` answers an empty name for every peer.
// - G0c: a process publishes and dials only through its gate; nothing it
//   does opens a connection around it.
// - G0d: at most `max_connections` connections are open at once, and a
//   connection that has not completed its handshake within
//   `handshake_timeout` is closed (idle and slow peers cost nothing).
// - G0e: at most `max_connections_per_host` accepted connections come from
//   one remote address, so one machine cannot take all `max_connections`.
// - G0f: once a frame's first byte arrived, the rest must arrive within
//   `frame_timeout`; a peer that trickles a frame or falls silent in the
//   middle of one is closed. (A peer silent between frames is CAF's
//   business: its heartbeats drop links silent for
//   middleman.connection-timeout.)
//
// Example (what host_node and runtime do):
//   auto g = gate::make(sys, opts);                  // loads the certificates
//   auto port = (*g)->publish(directory, 0, "127.0.0.1");
//   auto dir = (*g)->remote_actor<directory_actor>("127.0.0.1", port);
//   (*g)->peers()->principal_of(sender->node());     // who sent a message

#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <caf/io/middleman_actor.hpp>
#include <caf/timespan.hpp>

#include "workers/actors/peer_registry.hpp"
#include "workers/actors/tls_context.hpp"

namespace workers {

/// How a process's gate secures its connections.
struct gate_options {
  /// Plaintext, for local development only (`cluster.insecure`): frames are
  /// still checked, but identities are declared, not proven (G0b).
  bool insecure = false;
  /// This process's certificate, key and the cluster's CA (unless
  /// insecure): CAF's `openssl.certificate`, `openssl.key`,
  /// `openssl.cafile` and `openssl.passphrase`.
  tls_files files;
  /// The largest BASP payload a peer may announce (`gate.max-message-bytes`).
  uint32_t max_message_bytes = 64u << 20;
  /// Connections open at once, accepted and dialed
  /// (`gate.max-connections`); well below the usual limit of 1024 open
  /// files, so that a flood is refused before accept() itself fails.
  size_t max_connections = 512;
  /// How long a new connection may take to complete TLS and the BASP
  /// handshake (`gate.handshake-timeout`).
  caf::timespan handshake_timeout = std::chrono::seconds(10);
  /// Connections accepted from one remote address at once
  /// (`gate.max-connections-per-host`; G0e).
  size_t max_connections_per_host = 64;
  /// How long a frame may take to arrive once its first byte did
  /// (`gate.frame-timeout`; G0f). Large tensors travel over the data plane
  /// (data_plane.hpp), so frames are small but for the rare 1 GiB message.
  caf::timespan frame_timeout = std::chrono::seconds(30);
  /// Hosts this process may dial; empty: any (clients). A node dials only
  /// the hosts of its cluster and its own (`gate.dial-hosts` adds more), so
  /// nobody can make it probe other machines.
  std::vector<std::string> dial_hosts;
};

struct gate_shared;

class gate {
 public:
  /// Called once per process (by host_node and the runtime) after the actor
  /// system started. Answers the gate, or an error naming what is wrong
  /// (a missing certificate file, say) so the process stops at startup.
  static caf::expected<std::shared_ptr<gate>> make(caf::actor_system& sys,
                                                   gate_options opts);

  ~gate();

  /// Called by host_node: listens on `host:port` (0: the OS picks) for
  /// `whom`. Answers the port, or an error ("address already in use").
  template <class Handle>
  caf::expected<uint16_t> publish(const Handle& whom, uint16_t port,
                                  const std::string& host) {
    return publish(caf::actor_cast<caf::strong_actor_ptr>(whom),
                   sys_->message_types(whom), port, host);
  }

  /// Called by the runtime: connects to the actor published at
  /// `host:port`. Answers its handle, or an error after at most `timeout`.
  template <class Handle>
  caf::expected<Handle> remote_actor(const std::string& host, uint16_t port,
                                     caf::timespan timeout) {
    caf::detail::type_list<Handle> tk;
    auto res = remote(sys_->message_types(tk), host, port, timeout);
    if (!res)
      return std::move(res.error());
    return caf::actor_cast<Handle>(std::move(*res));
  }

  /// The actor that dials for workers: `connect_atom, host, port` answers
  /// (node_id, strong_actor_ptr, mpi) like CAF's middleman actor.
  caf::io::middleman_actor dialer() const { return dialer_; }

  /// Who speaks for which node (shared with this process's workers).
  std::shared_ptr<peer_registry> peers() const;

  /// This process's principal: its certificate's CN, or empty without TLS.
  std::string principal() const;

  /// Whether connections use TLS (not insecure).
  bool tls() const;

  /// Stops the gate's actors; connections stay up until the middleman
  /// goes. Called by gate_slot::shutdown.
  void stop();

 private:
  gate() = default;

  caf::expected<uint16_t> publish(const caf::strong_actor_ptr& whom,
                                  std::set<std::string> ifs, uint16_t port,
                                  const std::string& host);

  caf::expected<caf::strong_actor_ptr> remote(const std::set<std::string>& ifs,
                                              const std::string& host,
                                              uint16_t port,
                                              caf::timespan timeout);

  caf::actor_system* sys_ = nullptr;
  std::shared_ptr<gate_shared> shared_;
  caf::io::middleman_actor dialer_;
  caf::actor reaper_;
};

/// A process's gate, made when the process first goes on the network and
/// shared by everything in it that dials (the runtime and its workers, a
/// node and its workers). Thread-safe.
class gate_slot {
 public:
  /// Called by workers before they dial: the gate, or null if this process
  /// never went on the network (its workers then have no remote peers).
  std::shared_ptr<gate> get() const;

  /// Called by the runtime and host_node: the gate, made with `opts` unless
  /// it exists; or the error that made it impossible.
  caf::expected<std::shared_ptr<gate>> get_or_make(caf::actor_system& sys,
                                                   const gate_options& opts);

  /// Called by the runtime and node::stop before the actor system goes:
  /// stops the gate's actors (the system waits for them otherwise) and
  /// empties the slot.
  void shutdown();

 private:
  mutable std::mutex mtx_;
  std::shared_ptr<gate> gate_;
};

} // namespace workers
