#include <catch2/catch.hpp>

#include "workers/actors/runtime_config.hpp"
#include "workers/cluster.hpp"
#include "workers/error.hpp"

using namespace workers;

TEST_CASE("cluster: entries parse as name@host:port", "[cluster]") {
  auto ep = parse_endpoint("secure_worker@127.0.0.1:27003");
  REQUIRE(ep);
  CHECK(ep->worker == "secure_worker");
  CHECK(ep->host == "127.0.0.1");
  CHECK(ep->port == 27003);
  CHECK(to_string(*ep) == "secure_worker@127.0.0.1:27003");
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

TEST_CASE("cluster: a config file that cannot be read is refused",
          "[cluster]") {
  // CAF alone ignores it, and the program would quietly run everything in
  // one process.
  for (std::string opt : {"--cluster=", "--config-file="}) {
    INFO(opt);
    runtime_config cfg;
    std::string arg = opt + "/nonexistent/cluster.ini";
    char prog[] = "test";
    char* argv[] = {prog, arg.data()};
    auto err = cfg.parse_args(2, argv);
    CHECK(is(err, errc::bad_argument));
    CHECK_THAT(render(err),
               Catch::Matchers::Contains("/nonexistent/cluster.ini"));
  }
  runtime_config ok;
  char prog[] = "test";
  char* argv[] = {prog};
  CHECK_FALSE(ok.parse_args(1, argv));
}
