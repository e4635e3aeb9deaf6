#pragma once

// autograd: reverse-mode automatic differentiation of local tensors.
//
// Design note
// -----------
// Like PyTorch (and PySyft's pointer tensors on top of it), the graph is
// built while ordinary code runs: a tensor marked with requires_grad()
// carries an autograd record (`autograd_meta`), and every operation done
// through op_api (`x * w`, `x.matmul(w)`, `x.sum(1)`, ...) on such a tensor
// gets a `grad_node` holding the opcode, its attributes, the operands'
// values and records, and the result. The graph hangs off the tensors (no
// global tape): it lives while some result refers to it, graphs on other
// threads or actors never meet, and nothing needs clearing between steps.
// Only the no_grad switch is thread-local (a scope on the calling thread,
// like torch.no_grad; a CAF actor opens it inside one handler).
// backward() walks the graph from a result in reverse topological order and
// applies one rule per opcode (grad_rules.hpp), each a composition of the
// same opcodes that `evaluate` runs, never ad-hoc kernels.
//
// Invariants:
//   A1 A tensor that does not require grad has no record (grad_meta() is
//      null): its operations cost one null check and record nothing, and
//      their results are exactly what they were before autograd.
//   A2 Copies of a tensor are handles of the same variable (they share the
//      record), like PyTorch tensors; reshape, detach() and every operation
//      give a new variable.
//   A3 Only float32 and float64 tensors require grad. Operations whose
//      result is int64 (eq, gt, lt, argmax, cast to int64) and the constant
//      operations one_hot, round and random_like give results that do not
//      require grad: no gradient flows through them (round's true
//      derivative is 0 almost everywhere).
//   A4 Gradients have the shape and dtype of their tensor; broadcast operands
//      get the gradient summed over the broadcast axes.
//   A5 backward() accumulates into the .grad of leaves (tensors marked by
//      requires_grad, not results of operations); it keeps the graph, so
//      calling it twice adds the gradient twice (PyTorch's retain_graph).
//      zero_grad() forgets accumulated gradients.
//   A6 backward() itself runs with recording off: gradients never require
//      grad (no higher-order derivatives yet).
//   A7 Ties of max: every position that attains the maximum gets an equal
//      share of the gradient (like torch.amax), so the shares add up to the
//      incoming gradient; a NaN maximum gives a NaN gradient along it. relu
//      and abs have derivative 0 at 0.
//   A8 A graph belongs to one thread at a time (records are not locked)
//      and to this process: send() ships a tensor's value, not its graph.
//      Graphs are freed iteratively, so chains of any length can be freed.
//
// Workers and plans: a grad_node is (opcode, op_attrs, operands, result)
// -- the same fields as an op_request or plan_step -- and a rule is a
// template over any op_api type, instantiated for tensor and plan_var. A
// worker therefore keeps nodes for the objects it computes and runs the
// rules on its own tensors (remote_autograd.hpp), and a plan is
// differentiated by applying the rules to its plan_vars, with slot shapes
// from one forward run (plan_grad.hpp).
//
// Example:
//   auto w = requires_grad(tensor::full(shape{3, 2}, 0.1));
//   auto loss = x.matmul(w).relu().sum();       // recorded
//   if (auto err = backward(loss))               // d loss / d w
//     std::cerr << render(err);
//   auto dw = *grad(w);                          // shape [3, 2]
//   {
//     no_grad guard;                             // not recorded
//     w = requires_grad(w - dw * 0.1);
//   }

#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

#include <caf/error.hpp>

#include "workers/op.hpp"
#include "workers/tensor.hpp"

namespace workers {

struct grad_node;

/// The autograd record of a variable (shared by its handles, A2).
struct autograd_meta {
  /// How the variable was computed; null for leaves.
  std::shared_ptr<grad_node> grad_fn;

  /// Accumulated gradient of a leaf (A5); empty until the first backward.
  std::optional<tensor> grad;
};

/// One recorded operation: what its backward rule needs.
struct grad_node {
  opcode op = opcode::add;
  op_attrs attrs;
  /// Operand values without records (so the graph has no cycles); literals
  /// are already converted to the result's dtype.
  std::vector<tensor> inputs;
  /// The operands' records; null where no gradient is wanted.
  std::vector<std::shared_ptr<autograd_meta>> parents;
  /// The result's value, without record.
  tensor output;

  /// Frees the operands' records without recursion (A8).
  ~grad_node();
};

/// A copy of `x` (sharing its storage) that requires grad: a new leaf. With
/// `on == false`, a copy without record. Called by users on parameters;
/// throws operation_error (dtype_mismatch) for int64 tensors (A3).
tensor requires_grad(const tensor& x, bool on = true);

/// Whether operations on `x` are recorded. Called by users and tests; never
/// fails.
bool tracks_grad(const tensor& x);

/// Whether `x` requires grad and is not the result of a recorded operation.
/// Called by users and tests; never fails.
bool is_leaf(const tensor& x);

/// A copy of `x` sharing its storage, outside any graph. Called by users to
/// stop gradients; never fails.
tensor detach(const tensor& x);

/// The gradient accumulated in leaf `x` (A5), or nothing if `x` is not a
/// leaf or no backward reached it since the last zero_grad. Never fails.
std::optional<tensor> grad(const tensor& x);

/// Forgets the gradient accumulated in `x` (grad() is empty afterwards).
/// Called by training loops between steps; no effect on other tensors.
void zero_grad(const tensor& x);

/// zero_grad for every tensor of `xs` (a model's parameters).
void zero_grad(const std::vector<tensor>& xs);

/// Computes d root / d leaf for every leaf that `root` depends on and adds
/// it to the leaf's grad (A5). Without `seed`, `root` must hold exactly one
/// element (a loss); with it, `seed` is d something / d root and must have
/// root's shape (converted to root's dtype). Called by users; returns
/// bad_argument if `root` does not require grad, shape_mismatch for a
/// missing or misshapen seed, or the error of a failing rule, whose message
/// names the operation and shapes. Leaves are only updated on success.
caf::error backward(const tensor& root,
                    const std::optional<tensor>& seed = std::nullopt);

/// The records of the leaves `root` depends on (those a backward from
/// `root` may update), each once; empty if `root` does not require grad.
/// Called by object stores before a remote backward, to check and track
/// the stored leaves it updates (remote_autograd.hpp); never fails.
std::vector<std::shared_ptr<autograd_meta>> leaves(const tensor& root);

/// Whether operations are recorded on this thread (false inside no_grad).
bool grad_enabled();

/// Turns recording off on this thread for its lifetime (nests). Used for
/// parameter updates and evaluation, like torch.no_grad.
class no_grad {
 public:
  no_grad();

  ~no_grad();

  no_grad(const no_grad&) = delete;

  no_grad& operator=(const no_grad&) = delete;
};

namespace detail {

/// Gives `out` (the result of `op` on `args`) a record when recording is on,
/// `op` is differentiable, `out` is floating and some operand tracks grad;
/// otherwise strips any record `out` may share with an operand (A1, A3).
/// Called by tensor's op_api hooks, and by object stores for operations on
/// stored tensors (remote_autograd.hpp), only when an operand has a record;
/// never fails.
void record_op(opcode op, const op_attrs& attrs,
               const std::vector<op_input>& args, tensor& out);

} // namespace detail

} // namespace workers
