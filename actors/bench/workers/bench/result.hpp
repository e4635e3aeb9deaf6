#pragma once

// result: one row of the benchmark report -- what was measured, where, its
// median/min/max, the baseline it is compared with, the ratio to that
// baseline, and the target for that ratio (if the benchmark issue sets one).
//
// Example:
//   auto r = make_result("latency", "op x+y + barrier", "cross-process",
//                        "us", series);
//   compare(r, "bare CAF request/response (blocking)", caf_rt_us);
//   r.goal = at_most(1.2, "<= 1.2x bare CAF round trip");
//   bool ok = r.met().value_or(false);

#include <limits>
#include <optional>
#include <string>

#include "workers/bench/series.hpp"

namespace workers::bench {

/// A bound on a result's ratio to its baseline.
struct target {
  enum class kind { at_most, at_least };
  kind direction = kind::at_most;
  double bound = 0;
  /// Human-readable form, e.g. "<= 1.2x".
  std::string text;

  /// Whether `ratio` satisfies the bound (false for NaN).
  bool met_by(double ratio) const;
};

/// Called by scenario runners: "ratio <= bound"; `text` defaults to
/// "<= BOUNDx".
target at_most(double bound, std::string text = {});

/// Called by scenario runners: "ratio >= bound"; `text` defaults to
/// ">= BOUNDx".
target at_least(double bound, std::string text = {});

struct result {
  /// latency, throughput, bandwidth, memory, baselines or configs.
  std::string section;
  /// What was measured.
  std::string name;
  /// in-process, cross-process, or the configuration it ran under.
  std::string where;
  /// us, ops/s, MiB/s, MiB, ...
  std::string unit;
  summary value;
  /// The baseline's name (another row's name, or a quantity such as the
  /// payload size); empty if the row has none.
  std::string baseline;
  double baseline_value = std::numeric_limits<double>::quiet_NaN();
  /// value.median / baseline_value.
  double ratio = std::numeric_limits<double>::quiet_NaN();
  std::optional<target> goal;
  /// Extra context (sizes, counts, caveats).
  std::string note;
  /// Why the measurement failed; empty if it worked.
  std::string error;

  /// Whether the goal is met; nullopt if the row has no goal. A failed
  /// measurement never meets its goal.
  std::optional<bool> met() const;
};

/// Called by scenario runners: a row for `s` (its summary and error).
result make_result(std::string section, std::string name, std::string where,
                   std::string unit, const sample_series& s);

/// Called by scenario runners: sets `r`'s baseline to `name` with median
/// `value` and computes the ratio (NaN if either side is missing).
void compare(result& r, std::string name, double value);

/// Called by scenario runners: as compare(), with another row as baseline
/// (its name and where, its median, and its error if it failed).
void compare(result& r, const result& baseline);

} // namespace workers::bench
