#pragma once

// Frame guard: what a peer may say before CAF's BASP parser hears it (G1).
//
// CAF 0.17's BASP instance trusts its input: a 32-byte header announcing a
// handshake with no payload dereferences a null pointer, a header may
// announce gigabytes (CAF allocates them at once), and a handshake may claim
// any node id, which CAF then treats as a route to that node. The gate runs
// every byte a peer sends through a guard first. The guard follows BASP's
// framing (a 32-byte header, then `payload_len` bytes) and passes on what
// may reach CAF; it holds back a frame it must read whole before judging it
// (handshakes; routed, monitor and down messages, which are small), and it
// drops or refuses what breaks a rule.
//
// Invariants:
// - G1a: every header is one `caf::io::basp::valid` accepts, and its
//   payload is at most `max_payload` bytes (`gate.max-message-bytes`; 64 KiB
//   for held frames). Otherwise the connection is closed.
// - G1d: no message reaches CAF's own service actors: the named ones (the
//   config server, which reads and writes this process's configuration, and
//   the spawn server) and the middleman's (which would dial or publish on a
//   peer's behalf). Such messages, by name or by id, are dropped.
// - G1b: the first frame is the handshake BASP expects from this side of the
//   connection (a server handshake on a connection we opened, a client
//   handshake on one we accepted) and names a node, which is bound to the
//   connection's principal (peer_registry, G2); a later handshake must name
//   the same node. Otherwise the connection is closed.
// - G1c: a message the peer relays for another node, or asks us to relay,
//   is passed on only if it carries no authority: a `dial` request (which a
//   worker on a node that has no link to us yet sends through whoever
//   introduced us) or its error answer; or CAF's monitor and down notices,
//   and those only on behalf of a node that has no link of its own here
//   (so nobody can speak for a node whose principal we know). Anything
//   else is dropped. Data between two workers never travels through a
//   third party.
//
// Example: a peer that sends the header {server_handshake, payload_len=0}
// gets its connection closed with "a handshake without payload", and the
// node goes on serving everyone else.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/error.hpp>
#include <caf/io/basp/header.hpp>
#include <caf/node_id.hpp>

#include "workers/actors/peer_registry.hpp"

namespace workers {

class frame_guard {
 public:
  /// `accepted` says whether this side accepted the connection (it then
  /// expects a client handshake) or opened it (a server handshake).
  /// `off_limits` are the actors no peer may address (G1d).
  frame_guard(caf::actor_system& sys, std::shared_ptr<peer_registry> peers,
              std::shared_ptr<const std::set<caf::actor_id>> off_limits,
              uint32_t max_payload, bool accepted);

  ~frame_guard();

  frame_guard(const frame_guard&) = delete;
  frame_guard& operator=(const frame_guard&) = delete;

  /// Called by the transport once the peer proved who it is (TLS), or with
  /// an empty name for a plaintext peer, before the first `feed`.
  void authenticated_as(std::string principal, std::string host = {});

  /// Called by the transport with the bytes the peer sent, in order.
  /// Appends to `out` the bytes that may reach CAF (possibly none yet, or
  /// bytes of earlier calls). Answers none, or an error naming the broken
  /// rule: the transport then closes the connection.
  caf::error feed(const char* data, size_t size, std::vector<char>& out);

  /// How many bytes of a direct message's payload may go to CAF unseen:
  /// the transport may read them straight into CAF's buffer, then calls
  /// `passed`. Zero while a header or a held frame is incomplete.
  size_t passable() const { return held_ ? 0 : want_ * in_payload_; }

  /// Called after the transport handed `n <= passable()` bytes to CAF.
  void passed(size_t n);

  /// Called by the transport before it reads again, which CAF does only
  /// after consuming what the guard passed: counts a bound connection in
  /// the registry once CAF has taken its handshake.
  void settle();

  /// Whether part of a frame (header or payload) arrived and the rest has
  /// not: the gate closes a connection that stays so for longer than
  /// `gate.frame-timeout` (gate.hpp, G0f).
  bool mid_frame() const { return in_payload_ || !buf_.empty(); }

  /// Frames complete so far (passed, held and judged, or dropped).
  uint64_t frames() const { return frames_; }

  /// Frames dropped under G1c and G1d.
  size_t dropped() const { return dropped_; }

  /// The node this connection's handshake named (none before it).
  const caf::node_id& peer() const { return peer_; }

  /// The principal the transport reported (empty for plaintext).
  const std::string& principal() const { return principal_; }

 private:
  enum class verdict { pass, drop };

  caf::error on_header(std::vector<char>& out);
  caf::expected<verdict> judge();
  caf::error on_handshake(const caf::node_id& node);
  bool carries_no_authority(caf::binary_deserializer& rest) const;
  bool addresses_off_limits() const;

  caf::actor_system& sys_;
  std::shared_ptr<peer_registry> peers_;
  std::shared_ptr<const std::set<caf::actor_id>> off_limits_;
  uint32_t max_payload_;
  bool accepted_;
  std::string principal_;
  /// The peer's remote address, recorded with its node (peer_registry).
  std::string host_;
  caf::node_id peer_;
  bool bound_ = false;
  bool counted_ = false;
  caf::error failed_;
  caf::io::basp::header hdr_;
  bool in_payload_ = false;
  bool held_ = false;     // the current frame is held back until judged
  bool doomed_ = false;   // ... and dropped then (G1d)
  size_t want_;           // bytes missing of the current header or payload
  std::vector<char> buf_; // the current header, or the held frame
  size_t dropped_ = 0;
  uint64_t frames_ = 0;
};

} // namespace workers
