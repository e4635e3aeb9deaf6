// Entries of `[data] datasets` (dataset_entry.hpp): they round-trip through
// to_string (E1), every malformed token is refused naming the entry and the
// token (E2), and the policies of the loaded parts follow `users` and
// `public`.

#include <catch2/catch.hpp>

#include "workers/dataset_entry.hpp"
#include "workers/error.hpp"

using namespace workers;
using Catch::Matchers::Contains;

namespace {

// The message of parsing `text`, which must fail.
std::string refusal(const std::string& text) {
  auto e = parse_dataset_entry(text);
  REQUIRE_FALSE(e);
  CHECK(is(e.error(), errc::bad_argument));
  return message_of(e.error());
}

} // namespace

TEST_CASE("dataset_entry: defaults and every field", "[dataset_entry]") {
  auto plain = parse_dataset_entry("worker=bob");
  REQUIRE(plain);
  CHECK(plain->worker == "bob");
  CHECK(plain->format == "fashion-mnist");
  CHECK(plain->spec.split == "train");
  CHECK(plain->spec.shard == 0);
  CHECK(plain->spec.shards == 1);
  CHECK(plain->spec.iid);
  CHECK(plain->users == std::vector<std::string>{"*"});
  CHECK(plain->public_parts.empty());
  auto full = parse_dataset_entry(
    "worker=bob  split=test shard=1/3 limit=500 seed=7 tags=#clinic-a,#2026 "
    "users=me,model_owner public=labels format=fashion-mnist");
  REQUIRE(full);
  CHECK(full->spec.split == "test");
  CHECK(full->spec.shard == 1); // the second third, as to_string(spec) says
  CHECK(full->spec.shards == 3);
  CHECK(to_string(full->spec) == "test 1/3 iid limit 500 seed 7");
  CHECK(full->spec.limit == 500);
  CHECK(full->spec.seed == 7);
  CHECK(full->tags == std::vector<std::string>{"#clinic-a", "#2026"});
  CHECK(full->users == std::vector<std::string>{"me", "model_owner"});
  CHECK(full->public_parts == std::vector<std::string>{"labels"});
  auto non_iid = parse_dataset_entry("worker=carol labels=6,7,8,9");
  REQUIRE(non_iid);
  CHECK_FALSE(non_iid->spec.iid);
  CHECK(non_iid->spec.labels == std::vector<int64_t>{6, 7, 8, 9});
}

TEST_CASE("dataset_entry: to_string round-trips (E1)", "[dataset_entry]") {
  for (auto text :
       {"worker=bob", "worker=bob split=train shard=2/3 limit=50 seed=1",
        "worker=carol split=train labels=6,7,8,9",
        "worker=bob split=test shard=1/3 limit=500 seed=9 tags=#a,#b "
        "users=me,model_owner public=images,labels",
        "worker=alice public=labels users=*"}) {
    INFO(text);
    auto e = parse_dataset_entry(text);
    REQUIRE(e);
    auto again = parse_dataset_entry(to_string(*e));
    REQUIRE(again);
    CHECK(*again == *e);
    CHECK(to_string(*again) == to_string(*e));
  }
  auto e = parse_dataset_entry("seed=3 worker=bob shard=1/3 limit=50");
  REQUIRE(e);
  CHECK(to_string(*e) == "worker=bob split=train shard=1/3 limit=50 seed=3");
}

TEST_CASE("dataset_entry: malformed entries are refused, naming entry and "
          "token (E2)",
          "[dataset_entry]") {
  struct bad {
    const char* text;
    const char* token;
    const char* why;
  };
  for (auto& x : {
         bad{"worker=bob sahrd=1/3", "sahrd=1/3", "unknown key \"sahrd\""},
         bad{"worker=bob limit=5 limit=6", "limit=6", "given twice"},
         bad{"worker=bob limit=5x", "limit=5x", "is not a whole number"},
         bad{"worker=bob limit=-5", "limit=-5", "is not a whole number"},
         bad{"worker=bob seed=99999999999999999999", "seed=", "whole number"},
         bad{"worker=bob shard=3/3", "shard=3/3",
             "K counts from 0 and must be below N (3)"},
         bad{"worker=bob shard=4/3", "shard=4/3", "must be below N"},
         bad{"worker=bob shard=0/0", "shard=0/0", "N must be at least 1"},
         bad{"worker=bob shard=1", "shard=1", "expected shard=K/N"},
         bad{"worker=bob tags=#a,b", "tags=#a,b", "\"b\": a tag starts with"},
         bad{"worker=bob tags=#a,,#c", "tags=#a,,#c", "empty list element"},
         bad{"worker=bob labels=1,1", "labels=1,1", "\"1\" listed twice"},
         bad{"worker=bob labels=10", "labels=10", "from 0 to 9"},
         bad{"worker=bob split=validation", "split=validation",
             "train or test"},
         bad{"worker=bob format=cifar", "format=cifar", "unknown format"},
         bad{"worker=bob public=weights", "public=weights",
             "public parts are images and labels"},
         bad{"worker= split=train", "worker=", "empty value"},
         bad{"worker=bob users=", "users=", "empty value"},
         bad{"worker=bob shard", "shard", "expected key=value"},
       }) {
    INFO(x.text);
    auto what = refusal(x.text);
    CHECK_THAT(what, Contains("dataset entry \"" + std::string{x.text} + "\""));
    CHECK_THAT(what, Contains(x.token));
    CHECK_THAT(what, Contains(x.why));
  }
  CHECK(refusal("split=test shard=0/2") ==
        "dataset entry \"split=test shard=0/2\": no worker=NAME (which "
        "worker loads it?)");
  CHECK(refusal("") == "dataset entry \"\": no worker=NAME (which worker "
                       "loads it?)");
}

TEST_CASE("dataset_entry: private parts are raw for `users`, public ones "
          "open to anyone",
          "[dataset_entry]") {
  auto e = parse_dataset_entry("worker=bob users=me,model_owner public=labels");
  REQUIRE(e);
  auto images = part_policy(*e, "bob", "images");
  CHECK(images.owner == "bob");
  CHECK(images.raw);
  CHECK(images.may_compute == e->users);
  CHECK(images.may_search == e->users);
  CHECK(images.may_take.empty());
  CHECK(images.may_see.empty());
  auto labels = part_policy(*e, "bob", "labels");
  CHECK(labels.owner == "bob");
  CHECK_FALSE(labels.raw);
  CHECK_FALSE(labels.guarded());
  for (auto r : {right::take, right::see, right::compute, right::search})
    CHECK(labels.grants(r) == std::vector<std::string>{"*"});
  CHECK(labels.may_move.empty());
  // The default is private_data's: raw, compute and search for anyone.
  auto plain = parse_dataset_entry("worker=bob");
  REQUIRE(plain);
  CHECK(part_policy(*plain, "bob", "images") == private_data("bob"));
  CHECK(shard_tags(plain->spec) ==
        std::vector<std::string>{"#fashion-mnist", "#train",
                                 "#shard train 0/1 iid seed 1"});
}
