#pragma once

// plan_meta: what a plan's outputs will be, known before it runs -- the
// pointer metadata of remote_plan::run's results (pointer.hpp).
//
// Each step's result is infer()'s (op.hpp) for its operands' metadata, slot
// by slot (plan.hpp, P1). A slot is unknown if an operand is, or if the step
// would fail (then the run fails on the worker, which says why, and the
// outputs' handles get its error): never a guess. An in-place step's result
// (plan.hpp, P4) is known only if it keeps its target's dtype and shape; the
// inputs it writes keep theirs, so their pointers' metadata stays true.
//
// Example:
//   plan_builder b{"affine"};
//   auto x = b.input(), w = b.input();
//   b.output(x.matmul(w).sum(1));
//   infer_plan(b.finish(), {tensor_meta{float32, {8, 3}},
//                           tensor_meta{float32, {3, 2}}});  // {[8] float32}

#include <optional>
#include <vector>

#include "workers/op.hpp"
#include "workers/plan.hpp"

namespace workers {

/// The metadata of `p`'s outputs when it runs on inputs with the metadata
/// `inputs` (nullopt: unknown), each nullopt where it cannot be known.
/// Called by remote_plan::run; never fails (a wrong input count or a bad
/// plan gives unknown outputs).
std::vector<std::optional<tensor_meta>>
infer_plan(const plan& p,
           const std::vector<std::optional<tensor_meta>>& inputs);

} // namespace workers
