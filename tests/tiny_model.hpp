#pragma once

// The small model the model tests share: 5 features, 4 hidden units, 3
// classes (tests/models_test.cpp, tests/autograd_test.cpp).

#include "workers/fl/models.hpp"

namespace workers::test {

inline model_spec tiny(model_kind kind) {
  model_spec m;
  m.kind = kind;
  m.features = 5;
  m.hidden = 4;
  m.classes = 3;
  return m;
}

} // namespace workers::test
