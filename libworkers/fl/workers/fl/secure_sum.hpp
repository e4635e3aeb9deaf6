#pragma once

// secure_sum: the sum of tensors held by different workers, computed so that
// nobody but the caller sees more than random numbers, and the caller sees
// only the sum (secure aggregation for federated averaging).
//
// Design note
// -----------
// Values are first put in fixed point: encode(x) = round(x * scale) as int64
// (scale 2^16 by default; exact in float32 for a power of two), decode(v) =
// float32(v) / scale. Each owner then splits its encoded tensor on its own
// worker into n additive shares, one per share holder:
//   r_1, ..., r_{n-1} = random_like(enc)   (uniform 64-bit, getrandom)
//   r_n = enc - r_1 - ... - r_{n-1}        (int64 arithmetic wraps mod 2^64)
// and moves share i straight to holder i (worker to worker, never through
// the caller). Holder i adds the shares it received from every owner; the
// caller takes home only these n holder sums, adds them (wrapping) and
// decodes: sum_i holder_i = sum_owners enc (mod 2^64).
// Invariants:
//   S1 Every share alone, and every n-1 of them, is uniformly random: a
//      holder (or the caller, before the last holder sum) learns nothing
//      about any single owner's tensor.
//   S2 The result equals the plain sum up to encoding: per element
//      |secure_sum - sum| <= owners * 0.5 / scale (+ float32 rounding of
//      the result), as long as |sum * scale| < 2^63.
//   S3 Nothing stays behind: shares and holder sums are released or taken
//      home by the time secure_sum returns.
//
// Example:
//   auto a = tensor{1.5f, -2.0f}.send(bob);
//   auto b = tensor{0.25f, 1.0f}.send(alice);
//   auto s = secure_sum({a, b}, {bob, alice, carol}); // tensor([1.75, -1.])

#include <vector>

#include <caf/expected.hpp>

#include "workers/dtype.hpp"
#include "workers/pointer.hpp"
#include "workers/tensor.hpp"
#include "workers/worker.hpp"

namespace workers {

/// The default fixed-point scale: 16 fractional bits.
constexpr double default_scale = 65536.0;

/// Fixed-point encoding of a float tensor (or pointer): round(x * scale) as
/// int64, computed where x is. Called by secure_sum; values beyond the int64
/// range saturate (cast in op.hpp), other failures are x's own.
template <class T>
T encode(const T& x, double scale = default_scale) {
  return (x * scale).round().cast(dtype::int64);
}

/// Decodes a fixed-point int64 tensor (or pointer) to float32. Called by
/// secure_sum on the reconstructed sum; fails only as x fails.
template <class T>
T decode(const T& x, double scale = default_scale) {
  return x.cast(dtype::float32) / scale;
}

/// Splits the int64 `secret` into holders.size() additive shares where it
/// lives and moves share i to holders[i]. Returns pointers to the shares
/// (on the holders), at once; errors surface when they are used. Called by
/// sum_shared; the secret itself stays with its owner.
std::vector<pointer<tensor>> share(const pointer<tensor>& secret,
                                   const std::vector<worker>& holders);

/// The wrapping sum of int64 `secrets` (same shape, each on its owner's
/// worker) computed through additive shares on `holders` (S1, S3). Blocking,
/// bounded by the client's timeout per holder sum. Fails with bad_argument
/// if there are no secrets or no holders, or with the first error of an
/// operation, move or get (naming the pointer or worker).
caf::expected<tensor> sum_shared(const std::vector<pointer<tensor>>& secrets,
                                 const std::vector<worker>& holders);

/// The sum of float `models` (same shape, each on its owner's worker),
/// fixed-point encoded with `scale` where they live and added by
/// sum_shared; returns the decoded float32 sum (S2). Called by secure
/// federated averaging. Fails like sum_shared.
caf::expected<tensor> secure_sum(const std::vector<pointer<tensor>>& models,
                                 const std::vector<worker>& holders,
                                 double scale = default_scale);

} // namespace workers
