#include "workers/limits.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "workers/error.hpp"

namespace workers {

namespace {

// Renders `n` bytes (possibly beyond 2^64, hence a double) with a binary
// unit: whole numbers without decimals ("1 GiB"), others with one ("1.5 MiB").
std::string format_size(long double n) {
  static constexpr const char* units[] = {"B",   "KiB", "MiB", "GiB", "TiB",
                                          "PiB", "EiB", "ZiB", "YiB"};
  size_t unit = 0;
  while (n >= 1024 && unit + 1 < std::size(units)) {
    n /= 1024;
    ++unit;
  }
  // No integer conversion: beyond YiB, n still exceeds 2^64 (found by
  // fuzzing: a float-to-integer conversion out of range).
  char buf[96];
  std::snprintf(buf, sizeof(buf), n == std::floor(n) ? "%.0Lf %s" : "%.1Lf %s",
                n, units[unit]);
  return buf;
}

} // namespace

std::string format_bytes(uint64_t n) {
  return format_size(static_cast<long double>(n));
}

caf::error check_tensor_size(const std::string& what, dtype dt, const shape& s,
                             uint64_t limit) {
  if (static_cast<uint8_t>(dt) > static_cast<uint8_t>(dtype::float64))
    return make_error(errc::bad_argument,
                      what + ": unknown dtype " +
                        std::to_string(static_cast<int>(dt)));
  // Rank and signs here; a shape whose dims multiply past int64 (invalid
  // too, shape::valid) is reported as the size it is, below.
  if (s.rank() > shape::max_rank ||
      std::any_of(s.dims().begin(), s.dims().end(),
                  [](int64_t dim) { return dim < 0; }))
    return make_error(errc::bad_argument, what + ": invalid shape " +
                                            to_string(s) + " (" + shape::rules +
                                            ")");
  // Exact in integers when it fits; the long double only renders the size.
  uint64_t bytes = size_of(dt);
  long double approx = static_cast<long double>(bytes);
  bool overflow = false;
  // An empty tensor is held to what its other dimensions span (extent):
  // nothing may iterate a runaway dimension of a tensor with no elements.
  bool empty = s.numel() == 0;
  for (auto dim : s.dims()) {
    if (empty && dim == 0)
      continue;
    overflow |=
      __builtin_mul_overflow(bytes, static_cast<uint64_t>(dim), &bytes);
    approx *= static_cast<long double>(dim);
  }
  if (!overflow && bytes <= limit)
    return caf::none;
  return make_error(errc::capacity_exceeded,
                    what + " " + to_string(s) + " " + to_string(dt) + " = " +
                      (empty ? "0 B, but its other dimensions span " : "") +
                      format_size(approx) + " exceeds " + max_tensor_bytes_key +
                      " = " + format_bytes(limit));
}

} // namespace workers
