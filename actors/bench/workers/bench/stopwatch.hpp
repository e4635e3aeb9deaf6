#pragma once

// stopwatch: elapsed wall-clock time on the steady clock, in seconds.
//
// Example:
//   stopwatch sw;
//   work();
//   double s = sw.seconds();

#include <chrono>

namespace workers::bench {

class stopwatch {
 public:
  using clock = std::chrono::steady_clock;

  stopwatch() : start_(clock::now()) {
    // nop
  }

  /// Starts counting again from now.
  void restart() { start_ = clock::now(); }

  /// Seconds since construction or the last restart().
  double seconds() const {
    return std::chrono::duration<double>(clock::now() - start_).count();
  }

 private:
  clock::time_point start_;
};

} // namespace workers::bench
