#pragma once

// samplers: the operations the benchmark measures, each as a sampler
// (repeat.hpp) on one site (environment.hpp). One call runs `batch`
// operations, one after the other, and returns the mean seconds per
// operation; untimed setup and cleanup (creating an operand, dropping a
// result and waiting for its release) stay outside the timed part. The
// first call also checks the operation's result once (untimed), so a
// broken path fails the row instead of producing a fast number.
//
// Blocking API ("+ barrier": rt.context()->barrier() waits until the
// workers acknowledged every state change sent so far, which is when an
// operation kept remote is complete):
//   send         auto p = t.send(bob); barrier
//   op           auto z = x + y; barrier               (x, y on bob)
//   get          p.get()                               (p on bob)
//   move         p.move(alice or bob, alternating); barrier
//   chain        auto z = x + y; barrier               (x, y: depth-d chains)
// Non-blocking API, from inside an event-based actor (window_driver.hpp),
// each iteration starting when the previous one answered:
//   async op     async::get(self, x + y, ...)
//   async get    async::get(self, t.send(bob), ...)
// Pipelined (seconds per operation over n in flight):
//   kept         n times keep.push_back(x + y); keep.back().get(); barrier
//   chained      acc = x + 1, then n - 1 times acc = acc + 1 (dropping the
//                previous one); acc.get(); barrier
// Bare CAF baselines (caf_echo.hpp): blocking request/response from a
// scoped actor, actor-to-actor request/response, n requests in flight.
//
// Failure: a sampler throws std::runtime_error (or operation_error) when an
// operation fails, a wait runs out, or a check finds a wrong value;
// repeat_interleaved turns that into the row's error and stops calling it.

#include <cstddef>

#include "workers/bench/environment.hpp"
#include "workers/bench/repeat.hpp"
#include "workers/tensor.hpp"

namespace workers::bench {

/// Called by the latency section and the config sweep: `batch` blocking
/// round trips to the site's echo peer carrying `t`.
sampler caf_blocking_sampler(runtime& rt, const site& s, tensor t,
                             size_t batch);

/// Called by the latency section and the config sweep: `batch` sequential
/// actor-to-actor round trips to the site's echo peer carrying `t`.
sampler caf_actor_sampler(runtime& rt, const site& s, tensor t, size_t batch);

/// How the pipelined bare-CAF baseline talks to the echo peer.
enum class echo_mode {
  /// request(echo, timeout, ...).then(...): bounded, a timer per request.
  bounded_request,
  /// request(echo, caf::infinite, ...).then(...): no timers.
  unbounded_request,
  /// send(echo, ...), answers as ordinary messages: no request ids.
  send_reply,
};

/// Called by the throughput section: `n` messages to the echo peer in
/// flight at once from one actor, as `mode` says; seconds per message.
sampler caf_pipelined_sampler(runtime& rt, const site& s, tensor t, size_t n,
                              echo_mode mode);

/// Called by the latency section: send `t` to bob + barrier.
sampler send_sampler(runtime& rt, const site& s, tensor t, size_t batch);

/// Called by the latency section and the config sweep: x + y on bob, kept
/// remote, + barrier.
sampler op_sampler(runtime& rt, const site& s, tensor t, size_t batch);

/// Called by the latency section: get of `t` from bob (put untimed).
sampler get_sampler(runtime& rt, const site& s, tensor t, size_t batch);

/// Called by the latency section: move between bob and alice + barrier.
sampler move_sampler(runtime& rt, const site& s, tensor t, size_t batch);

/// Called by the latency section and the config sweep: x + y then
/// async::get, sequentially from inside an event-based actor.
sampler async_op_sampler(runtime& rt, const site& s, tensor t, size_t batch);

/// Called by the latency section: t.send(bob) then async::get of it (a put
/// and a take), sequentially from inside an event-based actor.
sampler async_send_get_sampler(runtime& rt, const site& s, tensor t,
                               size_t batch);

/// Called by the latency section: x + y on depth-`depth` chains over the
/// site's chain workers + barrier. The sampler throws std::runtime_error if
/// the site has fewer than `depth` chain workers or depth is not in 1..8.
sampler chain_sampler(runtime& rt, const site& s, tensor t, size_t depth,
                      size_t batch);

/// Called by the throughput section: `n` pipelined x + y, results kept,
/// then one get + barrier; seconds per operation.
sampler pipelined_kept_sampler(runtime& rt, const site& s, tensor t, size_t n);

/// Called by the throughput section: acc = acc + 1 `n` times, dropping each
/// intermediate, then one get + barrier; seconds per operation.
sampler pipelined_chained_sampler(runtime& rt, const site& s, tensor t,
                                  size_t n);

/// Called by scenario code: throws std::runtime_error naming `what` if
/// `got` is not (close to) `want`.
void expect_equal(const tensor& got, const tensor& want,
                  const std::string& what);

/// Called by scenario code: rt.context()->barrier(), throwing
/// std::runtime_error if it fails (a worker did not acknowledge in time).
void settle(runtime& rt);

} // namespace workers::bench
