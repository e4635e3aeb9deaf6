#pragma once

// audit_format: one audit record as one line of text, and back.
//
// Design note
// -----------
// A worker's audit file (audit_writer.hpp) and the `audit` tool
// (audit_file.hpp, apps/audit.cpp) share this format. A file starts with a
// header line that names the format, its version and its columns; every
// other line is one record: nine tab-separated fields in the header's order.
// `time` is UTC, ISO 8601 with milliseconds; `id` is object_id's "seq@origin"
// form ("-" for no object); `seq` and `bytes` are decimal; `kind`, `to`,
// `produced_by` and `note` are as in audit_entry (audit_log.hpp).
// Invariants:
//   F1 A line never holds a raw tab, newline or other control byte: text
//      fields escape '\' as "\\", tab as "\t", newline as "\n", CR as "\r",
//      other bytes below 0x20 and 0x7f as "\xHH". Bytes from 0x80 up (UTF-8)
//      pass unchanged, so a line splits on tabs without ambiguity.
//   F2 parse_audit_line(to_audit_line(r)) == r for every record r.
//
// Example (tabs shown as "→"):
//   #workers-audit 1→seq→time→worker→kind→to→id→bytes→produced_by→note
//   7→2026-12-02T07:09:52.123Z→bob→get→me→17@9f2c4e1a7b3d5e60→8→div→

#include <chrono>
#include <cstdint>
#include <string>

#include <caf/expected.hpp>

#include "workers/audit_log.hpp"
#include "workers/object_id.hpp"

namespace workers {

/// One line of an audit file: an audit_entry plus when and where.
struct audit_record {
  uint64_t seq = 0;
  /// UTC, "2026-12-02T07:09:52.123Z".
  std::string time;
  /// The worker that sent (and logged) it.
  std::string worker;
  std::string kind;
  std::string to;
  object_id id;
  uint64_t bytes = 0;
  std::string produced_by;
  std::string note;
};

bool operator==(const audit_record& x, const audit_record& y);

/// The first line of every audit file.
extern const char* const audit_header;

/// `t` as "2026-12-02T07:09:52.123Z". Called when a record is written.
std::string to_utc_string(std::chrono::system_clock::time_point t);

/// The record `worker` writes for `e` at `t`. Called by audit_writer.
audit_record make_audit_record(const std::string& worker, const audit_entry& e,
                               std::chrono::system_clock::time_point t);

/// `x` escaped as F1 says. Called for every text field written or printed.
std::string escape_audit_field(const std::string& x);

/// `r` as one line, without the trailing newline (F1, F2). Called by
/// audit_writer and by the tool's `print`.
std::string to_audit_line(const audit_record& r);

/// The record `line` (no newline) holds; bad_argument naming the field and
/// what is wrong if it is not one. Called by readers of audit files.
caf::expected<audit_record> parse_audit_line(const std::string& line);

} // namespace workers
