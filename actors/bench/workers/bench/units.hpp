#pragma once

// Units: samplers measure seconds; the report shows microseconds,
// operations per second, MiB per second, MiB. Medians, minima and maxima
// are taken after the conversion (1/x swaps which sample is the minimum).

#include <cstddef>
#include <cstdint>
#include <string>

#include "workers/bench/series.hpp"

namespace workers::bench {

/// Called by the sections: seconds -> microseconds.
sample_series micros(const sample_series& seconds);

/// Called by the sections: seconds per operation -> operations per second.
sample_series per_second(const sample_series& seconds_per_op);

/// Called by the sections: seconds per transfer of `bytes` -> MiB/s.
sample_series mib_per_second(const sample_series& seconds, size_t bytes);

/// KiB -> MiB.
double kib_to_mib(uint64_t kib);

/// "1 KiB", "1 MiB", "64 MiB", "1.5 MiB", "100 B".
std::string size_label(size_t bytes);

} // namespace workers::bench
