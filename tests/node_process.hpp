#pragma once

// node_process: runs apps/node as a child process for tests. Starts it on
// 127.0.0.1 with a port the OS chooses, waits (bounded) for it to listen,
// and kills it when the test is done, also when the test fails.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace workers::test {

class node_process {
 public:
  /// Starts a node hosting `workers`; `args` are extra command-line options.
  /// Throws std::runtime_error if it does not listen within `timeout`.
  explicit node_process(
    std::vector<std::string> workers, std::vector<std::string> args = {},
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

} // namespace workers::test
