#include "workers/bench/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <stdexcept>

namespace workers::bench {

namespace {

std::string last_line(const std::string& out) {
  auto end = out.find_last_not_of('\n');
  if (end == std::string::npos)
    return "no output";
  auto begin = out.rfind('\n', end);
  return out.substr(begin == std::string::npos ? 0 : begin + 1,
                    end - (begin == std::string::npos ? 0 : begin + 1) + 1);
}

} // namespace

std::string run_captured(const std::vector<std::string>& argv_s,
                         std::chrono::milliseconds timeout) {
  if (argv_s.empty())
    throw std::runtime_error("run_captured: no program");
  std::vector<std::string> copy = argv_s;
  std::vector<char*> argv;
  for (auto& a : copy)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string{"pipe: "} + std::strerror(errno));
  auto parent = getpid();
  auto pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    throw std::runtime_error(std::string{"fork: "} + std::strerror(errno));
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
      _exit(126);
    dup2(fds[1], STDOUT_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    auto ready = poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR)
      continue;
    if (ready <= 0) {
      timed_out = ready == 0;
      break;
    }
    char buf[4096];
    auto n = read(fds[0], buf, sizeof(buf));
    if (n <= 0)
      break; // EOF: the child closed its stdout (exited)
    out.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  if (timed_out)
    kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  if (timed_out)
    throw std::runtime_error(argv_s[0] + " " + argv_s[1 % argv_s.size()] +
                             ": timed out after " +
                             std::to_string(timeout.count()) + " ms");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error(
      argv_s[0] + " " + argv_s[1 % argv_s.size()] + ": " +
      (WIFEXITED(status)
         ? "exit status " + std::to_string(WEXITSTATUS(status))
         : "killed by signal " + std::to_string(WTERMSIG(status))) +
      " (" + last_line(out) + ")");
  return out;
}

std::map<std::string, double> parse_key_values(const std::string& text) {
  std::map<std::string, double> result;
  std::istringstream in{text};
  std::string line;
  while (std::getline(in, line)) {
    auto space = line.find(' ');
    if (space == std::string::npos)
      continue;
    auto key = line.substr(0, space);
    auto value = line.substr(space + 1);
    if (key == "error")
      throw std::runtime_error(value);
    try {
      result[key] = std::stod(value);
    } catch (const std::exception&) {
      // not a number: not ours
    }
  }
  return result;
}

std::string self_executable() {
  char buf[4096];
  auto n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0)
    return {};
  return std::string(buf, static_cast<size_t>(n));
}

std::string find_executable(const std::string& requested,
                            const std::string& name,
                            const std::string& fallback) {
  if (!requested.empty())
    return requested;
  auto dir = dirname_of(self_executable());
  if (!dir.empty()) {
    auto sibling = dir + "/" + name;
    if (access(sibling.c_str(), X_OK) == 0)
      return sibling;
  }
  if (!fallback.empty() && access(fallback.c_str(), X_OK) == 0)
    return fallback;
  return {};
}

std::string dirname_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos)
    return {};
  return slash == 0 ? "/" : path.substr(0, slash);
}

} // namespace workers::bench
