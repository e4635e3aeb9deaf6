// Planned restarts (snapshot.hpp, S1-S6; node_snapshot.hpp) across
// processes: a node saves its workers on SIGTERM and a node started with
// --node.restore on the same port serves the same objects under the same
// ids to the pointers its clients held before.

#include <signal.h>

#include <fstream>
#include <thread>

#include "fixture.hpp"
#include "temp_dir.hpp"
#include "workers/found_object.hpp"
#include "workers/actors/node_process.hpp"
#include "workers/remote_plan.hpp"
#include "workers/snapshot.hpp"

using namespace workers;
using namespace workers::test;

namespace {

// A short lease, so that a client that never comes back loses its
// references within the test (scaled under sanitizers).
const auto lease = scaled(std::chrono::milliseconds(2000));

runtime_options leased_options() {
  auto opts = fast_options();
  opts.client.lease = lease;
  opts.worker.lease = lease;
  return opts;
}

// The arguments of a node hosting bob and alice that saves to `dir`.
std::vector<std::string> restart_args(const std::string& dir) {
  auto args = fast_node_args("bob");
  args.push_back("--workers.lease=" + std::to_string(lease.count()) + "ms");
  args.push_back("--node.snapshot-dir=" + dir);
  return args;
}

const std::vector<std::string> hosted{"bob", "alice"};

bool exists(const std::string& path) {
  return std::ifstream{path}.good();
}

} // namespace

TEST_CASE("restart: a node restored from its snapshots serves the pointers "
          "held before",
          "[snapshot][restart]") {
  temp_dir dir{"restart"};
  runtime_config cfg;
  runtime rt{client_config(cfg, leased_options())};
  auto first = std::make_unique<node_process>(
    node_binary(), hosted, restart_args(dir.path), scaled(10s));
  auto port = first->port();
  auto bob = connect_to(rt, "bob", port);
  auto alice = connect_to(rt, "alice", port);
  REQUIRE(bob);
  REQUIRE(alice);
  // Tensors, a result, a chain alice -> bob, a tag and a plan.
  auto x = tensor{1, 2, 3}.send(*bob).tag({"#x"});
  auto z = x + x;
  auto y = tensor{10, 20}.send(*bob);
  auto p2y = y.send(*alice);
  plan_builder b{"affine"};
  auto in = b.input();
  b.output(in * 2 + 1);
  auto affine = bob->define(b.finish());
  auto x_id = x.state()->snapshot().id_at_location;
  REQUIRE(bob->count() == 3);   // x, z, y
  REQUIRE(alice->count() == 1); // the entry to bob:y
  // SIGTERM: every worker saves itself, atomically, before the exit.
  first->kill(SIGTERM);
  CHECK(exists(dir.file("bob.snapshot")));
  CHECK(exists(dir.file("alice.snapshot")));
  CHECK_FALSE(exists(dir.file("bob.snapshot.tmp")));
  // The same port, restored.
  auto args = restart_args(dir.path);
  args.push_back("--node.port=" + std::to_string(port));
  args.push_back("--node.restore");
  node_process second{node_binary(), hosted, args, scaled(10s)};
  REQUIRE(second.port() == port);
  // S2: a snapshot is restored once.
  CHECK_FALSE(exists(dir.file("bob.snapshot")));
  CHECK(exists(dir.file("bob.snapshot.restored")));
  // The client reconnects by name and address; its old handles follow.
  auto bob2 = connect_to(rt, "bob", port);
  auto alice2 = connect_to(rt, "alice", port);
  REQUIRE(bob2);
  REQUIRE(alice2);
  CHECK(bob2->count() == 3);
  CHECK(alice2->count() == 1);
  // Same ids: the listing shows x under the id it had.
  auto listing = bob2->objects();
  bool found = false;
  for (auto& [id, value] : listing.entries)
    if (id == x_id)
      found = value.as_tensor().equal(tensor{1, 2, 3});
  CHECK(found);
  // Tags, operations, plans and chains work on the old pointers.
  auto hits = bob2->find({"#x"});
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].ptr.get().equal(tensor{1, 2, 3}));
  auto w = affine.run({x});
  REQUIRE(w.size() == 1);
  CHECK(w[0].get().equal(tensor{3, 5, 7}));
  auto sum = p2y + p2y; // alice forwards to bob with an id of its own
  CHECK(sum.get().get().equal(tensor{20, 40}));
  CHECK((x * 10).get().equal(tensor{10, 20, 30}));
  CHECK(z.get().equal(tensor{2, 4, 6}));
  CHECK(p2y.get().get().equal(tensor{10, 20}));
  CHECK(x.get().equal(tensor{1, 2, 3}));
  CHECK(y.get().equal(tensor{10, 20}));
  // Everything taken home: nothing left, nothing leaked.
  CHECK(time_until([&] { return bob2->count() == 0 && alice2->count() == 0; },
                   scaled(5s)));
}

TEST_CASE("restart: pointer entries on other nodes follow a restarted "
          "worker",
          "[snapshot][restart]") {
  // alice (her own node) holds an entry to bob's y; bob's node restarts
  // from its snapshot. alice finds bob again by name at his node's address
  // (worker_links.hpp, refind) and her entry, and the client's chain
  // through it, work again without the client doing anything about alice.
  temp_dir dir{"restart"};
  runtime_config cfg;
  runtime rt{client_config(cfg, leased_options())};
  auto alice_args = fast_node_args("alice");
  alice_args.push_back("--workers.lease=" + std::to_string(lease.count()) +
                       "ms");
  node_process alice_node{node_binary(), {"alice"}, alice_args, scaled(10s)};
  auto first = std::make_unique<node_process>(
    node_binary(), std::vector<std::string>{"bob"}, restart_args(dir.path),
    scaled(10s));
  auto port = first->port();
  auto bob = connect_to(rt, "bob", port);
  auto alice = connect_to(rt, "alice", alice_node.port());
  REQUIRE(bob);
  REQUIRE(alice);
  auto y = tensor{10, 20}.send(*bob);
  auto p2y = y.send(*alice);
  CHECK((p2y + 1).get().get().equal(tensor{11, 21}));
  REQUIRE(bob->count() == 1);   // y
  REQUIRE(alice->count() == 1); // the entry to bob:y
  first->kill(SIGTERM);
  auto args = restart_args(dir.path);
  args.push_back("--node.port=" + std::to_string(port));
  args.push_back("--node.restore");
  node_process second{node_binary(), {"bob"}, args, scaled(10s)};
  auto bob2 = connect_to(rt, "bob", port);
  REQUIRE(bob2);
  CHECK(bob2->count() == 1);
  // The chain through alice works again once she found bob (she tries
  // after 250 ms, then backs off).
  tensor value;
  auto back = time_until(
    [&] {
      try {
        value = (p2y * 2).get().get();
        return true;
      } catch (const operation_error&) {
        return false;
      }
    },
    scaled(10s));
  REQUIRE(back);
  CHECK(value.equal(tensor{20, 40}));
  CHECK(p2y.get().get().equal(tensor{10, 20}));
  CHECK(y.get().equal(tensor{10, 20}));
  CHECK(time_until([&] { return bob2->count() == 0 && alice->count() == 0; },
                   scaled(5s)));
}

TEST_CASE("restart: references of a client that never comes back lapse "
          "after the restore",
          "[snapshot][restart]") {
  temp_dir dir{"restart"};
  runtime_config cfg;
  runtime rt{client_config(cfg, leased_options())};
  auto first = std::make_unique<node_process>(
    node_binary(), std::vector<std::string>{"bob"}, restart_args(dir.path),
    scaled(10s));
  auto port = first->port();
  auto bob = connect_to(rt, "bob", port);
  REQUIRE(bob);
  auto x = tensor{1, 2, 3}.send(*bob);
  REQUIRE(bob->count() == 1);
  first->kill(SIGTERM);
  // Down for longer than a lease: that time does not count (S3).
  std::this_thread::sleep_for(lease * 2);
  auto args = restart_args(dir.path);
  args.push_back("--node.port=" + std::to_string(port));
  args.push_back("--node.restore");
  node_process second{node_binary(), {"bob"}, args, scaled(10s)};
  // Another client looks; this one never reconnects, so its renewals go to
  // the old handle and its reference lapses within 1x-1.5x the lease.
  runtime_config cfg2;
  runtime other{client_config(cfg2, leased_options())};
  auto observer = connect_to(other, "bob", port);
  REQUIRE(observer);
  CHECK(observer->count() == 1);
  auto gone = time_until([&] { return observer->count() == 0; },
                         lease * 3 / 2 + scaled(3s));
  CHECK(gone);
}

TEST_CASE("restart: a node refuses a damaged or missing snapshot, naming it",
          "[snapshot][restart]") {
  temp_dir dir{"restart"};
  auto cmd = [&](const std::string& worker) {
    return node_binary() + " --node.workers=[" + worker +
           "] --node.port=0 --cluster.insecure --node.snapshot-dir=" +
           dir.path + " --node.restore";
  };
  auto path = dir.write("bob.snapshot", "libworkers-snapshot 1\nshort");
  auto [status, out] = run_and_capture(cmd("bob"), scaled(20s));
  CHECK(status != 0);
  CHECK_THAT(out, Catch::Contains("cannot restore worker bob"));
  CHECK_THAT(out, Catch::Contains(path));
  CHECK_THAT(out, Catch::Contains("truncated"));
  auto [status2, out2] = run_and_capture(cmd("carol"), scaled(20s));
  CHECK(status2 != 0);
  CHECK_THAT(out2, Catch::Contains(dir.file("carol.snapshot")));
  CHECK_THAT(out2, Catch::Contains("cannot open"));
  // A node that cannot listen leaves its snapshot for the next try (S2).
  worker_image empty;
  empty.worker = "bob";
  empty.store.owner = "bob";
  REQUIRE_FALSE(save_snapshot(path, empty));
  node_process other{
    node_binary(), {"carol"}, {"--cluster.insecure"}, scaled(10s)};
  auto [status3, out3] = run_and_capture(
    cmd("bob") + " --node.port=" + std::to_string(other.port()), scaled(20s));
  CHECK(status3 != 0);
  CHECK_THAT(out3, Catch::Contains("address already in use"));
  CHECK(exists(path));
}

TEST_CASE("restart: a client's handles follow the new handle of a worker it "
          "connects to again",
          "[snapshot][restart]") {
  runtime rt{fast_options()};
  auto old_bob = rt.spawn_worker("bob");
  auto new_bob = rt.spawn_worker("bob-restarted");
  auto ctx = rt.context();
  // What the client knew before the restart, and what its new connect says.
  worker_ref before{old_bob.handle(), "bob", "10.1.2.3", 27101};
  worker_ref after{new_bob.handle(), "bob", "10.1.2.3", 27101};
  // The restored worker holds the object under the id and holder the
  // client's handle names.
  auto x = tensor{1, 2, 3}.send(new_bob);
  auto id = x.state()->snapshot().id_at_location;
  auto holder = ctx->next_holder();
  caf::anon_send(new_bob.handle(), retain_atom::value, id, holder);
  pointer<tensor> old_handle{
    std::make_shared<pointer_state>(ctx, before, id, holder)};
  CHECK(old_handle.state()->snapshot().location.hdl == old_bob.handle());
  // Refs without an address, or with another one, change nothing.
  ctx->rebind(worker_ref{new_bob.handle(), "bob", {}, 0});
  ctx->rebind(worker_ref{new_bob.handle(), "bob", "10.1.2.3", 27102});
  CHECK(old_handle.state()->snapshot().location.hdl == old_bob.handle());
  ctx->rebind(after);
  CHECK(old_handle.state()->snapshot().location.hdl == new_bob.handle());
  CHECK((old_handle + 1).get().equal(tensor{2, 3, 4}));
  CHECK(old_handle.get().equal(tensor{1, 2, 3}));
  CHECK(new_bob.count() == 1); // x's own reference
  CHECK(old_bob.count() == 0);
}
