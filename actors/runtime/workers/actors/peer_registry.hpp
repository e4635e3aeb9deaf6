#pragma once

// Peer registry: which principal speaks for which CAF node (G2).
//
// CAF 0.17 attributes every message to the node that sent it, and a node
// names itself in the BASP handshake: the name is a claim, not a proof. The
// gate (gate.hpp) binds each claim to the principal its transport proved
// (the subject of a verified TLS certificate) the moment the handshake goes
// by, before CAF sees it. Workers then ask the registry who sent a message.
//
// Invariants:
// - G2a: a node id, once bound to a principal, stays bound to it for the
//   life of this process; a handshake claiming it for another principal is
//   refused (its connection is closed), so nobody can take over another
//   party's node id, not even after that party disconnected.
// - G2b: `principal_of` answers only for nodes whose handshake the gate has
//   checked; an unknown node has no principal (and gets no rights).
// - G2c: the registry is bounded (`capacity`); once full, new node ids are
//   refused rather than evicting a binding (which would break G2a).
//
// Example: bob's node accepts a TLS connection whose certificate says
// CN=alice; the handshake on it names node N. The registry binds N -> alice.
// A later connection with CN=mallory naming N is closed, and every message
// from N reaches bob's workers with `principal_of(N) == "alice"`.
// Thread-safe: the gate binds on CAF's I/O thread, workers read on theirs.

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include <caf/error.hpp>
#include <caf/node_id.hpp>

namespace workers {

/// What a node id is bound to, and how many live connections carry it.
struct peer_binding {
  std::string principal;
  size_t connections = 0;
  /// The remote addresses its connections came from (at most
  /// max_hosts_per_node): where this node was actually reached.
  std::set<std::string> hosts;
};

class peer_registry {
 public:
  /// `self` is this process's node (nobody may claim it); at most
  /// `capacity` node ids are ever bound (G2c).
  explicit peer_registry(caf::node_id self, size_t capacity = 65536);

  /// Remote addresses remembered per node (reached_from).
  static constexpr size_t max_hosts_per_node = 8;

  /// Called by the gate when a handshake on a connection authenticated as
  /// `principal`, from the remote address `host` (empty: unknown), names
  /// `node`. Answers none, or an error saying why the connection must be
  /// closed (G2a, G2c).
  caf::error bind(const caf::node_id& node, const std::string& principal,
                  const std::string& host = {});

  /// Whether a checked connection of `node` came from `host`: the data
  /// plane may read that node's blobs from there (data_plane.hpp, D8), as
  /// it is the address the peer itself connected from, not one a message
  /// named. Called by fetch_blob's check; never fails.
  bool reached_from(const caf::node_id& node, const std::string& host) const;

  /// Called by the gate once CAF has taken a bound connection's handshake
  /// (so CAF routes to `node` over it): counts it until `unbind`.
  void activate(const caf::node_id& node);

  /// Called by the gate when a connection that `activate` counted closes.
  void unbind(const caf::node_id& node);

  /// Called by workers: the principal that proved it speaks for `node`, or
  /// nullopt if no checked handshake named `node` (G2b).
  std::optional<std::string> principal_of(const caf::node_id& node) const;

  /// Called by workers before sending to a node: whether CAF has a direct
  /// connection to it (messages then go there, not through a relay).
  bool connected(const caf::node_id& node) const;

  /// This process's own node.
  const caf::node_id& self() const { return self_; }

 private:
  caf::node_id self_;
  size_t capacity_;
  mutable std::mutex mtx_;
  std::map<caf::node_id, peer_binding> bindings_;
};

} // namespace workers
