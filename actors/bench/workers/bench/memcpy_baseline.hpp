#pragma once

// The in-process bandwidth baseline: memcpy between two resident buffers.

#include <cstddef>

#include "workers/bench/series.hpp"

namespace workers::bench {

/// Called by the bandwidth section: copies `bytes` between two buffers
/// (both touched first, so no page faults are timed) `reps` times after one
/// warm-up copy; returns the seconds per copy. Throws std::bad_alloc if the
/// buffers cannot be allocated.
sample_series memcpy_seconds(size_t reps, size_t bytes);

} // namespace workers::bench
