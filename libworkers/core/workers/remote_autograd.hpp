#pragma once

// remote_autograd: requires_grad, backward and .grad on objects a worker
// stores, so that a model is trained where its data is (PySyft's
// `x.send(bob)` with requires_grad, `loss.backward()`, `w.grad`).
//
// Design note
// -----------
// A worker keeps, per stored tensor that requires grad, exactly the record
// local autograd keeps (autograd.hpp): the stored tensor's `autograd_meta`.
// Operations the store executes on such tensors are recorded with the same
// `detail::record_op` that op_api uses, so a stored result carries its
// graph (grad_nodes holding operand *values*, never object ids) and
// backward runs the same rules (grad_rules.hpp) on the worker's own
// tensors. Nothing is duplicated: the store only decides who may do what.
//
// Messages. The four requests travel as `exec` requests with autograd
// opcodes (op.hpp, is_autograd), so chains (forwarding hop by hop, I4),
// parking, pins (L1), acknowledgements and failure records work as for any
// operation:
//   requires_grad (in place) marks the stored float tensor as a leaf;
//   backward      (in place) on a one-element tensor adds d it / d leaf to
//                 the gradient of every leaf it depends on;
//   grad          (creates)  a new object: the leaf's accumulated gradient;
//   zero_grad     (in place) forgets the leaf's accumulated gradient.
// A client's `requires_grad(t).send(bob)` sends a put, then requires_grad.
// The update `w -= w.grad() * lr` is an ordinary in-place exec (I1-I4),
// which is not recorded and keeps a leaf's record and gradient (G4).
//
// Invariants:
//   G1 Graphs stay in their store. Values leaving a store (get, move,
//      listings) and values arriving (put) carry no record (without_graph),
//      so in one process, as across nodes, no two workers, nor a worker and
//      a client, share a record (autograd.hpp, A8). A moved leaf's state
//      travels beside its value as data and becomes a new record at its
//      destination (G5).
//   G2 Lifetime. A graph holds values, not objects: it never keeps an
//      object in the store nor stops one from being deleted, and object
//      counts are exactly what they are without autograd. An operand's
//      memory stays while a stored result's graph uses it; releasing the
//      last result of a graph (the loss pointer) frees the graph, and the
//      leaves it reached keep nothing but their accumulated gradients.
//      A leaf deleted while a graph uses it gets its gradient in a record
//      nobody can read, freed with the graph.
//      The memory a graph holds is not in stats' stored_bytes (which
//      counts stored values) and is bounded by the results the caller
//      keeps: release losses after backward, as PyTorch frees graphs.
//   G3 Privacy. A gradient is data derived from every value of the graph,
//      i.e. from what the loss was derived from. The store keeps, beside
//      each leaf, the policy of its accumulated gradient: derive() of the
//      loss's policy (and of the earlier gradient's), with no release of
//      its own -- the same as the gradient computed op by op (a matmul of
//      the rows with the residuals is no aggregate rule's sum or mean). A
//      loss released as an aggregate does not release its gradient: w
//      stepped with it would be releasable too, and training on pointers
//      would hand every data owner's model to the model owner (plain
//      FedAvg), which the closed-form step and the backward plan refuse.
//      `grad` gives an object derived from the leaf and that policy. Bob's
//      admin releases a gradient object with a grant (access_control.hpp,
//      A2), or approves a backward plan (plan_grad.hpp) whose outputs it
//      releases.
//      A backward by `who` needs compute on the loss and ownership of the
//      loss (it is an in-place request, I2) and of every stored leaf it
//      updates (it modifies their gradients); compute on every other object
//      of the graph was checked when its operation was recorded (rights are
//      never revoked). Leaves are checked before anything changes.
//   G4 In-place operations are not recorded: on a leaf they keep its
//      record and gradient (an optimizer step); on any other tensor the
//      result has no record (the graph no longer describes its value).
//   G5 A move keeps a leaf's gradient with its data. Moving a stored leaf
//      that requires grad moves its record's state in the same transfer
//      (leaf_state.hpp, LS1-LS5): at the destination the object is a leaf
//      that requires grad, with the same accumulated gradient (if any) under
//      the same gradient policy (G3 holds there), and the source keeps
//      nothing. Large tensors stage their gradient beside the value (bulk
//      path, LS2), so no size limit applies beyond the value's own. A move
//      of a leaf with a gradient also needs the move right on the gradient
//      (checked with the value's, before anything is sent; audited as a
//      second "move" entry). A non-leaf (a result of recorded operations)
//      arrives detached, without requires_grad (G1: its graph stays in its
//      store, and a graph of values cannot be rebuilt elsewhere); mark it
//      at its destination if it is to be trained there. Snapshots keep no
//      autograd state (snapshot.hpp): a restored leaf is a plain tensor.
//   G6 Errors. backward on an object without a graph (never marked, an
//      int64 tensor, a pointer to data that does not require grad), on a
//      tensor of more than one element, grad on a non-leaf or before any
//      backward, requires_grad on an int64 tensor: the request fails with
//      bad_argument, shape_mismatch or dtype_mismatch naming the id, the
//      worker, dtype and shape; nothing changes and the worker serves on.
//   G7 Plans are not recorded: differentiate the plan instead
//      (plan_grad.hpp), so one message carries forward and backward.
//
// Example (the model owner trains w on bob, where x and y are):
//   auto w = requires_grad(tensor::zeros(shape{3, 1}, dtype::float64))
//              .send(bob);                          // put + requires_grad
//   auto d = x.matmul(w) - y;                       // recorded on bob
//   auto loss = (d * d).mean();
//   loss.backward();                                // runs on bob
//   tensor g = w.grad().get();                      // if G3 allows
//   w -= w.grad() * 0.1;                            // on bob, in place
//   w.move(alice);                                  // with its gradient
//   w.zero_grad();                                  // on alice

#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "workers/access_control.hpp"
#include "workers/op.hpp"
#include "workers/protocol.hpp"
#include "workers/tensor.hpp"

namespace workers {

/// `v` with its tensor detached from any autograd record (G1). Called by
/// object stores for values leaving them and by workers for puts; never
/// fails (pointer entries are returned as they are).
stored_value without_graph(stored_value v);

/// Records `op` on the stored operands `args` into `out` (its result) when
/// some operand carries an autograd record; does nothing otherwise (no cost
/// beyond a check per operand). Called by object_store::execute after a
/// successful evaluate; never fails.
void record_stored_op(opcode op, const op_attrs& attrs,
                      const std::vector<op_input>& args, tensor& out);

/// The autograd state a move of `v` carries (G5, leaf_state.hpp LS1):
/// requires_grad and the accumulated gradient (detached) with its policy
/// `grad_policy` if `v` is a stored leaf, else empty. Called by
/// object_store::begin_move; never fails.
leaf_state moving_leaf(const stored_value& v,
                       const std::optional<object_policy>& grad_policy);

/// Turns the leaf state that arrived with `v` (stored as `what`, "put of
/// 3@.. on alice") into its tensor's record (LS5): `v` becomes a leaf that
/// requires grad with the gradient, `v.leaf` is cleared, and the gradient's
/// policy is returned (nullopt: no gradient). Called by object_store insert;
/// bad_argument naming `what`, dtypes and shapes if the value is no float
/// tensor or the gradient does not match it, or one is still staged (LS4);
/// `v` is unchanged then.
caf::expected<std::optional<object_policy>> adopt_leaf(stored_value& v,
                                                       const std::string& what);

/// Gives `after` (the new value of an in-place target) the record of
/// `before` if `before` is a leaf, so an optimizer step keeps the leaf and
/// its gradient (G4). Called by object_store::replace; never fails.
void keep_leaf_record(const tensor& before, tensor& after);

/// The policy of a gradient that a backward from a loss with policy `loss`
/// adds to a leaf whose earlier gradient has policy `before` (null: none),
/// run by `who` on worker `here` (G3). Called by the object store's
/// backward; never fails.
object_policy gradient_policy(const object_policy* before,
                              const object_policy& loss, const requester& who,
                              const std::string& here);

} // namespace workers
