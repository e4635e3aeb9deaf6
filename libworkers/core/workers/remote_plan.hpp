#pragma once

// remote_plan: the caller's handle to a plan stored on a worker (plan.hpp).
//
// `worker::define(p)` ships the plan once; each `run(inputs)` is then one
// message, like an exec: it returns new pointers at once, and the worker
// runs the plan when the inputs are there (parking for inputs still on
// their way, as for any operation). Inputs must be pointers to tensors on
// that worker; errors (wrong worker, wrong count, a failing step) surface
// when the outputs are used, as for any failed operation. A plan with
// in-place steps on its inputs (plan.hpp, P4) updates those objects where
// they are, and its run waits for the answer and throws the error.
//
// Example:
//   auto step = bob.define(sgd_plan);          // once
//   for (...) {
//     auto out = step.run({w, b, xb, yb});     // one message per batch
//     w = out[0]; b = out[1];
//   }
//   auto sgd = bob.define(update_plan);        // w -= g * lr, in place
//   sgd.run({w, g});                           // w: same id, new value

#include <memory>
#include <string>
#include <vector>

#include "workers/client.hpp"
#include "workers/plan.hpp"
#include "workers/pointer.hpp"

namespace workers {

class remote_plan {
 public:
  remote_plan() = default;

  remote_plan(std::shared_ptr<client> ctx, worker_ref where, object_id id,
              std::string name, uint32_t inputs, size_t outputs)
    : ctx_(std::move(ctx)), where_(std::move(where)), id_(id),
      name_(std::move(name)), inputs_(inputs), outputs_(outputs) {
    // nop
  }

  /// Keeps the plan's steps so that run() can tell its outputs' metadata
  /// (plan_meta.hpp). Called by worker::define.
  void keep_steps(std::shared_ptr<const plan> steps) {
    steps_ = std::move(steps);
  }

  /// Runs the plan on `inputs` where it is stored; returns one new pointer
  /// per output at once, each knowing its metadata if the inputs' and the
  /// steps are known (plan_meta.hpp; unknown otherwise). If an input is not a
  /// live pointer to this plan's worker, or the count is wrong, every output is
  /// a failed handle that says why (nothing is sent). A plan that writes
  /// its inputs in place (plan.hpp, P4) waits for the worker's answer, as an
  /// in-place operation does, and throws operation_error if the run failed
  /// (then no input changed).
  std::vector<pointer<tensor>>
  run(const std::vector<pointer<tensor>>& inputs) const;

  const std::string& name() const noexcept { return name_; }

  const worker_ref& where() const noexcept { return where_; }

  /// The id the plan is stored under on where().
  object_id id() const noexcept { return id_; }

 private:
  std::shared_ptr<client> ctx_;
  worker_ref where_;
  object_id id_;
  std::string name_;
  uint32_t inputs_ = 0;
  size_t outputs_ = 0;
  /// The plan itself, for its outputs' metadata (keep_steps); may be null.
  std::shared_ptr<const plan> steps_;
};

} // namespace workers
