#pragma once

// audit_file: reading audit files back and asking them questions -- the
// logic of the `audit` tool (apps/audit.cpp, audit_tool.hpp).
//
// Design note
// -----------
// Files are in audit_format.hpp's format, one per worker. Readers accept
// only whole, well-formed files: a line that is not the header (first line)
// or a record is an error naming file and line, never skipped, so an answer
// is never computed from part of a log without saying so.
// Invariants:
//   Q1 Records keep file order, files the order given.
//   Q2 "Received" means a tensor left a worker for the principal: kind
//      get, move or list. "refused ..." entries are refusals, not receipts.
//   Q3 An aggregate-like producer (is_aggregate_producer) is exactly
//      "sum", "mean" (over everything or along an axis), or "plan NAME"
//      (the output of a plan). Everything else -- "put", "loaded", "add",
//      "div", "" (unknown) ... -- is not. The check trusts the workers'
//      policy for the rest: entries name neither the rows a sum ran over
//      (`[policy] aggregate-min-rows`) nor the plan's hash (`[policy]
//      approved-plans`), so a plan returning its input passes.
//
// Example:
//   auto recs = read_audit_files({"bob.audit", "alice.audit"});
//   auto bad = aggregate_violations(*recs, "me");  // empty: claim holds

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "workers/audit_format.hpp"

namespace workers {

/// The records of the audit file `path` (Q1). Called by the tool; fails
/// with bad_argument "PATH:LINE: what" for an unreadable file, a missing
/// header, or a line that is not a record.
caf::expected<std::vector<audit_record>>
read_audit_file(const std::string& path);

/// The records of all `paths`, in order (Q1). Fails on the first bad file.
caf::expected<std::vector<audit_record>>
read_audit_files(const std::vector<std::string>& paths);

/// Whether `kind` is a receipt: get, move or list (Q2).
bool is_receipt(const std::string& kind);

/// Whether `kind` is a refusal ("refused get", ...).
bool is_refusal(const std::string& kind);

/// Whether `produced_by` is aggregate-like (Q3).
bool is_aggregate_producer(const std::string& produced_by);

/// What a selection keeps; an empty field keeps all.
struct audit_filter {
  std::string to;
  std::string kind;
};

/// The records of `xs` that `f` keeps, in order. Called by `audit filter`.
std::vector<audit_record> filter_records(const std::vector<audit_record>& xs,
                                         const audit_filter& f);

/// What one principal received and was refused.
struct principal_summary {
  /// Receipts (Q2) and their bytes.
  uint64_t received = 0;
  uint64_t bytes = 0;
  /// Entries per kind, refusals included.
  std::map<std::string, uint64_t> kinds;
  uint64_t refusals = 0;
};

/// Per principal (`to`), sorted by name. Called by `audit summary`.
std::map<std::string, principal_summary>
summarize_records(const std::vector<audit_record>& xs);

/// One line per principal:
/// "me: 3 received, 24 B (get 2, list 1), 1 refused".
std::string to_string(const std::map<std::string, principal_summary>& x);

/// Whether a record's `note` says its worker released it as an aggregate
/// (Q4).
bool is_aggregate_release(const std::string& note);

/// The receipts of `principal` that are neither from an aggregate-like
/// producer nor released as an aggregate (Q2-Q4): empty iff "`principal`
/// received only aggregates" holds for `xs`. Called by `audit check
/// --only-aggregates-to`.
std::vector<audit_record>
aggregate_violations(const std::vector<audit_record>& xs,
                     const std::string& principal);

} // namespace workers
