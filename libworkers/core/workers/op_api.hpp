#pragma once

// op_api: the arithmetic surface shared by local tensors and pointers.
//
// Both `tensor` and `pointer<T>` derive from `op_api<Self>`, so every
// operation is spelled once and exists on both: `x + y`, `x.matmul(w)`,
// `x.sum(1)`, `2 - x`, `x += y`, and the free forms `add(x, y)`,
// `matmul(a, b)`, `sum(x, 1)`. `Self` provides three hooks:
//   Self apply_unary(opcode, op_attrs) const;
//   Self apply_binary(opcode, const Self& rhs) const;
//   Self apply_literal(opcode, tensor literal, bool literal_first) const;
// and, for the in-place forms (add_, x += y, zero_), a fourth:
//   Self& apply_in_place(opcode, const Self* rhs, const tensor* literal);
// (plan_var records an in-place step and names its result: plan.hpp, P4).
// A tensor evaluates at once (and throws `operation_error` on bad operands);
// a pointer sends the operation to where its data lives and returns a new
// pointer at once (whose get() throws the error). An in-place form on a
// pointer waits for its worker's answer and throws the error, since no new
// handle could carry it. Dtype, broadcasting and error rules: see op.hpp.
//
// Example:
//   auto x = tensor{1.0f, 2.0f}.send(bob);
//   x += 1;          // bob's object, same id: [2, 3]
//   auto y = exp(x); // same as x.exp()
//   x.zero_();       // [0, 0]
//   auto r = x[1];   // select(0, 1): a new object on bob, rank 0
//   for (auto e : x.rows()) ...     // x[0], x[1] (rows.hpp)

#include <type_traits>
#include <utility>

#include "workers/op.hpp"
#include "workers/rows.hpp"

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
  //
  // Operands broadcast like NumPy ([N, C] + [C] -> [N, C]); shapes that do
  // not broadcast fail with shape_mismatch, different dtypes with
  // dtype_mismatch (a number literal adapts instead). int64 add, sub and mul
  // wrap modulo 2^64; div on int64 gives float32.

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

  /// Rounds to the nearest integer, halves away from zero (2.5 -> 3, -0.5 ->
  /// -1); keeps the dtype, int64 is unchanged. For fixed-point encoding:
  /// `(x * 65536).round().cast(dtype::int64)`.
  Self round() const { return unary(opcode::round); }

  // -- reductions -------------------------------------------------------------
  //
  // With an axis (negative counts from the end), the axis is dropped from the
  // result, or kept with size 1 if `keepdims` (so that the result broadcasts
  // against the input: `x - x.max(1, true)`). Bad axes fail with bad_axis.

  /// Sum of all elements (rank 0). int64 sums wrap modulo 2^64.
  Self sum() const { return unary(opcode::sum); }

  /// Sum along `axis`.
  Self sum(int64_t axis, bool keepdims = false) const {
    return unary(opcode::sum, axis_attrs(axis, keepdims));
  }

  /// Mean of all elements (float32 for int64 input).
  Self mean() const { return unary(opcode::mean); }

  /// Mean along `axis`.
  Self mean(int64_t axis, bool keepdims = false) const {
    return unary(opcode::mean, axis_attrs(axis, keepdims));
  }

  /// Largest element (rank 0); fails with bad_argument if empty.
  Self max() const { return unary(opcode::max); }

  /// Largest elements along `axis`.
  Self max(int64_t axis, bool keepdims = false) const {
    return unary(opcode::max, axis_attrs(axis, keepdims));
  }

  /// Flat index of the largest element (rank 0, int64).
  Self argmax() const { return unary(opcode::argmax); }

  /// Indices of the largest elements along `axis` (int64).
  Self argmax(int64_t axis, bool keepdims = false) const {
    return unary(opcode::argmax, axis_attrs(axis, keepdims));
  }

  // -- normalization ----------------------------------------------------------

  /// exp(x) / sum(exp(x)) along `axis` (default: the last), computed stably
  /// (the max along the axis is subtracted first). Same shape; float32 for
  /// int64 input. Fails with bad_axis.
  Self softmax(int64_t axis = -1) const {
    return unary(opcode::softmax, axis_attrs(axis, false));
  }

  /// log(softmax(x)) along `axis`, computed stably as
  /// (x - max) - log(sum(exp(x - max))). Same dtype rules as softmax.
  Self log_softmax(int64_t axis = -1) const {
    return unary(opcode::log_softmax, axis_attrs(axis, false));
  }

  // -- shape and type ---------------------------------------------------------

  /// Same elements in a new shape; one dimension may be -1 (inferred).
  Self reshape(std::vector<int64_t> new_shape) const {
    op_attrs attrs;
    attrs.new_shape = std::move(new_shape);
    return unary(opcode::reshape, std::move(attrs));
  }

  /// Converts every element to `to`. Float to int64 truncates toward zero
  /// and saturates (NaN -> 0, out of range -> INT64_MIN or INT64_MAX).
  Self cast(dtype to) const {
    op_attrs attrs;
    attrs.to = to;
    return unary(opcode::cast, std::move(attrs));
  }

  /// The `length` indices of `axis` from `start` on (negative `start` counts
  /// from the end), like `torch.narrow`: cuts mini-batches out of a data
  /// tensor with `narrow(0, first, batch_size)`. Always copies. Fails with
  /// bad_axis or, for a range outside the axis, bad_argument.
  Self narrow(int64_t axis, int64_t start, int64_t length) const {
    op_attrs attrs;
    attrs.axis = axis;
    attrs.start = start;
    attrs.length = length;
    return unary(opcode::narrow, std::move(attrs));
  }

  /// The index `index` of `axis` (negative counts from the end), with that
  /// axis dropped: PyTorch's `x.select(dim, i)`; [4, 3] gives [3] for axis
  /// 0 and [4] for axis 1. Always copies (for a pointer: a new object where
  /// the data is). Fails with bad_argument naming index, axis and shape for
  /// a rank-0 operand, an axis or an index out of range -- for a pointer
  /// whose metadata is known, before anything is sent.
  Self select(int64_t axis, int64_t index) const {
    op_attrs attrs;
    attrs.axis = axis;
    attrs.start = index;
    return unary(opcode::select, std::move(attrs));
  }

  /// `x[i]` is `x.select(0, i)`: row i, one rank less (`x[-1]` the last).
  Self operator[](int64_t index) const { return select(0, index); }

  /// The rows x[0], ..., x[n-1] for range-for, n the size of axis 0 as the
  /// handle knows it without asking (rows.hpp, W1-W4). Throws
  /// operation_error (bad_argument) for a rank-0 operand or a pointer whose
  /// shape is unknown.
  row_range<Self> rows() const { return row_range<Self>{self()}; }

  /// Class indices (int64, rank 1, shape [N]) as float32 rows of shape
  /// [N, num_classes] with a 1 at each index. Fails with dtype_mismatch
  /// (not int64), shape_mismatch (not rank 1) or bad_argument (an index
  /// outside [0, num_classes), or num_classes < 1).
  Self one_hot(int64_t num_classes) const {
    op_attrs attrs;
    attrs.num_classes = num_classes;
    return unary(opcode::one_hot, std::move(attrs));
  }

  // -- copying and ordering ---------------------------------------------------

  /// A new tensor with the same elements, computed where the data is (for a
  /// pointer: a new object on the same worker).
  Self copy() const { return unary(opcode::copy); }

  /// Zeros of this shape and dtype (what zero_() writes).
  Self zeros_like() const { return unary(opcode::zeros_like); }

  /// The elements sorted along `axis` (ascending, or largest first if
  /// `descending`); ties keep their order, NaN counts as largest. Fails with
  /// bad_axis (also for rank 0).
  Self sort(int64_t axis = -1, bool descending = false) const {
    return unary(opcode::sort, order_attrs(axis, descending, 0));
  }

  /// The int64 indices that sort along `axis`: sort(x) is x gathered at
  /// argsort(x). Fails like sort.
  Self argsort(int64_t axis = -1, bool descending = false) const {
    return unary(opcode::argsort, order_attrs(axis, descending, 0));
  }

  /// The `k` largest values along `axis`, largest first (or the `k`
  /// smallest, smallest first, unless `largest`). Fails like sort, or with
  /// bad_argument if k is negative or above the size of the axis.
  Self topk(int64_t k, int64_t axis = -1, bool largest = true) const {
    return unary(opcode::topk, order_attrs(axis, largest, k));
  }

  // -- in-place operations ----------------------------------------------------
  //
  // Replace this tensor (or a pointer's object, keeping its id) by the
  // result of the operation; the other operand broadcasts, but the result
  // must keep this shape and dtype, else bad_argument naming both shapes
  // and nothing changes (`int64 /= 2` is refused: div gives float32).
  // Tensors throw operation_error; pointers wait for the worker's answer
  // and throw its error (not_permitted unless its owner asks).

  Self& add_(const Self& y) { return in_place(opcode::add, &y); }

  Self& sub_(const Self& y) { return in_place(opcode::sub, &y); }

  Self& mul_(const Self& y) { return in_place(opcode::mul, &y); }

  Self& div_(const Self& y) { return in_place(opcode::div, &y); }

  template <class S, class = detail::enable_if_number_t<S>>
  Self& add_(S y) {
    return in_place_literal(opcode::add, y);
  }

  template <class S, class = detail::enable_if_number_t<S>>
  Self& sub_(S y) {
    return in_place_literal(opcode::sub, y);
  }

  template <class S, class = detail::enable_if_number_t<S>>
  Self& mul_(S y) {
    return in_place_literal(opcode::mul, y);
  }

  template <class S, class = detail::enable_if_number_t<S>>
  Self& div_(S y) {
    return in_place_literal(opcode::div, y);
  }

  /// Sets every element to 0.
  Self& zero_() { return in_place(opcode::zeros_like, nullptr); }

  // -- randomness -------------------------------------------------------------

  /// An int64 tensor of this shape (any dtype) filled with uniformly random
  /// 64-bit values from the operating system's random source (getrandom);
  /// meant as masks for additive secret sharing: `(x - r) + r == x` with
  /// wrap-around. Computed where the data lives.
  Self random_like() const { return unary(opcode::random_like); }

  // -- operators --------------------------------------------------------------

  friend Self operator+(const Self& x, const Self& y) { return x.add(y); }

  friend Self operator-(const Self& x, const Self& y) { return x.sub(y); }

  friend Self operator*(const Self& x, const Self& y) { return x.mul(y); }

  friend Self operator/(const Self& x, const Self& y) { return x.div(y); }

  friend Self operator-(const Self& x) { return x.neg(); }

  friend Self& operator+=(Self& x, const Self& y) { return x.add_(y); }

  friend Self& operator-=(Self& x, const Self& y) { return x.sub_(y); }

  friend Self& operator*=(Self& x, const Self& y) { return x.mul_(y); }

  friend Self& operator/=(Self& x, const Self& y) { return x.div_(y); }

  template <class S, class = detail::enable_if_number_t<S>>
  friend Self& operator+=(Self& x, S y) {
    return x.add_(y);
  }

  template <class S, class = detail::enable_if_number_t<S>>
  friend Self& operator-=(Self& x, S y) {
    return x.sub_(y);
  }

  template <class S, class = detail::enable_if_number_t<S>>
  friend Self& operator*=(Self& x, S y) {
    return x.mul_(y);
  }

  template <class S, class = detail::enable_if_number_t<S>>
  friend Self& operator/=(Self& x, S y) {
    return x.div_(y);
  }

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

  static op_attrs axis_attrs(int64_t axis, bool keepdims) {
    op_attrs attrs;
    attrs.axis = axis;
    attrs.keepdims = keepdims;
    return attrs;
  }

  static op_attrs order_attrs(int64_t axis, bool descending, int64_t k) {
    op_attrs attrs;
    attrs.axis = axis;
    attrs.descending = descending;
    attrs.k = k;
    return attrs;
  }

  Self& in_place(opcode op, const Self* y) {
    return static_cast<Self&>(*this).apply_in_place(op, y, nullptr);
  }

  template <class S>
  Self& in_place_literal(opcode op, S y) {
    auto lit = detail::make_literal(y);
    return static_cast<Self&>(*this).apply_in_place(op, nullptr, &lit);
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

// -- free functions -----------------------------------------------------------
//
// `add(x, y)`, `matmul(a, b)`, `sum(x, 1, true)`, `topk(x, 3)`, ...: each
// forwards to the member of the same name of a tensor, pointer or plan_var
// (any type with op_api), with the same arguments, results and errors. For
// other types (numbers, iterators) the template does not exist, so calls
// such as std::exp(2.0) or std::sort(b, e) are unaffected.

template <class T>
using enable_if_handle_t = std::enable_if_t<std::is_base_of_v<op_api<T>, T>>;

#define WORKERS_OP_FUNCTION(name)                                              \
  template <class T, class... Ts, class = enable_if_handle_t<T>>               \
  auto name(const T& x, Ts&&... xs)                                            \
    ->decltype(x.name(std::forward<Ts>(xs)...)) {                              \
    return x.name(std::forward<Ts>(xs)...);                                    \
  }

WORKERS_OP_FUNCTION(add)
WORKERS_OP_FUNCTION(sub)
WORKERS_OP_FUNCTION(mul)
WORKERS_OP_FUNCTION(div)
WORKERS_OP_FUNCTION(eq)
WORKERS_OP_FUNCTION(gt)
WORKERS_OP_FUNCTION(lt)
WORKERS_OP_FUNCTION(matmul)
WORKERS_OP_FUNCTION(transpose)
WORKERS_OP_FUNCTION(neg)
WORKERS_OP_FUNCTION(abs)
WORKERS_OP_FUNCTION(exp)
WORKERS_OP_FUNCTION(log)
WORKERS_OP_FUNCTION(relu)
WORKERS_OP_FUNCTION(round)
WORKERS_OP_FUNCTION(sum)
WORKERS_OP_FUNCTION(mean)
WORKERS_OP_FUNCTION(max)
WORKERS_OP_FUNCTION(argmax)
WORKERS_OP_FUNCTION(softmax)
WORKERS_OP_FUNCTION(log_softmax)
WORKERS_OP_FUNCTION(reshape)
WORKERS_OP_FUNCTION(cast)
WORKERS_OP_FUNCTION(narrow)
WORKERS_OP_FUNCTION(select)
WORKERS_OP_FUNCTION(one_hot)
WORKERS_OP_FUNCTION(copy)
WORKERS_OP_FUNCTION(sort)
WORKERS_OP_FUNCTION(argsort)
WORKERS_OP_FUNCTION(topk)

#undef WORKERS_OP_FUNCTION

} // namespace workers
