// runtime: a name means one worker, spawned here or found in the cluster.

#include "fixture.hpp"

using namespace workers;
using namespace workers::test;

namespace {

// A runtime that finds bob with connect_or_spawn: in this process, or (nodes
// mode) in a node process its cluster config lists.
struct listed_bob {
  node_map nodes;
  runtime rt{options()};

  runtime_options options() {
    auto opts = fast_options();
    if (nodes_mode()) {
      auto& node = nodes["bob"];
      node = std::make_unique<node_process>(
        node_binary(), std::vector<std::string>{"bob"}, fast_node_args());
      opts.cluster = {"bob@127.0.0.1:" + std::to_string(node->port())};
    }
    return opts;
  }
};

} // namespace

TEST_CASE_METHOD(listed_bob, "runtime: connect_or_spawn twice gives one worker",
                 "[runtime][nodes]") {
  auto first = value_or_throw(rt.connect_or_spawn("bob"));
  auto second = value_or_throw(rt.connect_or_spawn("bob"));
  CHECK(first == second);
  CHECK(first.handle() == second.handle());
  {
    auto x = tensor{1, 2, 3}.send(first);
    auto listing = second.objects();
    CHECK(listing.size() == 1);
    CHECK(tensor_in(listing, x.id_at_location()).equal(tensor{1, 2, 3}));
    CHECK(first.count() == 1);
    CHECK(rt.me().count() == 0);
  }
  CHECK(second.count() == 0);
}

TEST_CASE("runtime: spawning a name it has returns that worker, me included",
          "[runtime]") {
  runtime rt{fast_options()};
  auto bob = rt.spawn_worker("bob");
  CHECK(rt.spawn_worker("bob", worker_options{}) == bob);
  CHECK(value_or_throw(rt.connect_or_spawn("bob")) == bob);
  auto alice = rt.spawn_worker("alice");
  CHECK(alice != bob);
  auto me = rt.spawn_worker(rt.options().me_name);
  CHECK(me == rt.me());
  auto x = tensor{4, 5}.send(me);
  auto y = tensor{6}.send(bob);
  CHECK(rt.me().count() == 1);
  CHECK(bob.count() == 1);
  CHECK(alice.count() == 0);
  CHECK(x.get().equal(tensor{4, 5}));
  CHECK(rt.me().count() == 0);
}
