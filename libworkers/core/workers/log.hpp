#pragma once

// log: levelled, line-oriented logging for nodes and for applications that
// embed libworkers. CAF 0.17's own logger is compiled out of Debian's
// libcaf-dev, so libworkers says what an operator needs through this one:
// node lifecycle, connections and disconnections, refusals, limits hit,
// errors, and operations slower than a threshold.
//
// Design note
// -----------
// One process-wide sink (like std::clog), configured once at start from the
// `[log]` section (runtime_config: level, file, slow-op) or in code with
// configure_log; until then it writes warnings and errors to stderr. Each
// record is one line:
//
//   2026-12-02T15:30:01.123Z WARN  bob: refused get of 4@ab.. by intruder ...
//   ^ UTC, milliseconds        ^ level ^ component (worker, gate, node, ...)
//
// Invariants:
//   L1 A record is written with one write(2) of the whole line, to stderr or
//      to a file opened O_APPEND, so lines of threads and processes sharing
//      the file never interleave within a line.
//   L2 A disabled level costs one relaxed atomic load (log_enabled); callers
//      that build expensive messages check it first.
//   L3 Logging never throws and never blocks on anything but the write: a
//      failed write is dropped (logging must not take a node down).
//   L4 A message is one line: newlines and other control characters in it
//      are escaped (\n, \xNN), so a peer-supplied string cannot forge
//      records.
//
// Example:
//   workers::configure_log(workers::log_level::info, "");   // stderr
//   workers::log(workers::log_level::info, "node",
//                "hosting bob on 127.0.0.1:4242");
//   if (workers::log_enabled(workers::log_level::debug))
//     workers::log(workers::log_level::debug, "bob", expensive());

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/error.hpp>

namespace workers {

/// How much to log; each level includes those above it.
enum class log_level : uint8_t {
  /// Nothing.
  off,
  /// Failures an operator must act on (a node cannot start, a file fails).
  error,
  /// Refusals, limits hit, peers that misbehave, slow operations.
  warn,
  /// Lifecycle: started, hosting, connected, disconnected, stopping.
  info,
  /// Everything else worth a line when hunting a bug.
  debug,
};

/// "off", "error", "warn", "info" or "debug".
const char* to_string(log_level x);

/// The level `text` names (as to_string prints it), or bad_argument naming
/// the text and the levels.
caf::expected<log_level> parse_log_level(const std::string& text);

/// Sets the process's level and sink: `file` empty means stderr, else the
/// file is opened for appending (created 0640). Called by runtime_config's
/// `[log]` section and by embedding applications, best once at start.
/// Fails (nothing changed) if the file cannot be opened, naming the path.
caf::error configure_log(log_level level, const std::string& file);

/// Whether records of `level` are written now (L2). Never fails.
bool log_enabled(log_level level) noexcept;

/// Writes one record (L1, L3, L4) if `level` is enabled. Called from any
/// thread; never throws.
void log(log_level level, std::string_view component,
         std::string_view message) noexcept;

} // namespace workers
