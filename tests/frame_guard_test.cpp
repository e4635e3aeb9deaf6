// The frame guard (frame_guard.hpp) and the peer registry
// (peer_registry.hpp) on hand-made BASP frames: which frames reach CAF,
// which are dropped, and which close the connection.

#include <caf/all.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/io/all.hpp>

#include "fixture.hpp"
#include "workers/actors/frame_guard.hpp"
#include "workers/configure.hpp"
#include "workers/protocol.hpp"

using namespace workers;
using caf::io::basp::header;
using caf::io::basp::message_type;
using Catch::Matchers::Contains;

namespace {

caf::node_id fake_node(uint32_t pid) {
  return *caf::make_node_id(pid, "0123456789abcdef0123456789abcdef01234567");
}

struct guard_fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{(configure(cfg), cfg.load<caf::io::middleman>(), cfg)};
  std::shared_ptr<peer_registry> peers =
    std::make_shared<peer_registry>(sys.node());
  std::shared_ptr<std::set<caf::actor_id>> off_limits =
    std::make_shared<std::set<caf::actor_id>>(std::set<caf::actor_id>{3});
  caf::node_id alice = fake_node(11);
  caf::node_id carol = fake_node(33);

  // A guard for a connection this process accepted from `principal`.
  std::unique_ptr<frame_guard> accepted(const std::string& principal) {
    auto g = std::make_unique<frame_guard>(sys, peers, off_limits, 1024, true);
    g->authenticated_as(principal);
    return g;
  }

  // A frame: the header, then whatever `fields` serialize to.
  template <class... Ts>
  std::vector<char> frame(message_type op, uint64_t data, caf::actor_id dest,
                          uint8_t flags, Ts&&... fields) {
    std::vector<char> payload;
    if constexpr (sizeof...(Ts) > 0) {
      caf::binary_serializer sink{sys, payload};
      if (sink(std::forward<Ts>(fields)...))
        throw std::runtime_error("cannot serialize a test payload");
    }
    header hdr{op, flags, static_cast<uint32_t>(payload.size()), data, 0, dest};
    if (op == message_type::client_handshake)
      hdr.dest_actor = 0;
    std::vector<char> out;
    caf::binary_serializer sink{sys, out};
    if (sink(hdr))
      throw std::runtime_error("cannot serialize a test header");
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
  }

  std::vector<char> hello(const caf::node_id& who) {
    return frame(message_type::client_handshake, 0, 0, 0, who);
  }

  // A routed message from `from` to `to` whose content is `msg`.
  std::vector<char> routed(const caf::node_id& from, const caf::node_id& to,
                           caf::actor_id dest, const caf::message& msg) {
    std::vector<caf::strong_actor_ptr> stages;
    return frame(message_type::routed_message, 1, dest, 0, from, to, stages,
                 msg);
  }
};

// What feeding `bytes` does: "pass", "drop" or the error's text.
std::string verdict(frame_guard& g, const std::vector<char>& bytes) {
  std::vector<char> out;
  auto dropped = g.dropped();
  if (auto err = g.feed(bytes.data(), bytes.size(), out))
    return render(err);
  if (g.dropped() > dropped)
    return out.empty() ? "drop" : "drop+some";
  return out == bytes ? "pass" : "partial";
}

} // namespace

TEST_CASE_METHOD(guard_fixture,
                 "frame_guard: a handshake first, with a payload that names "
                 "a node",
                 "[gate]") {
  SECTION("a handshake without payload closes (CAF 0.17 would crash)") {
    auto g = accepted("alice");
    std::vector<char> bytes;
    caf::binary_serializer sink{sys, bytes};
    static_cast<void>(
      sink(header{message_type::client_handshake, 0, 0, 0, 0, 0}));
    CHECK_THAT(verdict(*g, bytes), Contains("a handshake without payload"));
  }
  SECTION("a message before the handshake closes") {
    auto g = accepted("alice");
    auto msg = frame(message_type::direct_message, 1, 7, 0, int32_t{1});
    CHECK_THAT(verdict(*g, msg), Contains("before the handshake"));
  }
  SECTION("a server handshake on an accepted connection closes") {
    auto g = accepted("alice");
    auto bytes = frame(message_type::server_handshake, 1, 0, 0, alice);
    CHECK_THAT(verdict(*g, bytes), Contains("from this side"));
  }
  SECTION("a frame above the limit closes before its payload arrives") {
    auto g = accepted("alice");
    REQUIRE(verdict(*g, hello(alice)) == "pass");
    std::vector<char> bytes;
    caf::binary_serializer sink{sys, bytes};
    static_cast<void>(
      sink(header{message_type::direct_message, 0, 1u << 30, 1, 0, 7}));
    CHECK_THAT(verdict(*g, bytes),
               Contains("1073741824 bytes") && Contains("max-message-bytes"));
  }
  SECTION("a valid handshake binds the node to the principal") {
    auto g = accepted("alice");
    CHECK(verdict(*g, hello(alice)) == "pass");
    CHECK(peers->principal_of(alice) == std::optional<std::string>{"alice"});
    CHECK_FALSE(peers->connected(alice)); // until CAF took the handshake
    g->settle();
    CHECK(peers->connected(alice));
    g.reset();
    CHECK_FALSE(peers->connected(alice));
    CHECK(peers->principal_of(alice) == std::optional<std::string>{"alice"});
  }
  SECTION("bytes split anywhere give the same verdicts") {
    auto g = accepted("alice");
    auto bytes = hello(alice);
    auto more = frame(message_type::direct_message, 1, 7, 0, int32_t{42});
    bytes.insert(bytes.end(), more.begin(), more.end());
    std::vector<char> out;
    for (auto c : bytes)
      REQUIRE_FALSE(g->feed(&c, 1, out));
    CHECK(out == bytes);
  }
}

TEST_CASE_METHOD(guard_fixture,
                 "frame_guard: nobody takes over another principal's node id",
                 "[gate]") {
  auto first = accepted("alice");
  REQUIRE(verdict(*first, hello(alice)) == "pass");
  auto impostor = accepted("mallory");
  CHECK_THAT(verdict(*impostor, hello(alice)),
             Contains("'mallory'") && Contains("'alice'"));
  first.reset(); // not even once alice has gone
  auto later = accepted("mallory");
  CHECK_THAT(verdict(*later, hello(alice)), Contains("belongs to 'alice'"));
  auto self_claim = accepted("mallory");
  CHECK_THAT(verdict(*self_claim, hello(sys.node())), Contains("own node id"));
  auto again = accepted("alice"); // alice herself, on a second connection
  CHECK(verdict(*again, hello(alice)) == "pass");
  CHECK_THAT(verdict(*again, hello(carol)), Contains("another node"));
}

TEST_CASE_METHOD(guard_fixture,
                 "frame_guard: CAF's service actors are out of reach",
                 "[gate]") {
  auto g = accepted("alice");
  REQUIRE(verdict(*g, hello(alice)) == "pass");
  // By name: CAF's spawn and config servers.
  auto named = frame(message_type::direct_message, 1,
                     static_cast<caf::actor_id>(caf::atom("ConfigServ")),
                     header::named_receiver_flag,
                     caf::make_message(caf::get_atom::value, "*"));
  CHECK(verdict(*g, named) == "drop");
  // By id.
  auto by_id = frame(message_type::direct_message, 1, 3, 0,
                     caf::make_message(caf::get_atom::value, "*"));
  CHECK(verdict(*g, by_id) == "drop");
  // The connection goes on: an ordinary message passes.
  auto fine = frame(message_type::direct_message, 1, 7, 0,
                    caf::make_message(caf::get_atom::value, "*"));
  CHECK(verdict(*g, fine) == "pass");
}

TEST_CASE_METHOD(guard_fixture, "frame_guard: relays carry no authority",
                 "[gate]") {
  auto g = accepted("client");
  auto client = fake_node(22);
  REQUIRE(verdict(*g, hello(client)) == "pass");
  auto dial = caf::make_message(dial_atom::value, std::string{"127.0.0.1"},
                                uint16_t{4711});
  auto exec =
    caf::make_message(exec_atom::value, std::string{"x"}, uint16_t{1});
  SECTION("a dial request relayed from an unknown node passes") {
    CHECK(verdict(*g, routed(carol, sys.node(), 7, dial)) == "pass");
  }
  SECTION("anything else relayed is dropped") {
    CHECK(verdict(*g, routed(carol, sys.node(), 7, exec)) == "drop");
    CHECK(verdict(*g, routed(carol, sys.node(), 7,
                             caf::make_message(list_atom::value))) == "drop");
  }
  SECTION("a dial request relayed on behalf of a known node passes too") {
    auto other = accepted("carol");
    REQUIRE(verdict(*other, hello(carol)) == "pass");
    CHECK(verdict(*g, routed(carol, sys.node(), 7, dial)) == "pass");
    CHECK(verdict(*g, routed(carol, sys.node(), 7, exec)) == "drop");
  }
  SECTION("we relay only what the peer says itself") {
    CHECK(verdict(*g, routed(client, alice, 7, dial)) == "pass");
    CHECK(verdict(*g, routed(carol, alice, 7, dial)) == "drop");
    CHECK(verdict(*g, routed(client, alice, 7, exec)) == "drop");
  }
  SECTION("a message from the peer itself may be routed to us") {
    CHECK(verdict(*g, routed(client, sys.node(), 7, exec)) == "pass");
  }
}
