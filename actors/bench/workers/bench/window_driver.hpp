#pragma once

// window_driver: measures asynchronous operations from inside an
// event-based actor -- the non-blocking API and actor-to-actor CAF requests.
// It runs a *step* (one asynchronous operation that reports its outcome
// through a callback) n times, keeping `window` steps in flight: window 1 is
// a sequential loop (each step starts when the previous answered: latency),
// window n starts them all at once (pipelining: throughput).
//
// Example:
//   auto secs = run_window(sys, echo_step(echo, t, 10s), 1000, 1, 60s);
//   double round_trip = secs / 1000;

#include <functional>
#include <future>
#include <memory>

#include <caf/actor_system.hpp>
#include <caf/error.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/timespan.hpp>

#include <string>

namespace workers::bench {

/// Reports a step's outcome: an empty error for success.
using step_done = std::function<void(const caf::error&)>;

/// Starts one asynchronous operation from inside `self` and calls `done`
/// exactly once with its outcome (from a message handler of `self`).
using async_step = std::function<void(caf::event_based_actor*, step_done)>;

/// What an actor-driven measurement reports once: its error (empty on
/// success) and the seconds it measured.
struct driven_outcome {
  caf::error err;
  double seconds = 0;
};

using outcome_promise = std::shared_ptr<std::promise<driven_outcome>>;

/// Called by run_window and the bare-CAF baselines from a non-actor thread:
/// calls `spawn` with a promise, which the spawned actor fulfils once, and
/// waits for it at most `bound`. Returns the seconds it reported. Throws
/// std::runtime_error with its error, or on timeout (the actor is killed);
/// `what` names the measurement in the message.
double await_driven(const std::function<caf::actor(outcome_promise)>& spawn,
                    const std::string& what, caf::timespan bound);

/// Called by samplers from a non-actor thread: spawns an event-based actor
/// that runs `step` `n` times with `window` steps in flight, and waits for
/// the last one, at most `bound`. Returns the seconds from the first start to
/// the last answer. Throws std::runtime_error with the first step's error
/// (the run stops there) or on timeout (the actor is killed).
double run_window(caf::actor_system& sys, async_step step, size_t n,
                  size_t window, caf::timespan bound);

} // namespace workers::bench
