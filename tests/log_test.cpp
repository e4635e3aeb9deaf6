// The process log (log.hpp): levels and their parsing, one line per record
// with control characters escaped (L1, L4), a file sink, `[log]` settings
// refused at start when wrong, and what workers and nodes write to it:
// refusals and slow operations, a node's lifecycle and connections.

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>

#include "fixture.hpp"
#include "temp_dir.hpp"
#include "workers/actors/runtime_config.hpp"
#include "workers/log.hpp"

using namespace workers;
using namespace workers::test;
using Catch::Matchers::Contains;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in{path};
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

// Sends the log to a file of its own for one test, and back to stderr at
// the default level (warn) afterwards.
struct log_to_file {
  temp_dir dir{"log"};
  std::string path = dir.path + "/test.log";

  explicit log_to_file(log_level level) {
    REQUIRE_FALSE(configure_log(level, path));
  }

  ~log_to_file() { static_cast<void>(configure_log(log_level::warn, "")); }

  std::string text() const { return read_file(path); }
};

size_t count_lines(const std::string& text) {
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

} // namespace

TEST_CASE("log: levels parse as they print", "[log]") {
  for (auto x : {log_level::off, log_level::error, log_level::warn,
                 log_level::info, log_level::debug}) {
    auto back = parse_log_level(to_string(x));
    REQUIRE(back);
    CHECK(*back == x);
  }
  auto bad = parse_log_level("loud");
  REQUIRE_FALSE(bad);
  CHECK(message_of(bad.error()) ==
        "log level \"loud\": expected off, error, warn, info or debug");
}

TEST_CASE("log: one line per record, filtered by level, control characters "
          "escaped",
          "[log]") {
  log_to_file sink{log_level::info};
  CHECK(log_enabled(log_level::error));
  CHECK(log_enabled(log_level::info));
  CHECK_FALSE(log_enabled(log_level::debug));
  CHECK_FALSE(log_enabled(log_level::off));
  log(log_level::info, "node", "hosting bob");
  log(log_level::debug, "node", "not written");
  log(log_level::warn, "bob", "refused get\nFAKE 2026 INFO forged");
  log(log_level::error, "gate\x1b", "tab\there");
  auto text = sink.text();
  REQUIRE(count_lines(text) == 3);
  std::regex line{
    R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (INFO |WARN |ERROR) [^\n]+$)"};
  std::istringstream in{text};
  std::string l;
  while (std::getline(in, l))
    CHECK(std::regex_match(l, line));
  CHECK_THAT(text, Contains("INFO  node: hosting bob\n"));
  CHECK_THAT(text,
             Contains("WARN  bob: refused get\\nFAKE 2026 INFO forged\n"));
  CHECK_THAT(text, Contains("ERROR gate\\x1b: tab\\x09here\n"));
  CHECK_THAT(text, !Contains("not written"));
}

TEST_CASE("log: a file that cannot be opened is refused, naming it", "[log]") {
  auto err = configure_log(log_level::info, "/nonexistent-dir/x.log");
  REQUIRE(err);
  CHECK(is(err, errc::bad_argument));
  CHECK_THAT(message_of(err), Contains("log file /nonexistent-dir/x.log: No "
                                       "such file or directory"));
  // Nothing changed: still the default level.
  CHECK_FALSE(log_enabled(log_level::info));
  CHECK(log_enabled(log_level::warn));
}

TEST_CASE("log: [log] settings are applied at start, and refused when wrong",
          "[log][config]") {
  auto parse = [](runtime_config& cfg, std::vector<std::string> args) {
    args.insert(args.begin(), "test");
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    return cfg.parse_args(static_cast<int>(argv.size()), argv.data());
  };
  runtime_config loud;
  auto err = parse(loud, {"--log.level=loud"});
  REQUIRE(err);
  CHECK_THAT(message_of(err),
             Contains("log.level: log level \"loud\": expected off, error, "
                      "warn, info or debug"));
  runtime_config unwritable;
  err = parse(unwritable, {"--log.file=/nonexistent-dir/x.log"});
  REQUIRE(err);
  CHECK_THAT(message_of(err),
             Contains("log.file: log file /nonexistent-dir/x.log"));
  temp_dir dir{"log"};
  runtime_config good;
  REQUIRE_FALSE(
    parse(good, {"--log.level=debug", "--log.file=" + dir.path + "/a.log",
                 "--log.slow-op=250ms"}));
  CHECK(log_enabled(log_level::debug));
  CHECK(good.options().worker.slow_op == std::chrono::milliseconds(250));
  log(log_level::debug, "t", "to a.log");
  CHECK_THAT(read_file(dir.path + "/a.log"), Contains("DEBUG t: to a.log"));
  REQUIRE_FALSE(configure_log(log_level::warn, ""));
}

TEST_CASE("log: workers log slow operations", "[log]") {
  log_to_file sink{log_level::warn};
  auto opts = fast_options();
  opts.worker.slow_op = std::chrono::nanoseconds(1); // everything is slow
  runtime rt{opts};
  auto bob = rt.spawn_worker("bob", opts.worker);
  auto x = tensor{1.0, 2.0}.send(bob);
  auto y = (x + x).get();
  CHECK(y.equal(tensor{2.0, 4.0}));
  auto text = sink.text();
  CHECK_THAT(text, Contains("WARN  bob: slow: add into "));
  CHECK_THAT(text, Contains(" ms (log.slow-op)"));
}

TEST_CASE("log: a node logs its start, connections, refusals and stop",
          "[log]") {
  temp_dir dir{"log"};
  auto file = dir.path + "/node.log";
  auto args = fast_node_args("bob");
  args.erase(std::remove(args.begin(), args.end(), "--log.level=warn"),
             args.end());
  args.push_back("--log.file=" + file);
  node_process node{node_binary(), {"bob"}, args, scaled(10s)};
  {
    runtime_config cfg;
    runtime rt{client_config(cfg, fast_options())};
    auto bob = connect_to(rt, "bob", node.port());
    REQUIRE(bob);
    CHECK((tensor{4}.send(*bob) + 3).get().item<int64_t>() == 7);
  }
  {
    // A principal that administers nothing asks bob to load data.
    runtime_config cfg;
    runtime rt{client_config(cfg, fast_options("intruder"))};
    auto bob = connect_to(rt, "bob", node.port());
    REQUIRE(bob);
    CHECK_THROWS_AS(bob->load(shard_request("bob", shard_spec{})),
                    operation_error);
  }
  node.kill(SIGTERM); // apps/node stops its workers on SIGTERM
  auto text = read_file(file);
  CHECK_THAT(text, Contains("INFO  node: hosting bob on 127.0.0.1:"));
  CHECK_THAT(text, Contains(" (TLS), data plane on port "));
  CHECK_THAT(text, Contains("INFO  gate: connection with 127.0.0.1:"));
  CHECK_THAT(text, Contains(" is me"));
  CHECK_THAT(text, Contains("WARN  bob: refused load by intruder: intruder "
                            "may not load data on bob"));
  CHECK_THAT(text, Contains("INFO  node: stopping 1 workers"));
}
