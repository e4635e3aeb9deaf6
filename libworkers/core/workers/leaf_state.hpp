#pragma once

// leaf_state: what a move carries of a stored leaf's autograd state, so
// that a parameter keeps its gradient when its data moves
// (remote_autograd.hpp, G5).
//
// Design note
// -----------
// A store keeps a leaf's autograd state beside its value: the tensor's
// record (requires grad, accumulated gradient) and the policy of that
// gradient (G3). A move sends the value detached (G1); leaf_state is the
// rest, in the same put:
//   LS1 Leaves only. The source fills it for a stored leaf that requires
//       grad, never for a result of recorded operations (its graph stays
//       in its store, G1: it arrives detached) nor for a pointer entry.
//   LS2 One transfer. The gradient travels in the move's put: inline in
//       the stored_value, or, when the value itself is staged for the bulk
//       path (bulk.hpp), staged beside it as a second blob of the same
//       dtype, shape and size (A4), named by `grad_blob` and `grad_token`.
//       The destination stores the object only once both are read (B2),
//       so the object never exists there without its gradient.
//   LS3 Policies travel unchanged from trusted senders (admit_policy, as
//       for the value): the gradient is readable at the destination by
//       exactly whom its policy allows at the source.
//   LS4 Checked on arrival: a gradient must have the value's dtype and
//       shape and the value must be floating; otherwise the put is
//       refused (bad_argument naming the object) and nothing is stored.
//   LS5 Never stored as such: the destination store turns it into the
//       tensor's record and the entry's gradient policy (object_store
//       insert), so listings, gets and snapshots never carry one.
//
// Example (bob moves the leaf w, with its gradient g, to alice):
//   bob:   put{new_id, stored_value{w, policy,
//                                   leaf_state{true, {g}, g_policy}}}
//   alice: stores new_id as a leaf that requires grad, grad() == g

#include <type_traits>
#include <vector>

#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>

#include "workers/object_id.hpp"
#include "workers/object_policy.hpp"
#include "workers/staging_area.hpp"
#include "workers/tensor.hpp"

namespace workers {

/// A stored leaf's autograd state in a move's put (LS1-LS5).
struct leaf_state {
  /// The value is a leaf that requires grad; false: nothing else is set.
  bool requires_grad = false;
  /// Its accumulated gradient inline: empty (none yet, or staged) or one.
  std::vector<tensor> grad;
  /// The policy of that gradient (G3), as the source kept it.
  object_policy grad_policy;
  /// The staged gradient on the bulk path (LS2); invalid if not staged.
  object_id grad_blob;
  blob_token grad_token;

  /// Whether a gradient comes with the leaf (inline or staged).
  bool has_grad() const { return !grad.empty() || grad_blob.valid(); }

  // A presence flag first: most values are no leaves and carry one byte.
  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, leaf_state& x) {
    auto name = caf::meta::type_name("workers::leaf_state");
    if constexpr (std::is_same_v<typename Inspector::result_type, void>) {
      return f(name, x.requires_grad, x.grad);
    } else {
      if (auto err = f(name, x.requires_grad))
        return err;
      if (!x.requires_grad)
        return caf::error{};
      return f(x.grad, x.grad_policy, x.grad_blob, x.grad_token);
    }
  }
};

} // namespace workers
