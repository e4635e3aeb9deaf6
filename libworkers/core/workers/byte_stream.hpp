#pragma once

// byte_stream: one connected socket as a stream of bytes whose every wait is
// bounded by a deadline (data_plane.hpp, D4).
//
// The data plane moves bytes through this interface only, so that the same
// transfer code runs over plain TCP (plain_stream.hpp, in this library) and
// over TLS (actors/: tls_stream.hpp, which needs OpenSSL; this library does
// not). A stream owns its socket and closes it when it goes.
//
// Example (what the data plane's server does with an accepted socket):
//   auto s = security.open(fd, /*accepting=*/true, deadline);
//   if (s && (*s)->read_all(req, sizeof(req), deadline)) ...

#include <poll.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace workers {

class byte_stream {
 public:
  using clock = std::chrono::steady_clock;

  virtual ~byte_stream();

  /// Called by the data plane: sends exactly `len` bytes. Answers false on
  /// an error, a closed stream or when `deadline` passes (the stream is
  /// then unusable).
  virtual bool write_all(const uint8_t* data, size_t len,
                         clock::time_point deadline) = 0;

  /// Called by the data plane: receives exactly `len` bytes into `data`.
  /// Answers false as write_all does.
  virtual bool read_all(uint8_t* data, size_t len,
                        clock::time_point deadline) = 0;

  /// Called by the data plane's server: the principal the peer proved with
  /// its certificate (TLS), or empty if the stream does not authenticate.
  virtual std::string peer_principal() const = 0;
};

/// Called by stream implementations: waits until the socket `fd` is ready
/// for `events` (POLLIN, POLLOUT). Answers false if `deadline` passed or
/// poll failed; never waits past the deadline.
bool await_socket(int fd, short events,
                  byte_stream::clock::time_point deadline);

} // namespace workers
