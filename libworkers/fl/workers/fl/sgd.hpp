#pragma once

// sgd: plain stochastic gradient descent over a model's parameters, driven
// by autograd, on local tensors (autograd.hpp) or on pointers, where the
// parameters and their gradients live (remote_autograd.hpp) -- PyTorch's
// optim.SGD as PySyft uses it:
//
//   sgd<pointer<tensor>> opt{params, 0.1};   // params on bob, marked
//   opt.zero_grad();
//   auto loss = model_loss(m, params, x, y); // recorded on bob
//   backward_of(loss);                       // runs on bob
//   opt.step();                              // w -= w.grad() * lr, on bob
//
// Design note
// -----------
// The optimizer refers to the caller's parameter vector (it must outlive
// the optimizer) and updates it:
//   - tensors: p = requires_grad(p - grad(p) * lr) without recording (a new
//     leaf, the handle replaced, as PyTorch's in-place update under
//     no_grad);
//   - pointers: p -= p.grad() * lr, an in-place operation on p's worker that
//     keeps p a leaf (G4); the gradient snapshot is released at once.
// Invariants:
//   O1 step() computes exactly p - g * lr with g the accumulated gradient
//      and lr converted to p's dtype, the update of the hand-written
//      sgd_update (models.hpp): same kernels, so autograd training and
//      closed-form training differ only by the gradients' rounding.
//   O2 step() on a parameter without gradient (no backward reached it) is
//      an error: operation_error naming the parameter's index; on tensors
//      nothing changed before the failing index, on pointers the earlier
//      parameters are updated (each update is its own request).
//   O3 On pointers, zero_grad and step block for each parameter's answer
//      (in-place requests, protocol.hpp I1-I4): bounded by the client's
//      timeout, one round trip per parameter and call. Objects on the
//      workers: none created that outlive the call.
//
// Example (local):
//   auto params = init_params(m, 1);
//   for (auto& p : params) p = requires_grad(p);
//   sgd<tensor> opt{params, 0.1};
//   opt.zero_grad();
//   backward_of(model_loss(m, params, x, labels));
//   opt.step();

#include <string>
#include <vector>

#include "workers/autograd.hpp"
#include "workers/error.hpp"
#include "workers/pointer.hpp"
#include "workers/tensor.hpp"

namespace workers {

/// Marks every parameter as a leaf that requires grad (tensors: replaced
/// by a new leaf; pointers: marked where they live, blocking). Called before
/// training with autograd; throws operation_error (dtype_mismatch for
/// int64, not_permitted, timeout).
void requires_grad_all(std::vector<tensor>& params);

/// See requires_grad_all above.
void requires_grad_all(std::vector<pointer<tensor>>& params);

/// Runs backward from the one-element `loss` where it is: locally, or on
/// the loss's worker. Called by training steps; throws operation_error
/// (remote_autograd.hpp G6; autograd.hpp backward).
void backward_of(const tensor& loss);

/// See backward_of above.
void backward_of(pointer<tensor> loss);

/// Plain SGD over the parameters it refers to (design note).
template <class T>
class sgd {
 public:
  /// An optimizer updating `params` (kept by reference) with `lr`.
  sgd(std::vector<T>& params, double lr) : params_(params), lr_(lr) {
    // nop
  }

  /// Forgets every parameter's accumulated gradient (O3). Throws as T's
  /// zero_grad throws.
  void zero_grad() {
    for (auto& p : params_)
      zero_grad_one(p);
  }

  /// p <- p - lr * grad(p) for every parameter (O1, O2).
  void step() {
    for (size_t i = 0; i < params_.size(); ++i)
      step_one(params_[i], i);
  }

  /// The learning rate.
  double lr() const noexcept { return lr_; }

 private:
  static void zero_grad_one(tensor& p) { workers::zero_grad(p); }

  static void zero_grad_one(pointer<tensor>& p) { p.zero_grad(); }

  void step_one(tensor& p, size_t i) {
    auto g = grad(p);
    if (!g)
      throw operation_error(make_error(
        errc::bad_argument, "sgd: parameter " + std::to_string(i) + " (" +
                              to_string(p.shape()) +
                              ") has no gradient: no backward reached it"));
    no_grad guard;
    p = requires_grad(p - *g * lr_);
  }

  void step_one(pointer<tensor>& p, size_t) { p -= p.grad() * lr_; }

  std::vector<T>& params_;
  double lr_;
};

} // namespace workers
