#include "workers/bench/machine.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <ctime>
#include <fstream>

#include <caf/config.hpp>

namespace workers::bench {

namespace {

// The value after "key" up to the end of the line in a /proc text file.
std::string proc_field(const char* path, const std::string& key) {
  std::ifstream in{path};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0) {
      auto colon = line.find(':');
      if (colon == std::string::npos)
        return {};
      auto begin = line.find_first_not_of(" \t", colon + 1);
      return begin == std::string::npos ? std::string{} : line.substr(begin);
    }
  return {};
}

} // namespace

machine_info collect_machine_info() {
  machine_info result;
  auto n = sysconf(_SC_NPROCESSORS_ONLN);
  result.nproc = n > 0 ? static_cast<unsigned>(n) : 0;
  result.cpu_model = proc_field("/proc/cpuinfo", "model name");
  auto mem = proc_field("/proc/meminfo", "MemTotal");
  result.mem_total_kib = mem.empty() ? 0 : std::stoull(mem);
  utsname u;
  if (uname(&u) == 0)
    result.kernel = std::string{u.sysname} + " " + u.release;
  result.caf_version = std::to_string(CAF_VERSION / 10000) + "." +
                       std::to_string(CAF_VERSION / 100 % 100) + "." +
                       std::to_string(CAF_VERSION % 100);
  auto now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  result.date = buf;
  return result;
}

} // namespace workers::bench
