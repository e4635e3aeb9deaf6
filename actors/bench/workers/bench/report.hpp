#pragma once

// report: everything one benchmark run found -- the run's metadata (mode,
// date, machine), the CAF configuration it ran under, the result rows of
// each section, extra tables (the configuration comparison), a
// recommendation, and the errors that stopped parts of the run. Written out
// by print_table (table_output.hpp) and write_json (json_output.hpp).

#include <string>
#include <utility>
#include <vector>

#include "workers/bench/machine.hpp"
#include "workers/bench/result.hpp"

namespace workers::bench {

/// The report's sections, in print order.
const std::vector<std::string>& section_names();

/// The CAF settings a run used (the ones that move latency) and the
/// command-line options it was given.
struct run_config {
  std::string scheduler_policy;
  size_t scheduler_max_threads = 0;
  size_t middleman_workers = 0;
  /// Other settings worth recording, as rendered strings.
  std::vector<std::pair<std::string, std::string>> extra;
  /// The CAF/libworkers options passed on the command line (and to nodes).
  std::vector<std::string> args;

  /// "policy=stealing max-threads=4 middleman.workers=1".
  std::string brief() const;
};

/// A free-form table for display and JSON (e.g. the config comparison).
struct text_table {
  std::string title;
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows;
  /// Per column: left-aligned (text) or right-aligned (numbers). Columns
  /// beyond its size: the first left, the others right.
  std::vector<bool> align_left;
};

class report {
 public:
  /// Metadata: mode, date, ... (in insertion order; a key set twice keeps
  /// its first place and gets the new value).
  void set(const std::string& key, std::string value);

  void set_machine(machine_info x) { machine_ = std::move(x); }

  void set_config(run_config x) { config_ = std::move(x); }

  void add(result r) { results_.push_back(std::move(r)); }

  void add_table(text_table t) { tables_.push_back(std::move(t)); }

  /// Records a failure that stopped a section or scenario.
  void add_error(std::string what) { errors_.push_back(std::move(what)); }

  void set_recommendation(std::string text) {
    recommendation_ = std::move(text);
  }

  const std::vector<std::pair<std::string, std::string>>& meta() const {
    return meta_;
  }

  const machine_info& machine() const { return machine_; }

  const run_config& config() const { return config_; }

  const std::vector<result>& results() const { return results_; }

  const std::vector<text_table>& tables() const { return tables_; }

  const std::vector<std::string>& errors() const { return errors_; }

  const std::string& recommendation() const { return recommendation_; }

  /// Rows with a goal that is not met, and rows that failed.
  size_t missed_targets() const;

  size_t failed_rows() const;

 private:
  std::vector<std::pair<std::string, std::string>> meta_;
  machine_info machine_;
  run_config config_;
  std::vector<result> results_;
  std::vector<text_table> tables_;
  std::vector<std::string> errors_;
  std::string recommendation_;
};

} // namespace workers::bench
