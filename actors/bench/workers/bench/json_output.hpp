#pragma once

// write_json: the machine-readable form of a report (schema
// "libworkers-bench/1"): meta, machine, config, one array of rows per
// section (every section is present, empty if it did not run), extra
// tables, the recommendation, errors and a summary of targets met.

#include <ostream>
#include <string>

#include "workers/bench/report.hpp"

namespace workers::bench {

/// Called by the bench runner: writes `r` as JSON to `out`.
void write_json(const report& r, std::ostream& out);

/// Called by the bench runner: writes `r` as JSON to the file `path`.
/// Throws std::runtime_error if the file cannot be written.
void write_json_file(const report& r, const std::string& path);

} // namespace workers::bench
