// netns_client: the client of the multi-host test (tests/netns/cluster.sh).
// Run in a network namespace of its own against nodes in three others, with
// the cluster's config file:
//
//   netns_client --config-file=cluster.ini --workers.data-host=10.77.0.100
//                --workers.data-ports=40200-40299   (one command line)
//
// It connects to bob, alice and carol by the cluster list, then sends,
// computes, chains across the three hosts, moves between nodes, and moves a
// 16 MiB tensor (the data plane) from host to host and back, checking every
// value and the object count of every worker after each step. Prints one
// line per step; exits 0 if every check held, 1 on the first that did not
// (naming it), 2 on a bad configuration.

#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>

#include "workers/error.hpp"
#include "workers/actors/runtime.hpp"
#include "workers/actors/runtime_config.hpp"

using namespace workers;

namespace {

// Thrown by check() when a check fails.
struct check_failed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Fails the run with `what` unless `ok`.
void check(bool ok, const std::string& what) {
  if (!ok)
    throw check_failed{what};
}

// The object counts of bob, alice and carol, as "bob=1 alice=0 carol=0".
std::string counts(const worker& bob, const worker& alice,
                   const worker& carol) {
  std::ostringstream out;
  out << "bob=" << bob.count() << " alice=" << alice.count()
      << " carol=" << carol.count();
  return out.str();
}

// Checks the counts of the three workers after `step`.
void check_counts(const std::string& step, const worker& bob,
                  const worker& alice, const worker& carol,
                  const std::string& expected) {
  auto got = counts(bob, alice, carol);
  check(got == expected, step + ": expected " + expected + ", got " + got);
  std::cout << "ok: " << step << " (" << got << ")" << std::endl;
}

// Connects to worker `name` of the cluster list; throws naming it.
worker connect(runtime& rt, const std::string& name) {
  auto w = rt.connect(name);
  if (!w)
    throw check_failed{"cannot connect to " + name + ": " + render(w.error())};
  return *w;
}

void run(runtime& rt) {
  auto bob = connect(rt, "bob");
  auto alice = connect(rt, "alice");
  auto carol = connect(rt, "carol");
  check_counts("connected", bob, alice, carol, "bob=0 alice=0 carol=0");
  // send and an operation on bob's host.
  auto x = tensor{1, 2, 3}.send(bob);
  auto y = x + x;
  check_counts("send and op on bob", bob, alice, carol,
               "bob=2 alice=0 carol=0");
  check(y.get().equal(tensor{2, 4, 6}), "x + x on bob");
  check_counts("get of x + x", bob, alice, carol, "bob=1 alice=0 carol=0");
  // A chain across three hosts: alice points at bob, who points at carol.
  auto c = tensor{7, 8}.send(carol).send(bob).send(alice);
  check_counts("chain alice -> bob -> carol", bob, alice, carol,
               "bob=2 alice=1 carol=1");
  auto d = c * 3; // carol computes; bob and alice point at the result
  check_counts("op through the chain", bob, alice, carol,
               "bob=3 alice=2 carol=2");
  check(d.get().get().get().equal(tensor{21, 24}), "c * 3 through the chain");
  check_counts("get through the chain", bob, alice, carol,
               "bob=2 alice=1 carol=1");
  // A move between hosts: bob sends x to carol directly.
  x.move(carol);
  check_counts("move bob -> carol", bob, alice, carol, "bob=1 alice=1 carol=2");
  check((x + 1).get().equal(tensor{2, 3, 4}), "x + 1 after the move");
  // A large tensor (16 MiB: the data plane): this host -> alice -> carol ->
  // this host.
  auto& plane = *rt.options().worker.plane;
  auto served = plane.transfers_served();
  auto big = tensor::full(shape{4 << 20}, 1.5f, dtype::float32);
  auto p = big.send(alice);
  check_counts("16 MiB to alice", bob, alice, carol, "bob=1 alice=2 carol=2");
  check(plane.transfers_served() == served + 1,
        "alice read the 16 MiB tensor from this host's data plane");
  p.move(carol);
  check_counts("16 MiB alice -> carol", bob, alice, carol,
               "bob=1 alice=1 carol=3");
  check(p.get().equal(big), "the 16 MiB tensor back from carol");
  check_counts("get of 16 MiB", bob, alice, carol, "bob=1 alice=1 carol=2");
  // Letting go of every handle releases everything, on every host.
  x = {};
  c = {};
  check_counts("released", bob, alice, carol, "bob=0 alice=0 carol=0");
}

} // namespace

int main(int argc, char** argv) {
  runtime_config cfg;
  if (auto code = cfg.parse_or_exit(argc, argv, "netns_client"))
    return *code;
  try {
    runtime rt{cfg};
    run(rt);
  } catch (const check_failed& e) {
    std::cerr << "netns_client: FAILED: " << e.what() << std::endl;
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "netns_client: FAILED: " << e.what() << std::endl;
    return 1;
  }
  std::cout << "netns_client: all checks passed" << std::endl;
  return 0;
}
