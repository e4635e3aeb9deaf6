// Shards of a data set as plain functions (dataset.hpp): disjoint slices
// covering the selection (D1), determinism (D2), errors instead of empty
// shards (D3), and the real Fashion-MNIST files if installed.

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <set>

#include "workers/error.hpp"
#include "workers/fl/dataset.hpp"

using namespace workers;

namespace {

// 100 samples with labels 0..9 in turn.
tensor ten_classes() {
  std::vector<int64_t> ys(100);
  for (size_t i = 0; i < ys.size(); ++i)
    ys[i] = static_cast<int64_t>(i % 10);
  return tensor::from_vector(std::move(ys));
}

} // namespace

TEST_CASE("dataset: IID shards are disjoint and cover the split (D1, D2)",
          "[dataset]") {
  auto labels = ten_classes();
  std::multiset<int64_t> seen;
  for (auto& spec : iid_shards(3, 0, 9)) {
    auto rows = select_rows(spec, labels);
    REQUIRE(rows);
    CHECK(rows->size() >= 33);
    CHECK(*rows == *select_rows(spec, labels)); // D2
    seen.insert(rows->begin(), rows->end());
  }
  CHECK(seen.size() == 100);
  CHECK(std::set<int64_t>(seen.begin(), seen.end()).size() == 100);
  // Another seed, another order; limit keeps the first rows.
  auto spec = iid_shards(3, 0, 9)[0];
  auto a = *select_rows(spec, labels);
  spec.seed = 10;
  CHECK(*select_rows(spec, labels) != a);
  spec.seed = 9;
  spec.limit = 5;
  auto limited = *select_rows(spec, labels);
  CHECK(limited == std::vector<int64_t>(a.begin(), a.begin() + 5));
}

TEST_CASE("dataset: non-IID shards hold only their classes", "[dataset]") {
  auto labels = ten_classes();
  auto specs = non_iid_shards(3, 0, 1);
  REQUIRE(specs.size() == 3);
  CHECK(specs[0].labels == std::vector<int64_t>{0, 1, 2});
  CHECK(specs[1].labels == std::vector<int64_t>{3, 4, 5});
  CHECK(specs[2].labels == std::vector<int64_t>{6, 7, 8, 9});
  size_t total = 0;
  for (auto& spec : specs) {
    auto rows = select_rows(spec, labels);
    REQUIRE(rows);
    total += rows->size();
    for (auto r : *rows)
      CHECK(std::count(spec.labels.begin(), spec.labels.end(), r % 10) == 1);
  }
  CHECK(total == 100);
  // Two owners sharing classes split them with shard/shards.
  auto spec = specs[0];
  spec.shards = 2;
  auto first = *select_rows(spec, labels);
  spec.shard = 1;
  auto second = *select_rows(spec, labels);
  CHECK(first.size() + second.size() == 30);
}

TEST_CASE("dataset: specs that select nothing are errors (D3)", "[dataset]") {
  auto labels = ten_classes();
  auto fails = [&](shard_spec spec) {
    auto rows = select_rows(spec, labels);
    return !rows && is(rows.error(), errc::bad_argument);
  };
  shard_spec spec;
  spec.shard = 3;
  spec.shards = 3;
  CHECK(fails(spec));
  spec = shard_spec{};
  spec.iid = false;
  CHECK(fails(spec)); // no labels
  spec.labels = {42};
  CHECK(fails(spec)); // no such class
  spec = shard_spec{};
  spec.split = "validation";
  auto data = load_shard(spec, "/nonexistent");
  REQUIRE_FALSE(data);
  CHECK(render(data.error()).find("split") != std::string::npos);
  CHECK(to_string(non_iid_shards(2, 10, 3)[1]) ==
        "train 0/1 non-iid {5,6,7,8,9} limit 10 seed 3");
}

TEST_CASE("dataset: gather_rows copies rows in order", "[dataset]") {
  tensor x{{1, 2}, {3, 4}, {5, 6}};
  auto y = gather_rows(x, {2, 0});
  CHECK(y.to_vector<int64_t>() == std::vector<int64_t>{5, 6, 1, 2});
  CHECK(y.shape() == shape{2, 2});
}

TEST_CASE("dataset: Fashion-MNIST shards", "[dataset]") {
  if (!std::filesystem::exists(dataset_dir())) {
    WARN("Fashion-MNIST is not installed in " << dataset_dir());
    return;
  }
  shard_spec spec;
  spec.split = "test";
  spec.shard = 1;
  spec.shards = 4;
  spec.limit = 300;
  auto data = load_shard(spec);
  REQUIRE(data);
  CHECK(data->images.shape() == shape{300, 784});
  CHECK(data->images.dtype() == dtype::float32);
  CHECK(data->labels.shape() == shape{300});
  CHECK(data->labels.dtype() == dtype::int64);
  CHECK(data->images.max().item<double>() <= 1.0);
  spec.iid = false;
  spec.labels = {3};
  spec.shards = 1;
  spec.shard = 0;
  auto threes = load_shard(spec);
  REQUIRE(threes);
  CHECK(threes->labels.eq(3).sum().item<int64_t>() == 300);
}
