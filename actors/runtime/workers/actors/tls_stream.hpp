#pragma once

// tls_stream: the data plane over TLS (data_plane.hpp, D3), with the same
// certificates and CA as the gate (tls_context.hpp, G3).
//
// A tls_security turns each connected socket of the data plane into a TLS
// byte_stream: non-blocking, SSL_read and SSL_write retried after poll for
// what OpenSSL waits for, handshake included, every wait bounded by the
// caller's deadline (D4). Both ends present a certificate the cluster's CA
// signed (SSL_VERIFY_FAIL_IF_NO_PEER_CERT, G3a); the stream's
// peer_principal is the CN of the verified certificate (G3c).
//
// The context is loaded from the files on first use, not when the plane is
// made: the runtime makes its plane at once but its gate only when it first
// connects, and a process that never goes on the network must not fail
// for certificates it does not use.
//
// Example (what the runtime and host_node do):
//   auto plane = make_data_plane(host, port, data_plane_security(opts.gate),
//                                "[node] data-port");

#include <memory>
#include <mutex>

#include "workers/actors/gate.hpp"
#include "workers/actors/tls_context.hpp"
#include "workers/stream_security.hpp"

namespace workers {

class tls_security : public stream_security {
 public:
  /// Called by data_plane_security and tests: TLS with the identity and CA
  /// in `files` (loaded on first open; a missing file fails every open).
  explicit tls_security(tls_files files);

  /// Called by the data plane: runs the TLS handshake on `fd` until
  /// `deadline`. Answers the stream, or peer_unreachable saying why (the
  /// certificates cannot be loaded, the handshake failed or timed out).
  caf::expected<std::unique_ptr<byte_stream>>
  open(int fd, bool accepting,
       byte_stream::clock::time_point deadline) const override;

  const char* name() const noexcept override { return "TLS"; }

 private:
  caf::expected<std::shared_ptr<tls_context>> context() const;

  tls_files files_;
  mutable std::mutex mtx_;
  mutable std::shared_ptr<tls_context> ctx_;
};

/// Called by the runtime and host_node: how their data plane secures its
/// streams, like their gate: plain TCP if `opts.insecure`, else TLS with
/// `opts.files`. Never fails (see tls_security).
std::shared_ptr<const stream_security>
data_plane_security(const gate_options& opts);

} // namespace workers
