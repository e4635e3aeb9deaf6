// Autograd on pointers (remote_autograd.hpp): requires_grad, backward, grad
// and zero_grad where the data is, in one process and across node
// processes ([nodes]), through a chain me -> alice -> bob, with the object
// counts of every worker asserted and gradients compared with local
// autograd (float64, 1e-9) and central finite differences; and, at the
// store level, graph lifetime, privacy of gradients and refusals.

#include "fixture.hpp"
#include "party_runner.hpp"
#include "uniform_tensor.hpp"

#include "workers/autograd.hpp"
#include "workers/object_store.hpp"
#include "workers/pointer.hpp"
#include "workers/remote_autograd.hpp"

using namespace workers;
using namespace workers::test;
using Catch::Matchers::Contains;

namespace {

// The mean squared error of a linear model, on tensors or pointers alike.
template <class T>
T mse(const T& x, const T& w, const T& y) {
  auto d = x.matmul(w) - y;
  return (d * d).mean();
}

// d mse / d w by local autograd.
tensor local_grad(const tensor& x, const tensor& w, const tensor& y) {
  auto lw = requires_grad(w);
  REQUIRE_FALSE(backward(mse(x, lw, y)));
  return *grad(lw);
}

// Checks `g` against central differences of mse in w (step 1e-6).
void check_finite_differences(const tensor& x, const tensor& w, const tensor& y,
                              const tensor& g) {
  const double h = 1e-6;
  auto analytic = g.to_vector<double>();
  for (int64_t i = 0; i < w.numel(); ++i) {
    auto up = w.copy();
    auto down = w.copy();
    up.mutable_data<double>()[i] += h;
    down.mutable_data<double>()[i] -= h;
    auto numeric =
      (mse(x, up, y).item<double>() - mse(x, down, y).item<double>()) / (2 * h);
    CHECK(analytic[static_cast<size_t>(i)] ==
          Approx(numeric).epsilon(1e-6).margin(1e-6));
  }
}

bool close(const tensor& x, const tensor& y) {
  return x.shape() == y.shape() && x.dtype() == y.dtype() &&
         x.allclose(y, 0.0, 1e-9);
}

requester as(std::string name, bool admin = false) {
  requester who;
  who.name = std::move(name);
  who.admin = admin;
  return who;
}

// bob in a node process whose policy releases aggregates over 16 rows or
// more; this process is "me", bob's admin (fast_node_args).
struct private_bob {
  runtime_config cfg;
  runtime rt{client_config(cfg, fast_options("me"))};
  node_map nodes;
  worker bob = start_node(rt, nodes, "bob", [] {
    auto args = fast_node_args("bob");
    args.emplace_back("--policy.aggregate-min-rows=16");
    return args;
  }());
};

} // namespace

// -- on pointers --------------------------------------------------------------

TEST_CASE_METHOD(two_workers,
                 "remote autograd: a linear model trains on bob like locally",
                 "[remote_autograd][nodes]") {
  auto tx = uniform(shape{6, 3}, 1);
  auto ty = uniform(shape{6, 1}, 2);
  auto tw = uniform(shape{3, 1}, 3);
  auto x = tx.send(bob);
  auto y = ty.send(bob);
  auto w = requires_grad(tw).send(bob); // put + requires_grad
  CHECK(counts() == std::vector<uint64_t>{3, 0, 0});
  auto loss = mse(x, w, y); // d and d * d are released at once
  CHECK(counts() == std::vector<uint64_t>{4, 0, 0});
  loss.backward();
  CHECK(counts() == std::vector<uint64_t>{4, 0, 0}); // backward creates nothing
  auto g = w.grad();
  CHECK(counts() == std::vector<uint64_t>{5, 0, 0});
  auto expected = local_grad(tx, tw, ty);
  auto remote = g.get();
  CHECK(close(remote, expected));
  check_finite_differences(tx, tw, ty, remote);
  CHECK(close(loss.copy().get(), mse(tx, tw, ty)));
  CHECK(counts() == std::vector<uint64_t>{4, 0, 0});
  // An SGD step on bob keeps w (same id) a leaf with its gradient.
  auto id = w.id_at_location();
  w -= w.grad() * 0.1;
  CHECK(w.id_at_location() == id);
  CHECK(counts() == std::vector<uint64_t>{4, 0, 0});
  auto tw1 = tw - expected * 0.1;
  CHECK(close(w.copy().get(), tw1));
  CHECK(close(w.grad().get(), expected)); // still accumulated
  w.zero_grad();
  auto err = error_of([&] { w.grad().get(); });
  CHECK(is(err, errc::bad_argument));
  CHECK_THAT(message_of(err), Contains("no gradient") && Contains("bob"));
  // Releasing the loss frees its graph; a second step needs a new one.
  loss = pointer<tensor>{};
  CHECK(counts() == std::vector<uint64_t>{3, 0, 0});
  auto loss1 = mse(x, w, y);
  loss1.backward();
  CHECK(close(w.grad().get(), local_grad(tx, tw1, ty)));
  // Backward twice accumulates, as locally (A5).
  loss1.backward();
  CHECK(close(w.grad().get(), local_grad(tx, tw1, ty) * 2));
  loss1 = pointer<tensor>{};
  CHECK(counts() == std::vector<uint64_t>{3, 0, 0});
  x = pointer<tensor>{};
  y = pointer<tensor>{};
  w = pointer<tensor>{};
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

TEST_CASE_METHOD(two_workers,
                 "remote autograd: backward through a chain me -> alice -> bob",
                 "[remote_autograd][nodes]") {
  auto tx = uniform(shape{5, 2}, 11);
  auto ty = uniform(shape{5, 1}, 12);
  auto tw = uniform(shape{2, 1}, 13);
  auto x = tx.send(bob).send(alice);
  auto y = ty.send(bob).send(alice);
  auto w = tw.send(bob).send(alice);
  CHECK(counts() == std::vector<uint64_t>{3, 3, 0});
  w.requires_grad(); // forwarded to bob's tensor
  auto loss = mse(x, w, y);
  CHECK(counts() == std::vector<uint64_t>{4, 4, 0});
  loss.backward();
  auto g = w.grad(); // a pointer entry on alice to the gradient on bob
  CHECK(counts() == std::vector<uint64_t>{5, 5, 0});
  CHECK(close(g.get().get(), local_grad(tx, tw, ty)));
  CHECK(counts() == std::vector<uint64_t>{4, 4, 0});
  w -= w.grad() * 0.5;
  CHECK(close(w.copy().get().get(), tw - local_grad(tx, tw, ty) * 0.5));
  w.zero_grad();
  CHECK(is(error_of([&] { w.grad().get().get(); }), errc::bad_argument));
  loss = pointer<pointer<tensor>>{};
  x = pointer<pointer<tensor>>{};
  y = pointer<pointer<tensor>>{};
  w = pointer<pointer<tensor>>{};
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

TEST_CASE_METHOD(two_workers,
                 "remote autograd: bad requests fail clearly and the worker "
                 "serves on",
                 "[remote_autograd][nodes]") {
  auto x = tensor{{1.0, 2.0}, {3.0, 4.0}}.send(bob);
  auto w = requires_grad(tensor{{1.0}, {-1.0}}).send(bob);
  auto i = tensor{1, 2, 3}.send(bob);
  auto v = x.matmul(w); // [2, 1]: not a scalar
  CHECK(counts() == std::vector<uint64_t>{4, 0, 0});
  // backward on a non-scalar: names id, worker, shape.
  auto err = error_of([&] { v.backward(); });
  CHECK(is(err, errc::shape_mismatch));
  CHECK_THAT(message_of(err), Contains(to_string(v.id_at_location())) &&
                                Contains("bob") && Contains("[2, 1]") &&
                                Contains("float32"));
  // backward on an object without a graph, and on an int64 tensor.
  err = error_of([&] { x.sum().backward(); });
  CHECK(is(err, errc::bad_argument));
  CHECK_THAT(message_of(err),
             Contains("does not require grad") && Contains("bob"));
  err = error_of([&] { i.sum().backward(); });
  CHECK(is(err, errc::bad_argument));
  CHECK_THAT(message_of(err), Contains("int64"));
  err = error_of([&] { i.requires_grad(); });
  CHECK(is(err, errc::dtype_mismatch));
  CHECK_THAT(message_of(err), Contains(to_string(i.id_at_location())) &&
                                Contains("int64") && Contains("[3]"));
  // grad of a result (not a leaf), and of a leaf before any backward.
  err = error_of([&] { v.grad().get(); });
  CHECK(is(err, errc::bad_argument));
  CHECK_THAT(message_of(err), Contains("not a tensor marked"));
  err = error_of([&] { w.grad().get(); });
  CHECK(is(err, errc::bad_argument));
  CHECK(counts() == std::vector<uint64_t>{4, 0, 0}); // failures created nothing
  // bob serves on.
  v.sum().backward();
  CHECK(w.grad().get().equal(tensor{{4.0}, {6.0}}));
  CHECK(counts() == std::vector<uint64_t>{4, 0, 0});
}

TEST_CASE_METHOD(two_workers,
                 "remote autograd: a move ships the leaf with its gradient, "
                 "not the graph",
                 "[remote_autograd][nodes]") {
  auto w = requires_grad(tensor{1.0, 2.0}).send(bob);
  (w * w).sum().backward();
  CHECK(w.grad().get().equal(tensor{2.0, 4.0}));
  w.move(alice); // with its gradient (G5; tests/move_grad_test.cpp)
  CHECK(counts() == std::vector<uint64_t>{0, 1, 0});
  CHECK(w.grad().get().equal(tensor{2.0, 4.0}));
  (w * 3.0).sum().backward(); // accumulates on alice
  CHECK(w.grad().get().equal(tensor{5.0, 7.0}));
  CHECK(w.get().equal(tensor{1.0, 2.0}));
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

TEST_CASE_METHOD(private_bob,
                 "remote autograd: the model owner does not get the gradient "
                 "of bob's private rows, even of a released loss",
                 "[remote_autograd][access][network]") {
  for (int64_t rows : {8, 32}) {
    DYNAMIC_SECTION(rows << " rows") {
      // bob's data, put by its admin: private (raw) on bob.
      auto x = tensor::full({rows, 2}, 1.0).send(bob, private_data("bob"));
      auto y = tensor::full({rows, 1}, 2.0).send(bob, private_data("bob"));
      CHECK(bob.count() == 2);
      // The model owner, another process, trains its w on them.
      auto step = "train:bob:" + to_string(x.id_at_location()) + ":" +
                  to_string(y.id_at_location());
      auto out = run_party(nodes, "model_owner", {step});
      INFO(out[step]);
      CHECK_THAT(out[step], Contains("backward ok"));
      // With 32 rows the loss is an aggregate that may leave; its gradient
      // (and so a model stepped with it) may not (G3).
      CHECK_THAT(out[step], Contains("not_permitted"));
      CHECK(bob.count() == 8); // w, x w, d, d * d, loss, grad: 6 more
    }
  }
}

// -- the store ----------------------------------------------------------------

TEST_CASE("remote autograd: a graph lives as long as its results",
          "[remote_autograd]") {
  object_store store{"bob"};
  id_generator ids{0xb0b};
  outbox out;
  auto put = [&](tensor t) {
    auto id = ids.next();
    auto holder = ids.next();
    REQUIRE_FALSE(store.insert(id, std::move(t), holder, out));
    return std::make_pair(id, holder);
  };
  auto [w, w_holder] = put(tensor{1.0, 2.0, 3.0});
  auto [x, x_holder] = put(tensor{4.0, 5.0, 6.0});
  auto r = store.execute(
    exec_request(opcode::requires_grad, ids, {operand{w}}, true), ids, out);
  REQUIRE(r.what == exec_outcome::kind::done);
  CHECK(store.size() == 2);
  auto& meta = store.find(w)->as_tensor().grad_meta();
  REQUIRE(meta);
  CHECK(meta.use_count() == 1);
  auto mul = exec_request(opcode::mul, ids, {operand{w}, operand{x}});
  REQUIRE(store.execute(mul, ids, out).what == exec_outcome::kind::done);
  auto sum = exec_request(opcode::sum, ids, {operand{mul.result}});
  REQUIRE(store.execute(sum, ids, out).what == exec_outcome::kind::done);
  CHECK(store.size() == 4);
  CHECK(meta.use_count() == 2); // the graph of mul's result uses w
  // Releasing the product keeps its values in the loss's graph (G2).
  store.release(mul.result, mul.holder, object_store::clock::now(), out);
  CHECK(store.size() == 3);
  REQUIRE(
    store
      .execute(exec_request(opcode::backward, ids, {operand{sum.result}}, true),
               ids, out)
      .what == exec_outcome::kind::done);
  CHECK(grad(store.find(w)->as_tensor())->equal(tensor{4.0, 5.0, 6.0}));
  // Values leaving the store carry no graph (G1).
  auto listing = store.listing();
  for (auto& entry : listing.entries)
    CHECK_FALSE(entry.second.as_tensor().grad_meta());
  // Releasing the loss frees the whole graph: w's record is w's alone.
  store.release(sum.result, sum.holder, object_store::clock::now(), out);
  CHECK(store.size() == 2);
  CHECK(meta.use_count() == 1);
  CHECK(grad(store.find(w)->as_tensor())->equal(tensor{4.0, 5.0, 6.0}));
  auto taken = store.take(w, w_holder, ids, out);
  CHECK_FALSE(taken.value.as_tensor().grad_meta());
  CHECK(store.size() == 1);
}

TEST_CASE("remote autograd: a gradient of bob's private rows leaves only "
          "with bob's grant, even of a released loss",
          "[remote_autograd][access]") {
  access_config cfg;
  cfg.admins = {"bob_admin"};
  cfg.aggregate_min_rows = 16;
  auto owner = as("model_owner");
  for (int64_t rows : {8, 32}) {
    DYNAMIC_SECTION(rows << " rows") {
      object_store store{"bob", {}, cfg};
      id_generator ids{0xb0b};
      outbox out;
      auto put = [&](tensor t, object_policy p) {
        auto id = ids.next();
        REQUIRE_FALSE(store.insert(id, stored_value{std::move(t), std::move(p)},
                                   ids.next(), out));
        return id;
      };
      auto x = put(uniform(shape{rows, 3}, 7), private_data("bob"));
      auto y = put(uniform(shape{rows, 1}, 8), private_data("bob"));
      auto w = put(uniform(shape{3, 1}, 9), owned_by("model_owner"));
      exec_outcome last;
      // Runs `op` for `who` (the model owner by default); returns the
      // result id and keeps the outcome in `last`.
      auto exec = [&](opcode op, std::vector<operand> args,
                      bool in_place = false, const requester& who = {}) {
        auto req = exec_request(op, ids, std::move(args), in_place);
        last = store.execute(req, ids, out, who.name.empty() ? owner : who);
        return req.result;
      };
      exec(opcode::requires_grad, {operand{w}}, true);
      REQUIRE(last.what == exec_outcome::kind::done);
      auto p = exec(opcode::matmul, {operand{x}, operand{w}});
      auto d = exec(opcode::sub, {operand{p}, operand{y}});
      auto sq = exec(opcode::mul, {operand{d}, operand{d}});
      auto loss = exec(opcode::mean, {operand{sq}});
      REQUIRE(last.what == exec_outcome::kind::done);
      // Another principal may not run backward into model_owner's w.
      exec(opcode::backward, {operand{loss}}, true, as("intruder"));
      CHECK(is(last.error, errc::not_permitted));
      exec(opcode::backward, {operand{loss}}, true);
      REQUIRE(last.what == exec_outcome::kind::done);
      auto g = exec(opcode::grad, {operand{w}});
      REQUIRE(store.find(g));
      auto err = store.permits(g, owner, right::take, "get");
      auto& policy = store.find(g)->policy;
      CHECK(policy.sources.size() == 2); // bob:x, bob:y
      CHECK(is(err, errc::not_permitted));
      CHECK(policy.guarded());
      // The loss over 32 rows is released as an aggregate; its gradient is
      // not (G3).
      CHECK(store.find(loss)->policy.released.empty() == (rows < 16));
      // bob's admin may release it (A2): grant take to the model owner.
      REQUIRE_FALSE(store.permit(grant{g, right::take, "model_owner"},
                                 as("bob_admin", true)));
      CHECK_FALSE(store.permits(g, owner, right::take, "get"));
      CHECK(store.find(g)->as_tensor().allclose(
        local_grad(store.find(x)->as_tensor(), store.find(w)->as_tensor(),
                   store.find(y)->as_tensor()),
        0.0, 1e-9));
    }
  }
}
