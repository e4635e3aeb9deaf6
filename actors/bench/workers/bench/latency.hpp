#pragma once

// The latency section: single operations on small tensors, one at a time,
// on every site of an environment, with their bare-CAF baselines measured
// interleaved with them (samplers.hpp lists what each operation is):
//   baselines   CAF request/response from a scoped actor (blocking) and from
//               an event-based actor (actor to actor); raw TCP ping-pong
//   latency     send, op kept remote, get, move (blocking API, ratio to the
//               blocking CAF round trip); op + async::get from an actor
//               (ratio to the actor-to-actor CAF round trip); op through
//               chains of depth 1..8 (ratio to depth 1)
// Targets: cross-process op <= 1.2x CAF blocking round trip; in-process
// async op <= 3x CAF actor-to-actor round trip; chain depth d <= 1.1*d x
// depth 1.

#include "workers/bench/environment.hpp"
#include "workers/bench/plan.hpp"
#include "workers/bench/report.hpp"

namespace workers::bench {

/// Called by the bench runner: measures the latency section on every site
/// of `env` and adds its rows (and its baselines' rows) to `out`. A failing
/// operation fails its row (with the error), not the section.
void run_latency(environment& env, const plan& p, report& out);

} // namespace workers::bench
