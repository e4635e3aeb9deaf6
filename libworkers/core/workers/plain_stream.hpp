#pragma once

// plain_stream: the data plane over plain TCP (stream_security.hpp), for
// clusters in insecure mode and for tests. Nothing authenticates the peer:
// only the blob's token protects the bytes (data_plane.hpp, D1).

#include <memory>

#include "workers/stream_security.hpp"

namespace workers {

/// Called by make_data_plane (insecure mode), data_plane::listen and
/// fetch_over_tcp by default: the process-wide plain TCP security. Never
/// fails.
std::shared_ptr<const stream_security> plain_tcp();

} // namespace workers
