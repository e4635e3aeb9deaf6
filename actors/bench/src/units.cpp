#include "workers/bench/units.hpp"

#include <cstdio>

namespace workers::bench {

sample_series micros(const sample_series& seconds) {
  return seconds.map([](double x) { return x * 1e6; });
}

sample_series per_second(const sample_series& seconds_per_op) {
  return seconds_per_op.map([](double x) { return 1.0 / x; });
}

sample_series mib_per_second(const sample_series& seconds, size_t bytes) {
  auto mib = static_cast<double>(bytes) / (1024.0 * 1024.0);
  return seconds.map([mib](double x) { return mib / x; });
}

double kib_to_mib(uint64_t kib) {
  return static_cast<double>(kib) / 1024.0;
}

std::string size_label(size_t bytes) {
  char buf[32];
  if (bytes >= (size_t{1} << 20) && bytes % (size_t{1} << 20) == 0)
    std::snprintf(buf, sizeof(buf), "%zu MiB", bytes >> 20);
  else if (bytes >= (size_t{1} << 20))
    std::snprintf(buf, sizeof(buf), "%.1f MiB",
                  static_cast<double>(bytes) / (1 << 20));
  else if (bytes >= 1024 && bytes % 1024 == 0)
    std::snprintf(buf, sizeof(buf), "%zu KiB", bytes >> 10);
  else
    std::snprintf(buf, sizeof(buf), "%zu B", bytes);
  return buf;
}

} // namespace workers::bench
