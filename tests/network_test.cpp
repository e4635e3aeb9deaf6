// Workers in separate node processes: direct data paths, failures that
// become errors within a bound, restarts, bad input on the wire, large data.

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <future>
#include <random>
#include <sstream>
#include <thread>

#include "fixture.hpp"
#include "workers/async.hpp"

using namespace workers;
using namespace workers::test;
using Catch::Matchers::Contains;

namespace {

// A client and the nodes it starts; `TimeoutSeconds` bounds each request
// (scaled under sanitizers).
template <int TimeoutSeconds>
struct network_with_timeout {
  runtime_config cfg;
  runtime rt{client_config(cfg, [] {
    auto opts = fast_options();
    opts.client.request_timeout = scaled(std::chrono::seconds(TimeoutSeconds));
    return opts;
  }())};
  node_map nodes;

  worker start(const std::string& name, std::vector<std::string> args = {}) {
    return start_node(rt, nodes, name, std::move(args));
  }
};

using network = network_with_timeout<5>;

// For transfers of hundreds of MiB, which under a loaded CI machine (two
// cores, four test processes and their nodes) took more than 5 s; the tests
// using it bound memory, not time.
using network_large = network_with_timeout<60>;

// Bytes this process has read from files and sockets so far.
uint64_t bytes_read_by_this_process() {
  std::ifstream io{"/proc/self/io"};
  std::string key;
  uint64_t value = 0;
  while (io >> key >> value)
    if (key == "rchar:")
      return value;
  return 0;
}

template <class F>
std::chrono::milliseconds elapsed(F f) {
  auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
    std::chrono::steady_clock::now() - t0);
}

// How fast failures must surface (scaled under sanitizers, fixture.hpp).
const auto failure_bound = scaled(std::chrono::seconds(3));

} // namespace

TEST_CASE_METHOD(network, "network: a move between nodes bypasses the caller",
                 "[network]") {
  auto bob = start("bob");
  auto alice = start("alice");
  auto x = tensor::full({2048, 2048}, 0.5).send(bob); // 16 MiB of float32
  const uint64_t size = 2048 * 2048 * 4;
  REQUIRE(bob.count() == 1);
  auto bob_before = bob.stats();
  auto alice_before = alice.stats();
  auto read_before = bytes_read_by_this_process();
  x.move(alice);
  REQUIRE(alice.count() == 1);
  auto read_after = bytes_read_by_this_process();
  CHECK(bob.count() == 0);
  CHECK(bob.stats().tensor_bytes_out - bob_before.tensor_bytes_out == size);
  CHECK(alice.stats().tensor_bytes_in - alice_before.tensor_bytes_in == size);
  // The caller's process read a few acknowledgements, not the tensor.
  CHECK(read_after - read_before < size / 100);
  CHECK(x.get().sum().item<double>() == 0.5 * 2048 * 2048);
}

TEST_CASE_METHOD(network, "network: a move completes after the caller exits",
                 "[network]") {
  auto bob = start("bob");
  auto alice = start("alice");
  auto b = std::to_string(nodes["bob"]->port());
  auto a = std::to_string(nodes["alice"]->port());
  auto files = test_pki::get().files_for("caller");
  auto pid = fork();
  if (pid == 0) {
    execl(WORKERS_MOVE_AND_EXIT_BINARY, WORKERS_MOVE_AND_EXIT_BINARY, b.c_str(),
          a.c_str(), files.certificate.c_str(), files.key.c_str(),
          files.cafile.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  // The caller is gone; bob still delivers to alice over their own link.
  uint64_t at_alice = 0;
  for (int i = 0; i < 50 * timeout_scale() && at_alice == 0; ++i) {
    at_alice = alice.count();
    if (at_alice == 0)
      std::this_thread::sleep_for(100ms);
  }
  CHECK(at_alice == 1);
  CHECK(bob.count() == 0);
  // It is the caller's: this client sees its dtype and shape, not its values.
  auto listing = alice.objects();
  CHECK(listing.entries.empty());
  REQUIRE(listing.hidden.size() == 1);
  CHECK_THAT(listing.hidden.front().second,
             Contains("[512, 512]") && Contains("belongs to caller"));
}

TEST_CASE_METHOD(network, "network: a killed node fails pending requests fast",
                 "[network]") {
  auto args = fast_node_args();
  args.push_back("--workers.park-timeout=30s"); // the get would wait long
  auto bob = start("bob", args);
  auto ctx = rt.context();
  pointer<tensor> pending{std::make_shared<pointer_state>(
    ctx, bob.ref(), object_id{0xabc, 1}, ctx->next_id())};
  auto result =
    std::async(std::launch::async, [&] { return pending.try_get(); });
  std::this_thread::sleep_for(scaled(200ms)); // the get is now parked on bob
  nodes["bob"]->kill(SIGKILL);
  auto t = elapsed([&] { result.wait(); });
  auto value = result.get();
  REQUIRE_FALSE(value);
  CHECK(is(value.error(), errc::peer_unreachable));
  CHECK_THAT(render(value.error()), Contains("bob"));
  CHECK(t < failure_bound);
  // Later operations fail at once, too.
  auto later = tensor{1}.send(bob);
  auto t2 = elapsed(
    [&] { CHECK(is(error_of([&] { later.get(); }), errc::peer_unreachable)); });
  CHECK(t2 < failure_bound);
}

TEST_CASE_METHOD(network,
                 "network: a chain through a killed node fails fast "
                 "and the others keep working",
                 "[network]") {
  auto bob = start("bob");
  auto alice = start("alice");
  auto p2x = tensor{1, 2}.send(bob).send(alice);
  REQUIRE(alice.count() == 1);
  nodes["bob"]->kill(SIGKILL);
  auto y = p2x + p2x; // alice forwards to the dead bob
  auto t = elapsed([&] {
    auto err = error_of([&] { y.get(); });
    CHECK(is(err, errc::peer_unreachable));
    CHECK_THAT(render(err), Contains("bob"));
  });
  // KNOWN DEFECT (open, issue 9): in about one run in three the failure
  // surfaces only when alice's forward times out (3 s, the node's
  // forward-timeout) instead of at bob's down message; the bound allows
  // that until it is fixed.
  CHECK(t < failure_bound + std::chrono::seconds(3));
  auto z = tensor{3, 4}.send(alice);
  CHECK((z + z).get().equal(tensor{6, 8}));
}

TEST_CASE_METHOD(network,
                 "network: moving from a killed node keeps the "
                 "pointer at the source, and work sent meanwhile fails at "
                 "once",
                 "[network]") {
  auto bob = start("bob");
  auto alice = start("alice");
  auto x = tensor{5}.send(bob);
  REQUIRE(bob.count() == 1);
  nodes["bob"]->kill(SIGKILL);
  x.move(alice);
  // Found by workers_sim --faults=kill (seed 5000001): the handle points at
  // alice until the move settles, so `x + 1` goes there, for an id that
  // never comes. Nothing told alice, so it waited out the move's
  // expectation and the client's get timed out. The client agent now tells
  // the destination when a move fails (gone).
  auto y = x + 1;
  auto t = elapsed([&] {
    auto err = error_of([&] { y.get(); });
    INFO(render(err));
    CHECK((is(err, errc::peer_unreachable) || is(err, errc::no_such_object)));
  });
  CHECK(t < failure_bound);
  auto err = error_of([&] { x.get(); });
  CHECK(is(err, errc::peer_unreachable));
  CHECK(x.location().name == "bob");
  CHECK(alice.count() == 0);
}

TEST_CASE_METHOD(network,
                 "network: a worker restarted under its name serves "
                 "new pointers",
                 "[network]") {
  auto bob = start("bob");
  auto old = tensor{1}.send(bob);
  REQUIRE(bob.count() == 1);
  nodes["bob"]->kill(SIGKILL);
  auto bob2 = start("bob"); // a new process, a new actor, the same name
  CHECK(is(error_of([&] { old.get(); }), errc::peer_unreachable));
  auto x = tensor{2, 3}.send(bob2);
  CHECK((x * 2).get().equal(tensor{4, 6}));
  CHECK(bob2.count() == 1);
}

TEST_CASE_METHOD(network, "network: garbage on a node's port is rejected",
                 "[network]") {
  auto bob = start("bob");
  auto port = nodes["bob"]->port();
  std::mt19937 rng{42};
  for (int round = 0; round < 3; ++round) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    std::vector<uint8_t> junk(4096 * (round + 1));
    for (auto& b : junk)
      b = static_cast<uint8_t>(rng());
    auto sent = ::send(fd, junk.data(), junk.size(), MSG_NOSIGNAL);
    static_cast<void>(sent);
    close(fd);
  }
  std::this_thread::sleep_for(scaled(200ms));
  // The node is alive and serves.
  CHECK(nodes["bob"]->running());
  CHECK(kill(nodes["bob"]->pid(), 0) == 0);
  auto x = tensor{7}.send(bob);
  CHECK(x.get().equal(tensor{7}));
}

// Peak resident memory of process `pid` in bytes (VmHWM).
uint64_t peak_memory(pid_t pid) {
  std::ifstream status{"/proc/" + std::to_string(pid) + "/status"};
  std::string key;
  while (status >> key) {
    uint64_t kib = 0;
    if (key == "VmHWM:" && status >> kib)
      return kib * 1024;
  }
  return 0;
}

TEST_CASE_METHOD(network_large,
                 "network: 256 MiB send, move and get stay under 3x the size "
                 "in memory at each end",
                 "[network]") {
  auto bob = start("bob");
  auto alice = start("alice");
  const uint64_t size = uint64_t{256} << 20;
  auto before = peak_memory(getpid());
  {
    auto big = tensor::full({16384, 4096}, 1.5, dtype::float32);
    auto p = big.send(bob); // chunked: bob reads it from this process
    p.move(alice);          // chunked: alice reads it from bob
    auto back = p.get();    // chunked: this process reads it from alice
    CHECK(back.equal(big));
  }
  CHECK(bob.count() == 0);
  CHECK(alice.count() == 0);
  auto bob_peak = peak_memory(nodes["bob"]->pid());
  auto alice_peak = peak_memory(nodes["alice"]->pid());
  INFO("peak bytes: bob " << bob_peak << ", alice " << alice_peak
                          << ", this process grew by "
                          << peak_memory(getpid()) - before);
#ifdef __SANITIZE_THREAD__
  // Under TSan (gcc's __SANITIZE_THREAD__), its shadow memory for every
  // byte touched counts in the resident size: this process, which touches
  // both tensors and every transfer buffer, grew by 1.7 GB. The bounds are
  // about libworkers' copies, so they are checked without TSan.
  WARN("memory bounds not checked under ThreadSanitizer");
#else
  CHECK(bob_peak < 3 * size);
  CHECK(alice_peak < 3 * size);
  // This process held the original and the copy that came back: 2x + less
  // than 1x for the transfers.
  CHECK(peak_memory(getpid()) - before < 3 * size);
#endif
}

namespace {

// Puts a 128 MiB tensor of `value` on bob and starts moving it to alice;
// kills `victim`'s node while the put is on its way. Returns the pointer.
// The 20 ms are not a bound and stay unscaled under sanitizers: they must
// end inside the move, and the move's bytes travel over the data plane
// (kernel copies that sanitizers hardly slow), so the move is not
// proportionally slower. Scaled (400 ms under TSan) the move had always
// settled before the kill.
pointer<tensor> move_and_kill(network& net, worker& bob, worker& alice,
                              const std::string& victim, float value) {
  auto x = tensor::full({8192, 4096}, value, dtype::float32).send(bob);
  REQUIRE(bob.count() == 1);
  x.move(alice);
  std::this_thread::sleep_for(20ms);
  net.nodes[victim]->kill(SIGKILL);
  return x;
}

} // namespace

TEST_CASE_METHOD(network,
                 "network: the destination dies during a move: the data "
                 "stays readable at the source",
                 "[network]") {
  auto bob = start("bob");
  auto alice = start("alice");
  auto x = move_and_kill(*this, bob, alice, "alice", 2.0f);
  caf::expected<tensor> value{caf::error{}};
  auto t = elapsed([&] { value = x.try_get(); });
  REQUIRE(value);
  CHECK(value->equal(tensor::full({8192, 4096}, 2.0, dtype::float32)));
  CHECK(x.location().name == "bob");
  CHECK(t < failure_bound + scaled(2s)); // includes fetching 128 MiB
  CHECK(bob.count() == 0);
}

TEST_CASE_METHOD(network,
                 "network: the source dies during a move: a clear error, no "
                 "copy left behind",
                 "[network]") {
  auto bob = start("bob");
  auto alice = start("alice");
  auto x = move_and_kill(*this, bob, alice, "bob", 3.0f);
  auto t = elapsed(
    [&] { CHECK(is(error_of([&] { x.get(); }), errc::peer_unreachable)); });
  CHECK(t < failure_bound);
  CHECK(alice.count() == 0);
}

TEST_CASE("network: a node stopped during a large get loses nothing",
          "[network]") {
  // D1 (protocol.hpp): the tensor leaves bob's store only once this process
  // has read every byte. Stopped (SIGSTOP) at some point of the transfer --
  // before, during or after it -- bob either delivered it or still has it.
  // The get gives up after 2 s, well before the links' connection timeout
  // (5 s), so that bob is still connected once it resumes.
  auto opts = fast_options();
  opts.client.request_timeout = scaled(2s);
  runtime_config cfg;
  runtime rt{client_config(cfg, opts)};
  node_map nodes;
  auto bob = start_node(rt, nodes, "bob");
  const auto expected = tensor::full({4096, 4096}, 0.25, dtype::float32);
  std::mt19937 rng{std::random_device{}()};
  for (int round = 0; round < 3; ++round) {
    auto x = expected.send(bob); // 64 MiB: the large-tensor path
    REQUIRE(bob.count() == 1);
    auto result = std::async(std::launch::async, [&] { return x.try_get(); });
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 60));
    nodes["bob"]->kill(SIGSTOP);
    auto value = result.get(); // bounded by the client's timeout
    nodes["bob"]->kill(SIGCONT);
    INFO("round " << round << ": "
                  << (value ? "delivered" : render(value.error())));
    if (value) {
      CHECK(value->equal(expected));
      CHECK(bob.count() == 0);
      continue;
    }
    // Not delivered: bob kept it, and taking it again works.
    CHECK(bob.count() == 1);
    auto again = x.try_get();
    REQUIRE(again);
    CHECK(again->equal(expected));
    CHECK(bob.count() == 0);
  }
}

TEST_CASE("network: a move whose source stalls past the timeout loses "
          "nothing",
          "[network]") {
  // M4 (protocol.hpp): bob is frozen when asked to move x to alice, so the
  // client's move times out; alice, told that x will not come, refuses the
  // put bob sends once it resumes, and bob keeps x -- where the handle
  // points again. (When the client only released alice's copy-to-be, bob
  // erased its own once alice took the put: x was lost.) The client gives
  // up after 2 s, well before the links' connection timeout (5 s).
  auto opts = fast_options();
  opts.client.request_timeout = scaled(1s);
  opts.worker.forward_timeout = scaled(1s);
  runtime_config cfg;
  runtime rt{client_config(cfg, opts)};
  node_map nodes;
  auto bob = start_node(rt, nodes, "bob");
  auto alice = start_node(rt, nodes, "alice");
  auto x = tensor{7, 8, 9}.send(bob);
  REQUIRE(bob.count() == 1);
  nodes["bob"]->kill(SIGSTOP);
  x.move(alice);
  CHECK(x.location().name == "alice"); // at once, until the move settles
  time_until([&] { return x.location().name == "bob"; }, scaled(4s));
  nodes["bob"]->kill(SIGCONT);
  CHECK(x.location().name == "bob");
  // bob now runs the move; alice refuses the put; bob keeps x. (A get sent
  // right away would reach bob before alice's answer and take x home
  // anyway: wait until the put reached alice and her answer reached bob.)
  time_until([&] { return alice.stats().tensor_bytes_in > 0; }, scaled(4s));
  std::this_thread::sleep_for(scaled(200ms));
  CHECK(bob.count() == 1);
  CHECK(alice.count() == 0);
  auto value = x.try_get();
  REQUIRE(value);
  CHECK(value->equal(tensor{7, 8, 9}));
  CHECK(alice.count() == 0);
  CHECK(bob.count() == 0);
}

TEST_CASE_METHOD(network, "network: messages of the wrong type are rejected",
                 "[network]") {
  auto bob = start("bob");
  caf::scoped_actor self{rt.system()};
  auto untyped = caf::actor_cast<caf::actor>(bob.handle());
  self->send(untyped, std::string{"not a worker message"}, 42);
  caf::error reply;
  self->request(untyped, 2s, std::string{"bogus"}, 1.5)
    .receive([&](const caf::message&) {},
             [&](caf::error& err) { reply = std::move(err); });
  CHECK(reply);
  // The worker keeps serving.
  auto x = tensor{1, 2}.send(bob);
  CHECK((x + x).get().equal(tensor{2, 4}));
}

TEST_CASE_METHOD(network,
                 "network: the non-blocking get fails fast on a killed node",
                 "[network]") {
  auto bob = start("bob");
  auto x = tensor{1, 2}.send(bob);
  REQUIRE(bob.count() == 1);
  nodes["bob"]->kill(SIGKILL);
  caf::scoped_actor self{rt.system()};
  auto report = caf::actor{self};
  auto t = elapsed([&] {
    rt.system().spawn([x, report](caf::event_based_actor* a) {
      async::get(
        a, x, [=](tensor) { a->send(report, std::string{"a value?"}); },
        [=](const caf::error& e) { a->send(report, render(e)); });
    });
    self->receive(
      [&](std::string& s) { CHECK_THAT(s, Contains("peer_unreachable")); },
      caf::after(failure_bound) >> [] { FAIL("no answer"); });
  });
  CHECK(t < failure_bound);
}

TEST_CASE_METHOD(network,
                 "network: changes posted to a dead node do not stall listings",
                 "[network]") {
  auto bob = start("bob");
  auto alice = start("alice");
  auto x = tensor{1}.send(bob);
  REQUIRE(bob.count() == 1);
  nodes["bob"]->kill(SIGKILL);
  CHECK(is(error_of([&] { x.get(); }), errc::peer_unreachable));
  // Known down now: these can never be acknowledged.
  auto y = tensor{2}.send(bob);
  y = {};
  x = {};
  auto t = elapsed([&] { CHECK(alice.count() == 0); });
  CHECK(t < failure_bound);
}

namespace {

// Established TCP connections whose remote end is 127.0.0.1:`port`, from
// /proc/net/tcp (each connection to the port appears once this way).
size_t connections_to(uint16_t port) {
  std::ifstream tcp{"/proc/net/tcp"};
  std::string line;
  std::getline(tcp, line); // header
  size_t result = 0;
  while (std::getline(tcp, line)) {
    std::istringstream in{line};
    std::string sl, local, remote, state;
    in >> sl >> local >> remote >> state;
    auto colon = remote.find(':');
    if (state == "01" && colon != std::string::npos &&
        std::stoul(remote.substr(colon + 1), nullptr, 16) == port)
      ++result;
  }
  return result;
}

} // namespace

TEST_CASE_METHOD(network,
                 "network: two nodes share one link, whoever sends first",
                 "[network]") {
  // Workers on both nodes start talking to each other at the same time (a
  // chain each way). CAF 0.17 mishandles links opened in both directions:
  // later the connection timeout closes one that a side still routes
  // over, and every worker of the other node looks dead. Only the node
  // with the smaller id may dial, so there is one link between them.
  auto& a_node = nodes["a"];
  a_node = std::make_unique<node_process>(node_binary(),
                                          std::vector<std::string>{"a1", "a2"},
                                          fast_node_args(), scaled(10s));
  auto& b_node = nodes["b"];
  b_node = std::make_unique<node_process>(node_binary(),
                                          std::vector<std::string>{"b1", "b2"},
                                          fast_node_args(), scaled(10s));
  auto a1 = value_or_throw(connect_to(rt, "a1", a_node->port()));
  auto a2 = value_or_throw(connect_to(rt, "a2", a_node->port()));
  auto b1 = value_or_throw(connect_to(rt, "b1", b_node->port()));
  auto b2 = value_or_throw(connect_to(rt, "b2", b_node->port()));
  auto x = tensor{1, 2}.send(b1).send(a1); // a1 -> b1
  auto y = tensor{3, 4}.send(a2).send(b2); // b2 -> a2
  auto x2 = x + x;
  auto y2 = y + y;
  CHECK(x2.get().get().to_vector<int64_t>() == std::vector<int64_t>{2, 4});
  CHECK(y2.get().get().to_vector<int64_t>() == std::vector<int64_t>{6, 8});
  // The test's own two links, plus exactly one between the nodes.
  CHECK(connections_to(a_node->port()) + connections_to(b_node->port()) == 3);
  // Past the nodes' connection timeout (5 s, scaled with the heartbeats
  // under sanitizers: fast_node_args), both directions still work.
  std::this_thread::sleep_for(scaled(std::chrono::milliseconds(5500)));
  auto x3 = x * 10;
  auto y3 = y * 10;
  CHECK(x3.get().get().to_vector<int64_t>() == std::vector<int64_t>{10, 20});
  CHECK(y3.get().get().to_vector<int64_t>() == std::vector<int64_t>{30, 40});
}

TEST_CASE_METHOD(network, "network: connect_or_spawn follows the cluster list",
                 "[network]") {
  // No cluster list: a worker in this process.
  auto local = rt.connect_or_spawn("solo");
  REQUIRE(local);
  CHECK(local->ref().node_port == 0);
  CHECK(local->handle().node() == rt.system().node());
  // With a list: the node that hosts the name, or a clear error.
  auto& node = nodes["dora"];
  node = std::make_unique<node_process>(node_binary(),
                                        std::vector<std::string>{"dora"},
                                        fast_node_args(), scaled(10s));
  auto opts = fast_options();
  opts.cluster = {"dora@127.0.0.1:" + std::to_string(node->port())};
  runtime listed{opts};
  auto remote = listed.connect_or_spawn("dora");
  REQUIRE(remote);
  CHECK(remote->ref().node_port == node->port());
  CHECK(remote->handle().node() != listed.system().node());
  auto missing = listed.connect_or_spawn("nobody");
  REQUIRE_FALSE(missing);
  CHECK(is(missing.error(), errc::no_such_object));
}
