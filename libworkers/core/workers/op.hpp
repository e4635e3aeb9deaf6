#pragma once

// Tensor operations: one opcode per operation, evaluated by `evaluate` on
// local tensors. The same opcodes travel inside `op_request`s, so a remote
// operation runs exactly the code a local one runs.
//
// Type rules (close to PyTorch's):
// - Elementwise binary ops need equal dtypes and broadcast like NumPy: shapes
//   are aligned from the right and each pair of dimensions must be equal or
//   contain a 1, e.g. [N, C] + [C], [N, C] * [N, 1], [N, 1] - [1, C] -> [N, C].
// - A literal (a C++ number written next to a tensor, `x + 2`) takes the
//   tensor's dtype; a floating literal next to an int64 tensor makes both
//   float32.
// - div, exp, log and mean on int64 compute in float32 (true division).
// - eq, gt, lt give int64 tensors of 0 and 1; argmax gives int64 indices.
// - int64 add, sub, mul, neg, abs, sum and matmul wrap modulo 2^64 (two's
//   complement, never undefined behaviour): additive secret shares rely on it.
// - cast from float to int64 truncates toward zero and saturates: NaN gives
//   0, values beyond the int64 range give INT64_MIN or INT64_MAX.
// - softmax and log_softmax compute in float32 on int64 input; one_hot takes
//   int64 class indices and gives float32; random_like gives int64.
// - copy gives a new tensor with the same elements (never shared storage).
// - sort, argsort and topk order along one axis (ascending by default;
//   descending keeps the largest first). Ties keep their original order, so
//   sort(x) equals x gathered at argsort(x); NaN counts as larger than any
//   number. argsort gives int64 indices; topk(k) the k first values.
// - zeros_like gives zeros of the operand's shape and dtype (zero_()).
// - select(axis, index) picks one index along an axis and drops that axis
//   (PyTorch's x.select(dim, i); x[i] is select(0, i)): [4, 3] -> [3] for
//   axis 0, -> [4] for axis 1. A negative index counts from the end. A
//   rank-0 operand, an axis or index out of range fail with bad_argument
//   naming the index, the axis and the shape. Always copies.
// - In-place forms (add_, x += y, zero_; check_in_place) compute the same
//   result and refuse it unless it has the target's shape and dtype.
// Every failure names the operation and the shapes or dtypes involved.

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>

#include "workers/dtype.hpp"
#include "workers/limits.hpp"
#include "workers/shape.hpp"
#include "workers/wire_checks.hpp"

namespace workers {

class tensor;

/// Operation codes. Values are part of the wire format: append only.
enum class opcode : uint8_t {
  add = 0,
  sub,
  mul,
  div,
  neg,
  abs,
  exp,
  log,
  matmul,
  transpose,
  sum,
  mean,
  max,
  argmax,
  reshape,
  eq,
  gt,
  lt,
  cast,
  relu,
  softmax,
  log_softmax,
  one_hot,
  narrow,
  round,
  random_like,
  copy,
  sort,
  argsort,
  topk,
  zeros_like,
  // Autograd requests on stored objects (remote_autograd.hpp): workers run
  // them on their objects' autograd records; evaluate refuses them.
  requires_grad,
  backward,
  grad,
  zero_grad,
  // Tensor operations again (appended: values are wire format).
  select,
};

/// The highest opcode value this build knows (requests above it are refused).
constexpr opcode last_opcode = opcode::select;

/// Returns the name of `x`, e.g. "matmul" ("unknown" for values above
/// last_opcode). Used in every error message of evaluate.
const char* to_string(opcode x);

/// Returns how many tensor operands `x` takes (1 or 2). Called by evaluate to
/// validate requests.
size_t arity(opcode x);

/// Whether `x` is an autograd request (requires_grad, backward, grad,
/// zero_grad) rather than a tensor operation. Called by evaluate and plan
/// validation (which refuse them) and by object stores (which run them on
/// their objects' autograd records, remote_autograd.hpp); never fails.
bool is_autograd(opcode x);

/// Non-tensor arguments of an operation.
struct op_attrs {
  /// Marks "no axis": reduce over all elements.
  static constexpr int64_t all_axes = std::numeric_limits<int64_t>::min();

  /// Axis for sum, mean, max, argmax, softmax, log_softmax, narrow, select,
  /// sort, argsort and topk; negative counts from the end.
  int64_t axis = all_axes;

  /// Target shape for reshape; one entry may be -1 (inferred).
  std::vector<int64_t> new_shape;

  /// Target dtype for cast.
  dtype to = dtype::float32;

  /// Reductions keep the reduced axis with size 1 (all axes: rank unchanged).
  bool keepdims = false;

  /// First index for narrow, the index for select; negative counts from the
  /// end of the axis.
  int64_t start = 0;

  /// Number of indices for narrow.
  int64_t length = 0;

  /// Number of classes (columns of the result) for one_hot.
  int64_t num_classes = 0;

  /// sort, argsort and topk: largest first.
  bool descending = false;

  /// Number of values for topk (0 to the size of the axis).
  int64_t k = 0;

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, op_attrs& x) {
    return f(
      caf::meta::type_name("workers::op_attrs"), x.axis, x.new_shape, x.to,
      x.keepdims, x.start, x.length, x.num_classes, x.descending, x.k,
      caf::meta::load_callback([&x] { return wire::check_attrs(x.to, x.k); }));
  }
};

/// Compares every field; used by tests of the wire format.
bool operator==(const op_attrs& x, const op_attrs& y);

/// One operand of `evaluate`: a tensor, and whether it was written as a
/// literal number (which adapts its dtype to the other operand).
struct op_input {
  const tensor* value;
  bool literal = false;
};

/// Evaluates `op` on `args` (arity(op) of them). Returns the result, or an
/// error of kind shape_mismatch, dtype_mismatch, bad_axis or bad_argument
/// whose message names the operation, shapes and dtypes; or, if the result
/// (or an operand converted for it) would exceed `max_tensor_bytes`,
/// capacity_exceeded naming its shape, size and the limit (limits.hpp, Z1),
/// before anything is allocated. Called by tensor arithmetic (unlimited)
/// and by workers executing `op_request`s and plans (their limit).
caf::expected<tensor>
evaluate(opcode op, const std::vector<op_input>& args,
         const op_attrs& attrs = {},
         uint64_t max_tensor_bytes = unlimited_tensor_bytes);

/// What is known of a tensor without its data: its dtype and shape (the
/// metadata a pointer carries, pointer.hpp).
struct tensor_meta {
  dtype dt = dtype::float32;
  shape dims;

  friend bool operator==(const tensor_meta& x, const tensor_meta& y) {
    return x.dt == y.dt && x.dims == y.dims;
  }
};

/// One operand of `infer`: its metadata, and whether it is a literal.
struct meta_input {
  tensor_meta meta;
  bool literal = false;
};

/// The dtype and shape of what `evaluate(op, args, attrs)` gives for
/// operands with the metadata `args`, or the error evaluate gives, of the
/// same kind and with the same message, for every error that does not
/// depend on the elements (one_hot's index range does) or on the limit.
/// The one shape inference of this library: evaluate calls it before it
/// computes anything, pointers call it before they send an operation.
caf::expected<tensor_meta> infer(opcode op, const std::vector<meta_input>& args,
                                 const op_attrs& attrs = {});

/// The name of the in-place form of `op` in errors and listings: "add_",
/// "mul_", "zero_" (for zeros_like).
std::string in_place_name(opcode op);

/// Nothing if `result`, computed by `op` from `target` (and `other`, the
/// second operand if any), may replace `target` in place: same shape and
/// dtype. Otherwise bad_argument naming the in-place form ("add_"), the
/// target's and the other operand's shapes and dtypes, and what the result
/// would have been. Called by tensor::apply_in_place and by workers
/// executing in-place op_requests, before anything is replaced.
caf::error check_in_place(opcode op, const tensor& target, const tensor* other,
                          const tensor& result);

} // namespace workers
