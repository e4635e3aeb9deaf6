#include "workers/plan.hpp"

#include <optional>

#include "workers/error.hpp"
#include "workers/remote_autograd.hpp"

namespace workers {

struct plan_var::recording {
  plan p;
};

namespace {

std::string step_name(const plan& p, size_t k) {
  auto& s = p.steps[k];
  return "plan \"" + p.name + "\" step " + std::to_string(k) + " (" +
         (s.in_place ? in_place_name(s.op) : std::string{to_string(s.op)}) +
         ")";
}

// The slot an in-place step `s` writes a new version of, if it is one
// whose target is a slot below `limit` (P4).
std::optional<uint32_t> target_of(const plan_step& s, size_t limit) {
  if (!s.in_place || s.args.empty() || s.args[0].is_literal ||
      s.args[0].slot >= limit)
    return std::nullopt;
  return s.args[0].slot;
}

// For each slot, the slot its variable started at (P4): an input or a
// temporary for itself, the new version of an in-place step for the
// variable of its target.
std::vector<uint32_t> version_roots(const plan& p) {
  std::vector<uint32_t> root(p.inputs + p.steps.size());
  for (uint32_t i = 0; i < root.size(); ++i)
    root[i] = i;
  for (size_t k = 0; k < p.steps.size(); ++k)
    if (auto t = target_of(p.steps[k], p.inputs + k))
      root[p.inputs + k] = root[*t];
  return root;
}

[[noreturn]] void throw_bad(const std::string& what) {
  throw operation_error{make_error(errc::bad_argument, what)};
}

} // namespace

std::vector<uint32_t> final_versions(const plan& p) {
  std::vector<uint32_t> result(p.inputs);
  for (uint32_t i = 0; i < p.inputs; ++i)
    result[i] = i;
  auto root = version_roots(p);
  for (size_t k = 0; k < p.steps.size(); ++k) {
    auto slot = static_cast<uint32_t>(p.inputs + k);
    if (target_of(p.steps[k], slot) && root[slot] < p.inputs)
      result[root[slot]] = slot; // chains are in step order (P4)
  }
  return result;
}

bool writes_inputs(const plan& p) {
  auto finals = final_versions(p);
  for (uint32_t i = 0; i < finals.size(); ++i)
    if (finals[i] != i)
      return true;
  return false;
}

caf::error validate(const plan& p, uint64_t max_tensor_bytes) {
  auto bad = [&](const std::string& what) {
    return make_error(errc::bad_argument, "plan \"" + p.name + "\": " + what);
  };
  std::vector<bool> targeted(p.inputs + p.steps.size(), false);
  for (size_t k = 0; k < p.steps.size(); ++k) {
    auto& s = p.steps[k];
    if (std::string{to_string(s.op)} == "unknown")
      return bad("step " + std::to_string(k) + " has an unknown opcode");
    if (is_autograd(s.op))
      return bad(step_name(p, k) + " is an autograd request, not an operation "
                                   "(differentiate the plan: plan_grad.hpp)");
    if (s.args.size() != arity(s.op))
      return bad(step_name(p, k) + " has " + std::to_string(s.args.size()) +
                 " arguments, expects " + std::to_string(arity(s.op)));
    if (s.in_place) { // P4: a slot as target, each slot targeted once
      if (s.args[0].is_literal)
        return bad(step_name(p, k) + " is in place on a literal; its target "
                                     "must be a slot");
      auto t = s.args[0].slot;
      if (t < targeted.size() && targeted[t])
        return bad(step_name(p, k) + " updates slot " + std::to_string(t) +
                   " in place, which an earlier step updated already");
      if (t < targeted.size())
        targeted[t] = true;
    }
    for (auto& a : s.args) {
      if (!a.is_literal && a.slot >= p.inputs + k)
        return bad(step_name(p, k) + " reads slot " + std::to_string(a.slot) +
                   ", which is not computed yet");
      if (a.is_literal)
        if (auto err =
              check_tensor_size(step_name(p, k) + " literal", a.literal.dtype(),
                                a.literal.shape(), max_tensor_bytes))
          return err;
    }
  }
  if (p.outputs.empty() && !writes_inputs(p))
    return bad("has no outputs and writes no input in place");
  for (auto o : p.outputs)
    if (o >= p.inputs + p.steps.size())
      return bad("output slot " + std::to_string(o) + " does not exist");
  return caf::none;
}

caf::expected<std::vector<tensor>>
run_plan(const plan& p, std::vector<tensor> inputs, uint64_t max_tensor_bytes) {
  return run_plan(p, std::move(inputs), max_tensor_bytes, plan_observer{});
}

caf::expected<std::vector<tensor>> run_plan(const plan& p,
                                            std::vector<tensor> inputs,
                                            uint64_t max_tensor_bytes,
                                            const plan_observer& observe) {
  auto values =
    run_plan_values(p, std::move(inputs), max_tensor_bytes, observe);
  if (!values)
    return std::move(values.error());
  return std::move(values->outputs);
}

caf::expected<std::vector<tensor>>
run_plan_in_place(const plan& p, std::vector<tensor>& inputs,
                  uint64_t max_tensor_bytes) {
  auto values = run_plan_values(p, inputs, max_tensor_bytes, plan_observer{});
  if (!values)
    return std::move(values.error());
  for (auto& [i, value] : values->written) {
    keep_leaf_record(inputs[i], value); // as a worker does (G4)
    inputs[i] = std::move(value);
  }
  return std::move(values->outputs);
}

caf::expected<plan_values> run_plan_values(const plan& p,
                                           std::vector<tensor> inputs,
                                           uint64_t max_tensor_bytes,
                                           const plan_observer& observe) {
  if (auto err = validate(p, max_tensor_bytes))
    return err;
  if (inputs.size() != p.inputs)
    return make_error(errc::bad_argument, "plan \"" + p.name + "\" takes " +
                                            std::to_string(p.inputs) +
                                            " inputs, got " +
                                            std::to_string(inputs.size()));
  auto total = p.inputs + p.steps.size();
  // Last step reading each slot; outputs live to the end (P3).
  std::vector<size_t> last_use(total, 0);
  for (size_t k = 0; k < p.steps.size(); ++k)
    for (auto& a : p.steps[k].args)
      if (!a.is_literal)
        last_use[a.slot] = k + 1;
  for (auto o : p.outputs)
    last_use[o] = p.steps.size() + 1;
  auto finals = final_versions(p); // written back (P4): kept to the end
  for (auto f : finals)
    last_use[f] = p.steps.size() + 1;
  std::vector<std::optional<tensor>> slots(total);
  for (size_t i = 0; i < inputs.size(); ++i)
    slots[i] = std::move(inputs[i]);
  std::vector<op_input> args;
  for (size_t k = 0; k < p.steps.size(); ++k) {
    auto& s = p.steps[k];
    args.clear();
    for (auto& a : s.args)
      args.push_back(a.is_literal ? op_input{&a.literal, true}
                                  : op_input{&*slots[a.slot], false});
    if (observe)
      observe(k, args);
    auto result = evaluate(s.op, args, s.attrs, max_tensor_bytes);
    if (!result)
      return with_context(result.error(), step_name(p, k));
    if (s.in_place) // I3: the new version keeps the target's layout
      if (auto err =
            check_in_place(s.op, *args[0].value,
                           args.size() > 1 ? args[1].value : nullptr, *result))
        return with_context(err, step_name(p, k));
    slots[p.inputs + k] = std::move(*result);
    for (auto& a : s.args)
      if (!a.is_literal && last_use[a.slot] == k + 1)
        slots[a.slot].reset();
  }
  plan_values result;
  for (auto o : p.outputs)
    result.outputs.push_back(*slots[o]);
  for (uint32_t i = 0; i < finals.size(); ++i)
    if (finals[i] != i)
      result.written.emplace_back(i, *slots[finals[i]]);
  return result;
}

// -- recording ----------------------------------------------------------------

plan_var plan_var::append(plan_step step) const {
  if (!rec_)
    throw_bad("operation on a plan_var that belongs to no plan");
  auto& p = rec_->p;
  p.steps.push_back(std::move(step));
  return plan_var{rec_, static_cast<uint32_t>(p.inputs + p.steps.size() - 1)};
}

plan_var plan_var::apply_unary(opcode op, op_attrs attrs) const {
  return append(plan_step{op, {plan_arg{slot_, false, {}}}, std::move(attrs)});
}

plan_var plan_var::apply_binary(opcode op, const plan_var& y) const {
  if (rec_ != y.rec_)
    throw_bad(std::string{to_string(op)} +
              ": operands belong to different plans");
  return append(plan_step{
    op, {plan_arg{slot_, false, {}}, plan_arg{y.slot_, false, {}}}, {}});
}

plan_var plan_var::apply_literal(opcode op, tensor literal,
                                 bool literal_first) const {
  plan_arg self_arg{slot_, false, {}};
  plan_arg lit{0, true, std::move(literal)};
  plan_step step{op, {}, {}};
  if (literal_first)
    step.args = {std::move(lit), std::move(self_arg)};
  else
    step.args = {std::move(self_arg), std::move(lit)};
  return append(std::move(step));
}

plan_var& plan_var::apply_in_place(opcode op, const plan_var* y,
                                   const tensor* literal) {
  if (!rec_)
    throw_bad("operation on a plan_var that belongs to no plan");
  auto& p = rec_->p;
  for (auto& s : p.steps)
    if (auto t = target_of(s, p.inputs + p.steps.size()); t && *t == slot_)
      throw_bad("plan \"" + p.name + "\": " + in_place_name(op) + " on slot " +
                std::to_string(slot_) +
                ", which was updated in place already (a copy of a variable "
                "updated in place); use the updated variable");
  auto next = y != nullptr         ? apply_binary(op, *y)
              : literal != nullptr ? apply_literal(op, *literal, false)
                                   : apply_unary(op, {});
  p.steps.back().in_place = true;
  *this = std::move(next);
  return *this;
}

plan_builder::plan_builder(std::string name)
  : rec_(std::make_shared<plan_var::recording>()) {
  rec_->p.name = std::move(name);
}

plan_builder::plan_builder(plan base)
  : rec_(std::make_shared<plan_var::recording>()) {
  base.outputs.clear();
  // validate() wants outputs: check the steps with a stand-in one.
  auto check = base;
  check.outputs = {0};
  if (base.inputs > 0 || !base.steps.empty())
    if (auto err = validate(check))
      throw operation_error{err};
  rec_->p = std::move(base);
}

plan_var plan_builder::slot(uint32_t k) const {
  auto& p = rec_->p;
  if (k >= p.inputs + p.steps.size())
    throw_bad("plan \"" + p.name + "\": slot " + std::to_string(k) +
              " does not exist yet");
  return plan_var{rec_, k};
}

plan_var plan_builder::constant(tensor value, dtype dt) {
  op_attrs attrs;
  attrs.to = dt;
  auto& p = rec_->p;
  p.steps.push_back(
    plan_step{opcode::cast, {plan_arg{0, true, std::move(value)}}, attrs});
  return plan_var{rec_, static_cast<uint32_t>(p.inputs + p.steps.size() - 1)};
}

plan_var plan_builder::input() {
  auto& p = rec_->p;
  if (!p.steps.empty())
    throw_bad("plan \"" + p.name + "\": inputs must come before operations");
  return plan_var{rec_, p.inputs++};
}

void plan_builder::output(const plan_var& x) {
  if (x.rec_ != rec_)
    throw_bad("plan \"" + rec_->p.name +
              "\": output belongs to a different plan");
  rec_->p.outputs.push_back(x.slot_);
}

plan plan_builder::finish() const {
  if (auto err = validate(rec_->p))
    throw operation_error{err};
  return rec_->p;
}

} // namespace workers
