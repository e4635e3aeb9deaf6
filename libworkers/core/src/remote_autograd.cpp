#include "workers/remote_autograd.hpp"

#include <unordered_set>

#include "workers/autograd.hpp"
#include "workers/error.hpp"
#include "workers/object_store.hpp"

namespace workers {

stored_value without_graph(stored_value v) {
  if (v.is_tensor() && v.as_tensor().grad_meta())
    v.content = detach(v.as_tensor());
  return v;
}

void record_stored_op(opcode op, const op_attrs& attrs,
                      const std::vector<op_input>& args, tensor& out) {
  for (auto& arg : args)
    if (!arg.literal && arg.value != nullptr && arg.value->grad_meta()) {
      detail::record_op(op, attrs, args, out);
      return;
    }
}

leaf_state moving_leaf(const stored_value& v,
                       const std::optional<object_policy>& grad_policy) {
  leaf_state result;
  if (!v.is_tensor() || !is_leaf(v.as_tensor()))
    return result; // LS1: a graph stays in its store (G1)
  result.requires_grad = true;
  if (auto g = grad(v.as_tensor()); g && grad_policy) {
    result.grad.push_back(detach(*g));
    result.grad_policy = *grad_policy;
  }
  return result;
}

caf::expected<std::optional<object_policy>>
adopt_leaf(stored_value& v, const std::string& what) {
  auto& in = v.leaf;
  auto bad = [&](const std::string& why) {
    return make_error(errc::bad_argument,
                      what + ": a leaf that requires grad arrived, but " + why);
  };
  if (!v.is_tensor())
    return bad("the value is a pointer entry");
  auto& x = v.as_tensor();
  auto describe = [](const tensor& t) {
    return std::string{to_string(t.dtype())} + " " + to_string(t.shape());
  };
  if (!is_floating(x.dtype()))
    return bad("its value is " + describe(x) +
               " (only float32 and float64 tensors can require grad)");
  if (in.grad.size() > 1 || in.grad_blob.valid())
    return bad("its gradient is not one tensor sent inline");
  if (!in.grad.empty() &&
      (in.grad[0].dtype() != x.dtype() || in.grad[0].shape() != x.shape()))
    return bad("its gradient is " + describe(in.grad[0]) + " and its value " +
               describe(x));
  std::optional<object_policy> policy;
  auto leaf = requires_grad(x);
  if (!in.grad.empty()) {
    leaf.grad_meta()->grad = detach(in.grad[0]);
    policy = std::move(in.grad_policy);
  }
  v.content = std::move(leaf);
  v.leaf = leaf_state{};
  return policy;
}

void keep_leaf_record(const tensor& before, tensor& after) {
  if (is_leaf(before))
    after.set_grad_meta(before.grad_meta());
}

object_policy gradient_policy(const object_policy* before,
                              const object_policy& loss, const requester& who,
                              const std::string& here) {
  // Derived from the loss (and an earlier gradient), with no release of
  // its own, even if the loss has one (G3): derive() would count a
  // released loss as a released input.
  auto guarded_loss = loss;
  guarded_loss.released.clear();
  std::vector<const object_policy*> inputs{&guarded_loss};
  if (before != nullptr)
    inputs.push_back(before);
  // Raw operands are named by derive; a loss is never raw (it is computed).
  std::vector<std::string> names(inputs.size());
  return computed_by(derive(who.name, inputs, names), who, here);
}

namespace {

// "object 3@.. on bob (float64 [2, 1])", for the errors of G6.
std::string describe_object(object_id id, const std::string& worker,
                            const tensor& x) {
  return "object " + to_string(id) + " on " + worker + " (" +
         to_string(x.dtype()) + " " + to_string(x.shape()) + ")";
}

} // namespace

caf::error object_store::backward_stored(object_id loss_id,
                                         const requester& who) {
  auto& loss_entry = entries_.find(loss_id)->second;
  auto loss = loss_entry.value.as_tensor(); // a handle sharing the record
  auto what = describe_object(loss_id, owner_, loss);
  if (!tracks_grad(loss))
    return make_error(errc::bad_argument,
                      "backward: " + what +
                        " does not require grad: nothing computed it from a "
                        "tensor marked with requires_grad (int64 tensors "
                        "never do)");
  if (loss.numel() != 1)
    return make_error(errc::shape_mismatch,
                      "backward: " + what + " has " +
                        std::to_string(loss.numel()) +
                        " elements; backward starts from one element (a "
                        "loss)");
  // The stored leaves the backward updates; `who` must own each (G3).
  std::unordered_set<autograd_meta*> reached;
  for (auto& m : leaves(loss))
    reached.insert(m.get());
  std::vector<entry*> updated;
  for (auto& [id, e] : entries_) {
    if (!e.value.is_tensor())
      continue;
    auto& meta = e.value.as_tensor().grad_meta();
    if (!meta || reached.count(meta.get()) == 0)
      continue;
    if (auto err = check_owner(access_, owner_, who, e.value.policy,
                               "backward (updates its gradient)", id))
      return err;
    updated.push_back(&e);
  }
  if (auto err = backward(loss))
    return with_context(err, "backward of " + what);
  for (auto e : updated)
    e->grad_policy =
      gradient_policy(e->grad_policy ? &*e->grad_policy : nullptr,
                      loss_entry.value.policy, who, owner_);
  return caf::none;
}

exec_outcome object_store::execute_autograd(
  const op_request& req, const std::vector<op_input>& inputs,
  const std::vector<const object_policy*>& policies,
  const std::vector<std::string>& names, const requester& who, outbox& out) {
  exec_outcome result;
  auto failed = [&](caf::error err) {
    if (!req.in_place) // in-place requests create nothing (I1)
      fail(req.result, req.holder, err, out);
    result.what = exec_outcome::kind::failed;
    result.error = std::move(err);
    return result;
  };
  auto name = std::string{to_string(req.op)};
  if (inputs.size() != 1 || inputs[0].literal)
    return failed(make_error(errc::bad_argument,
                             name + " on " + owner_ +
                               " takes one stored object, got " +
                               std::to_string(inputs.size()) + " operands"));
  if (req.in_place != (req.op != opcode::grad))
    return failed(make_error(
      errc::bad_argument, name + " on " + owner_ + " must " +
                            (req.in_place ? "not " : "") + "be sent in place"));
  auto id = caf::get<object_id>(req.args[0].content);
  auto& e = entries_.find(id)->second;
  const auto& x = e.value.as_tensor();
  switch (req.op) {
  case opcode::requires_grad:
    if (tracks_grad(x))
      return result; // already recorded: nothing to do
    if (!is_floating(x.dtype()))
      return failed(
        make_error(errc::dtype_mismatch,
                   "requires_grad: " + describe_object(id, owner_, x) +
                     ": only float32 and float64 tensors can "
                     "require grad"));
    e.value.content = requires_grad(x);
    e.grad_policy.reset();
    return result;
  case opcode::zero_grad:
    if (!is_leaf(x))
      return failed(make_error(errc::bad_argument,
                               "zero_grad: " + describe_object(id, owner_, x) +
                                 " is not a tensor marked with "
                                 "requires_grad"));
    zero_grad(x);
    e.grad_policy.reset();
    return result;
  case opcode::backward:
    if (auto err = backward_stored(id, who))
      return failed(std::move(err));
    return result;
  default: { // grad
    auto what = describe_object(id, owner_, x);
    if (!is_leaf(x))
      return failed(make_error(errc::bad_argument,
                               "grad: " + what +
                                 " is not a tensor marked with requires_grad; "
                                 "only those accumulate gradients"));
    auto g = grad(x);
    if (!g || !e.grad_policy)
      return failed(make_error(errc::bad_argument,
                               "grad: " + what +
                                 " has no gradient (no backward reached it "
                                 "since it was marked or zeroed)"));
    std::vector<const object_policy*> ps{policies[0], &*e.grad_policy};
    std::vector<std::string> ns{names[0], std::string{}};
    auto policy = computed_by(derive(who.name, ps, ns), who, owner_);
    if (auto err =
          insert(req.result, stored_value{detach(*g), std::move(policy)},
                 req.holder, out, "grad"))
      return failed(std::move(err));
    return result;
  }
  }
}

} // namespace workers
