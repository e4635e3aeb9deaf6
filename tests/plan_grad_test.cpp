// Backward plans (plan_grad.hpp): a plan differentiated w.r.t. chosen
// inputs gives local autograd's gradients (float64, 1e-9); run on a worker
// it trains a model with one message per step carrying forward and
// backward ([nodes]), and the messages per step with and without it are
// counted.

#include <iostream>

#include "fixture.hpp"
#include "uniform_tensor.hpp"

#include "workers/autograd.hpp"
#include "workers/object_store.hpp"
#include "workers/plan_grad.hpp"
#include "workers/pointer.hpp"
#include "workers/remote_autograd.hpp"
#include "workers/remote_plan.hpp"

using namespace workers;
using namespace workers::test;
using Catch::Matchers::Contains;

namespace {

bool close(const tensor& x, const tensor& y) {
  return x.shape() == y.shape() && x.dtype() == y.dtype() &&
         x.allclose(y, 0.0, 1e-9);
}

// A two-layer classifier's cross-entropy on tensors or plan_vars alike:
// inputs x [n, 4], one-hot targets t [n, 3], w1 [4, 5], b1 [5], w2 [5, 3].
template <class T>
T classifier_loss(const T& x, const T& t, const T& w1, const T& b1,
                  const T& w2) {
  auto h = (x.matmul(w1) + b1).relu();
  auto logp = (h.matmul(w2) * 0.5).log_softmax(1);
  return -(logp * t).sum() / 6.0;
}

// The mean squared error of a linear model.
template <class T>
T mse(const T& x, const T& w, const T& y) {
  auto d = x.matmul(w) - y;
  return (d * d).mean();
}

plan mse_plan() {
  plan_builder b{"mse"};
  auto x = b.input();
  auto y = b.input();
  auto w = b.input();
  b.output(mse(x, w, y));
  return b.finish();
}

} // namespace

TEST_CASE("backward plan: the same gradients as local autograd",
          "[plan][plan_grad]") {
  plan_builder b{"classifier"};
  auto x = b.input();
  auto t = b.input();
  auto w1 = b.input();
  auto b1 = b.input();
  auto w2 = b.input();
  b.output(classifier_loss(x, t, w1, b1, w2));
  auto forward = b.finish();
  auto tx = uniform(shape{6, 4}, 1);
  auto tt = tensor{{1.0f, 0.0f, 0.0f}, {0.0f, 1.0f, 0.0f}, {0.0f, 0.0f, 1.0f},
                   {1.0f, 0.0f, 0.0f}, {0.0f, 1.0f, 0.0f}, {0.0f, 0.0f, 1.0f}}
              .cast(dtype::float64);
  std::vector<tensor> params{uniform(shape{4, 5}, 2), uniform(shape{5}, 3),
                             uniform(shape{5, 3}, 4)};
  auto step = backward_plan(forward, {tx, tt, params[0], params[1], params[2]},
                            0, {2, 3, 4});
  REQUIRE(step);
  CHECK(step->name == "classifier_backward");
  CHECK(step->inputs == 5);
  REQUIRE(step->outputs.size() == 4);
  auto out = run_plan(*step, {tx, tt, params[0], params[1], params[2]});
  REQUIRE(out);
  std::vector<tensor> leaves;
  for (auto& p : params)
    leaves.push_back(requires_grad(p));
  auto loss = classifier_loss(tx, tt, leaves[0], leaves[1], leaves[2]);
  REQUIRE_FALSE(backward(loss));
  CHECK(close((*out)[0], detach(loss)));
  for (size_t i = 0; i < leaves.size(); ++i) {
    INFO("parameter " << i);
    CHECK(close((*out)[i + 1], *grad(leaves[i])));
  }
  // An input the loss does not depend on gets zeros (B3); plans check.
  plan_builder c{"partial"};
  auto u = c.input();
  auto v = c.input();
  c.output((u * 3.0).sum());
  c.output(v);
  auto partial = backward_plan(c.finish(), {tx, tx}, 0, {0, 1});
  REQUIRE(partial);
  auto pout = run_plan(*partial, {tx, tx});
  REQUIRE(pout);
  CHECK(close((*pout)[2], tensor::full(shape{6, 4}, 3.0, dtype::float64)));
  CHECK(close((*pout)[3], tensor::zeros(shape{6, 4}, dtype::float64)));
  CHECK_FALSE(validate(*partial));
}

TEST_CASE("backward plan: bad requests are refused with the reason",
          "[plan][plan_grad]") {
  auto p = mse_plan();
  auto tx = uniform(shape{4, 3}, 1);
  auto ty = uniform(shape{4, 1}, 2);
  auto tw = uniform(shape{3, 1}, 3);
  auto err = backward_plan(p, {tx, ty, tw}, 1, {2}).error();
  CHECK(is(err, errc::bad_argument));
  CHECK_THAT(message_of(err), Contains("mse") && Contains("output 1"));
  err = backward_plan(p, {tx, ty, tw}, 0, {3}).error();
  CHECK_THAT(message_of(err), Contains("input 3"));
  err = backward_plan(p, {tx, ty}, 0, {2}).error();
  CHECK(is(err, errc::bad_argument)); // the example run fails
  plan_builder b{"vector"};
  auto x = b.input();
  b.output(x * 2.0);
  err = backward_plan(b.finish(), {tx}, 0, {0}).error();
  CHECK_THAT(message_of(err),
             Contains("not one floating element") && Contains("[4, 3]"));
  // Autograd requests are no plan steps.
  plan bad{
    "bad", 1, {plan_step{opcode::backward, {plan_arg{0, false, {}}}, {}}}, {1}};
  CHECK_THAT(message_of(validate(bad)), Contains("autograd request"));
}

TEST_CASE("backward plan: gradients of private rows leave only through an "
          "approved plan",
          "[plan_grad][access]") {
  access_config cfg;
  cfg.aggregate_min_rows = 16; // 8 rows: no aggregate releases the loss
  object_store store{"bob", {}, cfg};
  id_generator ids{0xb0b};
  outbox out;
  auto put = [&](tensor t, object_policy p) {
    auto id = ids.next();
    REQUIRE_FALSE(store.insert(id, stored_value{std::move(t), std::move(p)},
                               ids.next(), out));
    return id;
  };
  auto tx = uniform(shape{8, 3}, 1);
  auto ty = uniform(shape{8, 1}, 2);
  auto tw = uniform(shape{3, 1}, 3);
  auto x = put(tx, private_data("bob"));
  auto y = put(ty, private_data("bob"));
  auto w = put(tw, owned_by("model_owner"));
  auto step = backward_plan(mse_plan(), {tx, ty, tw}, 0, {2});
  REQUIRE(step);
  requester owner;
  owner.name = "model_owner";
  auto lw = requires_grad(tw);
  REQUIRE_FALSE(backward(mse(tx, lw, ty)));
  for (bool approved : {false, true}) {
    INFO((approved ? "approved" : "not approved"));
    plan_run r{ids.next(),
               {x, y, w},
               {ids.next(), ids.next()},
               {ids.next(), ids.next()},
               {}};
    auto done =
      store.run(*step, r, out, owner, approved ? "approved plan (test)" : "");
    REQUIRE(done.what == exec_outcome::kind::done);
    auto g = r.outputs[1];
    CHECK(close(store.find(g)->as_tensor(), *grad(lw)));
    auto err = store.permits(g, owner, right::take, "get");
    CHECK(is(err, errc::not_permitted) == !approved);
    CHECK(store.find(g)->policy.sources.size() == 2); // bob:x, bob:y
  }
  CHECK(store.size() == 7); // x, y, w and two runs' loss and gradient
}

TEST_CASE_METHOD(two_workers,
                 "backward plan: one run per training step on bob, and the "
                 "messages per step",
                 "[plan_grad][remote_autograd][nodes]") {
  auto tx = uniform(shape{8, 3}, 21);
  auto ty = uniform(shape{8, 1}, 22);
  auto tw = uniform(shape{3, 1}, 23);
  auto x = tx.send(bob);
  auto y = ty.send(bob);
  const double lr = 0.1;
  const int steps = 5;
  // Local reference: steps of SGD with local autograd.
  auto local_w = tw;
  for (int i = 0; i < steps; ++i) {
    auto lw = requires_grad(local_w);
    REQUIRE_FALSE(backward(mse(tx, lw, ty)));
    local_w = local_w - *grad(lw) * lr;
  }
  auto messages = [&] { return bob.stats().messages; };
  // With autograd on pointers: forward ops, backward, grad, update.
  auto w = requires_grad(tw).send(bob);
  CHECK(counts() == std::vector<uint64_t>{3, 0, 0});
  auto before = messages();
  for (int i = 0; i < steps; ++i) {
    auto loss = mse(x, w, y);
    loss.backward();
    w -= w.grad() * lr;
    w.zero_grad();
  }
  CHECK(counts() == std::vector<uint64_t>{3, 0, 0});
  auto pointer_messages = messages() - before; // stats are not counted
  CHECK(close(w.copy().get(), local_w));
  // With the backward plan: one run gives loss and gradient, then update.
  auto step = backward_plan(mse_plan(), {tx, ty, tw}, 0, {2});
  REQUIRE(step);
  auto remote_step = bob.define(*step);
  auto w2 = tw.send(bob);
  CHECK(counts() == std::vector<uint64_t>{4, 0, 0});
  before = messages();
  for (int i = 0; i < steps; ++i) {
    auto out = remote_step.run({x, y, w2}); // {loss, d loss / d w}
    w2 -= out[1] * lr;
  }
  CHECK(counts() == std::vector<uint64_t>{4, 0, 0});
  auto plan_messages = messages() - before;
  CHECK(close(w2.copy().get(), local_w));
  std::cout << "messages per training step at bob (mse, 8x3): autograd on "
               "pointers "
            << static_cast<double>(pointer_messages) / steps
            << ", backward plan " << static_cast<double>(plan_messages) / steps
            << "\n";
  CHECK(plan_messages < pointer_messages);
}
