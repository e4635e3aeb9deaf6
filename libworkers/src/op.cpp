#include "workers/op.hpp"

#include <new>
#include <string>
#include <type_traits>

#include <Eigen/Core>

#include "workers/error.hpp"
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
  }
  return "unknown";
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
  return x.axis == y.axis && x.new_shape == y.new_shape && x.to == y.to;
}

namespace {

// -- Eigen views --------------------------------------------------------------

template <class T>
using array_view = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;

template <class T>
using mutable_array_view = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;

template <class T>
using row_major =
  Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

template <class T>
using matrix_view = Eigen::Map<const row_major<T>>;

template <class T>
array_view<T> as_array(const tensor& x) {
  return {x.data<T>(), x.numel()};
}

template <class T>
mutable_array_view<T> as_mutable_array(tensor& x) {
  return {x.mutable_data<T>(), x.numel()};
}

template <class T>
matrix_view<T> as_matrix(const tensor& x) {
  return {x.data<T>(), x.shape()[0], x.shape()[1]};
}

template <class T>
Eigen::Map<row_major<T>> as_mutable_matrix(tensor& x) {
  return {x.mutable_data<T>(), x.shape()[0], x.shape()[1]};
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

// -- conversion ---------------------------------------------------------------

// Returns `x` converted to `to` (sharing storage if it already is `to`); used
// by cast and to promote operands.
tensor convert(const tensor& x, dtype to) {
  if (x.dtype() == to)
    return x;
  auto out = tensor::zeros(x.shape(), to);
  visit2(x.dtype(), to, [&](auto tx, auto tr) {
    using T = decltype(tx);
    using R = decltype(tr);
    as_mutable_array<R>(out) = as_array<T>(x).template cast<R>();
  });
  return out;
}

// Checks `to` (it may come off the wire): bad_argument if unknown.
result cast(const tensor& x, dtype to) {
  if (!known(to))
    return fail(errc::bad_argument, opcode::cast,
                "unknown dtype " + std::to_string(static_cast<int>(to)));
  return convert(x, to);
}

// -- elementwise binary operations --------------------------------------------

bool is_comparison(opcode op) {
  return op == opcode::eq || op == opcode::gt || op == opcode::lt;
}

// Picks the dtype both operands convert to: a literal adapts to the other
// operand (float32 if a floating literal meets int64); otherwise the dtypes
// must match.
caf::expected<dtype> common_dtype(opcode op, const op_input& x,
                                  const op_input& y) {
  auto dx = x.value->dtype();
  auto dy = y.value->dtype();
  if (x.literal != y.literal) {
    auto lit = x.literal ? dx : dy;
    auto other = x.literal ? dy : dx;
    return other == dtype::int64 && is_floating(lit) ? dtype::float32 : other;
  }
  if (dx != dy)
    return dtype_mismatch(op, dx, dy);
  return dx;
}

// Equal shapes, or one side of rank 0 (broadcast).
caf::expected<shape> broadcast_shape(opcode op, const shape& x,
                                     const shape& y) {
  if (x == y || y.rank() == 0)
    return x;
  if (x.rank() == 0)
    return y;
  return fail(errc::shape_mismatch, op, pair_str(x, y) + " differ");
}

/// Calls `f` with `x` as an Eigen array of `n` elements (repeating a scalar).
template <class T, class F>
void with_array(const tensor& x, int64_t n, F&& f) {
  if (x.rank() == 0)
    f(Eigen::Array<T, Eigen::Dynamic, 1>::Constant(n, *x.data<T>()));
  else
    f(as_array<T>(x));
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

// Called by dispatch for add, sub, mul, div, eq, gt and lt; fails with
// shape_mismatch or dtype_mismatch.
result elementwise_binary(opcode op, const op_input& x, const op_input& y) {
  auto s = broadcast_shape(op, x.value->shape(), y.value->shape());
  if (!s)
    return std::move(s.error());
  auto dt = common_dtype(op, x, y);
  if (!dt)
    return std::move(dt.error());
  if (op == opcode::div && *dt == dtype::int64)
    *dt = dtype::float32; // true division
  auto a = convert(*x.value, *dt);
  auto b = convert(*y.value, *dt);
  auto out = tensor::zeros(*s, is_comparison(op) ? dtype::int64 : *dt);
  visit2(*dt, out.dtype(), [&](auto tx, auto tr) {
    using T = decltype(tx);
    using R = decltype(tr);
    with_array<T>(a, out.numel(), [&](const auto& ea) {
      with_array<T>(b, out.numel(), [&](const auto& eb) {
        assign_binary<R>(op, ea, eb, as_mutable_array<R>(out));
      });
    });
  });
  return out;
}

// -- matrix operations --------------------------------------------------------

// Fails with shape_mismatch (not 2-D, not aligned) or dtype_mismatch.
result matmul(const op_input& x, const op_input& y) {
  auto& sx = x.value->shape();
  auto& sy = y.value->shape();
  auto op = opcode::matmul;
  if (sx.rank() != 2 || sy.rank() != 2)
    return fail(errc::shape_mismatch, op,
                "expects 2-D operands, got " + pair_str(sx, sy));
  if (sx[1] != sy[0])
    return fail(errc::shape_mismatch, op,
                pair_str(sx, sy) + " are not aligned (" +
                  std::to_string(sx[1]) + " != " + std::to_string(sy[0]) + ")");
  auto dt = common_dtype(op, x, y);
  if (!dt)
    return std::move(dt.error());
  auto out = tensor::zeros(shape{sx[0], sy[1]}, *dt);
  visit(*dt, [&](auto tag) {
    using T = decltype(tag);
    as_mutable_matrix<T>(out).noalias() =
      as_matrix<T>(*x.value) * as_matrix<T>(*y.value);
  });
  return out;
}

// Fails with shape_mismatch unless `x` is 2-D.
result transpose(const tensor& x) {
  if (x.rank() != 2)
    return fail(errc::shape_mismatch, opcode::transpose,
                "expects a 2-D tensor, got shape " + to_string(x.shape()));
  auto out = tensor::zeros(shape{x.shape()[1], x.shape()[0]}, x.dtype());
  visit(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    as_mutable_matrix<T>(out) = as_matrix<T>(x).transpose();
  });
  return out;
}

// -- elementwise unary operations ---------------------------------------------

// exp, log and mean compute in float32 on int64 input.
dtype unary_dtype(opcode op, dtype dt) {
  auto promotes = op == opcode::exp || op == opcode::log || op == opcode::mean;
  return promotes && dt == dtype::int64 ? dtype::float32 : dt;
}

template <class T>
void assign_unary(opcode op, array_view<T> a, mutable_array_view<T> out) {
  switch (op) {
  case opcode::neg:
    out = -a;
    break;
  case opcode::abs:
    out = a.abs();
    break;
  case opcode::relu:
    out = a.max(T{0});
    break;
  case opcode::exp:
    if constexpr (std::is_floating_point_v<T>)
      out = a.exp();
    break;
  case opcode::log:
    if constexpr (std::is_floating_point_v<T>)
      out = a.log();
    break;
  default:
    break;
  }
}

// Called by dispatch_unary for neg, abs, exp, log and relu; cannot fail.
result elementwise_unary(opcode op, const tensor& x) {
  auto dt = unary_dtype(op, x.dtype());
  auto a = convert(x, dt);
  auto out = tensor::zeros(x.shape(), dt);
  visit(dt, [&](auto tag) {
    using T = decltype(tag);
    assign_unary<T>(op, as_array<T>(a), as_mutable_array<T>(out));
  });
  return out;
}

// -- reductions ---------------------------------------------------------------

/// A tensor viewed as [outer, dim, inner], reduced along `dim`.
struct reduction_view {
  int64_t outer = 1;
  int64_t dim = 1;
  int64_t inner = 1;
  shape result;
};

// Maps `axis` of `s` to a reduction view; fails with bad_axis if out of range.
caf::expected<reduction_view> reduction_layout(opcode op, const shape& s,
                                               int64_t axis) {
  if (axis == op_attrs::all_axes)
    return reduction_view{1, s.numel(), 1, shape{}};
  auto rank = static_cast<int64_t>(s.rank());
  auto pos = axis < 0 ? axis + rank : axis;
  if (pos < 0 || pos >= rank)
    return fail(errc::bad_axis, op,
                "axis " + std::to_string(axis) + " is out of range for shape " +
                  to_string(s));
  reduction_view result;
  result.dim = s[pos];
  std::vector<int64_t> dims;
  for (int64_t i = 0; i < rank; ++i) {
    if (i == pos)
      continue;
    dims.push_back(s[i]);
    (i < pos ? result.outer : result.inner) *= s[i];
  }
  result.result = shape{std::move(dims)};
  return result;
}

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

// Called by dispatch_unary for sum, mean, max and argmax; fails with bad_axis
// or, for max/argmax over an empty dimension, bad_argument.
result reduce(opcode op, const tensor& x, int64_t axis) {
  auto v = reduction_layout(op, x.shape(), axis);
  if (!v)
    return std::move(v.error());
  if ((op == opcode::max || op == opcode::argmax) && v->dim == 0)
    return fail(errc::bad_argument, op,
                "cannot reduce an empty dimension of shape " +
                  to_string(x.shape()));
  auto dt = unary_dtype(op, x.dtype());
  auto a = convert(x, dt);
  auto out = tensor::zeros(v->result, op == opcode::argmax ? dtype::int64 : dt);
  visit2(dt, out.dtype(), [&](auto tx, auto tr) {
    using T = decltype(tx);
    using R = decltype(tr);
    auto in = a.data<T>();
    auto dst = out.mutable_data<R>();
    for (int64_t o = 0; o < v->outer; ++o)
      reduce_block<T, R>(
        op, matrix_view<T>{in + o * v->dim * v->inner, v->dim, v->inner},
        dst + o * v->inner);
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
result reshape(const tensor& x, const std::vector<int64_t>& dims) {
  auto s = reshape_target(x.shape(), dims);
  if (!s)
    return std::move(s.error());
  return x.with_shape(std::move(*s));
}

// -- dispatch -----------------------------------------------------------------

result dispatch_unary(opcode op, const tensor& x, const op_attrs& attrs) {
  switch (op) {
  case opcode::transpose:
    return transpose(x);
  case opcode::sum:
  case opcode::mean:
  case opcode::max:
  case opcode::argmax:
    return reduce(op, x, attrs.axis);
  case opcode::reshape:
    return reshape(x, attrs.new_shape);
  case opcode::cast:
    return cast(x, attrs.to);
  default:
    return elementwise_unary(op, x);
  }
}

result dispatch(opcode op, const std::vector<op_input>& args,
                const op_attrs& attrs) {
  if (args.size() == 1)
    return dispatch_unary(op, *args[0].value, attrs);
  if (op == opcode::matmul)
    return matmul(args[0], args[1]);
  return elementwise_binary(op, args[0], args[1]);
}

} // namespace

// Called by tensor arithmetic and by workers executing op_requests; never
// throws: malformed requests and allocation failures become errors.
caf::expected<tensor> evaluate(opcode op, const std::vector<op_input>& args,
                               const op_attrs& attrs) {
  if (static_cast<uint8_t>(op) > static_cast<uint8_t>(opcode::relu))
    return make_error(errc::bad_argument,
                      "unknown opcode " + std::to_string(static_cast<int>(op)));
  if (args.size() != arity(op))
    return fail(errc::bad_argument, op,
                "expects " + std::to_string(arity(op)) + " operand(s), got " +
                  std::to_string(args.size()));
  for (auto& arg : args)
    if (arg.value == nullptr)
      return fail(errc::bad_argument, op, "missing operand");
  try {
    return dispatch(op, args, attrs);
  } catch (const operation_error& e) {
    return e.error();
  } catch (const std::bad_alloc&) {
    return fail(errc::bad_argument, op, "out of memory for the result");
  }
}

} // namespace workers
