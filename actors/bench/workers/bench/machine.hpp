#pragma once

// machine_info: what the report says about the machine and the run: CPU
// count and model, memory, kernel, CAF version, date.

#include <cstdint>
#include <string>

namespace workers::bench {

struct machine_info {
  unsigned nproc = 0;
  std::string cpu_model;
  uint64_t mem_total_kib = 0;
  std::string kernel;
  /// "0.17.6", from CAF_VERSION.
  std::string caf_version;
  /// UTC, ISO 8601.
  std::string date;
};

/// Called by the bench runner once per run: reads /proc/cpuinfo,
/// /proc/meminfo and uname; fields it cannot read stay empty (or 0).
machine_info collect_machine_info();

} // namespace workers::bench
