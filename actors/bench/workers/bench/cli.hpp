#pragma once

// The benchmark's own command-line options. Everything it does not know is
// left for CAF and libworkers (runtime_config), and passed on to the node
// processes it starts, so `--scheduler.policy=sharing --middleman.workers=0`
// apply to both ends.

#include <string>
#include <vector>

#include "workers/bench/plan.hpp"

namespace workers::bench {

struct bench_args {
  run_mode mode = run_mode::full;
  /// Where to write the JSON report; empty: no JSON.
  std::string json_path;
  /// Sections to run (latency, throughput, bandwidth, memory, configs);
  /// empty: all.
  std::vector<std::string> only;
  /// The apps/node executable; empty: next to the bench, else the build's.
  std::string node_binary;
  /// Internal: run one memory measurement as a child process ("peak",
  /// "cycles-inproc", "cycles-node") and print its numbers.
  std::string child;
  bool help = false;
  /// Options for CAF and libworkers (and for the nodes).
  std::vector<std::string> caf_args;

  /// Whether `section` runs.
  bool selected(const std::string& section) const;
};

/// The sections --only accepts.
const std::vector<std::string>& selectable_sections();

/// Called by apps/bench first thing: splits argv into the bench's options
/// and the rest. Throws std::invalid_argument naming a bad value (an unknown
/// section in --only, an unknown --child).
bench_args parse_bench_args(int argc, char** argv);

/// The bench's --help text (the CAF options follow it).
std::string bench_usage();

} // namespace workers::bench
