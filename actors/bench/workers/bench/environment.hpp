#pragma once

// environment: what the benchmark's scenarios run against -- a runtime and
// up to two *sites*: workers in the bench's own process, and workers in two
// node processes on 127.0.0.1 (apps/node, ports chosen by the OS, killed
// when the environment goes). Each site has bob (holds operands), alice (a
// move destination), chain workers for chains of depth 1 to 8, and the
// peer of the bare-CAF baseline.
//
// Across processes node A hosts bob, c1, c3, c5, c7 and node B hosts alice,
// c2, c4, c6, c8: every hop of a chain and every move crosses processes, and
// the baseline's peer is node A's directory, reached through the same
// middleman connection as bob.

#include <memory>
#include <string>
#include <vector>

#include "workers/actors/node_process.hpp"
#include "workers/actors/runtime.hpp"
#include "workers/actors/runtime_config.hpp"
#include "workers/bench/caf_echo.hpp"

namespace workers::bench {

/// Where a scenario's workers live.
struct site {
  /// "in-process" or "cross-process".
  std::string where;
  worker bob;
  worker alice;
  /// chain[i] holds hop i+1 of a chain (chain[0] holds the data).
  std::vector<worker> chain;
  /// The bare-CAF baseline's peer (echo_impl, or node A's directory).
  echo_actor echo;
};

struct environment_options {
  /// apps/node, for the cross-process site.
  std::string node_binary;
  /// CAF and libworkers options for the nodes (the bench's own).
  std::vector<std::string> node_args;
  bool in_process = true;
  bool cross_process = true;
  /// Chain workers per site (0 to 8).
  size_t chain_depth = 8;
};

class environment {
 public:
  /// Called by the section runners: a runtime from `cfg` (which must outlive
  /// the environment), then the sites `opts` asks for. Throws
  /// std::runtime_error if a node does not start or cannot be reached.
  environment(runtime_config& cfg, const environment_options& opts);

  environment(const environment&) = delete;
  environment& operator=(const environment&) = delete;

  /// Drops the sites, stops the runtime, then kills the nodes.
  ~environment();

  runtime& rt() noexcept { return *rt_; }

  /// The sites, in-process first.
  std::vector<site*> sites();

  /// The in-process site, or nullptr.
  site* in_process() noexcept { return local_.get(); }

  /// The cross-process site, or nullptr.
  site* cross_process() noexcept { return remote_.get(); }

 private:
  void start(const environment_options& opts);

  void shutdown();

  std::vector<std::unique_ptr<node_process>> nodes_;
  std::unique_ptr<runtime> rt_;
  std::unique_ptr<site> local_;
  std::unique_ptr<site> remote_;
};

} // namespace workers::bench
