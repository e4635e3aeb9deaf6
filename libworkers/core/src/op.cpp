#include "workers/op.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>

#include <sys/random.h>

#include <Eigen/Core>

#include "workers/error.hpp"
#include "workers/limits.hpp"
#include "workers/tensor.hpp"

namespace workers {

const char* to_string(opcode x) {
  switch (x) {
  case opcode::add:
    return "add";
  case opcode::sub:
    return "sub";
  case opcode::mul:
    return "mul";
  case opcode::div:
    return "div";
  case opcode::neg:
    return "neg";
  case opcode::abs:
    return "abs";
  case opcode::exp:
    return "exp";
  case opcode::log:
    return "log";
  case opcode::matmul:
    return "matmul";
  case opcode::transpose:
    return "transpose";
  case opcode::sum:
    return "sum";
  case opcode::mean:
    return "mean";
  case opcode::max:
    return "max";
  case opcode::argmax:
    return "argmax";
  case opcode::reshape:
    return "reshape";
  case opcode::eq:
    return "eq";
  case opcode::gt:
    return "gt";
  case opcode::lt:
    return "lt";
  case opcode::cast:
    return "cast";
  case opcode::relu:
    return "relu";
  case opcode::softmax:
    return "softmax";
  case opcode::log_softmax:
    return "log_softmax";
  case opcode::one_hot:
    return "one_hot";
  case opcode::narrow:
    return "narrow";
  case opcode::round:
    return "round";
  case opcode::random_like:
    return "random_like";
  case opcode::copy:
    return "copy";
  case opcode::sort:
    return "sort";
  case opcode::argsort:
    return "argsort";
  case opcode::topk:
    return "topk";
  case opcode::zeros_like:
    return "zeros_like";
  case opcode::requires_grad:
    return "requires_grad";
  case opcode::backward:
    return "backward";
  case opcode::grad:
    return "grad";
  case opcode::zero_grad:
    return "zero_grad";
  case opcode::select:
    return "select";
  }
  return "unknown";
}

bool is_autograd(opcode x) {
  return x == opcode::requires_grad || x == opcode::backward ||
         x == opcode::grad || x == opcode::zero_grad;
}

std::string in_place_name(opcode x) {
  if (is_autograd(x))
    return to_string(x);
  if (x == opcode::zeros_like)
    return "zero_";
  return std::string{to_string(x)} + "_";
}

size_t arity(opcode x) {
  switch (x) {
  case opcode::add:
  case opcode::sub:
  case opcode::mul:
  case opcode::div:
  case opcode::matmul:
  case opcode::eq:
  case opcode::gt:
  case opcode::lt:
    return 2;
  default:
    return 1;
  }
}

bool operator==(const op_attrs& x, const op_attrs& y) {
  return x.axis == y.axis && x.new_shape == y.new_shape && x.to == y.to &&
         x.keepdims == y.keepdims && x.start == y.start &&
         x.length == y.length && x.num_classes == y.num_classes &&
         x.descending == y.descending && x.k == y.k;
}

caf::error check_in_place(opcode op, const tensor& target, const tensor* other,
                          const tensor& result) {
  if (result.shape() == target.shape() && result.dtype() == target.dtype())
    return caf::none;
  auto describe = [](const tensor& x) {
    return to_string(x.shape()) + " (" + to_string(x.dtype()) + ")";
  };
  auto what = in_place_name(op) + ": the target of shape " + describe(target);
  if (other != nullptr)
    what += " and the operand of shape " + describe(*other);
  return make_error(errc::bad_argument,
                    what + " give a result of shape " + describe(result) +
                      ", but in place the target keeps its shape and dtype");
}

namespace {

// -- Eigen views --------------------------------------------------------------

template <class T>
using column = Eigen::Array<T, Eigen::Dynamic, 1>;

template <class T>
using array_view = Eigen::Map<const column<T>>;

template <class T>
using mutable_array_view = Eigen::Map<column<T>>;

template <class T>
using row_major =
  Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

template <class T>
using matrix_view = Eigen::Map<const row_major<T>>;

template <class T>
using mutable_matrix_view = Eigen::Map<row_major<T>>;

/// The type int64 arithmetic computes in: uint64_t has the same bits and
/// wraps modulo 2^64 where int64_t would overflow (undefined behaviour).
template <class T>
using wrapping_t = std::conditional_t<std::is_same_v<T, int64_t>, uint64_t, T>;

/// The elements of `x` (element type `T`, checked) read as `C`: `T` itself or
/// wrapping_t<T> (signed and unsigned variants may alias).
template <class T, class C = T>
const C* elements(const tensor& x) {
  static_assert(std::is_same_v<C, T> || std::is_same_v<C, wrapping_t<T>>);
  return reinterpret_cast<const C*>(x.data<T>());
}

template <class T, class C = T>
C* mutable_elements(tensor& x) {
  static_assert(std::is_same_v<C, T> || std::is_same_v<C, wrapping_t<T>>);
  return reinterpret_cast<C*>(x.mutable_data<T>());
}

template <class T, class C = T>
array_view<C> as_array(const tensor& x) {
  return {elements<T, C>(x), x.numel()};
}

template <class T, class C = T>
mutable_array_view<C> as_mutable_array(tensor& x) {
  return {mutable_elements<T, C>(x), x.numel()};
}

template <class T, class C = T>
matrix_view<C> as_matrix(const tensor& x) {
  return {elements<T, C>(x), x.shape()[0], x.shape()[1]};
}

template <class T, class C = T>
mutable_matrix_view<C> as_mutable_matrix(tensor& x) {
  return {mutable_elements<T, C>(x), x.shape()[0], x.shape()[1]};
}

/// Calls `f(T{}, R{})` with the C++ element types of `x` and `y`.
template <class F>
void visit2(dtype x, dtype y, F&& f) {
  visit(x, [&](auto tx) { visit(y, [&](auto ty) { f(tx, ty); }); });
}

// -- errors -------------------------------------------------------------------

using result = caf::expected<tensor>;

caf::error fail(errc code, opcode op, const std::string& what) {
  return make_error(code, std::string{to_string(op)} + ": " + what);
}

std::string pair_str(const shape& x, const shape& y) {
  return "shapes " + to_string(x) + " and " + to_string(y);
}

caf::error dtype_mismatch(opcode op, dtype x, dtype y) {
  return fail(errc::dtype_mismatch, op,
              std::string{"dtypes "} + to_string(x) + " and " + to_string(y) +
                " differ (cast one first)");
}

bool known(dtype dt) {
  return static_cast<uint8_t>(dt) <= static_cast<uint8_t>(dtype::float64);
}

// -- allocation (limits.hpp, Z1) ----------------------------------------------

/// The operation being evaluated and the largest tensor it may create.
struct budget {
  opcode op;
  uint64_t max_bytes;
};

// Returns a zeroed `dt` tensor of shape `s` for `b.op`, once its size is
// checked against the limit. Every kernel allocates through here; throws
// operation_error (capacity_exceeded or bad_argument), which evaluate turns
// into its error before anything was allocated.
tensor allocate(const budget& b, const shape& s, dtype dt) {
  auto what = std::string{to_string(b.op)} + " output";
  if (auto err = check_tensor_size(what, dt, s, b.max_bytes))
    throw operation_error(std::move(err));
  return tensor::zeros(s, dt);
}

// -- axes ---------------------------------------------------------------------

/// A tensor viewed as [outer, dim, inner] around the axis `pos`.
struct axis_view {
  int64_t outer = 1;
  int64_t dim = 1;
  int64_t inner = 1;
  size_t pos = 0;
};

// Maps `axis` (negative counts from the end) to a view of `s`; returns
// nothing if the axis is out of range.
std::optional<axis_view> view_around(const shape& s, int64_t axis) {
  auto rank = static_cast<int64_t>(s.rank());
  auto pos = axis < 0 ? axis + rank : axis;
  if (axis == op_attrs::all_axes || pos < 0 || pos >= rank)
    return std::nullopt;
  axis_view result;
  result.pos = static_cast<size_t>(pos);
  result.dim = s[result.pos];
  // Products of a valid shape's dims fit (shape::valid); checked all the
  // same, saturating, as a shape built in this process may not be valid.
  constexpr auto most = std::numeric_limits<int64_t>::max();
  for (size_t i = 0; i < s.rank(); ++i)
    if (auto& x = i < result.pos ? result.outer : result.inner;
        i != result.pos && __builtin_mul_overflow(x, s[i], &x))
      x = most;
  return result;
}

// Like view_around, with all_axes as one axis over every element. Called by
// reductions, softmax and log_softmax; fails with bad_axis.
caf::expected<axis_view> reduction_view(opcode op, const shape& s,
                                        int64_t axis) {
  if (axis == op_attrs::all_axes)
    return axis_view{1, s.numel(), 1, 0};
  if (auto v = view_around(s, axis))
    return *v;
  return fail(errc::bad_axis, op,
              "axis " + std::to_string(axis) + " is out of range for shape " +
                to_string(s));
}

// The shape of a reduction of `s` along `axis` (viewed as `v`): the axis is
// dropped, or kept with size 1 if `keepdims`.
shape reduced_shape(const shape& s, int64_t axis, const axis_view& v,
                    bool keepdims) {
  if (axis == op_attrs::all_axes)
    return keepdims ? shape{std::vector<int64_t>(s.rank(), 1)} : shape{};
  auto dims = s.dims();
  if (keepdims)
    dims[v.pos] = 1;
  else
    dims.erase(dims.begin() + static_cast<std::ptrdiff_t>(v.pos));
  return shape{std::move(dims)};
}

// -- conversion ---------------------------------------------------------------

/// Float to int64 truncates and saturates (NaN gives 0), where a plain
/// static_cast would be undefined behaviour for NaN and out-of-range values.
template <class T>
int64_t saturating_int64(T x) {
  constexpr auto bound = static_cast<T>(9223372036854775808.0); // 2^63
  if (std::isnan(x))
    return 0;
  if (x >= bound)
    return std::numeric_limits<int64_t>::max();
  if (x < -bound)
    return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(x);
}

// Returns `x` converted to `to` (sharing storage if it already is `to`); used
// by cast and to promote operands.
tensor convert(const budget& b, const tensor& x, dtype to) {
  if (x.dtype() == to)
    return x;
  auto out = allocate(b, x.shape(), to);
  visit2(x.dtype(), to, [&](auto tx, auto tr) {
    using T = decltype(tx);
    using R = decltype(tr);
    if constexpr (std::is_same_v<R, int64_t> && std::is_floating_point_v<T>)
      as_mutable_array<R>(out) =
        as_array<T>(x).unaryExpr([](T v) { return saturating_int64(v); });
    else
      as_mutable_array<R>(out) = as_array<T>(x).template cast<R>();
  });
  return out;
}

// `to` was checked by infer (it may come off the wire).
result cast(const budget& b, const tensor& x, dtype to) {
  return convert(b, x, to);
}

// -- broadcasting -------------------------------------------------------------

/// One value per dimension of a tensor.
using rank_array = std::array<int64_t, shape::max_rank>;

/// How two operands are walked to produce their broadcast result: `rank`
/// loop dimensions (outermost first) after dropping dimensions of size 1 and
/// merging neighbours that both operands walk as one, with each operand's
/// stride per loop dimension in elements (0 where it repeats). The last
/// stride is 0 or 1, so every row of the loop is one Eigen expression; equal
/// shapes, or one operand of rank 0, become a single row.
struct broadcast_plan {
  shape result;
  size_t rank = 0;
  rank_array dims{};
  std::array<rank_array, 2> strides{};
};

// Aligns the shapes from the right: dimensions must be equal or contain a 1.
// Fails with shape_mismatch naming both shapes.
caf::expected<broadcast_plan> plan_broadcast(opcode op, const shape& x,
                                             const shape& y) {
  auto rank = std::max(x.rank(), y.rank());
  std::array<const shape*, 2> in{{&x, &y}};
  std::array<rank_array, 2> dims{}; // right-aligned, padded with 1s
  for (size_t k = 0; k < 2; ++k) {
    auto pad = rank - in[k]->rank();
    for (size_t i = 0; i < rank; ++i)
      dims[k][i] = i < pad ? 1 : (*in[k])[i - pad];
  }
  std::vector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    auto a = dims[0][i];
    auto b = dims[1][i];
    if (a != b && a != 1 && b != 1)
      return fail(errc::shape_mismatch, op,
                  pair_str(x, y) + " cannot be broadcast together");
    out[i] = a == 1 ? b : a;
  }
  broadcast_plan plan;
  plan.result = shape{out};
  // Nothing to walk: an empty result, or one too large to exist (numel
  // saturates), which the caller refuses before allocating. Strides of such
  // shapes (a 0 next to huge dimensions) would overflow (found by fuzzing).
  auto numel = plan.result.numel();
  if (numel == 0 || numel == std::numeric_limits<int64_t>::max())
    return plan;
  std::array<rank_array, 2> strides{}; // contiguous, 0 along dims of size 1
  for (size_t k = 0; k < 2; ++k) {
    int64_t step = 1;
    for (size_t i = rank; i-- > 0;) {
      strides[k][i] = dims[k][i] == 1 ? 0 : step;
      step *= dims[k][i];
    }
  }
  for (size_t i = 0; i < rank; ++i) {
    if (out[i] == 1)
      continue;
    auto merges = [&](size_t k) {
      return plan.strides[k][plan.rank - 1] == strides[k][i] * out[i];
    };
    if (plan.rank > 0 && merges(0) && merges(1))
      plan.dims[plan.rank - 1] *= out[i];
    else
      plan.dims[plan.rank++] = out[i];
    for (size_t k = 0; k < 2; ++k)
      plan.strides[k][plan.rank - 1] = strides[k][i];
  }
  if (plan.rank == 0) { // every dimension is 1: one element, strides 0
    plan.rank = 1;
    plan.dims[0] = 1;
  }
  return plan;
}

/// Calls `f` with the `n` elements at `p` as an Eigen expression: the
/// elements themselves (stride 1) or `*p` repeated (stride 0).
template <class C, class F>
void with_segment(const C* p, int64_t stride, int64_t n, F&& f) {
  if (stride == 0)
    f(column<C>::Constant(n, *p));
  else
    f(array_view<C>{p, n});
}

bool is_comparison(opcode op) {
  return op == opcode::eq || op == opcode::gt || op == opcode::lt;
}

template <class R, class A, class B>
void assign_binary(opcode op, const A& a, const B& b,
                   mutable_array_view<R> out) {
  switch (op) {
  case opcode::add:
    out = (a + b).template cast<R>();
    break;
  case opcode::sub:
    out = (a - b).template cast<R>();
    break;
  case opcode::mul:
    out = (a * b).template cast<R>();
    break;
  case opcode::div:
    out = (a / b).template cast<R>();
    break;
  case opcode::eq:
    out = (a == b).template cast<R>();
    break;
  case opcode::gt:
    out = (a > b).template cast<R>();
    break;
  case opcode::lt:
    out = (a < b).template cast<R>();
    break;
  default:
    break;
  }
}

// Computes `op` over `plan` into the contiguous `out`, one row (the last loop
// dimension) per Eigen expression, advancing the operands' offsets like an
// odometer over the other loop dimensions.
template <class C, class R>
void broadcast_apply(opcode op, const broadcast_plan& plan, const C* a,
                     const C* b, R* out) {
  auto last = plan.rank - 1;
  auto n = plan.dims[last];
  auto& sa = plan.strides[0];
  auto& sb = plan.strides[1];
  int64_t rows = 1;
  for (size_t d = 0; d < last; ++d)
    rows *= plan.dims[d];
  rank_array index{};
  int64_t oa = 0;
  int64_t ob = 0;
  for (int64_t row = 0; row < rows; ++row) {
    with_segment(a + oa, sa[last], n, [&](const auto& ea) {
      with_segment(b + ob, sb[last], n, [&](const auto& eb) {
        assign_binary<R>(op, ea, eb, mutable_array_view<R>{out + row * n, n});
      });
    });
    for (size_t d = last; d-- > 0;) {
      oa += sa[d];
      ob += sb[d];
      if (++index[d] < plan.dims[d])
        break;
      oa -= sa[d] * plan.dims[d];
      ob -= sb[d] * plan.dims[d];
      index[d] = 0;
    }
  }
}

// -- elementwise binary operations --------------------------------------------

// Picks the dtype both operands convert to: a literal adapts to the other
// operand (float32 if a floating literal meets int64); otherwise the dtypes
// must match.
caf::expected<dtype> common_dtype(opcode op, const meta_input& x,
                                  const meta_input& y) {
  auto dx = x.meta.dt;
  auto dy = y.meta.dt;
  if (x.literal != y.literal) {
    auto lit = x.literal ? dx : dy;
    auto other = x.literal ? dy : dx;
    return other == dtype::int64 && is_floating(lit) ? dtype::float32 : other;
  }
  if (dx != dy)
    return dtype_mismatch(op, dx, dy);
  return dx;
}

// The metadata of a tensor operand.
meta_input meta_of(const op_input& x) {
  return {{x.value->dtype(), x.value->shape()}, x.literal};
}

// Called by dispatch for add, sub, mul, div, eq, gt and lt, once infer
// checked them (`m`: the result's metadata). int64 arithmetic computes in
// uint64_t.
result elementwise_binary(const budget& bud, const op_input& x,
                          const op_input& y, const tensor_meta& m) {
  auto op = bud.op;
  auto plan = plan_broadcast(op, x.value->shape(), y.value->shape());
  // Comparisons compute in the operands' common dtype; the others in the
  // result's (true division of int64 in float32).
  auto dt =
    is_comparison(op) ? *common_dtype(op, meta_of(x), meta_of(y)) : m.dt;
  auto out = allocate(bud, m.dims, m.dt);
  auto a = convert(bud, *x.value, dt);
  auto b = convert(bud, *y.value, dt);
  if (out.numel() == 0)
    return out;
  visit(dt, [&](auto tag) {
    using T = decltype(tag);
    using C = wrapping_t<T>;
    if (is_comparison(op))
      broadcast_apply(op, *plan, elements<T>(a), elements<T>(b),
                      mutable_elements<int64_t>(out));
    else
      broadcast_apply(op, *plan, elements<T, C>(a), elements<T, C>(b),
                      mutable_elements<T, C>(out));
  });
  return out;
}

// -- matrix operations --------------------------------------------------------

// Called by dispatch once infer checked the operands (`m`: the result's
// metadata). int64 products and sums wrap modulo 2^64.
result matmul(const budget& b, const op_input& x, const op_input& y,
              const tensor_meta& m) {
  auto& sx = x.value->shape();
  auto out = allocate(b, m.dims, m.dt);
  if (out.numel() == 0 || sx[1] == 0)
    return out; // all zeros; empty operands have no storage to map
  visit(m.dt, [&](auto tag) {
    using T = decltype(tag);
    using C = wrapping_t<T>;
    as_mutable_matrix<T, C>(out).noalias() =
      as_matrix<T, C>(*x.value) * as_matrix<T, C>(*y.value);
  });
  return out;
}

// `x` is 2-D (infer checked it).
result transpose(const budget& b, const tensor& x, const tensor_meta& m) {
  auto out = allocate(b, m.dims, m.dt);
  visit(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    as_mutable_matrix<T>(out) = as_matrix<T>(x).transpose();
  });
  return out;
}

// -- elementwise unary operations ---------------------------------------------

// exp, log, mean, softmax and log_softmax compute in float32 on int64 input.
dtype unary_dtype(opcode op, dtype dt) {
  auto promotes = op == opcode::exp || op == opcode::log ||
                  op == opcode::mean || op == opcode::softmax ||
                  op == opcode::log_softmax;
  return promotes && dt == dtype::int64 ? dtype::float32 : dt;
}

// Computes `op` on every element of `x` into `out` (same shape and dtype).
template <class T>
void assign_unary(opcode op, const tensor& x, tensor& out) {
  using C = wrapping_t<T>;
  auto a = as_array<T>(x);
  switch (op) {
  case opcode::neg: // wraps: -INT64_MIN == INT64_MIN
    as_mutable_array<T, C>(out) = -as_array<T, C>(x);
    break;
  case opcode::abs:
    if constexpr (std::is_floating_point_v<T>)
      as_mutable_array<T>(out) = a.abs();
    else // wraps like neg
      as_mutable_array<T, C>(out) =
        a.unaryExpr([](T v) { return v < 0 ? C{0} - C(v) : C(v); });
    break;
  case opcode::relu:
    as_mutable_array<T>(out) = a.max(T{0});
    break;
  case opcode::exp:
    if constexpr (std::is_floating_point_v<T>)
      as_mutable_array<T>(out) = a.exp();
    break;
  case opcode::log:
    if constexpr (std::is_floating_point_v<T>)
      as_mutable_array<T>(out) = a.log();
    break;
  case opcode::round: // half away from zero (std::round)
    if constexpr (std::is_floating_point_v<T>)
      as_mutable_array<T>(out) = a.round();
    break;
  default:
    break;
  }
}

// Called by dispatch_unary for neg, abs, exp, log, relu and round; cannot
// fail.
result elementwise_unary(const budget& b, const tensor& x,
                         const tensor_meta& m) {
  auto op = b.op;
  if (op == opcode::round && x.dtype() == dtype::int64)
    return x;
  auto dt = m.dt;
  auto a = convert(b, x, dt);
  auto out = allocate(b, m.dims, dt);
  visit(dt, [&](auto tag) { assign_unary<decltype(tag)>(op, a, out); });
  return out;
}

// -- reductions ---------------------------------------------------------------

// Reduces each column of `m` (one [dim, inner] block) into `out`.
template <class T, class R>
void reduce_block(opcode op, const matrix_view<T>& m, R* out) {
  Eigen::Map<Eigen::Matrix<R, 1, Eigen::Dynamic>> r{out, m.cols()};
  switch (op) {
  case opcode::sum:
    r = m.colwise().sum().template cast<R>();
    break;
  case opcode::mean:
    r = (m.colwise().sum() / static_cast<T>(m.rows())).template cast<R>();
    break;
  default: // max and argmax: first occurrence of the largest (or NaN)
    for (Eigen::Index j = 0; j < m.cols(); ++j) {
      Eigen::Index i = 0;
      m.col(j).template maxCoeff<Eigen::PropagateNaN>(&i);
      r[j] = op == opcode::argmax ? static_cast<R>(i) : static_cast<R>(m(i, j));
    }
  }
}

// Reduces every [dim, inner] block of `in` (viewed as `v`) into `out`.
template <class T, class R>
void reduce_blocks(opcode op, const T* in, const axis_view& v, R* out) {
  for (int64_t o = 0; o < v.outer; ++o)
    reduce_block<T, R>(op,
                       matrix_view<T>{in + o * v.dim * v.inner, v.dim, v.inner},
                       out + o * v.inner);
}

// Called by dispatch_unary for sum, mean, max and argmax, once infer checked
// the axis (`m`: the result's metadata). int64 sums wrap.
result reduce(const budget& b, const tensor& x, const op_attrs& attrs,
              const tensor_meta& m) {
  auto op = b.op;
  auto v = reduction_view(op, x.shape(), attrs.axis);
  auto dt = unary_dtype(op, x.dtype());
  auto a = convert(b, x, dt);
  auto out = allocate(b, m.dims, m.dt);
  if (a.numel() == 0) {
    // An empty tensor has no storage to read (Eigen would offset a null
    // pointer; found by fuzzing): sums are 0, means of nothing NaN. max
    // and argmax of an empty dimension were refused above.
    if (op == opcode::mean)
      visit(dt, [&](auto tag) {
        using T = decltype(tag);
        as_mutable_array<T>(out).setConstant(
          std::numeric_limits<T>::quiet_NaN());
      });
    return out;
  }
  visit2(dt, out.dtype(), [&](auto tx, auto tr) {
    using T = decltype(tx);
    using R = decltype(tr);
    if (op == opcode::sum)
      reduce_blocks(op, elements<T, wrapping_t<T>>(a), *v,
                    mutable_elements<R, wrapping_t<R>>(out));
    else
      reduce_blocks(op, elements<T>(a), *v, mutable_elements<R>(out));
  });
  return out;
}

// -- softmax and log_softmax --------------------------------------------------

template <class T>
using block = Eigen::Array<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Normalizes every [dim, inner] block of `in` (viewed as `v`) column by
// column into `out`, subtracting each column's max first.
template <class T>
void normalize_blocks(opcode op, const T* in, const axis_view& v, T* out) {
  Eigen::Array<T, 1, Eigen::Dynamic> peak(v.inner);
  Eigen::Array<T, 1, Eigen::Dynamic> total(v.inner);
  for (int64_t o = 0; o < v.outer; ++o) {
    auto offset = o * v.dim * v.inner;
    Eigen::Map<const block<T>> m{in + offset, v.dim, v.inner};
    Eigen::Map<block<T>> r{out + offset, v.dim, v.inner};
    peak = m.colwise().maxCoeff();
    r = m.rowwise() - peak;
    if (op == opcode::softmax) {
      r = r.exp();
      total = r.colwise().sum();
      r.rowwise() /= total;
    } else {
      total = r.exp().colwise().sum().log();
      r.rowwise() -= total;
    }
  }
}

// Called by dispatch_unary for softmax and log_softmax (all_axes normalizes
// over every element), once infer checked the axis.
result normalize(const budget& b, const tensor& x, int64_t axis,
                 const tensor_meta& m) {
  auto op = b.op;
  auto v = reduction_view(op, x.shape(), axis);
  auto dt = m.dt;
  auto a = convert(b, x, dt);
  auto out = allocate(b, m.dims, dt);
  if (out.numel() == 0)
    return out;
  visit(dt, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>)
      normalize_blocks(op, elements<T>(a), *v, mutable_elements<T>(out));
  });
  return out;
}

// -- one_hot ------------------------------------------------------------------

// Called by dispatch_unary once infer checked dtype, rank and num_classes;
// fails with bad_argument for an index out of range (see op_api::one_hot).
result one_hot(const budget& b, const tensor& x, int64_t num_classes,
               const tensor_meta& m) {
  auto op = opcode::one_hot;
  auto n = x.numel();
  auto idx = x.data<int64_t>();
  for (int64_t i = 0; i < n; ++i)
    if (idx[i] < 0 || idx[i] >= num_classes)
      return fail(errc::bad_argument, op,
                  "index " + std::to_string(idx[i]) + " at position " +
                    std::to_string(i) + " is out of range for " +
                    std::to_string(num_classes) + " classes");
  auto out = allocate(b, m.dims, m.dt);
  auto dst = out.mutable_data<float>();
  for (int64_t i = 0; i < n; ++i)
    dst[i * num_classes + idx[i]] = 1.0f;
  return out;
}

// -- narrow and select ------------------------------------------------------

// The index `start` of an axis of size `dim` counted from its front
// (negative `start` counts from the end).
int64_t from_front(int64_t start, int64_t dim) {
  return start < 0 ? start + dim : start;
}

// Copies the indices [start, start + length) of the axis `attrs.axis` of
// `x` into a new tensor of metadata `m`: one contiguous run per outer index
// (a single memcpy along axis 0). Called by dispatch_unary for narrow
// (`length` indices) and select (one, the axis dropped from `m`), once infer
// checked the axis and range.
result copy_range(const budget& b, const tensor& x, int64_t axis, int64_t start,
                  int64_t length, const tensor_meta& m) {
  auto v = view_around(x.shape(), axis);
  auto first = from_front(start, v->dim);
  auto out = allocate(b, m.dims, m.dt);
  if (out.numel() == 0)
    return out;
  auto elem = static_cast<int64_t>(size_of(x.dtype()));
  auto run = length * v->inner * elem;
  auto src = x.bytes();
  auto dst = out.mutable_bytes();
  for (int64_t o = 0; o < v->outer; ++o)
    std::memcpy(dst + o * run, src + (o * v->dim + first) * v->inner * elem,
                static_cast<size_t>(run));
  return out;
}

// -- random_like --------------------------------------------------------------

// Called by dispatch_unary: an int64 tensor of x's shape filled from the
// kernel's random source (getrandom, the same source as /dev/urandom). Fails
// with bad_argument only if that source fails.
result random_like(const budget& b, const tensor& x) {
  auto out = allocate(b, x.shape(), dtype::int64);
  auto p = out.mutable_bytes();
  auto n = out.nbytes();
  while (n > 0) {
    auto got = getrandom(p, n, 0);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      return fail(errc::bad_argument, opcode::random_like,
                  std::string{"the system random source failed: "} +
                    std::strerror(errno));
    p += got;
    n -= static_cast<size_t>(got);
  }
  return out;
}

// -- copy and zeros_like ------------------------------------------------------

// Called by dispatch_unary: new storage, never shared with `x` (so a copy
// stored on a worker is its own object). Cannot fail but for the limit.
result copy(const budget& b, const tensor& x) {
  auto out = allocate(b, x.shape(), x.dtype());
  if (out.nbytes() > 0)
    std::memcpy(out.mutable_bytes(), x.bytes(), out.nbytes());
  return out;
}

// -- sort, argsort and topk ---------------------------------------------------

// Orders the `v.dim` elements of each line of `in` (viewed as `v`) and
// writes the first `keep` of each line to `out`: the values (sort, topk) or
// their int64 indices (argsort). The order is stable, NaN counts as larger
// than every number, so that the comparison is a strict weak ordering.
template <class T, class R>
void order_lines(opcode op, const T* in, const axis_view& v, bool descending,
                 int64_t keep, R* out) {
  auto less = [](T a, T b) {
    if constexpr (std::is_floating_point_v<T>)
      return !std::isnan(a) && (std::isnan(b) || a < b);
    else
      return a < b;
  };
  std::vector<int64_t> idx(static_cast<size_t>(v.dim));
  for (int64_t o = 0; o < v.outer; ++o)
    for (int64_t i = 0; i < v.inner; ++i) {
      auto line = in + o * v.dim * v.inner + i;
      auto at = [&](int64_t j) { return line[j * v.inner]; };
      for (int64_t j = 0; j < v.dim; ++j)
        idx[static_cast<size_t>(j)] = j;
      std::stable_sort(idx.begin(), idx.end(), [&](int64_t a, int64_t b) {
        return descending ? less(at(b), at(a)) : less(at(a), at(b));
      });
      auto dst = out + o * keep * v.inner + i;
      for (int64_t j = 0; j < keep; ++j) {
        auto src = idx[static_cast<size_t>(j)];
        dst[j * v.inner] =
          op == opcode::argsort ? static_cast<R>(src) : static_cast<R>(at(src));
      }
    }
}

// Called by dispatch_unary for sort, argsort and topk, once infer checked
// the axis and k (`m`: the result's metadata).
result order(const budget& b, const tensor& x, const op_attrs& attrs,
             const tensor_meta& m) {
  auto op = b.op;
  auto v = view_around(x.shape(), attrs.axis);
  auto keep = m.dims[v->pos];
  auto out = allocate(b, m.dims, m.dt);
  if (out.numel() == 0)
    return out;
  visit2(x.dtype(), out.dtype(), [&](auto tx, auto tr) {
    using T = decltype(tx);
    using R = decltype(tr);
    order_lines(op, x.data<T>(), *v, attrs.descending, keep,
                out.mutable_data<R>());
  });
  return out;
}

// -- reshape ------------------------------------------------------------------

// Resolves a -1 in `dims` and checks that the result holds numel elements of
// `from`; fails with bad_argument (malformed dims) or shape_mismatch.
caf::expected<shape> reshape_target(const shape& from,
                                    const std::vector<int64_t>& dims) {
  auto what = "cannot reshape " + to_string(from) + " (" +
              std::to_string(from.numel()) + " elements) to " +
              to_string(shape{dims});
  auto bad = [&](const char* why) {
    return fail(errc::bad_argument, opcode::reshape, what + ": " + why);
  };
  if (dims.size() > shape::max_rank)
    return bad("rank above 4");
  int64_t known_numel = 1;
  size_t inferred = dims.size();
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] < -1)
      return bad("negative dimension");
    if (dims[i] == -1 && inferred != dims.size())
      return bad("more than one -1");
    if (dims[i] == -1)
      inferred = i;
    else if (__builtin_mul_overflow(known_numel, dims[i], &known_numel))
      return bad("too many elements");
  }
  auto result = dims;
  if (inferred != dims.size()) {
    if (known_numel == 0)
      return bad("cannot infer -1 next to a dimension of size 0");
    result[inferred] = from.numel() / known_numel;
    known_numel *= result[inferred];
  }
  if (known_numel != from.numel())
    return fail(errc::shape_mismatch, opcode::reshape, what);
  return shape{std::move(result)};
}

// Shares the storage: reshaping never copies (copy-on-write keeps it safe).
result reshape(const tensor& x, const tensor_meta& m) {
  return x.with_shape(m.dims);
}

// -- dispatch -----------------------------------------------------------------

// -- metadata (infer) ---------------------------------------------------------

// The result of a binary op: matmul's or an elementwise op's (broadcast).
// Fails with shape_mismatch or dtype_mismatch naming both operands.
caf::expected<tensor_meta> binary_meta(opcode op, const meta_input& x,
                                       const meta_input& y) {
  auto& sx = x.meta.dims;
  auto& sy = y.meta.dims;
  if (op == opcode::matmul) {
    if (sx.rank() != 2 || sy.rank() != 2)
      return fail(errc::shape_mismatch, op,
                  "expects 2-D operands, got " + pair_str(sx, sy));
    if (sx[1] != sy[0])
      return fail(errc::shape_mismatch, op,
                  pair_str(sx, sy) + " are not aligned (" +
                    std::to_string(sx[1]) + " != " + std::to_string(sy[0]) +
                    ")");
    auto dt = common_dtype(op, x, y);
    if (!dt)
      return std::move(dt.error());
    return tensor_meta{*dt, shape{sx[0], sy[1]}};
  }
  auto plan = plan_broadcast(op, sx, sy);
  if (!plan)
    return std::move(plan.error());
  auto dt = common_dtype(op, x, y);
  if (!dt)
    return std::move(dt.error());
  if (is_comparison(op))
    return tensor_meta{dtype::int64, plan->result};
  if (op == opcode::div && *dt == dtype::int64)
    *dt = dtype::float32; // true division
  return tensor_meta{*dt, plan->result};
}

// The result of sort, argsort or topk: bad_axis (no axis, rank 0, out of
// range) or, for topk, bad_argument if k is outside [0, size of the axis].
// Errors name the shape, axis and k.
caf::expected<tensor_meta> order_meta(opcode op, const tensor_meta& x,
                                      const op_attrs& attrs) {
  auto v = view_around(x.dims, attrs.axis);
  if (!v)
    return fail(errc::bad_axis, op,
                "axis " + std::to_string(attrs.axis) +
                  " is out of range for shape " + to_string(x.dims));
  auto keep = v->dim;
  if (op == opcode::topk) {
    if (attrs.k < 0 || attrs.k > v->dim)
      return fail(errc::bad_argument, op,
                  "k = " + std::to_string(attrs.k) + " is outside [0, " +
                    std::to_string(v->dim) + "] for axis " +
                    std::to_string(attrs.axis) + " of shape " +
                    to_string(x.dims));
    keep = attrs.k;
  }
  auto dims = x.dims.dims();
  dims[v->pos] = keep;
  return tensor_meta{op == opcode::argsort ? dtype::int64 : x.dt,
                     shape{std::move(dims)}};
}

// The result of narrow: bad_axis or bad_argument naming the shape, axis,
// start and length.
caf::expected<tensor_meta> narrow_meta(const tensor_meta& x,
                                       const op_attrs& attrs) {
  auto op = opcode::narrow;
  auto what = [&] {
    return "shape " + to_string(x.dims) + ", axis " +
           std::to_string(attrs.axis) + ", start " +
           std::to_string(attrs.start) + ", length " +
           std::to_string(attrs.length);
  };
  auto v = view_around(x.dims, attrs.axis);
  if (!v)
    return fail(errc::bad_axis, op, "axis out of range (" + what() + ")");
  auto start = from_front(attrs.start, v->dim);
  if (attrs.length < 0 || start < 0 || start > v->dim ||
      attrs.length > v->dim - start)
    return fail(errc::bad_argument, op,
                "range out of bounds for an axis of size " +
                  std::to_string(v->dim) + " (" + what() + ")");
  auto dims = x.dims.dims();
  dims[v->pos] = attrs.length;
  return tensor_meta{x.dt, shape{std::move(dims)}};
}

// The result of select: bad_argument naming the index, axis and shape for a
// rank-0 operand, an axis out of range or an index outside the axis.
caf::expected<tensor_meta> select_meta(const tensor_meta& x,
                                       const op_attrs& attrs) {
  auto op = opcode::select;
  auto what = [&] {
    return "index " + std::to_string(attrs.start) + ", axis " +
           (attrs.axis == op_attrs::all_axes ? std::string{"none"}
                                             : std::to_string(attrs.axis)) +
           ", shape " + to_string(x.dims);
  };
  if (x.dims.rank() == 0)
    return fail(errc::bad_argument, op,
                "a rank-0 tensor has no axis to select from (" + what() + ")");
  auto v = view_around(x.dims, attrs.axis);
  if (!v)
    return fail(errc::bad_argument, op,
                "axis out of range for rank " + std::to_string(x.dims.rank()) +
                  " (" + what() + ")");
  auto index = from_front(attrs.start, v->dim);
  if (index < 0 || index >= v->dim)
    return fail(errc::bad_argument, op,
                "index out of range for an axis of size " +
                  std::to_string(v->dim) + " (" + what() + ")");
  auto dims = x.dims.dims();
  dims.erase(dims.begin() + static_cast<std::ptrdiff_t>(v->pos));
  return tensor_meta{x.dt, shape{std::move(dims)}};
}

// The result of one_hot: dtype_mismatch (not int64), shape_mismatch (not
// rank 1) or bad_argument (num_classes below 1).
caf::expected<tensor_meta> one_hot_meta(const tensor_meta& x,
                                        int64_t num_classes) {
  auto op = opcode::one_hot;
  if (x.dt != dtype::int64)
    return fail(errc::dtype_mismatch, op,
                std::string{"expects int64 class indices, got "} +
                  to_string(x.dt));
  if (x.dims.rank() != 1)
    return fail(errc::shape_mismatch, op,
                "expects a 1-D tensor of class indices, got shape " +
                  to_string(x.dims));
  if (num_classes < 1)
    return fail(errc::bad_argument, op,
                "num_classes must be at least 1, got " +
                  std::to_string(num_classes));
  return tensor_meta{dtype::float32, shape{x.dims.numel(), num_classes}};
}

// The result of a reduction (sum, mean, max, argmax): bad_axis or, for
// max/argmax over an empty dimension, bad_argument.
caf::expected<tensor_meta> reduce_meta(opcode op, const tensor_meta& x,
                                       const op_attrs& attrs) {
  auto v = reduction_view(op, x.dims, attrs.axis);
  if (!v)
    return std::move(v.error());
  if ((op == opcode::max || op == opcode::argmax) && v->dim == 0)
    return fail(errc::bad_argument, op,
                "cannot reduce an empty dimension of shape " +
                  to_string(x.dims));
  return tensor_meta{op == opcode::argmax ? dtype::int64
                                          : unary_dtype(op, x.dt),
                     reduced_shape(x.dims, attrs.axis, *v, attrs.keepdims)};
}

// The result of a unary op on `x`.
caf::expected<tensor_meta> unary_meta(opcode op, const tensor_meta& x,
                                      const op_attrs& attrs) {
  switch (op) {
  case opcode::transpose:
    if (x.dims.rank() != 2)
      return fail(errc::shape_mismatch, op,
                  "expects a 2-D tensor, got shape " + to_string(x.dims));
    return tensor_meta{x.dt, shape{x.dims[1], x.dims[0]}};
  case opcode::sum:
  case opcode::mean:
  case opcode::max:
  case opcode::argmax:
    return reduce_meta(op, x, attrs);
  case opcode::softmax:
  case opcode::log_softmax: {
    auto v = reduction_view(op, x.dims, attrs.axis);
    if (!v)
      return std::move(v.error());
    return tensor_meta{unary_dtype(op, x.dt), x.dims};
  }
  case opcode::one_hot:
    return one_hot_meta(x, attrs.num_classes);
  case opcode::narrow:
    return narrow_meta(x, attrs);
  case opcode::select:
    return select_meta(x, attrs);
  case opcode::random_like:
    return tensor_meta{dtype::int64, x.dims};
  case opcode::reshape: {
    auto s = reshape_target(x.dims, attrs.new_shape);
    if (!s)
      return std::move(s.error());
    return tensor_meta{x.dt, std::move(*s)};
  }
  case opcode::cast:
    if (!known(attrs.to))
      return fail(errc::bad_argument, op,
                  "unknown dtype " +
                    std::to_string(static_cast<int>(attrs.to)));
    return tensor_meta{attrs.to, x.dims};
  case opcode::copy:
  case opcode::zeros_like:
    return x;
  case opcode::sort:
  case opcode::argsort:
  case opcode::topk:
    return order_meta(op, x, attrs);
  default: // neg, abs, exp, log, relu, round
    return tensor_meta{unary_dtype(op, x.dt), x.dims};
  }
}

// -- dispatch -----------------------------------------------------------------

// Runs the kernel of `b.op` on `x`; `m` is the result's metadata from infer.
result dispatch_unary(const budget& b, const tensor& x, const op_attrs& attrs,
                      const tensor_meta& m) {
  switch (b.op) {
  case opcode::transpose:
    return transpose(b, x, m);
  case opcode::sum:
  case opcode::mean:
  case opcode::max:
  case opcode::argmax:
    return reduce(b, x, attrs, m);
  case opcode::softmax:
  case opcode::log_softmax:
    return normalize(b, x, attrs.axis, m);
  case opcode::one_hot:
    return one_hot(b, x, attrs.num_classes, m);
  case opcode::narrow:
    return copy_range(b, x, attrs.axis, attrs.start, attrs.length, m);
  case opcode::select:
    return copy_range(b, x, attrs.axis, attrs.start, 1, m);
  case opcode::random_like:
    return random_like(b, x);
  case opcode::reshape:
    return reshape(x, m);
  case opcode::cast:
    return cast(b, x, attrs.to);
  case opcode::copy:
    return copy(b, x);
  case opcode::zeros_like:
    return allocate(b, x.shape(), x.dtype());
  case opcode::sort:
  case opcode::argsort:
  case opcode::topk:
    return order(b, x, attrs, m);
  default:
    return elementwise_unary(b, x, m);
  }
}

// Runs the kernel of `b.op` on `args`; `m` is the result's metadata.
result dispatch(const budget& b, const std::vector<op_input>& args,
                const op_attrs& attrs, const tensor_meta& m) {
  if (args.size() == 1)
    return dispatch_unary(b, *args[0].value, attrs, m);
  if (b.op == opcode::matmul)
    return matmul(b, args[0], args[1], m);
  return elementwise_binary(b, args[0], args[1], m);
}

} // namespace

// Called by evaluate and by pointers before they send an operation: the one
// place that decides whether an operation fits its operands' shapes and
// dtypes, and what it gives.
caf::expected<tensor_meta> infer(opcode op, const std::vector<meta_input>& args,
                                 const op_attrs& attrs) {
  if (static_cast<uint8_t>(op) > static_cast<uint8_t>(last_opcode))
    return make_error(errc::bad_argument,
                      "unknown opcode " + std::to_string(static_cast<int>(op)));
  if (is_autograd(op))
    return fail(errc::bad_argument, op,
                "is an autograd request on a stored object, run by workers "
                "(remote_autograd.hpp), not a tensor operation");
  if (args.size() != arity(op))
    return fail(errc::bad_argument, op,
                "expects " + std::to_string(arity(op)) + " operand(s), got " +
                  std::to_string(args.size()));
  if (args.size() == 2)
    return binary_meta(op, args[0], args[1]);
  return unary_meta(op, args[0].meta, attrs);
}

// Called by tensor arithmetic and by workers executing op_requests; never
// throws: malformed requests, outputs above the limit and allocation
// failures become errors.
caf::expected<tensor> evaluate(opcode op, const std::vector<op_input>& args,
                               const op_attrs& attrs,
                               uint64_t max_tensor_bytes) {
  std::vector<meta_input> metas;
  for (auto& arg : args) {
    if (arg.value == nullptr)
      return fail(errc::bad_argument, op, "missing operand");
    metas.push_back(meta_of(arg));
  }
  auto m = infer(op, metas, attrs);
  if (!m)
    return std::move(m.error());
  try {
    return dispatch(budget{op, max_tensor_bytes}, args, attrs, *m);
  } catch (const operation_error& e) {
    return e.error();
  } catch (const std::bad_alloc&) {
    return fail(errc::bad_argument, op, "out of memory for the result");
  } catch (const std::length_error&) {
    return fail(errc::bad_argument, op, "result too large");
  }
}

} // namespace workers
