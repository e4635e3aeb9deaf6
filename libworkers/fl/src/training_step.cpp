#include "workers/fl/training_step.hpp"

#include "workers/error.hpp"
#include "workers/plan_grad.hpp"

namespace workers {

std::string to_string(grad_mode x) {
  return x == grad_mode::hand ? "hand" : "auto";
}

bool from_string(const std::string& str, grad_mode& x) {
  if (str == "auto" || str == "autograd")
    x = grad_mode::autograd;
  else if (str == "hand")
    x = grad_mode::hand;
  else
    return false;
  return true;
}

plan record_autograd_step(const model_spec& m, double lr, int64_t rows) {
  auto name = "autograd_step_" + to_string(m.kind);
  plan_builder fwd{name};
  std::vector<plan_var> params;
  auto example = init_params(m, 0);
  for (size_t i = 0; i < example.size(); ++i)
    params.push_back(fwd.input());
  auto x = fwd.input();
  auto labels = fwd.input();
  fwd.output(model_loss(m, params, x, labels));
  example.push_back(tensor::zeros(shape{rows, m.features}));
  example.push_back(tensor::zeros(shape{rows}, dtype::int64));
  std::vector<uint32_t> wrt;
  for (uint32_t i = 0; i < params.size(); ++i)
    wrt.push_back(i);
  auto bwd = value_or_throw(backward_plan(fwd.finish(), example, 0, wrt));
  // Outputs of bwd: {loss, d loss / d param_0, ...}; append the update.
  auto loss_slot = bwd.outputs.front();
  auto grad_slots =
    std::vector<uint32_t>(bwd.outputs.begin() + 1, bwd.outputs.end());
  plan_builder step{std::move(bwd)};
  for (uint32_t i = 0; i < grad_slots.size(); ++i)
    step.output(step.slot(i) - step.slot(grad_slots[i]) * lr);
  step.output(step.slot(loss_slot));
  auto result = step.finish();
  result.name = name;
  return result;
}

plan record_step(grad_mode mode, const model_spec& m, double lr, int64_t rows) {
  return mode == grad_mode::hand ? record_sgd_step(m, lr)
                                 : record_autograd_step(m, lr, rows);
}

} // namespace workers
