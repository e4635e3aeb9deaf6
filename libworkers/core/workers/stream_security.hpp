#pragma once

// stream_security: how the data plane secures its connections (plain TCP or
// TLS), chosen by whoever makes the plane.
//
// The data plane (data_plane.hpp) accepts and connects sockets itself and
// hands each connected socket to its stream_security, which answers a
// byte_stream ready for the request -- after a handshake, for TLS. This
// library knows one implementation, plain TCP (plain_stream.hpp); actors/
// adds TLS with the gate's certificates and CA (tls_stream.hpp), so that
// this library does not depend on OpenSSL.
//
// Example:
//   auto s = plain_tcp()->open(fd, /*accepting=*/false, deadline);

#include <memory>

#include <caf/expected.hpp>

#include "workers/byte_stream.hpp"

namespace workers {

class stream_security {
 public:
  virtual ~stream_security();

  /// Called by the data plane for a connected socket `fd` (accepted if
  /// `accepting`, else dialed), which the answer owns. Answers the stream
  /// once it carries bytes (after a handshake, bounded by `deadline`), or
  /// an error saying why not; the socket is closed then.
  virtual caf::expected<std::unique_ptr<byte_stream>>
  open(int fd, bool accepting,
       byte_stream::clock::time_point deadline) const = 0;

  /// Called for messages: what the streams are ("TCP", "TLS").
  virtual const char* name() const noexcept = 0;
};

} // namespace workers
