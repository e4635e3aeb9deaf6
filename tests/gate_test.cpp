// The gate (gate.hpp) between real processes: TLS with a certificate per
// principal by default, refusals at the door for everyone else, and node
// processes that survive hostile bytes.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "fixture.hpp"
#include "raw_peer.hpp"

using namespace workers;
using namespace workers::test;
using Catch::Matchers::Contains;

namespace {

// The node still serves a legitimate client: a put and a get of a value.
void check_serves(uint16_t port) {
  runtime_config cfg;
  runtime rt{client_config(cfg, fast_options())};
  auto bob = connect_to(rt, "bob", port);
  REQUIRE(bob);
  CHECK(tensor{7, 8}.send(*bob).get().equal(tensor{7, 8}));
}

} // namespace

TEST_CASE("gate: a TLS cluster with a certificate per principal works end to "
          "end",
          "[gate]") {
  node_process bob_node{
    node_binary(), {"bob"}, fast_node_args("bob"), scaled(10s)};
  node_process alice_node{
    node_binary(), {"alice"}, fast_node_args("alice"), scaled(10s)};
  runtime_config cfg;
  runtime rt{client_config(cfg, fast_options())};
  auto bob = connect_to(rt, "bob", bob_node.port());
  REQUIRE(bob);
  auto alice = connect_to(rt, "alice", alice_node.port());
  REQUIRE(alice);
  // A chain and a node-to-node move, both over TLS links.
  auto p2x = tensor{1, 2, 3}.send(*bob).send(*alice);
  CHECK((p2x + p2x).get().get().equal(tensor{2, 4, 6}));
  auto m = tensor{5}.send(*bob);
  m.move(*alice);
  CHECK(m.get().equal(tensor{5}));
  p2x = {};
  CHECK(alice->count() == 0);
  CHECK(bob->count() == 0);
}

TEST_CASE("gate: only a certificate the cluster's CA signed gets in",
          "[gate]") {
  node_process bob_node{
    node_binary(), {"bob"}, fast_node_args("bob"), scaled(10s)};
  // Connects with `opts` and answers the refusal and how long it took.
  auto refusal = [&](const runtime_options& opts) {
    runtime_config cfg;
    runtime rt{client_config(cfg, opts)};
    auto t0 = std::chrono::steady_clock::now();
    auto refused = rt.connect("bob", "127.0.0.1", bob_node.port());
    auto took = std::chrono::steady_clock::now() - t0;
    REQUIRE_FALSE(refused);
    return std::make_pair(refused.error(), took);
  };
  SECTION("a self-signed certificate is refused at once") {
    auto opts = fast_options();
    opts.gate.files = test_pki::get().foreign_files_for("me");
    auto [err, took] = refusal(opts);
    CHECK(is(err, errc::peer_unreachable));
    CHECK_THAT(render(err), Contains("TLS"));
    CHECK(took < scaled(3s));
  }
  SECTION("a plaintext client is refused within its request timeout") {
    // It waits for the node's BASP handshake, the node for its TLS hello:
    // the client's bound ends the wait (or the node's handshake timeout).
    auto opts = fast_options();
    opts.gate.insecure = true;
    auto [err, took] = refusal(opts);
    CHECK(is(err, errc::peer_unreachable));
    CHECK_THAT(render(err), Contains("does the node expect TLS?"));
    CHECK(took < opts.client.request_timeout + scaled(2s));
  }
  SECTION("a client with missing certificate files is told which") {
    auto opts = fast_options();
    opts.gate.files.certificate = "/nonexistent/me.pem";
    auto [err, took] = refusal(opts);
    CHECK(is(err, errc::bad_argument));
    CHECK_THAT(render(err), Contains("/nonexistent/me.pem") &&
                              Contains("openssl.certificate"));
    CHECK(took < scaled(1s));
  }
  SECTION("plaintext bytes never reach CAF") {
    raw_connection raw{bob_node.port()};
    raw.send_bytes(basp_header(0, 0, 1)); // the 32-byte crash of CAF 0.17
    CHECK(raw.closed_within(scaled(3s)));
  }
  CHECK(process_alive(bob_node.pid()));
  check_serves(bob_node.port());
}

TEST_CASE("gate: a node without its certificate files does not start",
          "[gate]") {
  std::string cmd = node_binary() + " --node.workers=[bob]";
  for (auto& arg : fast_node_args("bob"))
    cmd += " '" + arg + "'";
  cmd += " --openssl.key=/nonexistent/bob.key";
  auto [status, text] = run_and_capture(cmd, scaled(30s));
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) != 0);
  CHECK_THAT(text, Contains("/nonexistent/bob.key") && Contains("openssl.key"));
  CHECK_THAT(text, !Contains("hosting"));
}

TEST_CASE("gate: hostile frames close their connection and nothing else",
          "[gate]") {
  // Plaintext, where CAF's parser would be exposed without the gate.
  auto args = fast_node_args("bob");
  args.push_back("--cluster.insecure");
  args.push_back("--gate.handshake-timeout=1s");
  node_process bob_node{node_binary(), {"bob"}, args, scaled(10s)};
  auto port = bob_node.port();
  auto rss_before = rss_kib(bob_node.pid());
  SECTION("a handshake without payload (CAF 0.17 dereferences null)") {
    for (uint8_t op : {0, 1}) {
      raw_connection raw{port};
      raw.send_bytes(basp_header(op, 0, 1));
      CHECK(raw.closed_within(scaled(3s)));
    }
  }
  SECTION("a message before the handshake") {
    raw_connection raw{port};
    raw.send_bytes(basp_header(2, 16, 1, 1));
    CHECK(raw.closed_within(scaled(3s)));
  }
  SECTION("headers announcing a gigabyte each") {
    std::vector<std::unique_ptr<raw_connection>> conns;
    for (int i = 0; i < 4; ++i) {
      conns.push_back(std::make_unique<raw_connection>(port));
      conns.back()->send_bytes(basp_header(1, 1u << 30));
    }
    for (auto& c : conns)
      CHECK(c->closed_within(scaled(3s)));
    CHECK(rss_kib(bob_node.pid()) - rss_before < 64 * 1024);
  }
  SECTION("an undefined operation") {
    raw_connection raw{port};
    raw.send_bytes(basp_header(0x7f, 0));
    CHECK(raw.closed_within(scaled(3s)));
  }
  SECTION("random bytes") {
    std::vector<uint8_t> junk(4096);
    uint32_t x = 12345;
    for (auto& b : junk) {
      x = x * 1103515245 + 12345;
      b = static_cast<uint8_t>(x >> 16);
    }
    raw_connection raw{port};
    raw.send_bytes(junk);
    CHECK(raw.closed_within(scaled(3s)));
  }
  SECTION("a connection that never says anything") {
    raw_connection raw{port};
    CHECK(raw.closed_within(scaled(4s)));
  }
  CHECK(process_alive(bob_node.pid()));
  check_bob_serves(port);
}

TEST_CASE("gate: the audit log names the authenticated principal, not the "
          "declared one",
          "[gate]") {
  node_process bob_node{
    node_binary(), {"bob"}, fast_node_args("bob"), scaled(10s)};
  auto opts = fast_options("me");
  opts.me_name = "secure_worker"; // what the client says it is
  runtime_config cfg;
  cfg.me_name = opts.me_name;
  runtime rt{client_config(cfg, opts)};
  auto bob = connect_to(rt, "bob", bob_node.port());
  REQUIRE(bob);
  CHECK(tensor{1, 2}.send(*bob).get().equal(tensor{1, 2}));
  auto log = bob->audit();
  REQUIRE(log.size() == 1);
  CHECK(log[0].kind == "get");
  CHECK(log[0].to == "me (declared secure_worker)");
}

TEST_CASE("gate: connections beyond the limit are refused, then served again",
          "[gate]") {
  auto args = fast_node_args("bob");
  args.push_back("--cluster.insecure");
  args.push_back("--gate.max-connections=2");
  args.push_back("--gate.handshake-timeout=1s");
  node_process bob_node{node_binary(), {"bob"}, args, scaled(10s)};
  {
    raw_connection first{bob_node.port()};
    raw_connection second{bob_node.port()};
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    raw_connection third{bob_node.port()};
    CHECK(third.closed_within(std::chrono::milliseconds(500)));
    // The first two wait for their handshake until the timeout.
    CHECK(first.closed_within(scaled(3s)));
    CHECK(second.closed_within(scaled(3s)));
  }
  std::this_thread::sleep_for(scaled(1500ms)); // the reaper's next round
  CHECK(process_alive(bob_node.pid()));
  auto opts = fast_options();
  opts.gate.insecure = true;
  runtime_config cfg;
  runtime rt{client_config(cfg, opts)};
  auto bob = connect_to(rt, "bob", bob_node.port());
  REQUIRE(bob);
  CHECK(tensor{7, 8}.send(*bob).get().equal(tensor{7, 8}));
}
