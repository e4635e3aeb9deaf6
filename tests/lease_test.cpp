// Leases (protocol.hpp, F1): references of a holder that died lapse within
// the lease bound, and nothing lapses while its holder lives.

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <thread>

#include "fixture.hpp"
#include "workers/fl/dataset.hpp"
#include "workers/fl/fashion_mnist_source.hpp"

using namespace workers;
using namespace workers::test;

namespace {

// A short lease, so that lapses happen within a test (scaled under
// sanitizers, like every bound of the tests).
const auto lease = scaled(std::chrono::milliseconds(1000));

runtime_options leased_options() {
  auto opts = fast_options();
  opts.client.lease = lease;
  opts.worker.lease = lease;
  return opts;
}

std::vector<std::string> leased_node_args() {
  auto args = fast_node_args();
  args.push_back("--workers.lease=" + std::to_string(lease.count()) + "ms");
  return args;
}

struct leased_nodes {
  runtime_config cfg;
  runtime rt{client_config(cfg, leased_options())};
  node_map nodes;

  worker start(const std::string& name) {
    return start_node(rt, nodes, name, leased_node_args());
  }
};

// Lapse happens between 1x and 1.5x the lease after the last renewal, which
// came at most a quarter lease before the holder died; plus the time to
// cascade and to ask for the count.
const auto lapse_bound = lease * 3 / 2 + scaled(2s);

// The hold_references helper, killed (SIGKILL) when this goes.
struct holder_process {
  pid_t pid = -1;

  holder_process(uint16_t bob_port, uint16_t alice_port) {
    // The helper's runtime takes the nodes' options: same lease, bounds
    // and heartbeats.
    std::vector<std::string> args{WORKERS_HOLD_REFERENCES_BINARY,
                                  std::to_string(bob_port),
                                  std::to_string(alice_port)};
    for (auto& arg : leased_node_args())
      args.push_back(arg);
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    pid = fork();
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }

  void kill_now() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      pid = -1;
    }
  }

  ~holder_process() { kill_now(); }
};

} // namespace

TEST_CASE_METHOD(leased_nodes,
                 "lease: a killed client's objects go within the lease bound",
                 "[network][lease]") {
  auto bob = start("bob");
  auto alice = start("alice");
  holder_process holder{nodes["bob"]->port(), nodes["alice"]->port()};
  // bob: x; alice: the pointer entry to bob:x, and y. Only the helper
  // references them.
  REQUIRE(time_until([&] { return bob.count() == 1 && alice.count() == 2; },
                     scaled(10s)));
  // Alive, it renews: after three leases everything is still there.
  std::this_thread::sleep_for(lease * 3);
  CHECK(bob.count() == 1);
  CHECK(alice.count() == 2);
  holder.kill_now();
  auto t = time_until([&] { return bob.count() == 0 && alice.count() == 0; },
                      lapse_bound);
  REQUIRE(t);
  // Not before the lease could have run out.
  CHECK(*t >= lease / 2);
}

TEST_CASE_METHOD(leased_nodes,
                 "lease: a killed middle node releases what it pointed to",
                 "[network][lease]") {
  auto bob = start("bob");
  auto alice = start("alice");
  auto p = [&] {
    auto x = tensor{1, 2, 3}.send(bob);
    return x.send(alice); // me -> alice -> bob; x's handle goes
  }();
  REQUIRE(bob.count() == 1);
  REQUIRE(alice.count() == 1);
  // alice's pointer entry alone keeps bob's object, and it renews it.
  std::this_thread::sleep_for(lease * 3);
  CHECK(bob.count() == 1);
  nodes["alice"]->kill(SIGKILL);
  auto t = time_until([&] { return bob.count() == 0; }, lapse_bound);
  CHECK(t);
}

TEST_CASE("lease: live handles keep their objects across many leases",
          "[lease]") {
  // In one process, with a lease far below the test's duration: the agent
  // and the workers renew, so nothing lapses -- chains, moves and results.
  auto opts = fast_options();
  opts.client.lease = scaled(200ms);
  opts.worker.lease = scaled(200ms);
  runtime rt{opts};
  auto bob = rt.spawn_worker("bob", opts.worker);
  auto alice = rt.spawn_worker("alice", opts.worker);
  auto x = tensor{1, 2, 3}.send(bob);
  auto p = x.send(alice);
  auto y = (x + 1) * 2;
  auto z = tensor{5}.send(bob);
  z.move(alice);
  std::this_thread::sleep_for(scaled(200ms) * 10);
  CHECK(bob.count() == 2);   // x and y (the temporary x + 1 went)
  CHECK(alice.count() == 2); // the pointer entry p, and z
  CHECK(y.get().to_vector<int64_t>() == std::vector<int64_t>{4, 6, 8});
  CHECK(p.get().get().to_vector<int64_t>() == std::vector<int64_t>{1, 2, 3});
  CHECK(z.get().to_vector<int64_t>() == std::vector<int64_t>{5});
  CHECK(x.get().to_vector<int64_t>() == std::vector<int64_t>{1, 2, 3});
  CHECK(bob.count() == 0);
  CHECK(alice.count() == 0);
}

TEST_CASE("lease: a handle claims its reference wherever it may be",
          "[lease]") {
  // The agent renews what client::claims() lists (F1): where the handle
  // points, and during a move both ends of the leg under way, since the
  // reference is at the source until the source answers.
  runtime rt{fast_options()};
  auto bob = rt.spawn_worker("bob");
  auto alice = rt.spawn_worker("alice");
  auto ctx = rt.context();
  object_id at_bob{0xabc, 1}, at_alice{0xabc, 2};
  auto holder = ctx->next_id();
  auto st = std::make_shared<pointer_state>(ctx, bob.ref(), at_bob, holder);
  auto claimed = [&] {
    std::vector<std::string> result;
    for (auto& [where, claims] : ctx->claims())
      for (auto& c : claims) {
        CHECK(c.holder == holder);
        result.push_back(where.name + ":" + to_string(c.id));
      }
    std::sort(result.begin(), result.end());
    return result;
  };
  auto on_bob = "bob:" + to_string(at_bob);
  auto on_alice = "alice:" + to_string(at_alice);
  CHECK(claimed() == std::vector<std::string>{on_bob});
  auto leg = st->begin_move(alice.ref(), at_alice);
  REQUIRE(leg);
  REQUIRE(*leg);
  CHECK(claimed() == std::vector<std::string>{on_alice, on_alice, on_bob});
  CHECK_FALSE(st->settle_move(caf::none));
  CHECK(claimed() == std::vector<std::string>{on_alice});
  REQUIRE(st->begin_take(false));
  CHECK(claimed() == std::vector<std::string>{on_alice}); // until delivered
  st->end_take(caf::none);
  CHECK(claimed().empty()); // spent: the reference went home
  st.reset();
  CHECK(ctx->claims().empty());
}

TEST_CASE("lease: data a worker loaded itself does not lapse", "[lease]") {
  // Nobody renews a shard the data owner's worker loaded from its own disk:
  // the worker holds it itself (object_store::insert_own).
  if (!std::ifstream{dataset_dir() + "/" + fashion_mnist::train_labels}) {
    WARN("Fashion-MNIST is not installed; skipped");
    return;
  }
  auto opts = data_options();
  opts.client.lease = scaled(200ms);
  opts.worker.lease = scaled(200ms);
  runtime rt{opts};
  auto bob = rt.spawn_worker("bob", opts.worker);
  shard_spec spec;
  spec.limit = 50;
  REQUIRE(bob.load(shard_request("bob", spec, {"#mine"})) == 50);
  std::this_thread::sleep_for(scaled(200ms) * 10);
  CHECK(bob.count() == 2);
  CHECK(bob.search({"#mine", "#labels"}).size() == 1);
}
