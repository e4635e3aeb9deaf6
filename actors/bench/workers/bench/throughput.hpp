#pragma once

// The throughput section: many small operations in flight, then one get, on
// every site (samplers.hpp: pipelined kept and chained), against the bare
// CAF baseline of as many requests in flight from one event-based actor.
// Target: >= 0.7x the baseline's requests per second, in-process and
// across processes.

#include "workers/bench/environment.hpp"
#include "workers/bench/plan.hpp"
#include "workers/bench/report.hpp"

namespace workers::bench {

/// Called by the bench runner: measures the throughput section on every
/// site of `env` and adds its rows (and its baselines' rows) to `out`.
void run_throughput(environment& env, const plan& p, report& out);

} // namespace workers::bench
