#include "workers/bench/config_info.hpp"

#include <caf/defaults.hpp>
#include <caf/settings.hpp>

namespace workers::bench {

caf::error parse_config(runtime_config& cfg,
                        const std::vector<std::string>& args) {
  std::vector<std::string> copy{"bench"};
  copy.insert(copy.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : copy)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  return cfg.parse_args(static_cast<int>(copy.size()), argv.data());
}

run_config describe_config(const runtime_config& cfg,
                           std::vector<std::string> args) {
  run_config result;
  result.scheduler_policy = caf::to_string(
    caf::get_or(cfg, "scheduler.policy", caf::defaults::scheduler::policy));
  result.scheduler_max_threads = caf::get_or(
    cfg, "scheduler.max-threads", caf::defaults::scheduler::max_threads);
  result.middleman_workers =
    caf::get_or(cfg, "middleman.workers", caf::defaults::middleman::workers);
  // std::string keys: CAF 0.17's string_view takes a `const char*` only
  // under GCC (clang gets the array constructor), so a `const char*` key
  // finds no get_if there.
  for (const std::string key :
       {"middleman.enable-automatic-connections",
        "middleman.heartbeat-interval", "middleman.connection-timeout",
        "middleman.max-consecutive-reads", "scheduler.max-throughput"})
    if (auto* value = caf::get_if(&caf::content(cfg), key))
      result.extra.emplace_back(key, caf::to_string(*value));
  auto ms =
    std::chrono::duration_cast<std::chrono::milliseconds>(cfg.request_timeout);
  result.extra.emplace_back("workers.request-timeout",
                            std::to_string(ms.count()) + "ms");
  result.args = std::move(args);
  return result;
}

std::vector<std::string>
override_args(const std::vector<std::string>& args,
              const std::vector<std::string>& keys,
              const std::vector<std::string>& overrides) {
  std::vector<std::string> result;
  for (auto& a : args) {
    bool drop = false;
    for (auto& k : keys)
      if (a.rfind("--" + k + "=", 0) == 0 || a == "--" + k)
        drop = true;
    if (!drop)
      result.push_back(a);
  }
  result.insert(result.end(), overrides.begin(), overrides.end());
  return result;
}

} // namespace workers::bench
