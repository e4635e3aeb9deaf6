#include <catch2/catch.hpp>

#include "workers/cluster.hpp"
#include "workers/error.hpp"

using namespace workers;

TEST_CASE("cluster: entries parse as name@host:port", "[cluster]") {
  auto ep = parse_endpoint("secure_worker@127.0.0.1:47003");
  REQUIRE(ep);
  CHECK(ep->worker == "secure_worker");
  CHECK(ep->host == "127.0.0.1");
  CHECK(ep->port == 47003);
  CHECK(to_string(*ep) == "secure_worker@127.0.0.1:47003");
  for (auto bad : {"bob", "@h:1", "bob@:1", "bob@h", "bob@h:0", "bob@h:70000",
                   "bob@h:12x"}) {
    INFO(bad);
    auto r = parse_endpoint(bad);
    REQUIRE_FALSE(r);
    CHECK(is(r.error(), errc::bad_argument));
  }
}

TEST_CASE("cluster: workers are found by name", "[cluster]") {
  std::vector<std::string> c{"bob@127.0.0.1:1", "alice@127.0.0.1:2"};
  REQUIRE(find_endpoint(c, "alice"));
  CHECK(find_endpoint(c, "alice")->port == 2);
  auto missing = find_endpoint(c, "carol");
  REQUIRE_FALSE(missing);
  CHECK(is(missing.error(), errc::no_such_object));
  CHECK(render(missing.error()).find("bob, alice") != std::string::npos);
}
