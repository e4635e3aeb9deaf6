#pragma once

// audit_log: what left a worker -- every tensor it sent to someone else.
//
// Design note
// -----------
// The point of the product is that data owners can show, not just claim,
// what each party saw. A worker records one entry per tensor that leaves it:
// taken by a client or another worker (get), relocated (move), or shown in a
// listing (list). Only tensors count; pointer entries carry no data. Each
// entry names the receiver, the object, its size and the operation that
// produced it ("put", "loaded", "add", "plan sgd_step", ...), so "the model
// owner received only averages" becomes a check over entries.
// Invariants:
//   A1 Every tensor a worker sends in a get, move or listing is logged
//      before it is sent, in the order sent (seq increases).
//   A2 The log is bounded (max_entries, oldest dropped first); `dropped`
//      says how many were dropped, so a truncated log is never mistaken for
//      a complete one.
//   A3 With a file attached (audit_writer.hpp, `[policy] audit-dir`) every
//      entry is also appended to it before record() returns, dropped ones
//      included; the file is not bounded. A failed append is reported on
//      stderr and in sink_error(); the entry stays in memory.
//
// Example:
//   log.record("get", "me", id, 3136, "div");
//   for (auto& e : log.entries()) std::cout << e.to << ' ' << e.produced_by;

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>

#include "workers/object_id.hpp"

namespace workers {

class audit_writer;

struct audit_entry {
  uint64_t seq = 0;
  /// "get", "move" or "list"; for a refused request "refused " and the
  /// operation ("refused get").
  std::string kind;
  /// Who received it: a worker's or client's name.
  std::string to;
  object_id id;
  uint64_t bytes = 0;
  /// The operation that produced the tensor here.
  std::string produced_by;
  /// For a refusal: the error, naming the rule (access_control.hpp, A3).
  std::string note;

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, audit_entry& x) {
    return f(caf::meta::type_name("workers::audit_entry"), x.seq, x.kind, x.to,
             x.id, x.bytes, x.produced_by, x.note);
  }
};

/// A worker's audit log; plain logic, owned by the worker actor.
class audit_log {
 public:
  explicit audit_log(size_t max_entries = 100000) : max_(max_entries) {
    // nop
  }

  /// Records that a tensor left (A1). Called by the worker before sending.
  void record(std::string kind, std::string to, object_id id, uint64_t bytes,
              std::string produced_by, std::string note = {});

  /// Records that `who`'s `operation` on `id` was refused with `why`
  /// (access_control.hpp, A3). Called by the worker before answering.
  void refused(const std::string& operation, std::string who, object_id id,
               const caf::error& why);

  /// The retained entries, oldest first. Answers the `audit` message.
  std::vector<audit_entry> entries() const;

  /// Entries dropped because the log was full (A2).
  uint64_t dropped() const noexcept { return dropped_; }

  /// Appends every later entry to `file` too (A3); seq continues from the
  /// file's last record (audit_writer.hpp, W2). Called by worker_impl when
  /// `[policy] audit-dir` is set, before the first entry.
  void attach(std::shared_ptr<audit_writer> file);

  /// Puts back the entries and drop count of a snapshot (snapshot.hpp);
  /// later entries continue after the highest seq among them. Called by a
  /// restored worker before its first entry; not appended to the file
  /// (they are there already).
  void restore(std::vector<audit_entry> entries, uint64_t dropped);

  /// The first failed append to the attached file, if any (A3).
  const caf::error& sink_error() const noexcept { return sink_error_; }

 private:
  size_t max_;
  uint64_t next_seq_ = 0;
  uint64_t dropped_ = 0;
  std::deque<audit_entry> entries_;
  std::shared_ptr<audit_writer> file_;
  caf::error sink_error_;
};

} // namespace workers
