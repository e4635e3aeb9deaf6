#pragma once

// The memory measurements, each run in a fresh child process of the bench
// (`bench --child=NAME`), so that its resident memory is its own and not
// what earlier sections left behind. A child prints "key value" lines on
// stdout (parse_key_values reads them) or "error MESSAGE" and exits 1.
//   peak           fresh nodes A (bob) and B (alice); a tensor of
//                  plan::peak_bytes is sent to bob, moved to alice, and
//                  taken home (the client's copy dropped first). Before each
//                  phase every process's peak (VmHWM) is reset to its current
//                  resident set; after it the peak is read: PHASE.PROC.
//                  before_kib / peak_kib for PROC in client, bob, alice.
//   cycles-inproc  start_kib, warm_kib, end_kib: VmRSS of this process
//   cycles-node    (in-process bob) or of a fresh node hosting bob, at the
//                  start, after plan::cycles_warmup and after plan::cycles
//                  more cycles of {auto p = tensor{1, 2, 3, 4}.send(bob);
//                  auto q = p + 1;}, with a barrier every
//                  plan::cycles_per_barrier cycles.

#include <string>
#include <vector>

#include "workers/actors/runtime_config.hpp"
#include "workers/bench/plan.hpp"

namespace workers::bench {

/// Called by apps/bench for --child=`which`: runs that measurement with a
/// runtime from `cfg` and nodes from `node_binary` started with `node_args`,
/// and prints its numbers to stdout. Returns the exit status: 0, or 1 after
/// printing "error MESSAGE" if anything failed.
int run_memory_child(const std::string& which, runtime_config& cfg,
                     const plan& p, const std::string& node_binary,
                     const std::vector<std::string>& node_args);

} // namespace workers::bench
