// Shipped models trained with autograd (training_step.hpp, sgd.hpp) against
// the hand-written gradients of models.hpp: several SGD steps of softmax
// regression and the MLP at their shipped sizes, locally, on pointers (the
// backward pass on the worker) and as a backward plan (one message per
// step), all within 1e-6 of the closed-form training; autograd on tensors,
// on pointers and in a plan bit-identical (T2); object counts of every
// worker asserted; messages per step printed ([nodes]: also across node
// processes).

#include <catch2/catch.hpp>

#include <iostream>
#include <random>

#include "workers/actors/runtime.hpp"
#include "workers/fl/parameters.hpp"
#include "workers/fl/sgd.hpp"
#include "workers/fl/training_step.hpp"
#include "workers/remote_plan.hpp"

#include "fixture.hpp"

using namespace workers;
using namespace workers::test;

namespace {

constexpr int64_t rows = 32;
constexpr int steps = 4;
constexpr double lr = 0.1;

tensor random_images(uint64_t seed) {
  std::mt19937_64 gen{seed};
  std::uniform_real_distribution<float> u{0.0f, 1.0f};
  std::vector<float> xs(static_cast<size_t>(rows * 784));
  for (auto& x : xs)
    x = u(gen);
  return tensor::from_vector(std::move(xs), shape{rows, 784});
}

tensor random_labels(uint64_t seed) {
  std::mt19937_64 gen{seed};
  std::vector<int64_t> ys(static_cast<size_t>(rows));
  for (auto& y : ys)
    y = static_cast<int64_t>(gen() % 10);
  return tensor::from_vector(std::move(ys), shape{rows});
}

model_spec shipped(model_kind kind) {
  model_spec m; // 784 features, 128 hidden, 10 classes
  m.kind = kind;
  return m;
}

// The parameters and losses of `steps` steps of one way of training.
struct run {
  std::vector<tensor> params;
  std::vector<double> losses;
};

double max_abs_diff(const tensor& x, const tensor& y) {
  REQUIRE(x.shape() == y.shape());
  return (x - y).abs().max().item<double>();
}

void check_close(const run& x, const run& y, double tolerance) {
  REQUIRE(x.params.size() == y.params.size());
  for (size_t i = 0; i < x.params.size(); ++i) {
    INFO("parameter " << i);
    CHECK(max_abs_diff(x.params[i], y.params[i]) <= tolerance);
  }
  REQUIRE(x.losses.size() == y.losses.size());
  for (size_t s = 0; s < x.losses.size(); ++s)
    CHECK(std::abs(x.losses[s] - y.losses[s]) <= tolerance);
}

void check_identical(const run& x, const run& y) {
  REQUIRE(x.params.size() == y.params.size());
  for (size_t i = 0; i < x.params.size(); ++i)
    CHECK(x.params[i].equal(y.params[i]));
  CHECK(x.losses == y.losses);
}

// Local training with train_step of `mode`.
run local_run(grad_mode mode, const model_spec& m, const tensor& x,
              const tensor& y) {
  run result;
  auto params = init_params(m, 3);
  if (mode == grad_mode::autograd)
    requires_grad_all(params);
  for (int s = 0; s < steps; ++s)
    result.losses.push_back(
      train_step(mode, m, params, x, y, lr).item<double>());
  for (auto& p : params)
    result.params.push_back(detach(p));
  return result;
}

} // namespace

TEST_CASE_METHOD(two_workers,
                 "fl autograd: shipped models train with autograd like with "
                 "the hand-written gradients, locally, on pointers and as a "
                 "plan",
                 "[fl_autograd][nodes]") {
  auto tx = random_images(1);
  auto ty = random_labels(2);
  auto x = tx.send(bob);
  auto y = ty.send(bob);
  for (auto kind : {model_kind::softmax, model_kind::mlp}) {
    INFO(to_string(kind));
    auto m = shipped(kind);
    auto n = init_params(m, 3).size();
    auto hand = local_run(grad_mode::hand, m, tx, ty);
    auto local = local_run(grad_mode::autograd, m, tx, ty);
    check_close(local, hand, 1e-6);
    CHECK(counts() == std::vector<uint64_t>{2, 0, 0});
    auto messages = [&] { return bob.stats().messages; };
    std::map<std::string, double> per_step;
    // On pointers: backward on bob, w -= w.grad() * lr on bob.
    for (auto mode : {grad_mode::autograd, grad_mode::hand}) {
      run remote;
      auto params = send_params(init_params(m, 3), bob);
      if (mode == grad_mode::autograd)
        requires_grad_all(params);
      CHECK(counts() == std::vector<uint64_t>{2 + n, 0, 0});
      auto before = messages();
      std::vector<pointer<tensor>> losses;
      for (int s = 0; s < steps; ++s)
        losses.push_back(train_step(mode, m, params, x, y, lr));
      per_step["op by op, " + to_string(mode)] =
        double(messages() - before) / steps;
      // Parameters (updated in place, or new objects) and the kept losses.
      CHECK(counts() == std::vector<uint64_t>{2 + n + steps, 0, 0});
      for (auto& l : losses)
        remote.losses.push_back(l.get().item<double>());
      remote.params = value_or_throw(get_params(params));
      params.clear();
      CHECK(counts() == std::vector<uint64_t>{2, 0, 0});
      if (mode == grad_mode::autograd)
        check_identical(remote, local); // T2
      else
        check_identical(remote, hand); // models.hpp M3
    }
    // As a backward plan: one run message per step.
    for (auto mode : {grad_mode::autograd, grad_mode::hand}) {
      run planned;
      auto step = bob.define(record_step(mode, m, lr, rows));
      auto params = send_params(init_params(m, 3), bob);
      auto before = messages();
      std::vector<pointer<tensor>> losses;
      for (int s = 0; s < steps; ++s) {
        auto inputs = params;
        inputs.push_back(x);
        inputs.push_back(y);
        auto out = step.run(inputs);
        losses.push_back(out.back());
        out.pop_back();
        params = std::move(out);
      }
      per_step["plan, " + to_string(mode)] =
        double(messages() - before) / steps;
      for (auto& l : losses)
        planned.losses.push_back(l.get().item<double>());
      planned.params = value_or_throw(get_params(params));
      params.clear();
      if (mode == grad_mode::autograd)
        check_identical(planned, local); // B1, T2
      else
        check_identical(planned, hand);
    }
    CHECK(counts() == std::vector<uint64_t>{2, 0, 0});
    std::cout << "messages per training step at bob (" << to_string(kind)
              << ", " << rows << " rows):";
    for (auto& [what, count] : per_step)
      std::cout << "  " << what << " " << count;
    std::cout << '\n';
    CHECK(per_step["plan, auto"] < per_step["op by op, auto"]);
  }
}

TEST_CASE("fl autograd: sgd refuses a step without gradients",
          "[fl_autograd]") {
  auto m = shipped(model_kind::softmax);
  auto params = init_params(m, 3);
  requires_grad_all(params);
  sgd<tensor> opt{params, lr};
  auto before = params.front().copy();
  auto err = error_of([&] { opt.step(); });
  CHECK(err.code() == static_cast<uint8_t>(errc::bad_argument));
  CHECK_THAT(render(err), Catch::Matchers::Contains("parameter 0"));
  CHECK(params.front().equal(before));
}
