#pragma once

// audit_writer: a worker's append-only audit file (`[policy] audit-dir`).
//
// Design note
// -----------
// With `[policy] audit-dir="DIR"` every worker appends each entry of its
// audit log (audit_log.hpp) to DIR/<worker>.audit, one line per entry in
// audit_format.hpp's format, so the log outlives the process and its bound
// (A2). Invariants:
//   W1 The file is opened with O_APPEND and never truncated or rewritten.
//      A new file gets the header line first; an existing one must start
//      with it and end with a complete, parseable record (or be just the
//      header), else opening fails: a worker never appends to something
//      that is not its audit file, nor behind a torn line.
//   W2 A restarted worker continues the file: seq goes on from the last
//      record's (audit_log::attach), so seq increases through a file; no
//      marker line is written (the time column shows the gap). Opening
//      reads the file once, to check it and find that seq.
//   W3 Each record is one write(2) of one whole line, made before the
//      tensor is sent: once append() returns, the line is in the kernel and
//      survives a crash of the process. There is no fsync per record (it
//      would cost a disk flush per tensor sent); a power loss may lose the
//      last records.
//   W4 One writer per file: opening takes an exclusive flock, so a second
//      process with a worker of the same name on the same dir fails to
//      start instead of interleaving lines.
//   W5 A file that cannot be opened is an error naming the path and the
//      setting: runtime::spawn_worker throws it, host_node returns it, and
//      the worker does not run without its log.
//
// Example:
//   auto w = open_audit_writer("/var/log/workers", "bob");  // bob.audit
//   if (!w) return w.error();
//   (*w)->append(entry);

#include <memory>
#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "workers/audit_log.hpp"

namespace workers {

class audit_writer {
 public:
  /// Opens (creating if needed) the audit file `path` of `worker` (W1, W4);
  /// `setting` names where the path came from, for errors. Called by
  /// open_audit_writer; fails with bad_argument naming path and setting.
  static caf::expected<std::shared_ptr<audit_writer>>
  open(const std::string& path, const std::string& worker,
       const std::string& setting);

  audit_writer(const audit_writer&) = delete;
  audit_writer& operator=(const audit_writer&) = delete;
  ~audit_writer();

  /// Appends `e` as one line (W3). Called by audit_log::record; fails with
  /// the OS error and the path if the write fails.
  caf::error append(const audit_entry& e);

  /// The seq of the file's last record when it was opened (0 if none).
  /// Read by audit_log::attach (W2).
  uint64_t last_seq() const noexcept { return last_seq_; }

  /// The file's path, for messages.
  const std::string& path() const noexcept { return path_; }

 private:
  audit_writer(int fd, std::string path, std::string worker, uint64_t last)
    : fd_(fd), path_(std::move(path)), worker_(std::move(worker)),
      last_seq_(last) {
    // nop
  }

  int fd_;
  std::string path_;
  std::string worker_;
  uint64_t last_seq_;
};

/// The setting that names the audit directory, for messages.
extern const char* const audit_dir_setting;

/// DIR/<worker>.audit opened for `worker`, or null if `dir` is empty (no
/// file kept). Called by runtime::spawn_worker and host_node before they
/// spawn a worker; fails like audit_writer::open, or if `worker` is not a
/// plain file name.
caf::expected<std::shared_ptr<audit_writer>>
open_audit_writer(const std::string& dir, const std::string& worker);

} // namespace workers
