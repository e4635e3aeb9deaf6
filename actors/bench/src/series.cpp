#include "workers/bench/series.hpp"

#include <algorithm>

namespace workers::bench {

summary sample_series::summarize() const {
  summary result;
  result.count = samples_.size();
  if (samples_.empty())
    return result;
  auto sorted = samples_;
  std::sort(sorted.begin(), sorted.end());
  auto n = sorted.size();
  result.median =
    n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  result.min = sorted.front();
  result.max = sorted.back();
  return result;
}

} // namespace workers::bench
