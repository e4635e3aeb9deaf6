#pragma once

// The bandwidth section: send, move and get of float32 tensors of each
// plan size (1 KiB, 1 MiB, 64 MiB, 256 MiB) on every site. One round is
//   send   auto p = t.send(bob); barrier
//   move   p.move(alice); barrier       (bob -> alice, node to node)
//   get    p.get()                      (from alice)
// timed separately. Baselines: a raw TCP transfer of 64 MiB to a forked
// process (for cross-process rows) and memcpy of 64 MiB (for in-process
// rows, where tensors are shared, not copied). Target: 64 MiB send, move
// and get across processes >= 0.65x raw TCP bandwidth.

#include "workers/bench/environment.hpp"
#include "workers/bench/plan.hpp"
#include "workers/bench/report.hpp"

namespace workers::bench {

/// Called by the bench runner: measures the bandwidth section on every site
/// of `env` and adds its rows (and its baselines' rows) to `out`. A failing
/// size fails its rows, not the section.
void run_bandwidth(environment& env, const plan& p, report& out);

} // namespace workers::bench
