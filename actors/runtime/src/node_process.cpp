#include "workers/actors/node_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace workers {

node_process::node_process(std::string binary, std::vector<std::string> workers,
                           std::vector<std::string> args,
                           std::chrono::milliseconds timeout) {
  std::string list = "--node.workers=[";
  for (size_t i = 0; i < workers.size(); ++i)
    list += (i > 0 ? "," : "") + workers[i];
  list += "]";
  std::vector<std::string> argv_s{std::move(binary), list,
                                  "--node.host=127.0.0.1", "--node.port=0"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe failed: " + std::string{strerror(errno)});
  auto parent = getpid();
  pid_ = fork();
  if (pid_ < 0) {
    close(fds[0]);
    close(fds[1]);
    throw std::runtime_error("fork failed: " + std::string{strerror(errno)});
  }
  if (pid_ == 0) {
    // Die with the starting thread; if it is already gone, do not start.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
      _exit(126);
    dup2(fds[1], STDOUT_FILENO); // dup2 clears O_CLOEXEC on the copy
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  out_ = fds[0];
  // Read until "node: hosting ... on 127.0.0.1:PORT\n", bounded by timeout.
  std::string line;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (line.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    pollfd p{out_, POLLIN, 0};
    if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0)
      break;
    char buf[256];
    auto n = read(out_, buf, sizeof(buf));
    if (n <= 0)
      break;
    line.append(buf, static_cast<size_t>(n));
  }
  // Only the first line counts (more may have arrived with it).
  if (auto eol = line.find('\n'); eol != std::string::npos)
    line.resize(eol);
  auto colon = line.rfind(':');
  if (line.rfind("node: hosting", 0) != 0 || colon == std::string::npos) {
    kill(SIGKILL);
    close(out_);
    throw std::runtime_error("node " + argv_s[0] + " did not start: " +
                             (line.empty() ? "no output" : line));
  }
  port_ = static_cast<uint16_t>(std::stoi(line.substr(colon + 1)));
}

node_process::~node_process() {
  kill(SIGKILL);
  if (out_ >= 0)
    close(out_);
}

void node_process::kill(int sig) {
  if (pid_ <= 0)
    return;
  ::kill(pid_, sig);
  if (sig == SIGKILL || sig == SIGTERM) {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
}

std::string trusted_workers_option(const std::vector<std::string>& workers) {
  std::string result = "--policy.trusted=[";
  for (auto& name : workers)
    result += "\"" + name + "\",";
  if (!workers.empty())
    result.pop_back();
  return result + "]";
}

} // namespace workers
