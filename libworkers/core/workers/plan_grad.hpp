#pragma once

// plan_grad: differentiating a plan into a backward plan, so that one `run`
// message per training step carries the forward and the backward pass.
//
// Design note
// -----------
// A plan's steps are exactly what autograd records (opcode, attributes,
// operands, result), so the backward plan applies the same rules
// (grad_rules.hpp) to plan_vars, as the autograd design note anticipates:
// the forward steps are kept, then for each step in reverse order whose
// result depends on a chosen input the rule appends the steps that compute
// its operands' gradients. The rules need shapes (unbroadcasting, padding):
// they come from one forward run on example inputs.
// Invariants:
//   B1 The backward plan returns the forward plan's outputs, in order, and
//      then d loss / d input for each chosen input (`wrt`), with that
//      input's shape and dtype: for the same inputs, the same values as
//      local autograd's backward (they run the same rules and kernels).
//   B2 It is valid for inputs of the example's shapes and dtypes only
//      (broadcasting and padding are fixed by them), like a traced plan.
//   B3 The loss is a one-element floating output; chosen inputs are
//      floating. An input the loss does not depend on gets zeros.
//   B4 Literal operands of forward steps enter the rules as constants (a
//      cast step of the literal), so the plan stays self-contained.
//   B5 Only differentiable steps get backward steps (R2); steps that give
//      no gradient (comparisons, argmax, constants) are cut like locally.
//   B6 A plan with in-place steps (plan.hpp, P4) is refused (bad_argument
//      naming the step): what d loss / d w means once w is overwritten is
//      ambiguous. Differentiate the forward plan, then append the update
//      with plan_builder(base), so one run computes loss and gradient and
//      updates the parameters where they are:
//        auto step = *backward_plan(forward, examples, 0, {2});
//        auto g = step.outputs[1];                  // d loss / d w
//        plan_builder b{step};
//        auto w = b.slot(2);
//        w -= b.slot(g) * 0.1;                      // in place (P4)
//        b.output(b.slot(step.outputs[0]));         // the loss
//
// Example (the gradient of a linear model's loss w.r.t. w, input 2):
//   plan_builder b{"mse"};
//   auto x = b.input(), y = b.input(), w = b.input();
//   auto d = x.matmul(w) - y;
//   b.output((d * d).mean());
//   auto step = backward_plan(b.finish(), {tx, ty, tw}, 0, {2});
//   // step->outputs: {loss, d loss / d w}; bob.define(*step) once, then
//   // one run per batch.

#include <cstdint>
#include <vector>

#include <caf/expected.hpp>

#include "workers/plan.hpp"
#include "workers/tensor.hpp"

namespace workers {

/// The backward plan of `p` (B1-B5): its outputs, then the gradient of
/// output `loss_output` w.r.t. each input index in `wrt`, with shapes from
/// running `p` on `example_inputs`. Called by users before defining a
/// training step on a worker. Fails with bad_argument (an invalid plan, a
/// loss index or input index out of range, a loss with more than one
/// element, a non-floating loss or input, an in-place step: B6), or with the
/// error of the example run or of a rule, naming the plan and the step.
caf::expected<plan> backward_plan(const plan& p,
                                  const std::vector<tensor>& example_inputs,
                                  size_t loss_output,
                                  const std::vector<uint32_t>& wrt);

} // namespace workers
