// Checkpoints on disk (checkpoint.hpp): a round trip keeps every tensor bit
// for bit, a save is atomic, a damaged file is a clear error (K1-K3), and
// training resumed from a checkpoint ends where an uninterrupted run does.

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "fixture.hpp"
#include "temp_dir.hpp"
#include "workers/error.hpp"
#include "workers/fl/checkpoint.hpp"
#include "workers/fl/federated.hpp"

using namespace workers;
using Catch::Matchers::Contains;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

void spit(const std::string& path, const std::string& bytes) {
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string load_error(const std::string& path) {
  auto x = load_checkpoint(path);
  REQUIRE_FALSE(x);
  CHECK(static_cast<errc>(x.error().code()) == errc::bad_argument);
  return message_of(x.error());
}

} // namespace

TEST_CASE("checkpoint: a round trip keeps every tensor", "[checkpoint]") {
  test::temp_dir dir;
  auto path = dir.path + "/model.ckpt";
  checkpoint c{"trusted",
               7,
               {tensor::from_vector<float>({1.5f, -2.0f, 3.25f, 0.0f}, {2, 2}),
                tensor{int64_t{1}, int64_t{-2}, int64_t{3}},
                tensor::scalar(0.125), tensor::zeros({0, 3})}};
  REQUIRE_FALSE(save_checkpoint(path, c));
  CHECK_FALSE(std::filesystem::exists(path + ".tmp"));
  auto back = load_checkpoint(path);
  REQUIRE(back);
  CHECK(back->label == "trusted");
  CHECK(back->round == 7);
  REQUIRE(back->params.size() == c.params.size());
  for (size_t i = 0; i < c.params.size(); ++i) {
    INFO(i);
    CHECK(back->params[i].dtype() == c.params[i].dtype());
    CHECK(back->params[i].shape() == c.params[i].shape());
    CHECK(back->params[i].equal(c.params[i]));
  }
  // Saving again replaces the file whole.
  c.round = 8;
  REQUIRE_FALSE(save_checkpoint(path, c));
  CHECK(load_checkpoint(path)->round == 8);
}

TEST_CASE("checkpoint: a damaged file is an error naming what is wrong",
          "[checkpoint]") {
  test::temp_dir dir;
  auto path = dir.path + "/model.ckpt";
  checkpoint c{"plain", 2, {tensor{1.0, 2.0, 3.0, 4.0}}};
  REQUIRE_FALSE(save_checkpoint(path, c));
  auto good = slurp(path);
  CHECK_THAT(load_error(dir.path + "/missing.ckpt"),
             Contains("missing.ckpt") && Contains("cannot open"));
  spit(path, "hello\n");
  CHECK_THAT(load_error(path), Contains("not a checkpoint"));
  auto v9 = good;
  v9.replace(v9.find(" 1\n"), 3, " 9\n");
  spit(path, v9);
  CHECK_THAT(load_error(path),
             Contains("version 9, this build reads versions 1 to 1"));
  spit(path, good.substr(0, good.size() - 5));
  CHECK_THAT(load_error(path), Contains("truncated"));
  spit(path, good.substr(0, 25));
  CHECK_THAT(load_error(path), Contains("truncated"));
  auto flipped = good;
  flipped[flipped.size() - 3] ^= 0x40;
  spit(path, flipped);
  CHECK_THAT(load_error(path), Contains("corrupt"));
  // A header and checksum that fit a payload Boost cannot read.
  std::string junk = "not an archive at all";
  auto header = good.substr(0, good.find('\n') + 1);
  std::string sized = header;
  uint64_t h = 14695981039346656037ull;
  for (unsigned char ch : junk) {
    h ^= ch;
    h *= 1099511628211ull;
  }
  for (auto x : {uint64_t{junk.size()}, h})
    for (int i = 0; i < 8; ++i)
      sized.push_back(static_cast<char>((x >> (8 * i)) & 0xff));
  spit(path, sized + junk);
  CHECK_THAT(load_error(path), Contains("unreadable"));
}

TEST_CASE("checkpoint: training resumed from round 1 ends where an "
          "uninterrupted run does",
          "[checkpoint][federated]") {
  if (!test::have_fashion_mnist())
    return;
  shard_spec spec;
  spec.limit = 200;
  auto train = value_or_throw(load_shard(spec));
  spec.split = "test";
  spec.limit = 100;
  auto test = value_or_throw(load_shard(spec));
  training_options opts;
  opts.batch_size = 50;
  opts.rounds = 2;
  test::temp_dir dir;
  auto path = dir.path + "/c.ckpt";
  auto straight = train_centralized(train, test, opts);
  REQUIRE(straight);
  auto first = opts;
  first.rounds = 1;
  first.checkpoint_path = path;
  first.checkpoint_label = "centralized";
  REQUIRE(train_centralized(train, test, first));
  auto saved = load_checkpoint(path);
  REQUIRE(saved);
  CHECK(saved->round == 1);
  auto second = opts;
  second.initial_params = saved->params;
  second.first_round = saved->round + 1;
  auto resumed = train_centralized(train, test, second);
  REQUIRE(resumed);
  REQUIRE(resumed->rounds.size() == 1);
  CHECK(resumed->rounds[0].round == 2);
  REQUIRE(resumed->params.size() == straight->params.size());
  for (size_t i = 0; i < straight->params.size(); ++i)
    CHECK(resumed->params[i].equal(straight->params[i]));
  // Another model's parameters do not resume this one.
  auto wrong = opts;
  wrong.initial_params = {tensor::zeros({3, 3})};
  auto refused = train_centralized(train, test, wrong);
  REQUIRE_FALSE(refused);
  CHECK_THAT(message_of(refused.error()), Contains("resume"));
}
