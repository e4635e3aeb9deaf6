#pragma once

// sample_series: the samples of one measurement (one per repetition) and
// their median, minimum and maximum; or the error that stopped it.
//
// Example:
//   sample_series s;
//   s.add(2e-6); s.add(1e-6); s.add(3e-6);
//   auto us = s.map([](double x) { return x * 1e6; }).summarize();
//   // us.median == 2, us.min == 1, us.max == 3

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

namespace workers::bench {

/// Median, minimum and maximum of a series; NaN when it has no samples.
struct summary {
  double median = std::numeric_limits<double>::quiet_NaN();
  double min = std::numeric_limits<double>::quiet_NaN();
  double max = std::numeric_limits<double>::quiet_NaN();
  size_t count = 0;
};

class sample_series {
 public:
  /// Appends one sample.
  void add(double x) { samples_.push_back(x); }

  /// Marks the measurement as failed with `why` (samples so far stay).
  void fail(std::string why) { error_ = std::move(why); }

  bool ok() const noexcept { return error_.empty(); }

  const std::string& error() const noexcept { return error_; }

  const std::vector<double>& samples() const noexcept { return samples_; }

  /// Median (mean of the middle two for an even count), min and max; NaN
  /// fields when there are no samples.
  summary summarize() const;

  /// The same series with every sample replaced by f(sample) (units,
  /// inverses); the error is kept.
  template <class F>
  sample_series map(F f) const {
    sample_series result;
    result.error_ = error_;
    for (auto x : samples_)
      result.add(f(x));
    return result;
  }

 private:
  std::vector<double> samples_;
  std::string error_;
};

} // namespace workers::bench
