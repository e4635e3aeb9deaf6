#include "workers/fl/sgd.hpp"

namespace workers {

void requires_grad_all(std::vector<tensor>& params) {
  for (auto& p : params)
    p = requires_grad(p);
}

void requires_grad_all(std::vector<pointer<tensor>>& params) {
  for (auto& p : params)
    p.requires_grad();
}

void backward_of(const tensor& loss) {
  if (auto err = backward(loss))
    throw operation_error(std::move(err));
}

void backward_of(pointer<tensor> loss) {
  loss.backward();
}

} // namespace workers
