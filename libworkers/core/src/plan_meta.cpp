#include "workers/plan_meta.hpp"

namespace workers {

std::vector<std::optional<tensor_meta>>
infer_plan(const plan& p,
           const std::vector<std::optional<tensor_meta>>& inputs) {
  std::vector<std::optional<tensor_meta>> none(p.outputs.size());
  if (inputs.size() != p.inputs)
    return none;
  auto slots = inputs;
  for (auto& step : p.steps) {
    std::vector<meta_input> args;
    bool known = true;
    for (auto& arg : step.args) {
      if (arg.is_literal) {
        args.push_back({{arg.literal.dtype(), arg.literal.shape()}, true});
      } else if (arg.slot < slots.size() && slots[arg.slot]) {
        args.push_back({*slots[arg.slot], false});
      } else {
        known = false;
        break;
      }
    }
    std::optional<tensor_meta> result;
    if (known)
      if (auto m = infer(step.op, args, step.attrs))
        result = std::move(*m);
    // In place, the result keeps its target's layout or the run fails (P4).
    if (result && step.in_place &&
        (args.empty() || args[0].literal || !(*result == args[0].meta)))
      result.reset();
    slots.push_back(std::move(result));
  }
  std::vector<std::optional<tensor_meta>> outputs;
  for (auto slot : p.outputs)
    outputs.push_back(slot < slots.size() ? slots[slot] : std::nullopt);
  return outputs;
}

} // namespace workers
