#pragma once

// Resident memory of a process, from /proc: the current resident set
// (VmRSS) and its peak (VmHWM), which Linux can reset to the current value.
//
// Example:
//   reset_peak_rss(node_pid);
//   big_transfer();
//   auto peak = status_kib(node_pid, "VmHWM");

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace workers::bench {

/// Called by the memory scenarios: the value of `field` ("VmRSS", "VmHWM")
/// in /proc/PID/status in KiB; `pid` 0 is this process. Throws
/// std::runtime_error if the process or the field does not exist.
uint64_t status_kib(pid_t pid, const std::string& field);

/// Called by the memory scenarios before a phase: resets PID's peak (VmHWM)
/// to its current resident set (writes "5" to /proc/PID/clear_refs, Linux
/// 4.0+); `pid` 0 is this process. Returns false if that is not permitted.
bool reset_peak_rss(pid_t pid);

} // namespace workers::bench
