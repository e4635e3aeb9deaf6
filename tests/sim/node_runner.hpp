#pragma once

// node_runner: the simulation's programs against real node processes.
//
// The same programs and the same model as the deterministic harness, but
// every worker runs in its own `node` process on 127.0.0.1 and the client
// uses the blocking API: real sockets, real threads, real timing, and the
// large-tensor path never taken in one process. No seed controls the
// schedule here, so a failure is reported with its program but not shrunk.
// The nodes are started once and serve every program: each program ends
// with every store empty (the model's final observation), so the next one
// starts clean.

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "sim/driver.hpp"
#include "workers/actors/node_process.hpp"
#include "workers/actors/runtime.hpp"

namespace workers::sim {

/// Node processes w0..w(n-1), one worker each, and a client connected to
/// them.
class node_cluster {
 public:
  /// Starts the nodes (`binary` is apps/node); throws if one fails. With
  /// an empty `binary`, the workers run in this process instead (real
  /// threads and timing, no network). Crash steps kill or stop a node as
  /// `how` says; the lease is 2 s (1 s for clusters that crash nodes).
  node_cluster(const std::string& binary, size_t workers,
               std::optional<crash_kind> how = std::nullopt);

  ~node_cluster();

  const std::vector<worker>& workers() const noexcept { return workers_; }

  /// Waits until the client's changes are acknowledged, kills (SIGKILL) or
  /// stops (SIGSTOP) the node of worker `w`, and sleeps through the lease
  /// bound. The node stays dead (stopped ones are killed with the cluster):
  /// a cluster that crashed serves one program only.
  void crash(size_t w);

 private:
  std::optional<crash_kind> how_;
  std::chrono::milliseconds lease_;
  std::vector<std::unique_ptr<node_process>> nodes_;
  std::unique_ptr<runtime> rt_;
  std::vector<worker> workers_;
};

/// Runs `p` on the first p.workers workers of `cluster`.
run_result run_on_nodes(const program& p, node_cluster& cluster);

} // namespace workers::sim
