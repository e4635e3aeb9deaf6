// Reverse-mode autograd (autograd.hpp, grad_rules.hpp): every rule against
// central finite differences in float64, the closed-form gradients of the
// shipped models, the recording switches, errors, a backward plan recorded
// by the same rules, and a short training loop.

#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "tiny_model.hpp"
#include "uniform_tensor.hpp"
#include "workers/autograd.hpp"
#include "workers/error.hpp"
#include "workers/fl/models.hpp"
#include "workers/grad_rules.hpp"
#include "workers/plan.hpp"
#include "workers/tensor.hpp"

using namespace workers;
using workers::test::tiny;
using workers::test::uniform;

namespace {

// Values in +-[0.2, 1): away from the kinks of abs and relu at 0.
tensor away_from_zero(shape s, uint64_t seed) {
  auto x = uniform(s, seed, 0.2, 1.0);
  auto sign = uniform(s, seed + 1);
  auto p = x.mutable_data<double>();
  auto q = sign.data<double>();
  for (int64_t i = 0; i < x.numel(); ++i)
    if (q[i] < 0)
      p[i] = -p[i];
  return x;
}

using function = std::function<tensor(const std::vector<tensor>&)>;

// Checks the gradients autograd gives for sum(f(xs) * w), with random
// weights w, against central differences (float64, step 1e-6), to a
// relative tolerance of 1e-6 (absolute 1e-6 near zero).
void check_gradients(const function& f, const std::vector<tensor>& xs,
                     uint64_t seed = 1) {
  std::vector<tensor> leaves;
  for (auto& x : xs)
    leaves.push_back(requires_grad(x));
  auto out = f(leaves);
  REQUIRE(tracks_grad(out));
  auto w = uniform(out.shape(), seed + 1000);
  auto err = backward((out * w).sum());
  INFO(render(err));
  REQUIRE(!err);
  auto value = [&](const std::vector<tensor>& ys) {
    return (f(ys) * w).sum().item<double>();
  };
  const double h = 1e-6;
  for (size_t j = 0; j < xs.size(); ++j) {
    INFO("operand " << j << " of shape " << to_string(xs[j].shape()));
    auto g = grad(leaves[j]);
    REQUIRE(g);
    REQUIRE(g->shape() == xs[j].shape());
    REQUIRE(g->dtype() == xs[j].dtype());
    auto analytic = g->to_vector<double>();
    for (int64_t i = 0; i < xs[j].numel(); ++i) {
      auto up = xs;
      auto down = xs;
      up[j].mutable_data<double>()[i] += h;
      down[j].mutable_data<double>()[i] -= h;
      auto numeric = (value(up) - value(down)) / (2 * h);
      INFO("element " << i);
      CHECK(analytic[static_cast<size_t>(i)] ==
            Approx(numeric).epsilon(1e-6).margin(1e-6));
    }
  }
}

// f(x, y) for a binary opcode through op_api.
function binary(opcode op) {
  return [op](const std::vector<tensor>& xs) {
    return xs[0].apply_binary(op, xs[1]);
  };
}

std::vector<opcode> arithmetic() {
  return {opcode::add, opcode::sub, opcode::mul, opcode::div};
}

bool close(const tensor& x, const tensor& y, double atol) {
  return x.allclose(y, 0.0, atol);
}

std::string message(const caf::error& err) {
  return render(err);
}

tensor batch(int64_t n, int64_t features, uint64_t seed) {
  return uniform(shape{n, features}, seed).cast(dtype::float32);
}

} // namespace

TEST_CASE("autograd: add, sub, mul and div broadcast like their gradients",
          "[autograd]") {
  struct operands {
    shape x;
    shape y;
  };
  std::vector<operands> cases{{{2, 3}, {2, 3}},    {{2, 3}, {3}},
                              {{3}, {2, 3}},       {{2, 1}, {1, 3}},
                              {{4, 1, 3}, {2, 1}}, {{}, {2, 3}},
                              {{2, 3}, {}},        {{2, 1, 3}, {1, 2, 1, 1}}};
  for (auto op : arithmetic()) {
    for (auto& c : cases) {
      INFO(to_string(op) << " " << to_string(c.x) << " " << to_string(c.y));
      // Divisors stay in [0.5, 1.5): far from the pole at 0.
      auto y = op == opcode::div ? uniform(c.y, 3, 0.5, 1.5) : uniform(c.y, 3);
      check_gradients(binary(op), {uniform(c.x, 2), y});
    }
  }
}

TEST_CASE("autograd: number literals are constants", "[autograd]") {
  auto x = uniform(shape{2, 3}, 4, 0.5, 1.5);
  check_gradients([](auto& xs) { return xs[0] * 3 + 2; }, {x});
  check_gradients([](auto& xs) { return 1.5 - xs[0] / 4; }, {x});
  check_gradients([](auto& xs) { return 2 / xs[0]; }, {x});
  // float32 operands with a float64 literal: the gradient stays float32.
  auto w = requires_grad(tensor{1.0f, 2.0f});
  REQUIRE(!backward((w * 2.5).sum()));
  CHECK(grad(w)->equal(tensor{2.5f, 2.5f}));
}

TEST_CASE("autograd: elementwise unary operations", "[autograd]") {
  auto s = shape{3, 4};
  check_gradients([](auto& xs) { return xs[0].neg(); }, {uniform(s, 5)});
  check_gradients([](auto& xs) { return xs[0].abs(); }, {away_from_zero(s, 6)});
  check_gradients([](auto& xs) { return xs[0].exp(); }, {uniform(s, 7)});
  check_gradients([](auto& xs) { return xs[0].log(); },
                  {uniform(s, 8, 0.5, 2.0)});
  check_gradients([](auto& xs) { return xs[0].relu(); },
                  {away_from_zero(s, 9)});
  // A variable used twice, and a diamond: gradients add up.
  check_gradients([](auto& xs) { return xs[0] * xs[0].exp(); },
                  {uniform(s, 10)});
  check_gradients(
    [](auto& xs) {
      auto e = xs[0].exp();
      return (e + e * xs[1]).log();
    },
    {uniform(s, 11), uniform(s, 12, 0.5, 1.0)});
  // At the kinks the derivative is 0 (A7).
  auto k =
    requires_grad(tensor::from_vector(std::vector<double>{0.0, 0.0}, shape{2}));
  REQUIRE(!backward(k.relu().sum() + k.abs().sum()));
  CHECK(grad(k)->equal(tensor::zeros(shape{2}, dtype::float64)));
}

TEST_CASE("autograd: matmul and transpose", "[autograd]") {
  check_gradients([](auto& xs) { return xs[0].matmul(xs[1]); },
                  {uniform(shape{3, 4}, 13), uniform(shape{4, 2}, 14)});
  check_gradients([](auto& xs) { return xs[0].transpose(); },
                  {uniform(shape{3, 4}, 15)});
  check_gradients(
    [](auto& xs) { return xs[0].transpose().matmul(xs[0]) + xs[1]; },
    {uniform(shape{3, 2}, 16), uniform(shape{2}, 17)});
}

TEST_CASE("autograd: sum, mean and max over all axes and along each axis",
          "[autograd]") {
  auto x = uniform(shape{2, 3, 4}, 18);
  check_gradients([](auto& xs) { return xs[0].sum(); }, {x});
  check_gradients([](auto& xs) { return xs[0].mean(); }, {x});
  check_gradients([](auto& xs) { return xs[0].max(); }, {x});
  for (int64_t axis : {0, 1, 2, -1}) {
    for (bool keep : {false, true}) {
      INFO("axis " << axis << (keep ? " keepdims" : ""));
      check_gradients([=](auto& xs) { return xs[0].sum(axis, keep); }, {x});
      check_gradients([=](auto& xs) { return xs[0].mean(axis, keep); }, {x});
      check_gradients([=](auto& xs) { return xs[0].max(axis, keep); }, {x});
    }
  }
  // All axes with keepdims (only through evaluate's attributes).
  op_attrs all;
  all.keepdims = true;
  check_gradients([&](auto& xs) { return xs[0].apply_unary(opcode::sum, all); },
                  {x});
  check_gradients([&](auto& xs) { return xs[0].apply_unary(opcode::max, all); },
                  {x});
  check_gradients([](auto& xs) { return xs[0].sum(); }, {uniform(shape{}, 19)});
}

TEST_CASE("autograd: max splits the gradient between ties", "[autograd]") {
  auto x = requires_grad(
    tensor::from_vector(std::vector<double>{1, 3, 3, 2, 5, 0}, shape{2, 3}));
  REQUIRE(!backward(x.max(1).sum() + x.max()));
  // Row 0: two maxima share 1; row 1: 5 is the row's and the overall max.
  auto expected =
    tensor::from_vector(std::vector<double>{0, 0.5, 0.5, 0, 2, 0}, shape{2, 3});
  CHECK(grad(x)->equal(expected));
}

TEST_CASE("autograd: softmax and log_softmax along each axis", "[autograd]") {
  for (auto s : {shape{3, 4}, shape{2, 3, 4}}) {
    auto x = uniform(s, 20) * 3;
    for (int64_t axis : {0, 1, -1}) {
      INFO(to_string(s) << " axis " << axis);
      check_gradients([=](auto& xs) { return xs[0].softmax(axis); }, {x});
      check_gradients([=](auto& xs) { return xs[0].log_softmax(axis); }, {x});
    }
  }
  op_attrs all; // over every element
  check_gradients(
    [&](auto& xs) { return xs[0].apply_unary(opcode::softmax, all); },
    {uniform(shape{2, 3}, 21)});
  check_gradients(
    [&](auto& xs) { return xs[0].apply_unary(opcode::log_softmax, all); },
    {uniform(shape{2, 3}, 22)});
}

TEST_CASE("autograd: reshape and narrow", "[autograd]") {
  auto x = uniform(shape{3, 4, 5}, 23);
  check_gradients([](auto& xs) { return xs[0].reshape({-1, 5}); }, {x});
  check_gradients([](auto& xs) { return xs[0].reshape({60}); }, {x});
  check_gradients([](auto& xs) { return xs[0].sum().reshape({1, 1}); }, {x});
  // Along the first, a middle and the last axis; a negative start; the
  // whole axis; nothing.
  check_gradients([](auto& xs) { return xs[0].narrow(0, 1, 2); }, {x});
  check_gradients([](auto& xs) { return xs[0].narrow(1, 1, 2); }, {x});
  check_gradients([](auto& xs) { return xs[0].narrow(2, -3, 2); }, {x});
  check_gradients([](auto& xs) { return xs[0].narrow(-1, 0, 5); }, {x});
  check_gradients([](auto& xs) { return xs[0].narrow(1, 2, 0).sum() + xs[0]; },
                  {x});
  check_gradients([](auto& xs) { return xs[0].narrow(0, 2, 3); },
                  {uniform(shape{5}, 24)});
}

TEST_CASE("autograd: select pads the gradient back at its index (R6)",
          "[autograd]") {
  auto x = uniform(shape{3, 4, 5}, 25);
  // Every axis, first, middle and last indices, negative ones; x[i].
  for (int64_t axis : {0, 1, 2, -1})
    for (int64_t index : {0, 2, -1}) {
      INFO("axis " << axis << ", index " << index);
      check_gradients([&](auto& xs) { return xs[0].select(axis, index); }, {x});
    }
  check_gradients([](auto& xs) { return xs[0][1] * xs[0][-1]; }, {x});
  check_gradients([](auto& xs) { return xs[0][2]; }, {uniform(shape{4}, 26)});
  check_gradients([](auto& xs) { return xs[0][0][1] + xs[0][1][0]; },
                  {uniform(shape{2, 2}, 27)});
  // Each row's gradient lands in its row: d/dy sum(y[1] * w).
  auto y = requires_grad(tensor{{1.0f, 2.0f}, {3.0f, 4.0f}});
  REQUIRE(!backward((y[1] * tensor{10.0f, 20.0f}).sum()));
  CHECK(grad(y)->equal(tensor{{0.0f, 0.0f}, {10.0f, 20.0f}}));
  CHECK(is_differentiable(opcode::select));
}

TEST_CASE("autograd: copy, sort and topk scatter back to the sources",
          "[autograd]") {
  auto x = uniform(shape{3, 4, 5}, 40);
  check_gradients([](auto& xs) { return xs[0].copy(); }, {x});
  // Along the first, a middle and the last axis, both orders.
  for (int64_t axis : {0, 1, 2, -1})
    for (bool descending : {false, true}) {
      INFO("axis " << axis << (descending ? ", descending" : ""));
      check_gradients([&](auto& xs) { return xs[0].sort(axis, descending); },
                      {x});
      check_gradients([&](auto& xs) { return xs[0].topk(2, axis, descending); },
                      {x});
    }
  check_gradients([](auto& xs) { return xs[0].topk(0); }, {x});
  check_gradients([](auto& xs) { return xs[0].topk(5) * xs[0].sort(); }, {x});
  check_gradients([](auto& xs) { return xs[0].sort(); },
                  {uniform(shape{6}, 41)});
  // argsort's indices and zeros_like are constants (R2).
  auto y = requires_grad(tensor{0.5f, -1.0f, 2.0f});
  CHECK(!tracks_grad(y.argsort()));
  CHECK(!tracks_grad(y.zeros_like()));
  CHECK(!is_differentiable(opcode::argsort));
  CHECK(!is_differentiable(opcode::zeros_like));
  // Each value's gradient lands where it came from: d/dy sum(topk(y, 2) * w).
  REQUIRE(!backward((y.topk(2) * tensor{10.0f, 1.0f}).sum()));
  CHECK(grad(y)->equal(tensor{1.0f, 0.0f, 10.0f}));
}

TEST_CASE("autograd: in-place operations record like their out-of-place "
          "forms",
          "[autograd]") {
  auto x = requires_grad(tensor{1.0, 2.0});
  auto h = x * 1;
  h *= x;   // h = x * x
  h += 3.0; // h = x * x + 3
  REQUIRE(!backward(h.sum()));
  CHECK(grad(x)->equal(tensor{2.0, 4.0}));
}

TEST_CASE("autograd: cast passes gradients between float dtypes",
          "[autograd]") {
  check_gradients([](auto& xs) { return xs[0].cast(dtype::float64) * 2; },
                  {uniform(shape{2, 2}, 25)});
  auto x = requires_grad(tensor{1.5f, -2.0f, 3.0f});
  auto w = tensor::from_vector(std::vector<double>{1, 2, 3});
  REQUIRE(!backward((x.cast(dtype::float64) * w).sum()));
  CHECK(grad(x)->equal(tensor{1.0f, 2.0f, 3.0f})); // float32, like x
  // To int64: no gradient (A3).
  CHECK(!tracks_grad(x.cast(dtype::int64)));
  CHECK(!tracks_grad(x.cast(dtype::int64).cast(dtype::float32)));
}

TEST_CASE("autograd: non-differentiable operations give constants",
          "[autograd]") {
  auto x = requires_grad(tensor{0.4f, 1.6f, -2.2f});
  CHECK(!tracks_grad(x.eq(x)));
  CHECK(!tracks_grad(x.gt(0)));
  CHECK(!tracks_grad(x.lt(x)));
  CHECK(!tracks_grad(x.argmax()));
  CHECK(!tracks_grad(x.argmax(0)));
  CHECK(!tracks_grad(x.round()));
  CHECK(!tracks_grad(x.random_like()));
  CHECK(!tracks_grad(x.gt(0).one_hot(2)));
  for (auto op : {opcode::eq, opcode::gt, opcode::lt, opcode::argmax,
                  opcode::one_hot, opcode::round, opcode::random_like})
    CHECK(!is_differentiable(op));
  // d/dx (x * round(x)) = round(x): round is a constant here.
  REQUIRE(!backward((x * x.round()).sum()));
  CHECK(grad(x)->equal(tensor{0.0f, 2.0f, -2.0f}));
  // A result computed only from constants does not require grad.
  auto y = x.gt(0).cast(dtype::float32) * 2;
  CHECK(!tracks_grad(y));
  auto err = backward(y.sum());
  CHECK(is(err, errc::bad_argument));
  CHECK(message(err).find("does not require grad") != std::string::npos);
}

TEST_CASE("autograd: tensors that do not require grad are untouched",
          "[autograd]") {
  tensor x{1.0f, 2.0f};
  auto y = (x * 2 + x).exp().sum(0);
  CHECK(!tracks_grad(x));
  CHECK(!tracks_grad(y));
  CHECK(y.grad_meta() == nullptr);
  CHECK(!grad(x));
  auto err = backward(y);
  CHECK(is(err, errc::bad_argument));
  // Same values with and without recording.
  auto w = requires_grad(x);
  CHECK(((w * 2 + w).exp().sum(0)).equal(y));
  CHECK(is_leaf(w));
  CHECK(!is_leaf(w * 2));
  CHECK(!tracks_grad(detach(w * 2)));
  CHECK(!tracks_grad(requires_grad(w, false)));
  CHECK_THROWS_AS(requires_grad(tensor{1, 2}), operation_error);
}

TEST_CASE("autograd: no_grad scopes stop recording on this thread",
          "[autograd]") {
  auto w = requires_grad(tensor{1.0f, 2.0f});
  CHECK(grad_enabled());
  {
    no_grad outer;
    CHECK(!grad_enabled());
    {
      no_grad inner;
      CHECK(!tracks_grad(w * 2));
    }
    CHECK(!grad_enabled());
    auto y = w * 2;
    CHECK(!tracks_grad(y));
    // Not even an operand's record leaks through an identity operation.
    CHECK(!tracks_grad(w.cast(dtype::float32)));
  }
  CHECK(grad_enabled());
  CHECK(tracks_grad(w * 2));
}

TEST_CASE("autograd: zero_grad, accumulation and reusing a graph",
          "[autograd]") {
  auto w = requires_grad(tensor{1.0f, 2.0f});
  auto loss = (w * w).sum();
  REQUIRE(!backward(loss));
  CHECK(grad(w)->equal(tensor{2.0f, 4.0f}));
  // The graph is kept: a second backward adds the same gradient again (A5).
  REQUIRE(!backward(loss));
  CHECK(grad(w)->equal(tensor{4.0f, 8.0f}));
  zero_grad(std::vector<tensor>{w});
  CHECK(!grad(w));
  REQUIRE(!backward(loss));
  CHECK(grad(w)->equal(tensor{2.0f, 4.0f}));
  // Copies are handles of the same variable (A2).
  auto copy = w;
  CHECK(grad(copy)->equal(tensor{2.0f, 4.0f}));
  zero_grad(copy);
  CHECK(!grad(w));
  // Only leaves hold gradients.
  CHECK(!grad(loss));
}

TEST_CASE("autograd: backward needs a scalar or a seed of the right shape",
          "[autograd]") {
  auto w = requires_grad(tensor{{1.0f, 2.0f, 3.0f}, {4.0f, 5.0f, 6.0f}});
  auto y = w * 3;
  auto err = backward(y);
  CHECK(is(err, errc::shape_mismatch));
  CHECK(message(err).find("[2, 3]") != std::string::npos);
  CHECK(message(err).find("not a scalar") != std::string::npos);
  CHECK(!grad(w)); // nothing accumulated on failure
  err = backward(y, tensor{1.0f, 2.0f});
  CHECK(is(err, errc::shape_mismatch));
  CHECK(message(err).find("seed") != std::string::npos);
  // A float64 seed is converted to the tensor's dtype.
  auto seed = tensor::full(shape{2, 3}, 2.0, dtype::float64);
  REQUIRE(!backward(y, seed));
  CHECK(grad(w)->equal(tensor::full(shape{2, 3}, 6.0)));
}

TEST_CASE("autograd: the shipped models' closed-form gradients", "[autograd]") {
  tensor labels{0, 2, 1, 2, 0, 1};
  for (auto kind : {model_kind::softmax, model_kind::mlp}) {
    INFO(to_string(kind));
    auto m = tiny(kind);
    auto params = init_params(m, 7);
    for (size_t j = 1; j < params.size(); j += 2)
      params[j] = params[j] + 0.1; // non-zero biases
    auto x = batch(6, m.features, 3);
    auto expected = gradients(m, params, x, labels);
    std::vector<tensor> leaves;
    for (auto& p : params)
      leaves.push_back(requires_grad(p));
    auto l = loss(m, forward(m, leaves, x), labels);
    CHECK(detach(l).equal(expected.loss));
    REQUIRE(!backward(l));
    for (size_t j = 0; j < params.size(); ++j) {
      INFO("parameter " << j);
      auto g = grad(leaves[j]);
      REQUIRE(g);
      CHECK(g->dtype() == dtype::float32);
      CHECK(close(*g, expected.params[j], 1e-6));
    }
  }
}

TEST_CASE("autograd: the same rules record a backward plan", "[autograd]") {
  // z = x.matmul(w) + b; the plan computes dz/dx, dz/dw, dz/db for seed g.
  shape sx{3, 4}, sw{4, 2}, sb{2}, sz{3, 2};
  plan_builder b{"matmul_add_backward"};
  auto x = b.input();
  auto w = b.input();
  auto bias = b.input();
  auto g = b.input();
  auto y = x.matmul(w);
  auto z = y + bias;
  op_record<plan_var> add{
    opcode::add, {}, {y, bias}, {sz, sb}, {dtype::float64, dtype::float64},
    z,           sz};
  auto add_grads = input_grads(add, g, {true, true});
  op_record<plan_var> mm{opcode::matmul,
                         {},
                         {x, w},
                         {sx, sw},
                         {dtype::float64, dtype::float64},
                         y,
                         sz};
  auto mm_grads = input_grads(mm, *add_grads[0], {true, true});
  b.output(*mm_grads[0]);
  b.output(*mm_grads[1]);
  b.output(*add_grads[1]);
  auto p = b.finish();
  auto tx = uniform(sx, 26);
  auto tw = uniform(sw, 27);
  auto tb = uniform(sb, 28);
  auto tg = uniform(sz, 29);
  auto planned = run_plan(p, {tx, tw, tb, tg});
  REQUIRE(planned);
  std::vector<tensor> leaves{requires_grad(tx), requires_grad(tw),
                             requires_grad(tb)};
  REQUIRE(!backward(leaves[0].matmul(leaves[1]) + leaves[2], tg));
  for (size_t i = 0; i < leaves.size(); ++i)
    CHECK((*planned)[i].equal(*grad(leaves[i])));
}

TEST_CASE("autograd: the sort rule records a backward plan", "[autograd]") {
  // z = topk(x, 2, axis 0); the plan computes dz/dx for seed g.
  shape sx{4, 3}, sz{2, 3};
  plan_builder b{"topk_backward"};
  auto x = b.input();
  auto g = b.input();
  op_attrs attrs;
  attrs.axis = 0;
  attrs.descending = true;
  attrs.k = 2;
  auto z = x.topk(2, 0);
  op_record<plan_var> r{opcode::topk,     attrs, {x}, {sx},
                        {dtype::float64}, z,     sz};
  b.output(*input_grads(r, g, {true})[0]);
  auto p = b.finish();
  auto tx = uniform(sx, 42);
  auto tg = uniform(sz, 43);
  auto planned = run_plan(p, {tx, tg});
  REQUIRE(planned);
  auto leaf = requires_grad(tx);
  REQUIRE(!backward(leaf.topk(2, 0), tg));
  CHECK((*planned)[0].equal(*grad(leaf)));
}

TEST_CASE("autograd: SGD on a two-layer MLP lowers the loss", "[autograd]") {
  // 64 samples, 4 features, 3 classes given by a random linear map.
  auto x = batch(64, 4, 30);
  auto teacher = batch(4, 3, 31);
  auto labels = x.matmul(teacher).argmax(1);
  auto y = labels.one_hot(3);
  std::vector<tensor> params{requires_grad(batch(4, 16, 32) * 0.5),
                             requires_grad(tensor::zeros(shape{16})),
                             requires_grad(batch(16, 3, 33) * 0.5),
                             requires_grad(tensor::zeros(shape{3}))};
  auto step_loss = [&] {
    auto h = (x.matmul(params[0]) + params[1]).relu();
    auto logits = h.matmul(params[2]) + params[3];
    return (y * logits.log_softmax(1)).sum().neg() / 64;
  };
  std::vector<double> losses;
  for (int step = 0; step < 30; ++step) {
    zero_grad(params);
    auto l = step_loss();
    losses.push_back(l.item<double>());
    REQUIRE(!backward(l));
    no_grad guard;
    for (auto& p : params)
      p = requires_grad(p - *grad(p) * 0.5);
  }
  INFO("first " << losses.front() << ", last " << losses.back());
  CHECK(losses.back() < 0.7 * losses.front());
  for (size_t i = 1; i < losses.size(); ++i)
    CHECK(losses[i] <= losses[i - 1] + 1e-3);
}

TEST_CASE("autograd: long chains go backward and are freed without recursion",
          "[autograd]") {
  auto x = requires_grad(tensor{1.0f});
  {
    auto y = x;
    for (int i = 0; i < 100000; ++i)
      y = y * 1.0 + 0.0;
    REQUIRE(!backward(y.sum()));
    CHECK(grad(x)->equal(tensor{1.0f}));
  } // the chain of 200000 nodes dies here
  CHECK(is_leaf(x));
}

TEST_CASE("autograd: unbroadcast refuses shapes that do not broadcast",
          "[autograd]") {
  auto g = tensor::zeros(shape{2, 3});
  CHECK(unbroadcast(g, shape{2, 3}, shape{1, 3}).shape() == shape{1, 3});
  CHECK(unbroadcast(g, shape{2, 3}, shape{}).shape() == shape{});
  try {
    unbroadcast(g, shape{2, 3}, shape{4});
    FAIL("no error");
  } catch (const operation_error& e) {
    CHECK(e.is(errc::shape_mismatch));
    CHECK(render(e.error()).find("[4]") != std::string::npos);
  }
}
