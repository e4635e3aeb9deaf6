#pragma once

// parameters: a model's parameter set (a vector of tensors, or of pointers
// to tensors on one worker) and the arithmetic federated averaging needs,
// computed where the parameters live (PySyft's parameter helpers).
//
// Design note
// -----------
// A parameter set is {W0, b0, W1, b1, ...} (models.hpp). add and scale are
// written once over T = tensor or pointer<tensor>: on pointers each element
// is one asynchronous operation on the set's worker, so the values never
// leave it. average_on is trusted aggregation: every set is weighted where
// it is, the weighted sets are moved worker to worker to the aggregator and
// added there, and only the sum -- the weighted average -- comes home.
// Invariants:
//   P1 add/scale keep the order and shapes of their operands; sets of
//      different sizes are refused (bad_argument) before anything is sent;
//      operands on different workers give failed pointers
//      (location_mismatch), as any pointer operation (pointer.hpp).
//   P2 Release rules are the owners': average_on takes home only the sum
//      on the aggregator, which succeeds exactly when the aggregator's rules
//      let the caller have it (a combination of enough owners,
//      access_control.hpp); a single set's values are never taken home.
//   P3 Nothing stays behind: average_on releases every weighted set, moved
//      set and partial sum it made by the time it returns (also on error).
//
// Example:
//   auto bob_model = send_params(init_params(m, 1), bob);
//   auto alice_model = send_params(init_params(m, 2), alice);
//   ...                                        // train on each owner
//   auto avg = value_or_throw(average_on(
//     secure_worker, {bob_model, alice_model}, {0.25, 0.75}));

#include <vector>

#include <caf/expected.hpp>

#include "workers/error.hpp"
#include "workers/pointer.hpp"
#include "workers/tensor.hpp"
#include "workers/worker.hpp"

namespace workers {

/// Parameters on one worker.
using remote_params = std::vector<pointer<tensor>>;

/// A copy of every parameter of `params` on `dest` (one put each). Called
/// by the model owner to send its model; fails as send fails (operation
/// errors show in the pointers).
remote_params send_params(const std::vector<tensor>& params,
                          const worker& dest);

/// Takes every parameter home (a get each, in order). Called by callers
/// allowed to have the values; returns the first refusal (e.g.
/// not_permitted for a model trained on private rows) or timeout.
caf::expected<std::vector<tensor>> get_params(const remote_params& params);

/// Element-wise x[i] + y[i], where the sets are. Throws operation_error
/// (bad_argument) for sets of different sizes (P1); other failures as T's.
template <class T>
std::vector<T> add(const std::vector<T>& x, const std::vector<T>& y) {
  if (x.size() != y.size())
    throw operation_error(make_error(
      errc::bad_argument, "add: parameter sets of " + std::to_string(x.size()) +
                            " and " + std::to_string(y.size()) + " tensors"));
  std::vector<T> result;
  result.reserve(x.size());
  for (size_t i = 0; i < x.size(); ++i)
    result.push_back(x[i] + y[i]);
  return result;
}

/// Element-wise x[i] * factor, where the set is. Fails as T fails.
template <class T>
std::vector<T> scale(const std::vector<T>& x, double factor) {
  std::vector<T> result;
  result.reserve(x.size());
  for (auto& p : x)
    result.push_back(p * factor);
  return result;
}

/// The weighted sum of `sets` (weights[k] for sets[k], each set on its own
/// worker) computed on `aggregator`, only the sum taken home (P2, P3).
/// Called by federated training (trusted aggregation) and users; fails with
/// bad_argument for mismatched sizes or no sets, or with the first remote
/// error (e.g. not_permitted if the aggregator may not release the sum).
caf::expected<std::vector<tensor>>
average_on(const worker& aggregator, const std::vector<remote_params>& sets,
           const std::vector<double>& weights);

} // namespace workers
