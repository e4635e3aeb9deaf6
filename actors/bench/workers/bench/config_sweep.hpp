#pragma once

// The config comparison: the latency subset that CAF's configuration moves
// (cross-process op round trip and its bare-CAF baseline; in-process op
// round trip with the blocking API and with async::get from an actor, and
// the actor-to-actor CAF baseline) under every combination of
// scheduler.policy in {stealing, sharing} and middleman.workers in {0, 1, 2},
// each in a fresh runtime with fresh nodes started with the same options.
// Adds the targeted ratios as rows (section "configs"), a table of all
// medians, and a recommendation: the combination with the lowest geometric
// mean of the three libworkers round trips.

#include <string>
#include <vector>

#include "workers/bench/plan.hpp"
#include "workers/bench/report.hpp"

namespace workers::bench {

/// Called by the bench runner: runs the comparison with nodes from
/// `node_binary` and the bench's own options `caf_args` (whose policy and
/// middleman workers each combination overrides) and adds its rows, table
/// and recommendation to `out`. A combination that fails adds an error and
/// the others go on.
void run_config_sweep(const std::string& node_binary,
                      const std::vector<std::string>& caf_args, const plan& p,
                      report& out);

} // namespace workers::bench
