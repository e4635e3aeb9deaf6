#pragma once

// rows: iterating the rows of a tensor or a pointer, `for (auto r : x.rows())`.
//
// Design note
// -----------
// PySyft users write `for row in ptr:`; here `x.rows()` (op_api.hpp) gives a
// range whose elements are `x[0], ..., x[n-1]`, where `x[i]` is
// `x.select(0, i)` (op.hpp).
// Invariants:
//   W1 n is the size of axis 0 as the handle knows it without asking: a
//      tensor's shape, a pointer's metadata (pointer.hpp, meta()). Making
//      the range sends nothing and waits for nothing.
//   W2 Rows are made lazily, one per dereference: for a tensor a new tensor
//      (a copy), for a pointer a new object computed on the worker where
//      the data is (through a chain: at its end), with a pointer of its own
//      whose metadata is the row's (no round trip either). A row handle
//      releases its object when it goes (protocol.hpp, R1-R4): iterating
//      leaves the worker as it found it once the rows are dropped.
//   W3 A handle of rank 0, or whose shape is unknown (a plan output, a
//      spent or failed pointer), has no rows: rows() throws operation_error
//      before anything is sent -- bad_argument naming the handle and its
//      shape, or the error a spent or failed pointer carries.
//   W4 The range holds a copy of the handle (for a pointer: a share of its
//      reference), so the object outlives the loop even if the original
//      handle is dropped meanwhile.
//
// Example:
//   auto m = tensor{{1, 2}, {3, 4}, {5, 6}}.send(bob);  // bob: 1 object
//   for (auto row : m.rows())                  // 3 rows, from m's metadata
//     std::cout << row.get() << '\n';          // tensor([1, 2]) ...
//   bob.count();                               // 1: rows were taken home
//   auto last = m[-1];                         // pointer to [5, 6] on bob

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include <caf/expected.hpp>

#include "workers/error.hpp"
#include "workers/shape.hpp"

namespace workers {

namespace detail {

/// A shape the handle knows: a tensor's own, or a pointer's metadata.
inline std::optional<shape> known_shape(shape s) {
  return s;
}

inline std::optional<shape> known_shape(std::optional<shape> s) {
  return s;
}

template <class Handle, class = void>
struct has_validity : std::false_type {};

template <class Handle>
struct has_validity<Handle,
                    std::void_t<decltype(std::declval<Handle>().valid()),
                                decltype(std::declval<Handle>().error())>>
  : std::true_type {};

template <class Handle, class = void>
struct has_name : std::false_type {};

template <class Handle>
struct has_name<Handle,
                std::void_t<decltype(std::declval<Handle>().to_string())>>
  : std::true_type {};

/// How errors name `x`: a pointer's printed form, or "a tensor".
template <class Handle>
std::string row_source_name(const Handle& x) {
  if constexpr (has_name<Handle>::value)
    return x.to_string();
  else
    return "a tensor";
}

} // namespace detail

/// The number of rows of `x` (W1), or the error of W3. Called by row_range;
/// never blocks.
template <class Handle>
caf::expected<int64_t> row_count(const Handle& x) {
  if constexpr (detail::has_validity<Handle>::value)
    if (!x.valid())
      return with_context(x.error(), "rows of " + detail::row_source_name(x));
  auto s = detail::known_shape(x.shape());
  if (!s)
    return make_error(errc::bad_argument,
                      "rows: the shape of " + detail::row_source_name(x) +
                        " is unknown (not known without asking its worker, "
                        "e.g. a plan output): nothing to iterate");
  if (s->rank() == 0)
    return make_error(errc::bad_argument,
                      "rows: " + detail::row_source_name(x) + " of shape " +
                        to_string(*s) + " has rank 0: no rows to iterate");
  return (*s)[0];
}

/// The rows of a handle (W1-W4): x[0], ..., x[size() - 1].
template <class Handle>
class row_range {
 public:
  /// Yields x[i] (W2) when dereferenced; an input iterator.
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Handle;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = Handle;

    iterator(const Handle* x, int64_t i) : x_(x), i_(i) {
      // nop
    }

    /// Row i: a new tensor, or a new remote object and its pointer.
    Handle operator*() const { return (*x_)[i_]; }

    iterator& operator++() {
      ++i_;
      return *this;
    }

    friend bool operator==(const iterator& a, const iterator& b) {
      return a.i_ == b.i_;
    }

    friend bool operator!=(const iterator& a, const iterator& b) {
      return !(a == b);
    }

   private:
    const Handle* x_;
    int64_t i_;
  };

  /// Called by op_api::rows(); throws operation_error as row_count fails
  /// (W3).
  explicit row_range(Handle x)
    : x_(std::move(x)), n_(value_or_throw(row_count(x_))) {
    // nop
  }

  /// The number of rows (W1).
  int64_t size() const noexcept { return n_; }

  iterator begin() const { return {&x_, 0}; }

  iterator end() const { return {&x_, n_}; }

 private:
  Handle x_;
  int64_t n_;
};

} // namespace workers
