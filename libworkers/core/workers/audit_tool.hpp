#pragma once

// audit_tool: the `audit` command line (apps/audit.cpp is its main).
//
// Design note
// -----------
//   audit print FILE...                         every record
//   audit filter [--to=P] [--kind=K] FILE...    records to P / of kind K
//   audit summary FILE...                       per principal: receipts,
//                                               bytes, kinds, refusals
//   audit check --only-aggregates-to=P FILE...  the claim "P received only
//                                               aggregates" (audit_file.hpp)
// Invariants:
//   T1 Exit codes: 0 done (check: the claim holds), 1 the claim does not
//      hold (the violating records are listed), 2 usage error or a file
//      that cannot be read or parsed (named with its line, audit_file.hpp).
//   T2 Text is printed escaped (audit_format.hpp, F1): a record cannot
//      inject lines or terminal control bytes into the output.
//
// Example:
//   $ audit check --only-aggregates-to=me bob.audit
//   ok: me received only aggregates (2 receipts)

#include <iosfwd>
#include <string>
#include <vector>

namespace workers {

/// Runs `audit ARGS` (without the program name), printing results to `out`
/// and errors to `err`. Called by apps/audit.cpp's main; returns the exit
/// code (T1), never throws on bad input.
int run_audit_tool(const std::vector<std::string>& args, std::ostream& out,
                   std::ostream& err);

} // namespace workers
