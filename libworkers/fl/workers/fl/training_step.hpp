#pragma once

// training_step: one mini-batch step of a shipped model (models.hpp), with
// the closed-form gradients ("hand") or with autograd ("auto"), on local
// tensors, on pointers (the step runs on the batch's worker) or recorded as
// one plan per step.
//
// Design note
// -----------
// With autograd a step is what a PyTorch / PySyft user writes:
//   opt.zero_grad(); loss = model_loss(m, params, x, y);
//   backward_of(loss); opt.step();                           (sgd.hpp)
// on tensors (local autograd) or on pointers (backward runs on the owner,
// remote_autograd.hpp). As a plan, the forward pass (model_loss on
// plan_vars) is differentiated by backward_plan (plan_grad.hpp) and the
// update p - g * lr appended, so one `run` message per step carries
// forward, backward and update, with the interface of record_sgd_step:
// inputs {params..., x, labels}, outputs {params'..., loss}.
// Invariants:
//   T1 Hand and auto agree within float32 rounding: the same forward pass,
//      the same update (sgd.hpp O1); the gradients are the same
//      mathematical quantity computed by different kernels (closed form
//      (P - Y) / N against the rules of grad_rules.hpp). Tests assert 1e-6.
//   T2 With autograd, local, pointer and plan steps run the same rules and
//      kernels in the same order (plan_grad.hpp B1): bit-identical.
//   T3 A backward plan is valid for one batch size only (B2): callers
//      record one plan per batch size (at most two per pass: full batches
//      and the last, shorter one, batch_schedule.hpp L1). The hand-written
//      plan serves every size (models.hpp M1).
//   T4 On pointers with autograd the parameters must be leaves on the
//      batch's worker (requires_grad_all) before the first step; the loss
//      returned holds the step's graph on the worker until it is released
//      (remote_autograd.hpp G2).
//   T5 Release rules as with the closed-form step: the loss, a mean over
//      the batch's rows, is released to the model owner as an aggregate
//      (access_control.hpp A6); its gradient, and so the trained model
//      (p - lr * g), is not (remote_autograd.hpp G3), exactly as the same
//      gradient computed op by op or in a backward plan.
//
// Example:
//   auto params = send_params(init_params(m, 1), bob);
//   requires_grad_all(params);                         // T4
//   auto loss = autograd_step(m, params, x_bob, y_bob, 0.1);
//   double l = loss.get().item<double>();

#include <cstdint>
#include <string>
#include <vector>

#include "workers/fl/models.hpp"
#include "workers/fl/sgd.hpp"
#include "workers/plan.hpp"
#include "workers/pointer.hpp"

namespace workers {

/// Where a step's gradients come from.
enum class grad_mode : uint8_t {
  /// autograd (autograd.hpp, remote_autograd.hpp, plan_grad.hpp).
  autograd,
  /// the closed-form formulas of models.hpp.
  hand,
};

/// Returns "auto" or "hand". Called by the app and messages; never fails.
std::string to_string(grad_mode x);

/// Parses "auto" or "hand"; returns false (and leaves `x`) otherwise.
/// Called by the app to read --grad.
bool from_string(const std::string& str, grad_mode& x);

/// The mean cross-entropy of the model's logits on `x` against `labels`:
/// the forward pass a user writes (what autograd differentiates). Called by
/// autograd_step and record_autograd_step; fails as T fails.
template <class T>
T model_loss(const model_spec& m, const std::vector<T>& params, const T& x,
             const T& labels) {
  return loss(m, forward(m, params, x), labels);
}

/// One autograd SGD step on `params` (leaves, T4), updated in place: zero
/// grad, forward, backward, step. Returns the batch's loss (before the
/// update). Called by federated training and tests; throws operation_error
/// as the step's parts do (sgd.hpp).
template <class T>
T autograd_step(const model_spec& m, std::vector<T>& params, const T& x,
                const T& labels, double lr) {
  sgd<T> opt{params, lr};
  opt.zero_grad();
  auto l = model_loss(m, params, x, labels);
  backward_of(l);
  opt.step();
  return l;
}

/// One closed-form SGD step (models.hpp sgd_step) on `params`, replaced by
/// the updated parameters. Returns the batch's loss. Fails as T fails.
template <class T>
T hand_step(const model_spec& m, std::vector<T>& params, const T& x,
            const T& labels, double lr) {
  auto r = sgd_step(m, params, x, labels, lr);
  params = std::move(r.params);
  return r.loss;
}

/// A step of either mode (the switch of fedlearn's --grad).
template <class T>
T train_step(grad_mode mode, const model_spec& m, std::vector<T>& params,
             const T& x, const T& labels, double lr) {
  return mode == grad_mode::hand ? hand_step(m, params, x, labels, lr)
                                 : autograd_step(m, params, x, labels, lr);
}

/// The autograd step of `m` for batches of `rows` rows as one plan (design
/// note, T3): inputs {params..., x [rows, features], labels [rows]},
/// outputs {params'..., loss}. Called once per worker and batch size by
/// federated training with plans; throws operation_error if the backward
/// plan cannot be built (a model that does not fit its shapes).
plan record_autograd_step(const model_spec& m, double lr, int64_t rows);

/// record_autograd_step or, for grad_mode::hand, record_sgd_step (which
/// serves every batch size).
plan record_step(grad_mode mode, const model_spec& m, double lr, int64_t rows);

} // namespace workers
