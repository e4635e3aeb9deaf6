// A move keeps a leaf's gradient with its data (remote_autograd.hpp, G5;
// leaf_state.hpp, LS1-LS5): in one process and across node processes
// ([nodes]), with values and the object counts of every worker asserted;
// and, at the store level, the gradient's policy (G3) after the move and
// the checks of what arrives.

#include "fixture.hpp"
#include "uniform_tensor.hpp"

#include "workers/autograd.hpp"
#include "workers/bulk.hpp"
#include "workers/object_store.hpp"
#include "workers/pointer.hpp"
#include "workers/remote_autograd.hpp"

using namespace workers;
using namespace workers::test;
using Catch::Matchers::Contains;

namespace {

requester as(std::string name, bool trusted = false) {
  requester who;
  who.name = std::move(name);
  who.trusted = trusted;
  return who;
}

// The gradient of w on its worker, which must not fail.
tensor grad_of(const pointer<tensor>& w) {
  return w.grad().get();
}

} // namespace

// -- on pointers --------------------------------------------------------------

TEST_CASE_METHOD(two_workers,
                 "move grad: a leaf without a gradient yet still requires "
                 "grad at its destination",
                 "[move_grad][nodes]") {
  auto w = requires_grad(tensor{1.0, 2.0}).send(bob);
  w.move(alice);
  CHECK(counts() == std::vector<uint64_t>{0, 1, 0});
  CHECK(w.location().name == "alice");
  // A leaf: grad() says "no gradient", not "not a tensor marked".
  auto err = error_of([&] { w.grad().get(); });
  CHECK(is(err, errc::bad_argument));
  CHECK_THAT(message_of(err), Contains("no gradient") && Contains("alice"));
  (w * w).sum().backward(); // recorded on alice, without marking again
  CHECK(grad_of(w).equal(tensor{2.0, 4.0}));
  CHECK(counts() == std::vector<uint64_t>{0, 1, 0});
  CHECK(w.get().equal(tensor{1.0, 2.0}));
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

TEST_CASE_METHOD(two_workers,
                 "move grad: the gradient moves with the leaf, and backward "
                 "accumulates at the destination",
                 "[move_grad][nodes]") {
  auto tw = uniform(shape{3, 2}, 21);
  auto tx = uniform(shape{4, 3}, 22);
  auto w = requires_grad(tw).send(bob);
  auto x = tx.send(bob);
  x.matmul(w).sum().backward();
  auto expected = *[&] {
    auto lw = requires_grad(tw);
    REQUIRE_FALSE(backward(tx.matmul(lw).sum()));
    return grad(lw);
  }();
  CHECK(grad_of(w).allclose(expected, 0.0, 1e-12));
  CHECK(counts() == std::vector<uint64_t>{2, 0, 0});
  auto id = w.id_at_location();
  w.move(alice);
  CHECK(counts() == std::vector<uint64_t>{1, 1, 0}); // bob keeps x only
  CHECK(w.id_at_location() != id);
  CHECK(grad_of(w).allclose(expected, 0.0, 1e-12));
  CHECK(counts() == std::vector<uint64_t>{1, 1, 0});
  // Backward on alice adds to the moved gradient (A5).
  (w * 2.0).sum().backward();
  CHECK(grad_of(w).allclose(expected + 2.0, 0.0, 1e-12));
  // An SGD step there keeps the leaf and its gradient (G4).
  w -= w.grad() * 0.5;
  CHECK(w.copy().get().allclose(tw - (expected + 2.0) * 0.5, 0.0, 1e-12));
  CHECK(grad_of(w).allclose(expected + 2.0, 0.0, 1e-12));
  w.zero_grad();
  CHECK(is(error_of([&] { w.grad().get(); }), errc::bad_argument));
  CHECK(counts() == std::vector<uint64_t>{1, 1, 0});
  w = pointer<tensor>{};
  x = pointer<tensor>{};
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

TEST_CASE_METHOD(two_workers,
                 "move grad: a non-leaf arrives detached (its graph stays)",
                 "[move_grad][nodes]") {
  auto w = requires_grad(tensor{1.0, 2.0}).send(bob);
  auto v = w * 3.0; // recorded on bob: not a leaf
  CHECK(counts() == std::vector<uint64_t>{2, 0, 0});
  v.move(alice);
  CHECK(counts() == std::vector<uint64_t>{1, 1, 0});
  auto err = error_of([&] { v.sum().backward(); });
  CHECK(is(err, errc::bad_argument));
  CHECK_THAT(message_of(err),
             Contains("does not require grad") && Contains("alice"));
  err = error_of([&] { v.grad().get(); });
  CHECK(is(err, errc::bad_argument));
  CHECK_THAT(message_of(err), Contains("not a tensor marked"));
  CHECK(counts() == std::vector<uint64_t>{1, 1, 0}); // failures made nothing
  CHECK(v.get().equal(tensor{3.0, 6.0}));
  // w, on bob, is still a leaf; nothing reached it.
  CHECK(is(error_of([&] { w.grad().get(); }), errc::bad_argument));
  (w * w).sum().backward();
  CHECK(grad_of(w).equal(tensor{2.0, 4.0}));
  CHECK(counts() == std::vector<uint64_t>{1, 0, 0});
}

TEST_CASE_METHOD(two_workers,
                 "move grad: moves from worker to worker, and remote_get "
                 "through a chain, keep the gradient",
                 "[move_grad][nodes]") {
  auto carol = spawn("carol");
  auto w = requires_grad(tensor{1.0, -1.0, 0.5}).send(bob);
  (w * w).sum().backward();
  w.move(alice);
  w.move(carol);
  w.move(bob); // back where it started
  CHECK(counts() == std::vector<uint64_t>{1, 0, 0});
  CHECK(carol.count() == 0);
  CHECK(grad_of(w).equal(tensor{2.0, -2.0, 1.0}));
  // me -> alice -> bob: alice fetches the leaf from bob (data_flow.hpp).
  auto p2w = w.send(alice);
  w = pointer<tensor>{}; // alice's entry is the only reference now
  CHECK(counts() == std::vector<uint64_t>{1, 1, 0});
  auto at_alice = p2w.remote_get();
  CHECK(counts() == std::vector<uint64_t>{0, 1, 0});
  CHECK(at_alice.location().name == "alice");
  CHECK(grad_of(at_alice).equal(tensor{2.0, -2.0, 1.0}));
  (at_alice * 1.0).sum().backward();
  CHECK(grad_of(at_alice).equal(tensor{3.0, -1.0, 2.0}));
  at_alice = pointer<tensor>{};
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

TEST_CASE_METHOD(two_workers,
                 "move grad: a large leaf (bulk path) moves with its gradient",
                 "[move_grad][nodes]") {
  // Across nodes both go by the data plane (bulk.hpp; LS2).
  auto tw = uniform(shape{1024, 1025}, 31);
  REQUIRE(tw.nbytes() >= bulk_threshold);
  auto w = requires_grad(tw).send(bob);
  (w * w).sum().backward();
  w.move(alice);
  CHECK(counts() == std::vector<uint64_t>{0, 1, 0});
  CHECK(grad_of(w).allclose(tw * 2.0, 0.0, 1e-12));
  (w * 1.0).sum().backward();
  CHECK(grad_of(w).allclose(tw * 2.0 + 1.0, 0.0, 1e-12));
  CHECK(w.get().equal(tw));
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

// -- the store ----------------------------------------------------------------

TEST_CASE("move grad: the gradient keeps its policy at the destination (G3)",
          "[move_grad]") {
  access_config cfg;
  cfg.admins = {"bob_admin"};
  auto owner = as("model_owner");
  object_store bob{"bob", {}, cfg};
  object_store alice{"alice", {}, cfg};
  id_generator ids{0xb0b};
  outbox out;
  auto put = [&](tensor t, object_policy p) {
    auto id = ids.next();
    auto holder = ids.next();
    REQUIRE_FALSE(
      bob.insert(id, stored_value{std::move(t), std::move(p)}, holder, out));
    return std::make_pair(id, holder);
  };
  auto x = put(uniform(shape{8, 3}, 7), private_data("bob")).first;
  auto [w, w_holder] = put(uniform(shape{3, 1}, 9), owned_by("model_owner"));
  auto exec = [&](object_store& store, opcode op, std::vector<operand> args,
                  bool in_place = false) {
    auto req = exec_request(op, ids, std::move(args), in_place);
    auto r = store.execute(req, ids, out, owner);
    REQUIRE(r.what == exec_outcome::kind::done);
    return req.result;
  };
  exec(bob, opcode::requires_grad, {operand{w}}, true);
  auto p = exec(bob, opcode::matmul, {operand{x}, operand{w}});
  auto loss = exec(bob, opcode::sum, {operand{p}});
  exec(bob, opcode::backward, {operand{loss}}, true);
  auto g_bob = grad(bob.find(w)->as_tensor());
  REQUIRE(g_bob);
  // w is the model owner's, its gradient derived from bob's rows: it moves
  // only to a worker that enforces the rules too (A5), named in the error.
  auto err = bob.permits_move(w, owner, false, "move to far");
  CHECK(is(err, errc::not_permitted));
  CHECK_THAT(message_of(err), Contains("with its gradient"));
  REQUIRE_FALSE(bob.permits_move(w, owner, true, "move to alice"));
  // The move, as the workers make it (worker_transfers.cpp).
  auto new_id = ids.next();
  auto sent = bob.begin_move(w, w_holder, new_id, out);
  REQUIRE(sent.leaf.requires_grad);
  REQUIRE(sent.leaf.grad.size() == 1);
  CHECK_FALSE(sent.as_tensor().grad_meta()); // the value is detached (G1)
  sent.leaf.grad_policy =
    admit_policy(sent.leaf.grad_policy, as("bob", true), "alice");
  sent.policy = admit_policy(sent.policy, as("bob", true), "alice");
  REQUIRE_FALSE(alice.insert(new_id, sent, w_holder, out, "put"));
  bob.finish_move(w, w_holder, "alice", new_id, object_store::clock::now(),
                  out);
  CHECK(bob.size() == 3); // x, x w, loss
  CHECK(alice.size() == 1);
  auto& moved = alice.find(new_id)->as_tensor();
  CHECK(is_leaf(moved));
  CHECK(grad(moved)->equal(*g_bob));
  // Its gradient may not leave alice for the model owner, as on bob.
  auto g = exec(alice, opcode::grad, {operand{new_id}});
  CHECK(alice.find(g)->as_tensor().equal(*g_bob));
  err = alice.permits(g, owner, right::take, "get");
  CHECK(is(err, errc::not_permitted));
  CHECK(alice.find(g)->policy.guarded());
  // The store never keeps the travelling state (LS5).
  for (auto& entry : alice.listing().entries)
    CHECK_FALSE(entry.second.leaf.requires_grad);
}

TEST_CASE("move grad: a leaf state that does not fit its value is refused",
          "[move_grad]") {
  object_store alice{"alice"};
  id_generator ids{0xa11ce};
  outbox out;
  auto try_put = [&](stored_value v) {
    auto id = ids.next();
    auto err = alice.insert(id, std::move(v), ids.next(), out);
    CHECK(alice.status(id) != object_store::presence::here);
    return std::make_pair(id, err);
  };
  stored_value v{tensor{1.0, 2.0}};
  v.leaf.requires_grad = true;
  v.leaf.grad.push_back(tensor{1.0, 2.0, 3.0}); // another shape
  auto [id, err] = try_put(v);
  CHECK(is(err, errc::bad_argument));
  CHECK_THAT(message_of(err), Contains(to_string(id)) && Contains("alice") &&
                                Contains("[3]") && Contains("[2]"));
  v.leaf.grad = {tensor{1.0, 2.0}.cast(dtype::float64)}; // another dtype
  CHECK(is(try_put(v).second, errc::bad_argument));
  stored_value ints{tensor{1, 2}};
  ints.leaf.requires_grad = true;
  auto refused = try_put(ints).second;
  CHECK(is(refused, errc::bad_argument));
  CHECK_THAT(message_of(refused), Contains("int64"));
  CHECK(alice.size() == 0);
  // A fitting one is stored as a leaf with its gradient.
  v.leaf.grad = {tensor{0.5, 0.25}};
  auto ok = ids.next();
  REQUIRE_FALSE(alice.insert(ok, v, ids.next(), out));
  CHECK(is_leaf(alice.find(ok)->as_tensor()));
  CHECK(grad(alice.find(ok)->as_tensor())->equal(tensor{0.5, 0.25}));
}
