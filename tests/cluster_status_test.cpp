// The operator's view of a running cluster (cluster_status.hpp, apps/status):
// one row per listed worker with its counters and audit tail, and a worker
// that cannot be reached as a row with its error, not a failed report.

#include "fixture.hpp"
#include "workers/actors/cluster_status.hpp"

#ifndef WORKERS_STATUS_BINARY
#error "WORKERS_STATUS_BINARY must name the apps/status executable"
#endif

using namespace workers;
using namespace workers::test;
using Catch::Matchers::Contains;

TEST_CASE("status: every listed worker with its counts, bytes and audit "
          "tail; an unreachable one with its error",
          "[status][network]") {
  node_map nodes;
  auto& node = nodes["bob"];
  node = std::make_unique<node_process>(
    node_binary(), std::vector<std::string>{"bob"}, fast_node_args("bob"));
  auto opts = fast_options("me");
  // Port 1: nobody listens there, so the connection is refused at once.
  opts.cluster = {"bob@127.0.0.1:" + std::to_string(node->port()),
                  "ghost@127.0.0.1:1"};
  runtime rt{opts};
  auto bob = value_or_throw(rt.connect("bob"));
  auto x = tensor{1.0, 2.0, 3.0}.send(bob);
  auto y = tensor{4.0}.send(bob);
  REQUIRE((x + x).get().equal(tensor{2.0, 4.0, 6.0})); // one audit entry
  auto rows = cluster_status(rt, 1);
  REQUIRE(rows.size() == 2);
  auto& b = rows[0];
  CHECK(b.name == "bob");
  CHECK(b.address == "127.0.0.1:" + std::to_string(node->port()));
  REQUIRE_FALSE(b.error);
  CHECK(b.stats.objects == 2);
  CHECK(b.stats.stored_bytes == 4 * 4); // four float32 values
  CHECK(b.stats.messages > 0);
  CHECK(b.audit_entries == 1);
  REQUIRE(b.audit_tail.size() == 1);
  CHECK(b.audit_tail[0].kind == "get");
  CHECK(b.audit_tail[0].produced_by == "add");
  auto& g = rows[1];
  CHECK(g.name == "ghost");
  CHECK(static_cast<errc>(g.error.code()) == errc::peer_unreachable);
  // Nobody listens there: not worded as a certificate problem.
  CHECK_THAT(message_of(g.error), Contains("is a node listening there?"));
  CHECK_THAT(message_of(g.error), !Contains("certificate"));
  auto text = render_status(rows);
  CHECK_THAT(text, Contains("bob ") && Contains(" 16 B ") &&
                     Contains("#1 get -> me") && Contains("of add") &&
                     Contains("ghost") && Contains("unreachable: "));
}

TEST_CASE("status: the tool needs a cluster list", "[status]") {
  auto [status, text] =
    run_and_capture(std::string{WORKERS_STATUS_BINARY}, scaled(10s));
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 2);
  CHECK_THAT(text, Contains("no cluster list"));
}
