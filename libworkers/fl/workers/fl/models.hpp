#pragma once

// models: softmax regression and a one-hidden-layer ReLU network (MLP) for
// classification, written once over T = tensor, pointer<tensor> or plan_var.
//
// Design note
// -----------
// A model is a stack of dense layers, ReLU between them: softmax regression
// is one layer [features -> classes], the MLP two [features -> hidden ->
// classes]. Its parameters are a flat vector {W0, b0, W1, b1, ...} with
// W_l of shape [in, out] (float32) and b_l of shape [out]. Every function
// below only uses the op_api surface, so the SAME code
//   - computes at once on local tensors (the centralized baseline),
//   - runs remotely on pointers, one message per operation, where the data
//     lives (federated training op by op),
//   - records a plan on plan_vars (record_sgd_step), run remotely per batch.
// Gradients here are the closed-form ones of cross-entropy after softmax,
// kept as the reference for autograd training (training_step.hpp trains the
// same models with autograd, within 1e-6 of these): with P = softmax(logits)
// and Y the one-hot labels of a batch of N rows, d logits = (P - Y) / N, dW_l =
// a_l^T d, db_l = sum_rows(d), and through a ReLU d_{l-1} = (d W_l^T) *
// [z_{l-1} > 0]. Invariants:
//   M1 N is computed from the batch itself (Y.sum() of the one-hot rows), so
//      a recorded plan serves batches of any size (also the last, shorter
//      one).
//   M2 Nothing here is random except init_params, which is deterministic
//      in its seed: equal seeds give bit-identical parameters.
//   M3 Same inputs, same operation sequence, same kernels: local, remote
//      and planned steps give bit-identical results.
// Failures are those of op_api ("fails as T fails" below): shapes that do
// not fit the model throw operation_error on tensors, give failed pointers
// (whose get() names the operation) on pointers, and fail the plan's run on
// plan_vars.
//
// Example:
//   model_spec m;                                   // softmax regression
//   auto params = init_params(m, 42);               // {W [784,10], b [10]}
//   auto step = sgd_step(m, params, x, labels, 0.1);// x [N,784], labels [N]
//   params = step.params;                           // step.loss: rank 0
//   auto ok = correct(m, params, x_test, y_test);   // int64 count, rank 0

#include <cstdint>
#include <string>
#include <vector>

#include "workers/plan.hpp"
#include "workers/tensor.hpp"

namespace workers {

enum class model_kind : uint8_t {
  /// One dense layer: multinomial logistic regression.
  softmax,
  /// Two dense layers with a ReLU between them.
  mlp,
};

/// Returns "softmax" or "mlp". Called by the app (CSV) and by plan names;
/// never fails.
std::string to_string(model_kind x);

/// Parses "softmax" or "mlp"; returns false (and leaves `x`) otherwise.
/// Called by the app to read its --model option.
bool from_string(const std::string& str, model_kind& x);

struct model_spec {
  model_kind kind = model_kind::softmax;
  /// Inputs per sample (784 for 28x28 images).
  int64_t features = 784;
  /// Units of the hidden layer (mlp only).
  int64_t hidden = 128;
  int64_t classes = 10;
};

/// The layer widths of `m`, inputs first: {784, 10} or {784, 128, 10}.
/// Called by init_params and record_sgd_step; never fails.
std::vector<int64_t> layer_sizes(const model_spec& m);

/// Fresh parameters for `m` as local tensors: weights uniform in
/// +-sqrt(6 / (in + out)) (Xavier/Glorot), biases zero, drawn from a
/// generator seeded with `seed` (M2). Called by training on the model
/// owner's side; never fails.
std::vector<tensor> init_params(const model_spec& m, uint64_t seed);

/// One value per parameter, in the parameters' order (gradients, or the
/// updated parameters), and the batch's mean cross-entropy (rank 0).
template <class T>
struct step_result {
  std::vector<T> params;
  T loss;
};

namespace detail {

/// What forward() keeps for the backward pass: the input a_l of every layer
/// and the pre-activation z_l of every hidden layer.
template <class T>
struct trace {
  std::vector<T> inputs;
  std::vector<T> pre_activations;
  T logits;
};

template <class T>
trace<T> forward_trace(const std::vector<T>& params, const T& x) {
  trace<T> t;
  auto a = x;
  auto layers = params.size() / 2;
  for (size_t l = 0; l < layers; ++l) {
    t.inputs.push_back(a);
    auto z = a.matmul(params[2 * l]) + params[2 * l + 1];
    if (l + 1 == layers) {
      t.logits = z;
    } else {
      t.pre_activations.push_back(z);
      a = z.relu();
    }
  }
  return t;
}

/// Mean cross-entropy from log-probabilities, with N = Y.sum() (M1).
template <class T>
T cross_entropy(const T& log_probs, const T& y_onehot, const T& n) {
  return (y_onehot * log_probs).sum().neg() / n;
}

} // namespace detail

/// The logits [N, classes] of `x` [N, features]. Called by predict() and
/// correct(); fails as T fails.
template <class T>
T forward(const model_spec&, const std::vector<T>& params, const T& x) {
  return detail::forward_trace(params, x).logits;
}

/// The mean cross-entropy (rank 0, float32) of `logits` against int64
/// class labels [N], computed where the data is. Called by tests and
/// evaluations; fails as T fails (also for labels outside the classes).
template <class T>
T loss(const model_spec& m, const T& logits, const T& labels) {
  auto y = labels.one_hot(m.classes);
  return detail::cross_entropy(logits.log_softmax(1), y, y.sum());
}

/// The gradients of the mean cross-entropy of `x` against `labels` with
/// respect to every parameter (same order and shapes), plus the loss, by the
/// closed-form formulas of the design note. Called by sgd_step; fails as T
/// fails.
template <class T>
step_result<T> gradients(const model_spec& m, const std::vector<T>& params,
                         const T& x, const T& labels) {
  auto t = detail::forward_trace(params, x);
  auto y = labels.one_hot(m.classes);
  auto n = y.sum();
  auto log_probs = t.logits.log_softmax(1);
  step_result<T> result;
  result.loss = detail::cross_entropy(log_probs, y, n);
  result.params.resize(params.size());
  auto d = (log_probs.exp() - y) / n;
  for (size_t l = t.inputs.size(); l-- > 0;) {
    result.params[2 * l] = t.inputs[l].transpose().matmul(d);
    result.params[2 * l + 1] = d.sum(0);
    if (l > 0) {
      auto mask = t.pre_activations[l - 1].gt(0).cast(dtype::float32);
      d = d.matmul(params[2 * l].transpose()) * mask;
    }
  }
  return result;
}

/// Plain SGD: p - lr * g for every parameter. Called by sgd_step; fails as
/// T fails.
template <class T>
std::vector<T> sgd_update(const std::vector<T>& params,
                          const std::vector<T>& grads, double lr) {
  std::vector<T> result;
  result.reserve(params.size());
  for (size_t i = 0; i < params.size(); ++i)
    result.push_back(params[i] - grads[i] * lr);
  return result;
}

/// One step of mini-batch SGD on `x` [N, features] and int64 `labels` [N]:
/// the updated parameters and the batch's loss (before the update). The one
/// function the centralized baseline, remote training and the recorded plan
/// all run (M3). Fails as T fails.
template <class T>
step_result<T> sgd_step(const model_spec& m, const std::vector<T>& params,
                        const T& x, const T& labels, double lr) {
  auto g = gradients(m, params, x, labels);
  return {sgd_update(params, g.params, lr), g.loss};
}

/// Predicted classes (int64 [N]) of `x`. Called by correct() and by
/// callers that classify; fails as T fails.
template <class T>
T predict(const model_spec& m, const std::vector<T>& params, const T& x) {
  return forward(m, params, x).argmax(1);
}

/// How many rows of `x` are predicted as their label (int64, rank 0): the
/// only thing a data owner hands out for evaluation (an aggregate, not its
/// samples). Called by accuracy evaluations; fails as T fails.
template <class T>
T correct(const model_spec& m, const std::vector<T>& params, const T& x,
          const T& labels) {
  return predict(m, params, x).eq(labels).sum();
}

/// Records sgd_step as a plan: inputs are the parameters, then the batch
/// images and labels; outputs the updated parameters, then the loss. The
/// learning rate is a literal of the plan. Called once per training run by
/// federated training with plans; never fails.
plan record_sgd_step(const model_spec& m, double lr);

} // namespace workers
