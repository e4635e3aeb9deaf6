// A node that binds every address (node.host=0.0.0.0) tells its peers the
// address they can reach it at (node.advertised-host): moves between two
// such nodes, small and large (data plane), work; without an address to
// advertise the node refuses to start.

#include "fixture.hpp"

using namespace workers;
using namespace workers::test;
using Catch::Matchers::Contains;

namespace {

std::vector<std::string> wildcard_args(const std::string& name) {
  auto args = fast_node_args(name);
  args.push_back("--node.host=0.0.0.0");
  args.push_back("--node.advertised-host=127.0.0.1");
  return args;
}

} // namespace

TEST_CASE("advertise: nodes bound to 0.0.0.0 move data between them at the "
          "advertised address",
          "[advertise][network]") {
  runtime_config cfg;
  runtime rt{client_config(cfg, fast_options("me"))};
  node_map nodes;
  auto bob = start_node(rt, nodes, "bob", wildcard_args("bob"));
  auto alice = start_node(rt, nodes, "alice", wildcard_args("alice"));
  auto small = tensor{1.0, 2.0}.send(bob);
  small.move(alice);
  // 16 MiB: above the data plane's threshold, fetched from bob's data
  // plane at its advertised address.
  auto big_value = tensor::full({2048, 2048}, 0.5);
  auto big = big_value.send(bob);
  big.move(alice);
  CHECK(bob.count() == 0);
  CHECK(alice.count() == 2);
  CHECK(small.get().equal(tensor{1.0, 2.0}));
  CHECK(big.get().equal(big_value));
  CHECK(alice.count() == 0);
}

TEST_CASE("advertise: a node bound to 0.0.0.0 with nothing to advertise does "
          "not start",
          "[advertise][config]") {
  auto cmd = node_binary() +
             " --node.workers=[bob] --node.host=0.0.0.0 --cluster.insecure";
  auto [status, text] = run_and_capture(cmd, scaled(10s));
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 2);
  CHECK_THAT(text, Contains("node.host=0.0.0.0 binds every address") &&
                     Contains("node.advertised-host"));
}
