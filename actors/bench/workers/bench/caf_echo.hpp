#pragma once

// The bare-CAF baseline: a request/response round trip to an actor that
// answers `ping_atom, tensor` with the tensor, no libworkers in between.
// In-process it is echo_impl in the bench's own actor system; across
// processes it is a node's directory (protocol.hpp, directory_actor), which
// answers the same message, so the baseline runs through the same node
// process, middleman connection and CAF configuration as the worker
// protocol.
//
// Example:
//   auto echo = sys.spawn(workers::bench::echo_impl);
//   auto secs = echo_blocking(sys, echo, tensor{1, 2, 3, 4}, 10s, 100);

#include <caf/actor_system.hpp>
#include <caf/timespan.hpp>
#include <caf/typed_actor.hpp>

#include "workers/bench/window_driver.hpp"
#include "workers/protocol.hpp"
#include "workers/tensor.hpp"

namespace workers::bench {

/// The part of directory_actor the baseline uses.
using echo_actor =
  caf::typed_actor<caf::replies_to<ping_atom, tensor>::with<tensor>>;

/// Behaviour of the in-process echo peer. Spawned by the bench environment.
echo_actor::behavior_type echo_impl();

/// Called by the latency samplers from a non-actor thread: `n` blocking
/// request/response round trips from one scoped actor (reused across calls
/// through `self`) to `echo` carrying `payload`; returns their total
/// seconds. Throws std::runtime_error on an error or a timeout (`timeout`
/// per request) or if the answer is not the payload.
double echo_blocking(caf::scoped_actor& self, const echo_actor& echo,
                     const tensor& payload, caf::timespan timeout, size_t n);

/// Called by the latency and throughput samplers: a window_driver step that
/// sends one request to `echo` and completes with its answer. With
/// `bounded`, the request carries `timeout` (CAF then arms a timer per
/// request); otherwise it is sent with caf::infinite and only the driver's
/// overall bound applies.
async_step echo_step(echo_actor echo, tensor payload, caf::timespan timeout,
                     bool bounded = true);

/// Called by the throughput samplers from a non-actor thread: an actor sends
/// `n` pings to `echo` at once as ordinary messages (no request ids, no
/// timers) and counts the `n` answers, which CAF sends back as ordinary
/// messages. Returns the seconds until the last one arrived. Throws
/// std::runtime_error if they do not all arrive within `bound`.
double echo_send_burst(caf::actor_system& sys, const echo_actor& echo,
                       const tensor& payload, size_t n, caf::timespan bound);

} // namespace workers::bench
