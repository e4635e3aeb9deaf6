#include "workers/fl/models.hpp"

#include <cmath>
#include <random>

namespace workers {

std::string to_string(model_kind x) {
  return x == model_kind::mlp ? "mlp" : "softmax";
}

bool from_string(const std::string& str, model_kind& x) {
  if (str == "softmax")
    x = model_kind::softmax;
  else if (str == "mlp")
    x = model_kind::mlp;
  else
    return false;
  return true;
}

std::vector<int64_t> layer_sizes(const model_spec& m) {
  if (m.kind == model_kind::mlp)
    return {m.features, m.hidden, m.classes};
  return {m.features, m.classes};
}

std::vector<tensor> init_params(const model_spec& m, uint64_t seed) {
  std::mt19937_64 gen{seed};
  auto sizes = layer_sizes(m);
  std::vector<tensor> result;
  for (size_t l = 0; l + 1 < sizes.size(); ++l) {
    auto in = sizes[l];
    auto out = sizes[l + 1];
    auto bound = static_cast<float>(std::sqrt(6.0 / double(in + out)));
    std::uniform_real_distribution<float> uniform{-bound, bound};
    std::vector<float> w(static_cast<size_t>(in * out));
    for (auto& x : w)
      x = uniform(gen);
    result.push_back(tensor::from_vector(std::move(w), shape{in, out}));
    result.push_back(tensor::zeros(shape{out}));
  }
  return result;
}

plan record_sgd_step(const model_spec& m, double lr) {
  plan_builder b{"sgd_step_" + to_string(m.kind)};
  std::vector<plan_var> params;
  for (size_t i = 0; i + 1 < layer_sizes(m).size(); ++i) {
    params.push_back(b.input());
    params.push_back(b.input());
  }
  auto x = b.input();
  auto labels = b.input();
  auto step = sgd_step(m, params, x, labels, lr);
  for (auto& p : step.params)
    b.output(p);
  b.output(step.loss);
  return b.finish();
}

} // namespace workers
