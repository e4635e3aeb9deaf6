// Federated datasets and their loader (federated_dataset.hpp,
// federated_loader.hpp, batch_schedule.hpp) and the parameter helpers
// (parameters.hpp): the schedule's invariants L1-L4 as plain values; batches
// cut where the data is, worker by worker or round robin, shuffled
// reproducibly, released as the loop moves on; parameter sets added, scaled
// and averaged where they live. Object counts of every worker asserted, in
// one process and across node processes ([nodes]).

#include <catch2/catch.hpp>

#include <set>

#include "workers/actors/runtime.hpp"
#include "workers/fl/federated_loader.hpp"
#include "workers/fl/parameters.hpp"
#include "workers/fl/training_step.hpp"

#include "fixture.hpp"
#include "tiny_model.hpp"

using namespace workers;
using namespace workers::test;

namespace {

// Rows [start, start + n) of a column 0, 1, 2, ... as float32 [n, 1].
tensor column(int64_t start, int64_t n) {
  std::vector<float> xs;
  for (int64_t i = 0; i < n; ++i)
    xs.push_back(float(start + i));
  return tensor::from_vector(std::move(xs), shape{n, 1});
}

tensor labels(int64_t start, int64_t n) {
  std::vector<int64_t> ys;
  for (int64_t i = 0; i < n; ++i)
    ys.push_back(start + i);
  return tensor::from_vector(std::move(ys), shape{n});
}

// Every row of each owner exactly once, one short batch at most (L1).
void check_covers(const std::vector<batch_slice>& pass,
                  const std::vector<uint64_t>& samples, int64_t batch) {
  for (size_t k = 0; k < samples.size(); ++k) {
    std::set<int64_t> rows;
    int shorter = 0;
    for (auto& b : pass)
      if (b.owner == k) {
        for (int64_t r = b.start; r < b.start + b.rows; ++r)
          CHECK(rows.insert(r).second);
        if (b.rows < batch)
          ++shorter;
      }
    CHECK(rows.size() == samples[k]);
    CHECK(shorter == (samples[k] % uint64_t(batch) == 0 ? 0 : 1));
  }
}

} // namespace

TEST_CASE("batch schedule: worker by worker or round robin, every row once "
          "per epoch, shuffled reproducibly",
          "[federated_loader]") {
  std::vector<uint64_t> samples{5, 3, 0};
  schedule_options o;
  o.batch_size = 2;
  batch_schedule in_order{samples, o};
  auto pass = in_order.next_pass();
  CHECK(pass == std::vector<batch_slice>{
                  {0, 0, 2}, {0, 2, 2}, {0, 4, 1}, {1, 0, 2}, {1, 2, 1}});
  CHECK(in_order.next_pass() == pass); // the next epoch, same order
  CHECK(in_order.batches_per_epoch(0) == 3);
  CHECK(in_order.batches_per_epoch(2) == 0); // L3
  o.interleave = true;
  CHECK(batch_schedule{samples, o}.next_pass() ==
        std::vector<batch_slice>{
          {0, 0, 2}, {1, 0, 2}, {0, 2, 2}, {1, 2, 1}, {0, 4, 1}});
  // Shuffled: every row once per epoch (L1), the same for the same seed
  // (L2), another order for another seed or epoch.
  samples = {103, 61};
  o.batch_size = 8;
  o.shuffle = true;
  o.seed = 7;
  for (bool interleave : {false, true}) {
    o.interleave = interleave;
    batch_schedule a{samples, o};
    batch_schedule b{samples, o};
    auto first = a.next_pass();
    check_covers(first, samples, 8);
    CHECK(first == b.next_pass());
    auto second = a.next_pass();
    check_covers(second, samples, 8);
    CHECK(second != first);
    o.seed = 8;
    CHECK(batch_schedule{samples, o}.next_pass() != first);
    o.seed = 7;
  }
  // steps: a cursor per owner that continues across passes and wraps (L4).
  schedule_options s;
  s.batch_size = 2;
  s.steps = 2;
  batch_schedule cursor{{5}, s};
  CHECK(cursor.next_pass() == std::vector<batch_slice>{{0, 0, 2}, {0, 2, 2}});
  CHECK(cursor.next_pass() == std::vector<batch_slice>{{0, 4, 1}, {0, 0, 2}});
  CHECK(cursor.next_pass() == std::vector<batch_slice>{{0, 2, 2}, {0, 4, 1}});
}

TEST_CASE_METHOD(two_workers,
                 "federated loader: batches are cut where the data is and "
                 "released as the loop moves on",
                 "[federated_loader][nodes]") {
  // bob holds rows 0..4, alice rows 100..102.
  auto bob_shard = value_or_throw(
    make_shard(bob, column(0, 5).send(bob), labels(0, 5).send(bob)));
  auto alice_shard = value_or_throw(
    make_shard(alice, column(100, 3).send(alice), labels(100, 3).send(alice)));
  CHECK(bob_shard.samples == 5);
  auto data = value_or_throw(federated_dataset::make({bob_shard, alice_shard}));
  CHECK(data.samples() == 8);
  CHECK(data.workers().front().name() == "bob");
  schedule_options o;
  o.batch_size = 2;
  federated_loader loader{data, o};
  std::vector<std::pair<std::string, tensor>> seen;
  for (auto& batch : loader) {
    // The batch lives where its rows are: two objects more there.
    auto here = batch.location.name() == "bob" ? 0 : 1;
    auto expected = std::vector<uint64_t>{2, 2, 0};
    expected[size_t(here)] += 2;
    CHECK(counts() == expected);
    CHECK(batch.data.meta()->dims == shape{batch.rows, 1});
    CHECK(batch.target.location().name == batch.location.name());
    seen.emplace_back(batch.location.name(), batch.data.copy().get());
  }
  CHECK(counts() == std::vector<uint64_t>{2, 2, 0}); // FL1
  REQUIRE(seen.size() == 5); // worker by worker: bob's 3, then alice's 2
  CHECK(seen[0].first == "bob");
  CHECK(seen[0].second.equal(column(0, 2)));
  CHECK(seen[2].second.equal(column(4, 1))); // the last batch is shorter
  CHECK(seen[3].first == "alice");
  CHECK(seen[3].second.equal(column(100, 2)));
  CHECK(seen[4].second.equal(column(102, 1)));
  // Shuffled: a reproducible permutation of the batches, every row once.
  o.shuffle = true;
  o.seed = 3;
  federated_loader a{data, o};
  federated_loader b{data, o};
  std::vector<int64_t> starts_a;
  std::vector<int64_t> starts_b;
  std::multiset<float> rows;
  for (auto& batch : a) {
    starts_a.push_back(batch.start * 10 + int64_t(batch.owner));
    for (auto v : batch.data.copy().get().to_vector<float>())
      rows.insert(v);
  }
  for (auto& batch : b)
    starts_b.push_back(batch.start * 10 + int64_t(batch.owner));
  CHECK(starts_a == starts_b);
  CHECK(rows == std::multiset<float>{0, 1, 2, 3, 4, 100, 101, 102});
  CHECK(counts() == std::vector<uint64_t>{2, 2, 0});
  // A batch the body keeps lives as long as the copy.
  std::vector<federated_batch> kept;
  for (auto& batch : loader)
    kept.push_back(batch);
  CHECK(counts() == std::vector<uint64_t>{2 + 3 * 2, 2 + 2 * 2, 0});
  kept.clear();
  CHECK(counts() == std::vector<uint64_t>{2, 2, 0});
  // Cutting moves no data: no tensor bytes in or out of the owners.
  auto bob_before = bob.stats();
  auto alice_before = alice.stats();
  size_t batches = 0;
  for (auto& batch : loader)
    batches += batch.rows > 0 ? 1 : 0;
  CHECK(batches == 5);
  CHECK(counts() == std::vector<uint64_t>{2, 2, 0});
  auto unchanged = [](const worker& w, const worker_stats& before) {
    auto after = w.stats();
    return after.tensor_bytes_in == before.tensor_bytes_in &&
           after.tensor_bytes_out == before.tensor_bytes_out;
  };
  CHECK(unchanged(bob, bob_before));
  CHECK(unchanged(alice, alice_before));
}

TEST_CASE_METHOD(two_workers,
                 "federated dataset: shards whose pointers disagree are "
                 "refused before anything is sent",
                 "[federated_loader][nodes]") {
  auto x = column(0, 5).send(bob);
  auto y = labels(0, 4).send(bob);
  auto err = make_shard(bob, x, y);
  REQUIRE_FALSE(err);
  CHECK(err.error().code() == static_cast<uint8_t>(errc::bad_argument));
  CHECK_THAT(render(err.error()),
             Catch::Matchers::Contains("has 5 rows, target 4") &&
               Catch::Matchers::Contains("bob"));
  auto elsewhere = make_shard(alice, x, labels(0, 5).send(bob));
  REQUIRE_FALSE(elsewhere);
  CHECK_THAT(render(elsewhere.error()),
             Catch::Matchers::Contains("not both on alice"));
  CHECK_FALSE(federated_dataset::make({}));
  CHECK(counts() == std::vector<uint64_t>{2, 0, 0});
}

TEST_CASE_METHOD(two_workers,
                 "parameter helpers: add, scale and average where the "
                 "parameters live",
                 "[federated_loader][parameters][nodes]") {
  auto carol = spawn("carol");
  std::vector<tensor> a{tensor{1.0f, 2.0f}, tensor{4.0f}};
  std::vector<tensor> b{tensor{3.0f, 6.0f}, tensor{8.0f}};
  auto on_bob = send_params(a, bob);
  auto also_on_bob = send_params(b, bob);
  auto on_alice = send_params(b, alice);
  CHECK(counts() == std::vector<uint64_t>{4, 2, 0});
  auto sum = add(on_bob, also_on_bob);
  auto half = scale(sum, 0.5);
  CHECK(counts() == std::vector<uint64_t>{8, 2, 0});
  auto got = value_or_throw(get_params(half));
  CHECK(got[0].equal(tensor{2.0f, 4.0f}));
  CHECK(got[1].equal(tensor{6.0f}));
  sum.clear();
  half.clear();
  CHECK(counts() == std::vector<uint64_t>{4, 2, 0});
  // Sets on different workers: failed pointers, nothing sent.
  auto mixed = add(on_bob, on_alice);
  CHECK(mixed[0].error().code() ==
        static_cast<uint8_t>(errc::location_mismatch));
  CHECK(error_of([&] { add(on_bob, remote_params{on_alice[0]}); }).code() ==
        static_cast<uint8_t>(errc::bad_argument));
  // Weighted average on carol: only the average comes home, nothing stays.
  auto avg =
    value_or_throw(average_on(carol, {on_bob, on_alice}, {0.25, 0.75}));
  CHECK(avg[0].equal(tensor{2.5f, 5.0f}));
  CHECK(avg[1].equal(tensor{7.0f}));
  CHECK(counts() == std::vector<uint64_t>{4, 2, 0});
  CHECK(carol.count() == 0);
  CHECK_FALSE(average_on(carol, {on_bob}, {0.5, 0.5}));
  CHECK(carol.count() == 0);
}

TEST_CASE_METHOD(two_workers,
                 "federated loader: FedAvg rounds with autograd on pointers "
                 "equal the same rounds on local tensors",
                 "[federated_loader][fl_autograd][nodes]") {
  auto carol = spawn("carol");    // the aggregator
  auto m = tiny(model_kind::mlp); // 5 features, 4 hidden, 3 classes
  const double lr = 0.5;
  // bob's rows are those of 10 samples, alice's of 7: float32 features.
  auto features = [](int64_t n, float offset) {
    std::vector<float> xs;
    for (int64_t i = 0; i < n * 5; ++i)
      xs.push_back(float((i * 7 + 3) % 11) / 11.0f - offset);
    return tensor::from_vector(std::move(xs), shape{n, 5});
  };
  auto classes = [](int64_t n) {
    std::vector<int64_t> ys;
    for (int64_t i = 0; i < n; ++i)
      ys.push_back(i % 3);
    return tensor::from_vector(std::move(ys), shape{n});
  };
  std::vector<labeled_data> local{{features(10, 0.5f), classes(10)},
                                  {features(7, 0.25f), classes(7)}};
  auto data = value_or_throw(federated_dataset::make(
    {value_or_throw(
       make_shard(bob, local[0].images.send(bob), local[0].labels.send(bob))),
     value_or_throw(make_shard(alice, local[1].images.send(alice),
                               local[1].labels.send(alice)))}));
  std::vector<double> weights{10.0 / 17.0, 7.0 / 17.0};
  schedule_options order;
  order.batch_size = 4;
  order.interleave = true;
  order.shuffle = true;
  order.seed = 9;
  federated_loader loader{data, order};
  batch_schedule local_order{{10, 7}, order};
  auto global = init_params(m, 1);
  auto local_global = global;
  auto n = global.size();
  for (int round = 0; round < 2; ++round) {
    // On the owners: the loop of README's "training loop" section.
    std::vector<remote_params> models;
    for (auto& o : data) {
      models.push_back(send_params(global, o.where));
      requires_grad_all(models.back());
    }
    for (auto& batch : loader) {
      autograd_step(m, models[batch.owner], batch.data, batch.target, lr);
      // Shard, model and the current batch where it is; the loss and the
      // backward root are gone.
      auto expected = std::vector<uint64_t>{2 + n, 2 + n, 0};
      expected[batch.owner] += 2;
      CHECK(counts() == expected);
    }
    global = value_or_throw(average_on(carol, models, weights));
    models.clear();
    CHECK(counts() == std::vector<uint64_t>{2, 2, 0});
    CHECK(carol.count() == 0);
    // The same on local tensors.
    std::vector<std::vector<tensor>> copies;
    for (size_t k = 0; k < 2; ++k) {
      copies.push_back(local_global);
      requires_grad_all(copies.back());
    }
    for (auto& b : local_order.next_pass())
      autograd_step(m, copies[b.owner],
                    local[b.owner].images.narrow(0, b.start, b.rows),
                    local[b.owner].labels.narrow(0, b.start, b.rows), lr);
    for (size_t i = 0; i < n; ++i)
      local_global[i] =
        detach(copies[0][i]) * weights[0] + detach(copies[1][i]) * weights[1];
    for (size_t i = 0; i < n; ++i) {
      INFO("round " << round << ", parameter " << i);
      CHECK(global[i].equal(local_global[i]));
    }
  }
  CHECK_FALSE(global[0].equal(init_params(m, 1)[0])); // it trained
}
