#pragma once

// Element types of tensors. The numeric values are part of the wire format.

#include <cstddef>
#include <cstdint>
#include <string>

namespace workers {

enum class dtype : uint8_t {
  int64 = 0,
  float32 = 1,
  float64 = 2,
};

/// Returns "int64", "float32" or "float64".
const char* to_string(dtype x);

/// Returns the size of one element in bytes.
size_t size_of(dtype x);

/// Returns whether `x` is a floating-point type.
constexpr bool is_floating(dtype x) {
  return x != dtype::int64;
}

/// Maps a C++ element type to its dtype.
template <class T>
struct dtype_of;

template <>
struct dtype_of<int64_t> {
  static constexpr dtype value = dtype::int64;
};

template <>
struct dtype_of<float> {
  static constexpr dtype value = dtype::float32;
};

template <>
struct dtype_of<double> {
  static constexpr dtype value = dtype::float64;
};

template <class T>
constexpr dtype dtype_of_v = dtype_of<T>::value;

/// Calls `f(T{})` with `T` the C++ element type of `x`; returns its result.
template <class F>
decltype(auto) visit(dtype x, F&& f) {
  switch (x) {
  case dtype::int64:
    return f(int64_t{});
  case dtype::float32:
    return f(float{});
  default:
    return f(double{});
  }
}

} // namespace workers
