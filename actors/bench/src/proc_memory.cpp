#include "workers/bench/proc_memory.hpp"

#include <fstream>
#include <stdexcept>

namespace workers::bench {

namespace {

std::string proc_path(pid_t pid, const char* file) {
  return "/proc/" + (pid == 0 ? std::string{"self"} : std::to_string(pid)) +
         "/" + file;
}

} // namespace

uint64_t status_kib(pid_t pid, const std::string& field) {
  auto path = proc_path(pid, "status");
  std::ifstream in{path};
  if (!in)
    throw std::runtime_error("cannot read " + path);
  std::string key;
  auto wanted = field + ":";
  while (in >> key) {
    if (key == wanted) {
      uint64_t kib = 0;
      if (in >> kib)
        return kib;
      break;
    }
    in.ignore(1 << 16, '\n');
  }
  throw std::runtime_error("no " + field + " in " + path);
}

bool reset_peak_rss(pid_t pid) {
  std::ofstream out{proc_path(pid, "clear_refs")};
  if (!out)
    return false;
  out << "5\n";
  out.flush();
  return static_cast<bool>(out);
}

} // namespace workers::bench
