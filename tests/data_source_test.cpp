// Entries of `[data] datasets` (data_source.hpp), parsed against the
// Fashion-MNIST source (fashion_mnist_source.hpp): they round-trip through
// to_string (S1), every malformed token is refused naming the entry and the
// token (S2, F1), and the policies of the loaded parts follow `users` and
// `public`. The last case plugs a source of its own into a worker.

#include <catch2/catch.hpp>

#include "workers/actors/runtime.hpp"
#include "workers/configure.hpp"
#include "workers/error.hpp"
#include "workers/fl/fashion_mnist_source.hpp"
#include "workers/found_object.hpp"

#include "fixture.hpp"

using namespace workers;
using namespace workers::test;
using Catch::Matchers::Contains;

namespace {

caf::expected<data_request> parse_dataset_entry(const std::string& text) {
  return parse_data_request(text, *fashion_mnist_sources());
}

// The shard an entry selects.
shard_spec spec_of(const data_request& e) {
  auto spec = parse_shard_settings(e.settings);
  REQUIRE(spec);
  return *spec;
}

// The message of parsing `text`, which must fail.
std::string refusal(const std::string& text) {
  auto e = parse_dataset_entry(text);
  REQUIRE_FALSE(e);
  CHECK(is(e.error(), errc::bad_argument));
  return message_of(e.error());
}

} // namespace

TEST_CASE("data_source: defaults and every field", "[data_source]") {
  auto plain = parse_dataset_entry("worker=bob");
  REQUIRE(plain);
  CHECK(plain->worker == "bob");
  CHECK(plain->format == "fashion-mnist");
  CHECK(spec_of(*plain).split == "train");
  CHECK(spec_of(*plain).shard == 0);
  CHECK(spec_of(*plain).shards == 1);
  CHECK(spec_of(*plain).iid);
  CHECK(plain->users == std::vector<std::string>{"*"});
  CHECK(plain->public_parts.empty());
  auto full = parse_dataset_entry(
    "worker=bob  split=test shard=1/3 limit=500 seed=7 tags=#clinic-a,#2026 "
    "users=me,model_owner public=labels format=fashion-mnist");
  REQUIRE(full);
  auto spec = spec_of(*full);
  CHECK(spec.split == "test");
  CHECK(spec.shard == 1); // the second third, as to_string(spec) says
  CHECK(spec.shards == 3);
  CHECK(to_string(spec) == "test 1/3 iid limit 500 seed 7");
  CHECK(spec.limit == 500);
  CHECK(spec.seed == 7);
  CHECK(full->tags == std::vector<std::string>{"#clinic-a", "#2026"});
  CHECK(full->users == std::vector<std::string>{"me", "model_owner"});
  CHECK(full->public_parts == std::vector<std::string>{"labels"});
  auto non_iid = parse_dataset_entry("worker=carol labels=6,7,8,9");
  REQUIRE(non_iid);
  CHECK_FALSE(spec_of(*non_iid).iid);
  CHECK(spec_of(*non_iid).labels == std::vector<int64_t>{6, 7, 8, 9});
}

TEST_CASE("data_source: to_string round-trips (S1)", "[data_source]") {
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
  CHECK(to_string(*e) ==
        "worker=bob format=fashion-mnist split=train shard=1/3 limit=50 "
        "seed=3");
}

TEST_CASE("data_source: malformed entries are refused, naming entry and "
          "token (S2, F1)",
          "[data_source]") {
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
         bad{"worker=bob format=cifar", "",
             "unknown format \"cifar\" "
             "(known: fashion-mnist)"},
         bad{"worker=bob public=weights", "public=weights",
             "the parts of fashion-mnist are images and labels"},
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

TEST_CASE("data_source: private parts are raw for `users`, public ones "
          "open to anyone",
          "[data_source]") {
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
  CHECK(shard_tags(spec_of(*plain)) ==
        std::vector<std::string>{"#fashion-mnist", "#train",
                                 "#shard train 0/1 iid seed 1"});
}

TEST_CASE("data_source: shard settings and specs are inverse (F2)",
          "[data_source]") {
  auto specs = iid_shards(3, 500, 4);
  auto non_iid = non_iid_shards(3, 100, 2);
  specs.insert(specs.end(), non_iid.begin(), non_iid.end());
  for (auto& spec : specs) {
    INFO(to_string(spec));
    auto back = parse_shard_settings(shard_settings(spec));
    REQUIRE(back);
    CHECK(to_string(*back) == to_string(spec));
    auto request = shard_request("bob", spec, {"#mine"});
    auto parsed = parse_dataset_entry(to_string(request));
    REQUIRE(parsed);
    CHECK(*parsed == request);
  }
}

namespace {

// A format of the test's own: `n=K` rows of ones ("x") and their indices
// ("y"). Shows the extension point needs nothing of the FL library.
struct ones_source : data_source {
  std::vector<std::string> parts() const override { return {"x", "y"}; }
  caf::expected<std::vector<std::string>>
  normalize(const std::vector<std::string>& settings) const override {
    if (settings.size() != 1 || settings[0].rfind("n=", 0) != 0)
      return make_error(errc::bad_argument, "expected exactly n=ROWS");
    auto n = parse_whole(settings[0].substr(2), 1000);
    if (!n)
      return std::move(n.error());
    return std::vector<std::string>{"n=" + std::to_string(*n)};
  }
  std::vector<std::string>
  tags(const std::vector<std::string>&) const override {
    return {"#ones"};
  }
  caf::expected<loaded_data> load(const std::vector<std::string>& settings,
                                  const std::string&) const override {
    auto n = static_cast<int64_t>(std::stoul(settings[0].substr(2)));
    loaded_data result;
    result.rows = static_cast<uint64_t>(n);
    result.parts.emplace_back("x", tensor::full(shape{n, 2}, 1.0));
    result.parts.emplace_back("y", tensor::full(shape{n}, 0.0));
    return result;
  }
};

} // namespace

TEST_CASE("data_source: a worker loads a format of the application's own",
          "[data_source]") {
  auto sources = std::make_shared<data_sources>();
  sources->add("ones", std::make_shared<ones_source>());
  auto opts = fast_options();
  opts.worker.sources = sources;
  caf::actor_system_config cfg;
  workers::configure(cfg);
  caf::actor_system sys{cfg};
  runtime rt{sys, opts};
  auto bob = rt.spawn_worker("bob");
  auto request =
    parse_data_request("worker=bob n=3 public=y users=me", *sources);
  REQUIRE(request);
  CHECK(request->format == "ones"); // the first source is the default
  CHECK(bob.load(*request) == 3);
  CHECK(bob.count() == 2);
  auto found = bob.find({"#ones"});
  REQUIRE(found.size() == 2);
  // Each part is one object with its tags (its policy is part_policy's,
  // checked above; within one process there is one party, A4).
  auto y = bob.find({"#y"});
  REQUIRE(y.size() == 1);
  CHECK(y[0].ptr.get().equal(tensor::full(shape{3}, 0.0)));
  auto x = bob.find({"#x"});
  REQUIRE(x.size() == 1);
  CHECK(x[0].dims == shape{3, 2});
  CHECK(x[0].tags == std::vector<std::string>{"#ones", "#x"});
  // Refusals name the request and the reason; nothing is kept.
  auto refused = [&](data_request r, const std::string& why) {
    INFO(why);
    try {
      bob.load(r);
      FAIL("load succeeded");
    } catch (const operation_error& e) {
      CHECK(is(e.error(), errc::bad_argument));
      CHECK_THAT(message_of(e.error()), Contains(why));
    }
  };
  auto other = *request;
  other.worker = "alice";
  refused(other, "it names worker alice, not bob");
  auto unknown = *request;
  unknown.format = "fashion-mnist";
  refused(unknown, "worker bob has no source for format \"fashion-mnist\" "
                   "(it has: ones)");
  auto bad_settings = *request;
  bad_settings.settings = {"n=x"};
  refused(bad_settings, "\"x\" is not a whole number");
  CHECK(bob.count() == 2);
}
