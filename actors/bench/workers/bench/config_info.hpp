#pragma once

// The CAF configuration of a benchmark run: parsing the options the bench
// passes to runtime_config (and to its nodes), and describing the settings
// that move latency for the report.

#include <string>
#include <vector>

#include <caf/error.hpp>

#include "workers/actors/runtime_config.hpp"
#include "workers/bench/report.hpp"

namespace workers::bench {

/// Called by apps/bench and the config sweep: parses `args` (without a
/// program name) into `cfg` as runtime_config::parse_args does. Returns
/// CAF's error for a bad option.
caf::error parse_config(runtime_config& cfg,
                        const std::vector<std::string>& args);

/// Called by the bench runner and the config sweep: the scheduler policy,
/// scheduler threads, middleman workers and other transport settings of
/// `cfg` (CAF's defaults where `cfg` sets nothing), plus `args`.
run_config describe_config(const runtime_config& cfg,
                           std::vector<std::string> args);

/// Called by the config sweep: `args` without any option for `keys`
/// ("scheduler.policy" drops every "--scheduler.policy=..."), then
/// `overrides` appended.
std::vector<std::string>
override_args(const std::vector<std::string>& args,
              const std::vector<std::string>& keys,
              const std::vector<std::string>& overrides);

} // namespace workers::bench
