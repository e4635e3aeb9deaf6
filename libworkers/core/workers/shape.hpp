#pragma once

// The shape of a tensor: rank 0 to 4, row-major, contiguous.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>

namespace workers {

class shape {
 public:
  /// Highest rank a tensor may have.
  static constexpr size_t max_rank = 4;

  /// What valid() requires, for error messages.
  static constexpr const char* rules =
    "rank at most 4, no negative dimensions, and dimensions that multiply "
    "to at most 2^63 - 1";

  /// Rank 0: a scalar.
  shape() = default;

  shape(std::initializer_list<int64_t> dims) : dims_(dims) {
    // nop
  }

  explicit shape(std::vector<int64_t> dims) : dims_(std::move(dims)) {
    // nop
  }

  size_t rank() const noexcept { return dims_.size(); }

  /// Number of elements: the product of all dimensions (1 for rank 0).
  int64_t numel() const noexcept;

  /// What the dimensions span, ignoring those of size 0: the element count
  /// the tensor would have if its empty dimensions were 1 (1 for rank 0),
  /// saturated at INT64_MAX. Size limits apply to it too, so an empty
  /// tensor cannot carry dimensions whose loops or products would run away
  /// (a kernel iterating [2^62, 0] along its first axis; view_around).
  int64_t extent() const noexcept;

  int64_t operator[](size_t i) const { return dims_[i]; }

  const std::vector<int64_t>& dims() const noexcept { return dims_; }

  /// Returns whether rank and every dimension are valid: rank <= 4, dims >=
  /// 0, and the non-zero dims multiply to at most INT64_MAX (extent), so
  /// that any product of dimensions fits in an int64.
  bool valid() const noexcept;

  friend bool operator==(const shape& x, const shape& y) {
    return x.dims_ == y.dims_;
  }

  friend bool operator!=(const shape& x, const shape& y) { return !(x == y); }

  /// bad_argument naming `x` unless valid(); called after decoding a shape,
  /// so that no invalid shape leaves the deserializer.
  static caf::error check_decoded(const shape& x);

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, shape& x) {
    return f(caf::meta::type_name("workers::shape"), x.dims_,
             caf::meta::load_callback([&x] { return check_decoded(x); }));
  }

 private:
  std::vector<int64_t> dims_;
};

/// Renders like PyTorch's sizes: "[2, 3]", "[]" for rank 0.
std::string to_string(const shape& x);

} // namespace workers
