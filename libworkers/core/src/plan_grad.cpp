#include "workers/plan_grad.hpp"

#include <numeric>
#include <optional>
#include <string>

#include "workers/error.hpp"
#include "workers/grad_rules.hpp"

namespace workers {

namespace {

// The values of every slot of `p` run on `inputs`: the plan with every
// slot as an output (run_plan frees nothing that is an output).
caf::expected<std::vector<tensor>> all_slots(plan p,
                                             std::vector<tensor> inputs) {
  p.outputs.resize(p.inputs + p.steps.size());
  std::iota(p.outputs.begin(), p.outputs.end(), 0u);
  return run_plan(p, std::move(inputs));
}

} // namespace

caf::expected<plan> backward_plan(const plan& p,
                                  const std::vector<tensor>& example_inputs,
                                  size_t loss_output,
                                  const std::vector<uint32_t>& wrt) {
  auto bad = [&](const std::string& what) {
    return make_error(errc::bad_argument,
                      "backward plan of \"" + p.name + "\": " + what);
  };
  if (auto err = validate(p))
    return err;
  for (size_t k = 0; k < p.steps.size(); ++k) // B6
    if (p.steps[k].in_place)
      return bad("step " + std::to_string(k) + " (" +
                 in_place_name(p.steps[k].op) +
                 ") is in place; differentiate the plan without its update, "
                 "then append the update with plan_builder(base) (plan.hpp, "
                 "P4)");
  if (loss_output >= p.outputs.size())
    return bad("output " + std::to_string(loss_output) +
               " does not exist; the plan has " +
               std::to_string(p.outputs.size()));
  auto values = all_slots(p, example_inputs);
  if (!values)
    return values.error();
  auto& vs = *values;
  auto loss_slot = p.outputs[loss_output];
  auto& loss = vs[loss_slot];
  if (loss.numel() != 1 || !is_floating(loss.dtype()))
    return bad("the loss (output " + std::to_string(loss_output) + ") is " +
               to_string(loss.dtype()) + " " + to_string(loss.shape()) +
               ", not one floating element");
  auto total = vs.size();
  std::vector<bool> tracks(total, false);
  for (auto i : wrt) {
    if (i >= p.inputs)
      return bad("input " + std::to_string(i) +
                 " does not exist; the plan "
                 "has " +
                 std::to_string(p.inputs));
    if (!is_floating(vs[i].dtype()))
      return bad("input " + std::to_string(i) + " is " +
                 to_string(vs[i].dtype()) +
                 "; only float inputs have "
                 "gradients");
    tracks[i] = true;
  }
  // Which slots depend on a chosen input through differentiable steps (B5).
  for (size_t k = 0; k < p.steps.size(); ++k) {
    auto& s = p.steps[k];
    auto out = p.inputs + k;
    if (!is_differentiable(s.op) || !is_floating(vs[out].dtype()))
      continue;
    for (auto& a : s.args)
      if (!a.is_literal && tracks[a.slot])
        tracks[out] = true;
  }
  try {
    auto base = p;
    base.name += "_backward";
    plan_builder b{std::move(base)};
    std::vector<std::optional<plan_var>> grads(total);
    if (tracks[loss_slot])
      grads[loss_slot] = b.slot(loss_slot).zeros_like() + 1.0;
    for (size_t k = p.steps.size(); k-- > 0;) {
      auto out = static_cast<uint32_t>(p.inputs + k);
      if (!grads[out] || !tracks[out])
        continue;
      auto& s = p.steps[k];
      op_record<plan_var> r;
      r.op = s.op;
      r.attrs = s.attrs;
      std::vector<bool> needed;
      for (auto& a : s.args) {
        if (a.is_literal) {
          r.inputs.push_back(b.constant(a.literal, vs[out].dtype()));
          r.input_shapes.push_back(a.literal.shape());
          r.input_dtypes.push_back(vs[out].dtype());
          needed.push_back(false);
        } else {
          r.inputs.push_back(b.slot(a.slot));
          r.input_shapes.push_back(vs[a.slot].shape());
          r.input_dtypes.push_back(vs[a.slot].dtype());
          needed.push_back(tracks[a.slot]);
        }
      }
      r.output = b.slot(out);
      r.output_shape = vs[out].shape();
      auto gs = input_grads(r, *grads[out], needed);
      for (size_t i = 0; i < gs.size(); ++i) {
        if (!gs[i] || s.args[i].is_literal)
          continue;
        auto& acc = grads[s.args[i].slot];
        acc = acc ? *acc + *gs[i] : *gs[i];
      }
    }
    for (auto o : p.outputs)
      b.output(b.slot(o));
    for (auto i : wrt)
      b.output(grads[i] ? *grads[i] : b.slot(i).zeros_like());
    return b.finish();
  } catch (const operation_error& e) {
    return with_context(e.error(), "backward plan of \"" + p.name + "\"");
  }
}

} // namespace workers
