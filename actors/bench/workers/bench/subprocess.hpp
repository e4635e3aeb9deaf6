#pragma once

// Running a program to completion with its output captured, bounded in
// time: the bench runs its memory measurements in fresh child processes of
// itself, so that their peak memory is their own.
//
// Example:
//   auto out = run_captured({self_executable(), "--child=peak"}, 60s);

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace workers::bench {

/// Called by the memory section: runs `argv` (argv[0]: the executable's
/// path) with its stdout captured and its stderr inherited, and returns its
/// stdout once it exits with status 0. Throws std::runtime_error if it
/// cannot start, exits otherwise (the message carries its stdout's last
/// line), or runs longer than `timeout` (it is killed then).
std::string run_captured(const std::vector<std::string>& argv,
                         std::chrono::milliseconds timeout);

/// Called by the memory section on a child's output: the "key value" lines
/// of `text` as numbers (other lines are skipped). A line "error MESSAGE"
/// makes it throw std::runtime_error(MESSAGE).
std::map<std::string, double> parse_key_values(const std::string& text);

/// Called by the bench runner: the path of this process's executable (from
/// /proc/self/exe); empty if unknown.
std::string self_executable();

/// Called by apps/bench: `requested` if not empty; else the executable
/// `name` next to this one if there is one; else `fallback` if it is an
/// executable; else "".
std::string find_executable(const std::string& requested,
                            const std::string& name,
                            const std::string& fallback);

/// The directory part of `path` ("" for a bare name).
std::string dirname_of(const std::string& path);

} // namespace workers::bench
