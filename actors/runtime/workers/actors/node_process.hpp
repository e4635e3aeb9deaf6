#pragma once

// node_process: runs apps/node as a child process (for tests, benchmarks and
// probes). Starts it on 127.0.0.1 with a port the OS chooses, waits (bounded)
// until it listens, and kills it when the handle goes, also when the caller
// fails. The node also dies with the thread that started it (PDEATHSIG), so a
// crashed or killed caller leaves no node behind: start nodes from a thread
// that outlives them (usually the main thread).
//
// Example:
//   workers::node_process bob_node{"build/apps/node", {"bob"}};
//   auto bob = rt.connect("bob", "127.0.0.1", bob_node.port());

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace workers {

class node_process {
 public:
  /// Starts `binary` (apps/node) hosting `workers`; `args` are extra
  /// command-line options (CAF's and libworkers'). Called by tests, probes
  /// and benchmarks. Throws std::runtime_error if the node does not listen
  /// within `timeout` (it is killed then).
  node_process(std::string binary, std::vector<std::string> workers,
               std::vector<std::string> args = {},
               std::chrono::milliseconds timeout = std::chrono::seconds(10));

  node_process(const node_process&) = delete;
  node_process& operator=(const node_process&) = delete;

  /// Kills the node (SIGKILL) if it still runs and reaps it.
  ~node_process();

  uint16_t port() const noexcept { return port_; }

  pid_t pid() const noexcept { return pid_; }

  /// Sends `sig` and, for SIGKILL and SIGTERM, waits for the exit.
  void kill(int sig);

  bool running() const noexcept { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  uint16_t port_ = 0;
};

/// "--policy.trusted=[\"bob\",...]": the option that lets node processes
/// started without a cluster list trust `workers` to act for others
/// (forwarding chains, moves; access_control.hpp, A1). Called by tests,
/// probes and benchmarks that start nodes one by one.
std::string trusted_workers_option(const std::vector<std::string>& workers);

} // namespace workers
