// Tags and search, the audit log, and plans run where the data is
// (protocol.hpp: tag, search, audit, define, run). Tagged [nodes]: they run
// again with every worker in its own node process.

#include "fixture.hpp"

#include "workers/fl/dataset.hpp"
#include "workers/fl/fashion_mnist_source.hpp"
#include "workers/remote_plan.hpp"

#include <fstream>

using namespace workers;
using namespace workers::test;

TEST_CASE("search: finds tagged objects and hands out real pointers",
          "[search][nodes]") {
  two_workers w;
  auto x = tensor{1, 2, 3}.send(w.bob);
  auto y = tensor{4, 5}.send(w.bob);
  x.tag({"#data", "#train"});
  y.tag({"#data", "#test"});
  auto found = w.bob.search({"#data", "#train"});
  REQUIRE(found.size() == 1);
  CHECK(found[0].get().to_vector<int64_t>() == std::vector<int64_t>{1, 2, 3});
  // x still holds its own reference: the search took a copy (R4).
  CHECK(w.bob.count() == 2);
  auto both = w.bob.search({"#data"});
  CHECK(both.size() == 2);
  CHECK(w.bob.search({"#nothing"}).empty());
  CHECK(w.alice.search({"#data"}).empty());
  // Dropping every handle leaves nothing behind.
  found.clear();
  both.clear();
  x = pointer<tensor>{};
  y = pointer<tensor>{};
  CHECK(w.bob.count() == 0);
}

TEST_CASE("search: tagging something gone says so", "[search][nodes]") {
  two_workers w;
  auto x = tensor{1}.send(w.bob);
  x.get();
  auto x2 = tensor{2}.send(w.bob);
  CHECK(w.bob.search({}).empty()); // untagged objects are not listed
  CHECK(w.bob.count() == 1);
}

TEST_CASE("audit: every tensor that leaves a worker is logged",
          "[audit][nodes]") {
  two_workers w;
  auto x = tensor{1.0f, 2.0f}.send(w.bob);
  auto y = (x + x) / 2;
  auto z = x * 3;
  z.move(w.alice);
  auto back = y.get();
  CHECK(back.to_vector<float>() == std::vector<float>{1.0f, 2.0f});
  auto log = w.bob.audit();
  REQUIRE(log.size() == 2);
  CHECK(log[0].kind == "move");
  CHECK(log[0].to == "alice");
  CHECK(log[0].produced_by == "mul");
  CHECK(log[0].bytes == 8);
  CHECK(log[1].kind == "get");
  CHECK(log[1].to == "me");
  CHECK(log[1].produced_by == "div");
  CHECK(log[0].seq < log[1].seq);
  CHECK(w.alice.audit().empty()); // alice received, sent nothing
  w.alice.objects();              // a listing shows values: logged too
  auto alice_log = w.alice.audit();
  REQUIRE(alice_log.size() == 1);
  CHECK(alice_log[0].kind == "list");
}

TEST_CASE("plan: defined once, run where the inputs live", "[plan][nodes]") {
  two_workers w;
  plan_builder b{"axpy"};
  auto a = b.input();
  auto x = b.input();
  auto y = b.input();
  b.output(a * x + y);
  b.output((a * x + y).sum());
  auto axpy = w.bob.define(b.finish());
  auto pa = tensor{2.0f}.send(w.bob);
  auto px = tensor{1.0f, 2.0f, 3.0f}.send(w.bob);
  auto py = tensor{1.0f, 1.0f, 1.0f}.send(w.bob);
  for (int i = 0; i < 3; ++i) {
    auto out = axpy.run({pa, px, py});
    REQUIRE(out.size() == 2);
    px = out[0];
  }
  CHECK(px.get().to_vector<float>() == std::vector<float>{15, 23, 31});
  CHECK(w.bob.count() == 2); // pa and py: sums dropped, px taken
  auto log = w.bob.audit();
  REQUIRE(log.size() == 1);
  CHECK(log[0].produced_by == "plan axpy");
}

TEST_CASE("plan: bad runs fail their outputs, the worker keeps serving",
          "[plan][nodes]") {
  two_workers w;
  plan_builder b{"add"};
  auto x = b.input();
  auto y = b.input();
  b.output(x + y);
  auto add = w.bob.define(b.finish());
  auto px = tensor{1, 2, 3}.send(w.bob);
  auto py = tensor{1, 2}.send(w.bob);
  auto bad = add.run({px, py});
  auto err = bad[0].try_get();
  REQUIRE_FALSE(err);
  CHECK(is(err.error(), errc::shape_mismatch));
  CHECK(render(err.error()).find("plan \"add\" step 0") != std::string::npos);
  auto elsewhere = tensor{1, 2, 3}.send(w.alice);
  auto wrong = add.run({px, elsewhere});
  CHECK(is(wrong[0].try_get().error(), errc::location_mismatch));
  auto few = add.run({px});
  CHECK(is(few[0].try_get().error(), errc::bad_argument));
  auto ok = add.run({px, px});
  CHECK(ok[0].get().to_vector<int64_t>() == std::vector<int64_t>{2, 4, 6});
}

TEST_CASE("load: a worker loads its own shard and others find it by tags",
          "[search][nodes]") {
  if (!std::ifstream{dataset_dir() + "/" + fashion_mnist::train_labels}) {
    WARN("Fashion-MNIST is not installed; skipped");
    return;
  }
  two_workers w{data_options()};
  shard_spec spec;
  spec.shard = 1;
  spec.shards = 3;
  spec.limit = 120;
  CHECK(w.bob.load(shard_request("bob", spec)) == 120);
  auto images = w.bob.search({"#fashion-mnist", "#train", "#images"});
  auto labels = w.bob.search({"#fashion-mnist", "#labels"});
  REQUIRE(images.size() == 1);
  REQUIRE(labels.size() == 1);
  // Computed on where it lives; only the small result travels.
  auto counts = labels[0].one_hot(10).sum(0);
  auto total = counts.get().sum().item<float>();
  CHECK(total == 120.0f);
  auto mean = images[0].mean().get().item<float>();
  CHECK(mean > 0.1f);
  CHECK(mean < 0.6f);
  // Nothing of the shard itself left bob: only the two small results.
  for (auto& e : w.bob.audit())
    CHECK(e.bytes <= 40);
  // Dropping the found pointers keeps the data: bob holds it himself.
  images.clear();
  labels.clear();
  CHECK(w.bob.count() == 2);
  shard_spec bad = spec;
  bad.split = "validation";
  CHECK_THROWS_AS(w.bob.load(shard_request("bob", bad)), operation_error);
  CHECK(w.bob.count() == 2);
}

TEST_CASE("plan: clear removes plans with the objects", "[plan][nodes]") {
  two_workers w;
  plan_builder b{"double"};
  auto x = b.input();
  b.output(x * 2);
  auto twice = w.bob.define(b.finish());
  auto px = tensor{1, 2}.send(w.bob);
  CHECK(twice.run({px})[0].get().to_vector<int64_t>() ==
        std::vector<int64_t>{2, 4});
  w.bob.clear();
  CHECK(w.bob.count() == 0);
  auto py = tensor{1, 2}.send(w.bob);
  auto after = twice.run({py})[0].try_get();
  REQUIRE_FALSE(after);
  CHECK(is(after.error(), errc::no_such_object));
  CHECK(render(after.error()).find("define it first") != std::string::npos);
  py = {};
  CHECK(w.bob.count() == 0);
}

TEST_CASE("tag: waits for an object still on its way", "[search][nodes]") {
  two_workers w;
  for (int i = 0; i < 200; ++i) {
    auto x = tensor{1, 2}.send(w.bob);
    x.move(w.alice);
    x.tag({"#moved"});
    auto hits = w.alice.search({"#moved"});
    REQUIRE(hits.size() == 1);
    CHECK(hits[0].get().to_vector<int64_t>() == std::vector<int64_t>{1, 2});
  }
  CHECK(w.counts() == std::vector<uint64_t>{0, 0, 0});
}
