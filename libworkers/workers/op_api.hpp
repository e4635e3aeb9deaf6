#pragma once

// op_api: the arithmetic surface shared by local tensors and pointers.
//
// Both `tensor` and `pointer<T>` derive from `op_api<Self>`, so every
// operation is spelled once and exists on both: `x + y`, `x.matmul(w)`,
// `x.sum(1)`, `2 - x`. `Self` provides three hooks:
//   Self apply_unary(opcode, op_attrs) const;
//   Self apply_binary(opcode, const Self& rhs) const;
//   Self apply_literal(opcode, tensor literal, bool literal_first) const;
// A tensor evaluates at once (and throws `operation_error` on bad operands);
// a pointer sends the operation to where its data lives and returns a new
// pointer at once.

#include <type_traits>

#include "workers/op.hpp"

namespace workers {

class tensor;

namespace detail {

template <class T>
using enable_if_number_t =
  std::enable_if_t<std::is_arithmetic_v<T> && !std::is_same_v<T, bool>>;

/// Makes a rank-0 literal tensor (int64 for integers, float64 otherwise).
/// Defined in tensor.hpp.
template <class T>
tensor make_literal(T x);

} // namespace detail

template <class Self>
class op_api {
 public:
  // -- elementwise binary operations ------------------------------------------

  Self add(const Self& y) const { return binary(opcode::add, y); }

  Self sub(const Self& y) const { return binary(opcode::sub, y); }

  Self mul(const Self& y) const { return binary(opcode::mul, y); }

  Self div(const Self& y) const { return binary(opcode::div, y); }

  /// Elementwise x == y as 0/1 (int64).
  Self eq(const Self& y) const { return binary(opcode::eq, y); }

  /// Elementwise x > y as 0/1 (int64).
  Self gt(const Self& y) const { return binary(opcode::gt, y); }

  /// Elementwise x < y as 0/1 (int64).
  Self lt(const Self& y) const { return binary(opcode::lt, y); }

  template <class S, class = detail::enable_if_number_t<S>>
  Self add(S y) const {
    return literal(opcode::add, y, false);
  }

  template <class S, class = detail::enable_if_number_t<S>>
  Self sub(S y) const {
    return literal(opcode::sub, y, false);
  }

  template <class S, class = detail::enable_if_number_t<S>>
  Self mul(S y) const {
    return literal(opcode::mul, y, false);
  }

  template <class S, class = detail::enable_if_number_t<S>>
  Self div(S y) const {
    return literal(opcode::div, y, false);
  }

  template <class S, class = detail::enable_if_number_t<S>>
  Self eq(S y) const {
    return literal(opcode::eq, y, false);
  }

  template <class S, class = detail::enable_if_number_t<S>>
  Self gt(S y) const {
    return literal(opcode::gt, y, false);
  }

  template <class S, class = detail::enable_if_number_t<S>>
  Self lt(S y) const {
    return literal(opcode::lt, y, false);
  }

  // -- linear algebra ---------------------------------------------------------

  /// Matrix product of two 2-D tensors.
  Self matmul(const Self& y) const { return binary(opcode::matmul, y); }

  /// Transpose of a 2-D tensor.
  Self transpose() const { return unary(opcode::transpose); }

  // -- elementwise unary operations -------------------------------------------

  Self neg() const { return unary(opcode::neg); }

  Self abs() const { return unary(opcode::abs); }

  Self exp() const { return unary(opcode::exp); }

  Self log() const { return unary(opcode::log); }

  /// max(x, 0) elementwise.
  Self relu() const { return unary(opcode::relu); }

  // -- reductions -------------------------------------------------------------

  /// Sum of all elements (rank 0).
  Self sum() const { return unary(opcode::sum); }

  /// Sum along `axis` (negative counts from the end); drops that axis.
  Self sum(int64_t axis) const { return unary(opcode::sum, axis_attrs(axis)); }

  Self mean() const { return unary(opcode::mean); }

  Self mean(int64_t axis) const {
    return unary(opcode::mean, axis_attrs(axis));
  }

  Self max() const { return unary(opcode::max); }

  Self max(int64_t axis) const { return unary(opcode::max, axis_attrs(axis)); }

  /// Flat index of the largest element (rank 0, int64).
  Self argmax() const { return unary(opcode::argmax); }

  /// Indices of the largest elements along `axis` (int64).
  Self argmax(int64_t axis) const {
    return unary(opcode::argmax, axis_attrs(axis));
  }

  // -- shape and type ---------------------------------------------------------

  /// Same elements in a new shape; one dimension may be -1 (inferred).
  Self reshape(std::vector<int64_t> new_shape) const {
    op_attrs attrs;
    attrs.new_shape = std::move(new_shape);
    return unary(opcode::reshape, std::move(attrs));
  }

  /// Converts every element to `to`.
  Self cast(dtype to) const {
    op_attrs attrs;
    attrs.to = to;
    return unary(opcode::cast, std::move(attrs));
  }

  // -- operators --------------------------------------------------------------

  friend Self operator+(const Self& x, const Self& y) { return x.add(y); }

  friend Self operator-(const Self& x, const Self& y) { return x.sub(y); }

  friend Self operator*(const Self& x, const Self& y) { return x.mul(y); }

  friend Self operator/(const Self& x, const Self& y) { return x.div(y); }

  friend Self operator-(const Self& x) { return x.neg(); }

  template <class S, class = detail::enable_if_number_t<S>>
  friend Self operator+(const Self& x, S y) {
    return x.literal(opcode::add, y, false);
  }

  template <class S, class = detail::enable_if_number_t<S>>
  friend Self operator+(S x, const Self& y) {
    return y.literal(opcode::add, x, true);
  }

  template <class S, class = detail::enable_if_number_t<S>>
  friend Self operator-(const Self& x, S y) {
    return x.literal(opcode::sub, y, false);
  }

  template <class S, class = detail::enable_if_number_t<S>>
  friend Self operator-(S x, const Self& y) {
    return y.literal(opcode::sub, x, true);
  }

  template <class S, class = detail::enable_if_number_t<S>>
  friend Self operator*(const Self& x, S y) {
    return x.literal(opcode::mul, y, false);
  }

  template <class S, class = detail::enable_if_number_t<S>>
  friend Self operator*(S x, const Self& y) {
    return y.literal(opcode::mul, x, true);
  }

  template <class S, class = detail::enable_if_number_t<S>>
  friend Self operator/(const Self& x, S y) {
    return x.literal(opcode::div, y, false);
  }

  template <class S, class = detail::enable_if_number_t<S>>
  friend Self operator/(S x, const Self& y) {
    return y.literal(opcode::div, x, true);
  }

 protected:
  ~op_api() = default;

 private:
  const Self& self() const { return static_cast<const Self&>(*this); }

  static op_attrs axis_attrs(int64_t axis) {
    op_attrs attrs;
    attrs.axis = axis;
    return attrs;
  }

  Self unary(opcode op, op_attrs attrs = {}) const {
    return self().apply_unary(op, std::move(attrs));
  }

  Self binary(opcode op, const Self& y) const {
    return self().apply_binary(op, y);
  }

  template <class S>
  Self literal(opcode op, S y, bool literal_first) const {
    return self().apply_literal(op, detail::make_literal(y), literal_first);
  }
};

} // namespace workers
