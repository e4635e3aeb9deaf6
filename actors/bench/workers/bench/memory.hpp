#pragma once

// The memory section: runs the memory children (memory_child.hpp) as fresh
// processes of this executable and turns their numbers into rows:
//   peak RSS during a send / move / get of plan::peak_bytes (256 MiB), at
//   the sending and the receiving end, as a multiple of the payload
//   (target <= 2.5x in each process);
//   resident memory after the create/op/drop cycles, in-process and on a
//   node, against the resident memory after the warm-up cycles (target:
//   < 5% growth), and after the warm-up against the start (no target: the
//   warm-up fills bounded tables such as the 65536 tombstones of a store).

#include <string>
#include <vector>

#include "workers/bench/plan.hpp"
#include "workers/bench/report.hpp"

namespace workers::bench {

/// How to start a memory child: this executable, the mode flag ("--quick"),
/// the node binary and the CAF/libworkers options to pass on.
struct child_launch {
  std::string executable;
  std::string mode_flag;
  std::string node_binary;
  std::vector<std::string> caf_args;
};

/// Called by the bench runner: runs the memory children and adds the rows
/// to `out`. A failing child fails its rows (with its error message).
void run_memory(const child_launch& how, const plan& p, report& out);

} // namespace workers::bench
