#include "workers/fl/parameters.hpp"

#include <string>

namespace workers {

remote_params send_params(const std::vector<tensor>& params,
                          const worker& dest) {
  remote_params result;
  result.reserve(params.size());
  for (auto& p : params)
    result.push_back(p.send(dest));
  return result;
}

caf::expected<std::vector<tensor>> get_params(const remote_params& params) {
  std::vector<tensor> result;
  for (auto& p : params) {
    auto x = p.try_get();
    if (!x)
      return std::move(x.error());
    result.push_back(std::move(*x));
  }
  return result;
}

caf::expected<std::vector<tensor>>
average_on(const worker& aggregator, const std::vector<remote_params>& sets,
           const std::vector<double>& weights) {
  if (sets.empty() || sets.size() != weights.size())
    return make_error(errc::bad_argument,
                      "average_on " + aggregator.name() + ": " +
                        std::to_string(sets.size()) + " parameter sets for " +
                        std::to_string(weights.size()) + " weights");
  for (auto& s : sets)
    if (s.size() != sets.front().size())
      return make_error(errc::bad_argument,
                        "average_on " + aggregator.name() +
                          ": parameter sets of " +
                          std::to_string(sets.front().size()) + " and " +
                          std::to_string(s.size()) + " tensors");
  std::vector<tensor> result;
  for (size_t j = 0; j < sets.front().size(); ++j) {
    // Operands stay referenced until the sum is home: a worker whose
    // operation waits for a moved operand still in flight does not pin the
    // other one (the workaround of secure_sum.cpp, sum_shared).
    std::vector<pointer<tensor>> keep_operands;
    pointer<tensor> acc;
    for (size_t k = 0; k < sets.size(); ++k) {
      auto moved = (sets[k][j] * weights[k]).move(aggregator);
      acc = k == 0 ? moved : acc + moved;
      keep_operands.push_back(moved);
      keep_operands.push_back(acc);
    }
    auto sum = acc.try_get();
    if (!sum)
      return with_context(sum.error(), "average_on " + aggregator.name() +
                                         ", parameter " + std::to_string(j));
    result.push_back(std::move(*sum));
  }
  return result;
}

} // namespace workers
