#include "workers/grad_rules.hpp"

#include <array>
#include <string>

#include "workers/error.hpp"

namespace workers {

namespace {

[[noreturn]] void throw_error(errc code, std::string what) {
  throw operation_error{make_error(code, std::move(what))};
}

// Maps `axis` (negative counts from the end) into [0, rank); throws bad_axis
// (the forward operation accepted it, so only a corrupt record gets here).
size_t axis_pos(opcode op, int64_t axis, size_t rank) {
  auto pos = axis < 0 ? axis + static_cast<int64_t>(rank) : axis;
  if (pos < 0 || pos >= static_cast<int64_t>(rank))
    throw_error(errc::bad_axis, std::string{"backward of "} + to_string(op) +
                                  ": axis " + std::to_string(axis) +
                                  " out of range for rank " +
                                  std::to_string(rank));
  return static_cast<size_t>(pos);
}

// `s` seen as [outer, dim, inner] around `axis`: the product of the sizes
// before it, its own size, the product of those after it.
std::array<int64_t, 3> around_axis(opcode op, const shape& s, int64_t axis) {
  auto pos = axis_pos(op, axis, s.rank());
  std::array<int64_t, 3> result{1, s[pos], 1};
  for (size_t i = 0; i < s.rank(); ++i)
    if (i != pos)
      result[i < pos ? 0 : 2] *= s[i];
  return result;
}

// The shape of a reduction of `s` along `axis` with keepdims: the reduced
// axis (every axis for all_axes) becomes 1.
std::vector<int64_t> kept_dims(opcode op, const shape& s, int64_t axis) {
  if (axis == op_attrs::all_axes)
    return std::vector<int64_t>(s.rank(), 1);
  auto dims = s.dims();
  dims[axis_pos(op, axis, s.rank())] = 1;
  return dims;
}

// Sums `x` along `axis` keeping it (all axes: a rank-0 sum, which broadcasts
// against anything).
template <class T>
T sum_kept(const T& x, int64_t axis) {
  return axis == op_attrs::all_axes ? x.sum() : x.sum(axis, true);
}

// Broadcasts the gradient `g` of a reduction of operand 0 back to the
// operand's shape (sum, mean): reshape to the kept shape, add zeros.
template <class T>
T expand(const op_record<T>& r, const T& g) {
  auto& in = r.input_shapes[0];
  auto gk = g.reshape(kept_dims(r.op, in, r.attrs.axis));
  if (in.dims() == kept_dims(r.op, in, r.attrs.axis))
    return gk;
  return gk.apply_literal(opcode::add, tensor::zeros(in, r.input_dtypes[0]),
                          false);
}

// The elements that share the max (A7 of autograd.hpp) each get an equal
// part of the gradient.
template <class T>
T max_grad(const op_record<T>& r, const T& g) {
  auto& in = r.input_shapes[0];
  auto kept = kept_dims(r.op, in, r.attrs.axis);
  auto mask = r.inputs[0].eq(r.output.reshape(kept)).cast(r.input_dtypes[0]);
  auto count = sum_kept(mask, r.attrs.axis);
  return mask * (g.reshape(kept) / count);
}

// Pads the gradient `g` of the indices [start, start + len) of the axis of
// narrow or select (whose `g` lacks that axis, of size len = 1) with zeros
// back to the operand's shape (R6), as a product with a one-hot selection
// matrix S [len, dim] (a literal, R3) with S[i, start + i] = 1.
template <class T>
T pad_grad(const op_record<T>& r, const T& g, int64_t start, int64_t len) {
  auto& in = r.input_shapes[0];
  if (in.numel() == 0)
    return g.reshape(in.dims());
  auto [outer, dim, inner] = around_axis(r.op, in, r.attrs.axis);
  if (start < 0)
    start += dim;
  // [len, dim] in g's dtype: matmul does not convert literal operands.
  auto sel = (tensor::arange(len) + start).one_hot(dim).cast(r.input_dtypes[0]);
  if (inner == 1) // [outer, len] x [len, dim]
    return g.reshape({outer, len})
      .apply_literal(opcode::matmul, sel, false)
      .reshape(in.dims());
  if (outer == 1) // [dim, len] x [len, inner]
    return g.reshape({len, inner})
      .apply_literal(opcode::matmul, sel.transpose(), true)
      .reshape(in.dims());
  // [outer, len, 1, inner] * [1, len, dim, 1], summed over len.
  return g.reshape({outer, len, 1, inner})
    .apply_literal(opcode::mul, sel.reshape({1, len, dim, 1}), false)
    .sum(1)
    .reshape(in.dims());
}

// Scatters the gradient `g` of sort or topk back to the positions the
// forward pass took each value from (R5): with I = argsort of the operand
// along the axis (its first `keep` entries for topk), viewed as
// [outer, keep, 1, inner], the mask I == arange(dim) of shape
// [outer, keep, dim, inner] selects the source of each output element, and
// summing mask * g over `keep` puts every gradient where its value came
// from.
template <class T>
T scatter_grad(const op_record<T>& r, const T& g) {
  auto& in = r.input_shapes[0];
  if (in.numel() == 0)
    return g.reshape(in.dims());
  auto [outer, dim, inner] = around_axis(r.op, in, r.attrs.axis);
  auto keep = r.op == opcode::topk ? r.attrs.k : dim;
  auto idx = r.inputs[0].argsort(r.attrs.axis, r.attrs.descending);
  if (keep < dim)
    idx = idx.narrow(r.attrs.axis, 0, keep);
  auto mask =
    idx.reshape({outer, keep, 1, inner})
      .apply_literal(opcode::eq, tensor::arange(dim).reshape({1, 1, dim, 1}),
                     false)
      .cast(r.input_dtypes[0]);
  return (mask * g.reshape({outer, keep, 1, inner})).sum(1).reshape(in.dims());
}

} // namespace

bool is_differentiable(opcode op) {
  switch (op) {
  case opcode::add:
  case opcode::sub:
  case opcode::mul:
  case opcode::div:
  case opcode::neg:
  case opcode::abs:
  case opcode::exp:
  case opcode::log:
  case opcode::matmul:
  case opcode::transpose:
  case opcode::sum:
  case opcode::mean:
  case opcode::max:
  case opcode::reshape:
  case opcode::cast:
  case opcode::relu:
  case opcode::softmax:
  case opcode::log_softmax:
  case opcode::narrow:
  case opcode::select:
  case opcode::copy:
  case opcode::sort:
  case opcode::topk:
    return true;
  default: // eq, gt, lt, argmax, one_hot, round, random_like, argsort (its
           // int64 indices carry no gradient), zeros_like (a constant) (R2)
    return false;
  }
}

template <class T>
T unbroadcast(const T& g, const shape& from, const shape& to) {
  if (from == to)
    return g;
  auto bad = [&] {
    throw_error(errc::shape_mismatch, "unbroadcast: " + to_string(to) +
                                        " does not broadcast to " +
                                        to_string(from));
  };
  if (to.rank() > from.rank())
    bad();
  auto lead = from.rank() - to.rank();
  T result = g;
  for (size_t i = 0; i < lead; ++i)
    result = result.sum(0);
  for (size_t i = 0; i < to.rank(); ++i) {
    if (to[i] == from[lead + i])
      continue;
    if (to[i] != 1)
      bad();
    result = result.sum(static_cast<int64_t>(i), true);
  }
  return result;
}

template <class T>
std::vector<std::optional<T>> input_grads(const op_record<T>& r, const T& g,
                                          const std::vector<bool>& needed) {
  std::vector<std::optional<T>> out(r.inputs.size());
  auto want = [&](size_t i) { return i < needed.size() && needed[i]; };
  auto unb = [&](size_t i, const T& x) {
    return unbroadcast(x, r.output_shape, r.input_shapes[i]);
  };
  auto& x = r.inputs[0];
  auto dt = r.input_dtypes[0];
  switch (r.op) {
  case opcode::add:
    if (want(0))
      out[0] = unb(0, g);
    if (want(1))
      out[1] = unb(1, g);
    break;
  case opcode::sub:
    if (want(0))
      out[0] = unb(0, g);
    if (want(1))
      out[1] = unb(1, g.neg());
    break;
  case opcode::mul:
    if (want(0))
      out[0] = unb(0, g * r.inputs[1]);
    if (want(1))
      out[1] = unb(1, g * x);
    break;
  case opcode::div:
    if (want(0))
      out[0] = unb(0, g / r.inputs[1]);
    if (want(1))
      out[1] = unb(1, (g * r.output / r.inputs[1]).neg());
    break;
  case opcode::matmul:
    if (want(0))
      out[0] = g.matmul(r.inputs[1].transpose());
    if (want(1))
      out[1] = x.transpose().matmul(g);
    break;
  default:
    if (!want(0))
      break;
    switch (r.op) {
    case opcode::neg:
      out[0] = g.neg();
      break;
    case opcode::abs:
      out[0] = g * (x.gt(0).cast(dt) - x.lt(0).cast(dt));
      break;
    case opcode::exp:
      out[0] = g * r.output;
      break;
    case opcode::log:
      out[0] = g / x;
      break;
    case opcode::relu:
      out[0] = g * x.gt(0).cast(dt);
      break;
    case opcode::transpose:
      out[0] = g.transpose();
      break;
    case opcode::reshape:
      out[0] = g.reshape(r.input_shapes[0].dims());
      break;
    case opcode::cast:
      out[0] = g.cast(dt);
      break;
    case opcode::sum:
      out[0] = expand(r, g);
      break;
    case opcode::mean: {
      auto& in = r.input_shapes[0];
      auto n = r.attrs.axis == op_attrs::all_axes
                 ? in.numel()
                 : in[axis_pos(r.op, r.attrs.axis, in.rank())];
      out[0] = expand(r, g) / static_cast<double>(n);
      break;
    }
    case opcode::max:
      out[0] = max_grad(r, g);
      break;
    case opcode::softmax:
      out[0] = r.output * (g - sum_kept(g * r.output, r.attrs.axis));
      break;
    case opcode::log_softmax:
      out[0] = g - r.output.exp() * sum_kept(g, r.attrs.axis);
      break;
    case opcode::narrow:
      out[0] = pad_grad(r, g, r.attrs.start, r.attrs.length);
      break;
    case opcode::select:
      out[0] = pad_grad(r, g, r.attrs.start, 1);
      break;
    case opcode::copy:
      out[0] = g;
      break;
    case opcode::sort:
    case opcode::topk:
      out[0] = scatter_grad(r, g);
      break;
    default: // not differentiable (R2)
      break;
    }
  }
  return out;
}

template std::vector<std::optional<tensor>>
input_grads(const op_record<tensor>&, const tensor&, const std::vector<bool>&);

template std::vector<std::optional<plan_var>>
input_grads(const op_record<plan_var>&, const plan_var&,
            const std::vector<bool>&);

template tensor unbroadcast(const tensor&, const shape&, const shape&);

template plan_var unbroadcast(const plan_var&, const shape&, const shape&);

} // namespace workers
