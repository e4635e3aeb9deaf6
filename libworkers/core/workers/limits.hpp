#pragma once

// Resource limits: the largest tensor a worker creates or accepts.
//
// Design note
// -----------
// A request of a few bytes can ask for gigabytes: `one_hot` with a huge
// depth, `matmul` of [n, 0] x [0, n], a broadcast of [n, 1] and [1, n], a
// put announcing a huge large-tensor transfer. A worker therefore bounds
// every tensor it stores by `max_tensor_bytes` (worker_options::limits, set
// by the config key workers.max-tensor-bytes).
// Invariants:
//   Z1 Every tensor an operation or plan step creates is checked against
//      the limit before its storage is allocated: op.cpp computes each
//      output's shape from the operands' shapes and the attributes, and
//      every kernel allocates its output (and any converted operand) through
//      one checked call.
//   Z2 Every tensor that arrives (put, move, a large-tensor transfer before
//      its bytes are read, a literal operand, a plan literal) is checked
//      before it is stored or its transfer starts.
//   Z3 Hitting the limit is an error of kind capacity_exceeded naming what
//      was refused, its shape, dtype and size, the limit and the config key;
//      the worker keeps serving (it allocated nothing).
//
// Example:
//   auto err = check_tensor_size("one_hot output", dtype::float32,
//                                shape{100000000, 100000}, 1 << 30);
//   // capacity_exceeded: one_hot output [100000000, 100000] float32 =
//   // 37.3 TiB exceeds workers.max-tensor-bytes = 1 GiB

#include <cstdint>
#include <limits>
#include <string>

#include <caf/error.hpp>

#include "workers/dtype.hpp"
#include "workers/shape.hpp"

namespace workers {

/// The default of workers.max-tensor-bytes: 1 GiB. Four times the largest
/// tensor the tests and benchmarks move (256 MiB), and the largest tensor
/// the wire decoder accepts inside a message (tensor.hpp), so that a worker
/// on its defaults refuses nothing a client could send it inline.
constexpr uint64_t default_max_tensor_bytes = uint64_t{1} << 30;

/// No limit (local evaluation in the caller's own process).
constexpr uint64_t unlimited_tensor_bytes =
  std::numeric_limits<uint64_t>::max();

/// The config key that sets the limit, as errors name it.
constexpr const char* max_tensor_bytes_key = "workers.max-tensor-bytes";

/// Renders a byte count for humans: "512 B", "1 GiB", "37.3 TiB".
std::string format_bytes(uint64_t n);

/// Checks a `dt` tensor of shape `s`, described by `what` ("one_hot output",
/// "incoming tensor 3@..."), against `limit` (Z3). Returns capacity_exceeded
/// naming shape, dtype, size, limit and config key if it is larger; or
/// bad_argument if the dtype is unknown or the shape invalid. Called by
/// op.cpp before allocating, and by workers for tensors that arrive.
caf::error check_tensor_size(const std::string& what, dtype dt, const shape& s,
                             uint64_t limit);

} // namespace workers
