// Models written once over tensors, pointers and plans (models.hpp): the
// closed-form gradients against finite differences, and the same step giving
// bit-identical results locally, through a plan and on a worker (M3).

#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "workers/actors/runtime.hpp"
#include "workers/fl/models.hpp"

#include "fixture.hpp"
#include "tiny_model.hpp"

using namespace workers;
using workers::test::tiny;

namespace {

tensor random_batch(int64_t n, int64_t features, uint64_t seed) {
  std::mt19937_64 gen{seed};
  std::uniform_real_distribution<float> u{-1.0f, 1.0f};
  std::vector<float> xs(static_cast<size_t>(n * features));
  for (auto& x : xs)
    x = u(gen);
  return tensor::from_vector(std::move(xs), shape{n, features});
}

const tensor batch_labels{0, 2, 1, 2, 0, 1};

// Loss with element `i` of parameter `j` shifted by `delta`.
double shifted_loss(const model_spec& m, std::vector<tensor> params, size_t j,
                    size_t i, float delta, const tensor& x) {
  params[j].mutable_data<float>()[i] += delta;
  return loss(m, forward(m, params, x), batch_labels).item<double>();
}

bool bit_identical(const std::vector<tensor>& xs,
                   const std::vector<tensor>& ys) {
  if (xs.size() != ys.size())
    return false;
  for (size_t i = 0; i < xs.size(); ++i)
    if (!xs[i].equal(ys[i]))
      return false;
  return true;
}

} // namespace

TEST_CASE("models: closed-form gradients match finite differences",
          "[models]") {
  for (auto kind : {model_kind::softmax, model_kind::mlp}) {
    INFO(to_string(kind));
    auto m = tiny(kind);
    auto params = init_params(m, 7);
    // Non-zero biases, so the ReLU mask and bias gradients are exercised.
    for (size_t j = 1; j < params.size(); j += 2)
      params[j] = params[j] + 0.1;
    auto x = random_batch(6, m.features, 3);
    auto g = gradients(m, params, x, batch_labels);
    REQUIRE(g.params.size() == params.size());
    CHECK(g.loss.item<double>() ==
          Approx(loss(m, forward(m, params, x), batch_labels).item<double>()));
    const float eps = 1e-2f;
    for (size_t j = 0; j < params.size(); ++j) {
      REQUIRE(g.params[j].shape() == params[j].shape());
      auto grad = g.params[j].to_vector<double>();
      for (size_t i = 0; i < grad.size(); ++i) {
        auto up = shifted_loss(m, params, j, i, eps, x);
        auto down = shifted_loss(m, params, j, i, -eps, x);
        CHECK(grad[i] == Approx((up - down) / (2 * eps)).margin(2e-3));
      }
    }
  }
}

TEST_CASE("models: init is deterministic in its seed", "[models]") {
  model_spec m;
  m.kind = model_kind::mlp;
  auto a = init_params(m, 1);
  auto b = init_params(m, 1);
  auto c = init_params(m, 2);
  REQUIRE(a.size() == 4);
  CHECK(a[0].shape() == shape{784, 128});
  CHECK(a[3].shape() == shape{10});
  CHECK(bit_identical(a, b));
  CHECK_FALSE(a[0].equal(c[0]));
  auto bound = std::sqrt(6.0 / (784 + 128));
  CHECK(a[0].abs().max().item<double>() <= bound);
}

TEST_CASE("models: one step, bit-identical locally, as a plan and remotely",
          "[models]") {
  runtime rt{test::scaled_defaults()};
  auto bob = rt.spawn_worker("bob");
  for (auto kind : {model_kind::softmax, model_kind::mlp}) {
    INFO(to_string(kind));
    auto m = tiny(kind);
    auto params = init_params(m, 11);
    auto x = random_batch(6, m.features, 5);
    auto local = sgd_step(m, params, x, batch_labels, 0.5);
    // Recorded once, run on tensors.
    std::vector<tensor> inputs = params;
    inputs.push_back(x);
    inputs.push_back(batch_labels);
    auto planned = run_plan(record_sgd_step(m, 0.5), inputs);
    REQUIRE(planned);
    auto planned_loss = planned->back();
    planned->pop_back();
    CHECK(bit_identical(*planned, local.params));
    CHECK(planned_loss.equal(local.loss));
    // Op by op on bob.
    std::vector<pointer<tensor>> remote;
    for (auto& p : params)
      remote.push_back(p.send(bob));
    auto step = sgd_step(m, remote, x.send(bob), batch_labels.send(bob), 0.5);
    std::vector<tensor> fetched;
    for (auto& p : step.params)
      fetched.push_back(p.get());
    CHECK(bit_identical(fetched, local.params));
    CHECK(step.loss.get().equal(local.loss));
    // Correct-count evaluation: an int64 scalar.
    auto hits = correct(m, local.params, x, batch_labels);
    CHECK(hits.dtype() == dtype::int64);
    CHECK(hits.rank() == 0);
  }
  CHECK(bob.count() == 0);
}
