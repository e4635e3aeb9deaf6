#pragma once

// run_bench: the whole benchmark run behind apps/bench. Runs the selected
// sections in order -- latency, throughput and bandwidth in one environment
// (in-process workers and two node processes), then memory (in child
// processes), then the config comparison (fresh runtimes and nodes per
// combination) -- prints the report as a table to stdout (progress goes to
// stderr) and writes it as JSON if asked.

#include <string>

#include "workers/actors/runtime_config.hpp"
#include "workers/bench/cli.hpp"

namespace workers::bench {

/// Called by apps/bench with its parsed options, its runtime config (parsed
/// from args.caf_args) and the node binary to start. Returns the exit
/// status: 0 if every measurement ran (targets may still be missed), 1 if a
/// measurement or section failed, or the JSON file could not be written.
int run_bench(const bench_args& args, runtime_config& cfg,
              const std::string& node_binary);

} // namespace workers::bench
