#pragma once

// TLS context: one process's identity and trust, loaded once (G3).
//
// A process proves who it is with a certificate signed by the cluster's CA
// and learns who its peers are from theirs. The principal is the subject's
// common name (CN=alice). Unlike CAF's own TLS module, which reads the files
// again for every connection and aborts the process when one is missing,
// the context loads them when the process starts, so a missing or wrong
// file is an error at startup that names the file.
//
// Invariants:
// - G3a: both ends must present a certificate that verifies against the
//   CA file; a connection without one fails its handshake and never
//   delivers a byte to CAF (SSL_VERIFY_FAIL_IF_NO_PEER_CERT).
// - G3b: TLS 1.2 or newer only.
// - G3c: `peer_principal` is known only once the handshake completed, and
//   is the CN of the verified peer certificate, never something the peer
//   sends on its own.
//
// Example:
//   auto ctx = tls_context::make({"tls/alice.pem", "tls/alice.key",
//                                 "tls/ca.pem", ""});
//   auto s = (*ctx)->open(fd, /*accepting=*/true); // then read_some ...

#include <memory>
#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/io/network/native_socket.hpp>
#include <caf/io/network/rw_state.hpp>

// OpenSSL types, kept out of this header.
struct ssl_ctx_st;
struct ssl_st;

namespace workers {

/// Where a process's certificate, key and the cluster's CA are.
struct tls_files {
  std::string certificate;
  std::string key;
  std::string cafile;
  std::string passphrase;
};

class tls_session;

class tls_context : public std::enable_shared_from_this<tls_context> {
 public:
  /// Called at startup by the gate. Answers the context, or an error naming
  /// the file that is missing or wrong (G3).
  static caf::expected<std::shared_ptr<tls_context>> make(tls_files files);

  ~tls_context();

  /// Called by the gate's transport and by tls_security (tls_stream.hpp)
  /// for a connected, non-blocking socket.
  /// Answers a session that is handshaking, or nullptr if OpenSSL failed.
  std::unique_ptr<tls_session> open(caf::io::network::native_socket fd,
                                    bool accepting);

  /// The CN of this process's own certificate.
  const std::string& principal() const { return principal_; }

 private:
  tls_context() = default;

  ssl_ctx_st* ctx_ = nullptr;
  std::string passphrase_;
  std::string principal_;
};

/// One TLS connection, driven by CAF's multiplexer through the gate's
/// stream policy (the same calls as `caf::policy::tcp`), or by a
/// tls_stream of the data plane.
class tls_session {
 public:
  /// Called by tls_context::open with an SSL object already set to accept
  /// or to connect (OpenSSL remembers the side; the session needs not).
  tls_session(std::shared_ptr<tls_context> owner, ssl_st* ssl);
  ~tls_session();

  /// Called by the stream policy: reads decrypted bytes (success with 0
  /// bytes while the handshake or a record is incomplete), or failure if
  /// the connection broke or the peer's certificate was refused.
  caf::io::network::rw_state read_some(size_t& result, void* buf, size_t len);

  /// Called by the stream policy: the counterpart of read_some for writes.
  caf::io::network::rw_state write_some(size_t& result, const void* buf,
                                        size_t len);

  /// Called by the stream policy: whether decrypted bytes are buffered.
  bool must_read_more(size_t threshold) const;

  /// Called by tls_stream after read_some or write_some answered success
  /// with 0 bytes: whether OpenSSL waits to write (else it waits to read).
  bool wants_write() const;

  /// Whether the handshake completed (the peer is authenticated).
  bool established() const { return established_; }

  /// The CN of the peer's verified certificate (G3c); empty before.
  const std::string& peer_principal() const { return peer_principal_; }

 private:
  caf::io::network::rw_state handshake(size_t& result);
  caf::io::network::rw_state failed(int ret, size_t& result);

  std::shared_ptr<tls_context> owner_;
  ssl_st* ssl_;
  bool established_ = false;
  std::string peer_principal_;
};

/// The CN of the certificate in the PEM file `path`, or an error naming it.
caf::expected<std::string> certificate_principal(const std::string& path);

} // namespace workers
