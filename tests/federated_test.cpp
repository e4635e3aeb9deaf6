// Federated averaging (federated.hpp) on small Fashion-MNIST shards with
// in-process workers: federated equals centralized bit for bit with one
// owner and one step per round (F1), accuracy rises, secure aggregation
// matches trusted up to rounding, and nothing but the data stays on any
// worker (F3). Skipped with a warning if the data set is not installed.

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>

#include "workers/actors/runtime.hpp"
#include "workers/fl/audit_summary.hpp"
#include "workers/fl/federated.hpp"

#include "fixture.hpp"

using namespace workers;

namespace {

labeled_data small_test_set() {
  shard_spec spec;
  spec.split = "test";
  spec.limit = 500;
  return value_or_throw(load_shard(spec));
}

training_options small_options() {
  training_options opts;
  opts.batch_size = 16;
  opts.lr = 0.1;
  opts.rounds = 3;
  opts.local_epochs = 2;
  return opts;
}

void check_identical(const training_result& x, const training_result& y) {
  REQUIRE(x.params.size() == y.params.size());
  for (size_t i = 0; i < x.params.size(); ++i)
    CHECK(x.params[i].equal(y.params[i]));
  REQUIRE(x.rounds.size() == y.rounds.size());
  for (size_t r = 0; r < x.rounds.size(); ++r) {
    CHECK(x.rounds[r].loss == y.rounds[r].loss);
    CHECK(x.rounds[r].test_acc == y.rounds[r].test_acc);
  }
}

} // namespace

TEST_CASE("federated: one owner, one step per round equals centralized",
          "[federated]") {
  if (!test::have_fashion_mnist())
    return;
  shard_spec spec;
  spec.limit = 200;
  auto train = value_or_throw(load_shard(spec));
  auto test = small_test_set();
  runtime rt{test::data_options(test::scaled_defaults())};
  auto owner = value_or_throw(place_shard(rt.spawn_worker("bob"), spec));
  auto aggregator = rt.spawn_worker("secure_worker");
  auto opts = small_options();
  opts.local_steps = 1;
  opts.rounds = 15; // wraps around the 200 samples (13 batches)
  for (auto grad : {grad_mode::autograd, grad_mode::hand}) {
    opts.grad = grad;
    for (auto kind : {model_kind::softmax, model_kind::mlp}) {
      opts.model.kind = kind;
      opts.model.hidden = 16;
      opts.use_plan = false;
      auto central = train_centralized(train, test, opts);
      REQUIRE(central);
      for (auto agg : {aggregation::trusted, aggregation::plain}) {
        for (bool plan : {false, true}) {
          INFO(to_string(grad) << ", " << to_string(kind) << ", "
                               << to_string(agg) << ", plan " << plan);
          opts.use_plan = plan;
          auto fed = train_federated({owner}, aggregator, agg, test, opts);
          REQUIRE(fed);
          check_identical(*central, *fed);
        }
      }
    }
  }
  CHECK(owner.where.count() == 2);
  CHECK(aggregator.count() == 0);
}

TEST_CASE("federated: three owners learn, secure matches trusted, only "
          "data stays",
          "[federated]") {
  if (!test::have_fashion_mnist())
    return;
  auto test = small_test_set();
  runtime rt{test::data_options(test::scaled_defaults())};
  std::vector<worker> where{rt.spawn_worker("bob"), rt.spawn_worker("alice"),
                            rt.spawn_worker("carol")};
  auto owners = value_or_throw(place_shards(where, iid_shards(3, 300, 1)));
  auto aggregator = rt.spawn_worker("secure_worker");
  auto opts = small_options();
  std::vector<round_record> seen;
  std::vector<worker> parties = where;
  parties.push_back(aggregator);
  auto marks = audit_marks(parties);
  auto trusted =
    train_federated(owners, aggregator, aggregation::trusted, test, opts,
                    [&](const round_record& r) { seen.push_back(r); });
  REQUIRE(trusted);
  // Trusted aggregator: the model owner receives models only from the
  // aggregator, and only sums of weighted models (averages); from the
  // owners only single numbers (losses, counts). The aggregator receives
  // the weighted models; no owner receives anything.
  auto got = received_since(parties, marks);
  INFO(to_string(got));
  REQUIRE(got.count("me") > 0);
  for (auto& i : got["me"]) {
    if (i.from == "secure_worker") {
      CHECK(i.produced_by == "add");
    } else {
      CHECK(i.largest <= sizeof(double));
    }
  }
  REQUIRE(got.count("secure_worker") > 0);
  for (auto& i : got["secure_worker"]) {
    CHECK(i.kind == "move");
    CHECK(i.produced_by == "mul");
  }
  for (auto& w : where)
    CHECK(got.count(w.name()) == 0);
  REQUIRE(seen.size() == 3);
  CHECK(seen.back().round == 3);
  CHECK(seen.front().loss > seen.back().loss);
  CHECK(seen.front().test_acc < seen.back().test_acc);
  CHECK(seen.back().test_acc > 0.65);
  CHECK(seen.back().train_acc > 0.65);
  opts.use_plan = true;
  marks = audit_marks(parties);
  auto secure =
    train_federated(owners, aggregator, aggregation::secure, test, opts);
  REQUIRE(secure);
  // Secure aggregation: what moves between workers are shares (random
  // masks, or the model minus them), never a model in the clear; the model
  // owner receives sums of shares and single numbers.
  got = received_since(parties, marks);
  INFO(to_string(got));
  for (auto& [to, items] : got)
    for (auto& i : items)
      if (i.kind == "move")
        CHECK((i.produced_by == "random_like" || i.produced_by == "sub"));
  for (auto& i : got["me"])
    CHECK((i.produced_by == "add" || i.largest <= sizeof(double)));
  CHECK(got.count("secure_worker") == 0);
  for (size_t i = 0; i < trusted->params.size(); ++i)
    CHECK((secure->params[i] - trusted->params[i]).abs().max().item<double>() <
          1e-3);
  CHECK(secure->rounds.back().test_acc ==
        Approx(trusted->rounds.back().test_acc).margin(0.01));
  for (auto& o : owners)
    CHECK(o.where.count() == 2); // its images and labels, nothing else
  CHECK(aggregator.count() == 0);
  CHECK(rt.me().count() == 0);
  // What left the owners: models (moved to the aggregator, or as shares to
  // the other owners), losses and counts; never their data.
  uint64_t largest = 784 * 10 * sizeof(int64_t); // W as fixed-point shares
  for (auto& o : owners) {
    auto log = o.where.audit();
    CHECK_FALSE(log.empty());
    for (auto& e : log) {
      INFO(o.where.name() << ": " << e.kind << " to " << e.to << ", " << e.bytes
                          << " bytes of " << e.produced_by);
      CHECK(e.bytes <= largest);
      CHECK(e.produced_by != "loaded");
      CHECK(e.id != o.images.id_at_location());
      CHECK(e.id != o.labels.id_at_location());
    }
  }
  // The aggregator passed on only what the model owner took home: sums.
  for (auto& e : aggregator.audit()) {
    CHECK(e.kind == "get");
    CHECK(e.to == "me");
  }
}

TEST_CASE("federated: training with autograd matches the hand-written "
          "gradients within 1e-6",
          "[federated][fl_autograd]") {
  if (!test::have_fashion_mnist())
    return;
  auto test = small_test_set();
  runtime rt{test::data_options(test::scaled_defaults())};
  std::vector<worker> where{rt.spawn_worker("bob"), rt.spawn_worker("alice")};
  auto owners = value_or_throw(place_shards(where, iid_shards(2, 100, 1)));
  auto aggregator = rt.spawn_worker("secure_worker");
  auto opts = small_options();
  opts.rounds = 2;
  for (auto kind : {model_kind::softmax, model_kind::mlp}) {
    opts.model.kind = kind;
    opts.model.hidden = 32;
    for (bool plan : {false, true}) {
      INFO(to_string(kind) << ", plan " << plan);
      opts.use_plan = plan;
      opts.grad = grad_mode::hand;
      auto hand =
        train_federated(owners, aggregator, aggregation::trusted, test, opts);
      opts.grad = grad_mode::autograd;
      auto autograd =
        train_federated(owners, aggregator, aggregation::trusted, test, opts);
      REQUIRE(hand);
      REQUIRE(autograd);
      for (size_t i = 0; i < hand->params.size(); ++i)
        CHECK(
          (hand->params[i] - autograd->params[i]).abs().max().item<double>() <=
          1e-6);
      for (size_t r = 0; r < hand->rounds.size(); ++r)
        CHECK(std::abs(hand->rounds[r].loss - autograd->rounds[r].loss) <=
              1e-6);
    }
  }
  for (auto& o : owners)
    CHECK(o.where.count() == 2); // F3: plans, graphs and models are gone
  CHECK(aggregator.count() == 0);
}
