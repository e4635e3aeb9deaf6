// The data plane over TLS (data_plane.hpp, D3; tls_stream.hpp): blobs are
// read with the cluster's certificates, readers and servers with other
// certificates are refused, node processes move large tensors over it, and
// its port can be fixed.

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <thread>

#include "workers/actors/tls_stream.hpp"
#include "workers/data_plane.hpp"

#include "fixture.hpp"

using namespace workers;
using namespace std::chrono_literals;
using workers::test::scaled;
using workers::test::test_pki;
using workers::test::timeout_scale;

namespace {

std::shared_ptr<const stream_security> tls_of(const std::string& principal) {
  return std::make_shared<const tls_security>(
    test_pki::get().files_for(principal));
}

std::shared_ptr<const stream_security>
foreign_tls_of(const std::string& principal) {
  return std::make_shared<const tls_security>(
    test_pki::get().foreign_files_for(principal));
}

blob_ref stage_on(data_plane& plane, const tensor& t) {
  return plane.stage(caf::actor{}, "bob", t,
                     staging_area::clock::now() + scaled(10s));
}

// Waits (bounded) until `plane` has served `n` transfers.
bool served(const data_plane& plane, uint64_t n) {
  for (int i = 0; i < 200 * timeout_scale() && plane.transfers_served() < n;
       ++i)
    std::this_thread::sleep_for(10ms);
  return plane.transfers_served() == n;
}

// A socket listening on 127.0.0.1 with a port the OS chose; closed when it
// goes.
struct taken_port {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  uint16_t port = 0;

  taken_port() {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0);
    REQUIRE(::listen(fd, 4) == 0);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port = ntohs(addr.sin_port);
  }

  ~taken_port() { ::close(fd); }
};

// A port that was free a moment ago.
uint16_t free_port() {
  return taken_port{}.port;
}

} // namespace

TEST_CASE("data plane tls: a blob is read with the cluster's certificates",
          "[data_plane]") {
  data_plane plane;
  REQUIRE_FALSE(plane.listen("127.0.0.1", 0, tls_of("bob")));
  CHECK(std::string{plane.security()->name()} == "TLS");
  auto t = tensor::arange(3 << 20, dtype::float32); // 12 MiB
  auto ref = stage_on(plane, t);
  REQUIRE(ref.data_port == plane.port());
  auto got = fetch_over_tcp(ref, scaled(5s), *tls_of("alice"));
  REQUIRE(got);
  REQUIRE(got->nbytes() == t.nbytes());
  CHECK(got->equal(t));
  CHECK(served(plane, 1));
  // The token still decides which blob a reader gets (D1).
  auto forged = stage_on(plane, t);
  forged.token.lo ^= 1;
  auto refused = fetch_over_tcp(forged, scaled(5s), *tls_of("alice"));
  REQUIRE_FALSE(refused);
  CHECK(is(refused.error(), errc::no_such_object));
}

TEST_CASE("data plane tls: readers and servers outside the cluster's CA are "
          "refused, the blob stays for chunks",
          "[data_plane]") {
  data_plane plane;
  REQUIRE_FALSE(plane.listen("127.0.0.1", 0, tls_of("bob")));
  auto t = tensor::arange(1 << 16, dtype::int64);
  auto ref = stage_on(plane, t);
  auto t0 = std::chrono::steady_clock::now();
  // A certificate from another CA, a plain TCP reader: no byte (D3). The
  // reader fails with peer_unreachable, which makes fetch_blob fall back to
  // chunks (D2), and the blob stays staged for them (S2).
  for (auto& reader : {foreign_tls_of("alice"), plain_tcp()}) {
    auto result = fetch_over_tcp(ref, scaled(5s), *reader);
    REQUIRE_FALSE(result);
    CHECK(is(result.error(), errc::peer_unreachable));
    CHECK(render(result.error()).find("bob") != std::string::npos);
  }
  CHECK(std::chrono::steady_clock::now() - t0 < scaled(5s));
  CHECK(plane.transfers_served() == 0);
  CHECK(plane.staging().size() == 1);
  // A server with a foreign certificate is refused by a valid reader.
  data_plane rogue;
  REQUIRE_FALSE(rogue.listen("127.0.0.1", 0, foreign_tls_of("bob")));
  auto lure = stage_on(rogue, t);
  auto lured = fetch_over_tcp(lure, scaled(5s), *tls_of("alice"));
  REQUIRE_FALSE(lured);
  CHECK(is(lured.error(), errc::peer_unreachable));
  CHECK(rogue.transfers_served() == 0);
  // The blob is still there for a reader the cluster trusts.
  auto got = fetch_over_tcp(ref, scaled(5s), *tls_of("alice"));
  REQUIRE(got);
  CHECK(got->equal(t));
}

TEST_CASE("data plane tls: node processes move a large tensor over the TLS "
          "data plane",
          "[data_plane][network]") {
  runtime_config cfg;
  auto opts = test::fast_options();
  opts.client.request_timeout = scaled(60s);
  runtime rt{test::client_config(cfg, opts)};
  auto& plane = *rt.options().worker.plane;
  REQUIRE(plane.port() != 0);
  CHECK(std::string{plane.security()->name()} == "TLS");
  test::node_map nodes;
  auto bob = test::start_node(rt, nodes, "bob");
  auto alice = test::start_node(rt, nodes, "alice");
  auto x = tensor::full({4096, 4096}, 1.5f, dtype::float32); // 64 MiB
  // bob reads the put from this process's data plane, over TLS.
  auto p = x.send(bob);
  REQUIRE(bob.count() == 1);
  CHECK(served(plane, 1));
  // bob to alice, node to node, and back to this process.
  p.move(alice);
  REQUIRE(alice.count() == 1);
  auto back = p.get();
  CHECK(back.equal(x));
  CHECK(plane.transfers_served() == 1);
}

TEST_CASE("data plane tls: a node's data plane listens on its data-port",
          "[data_plane][network]") {
  runtime_config cfg;
  runtime rt{test::client_config(cfg, test::fast_options())};
  auto port = free_port();
  auto args = test::fast_node_args("bob");
  args.push_back("--node.data-port=" + std::to_string(port));
  test::node_map nodes;
  auto bob = test::start_node(rt, nodes, "bob", args);
  // The port is the node's: nobody else can listen there now.
  {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    CHECK(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0);
    CHECK(errno == EADDRINUSE);
    ::close(fd);
  }
  // And large tensors come from there.
  auto x = tensor::full({1024, 1024}, 2.0f, dtype::float32); // 4 MiB
  auto p = x.send(bob);
  CHECK(p.get().equal(x));
}

TEST_CASE("data plane tls: a data-port in use is a clear error",
          "[data_plane]") {
  taken_port taken;
  auto where = "127.0.0.1:" + std::to_string(taken.port);
  SECTION("a node stops at startup") {
    // Bounded by timeout(1): a node that did start would serve forever.
    std::string cmd = "timeout 30 " + test::node_binary() +
                      " --node.workers=[bob] --node.host=127.0.0.1"
                      " --node.data-port=" +
                      std::to_string(taken.port);
    for (auto& arg : test::fast_node_args("bob"))
      cmd += " '" + arg + "'";
    cmd += " 2>&1";
    auto pipe = ::popen(cmd.c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::string out;
    char buf[256];
    while (auto n = std::fread(buf, 1, sizeof(buf), pipe))
      out.append(buf, n);
    auto status = ::pclose(pipe);
    CHECK(status != 0);
    INFO(out);
    CHECK(out.find("address already in use") != std::string::npos);
    CHECK(out.find(where) != std::string::npos);
    CHECK(out.find("[node] data-port") != std::string::npos);
    CHECK(out.find("node: hosting") == std::string::npos);
  }
  SECTION("a runtime throws") {
    auto opts = test::fast_options();
    opts.data_port = taken.port;
    try {
      runtime rt{opts};
      FAIL("the runtime started on a port in use");
    } catch (const operation_error& e) {
      std::string what = render(e.error());
      INFO(what);
      CHECK(what.find("address already in use") != std::string::npos);
      CHECK(what.find(where) != std::string::npos);
      CHECK(what.find("[workers] data-port") != std::string::npos);
    }
  }
}
