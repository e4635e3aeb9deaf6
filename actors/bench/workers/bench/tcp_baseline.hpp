#pragma once

// Raw TCP baselines over 127.0.0.1: what the machine's loopback does without
// CAF. The peer runs in a forked child process (so, as for the node
// processes, the two ends are different processes with their own CPU time),
// reads a fixed number of bytes into a preallocated buffer and answers a
// fixed number of bytes, until the connection closes.
//   - round trip: `payload` bytes each way (ping-pong), TCP_NODELAY;
//   - transfer:   `bytes` one way with large send() calls, a 1-byte ack.

#include <cstddef>

#include "workers/bench/series.hpp"

namespace workers::bench {

/// Called by the latency section: `reps` samples (after one warm-up), each
/// the mean seconds of `rounds` ping-pong round trips of `payload` bytes.
/// Throws std::runtime_error if a socket call fails or the peer is silent
/// for 10 s.
sample_series tcp_round_trip_seconds(size_t reps, size_t rounds,
                                     size_t payload);

/// Called by the bandwidth section: `reps` samples (after one warm-up), each
/// the seconds from the first byte sent to the peer's ack of all `bytes`.
/// Throws std::runtime_error as tcp_round_trip_seconds.
sample_series tcp_transfer_seconds(size_t reps, size_t bytes);

} // namespace workers::bench
