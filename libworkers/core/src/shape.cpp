#include "workers/shape.hpp"

#include <algorithm>
#include <limits>

#include "workers/error.hpp"

namespace workers {

// Saturates at INT64_MAX instead of overflowing, so that absurd shapes from
// the wire are rejected by size checks rather than wrapping around.
int64_t shape::numel() const noexcept {
  if (std::find(dims_.begin(), dims_.end(), 0) != dims_.end())
    return 0;
  int64_t result = 1;
  for (auto dim : dims_)
    if (__builtin_mul_overflow(result, dim, &result))
      return std::numeric_limits<int64_t>::max();
  return result;
}

namespace {

// The product of the non-zero dims of `dims` into `result`; false if it
// overflows int64.
bool multiply_non_zero(const std::vector<int64_t>& dims, int64_t& result) {
  result = 1;
  for (auto dim : dims)
    if (dim != 0 && __builtin_mul_overflow(result, dim, &result))
      return false;
  return true;
}

} // namespace

int64_t shape::extent() const noexcept {
  int64_t result = 1;
  if (!multiply_non_zero(dims_, result))
    return std::numeric_limits<int64_t>::max();
  return result;
}

bool shape::valid() const noexcept {
  int64_t ignored = 1;
  return dims_.size() <= max_rank &&
         std::all_of(dims_.begin(), dims_.end(),
                     [](int64_t dim) { return dim >= 0; }) &&
         multiply_non_zero(dims_, ignored);
}

caf::error shape::check_decoded(const shape& x) {
  if (x.valid())
    return caf::none;
  return make_error(errc::bad_argument, "decoding: invalid shape " +
                                          to_string(x) + " (" + rules + ")");
}

std::string to_string(const shape& x) {
  std::string result = "[";
  for (size_t i = 0; i < x.rank(); ++i) {
    if (i > 0)
      result += ", ";
    result += std::to_string(x[i]);
  }
  result += ']';
  return result;
}

} // namespace workers
