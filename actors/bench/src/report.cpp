#include "workers/bench/report.hpp"

namespace workers::bench {

const std::vector<std::string>& section_names() {
  static const std::vector<std::string> names{
    "baselines", "latency", "throughput", "bandwidth", "memory", "configs"};
  return names;
}

std::string run_config::brief() const {
  return "scheduler.policy=" + scheduler_policy +
         " scheduler.max-threads=" + std::to_string(scheduler_max_threads) +
         " middleman.workers=" + std::to_string(middleman_workers);
}

void report::set(const std::string& key, std::string value) {
  for (auto& kvp : meta_)
    if (kvp.first == key) {
      kvp.second = std::move(value);
      return;
    }
  meta_.emplace_back(key, std::move(value));
}

size_t report::missed_targets() const {
  size_t n = 0;
  for (auto& r : results_)
    if (r.met() == false)
      ++n;
  return n;
}

size_t report::failed_rows() const {
  size_t n = 0;
  for (auto& r : results_)
    if (!r.error.empty())
      ++n;
  return n;
}

} // namespace workers::bench
