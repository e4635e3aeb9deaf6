#pragma once

// Repetition: "measure this N times". A *sampler* is a callable that runs
// one repetition of a measurement and returns one sample (by convention the
// seconds its timed part took, or seconds per operation over a batch).
// Samplers of the same table section run interleaved (A B C, A B C, ...) so
// that slow drift on a busy machine affects each of them alike and ratios
// between them stay fair.
//
// Example:
//   auto once = [] { stopwatch sw; op(); return sw.seconds(); };
//   auto base = [] { stopwatch sw; baseline(); return sw.seconds(); };
//   auto series = repeat_interleaved(5, {[&] { return mean_of(100, once); },
//                                        [&] { return mean_of(100, base); }});

#include <cstddef>
#include <functional>
#include <vector>

#include "workers/bench/series.hpp"

namespace workers::bench {

/// One repetition of a measurement; returns one sample. May throw
/// std::exception to report a failure.
using sampler = std::function<double()>;

/// Called by the scenario runners: runs every sampler once as an untimed
/// warm-up (if `warmup`), then `reps` rounds calling each sampler once in
/// turn. Returns one series per sampler, in order. A sampler that throws is
/// marked failed with the exception's message (in its series) and not
/// called again; the others go on.
std::vector<sample_series>
repeat_interleaved(size_t reps, const std::vector<sampler>& samplers,
                   bool warmup = true);

/// As repeat_interleaved for a single sampler.
sample_series repeat(size_t reps, const sampler& f, bool warmup = true);

/// Called inside samplers: the mean of what `f` returns over `n` calls
/// (`f` returns the seconds of its own timed part, so untimed setup and
/// cleanup may surround it). Exceptions from `f` propagate.
template <class F>
double mean_of(size_t n, F&& f) {
  double total = 0;
  for (size_t i = 0; i < n; ++i)
    total += f();
  return n > 0 ? total / static_cast<double>(n) : 0.0;
}

} // namespace workers::bench
