#pragma once

// data_plane: large tensors cross nodes over a direct TCP stream (TLS by
// default), not as CAF messages.
//
// Design note
// -----------
// CAF 0.17 serializes every message into a buffer, copies it through the
// middleman and deserializes it into a fresh vector: a 64 MiB tensor in CAF
// messages (even in 4 MiB chunks) reaches about a third of what the loopback
// wire carries. The data plane is the bulk path beside the control path:
// each process that hosts workers or a client runs a small TCP server bound
// to its node's address (port chosen by the OS unless configured). A staged
// blob's blob_ref (protocol.hpp) names that address and a random 128-bit
// token; the reader connects, presents blob id and token, and receives the
// raw bytes, which the server writes straight from the tensor's storage and
// the reader receives straight into the new tensor's storage (no user-space
// copies but TLS's encryption and decryption).
// The CAF control path is unchanged: the put / get / move protocol, its
// acknowledgements and its failure handling are exactly those of bulk.hpp;
// only where the bytes travel differs.
// Invariants:
//   D1 Bytes are served only to a reader that presents the blob's token,
//      which travels only inside the blob_ref to its recipient -- over the
//      data plane and in `chunk` requests alike.
//   D2 Any data-plane failure (connect refused, unknown blob, short read,
//      timeout) makes the reader fall back to `chunk` messages (S2), so the
//      data plane only ever makes a transfer faster, never less reliable.
//   D3 With TLS (the cluster default) every data-plane stream is TLS too,
//      with the process's own certificate and the cluster's CA, as on the
//      gate's links (gate.hpp, G3): both ends present a certificate the CA
//      signed, or the handshake fails and no byte of a blob leaves (the
//      reader then falls back to chunks, D2). How streams are secured is a
//      stream_security (stream_security.hpp) given to listen() and
//      fetch_over_tcp(); this library has plain TCP only (plain_stream.hpp),
//      actors/ adds TLS (tls_stream.hpp), so the core needs no OpenSSL. The
//      server learns the reader's principal (its certificate's CN); the
//      token (D1) still decides which blob it may read.
//   D4 Every blocking socket call is bounded (poll with a deadline); a peer
//      that dies mid-transfer closes the stream, which fails the read at once.
//      A connection that has not completed its TLS handshake and sent its
//      request within 10 s is closed.
//   D5 The server costs at most `max_transfers` threads and connections
//      (`workers.data-plane-max-transfers`): a connection beyond them is
//      closed at once (its reader falls back to chunks, D2), so a flood of
//      idle connections neither spawns threads nor starves the process of
//      file descriptors. When accept() fails for want of descriptors or
//      memory, the server pauses 100 ms instead of spinning.
//   D6 At most `max_per_host` of those transfers come from one remote
//      address (`workers.data-plane-max-transfers-per-host`): one host's
//      flood of connections leaves slots for the others. A connection
//      beyond the quota is closed at once, like one beyond D5 (its reader
//      falls back to chunks, D2); last_refusal() and the process's stderr
//      name the host and the key.
//   D7 The server binds the first free port of its port_range
//      (port_range.hpp; a range lets a firewall open a fixed set of ports
//      for several processes on one machine); a range whose every port is
//      taken fails listen() naming the range.
//   D8 A reader dials only hosts its process may dial (restrict_fetches_to:
//      a node's cluster hosts, its own and `gate.dial-hosts`, the list the
//      gate dials by), and the address the blob's source node itself
//      connected from (a client outside the cluster: the gate saw it, no
//      message chose it). A blob_ref arrives in a message, so its data_host
//      is a request's word: one naming another host is read in chunks from
//      its source actor instead (D2), and the plane logs it (warn), so no
//      message can make a node connect to an address of its choosing.
//
// Wire format of one transfer (little endian; inside TLS records with TLS):
//   reader -> server: "WKB1", blob origin u64, blob seq u64, token hi, lo u64
//   server -> reader: status u8 (0 ok, 1 unknown blob or token), then on ok
//                     nbytes u64 and the bytes.
//
// Example (alice reads a 256 MiB tensor bob staged):
//   bob:   ref = plane.stage(self, "bob", t, deadline);  // in the put{...}
//   alice: auto t = fetch_over_tcp(ref, 10s, tls);       // on a thread of
//                                                        // its own
//   bob's server: lease(blob, token) -> send() the bytes -> settle(blob)

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/timespan.hpp>

#include "workers/plain_stream.hpp"
#include "workers/port_range.hpp"
#include "workers/protocol.hpp"
#include "workers/staging_area.hpp"
#include "workers/stream_security.hpp"

namespace workers {

class data_plane {
 public:
  using clock = staging_area::clock;

  /// Spawns an actor that answers `fetch_atom, blob_ref, timespan` with the
  /// tensor read by fetch_over_tcp, on a thread of its own (actors/).
  using fetcher_factory = std::function<caf::actor(caf::actor_system&)>;

  /// A data plane with staging only (no server until listen()).
  data_plane();

  /// Stops the server, waiting (bounded) for transfers under way.
  ~data_plane();

  data_plane(const data_plane&) = delete;
  data_plane& operator=(const data_plane&) = delete;

  /// The default of `workers.data-plane-max-transfers` (D5).
  static constexpr size_t default_max_transfers = 64;

  /// The default of `workers.data-plane-max-transfers-per-host` (D6).
  static constexpr size_t default_max_per_host = 16;

  /// Starts the server on `host` and the first free port of `ports` (any:
  /// the OS chooses; D7), its streams secured by `security` (null: plain
  /// TCP; D3), serving at most `max_transfers` at once (D5) and at most
  /// `max_per_host` of them to one remote address (D6). Called by
  /// make_data_plane for the runtime and host_node. Fails with
  /// peer_unreachable naming the address ("address already in use", or
  /// every port of the range in use) if it cannot listen.
  caf::error listen(const std::string& host, port_range ports = {},
                    std::shared_ptr<const stream_security> security = nullptr,
                    size_t max_transfers = default_max_transfers,
                    size_t max_per_host = default_max_per_host);

  /// The server's port, 0 if it does not listen.
  uint16_t port() const noexcept;

  /// Makes staged blobs name `host` as where readers fetch them, instead of
  /// the address listen() bound (which may be 0.0.0.0). Called by host_node
  /// with the node's advertised address, after listen; never fails.
  void advertise(std::string host);

  /// Whether the node `source` was reached from `host` (the address its
  /// own connection came from, which no message can choose).
  using reached_check =
    std::function<bool(const caf::node_id& source, const std::string& host)>;

  /// Makes fetch_blob read blobs over TCP only from `hosts`, or from the
  /// address the blob's source node itself connected from (`reached`; D8);
  /// any other data_host is read in chunks. No hosts (the default, and a
  /// client process's): any host. Called by host_node with the gate's
  /// dial-hosts and its peer registry, before any worker runs; never fails.
  void restrict_fetches_to(std::vector<std::string> hosts,
                           reached_check reached = nullptr);

  /// Whether the blob `b` may be read over TCP from its data_host (D8);
  /// logs (warn) when not. Called by fetch_blob (bulk.hpp); never fails.
  bool may_fetch_from(const blob_ref& b) const;

  /// Called by make_data_plane for its fetchers: how this plane's streams
  /// are secured (plain TCP if it does not listen). Never fails.
  std::shared_ptr<const stream_security> security() const;

  /// Stages `t` for the node that will read it and returns the blob_ref to
  /// send there (with this plane's address, if it listens). Called by
  /// workers and the client agent before they hand over a large tensor.
  blob_ref stage(const caf::actor& source, std::string source_name,
                 const tensor& t, clock::time_point deadline);

  /// The blobs this process has staged (chunk requests read from here).
  staging_area& staging() noexcept { return *staging_; }

  /// Installs how to spawn fetchers; without one, readers use chunks only.
  void set_fetcher_factory(fetcher_factory f) { fetcher_ = std::move(f); }

  /// A fresh fetcher for one transfer, or an invalid handle if none can be
  /// spawned. Called by fetch_blob (bulk.hpp).
  caf::actor spawn_fetcher(caf::actor_system& sys) const;

  /// Transfers served completely since the start (for tests and stats).
  uint64_t transfers_served() const noexcept;

  /// Connections closed at once because `max_transfers` were under way
  /// (D5) or their host's quota was used up (D6), since the start (for
  /// tests and stats).
  uint64_t connections_refused() const noexcept;

  /// Why the last refused connection was refused, naming its host and the
  /// config key of the limit (D5, D6); empty if none was. For tests and
  /// operators; never fails.
  std::string last_refusal() const;

 private:
  struct server;

  std::shared_ptr<staging_area> staging_;
  std::unique_ptr<server> server_;
  std::string host_;
  fetcher_factory fetcher_;
  std::vector<std::string> fetch_hosts_;
  reached_check reached_;
};

/// Reads blob `b` from its source's data plane into a new tensor over a
/// stream secured by `security` (the reader's plane's, D3); blocking, every
/// socket wait bounded by `timeout` (D4). Called by fetcher actors on
/// threads of their own. Fails with peer_unreachable (cannot connect, TLS
/// handshake refused, stream cut), no_such_object (unknown blob or token),
/// bad_argument (size mismatch) or capacity_exceeded (no memory); all name
/// the source worker.
caf::expected<tensor>
fetch_over_tcp(const blob_ref& b, caf::timespan timeout,
               const stream_security& security = *plain_tcp());

} // namespace workers
