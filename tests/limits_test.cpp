// Resource limits against floods and slow peers (issue 13): each test
// throws one attack at a real node process, then checks that the node
// stayed within its bound and still serves a legitimate peer.

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "fixture.hpp"
#include "raw_peer.hpp"
#include "workers/object_store.hpp"

using namespace workers;
using namespace workers::test;
using Catch::Matchers::Contains;

namespace {

// `args` with `--KEY=...` replaced by `--KEY=value` (or added).
std::vector<std::string> with_option(std::vector<std::string> args,
                                     const std::string& key,
                                     const std::string& value) {
  auto prefix = "--" + key + "=";
  args.erase(std::remove_if(args.begin(), args.end(),
                            [&](const std::string& arg) {
                              return arg.rfind(prefix, 0) == 0;
                            }),
             args.end());
  args.push_back(prefix + value);
  return args;
}

// An attacker: a process of its own (an actor system with its own node id)
// with a certificate the cluster's CA signed, connected to `name` at
// `port`. It gets in; what it sends is the test.
struct intruder {
  runtime_config cfg;
  runtime rt;
  worker target;

  intruder(const std::string& name, uint16_t port)
    : rt(client_config(cfg, fast_options("intruder"))),
      target(connect_or_throw(rt, name, port)) {
    // nop
  }

  static worker connect_or_throw(runtime& rt, const std::string& name,
                                 uint16_t port) {
    auto w = connect_to(rt, name, port);
    if (!w)
      throw std::runtime_error("intruder cannot connect: " + render(w.error()));
    return *w;
  }
};

// A tensor on a worker of this process, moved to `dest` and used there at
// once: the operation may reach `dest` before the move's put and park.
void check_move_works(runtime& rt, const worker& dest) {
  auto alice = rt.spawn_worker("alice");
  for (int i = 0; i < 3; ++i) {
    auto x = tensor{1, 2, 3}.send(alice);
    x.move(dest);
    CHECK((x + 1).get().equal(tensor{2, 3, 4}));
  }
}

// The payload of a BASP client handshake naming a made-up node `n`.
std::vector<uint8_t> client_handshake(uint8_t n) {
  caf::node_id::default_data::host_id_type host;
  host.fill(n);
  std::vector<char> payload;
  caf::binary_serializer sink{nullptr, payload};
  auto err = sink(caf::make_node_id(4242, host));
  REQUIRE_FALSE(err);
  auto out = basp_header(1, static_cast<uint32_t>(payload.size()));
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

} // namespace

TEST_CASE("limits: a store keeps at most the cap of expectations per peer",
          "[limits]") {
  object_store::limits lim;
  lim.max_expectations_per_peer = 100;
  object_store store{"bob", lim};
  auto until = object_store::clock::now() + std::chrono::hours(1);
  for (uint64_t i = 1; i <= 1000; ++i)
    store.expect(object_id{7, i}, until, "mallory");
  CHECK(store.overhead().expectations == 100);
  CHECK(store.expectations_of("mallory") == 100);
  // A renewal of a pending one, and other peers, still count.
  CHECK(store.expect(object_id{7, 1}, until + 1s, "mallory"));
  CHECK(store.expect(object_id{8, 1}, until, "alice"));
  CHECK(store.overhead().expectations == 101);
  // Arrival and expiry give the quota back.
  store.expire(until + 1s);
  CHECK(store.overhead().expectations == 0);
  CHECK(store.expect(object_id{7, 5000}, until, "mallory"));
}

TEST_CASE("limits: a flood of expect stays at its cap, and moves still work",
          "[limits][network]") {
  runtime_config cfg;
  runtime rt{client_config(cfg, fast_options())};
  node_map nodes;
  auto args = fast_node_args("bob");
  args.push_back("--workers.max-expectations-per-peer=1000");
  auto bob = start_node(rt, nodes, "bob", args);
  auto pid = nodes.at("bob")->pid();
  intruder evil{"bob", nodes.at("bob")->port()};
  auto rss_before = rss_kib(pid);
  // 100,000 announcements, each for 100 years.
  caf::timespan century = std::chrono::hours(24 * 365 * 100);
  for (uint64_t i = 1; i <= 100000; ++i)
    caf::anon_send(evil.target.handle(), expect_atom::value, object_id{4242, i},
                   century);
  CHECK(evil.target.count() == 0); // answered after the flood (one link)
  auto grown = rss_kib(pid) - rss_before;
  INFO("bob's RSS grew by " << grown << " KiB");
  CHECK(grown < 8 * 1024);
  check_move_works(rt, bob);
}

TEST_CASE("limits: one peer's flood of parked requests leaves room for "
          "others",
          "[limits][network]") {
  runtime_config cfg;
  runtime rt{client_config(cfg, fast_options())};
  node_map nodes;
  auto args = with_option(fast_node_args("bob"), "workers.park-timeout", "5s");
  args.push_back("--workers.max-parked=40");
  args.push_back("--workers.max-parked-per-peer=20");
  auto bob = start_node(rt, nodes, "bob", args);
  intruder evil{"bob", nodes.at("bob")->port()};
  // 25 requests for objects that never come: 20 park, 5 are refused.
  caf::scoped_actor self{evil.rt.system()};
  auto get = [&](uint64_t i) {
    return std::make_tuple(caf::get_atom::value, object_id{4242, i},
                           object_id{4243, i}, std::string{"intruder"});
  };
  for (uint64_t i = 1; i <= 25; ++i)
    std::apply([&](auto... xs) { self->send(evil.target.handle(), xs...); },
               get(i));
  caf::error refused;
  std::apply(
    [&](auto... xs) {
      self->request(evil.target.handle(), scaled(5s), xs...)
        .receive([](taken_value&) {},
                 [&](caf::error& err) { refused = std::move(err); });
    },
    get(26));
  CHECK(is(refused, errc::capacity_exceeded));
  CHECK_THAT(render(refused), Contains("20 requests of intruder") &&
                                Contains("(workers.max-parked-per-peer)"));
  // Meanwhile a legitimate peer's requests park and are served.
  check_move_works(rt, bob);
}

TEST_CASE("limits: an insecure peer claiming many principals gets one "
          "quota of parked requests",
          "[limits][network][hostile]") {
  // In insecure mode names are declared: a peer may say it acts for anyone
  // (op_request::principal). The quota counts its node, not the names it
  // claims, or 25 names would give it 25 quotas.
  auto args = with_option(fast_node_args("bob"), "workers.park-timeout", "5s");
  args.push_back("--cluster.insecure");
  args.push_back("--workers.max-parked-per-peer=20");
  node_process bob_node{node_binary(), {"bob"}, args, scaled(10s)};
  auto opts = fast_options();
  opts.gate.insecure = true;
  runtime_config cfg;
  runtime rt{client_config(cfg, opts)};
  auto bob = connect_to(rt, "bob", bob_node.port());
  REQUIRE(bob);
  caf::scoped_actor self{rt.system()};
  // An exec of neg on an object that never comes, for principal p<i>.
  auto exec = [](uint64_t i) {
    op_request req;
    req.op = opcode::neg;
    req.args.push_back(operand{object_id{4242, i}});
    req.result = object_id{4243, i};
    req.holder = object_id{4244, i};
    req.principal = "p" + std::to_string(i);
    return req;
  };
  for (uint64_t i = 1; i <= 20; ++i)
    self->send(bob->handle(), exec_atom::value, exec(i));
  caf::error refused;
  self->request(bob->handle(), scaled(5s), exec_atom::value, exec(21))
    .receive([](caf::ok_atom) {},
             [&](caf::error& err) { refused = std::move(err); });
  CHECK(is(refused, errc::capacity_exceeded));
  CHECK_THAT(render(refused), Contains("20 requests of node ") &&
                                Contains("(workers.max-parked-per-peer)"));
  check_bob_serves(bob_node.port());
}

TEST_CASE("limits: stalled data-plane connections cost no threads, and large "
          "tensors still travel",
          "[limits][network]") {
  runtime_config cfg;
  runtime rt{client_config(cfg, fast_options())};
  node_map nodes;
  auto port = unused_port();
  auto args = fast_node_args("bob");
  args.push_back("--node.data-port=" + std::to_string(port));
  args.push_back("--workers.data-plane-max-transfers=8");
  auto bob = start_node(rt, nodes, "bob", args);
  auto pid = nodes.at("bob")->pid();
  auto threads_before = proc_status(pid, "Threads");
  std::vector<std::unique_ptr<raw_connection>> stalled;
  for (int i = 0; i < 500; ++i)
    stalled.push_back(std::make_unique<raw_connection>(port));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto threads = proc_status(pid, "Threads");
  INFO(threads_before << " threads before 500 stalled connections, " << threads
                      << " with them");
  CHECK(threads <= threads_before + 8);
  // A large tensor each way (12 MiB, the bulk path); bob's data plane is
  // busy, so its way back falls back to chunks (D2).
  auto big = tensor::full(shape{3 << 20}, 2.0f, dtype::float32);
  auto p = big.send(bob);
  CHECK(p.get().equal(big));
  CHECK(proc_status(pid, "Threads") <= threads_before + 8 + 2);
}

TEST_CASE("limits: one host's connections leave room for other hosts",
          "[limits][network]") {
  auto args = fast_node_args("bob");
  args.push_back("--cluster.insecure");
  args.push_back("--gate.max-connections-per-host=3");
  node_process bob_node{node_binary(), {"bob"}, args, scaled(10s)};
  auto port = bob_node.port();
  std::vector<std::unique_ptr<raw_connection>> held;
  for (int i = 0; i < 3; ++i)
    held.push_back(std::make_unique<raw_connection>(port, "127.0.0.2"));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  raw_connection fourth{port, "127.0.0.2"};
  CHECK(fourth.closed_within(std::chrono::milliseconds(500)));
  // Another host (127.0.0.1) is served while the three are open.
  check_bob_serves(port);
  CHECK_FALSE(held.front()->closed_within(std::chrono::milliseconds(50)));
}

TEST_CASE("limits: a peer that stops in the middle of a message is closed "
          "after the frame timeout",
          "[limits][network]") {
  auto args = fast_node_args("bob");
  args.push_back("--cluster.insecure");
  args.push_back("--gate.frame-timeout=1s");
  node_process bob_node{node_binary(), {"bob"}, args, scaled(10s)};
  auto port = bob_node.port();
  // Both complete their handshake; one then sends 10 bytes of a message
  // announcing 1,000 and falls silent, the other stays between messages.
  raw_connection slow{port};
  raw_connection quiet{port};
  slow.send_bytes(client_handshake(1));
  quiet.send_bytes(client_handshake(2));
  slow.send_bytes(basp_header(2, 1000, 0, 9999));
  slow.send_bytes(std::vector<uint8_t>(10, 0));
  auto start = std::chrono::steady_clock::now();
  CHECK(slow.closed_within(scaled(4s)));
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(took >= std::chrono::milliseconds(900)); // not refused at once
  CHECK_FALSE(quiet.closed_within(std::chrono::milliseconds(100)));
  CHECK(process_alive(bob_node.pid()));
  check_bob_serves(port);
}
