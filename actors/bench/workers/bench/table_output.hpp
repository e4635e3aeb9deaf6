#pragma once

// print_table: the human-readable form of a report. One block per section:
// each row with median, min, max, unit, ratio to its baseline, the
// baseline's name, the target and whether it is met; then the extra tables,
// the recommendation, errors and a one-line summary.

#include <ostream>
#include <string>

#include "workers/bench/report.hpp"

namespace workers::bench {

/// Called by the bench runner: prints `r` to `out`.
void print_table(const report& r, std::ostream& out);

/// `x` with about 3 significant digits ("1234", "12.3", "0.0123"); "-" for
/// NaN. Used by print_table and for the extra tables' cells.
std::string format_number(double x);

/// Called by print_table and the bench runner: prints `t` with aligned
/// columns (see text_table::align_left).
void print_text_table(const text_table& t, std::ostream& out);

} // namespace workers::bench
