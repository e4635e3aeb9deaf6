// Federated learning under enforcement, across node processes over TLS,
// with four principals and an intruder, each proving who it is with a
// certificate of the test CA:
//   me             the model owner (this process): no admin of anyone;
//   bob, alice     data owners: their nodes load Fashion-MNIST shards from
//                  their own config ([data] datasets) at startup;
//   secure_worker  the aggregator;
//   intruder       a valid certificate and no rights (tests/party.cpp).
// Every permitted flow works (aggregates over rows, trusted and secure
// aggregation, training); every forbidden one is refused with
// not_permitted, logged where the data lives, and the data stays intact.
// Skipped with a warning if the data set is not installed.

#include <filesystem>
#include <map>
#include <sstream>

#include "fixture.hpp"
#include "party_runner.hpp"
#include "workers/fl/federated.hpp"

using namespace workers;
using namespace workers::test;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

constexpr int64_t rows_per_owner = 40;

// A data owner's node: it loads 40 samples of training half `shard` (from
// 0), which only "me" may compute on and find, and names no admin but its
// own.
std::vector<std::string> owner_args(const std::string& name, int shard,
                                    std::vector<std::string> more) {
  std::vector<std::string> args;
  for (auto& arg : fast_node_args(name))
    if (arg.rfind("--policy.admins=", 0) != 0)
      args.push_back(arg);
  args.push_back("--policy.admins=[\"" + name + "_admin\"]");
  args.push_back("--data.datasets=[\"worker=" + name +
                 " split=train shard=" + std::to_string(shard) +
                 "/2 limit=" + std::to_string(rows_per_owner) +
                 " users=me\"]");
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

std::vector<std::string> aggregator_args() {
  std::vector<std::string> args;
  for (auto& arg : fast_node_args("secure_worker"))
    if (arg.rfind("--policy.admins=", 0) != 0)
      args.push_back(arg);
  return args;
}

std::string id_text(object_id x) {
  return to_string(x);
}

struct fl_cluster {
  runtime_config cfg;
  runtime rt{client_config(cfg, fast_options("me"))};
  node_map nodes;
  worker bob;
  worker alice;
  worker aggregator;

  // `more`: further node args for both data owners.
  explicit fl_cluster(std::vector<std::string> more = {}) {
    bob = start_node(rt, nodes, "bob", owner_args("bob", 0, more));
    alice = start_node(rt, nodes, "alice", owner_args("alice", 1, more));
    aggregator = start_node(rt, nodes, "secure_worker", aggregator_args());
  }

  std::vector<data_owner> owners() {
    auto found = find_shards({bob, alice});
    REQUIRE(found);
    return *found;
  }

  // Runs `steps` as `principal` (tests/party.cpp) against every node;
  // returns each step's outcome by step.
  std::map<std::string, std::string>
  party(const std::string& principal, const std::vector<std::string>& steps) {
    return run_party(nodes, principal, steps);
  }

  // How many refusals of `principal` `w`'s audit log holds.
  static size_t refusals(const worker& w, const std::string& principal) {
    size_t n = 0;
    for (auto& e : w.audit())
      n += e.kind.rfind("refused ", 0) == 0 && e.to == principal;
    return n;
  }
};

labeled_data tiny_test_set() {
  shard_spec spec;
  spec.split = "test";
  spec.limit = 100;
  return value_or_throw(load_shard(spec));
}

training_options tiny_options() {
  training_options opts;
  opts.batch_size = 20; // two batches of 20 rows: each loss an aggregate
  opts.rounds = 1;
  opts.local_steps = 2;
  return opts;
}

} // namespace

TEST_CASE("fl access: the model owner trains with trusted and secure "
          "aggregation and takes home nothing else",
          "[access][federated][network]") {
  if (!have_fashion_mnist())
    return;
  fl_cluster c;
  auto owners = c.owners();
  REQUIRE(owners.size() == 2);
  CHECK(owners[0].samples == rows_per_owner);
  CHECK(owners[1].samples == rows_per_owner);
  // Permitted: an aggregate over the rows of one owner's data.
  auto mean_image = owners[0].images.mean(0).try_get();
  REQUIRE(mean_image);
  CHECK(mean_image->shape() == shape{784});
  // Permitted: federated training with either aggregation; the model owner
  // needs nothing but its own evaluation set.
  auto test = tiny_test_set();
  for (auto agg : {aggregation::trusted, aggregation::secure})
    for (auto use_plan : {false, true}) {
      // Plans too: provenance follows each step, so the plan's loss (a
      // mean over the batch) leaves and its parameters stay.
      INFO(to_string(agg) << (use_plan ? " with a plan" : " op by op"));
      auto opts = tiny_options();
      opts.use_plan = use_plan;
      auto result = train_federated(owners, c.aggregator, agg, test, opts);
      if (!result)
        FAIL(render(result.error()));
      CHECK(result->rounds.size() == 1);
      CHECK(result->rounds[0].test_acc > 0.0);
    }
  // Refused: plain FedAvg takes each owner's model home -- trained with
  // autograd (op by op: the gradient of a released loss stays guarded,
  // remote_autograd.hpp G3; or as a backward plan) or with the closed form.
  for (auto grad : {grad_mode::autograd, grad_mode::hand})
    for (auto use_plan : {false, true}) {
      INFO(to_string(grad) << (use_plan ? " with a plan" : " op by op"));
      auto opts = tiny_options();
      opts.grad = grad;
      opts.use_plan = use_plan;
      auto plain =
        train_federated(owners, c.aggregator, aggregation::plain, test, opts);
      REQUIRE_FALSE(plain);
      CHECK(kind_of(plain.error()) == errc::not_permitted);
      CHECK_THAT(message_of(plain.error()),
                 Contains("me may not take") && Contains("not released"));
    }
  // Refused: what a curious model owner tries beyond training.
  auto probes = curious_model_owner(owners, c.aggregator, tiny_options());
  REQUIRE(probes);
  REQUIRE(probes->size() == 4);
  for (auto& p : *probes) {
    INFO(p.attempt << ": " << render(p.refusal));
    CHECK(kind_of(p.refusal) == errc::not_permitted);
  }
  CHECK_THAT(message_of((*probes)[0].refusal), Contains("private data of bob"));
  // Each refusal is logged where the data was: the raw images and the
  // model on bob, the share on alice, the moved model on the aggregator.
  CHECK(fl_cluster::refusals(c.bob, "me") >= 3); // images, plain, model
  CHECK(fl_cluster::refusals(c.alice, "me") >= 1);
  CHECK(fl_cluster::refusals(c.aggregator, "me") >= 1);
  // The data is intact: each owner keeps exactly its images and labels.
  owners.clear();
  probes->clear();
  CHECK(c.bob.count() == 2);
  CHECK(c.alice.count() == 2);
  CHECK(c.aggregator.count() == 0);
}

TEST_CASE("fl access: an intruder with a valid certificate can neither find, "
          "compute on, nor take anything",
          "[access][federated][network]") {
  if (!have_fashion_mnist())
    return;
  fl_cluster c;
  auto owners = c.owners();
  // What the model owner made: an aggregate on the aggregator, from both
  // owners' results, which it may take.
  auto from_bob = (owners[0].images.narrow(0, 0, 4) * 0.5).move(c.aggregator);
  auto from_alice =
    (owners[1].images.narrow(0, 0, 4) * 0.5).move(c.aggregator);
  auto sum = from_bob + from_alice;
  REQUIRE((sum * 1.0).try_get()); // a copy: get takes the object home
  auto images = id_text(owners[0].images.id_at_location());
  auto images_holder = id_text(owners[0].images.id());
  auto sum_id = id_text(sum.id_at_location());
  auto sum_holder = id_text(sum.id());
  auto part = id_text(from_bob.id_at_location());
  auto part_holder = id_text(from_bob.id());
  auto got = c.party(
    "intruder",
    {"search:bob:#fashion-mnist", "list:bob",
     "get:bob:" + images + ":" + images_holder, "compute:bob:sum0:" + images,
     "compute:bob:sum0:" + images + ":me",
     "get:secure_worker:" + sum_id + ":" + sum_holder,
     "get:secure_worker:" + part + ":" + part_holder,
     "move:secure_worker:" + part + ":" + part_holder + ":alice",
     "clear:secure_worker", "load:bob"});
  auto refused = [&](const std::string& step, const std::string& what) {
    INFO(step);
    CHECK_THAT(got[step], StartsWith("not_permitted") && Contains(what));
  };
  CHECK(got["search:bob:#fashion-mnist"] == "ok 0 hits");
  CHECK_THAT(got["list:bob"], StartsWith("ok 0 shown"));
  refused("get:bob:" + images + ":" + images_holder,
          "intruder may not take object " + images + " on bob");
  for (auto step :
       {"compute:bob:sum0:" + images, "compute:bob:sum0:" + images + ":me"}) {
    INFO(step);
    CHECK_THAT(got[step],
               StartsWith("exec not_permitted") &&
                 Contains("intruder may not compute on object " + images));
  }
  refused("get:secure_worker:" + sum_id + ":" + sum_holder,
          "it belongs to me");
  refused("get:secure_worker:" + part + ":" + part_holder,
          "intruder may not take");
  refused("move:secure_worker:" + part + ":" + part_holder + ":alice",
          "intruder may not move");
  CHECK(got["clear:secure_worker"] == "ok"); // its own objects: none
  refused("load:bob", "only its admins");
  // Nothing changed, and every refusal is logged under its principal.
  CHECK(c.aggregator.count() == 3);
  CHECK(sum.try_get());
  CHECK(fl_cluster::refusals(c.bob, "intruder") >= 4);
  CHECK(fl_cluster::refusals(c.aggregator, "intruder") >= 3);
}

TEST_CASE("fl access: plain FedAvg works once every owner releases to the "
          "model owner",
          "[access][federated][network]") {
  if (!have_fashion_mnist())
    return;
  fl_cluster c{{"--policy.release-to=[\"me\"]"}};
  auto owners = c.owners();
  auto result = train_federated(owners, c.aggregator, aggregation::plain,
                                tiny_test_set(), tiny_options());
  REQUIRE(result);
  // Still never the raw data.
  auto raw = owners[0].images.try_get();
  REQUIRE_FALSE(raw);
  CHECK(kind_of(raw.error()) == errc::not_permitted);
}
