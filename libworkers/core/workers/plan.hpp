#pragma once

// plan: a recorded sequence of operations that a worker stores once and runs
// per call (PySyft's plans).
//
// Design note
// -----------
// One message per operation makes a training step cost tens of round trips
// of scheduling and bookkeeping. A plan is recorded once by running ordinary
// op_api code on `plan_var`s (the same code that runs on tensors and
// pointers), shipped to a worker once (`define`), and then run there with
// one message per call (`run`): inputs are ids of tensors on that worker,
// outputs are new ids the caller chose, exactly like an exec.
// Invariants:
//   P1 Slots 0..inputs-1 are the inputs; step k writes slot inputs+k; every
//      argument names an earlier slot or is a literal (validate() checks
//      this for plans off the wire; a bad plan is refused, never run).
//   P2 Running a plan is all or nothing: either every output is stored, or
//      every output id records the first step's error, naming the step.
//   P3 Temporaries are freed after their last use, so a plan needs no more
//      memory than the same operations sent one by one.
//   P4 In-place steps (`w -= g * lr`, add_, zero_ ...: plan_step::in_place)
//      are recorded like any step (P1: step k still writes slot inputs+k,
//      the new version of its first argument, which must be a slot) and
//      must keep their target's shape and dtype (protocol.hpp, I3). Each
//      slot is the target of at most one in-place step, so versions form
//      one chain per variable. A chain that starts at an input writes its
//      last version back to that input's stored object once the whole plan
//      succeeded -- all or nothing with P2 -- under the same id, creating
//      nothing; such a plan may have no outputs. A chain that starts at a
//      temporary is a local value only (`h = x.matmul(w); h += b`): its
//      later readers see the new version, nothing is written back.
//   P5 Rights: running a plan that writes an input needs, on that input,
//      what an in-place exec needs (ownership, protocol.hpp I2), checked
//      for every written input before any step runs; two written inputs
//      naming one object are refused. Writing back a leaf keeps its
//      autograd record and gradient (remote_autograd.hpp, G4). Plans are
//      not recorded (G7) and in-place plans are not differentiated
//      (plan_grad.hpp, B6): differentiate the forward plan, then append the
//      update with plan_builder(base).
//
// Example:
//   plan_builder b{"scale_add"};
//   auto x = b.input(), y = b.input();
//   b.output(x * 2 + y);
//   plan p = b.finish();
//   auto out = run_plan(p, {tensor{1, 2}, tensor{10, 20}}); // {[12, 24]}
// and an SGD step that updates its first input where it is stored (P4):
//   plan_builder s{"sgd"};
//   auto w = s.input(), g = s.input();
//   w -= g * 0.1;                                  // in place: no output
//   std::vector<tensor> in{tw, tg};
//   run_plan_in_place(s.finish(), in);             // in[0] == tw - tg * 0.1

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <caf/expected.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/variant.hpp>

#include "workers/op.hpp"
#include "workers/op_api.hpp"
#include "workers/tensor.hpp"

namespace workers {

/// One argument of a plan step: an earlier slot (P1) or a literal.
struct plan_arg {
  uint32_t slot = 0;
  bool is_literal = false;
  tensor literal;

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, plan_arg& x) {
    return f(caf::meta::type_name("workers::plan_arg"), x.slot, x.is_literal,
             x.literal);
  }
};

struct plan_step {
  opcode op = opcode::add;
  std::vector<plan_arg> args;
  op_attrs attrs;
  /// The result is the new version of the first argument's variable (P4).
  bool in_place = false;

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, plan_step& x) {
    return f(caf::meta::type_name("workers::plan_step"), x.op, x.args, x.attrs,
             x.in_place, caf::meta::load_callback([&x] {
               return wire::check_known(x.op);
             }));
  }
};

struct plan {
  std::string name;
  uint32_t inputs = 0;
  std::vector<plan_step> steps;
  std::vector<uint32_t> outputs;

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, plan& x) {
    return f(caf::meta::type_name("workers::plan"), x.name, x.inputs, x.steps,
             x.outputs);
  }
};

/// For each input of `p`, the slot holding its value after the plan: the
/// last version of its in-place chain (P4), or the input's own slot if no
/// in-place step writes it. Called by run_plan and by object stores to
/// write inputs back; expects a valid plan (validate).
std::vector<uint32_t> final_versions(const plan& p);

/// Whether an in-place step of `p` writes one of its inputs (P4). Called
/// by remote_plan::run (such a run waits for its answer) and validate.
bool writes_inputs(const plan& p);

/// What a plan run gives: its outputs in order, and the new value of each
/// input an in-place step wrote (P4), by input index.
struct plan_values {
  std::vector<tensor> outputs;
  std::vector<std::pair<uint32_t, tensor>> written;
};

/// Checks P1 and P4 for a plan that came off the wire (an in-place step
/// needs a slot as its target, and no slot is the target of two), and that
/// its literals fit
/// `max_tensor_bytes` (limits.hpp, Z2): bad_argument naming the plan and
/// the step otherwise, or capacity_exceeded naming the limit. Called by
/// workers before storing a plan (with their limit) and by run_plan.
caf::error validate(const plan& p,
                    uint64_t max_tensor_bytes = unlimited_tensor_bytes);

/// Runs `p` on `inputs` (P2, P3), every step's result bounded by
/// `max_tensor_bytes` (limits.hpp, Z1). Called by workers for `run` (with
/// their limit) and by callers that want the same computation locally.
/// Fails with bad_argument on a wrong number of inputs, or with the failing
/// step's error, whose message names the plan, the step and its operation.
caf::expected<std::vector<tensor>>
run_plan(const plan& p, std::vector<tensor> inputs,
         uint64_t max_tensor_bytes = unlimited_tensor_bytes);

/// Sees every step of a plan run before it is evaluated: its index and its
/// operands (literals or earlier slots). The object store follows
/// provenance through a plan this way (object_store::run).
using plan_observer =
  std::function<void(size_t step, const std::vector<op_input>& args)>;

/// run_plan, calling `observe` before each step. Fails as run_plan does.
caf::expected<std::vector<tensor>> run_plan(const plan& p,
                                            std::vector<tensor> inputs,
                                            uint64_t max_tensor_bytes,
                                            const plan_observer& observe);

/// run_plan that also gives the new values of the inputs its in-place
/// steps wrote (P4), checking each in-place result keeps its target's shape
/// and dtype (bad_argument naming the step otherwise). Called by the
/// object store, which writes them back; fails as run_plan does.
caf::expected<plan_values> run_plan_values(const plan& p,
                                           std::vector<tensor> inputs,
                                           uint64_t max_tensor_bytes,
                                           const plan_observer& observe);

/// Runs `p` on `inputs` locally as a worker does on stored objects (P2,
/// P4): on success, the inputs its in-place steps wrote hold their new
/// values (a leaf keeps its record, G4) and the outputs are returned; on
/// failure `inputs` are unchanged. Called by users for the local
/// equivalent of a remote run; fails as run_plan does.
caf::expected<std::vector<tensor>>
run_plan_in_place(const plan& p, std::vector<tensor>& inputs,
                  uint64_t max_tensor_bytes = unlimited_tensor_bytes);

class plan_builder;

/// A value inside a plan being recorded; supports every operation of
/// op_api, each of which appends a step. Throws operation_error
/// (bad_argument) when mixing values of two different recordings.
class plan_var : public op_api<plan_var> {
 public:
  plan_var() = default;

  uint32_t slot() const noexcept { return slot_; }

  // -- op_api hooks -----------------------------------------------------------

  plan_var apply_unary(opcode op, op_attrs attrs) const;

  plan_var apply_binary(opcode op, const plan_var& y) const;

  plan_var apply_literal(opcode op, tensor literal, bool literal_first) const;

  /// Records `op` in place (P4): appends its step, marked in_place, and
  /// makes this variable name the new version. Throws operation_error
  /// (bad_argument) if this version was updated in place already (through
  /// a copy of this plan_var) or the operands belong to different plans.
  plan_var& apply_in_place(opcode op, const plan_var* y, const tensor* literal);

 private:
  friend class plan_builder;

  struct recording;

  plan_var(std::shared_ptr<recording> rec, uint32_t slot)
    : rec_(std::move(rec)), slot_(slot) {
    // nop
  }

  plan_var append(plan_step step) const;

  std::shared_ptr<recording> rec_;
  uint32_t slot_ = 0;
};

/// Records a plan. Inputs first (P1), then operations on them, then outputs.
class plan_builder {
 public:
  explicit plan_builder(std::string name);

  /// A builder that continues recording after `base`: its inputs and steps
  /// are kept (slot k is slot k of `base`), its outputs are not. Called by
  /// backward_plan (plan_grad.hpp) to append backward steps to a forward
  /// plan; throws operation_error (bad_argument) if `base` is invalid.
  explicit plan_builder(plan base);

  /// The value of slot `k` recorded so far (an input or a step's result).
  /// Called by backward_plan; throws operation_error (bad_argument) if slot
  /// `k` does not exist yet.
  plan_var slot(uint32_t k) const;

  /// A new slot holding `value` converted to `dt` (a cast step of a
  /// literal, grad_rules.hpp R3). Called by backward_plan for the literal
  /// operands of recorded steps; never fails.
  plan_var constant(tensor value, dtype dt);

  /// A new input; inputs are numbered in the order of these calls.
  plan_var input();

  /// Marks `x` as the next output.
  void output(const plan_var& x);

  /// The recorded plan. Throws operation_error (bad_argument) if an input
  /// is added after an operation, or if there are no outputs and no input
  /// is written in place (P4).
  plan finish() const;

 private:
  std::shared_ptr<plan_var::recording> rec_;
};

} // namespace workers
