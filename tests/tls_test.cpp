// TLS: a cluster whose nodes and clients authenticate with certificates
// made for the test (CA-signed, via the openssl command); plain clients are
// refused fast with a clear error.

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "fixture.hpp"
#include "workers/runtime_config.hpp"

using namespace workers;
using namespace workers::test;
using Catch::Matchers::Contains;

namespace {

// A temporary CA and a certificate it signed, removed afterwards.
struct tls_files {
  std::filesystem::path dir;
  std::string ca, cert, key;

  tls_files() {
    char tmpl[] = "/tmp/workers-tls-XXXXXX";
    dir = mkdtemp(tmpl);
    ca = (dir / "ca.pem").string();
    cert = (dir / "node.pem").string();
    key = (dir / "node.key").string();
    auto d = dir.string();
    auto cmd = "cd " + d +
               " && openssl req -x509 -newkey rsa:2048 -nodes -days 1"
               " -keyout ca.key -out ca.pem -subj /CN=workers-test-ca"
               " && openssl req -newkey rsa:2048 -nodes -keyout node.key"
               " -out node.csr -subj /CN=localhost"
               " && openssl x509 -req -in node.csr -CA ca.pem -CAkey ca.key"
               " -CAcreateserial -days 1 -out node.pem";
    if (std::system((cmd + " > /dev/null 2>&1").c_str()) != 0)
      throw std::runtime_error("openssl could not make test certificates");
  }

  ~tls_files() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  std::vector<std::string> args() const {
    return {"--cluster.tls", "--openssl.certificate=" + cert,
            "--openssl.key=" + key, "--openssl.cafile=" + ca};
  }
};

} // namespace

TEST_CASE("tls: a TLS cluster works end to end and plain clients are refused",
          "[tls]") {
  tls_files files;
  auto node_args = fast_node_args();
  for (auto& a : files.args())
    node_args.push_back(a);
  node_process bob_node{node_binary(), {"bob"}, node_args, scaled(10s)};
  node_process alice_node{node_binary(), {"alice"}, node_args, scaled(10s)};

  runtime_config cfg;
  REQUIRE_FALSE(cfg.parse(files.args()));
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

  // A client without TLS cannot talk to a TLS node, and says so at once.
  runtime plain{fast_options()};
  auto t0 = std::chrono::steady_clock::now();
  auto refused = plain.connect("bob", "127.0.0.1", bob_node.port());
  auto took = std::chrono::steady_clock::now() - t0;
  REQUIRE_FALSE(refused);
  CHECK(is(refused.error(), errc::peer_unreachable));
  CHECK_THAT(render(refused.error()), Contains("TLS"));
  CHECK(took < scaled(3s));
}
