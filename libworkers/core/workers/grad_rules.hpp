#pragma once

// grad_rules: one backward rule per opcode, as compositions of opcodes.
//
// Design note
// -----------
// A rule turns the gradient of an operation's result into the gradients of
// its operands, using nothing but op_api operations on `T` -- for tensors,
// calls of `evaluate`, the kernels every worker runs. Rules are templates
// over T and explicitly instantiated for `tensor` (autograd.hpp runs them
// locally) and `plan_var` (the same rule records backward steps into a
// plan). Shapes are passed next to the values (`op_record`), since a
// plan_var has none: unbroadcasting and padding are fixed by them.
// Invariants:
//   R1 The gradient of each operand has that operand's shape (A4 of
//      autograd.hpp); its dtype is the result's, except for cast, whose
//      rule casts back to the operand's dtype.
//   R2 Non-differentiable opcodes (eq, gt, lt, argmax, one_hot, round,
//      random_like, argsort, zeros_like) have no rule: is_differentiable()
//      is false and input_grads gives no gradients. Indices (argmax,
//      argsort) and constants carry no gradient.
//   R5 sort and topk scatter the gradient back to the source positions,
//      which the rule recomputes as argsort of the operand (stable, so the
//      same permutation the forward pass used) and turns into a 0/1 mask by
//      comparing with arange (a literal, R3); it costs numel * k elements
//      (k: the sorted or kept count along the axis).
//   R6 narrow and select pad the gradient with zeros back to the operand's
//      shape, at the indices they took: select's gradient lacks the
//      selected axis and is padded as narrow's of length 1 (it has as many
//      elements), so one rule serves both.
//   R3 Constants a rule needs (the selection matrix of narrow's padding,
//      zeros to broadcast against) enter as literals, so a recorded backward
//      plan carries them like any plan literal.
//   R4 Every failure of an operation inside a rule throws operation_error,
//      as op_api does on T; autograd.cpp adds which rule failed.
//
// Example (the gradients of z = x.matmul(y) for seed g):
//   op_record<tensor> r{opcode::matmul, {}, {x, y}, {x.shape(), y.shape()},
//                       {x.dtype(), y.dtype()}, z, z.shape()};
//   auto gs = input_grads(r, g, {true, true}); // {g y^T, x^T g}

#include <optional>
#include <vector>

#include "workers/op.hpp"
#include "workers/plan.hpp"
#include "workers/shape.hpp"
#include "workers/tensor.hpp"

namespace workers {

/// One forward operation as a backward rule sees it.
template <class T>
struct op_record {
  opcode op = opcode::add;
  op_attrs attrs;
  /// The operands, literals converted to the result's dtype.
  std::vector<T> inputs;
  std::vector<shape> input_shapes;
  std::vector<dtype> input_dtypes;
  T output;
  shape output_shape;
};

/// Whether `op` has a backward rule (R2). Called by autograd before
/// recording; never fails.
bool is_differentiable(opcode op);

/// The gradients of `r`'s operands given `grad_out` (the gradient of its
/// result, of shape r.output_shape): one entry per operand, empty where
/// `needed` is false or the operand gets no gradient. Called by
/// autograd's backward (T = tensor) and by plan differentiation
/// (T = plan_var); throws operation_error if an operation fails (R4).
template <class T>
std::vector<std::optional<T>> input_grads(const op_record<T>& r,
                                          const T& grad_out,
                                          const std::vector<bool>& needed);

/// Sums `g` (of shape `from`, the broadcast result) over the axes that
/// broadcasting added to `to`, giving shape `to`. Called by the rules of
/// add, sub, mul and div; throws operation_error if `to` does not
/// broadcast to `from`.
template <class T>
T unbroadcast(const T& g, const shape& from, const shape& to);

extern template std::vector<std::optional<tensor>>
input_grads(const op_record<tensor>&, const tensor&, const std::vector<bool>&);

extern template std::vector<std::optional<plan_var>>
input_grads(const op_record<plan_var>&, const plan_var&,
            const std::vector<bool>&);

extern template tensor unbroadcast(const tensor&, const shape&, const shape&);

extern template plan_var unbroadcast(const plan_var&, const shape&,
                                     const shape&);

} // namespace workers
