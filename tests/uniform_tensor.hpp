#pragma once

// uniform: deterministic random float64 tensors for gradient tests
// (autograd_test.cpp, remote_autograd_test.cpp, plan_grad_test.cpp).

#include <cstdint>
#include <random>
#include <vector>

#include "workers/tensor.hpp"

namespace workers::test {

/// Uniform float64 values in [lo, hi), deterministic in `seed`.
inline tensor uniform(shape s, uint64_t seed, double lo = -1.0,
                      double hi = 1.0) {
  std::mt19937_64 gen{seed};
  std::uniform_real_distribution<double> u{lo, hi};
  std::vector<double> xs(static_cast<size_t>(s.numel()));
  for (auto& x : xs)
    x = u(gen);
  return tensor::from_vector(std::move(xs), std::move(s));
}

} // namespace workers::test
