// Strict configuration (config_check.hpp) and the operable CLI: every
// misconfiguration fails at once, naming the file, the key and what was
// expected; unit tests of the checks, then the node binary (and the
// tutorial, where built) run with bad arguments, then scripts/cluster.sh.

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fixture.hpp"
#include "temp_dir.hpp"
#include "workers/actors/cluster_layout.hpp"
#include "workers/actors/config_check.hpp"
#include "workers/actors/node.hpp"
#include "workers/cluster.hpp"

#ifndef WORKERS_SOURCE_DIR
#error "WORKERS_SOURCE_DIR must name the source tree"
#endif

using namespace workers;
using namespace workers::test;
using Catch::Matchers::Contains;

namespace {

// Runs runtime_config::parse_args (or node_config's) on `args`.
caf::error parse(runtime_config& cfg, std::vector<std::string> args) {
  args.insert(args.begin(), "test");
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  return cfg.parse_args(static_cast<int>(argv.size()), argv.data());
}

// The outcome of a finished child process.
struct run_result {
  int code = -1; // exit code, or 128 + signal
  std::string out;
  std::string err;
};

// Runs `argv` with stdin from /dev/null and `env` added to the environment;
// kills it if it runs longer than `bound`.
run_result
run(std::vector<std::string> argv_s,
    std::chrono::milliseconds bound = scaled(20s),
    const std::vector<std::pair<std::string, std::string>>& env = {}) {
  std::vector<char*> argv;
  for (auto& a : argv_s)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  int out[2];
  int err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe failed");
  auto pid = fork();
  if (pid < 0)
    throw std::runtime_error("fork failed");
  if (pid == 0) {
    for (auto& [key, value] : env)
      setenv(key.c_str(), value.c_str(), 1);
    auto null = open("/dev/null", O_RDONLY);
    dup2(null, STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  run_result result;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* dst[2] = {&result.out, &result.err};
  auto deadline = std::chrono::steady_clock::now() + bound;
  int open_fds = 2;
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || poll(fds, 2, static_cast<int>(left.count())) <= 0)
      break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0)
        continue;
      char buf[4096];
      auto n = read(fds[i].fd, buf, sizeof(buf));
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        dst[i]->append(buf, static_cast<size_t>(n));
      }
    }
  }
  for (auto& p : fds)
    if (p.fd >= 0) {
      close(p.fd);
      kill(pid, SIGKILL); // ran past its bound
    }
  int status = 0;
  waitpid(pid, &status, 0);
  result.code =
    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

// A TCP port on 127.0.0.1 that was free a moment ago.
uint16_t free_port() {
  auto fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string source_file(const std::string& relative) {
  return std::string{WORKERS_SOURCE_DIR} + "/" + relative;
}

} // namespace

// -- the checks on their own -------------------------------------------------

TEST_CASE("config: unknown keys and sections of a file are refused",
          "[config]") {
  temp_dir dir;
  auto file = dir.write("typo.ini", "[workers]\nrequest-timout=5s\n"
                                    "[worker]\npark-timeout=1s\n"
                                    "[middleman]\nsomething-new=1\n");
  runtime_config cfg;
  auto err = parse(cfg, {"--config-file=" + file});
  REQUIRE(err);
  auto what = message_of(err);
  CHECK_THAT(what, Contains(file + ": [workers] request-timout: unknown key "
                                   "(keys of [workers]: data-host, "));
  CHECK_THAT(what, Contains("request-timeout"));
  CHECK_THAT(what, Contains(file + ": unknown section [worker] (known "
                                   "sections: cluster, gate, "));
  // CAF's own sections may hold keys CAF reads without declaring them.
  CHECK_THAT(what, !Contains("something-new"));
}

TEST_CASE("config: a duration without a unit is refused, in a file and on "
          "the command line",
          "[config]") {
  temp_dir dir;
  auto file = dir.write("unitless.ini", "[workers]\nrequest-timeout=5\n");
  runtime_config from_file;
  auto err = parse(from_file, {"--cluster=" + file});
  REQUIRE(err);
  CHECK(message_of(err) == file + ": [workers] request-timeout=5: expected a "
                                  "duration with a unit (e.g. 10s, 500ms, "
                                  "2min)");
  runtime_config from_cli;
  err = parse(from_cli, {"--workers.request-timeout=5"});
  REQUIRE(err);
  CHECK(message_of(err) == "--workers.request-timeout=5: expected a duration "
                           "with a unit (e.g. 10s, 500ms, 2min)");
}

TEST_CASE("config: CAF's own keys are type-checked too", "[config]") {
  // CAF 0.17 drops such a value without a word; the shipped configs had
  // verbosity="quiet" (a string) where CAF wants the atom 'quiet'.
  temp_dir dir;
  auto file = dir.write("caf.ini", "[middleman]\nheartbeat-interval=1\n"
                                   "[logger]\nverbosity=\"quiet\"\n");
  runtime_config cfg;
  auto what = message_of(parse(cfg, {"--config-file=" + file}));
  CHECK_THAT(what, Contains("[middleman] heartbeat-interval=1: expected a "
                            "duration with a unit"));
  CHECK_THAT(what, Contains("[logger] verbosity=\"quiet\": expected an atom "
                            "in single quotes, e.g. 'quiet'"));
}

TEST_CASE("config: bad command-line options say what is expected", "[config]") {
  auto message = [](std::vector<std::string> args) {
    node_config cfg;
    return message_of(parse(cfg, std::move(args)));
  };
  CHECK(message({"--workers.nope=1"}) ==
        "unknown option --workers.nope (see --help)");
  CHECK(message({"--cluster.insecure=true"}) ==
        "--cluster.insecure is a flag: write --cluster.insecure, without "
        "a value");
  CHECK(message({"--node.port=70000"}) ==
        "--node.port=70000: expected a whole number in the range of "
        "uint16");
  CHECK(message({"config/local-cluster.ini"}) ==
        "unexpected argument config/local-cluster.ini (options are "
        "--section.key=value; see --help)");
  CHECK(message({"--cluster", "config/local-cluster.ini"}) ==
        "--cluster takes its file after '=': --cluster=FILE");
  CHECK_THAT(message({"--cluster=/nonexistent/cluster.ini"}),
             Contains("cannot read the config file /nonexistent/cluster.ini"));
}

TEST_CASE("config: a syntax error names the file, line and column",
          "[config]") {
  temp_dir dir;
  auto file = dir.write("broken.ini", "[workers\nme=\"x\"\n");
  runtime_config cfg;
  CHECK_THAT(message_of(parse(cfg, {"--config-file=" + file})),
             Contains(file + ": syntax error at line "));
}

TEST_CASE("config: a malformed or repeated cluster entry is refused",
          "[config]") {
  auto problems = check_cluster_list(
    {"bob@127.0.0.1:1", "alice@127.0.0.1", "bob@127.0.0.1:2"}, "c.ini");
  REQUIRE(problems.size() == 2);
  CHECK_THAT(problems[0], Contains("c.ini: [cluster] workers: "));
  CHECK_THAT(problems[0], Contains("alice@127.0.0.1"));
  CHECK_THAT(problems[0], Contains("is not name@host:port"));
  CHECK(problems[1] == "c.ini: [cluster] workers: worker \"bob\" is listed "
                       "twice");
  runtime_config cfg;
  CHECK_THAT(message_of(parse(cfg, {"--cluster.workers=[bob@127.0.0.1]"})),
             Contains("the command line: [cluster] workers: "));
}

TEST_CASE("config: a node hosts only listed workers, at one address",
          "[config]") {
  std::vector<std::string> cluster{"bob@127.0.0.1:1", "carol@127.0.0.1:1",
                                   "alice@127.0.0.1:2"};
  CHECK(check_node_workers({"bob", "carol"}, cluster, "c.ini").empty());
  CHECK(check_node_workers({"dave"}, {}, "c.ini").empty()); // ad hoc node
  auto missing = check_node_workers({"dave"}, cluster, "c.ini");
  REQUIRE(missing.size() == 1);
  CHECK(missing[0] == "[node] workers: \"dave\" is not in [cluster] workers "
                      "of c.ini (it lists: bob, carol, alice); a node hosts "
                      "listed workers only");
  auto split = check_node_workers({"bob", "alice"}, cluster, "c.ini");
  REQUIRE(split.size() == 1);
  CHECK_THAT(split[0], Contains("bob and alice are at different addresses"));
  CHECK_THAT(split[0], Contains("127.0.0.1:1, 127.0.0.1:2"));
  // Through node_config, as apps/node calls it.
  temp_dir dir;
  auto file = dir.write("c.ini", "[cluster]\nworkers=[\"bob@127.0.0.1:1\"]\n");
  node_config cfg;
  REQUIRE_FALSE(parse(cfg, {"--config-file=" + file, "--node.workers=[dave]"}));
  auto opts = cfg.node_opts();
  REQUIRE_FALSE(opts);
  CHECK_THAT(message_of(opts.error()),
             Contains("\"dave\" is not in [cluster] workers of " + file));
}

TEST_CASE("config: a multi-line list groups workers by node", "[config]") {
  temp_dir dir;
  auto file = dir.write("multi.ini", "[cluster]\n"
                                     "workers=[\n"
                                     "  \"bob@127.0.0.1:1\", ; first node\n"
                                     "  \"carol@127.0.0.1:1\",\n"
                                     "  \"alice@127.0.0.1:2\",\n"
                                     "]\n");
  node_config cfg;
  REQUIRE_FALSE(parse(cfg, {"--config-file=" + file}));
  auto nodes = cluster_nodes(cfg.cluster_workers);
  REQUIRE(nodes);
  REQUIRE(nodes->size() == 2);
  CHECK((*nodes)[0].workers == std::vector<std::string>{"bob", "carol"});
  CHECK((*nodes)[0].port == 1);
  CHECK((*nodes)[1].workers == std::vector<std::string>{"alice"});
}

TEST_CASE("config: [data] datasets entries must parse and name listed "
          "workers",
          "[config]") {
  std::vector<std::string> cluster{"bob@127.0.0.1:1", "alice@127.0.0.1:2"};
  auto fashion = fashion_mnist_sources();
  auto& sources = *fashion;
  CHECK(check_data_entries({"worker=bob shard=0/3", "worker=alice"}, sources,
                           cluster, "c.ini")
          .empty());
  CHECK(check_data_entries({"worker=dave"}, sources, {}, "c.ini")
          .empty()); // ad hoc
  auto problems = check_data_entries(
    {"worker=bob shard=3/3", "worker=dave limit=5", "worker=alice tags=x"},
    sources, cluster, "c.ini");
  REQUIRE(problems.size() == 3);
  CHECK(problems[0] == "c.ini: [data] datasets: dataset entry \"worker=bob "
                       "shard=3/3\": shard=3/3: K counts from 0 and must be "
                       "below N (3): the shards of 3 are 0/3 to 2/3");
  CHECK(problems[1] == "c.ini: [data] datasets: dataset entry \"worker=dave "
                       "limit=5\": worker \"dave\" is not in [cluster] "
                       "workers (it lists: bob, alice)");
  CHECK_THAT(problems[2], Contains("\"x\": a tag starts with '#'"));
  // Through node_config, as apps/node calls it; [data] keys are strict.
  temp_dir dir;
  auto file = dir.write("c.ini", "[cluster]\nworkers=[\"bob@127.0.0.1:1\"]\n"
                                 "[data]\ndatasets=[\"worker=carol\"]\n");
  node_config cfg{fashion_mnist_sources()};
  REQUIRE_FALSE(parse(cfg, {"--config-file=" + file, "--node.workers=[bob]"}));
  auto opts = cfg.node_opts();
  REQUIRE_FALSE(opts);
  CHECK_THAT(message_of(opts.error()),
             Contains(file + ": [data] datasets: dataset entry "
                             "\"worker=carol\": worker \"carol\" is not in "
                             "[cluster] workers (it lists: bob)"));
  auto typo = dir.write("typo.ini", "[data]\ndatasts=[\"worker=bob\"]\n");
  node_config strict;
  CHECK_THAT(message_of(parse(strict, {"--config-file=" + typo})),
             Contains(typo + ": [data] datasts: unknown key (keys of [data]: "
                             "datasets, dir, load-timeout)"));
}

TEST_CASE("config: clients read a cluster file with [data], nodes use it",
          "[config]") {
  temp_dir dir;
  auto file = dir.write("c.ini", "[cluster]\nworkers=[\"bob@127.0.0.1:1\"]\n"
                                 "[data]\ndir=\"/data\"\nload-timeout=5s\n"
                                 "datasets=[\"worker=bob shard=1/3 "
                                 "limit=50\"]\n");
  runtime_config client;
  CHECK_FALSE(parse(client, {"--config-file=" + file}));
  node_config node{fashion_mnist_sources()};
  REQUIRE_FALSE(parse(node, {"--config-file=" + file, "--node.workers=[bob]"}));
  auto opts = node.node_opts();
  REQUIRE(opts);
  CHECK(opts->worker.data_dir == "/data");
  CHECK(opts->load_timeout == std::chrono::seconds(5));
  REQUIRE(opts->datasets.size() == 1);
  CHECK(to_string(opts->datasets[0]) ==
        "worker=bob format=fashion-mnist split=train shard=1/3 limit=50 "
        "seed=1");
  // Without [data] dir, each source reads from its own default directory.
  node_config plain{fashion_mnist_sources()};
  REQUIRE_FALSE(parse(plain, {"--node.workers=[bob]"}));
  CHECK(plain.node_opts()->worker.data_dir.empty());
  // A node without sources refuses every entry, naming the formats it has.
  node_config bare;
  REQUIRE_FALSE(parse(bare, {"--config-file=" + file, "--node.workers=[bob]"}));
  auto refused = bare.node_opts();
  REQUIRE_FALSE(refused);
  CHECK_THAT(message_of(refused.error()),
             Contains("this program registered no data source"));
}

TEST_CASE("config: the shipped configs are valid, with ports outside the "
          "ephemeral range",
          "[config]") {
  std::vector<std::string> names;
  for (auto& f :
       std::filesystem::recursive_directory_iterator{source_file("config")})
    if (f.path().extension() == ".ini")
      names.push_back(f.path().string());
  CHECK(names.size() >= 5); // local, fl, owners/{bob,alice,carol}
  for (auto& name : names) {
    INFO(name);
    node_config cfg{fashion_mnist_sources()}; // as apps/node makes it
    auto err = parse(cfg, {"--config-file=" + name});
    CHECK_FALSE(err);
    // As apps/node checks it, [node] and [data] included.
    auto opts = cfg.node_opts();
    CHECK(opts);
    CHECK_FALSE(cfg.cluster_workers.empty());
    // Clients read the shared files (those that name no node's workers).
    runtime_config client;
    if (cfg.node_workers.empty())
      CHECK_FALSE(parse(client, {"--config-file=" + name}));
    for (auto& entry : cfg.cluster_workers) {
      INFO(entry);
      auto ep = parse_endpoint(entry);
      REQUIRE(ep);
      // Linux hands out 32768-60999 to outgoing connections.
      CHECK(ep->port < 32768);
    }
  }
}

TEST_CASE("config: help lists libworkers' options, the dump their effective "
          "values",
          "[config]") {
  node_config cfg;
  auto help = cfg.help_text();
  for (auto opt : {"--node.workers", "--node.port", "--workers.request-timeout",
                   "--cluster.workers", "--cluster.insecure",
                   "--gate.max-connections", "--print-cluster"})
    CHECK_THAT(help, Contains(opt));
  CHECK_THAT(help, !Contains("--scheduler.policy"));
  auto dump = cfg.dump_content();
  CHECK(caf::get_if<caf::timespan>(&dump, "workers.request-timeout"));
  CHECK(caf::get_if<caf::timespan>(&dump, "gate.handshake-timeout"));
}

// -- the binaries
// --------------------------------------------------------------

TEST_CASE("config: programs given a missing config file exit at once",
          "[config]") {
  std::vector<std::string> programs{node_binary()};
#ifdef WORKERS_TUTORIAL_BINARY
  programs.push_back(WORKERS_TUTORIAL_BINARY); // ran in one process before
#endif
  for (auto& program : programs) {
    INFO(program);
    auto r = run({program, "--cluster=/nonexistent/cluster.ini"});
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Contains("bad configuration: cannot read the config "
                               "file /nonexistent/cluster.ini"));
  }
}

TEST_CASE("config: the node refuses a bad file, naming file and key",
          "[config]") {
  temp_dir dir;
  auto file = dir.write("bad.ini", "[workers]\nrequest-timeout=5\n"
                                   "[node]\nport=70000\nhots=\"x\"\n");
  auto r =
    run({node_binary(), "--config-file=" + file, "--node.workers=[bob]"});
  CHECK(r.code == 2);
  CHECK_THAT(r.err,
             Contains("node: bad configuration: " + file +
                      ": [node] hots: unknown key (keys of [node]: "
                      "advertised-host, data-port, data-ports, host, port, "
                      "restore, snapshot-dir, workers)"));
  CHECK_THAT(r.err, Contains(file + ": [node] port=70000: expected a whole "
                                    "number in the range of uint16"));
  CHECK_THAT(r.err, Contains(file + ": [workers] request-timeout=5: expected "
                                    "a duration with a unit"));
  CHECK(r.out.empty());
}

TEST_CASE("config: a node whose worker is not in the cluster list fails",
          "[config]") {
  temp_dir dir;
  auto file = dir.write("c.ini", "[cluster]\ninsecure=true\nworkers=[\n"
                                 "  \"bob@127.0.0.1:1\",\n"
                                 "  \"alice@127.0.0.1:2\",\n]\n");
  auto r =
    run({node_binary(), "--config-file=" + file, "--node.workers=[carol]"});
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Contains("node: bad configuration: [node] workers: "
                             "\"carol\" is not in [cluster] workers of " +
                             file + " (it lists: bob, alice)"));
  CHECK_THAT(r.out, !Contains("hosting"));
}

TEST_CASE("config: the node refuses a bad [data] entry, or one for a worker "
          "not in the cluster, before it starts",
          "[config]") {
  temp_dir dir;
  auto file =
    dir.write("d.ini", "[cluster]\ninsecure=true\n"
                       "workers=[\"bob@127.0.0.1:1\", \"alice@127.0.0.1:2\"]\n"
                       "[data]\ndatasets=[\"worker=bob shard=0/3 lmit=5\", "
                       "\"worker=dave shard=0/3\"]\n");
  auto r =
    run({node_binary(), "--config-file=" + file, "--node.workers=[bob]"});
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Contains("node: bad configuration: " + file +
                             ": [data] datasets: dataset entry \"worker=bob "
                             "shard=0/3 lmit=5\": lmit=5: unknown key "
                             "\"lmit\""));
  CHECK_THAT(r.err, Contains(file + ": [data] datasets: dataset entry "
                                    "\"worker=dave shard=0/3\": worker "
                                    "\"dave\" is not in [cluster] workers"));
  CHECK_THAT(r.out, !Contains("hosting"));
}

TEST_CASE("config: a port in use is reported as such, with the key",
          "[config]") {
  node_process first{node_binary(), {"bob"}, {"--cluster.insecure"}};
  auto port = std::to_string(first.port());
  auto r = run({node_binary(), "--node.workers=[alice]", "--cluster.insecure",
                "--node.port=" + port});
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Contains("cannot listen on 127.0.0.1:" + port +
                             ": address already in use"));
  CHECK_THAT(r.err, Contains("(set by node.port)"));
  CHECK_THAT(r.err, !Contains("socket creation failed"));
  // The same when the port comes from the cluster list.
  temp_dir dir;
  auto file = dir.write("c.ini", "[cluster]\ninsecure=true\nworkers=["
                                 "\"alice@127.0.0.1:" +
                                   port + "\"]\n");
  r = run({node_binary(), "--config-file=" + file, "--node.workers=[alice]"});
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Contains("cannot listen on 127.0.0.1:" + port +
                             ": address already in use"));
  CHECK_THAT(r.err, Contains("from the [cluster] workers entry "
                             "alice@127.0.0.1:" +
                             port + " in " + file));
}

TEST_CASE("config: node --help lists node, worker and cluster options",
          "[config]") {
  for (std::string flag : {"--help", "-h"}) {
    INFO(flag);
    auto r = run({node_binary(), flag});
    CHECK(r.code == 0);
    for (auto opt :
         {"--node.workers", "--workers.park-timeout", "--cluster.workers",
          "--gate.dial-hosts", "--print-cluster", "--long-help"})
      CHECK_THAT(r.out, Contains(opt));
  }
}

TEST_CASE("config: --dump-config prints effective values as an INI file "
          "that reads back",
          "[config]") {
  temp_dir dir;
  auto file = dir.write("c.ini", "[cluster]\ninsecure=true\nworkers=["
                                 "\"bob@127.0.0.1:20001\", "
                                 "\"carol@127.0.0.1:20001\"]\n"
                                 "[workers]\npark-timeout=2s\n");
  auto r = run({node_binary(), "--config-file=" + file, "--dump-config"});
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Contains("[workers]\n"));
  CHECK_THAT(r.out, Contains("park-timeout=2s\n"));     // from the file
  CHECK_THAT(r.out, Contains("request-timeout=10s\n")); // the default
  CHECK_THAT(r.out, Contains("workers=[\n  \"bob@127.0.0.1:20001\",\n"));
  auto dumped = dir.write("dumped.ini", r.out);
  auto again = run({node_binary(), "--config-file=" + dumped, "--dump-config"});
  CHECK(again.code == 0);
  CHECK(again.err.empty());
  CHECK(again.out == r.out);
  auto nodes =
    run({node_binary(), "--config-file=" + dumped, "--print-cluster"});
  CHECK(nodes.code == 0);
  CHECK(nodes.out == "bob,carol 127.0.0.1:20001\n");
}

TEST_CASE("config: --print-cluster fails on a config without a cluster",
          "[config]") {
  temp_dir dir;
  auto file = dir.write("empty.ini", "[workers]\npark-timeout=2s\n");
  auto r = run({node_binary(), "--config-file=" + file, "--print-cluster"});
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Contains(file + ": [cluster] workers is empty"));
}

// -- scripts/cluster.sh
// --------------------------------------------------------

TEST_CASE("config: cluster.sh starts one node per address of a multi-line "
          "list, and restarts a zombie's",
          "[config]") {
  temp_dir dir;
  auto shared = free_port();
  auto single = free_port();
  auto file = dir.write(
    "multi.ini", "[cluster]\ninsecure=true\nworkers=[\n  \"bob@127.0.0.1:" +
                   std::to_string(shared) +
                   "\",\n  \"carol@127.0.0.1:" + std::to_string(shared) +
                   "\",\n  \"alice@127.0.0.1:" + std::to_string(single) +
                   "\",\n]\n");
  std::string node = node_binary();
  auto build = node.substr(0, node.rfind("/apps/"));
  std::vector<std::pair<std::string, std::string>> env{
    {"WORKERS_BUILD_DIR", build},
    {"WORKERS_RUN_DIR", dir.path + "/run"},
    {"WORKERS_START_SECONDS", std::to_string(scaled(10s).count() / 1000)}};
  auto script = [&](const std::string& cmd) {
    return run({"/bin/bash", source_file("scripts/cluster.sh"), cmd, file},
               scaled(60s), env);
  };
  struct stop_at_end {
    std::function<void()> f;
    ~stop_at_end() { f(); }
  } guard{[&] { script("stop"); }};
  // A zombie holding alice's pid file: kill -0 would call it running.
  auto zombie = fork();
  if (zombie == 0)
    _exit(0);
  auto state = [&] {
    std::ifstream in{"/proc/" + std::to_string(zombie) + "/stat"};
    std::string text{std::istreambuf_iterator<char>{in}, {}};
    auto paren = text.rfind(')');
    return paren == std::string::npos || paren + 2 >= text.size()
             ? '?'
             : text[paren + 2];
  };
  REQUIRE(time_until([&] { return state() == 'Z'; }, scaled(5s)));
  auto run_dir = dir.path + "/run/multi";
  REQUIRE(std::system(("mkdir -p '" + run_dir + "'").c_str()) == 0);
  std::ofstream{run_dir + "/alice.pid"} << zombie << '\n';
  auto status = script("status");
  CHECK(status.code == 0);
  CHECK_THAT(status.out, Contains("alice (127.0.0.1:" + std::to_string(single) +
                                  "): stopped"));
  auto start = script("start");
  waitpid(zombie, nullptr, 0);
  INFO(start.out << start.err);
  REQUIRE(start.code == 0);
  CHECK_THAT(start.out, Contains("node: hosting bob,carol on 127.0.0.1:" +
                                 std::to_string(shared)));
  CHECK_THAT(start.out, Contains("node: hosting alice on 127.0.0.1:" +
                                 std::to_string(single)));
  status = script("status");
  CHECK_THAT(status.out, Contains("bob,carol (127.0.0.1:" +
                                  std::to_string(shared) + "): running"));
  CHECK_THAT(status.out, Contains("alice (127.0.0.1:" + std::to_string(single) +
                                  "): running"));
  // Both workers of the shared node answer there.
  runtime_config cfg;
  auto opts = fast_options();
  opts.gate.insecure = true;
  runtime rt{client_config(cfg, opts)};
  for (auto name : {"bob", "carol"}) {
    INFO(name);
    auto w = connect_to(rt, name, shared);
    REQUIRE(w);
    CHECK(w->count() == 0);
  }
  auto stop = script("stop");
  CHECK(stop.code == 0);
  CHECK_THAT(stop.out, Contains("stopped bob,carol"));
  status = script("status");
  CHECK_THAT(status.out, !Contains("running"));
}

TEST_CASE("config: cluster.sh fails on a config it cannot read", "[config]") {
  temp_dir dir;
  auto file = dir.write("bad.ini", "[cluster]\nworker=[\"bob@127.0.0.1:1\"]\n");
  std::string node = node_binary();
  auto r = run({"/bin/bash", source_file("scripts/cluster.sh"), "start", file},
               scaled(30s),
               {{"WORKERS_BUILD_DIR", node.substr(0, node.rfind("/apps/"))},
                {"WORKERS_RUN_DIR", dir.path + "/run"}});
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Contains(file + ": [cluster] worker: unknown key"));
}

TEST_CASE("config: the advertised address comes from the option, the "
          "cluster list or the bound address, never a wildcard",
          "[config][advertise]") {
  temp_dir dir;
  auto file = dir.write("c.ini", "[cluster]\nworkers=[\"bob@10.1.2.3:1\"]\n"
                                 "insecure=true\n");
  auto opts_of = [&](std::vector<std::string> args) {
    node_config cfg;
    REQUIRE_FALSE(parse(cfg, std::move(args)));
    return cfg.node_opts();
  };
  // Bound to every address, advertised as the cluster list says.
  auto listed = opts_of(
    {"--config-file=" + file, "--node.workers=[bob]", "--node.host=0.0.0.0"});
  REQUIRE(listed);
  CHECK(listed->host == "0.0.0.0");
  CHECK(listed->advertised_host == "10.1.2.3");
  // The option wins.
  auto given =
    opts_of({"--config-file=" + file, "--node.workers=[bob]",
             "--node.host=0.0.0.0", "--node.advertised-host=bob.example"});
  REQUIRE(given);
  CHECK(given->advertised_host == "bob.example");
  // Without a cluster list: the bound address, unless it is a wildcard.
  auto bound = opts_of(
    {"--node.workers=[bob]", "--node.host=127.0.0.5", "--cluster.insecure"});
  REQUIRE(bound);
  CHECK(bound->advertised_host == "127.0.0.5");
  auto wildcard = opts_of(
    {"--node.workers=[bob]", "--node.host=0.0.0.0", "--cluster.insecure"});
  REQUIRE_FALSE(wildcard);
  CHECK_THAT(message_of(wildcard.error()), Contains("node.advertised-host"));
}

// -- data plane ports (data_plane.hpp, D7) ------------------------------------

namespace {

// Two sockets listening on consecutive ports of 127.0.0.1 (first, first + 1),
// closed when it goes: a data-ports range with no free port.
struct taken_pair {
  int fds[2] = {-1, -1};
  uint16_t first = 0;

  taken_pair() {
    for (int attempt = 0; attempt < 50 && fds[1] < 0; ++attempt) {
      close_all();
      first = free_port();
      if (first == 65535)
        continue;
      if (listen_on(0, first))
        listen_on(1, static_cast<uint16_t>(first + 1));
    }
    REQUIRE(fds[1] >= 0);
  }

  ~taken_pair() { close_all(); }

  bool listen_on(int i, uint16_t port) {
    fds[i] = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (::bind(fds[i], reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        ::listen(fds[i], 4) == 0)
      return true;
    ::close(fds[i]);
    fds[i] = -1;
    return false;
  }

  void close_all() {
    for (auto& fd : fds)
      if (fd >= 0) {
        ::close(fd);
        fd = -1;
      }
  }

  std::string range() const {
    return std::to_string(first) + "-" + std::to_string(first + 1);
  }
};

} // namespace

TEST_CASE("config: data-ports must be a port range", "[config]") {
  CHECK(parse_port_range("40100-40199") == port_range(40100, 40199));
  CHECK(parse_port_range("40100") == port_range(40100));
  CHECK(parse_port_range("")->any());
  for (auto bad : {"40199-40100", "40100-", "-5", "0-10", "1-70000", "abc",
                   "40100-40199-40299", " 40100"}) {
    INFO(bad);
    auto r = parse_port_range(bad);
    REQUIRE_FALSE(r);
    CHECK_THAT(message_of(r.error()),
               Contains("expected a port range FIRST-LAST") &&
                 Contains(std::string{"got \""} + bad + "\""));
  }
  SECTION("a client's [workers] data-ports") {
    runtime_config cfg;
    auto err = parse(cfg, {"--workers.data-ports=40199-40100"});
    REQUIRE(err);
    CHECK_THAT(message_of(err),
               Contains("the command line: [workers] data-ports=\"40199-"
                        "40100\": expected a port range FIRST-LAST"));
    runtime_config both;
    err = parse(both,
                {"--workers.data-port=5000", "--workers.data-ports=6000-6009"});
    REQUIRE(err);
    CHECK_THAT(message_of(err), Contains("[workers] data-port=5000 and "
                                         "data-ports=\"6000-6009\" are both "
                                         "set: set one of them"));
    runtime_config good;
    REQUIRE_FALSE(parse(good, {"--workers.data-ports=40200-40299"}));
    CHECK(good.options().data_ports == port_range(40200, 40299));
  }
  SECTION("a node's [node] data-ports, in a file") {
    temp_dir dir;
    auto file = dir.write("n.ini", "[node]\ndata-ports=\"40100-\"\n");
    auto r = run({node_binary(), "--config-file=" + file,
                  "--node.workers=[bob]", "--cluster.insecure"});
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Contains("node: bad configuration: " + file +
                               ": [node] data-ports=\"40100-\": expected a "
                               "port range FIRST-LAST"));
    CHECK_THAT(r.out, !Contains("hosting"));
    r = run({node_binary(), "--node.workers=[bob]", "--cluster.insecure",
             "--node.data-port=5000", "--node.data-ports=6000-6009"});
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Contains("[node] data-port=5000 and "
                               "data-ports=\"6000-6009\" are both set"));
  }
}

TEST_CASE("config: a data-ports range with every port in use stops a node "
          "and a runtime, naming the key",
          "[config]") {
  taken_pair taken;
  SECTION("a node") {
    auto r = run({node_binary(), "--node.workers=[bob]", "--cluster.insecure",
                  "--node.data-ports=" + taken.range()});
    CHECK(r.code == 1);
    CHECK_THAT(r.err,
               Contains("data plane cannot listen on 127.0.0.1: every "
                        "port of " +
                        taken.range() + " is in use ([node] data-ports=\"" +
                        taken.range() +
                        "\"; widen the range or free "
                        "a port)"));
    CHECK_THAT(r.out, !Contains("hosting"));
  }
  SECTION("a runtime") {
    auto opts = fast_options();
    opts.data_ports = port_range(taken.first, taken.first + 1);
    auto err = error_of([&] { runtime rt{opts}; });
    REQUIRE(err);
    CHECK_THAT(render(err), Contains("every port of " + taken.range() +
                                     " is in use ([workers] data-ports"));
  }
}

TEST_CASE("config: a node binds the first free port of its data-ports",
          "[config][network]") {
  taken_pair taken;
  // The first port of the range is taken, the one after it is free.
  auto first = taken.first;
  ::close(taken.fds[1]);
  taken.fds[1] = -1;
  runtime_config cfg;
  runtime rt{client_config(cfg, fast_options())};
  node_map nodes;
  auto args = fast_node_args("bob");
  args.push_back("--node.data-ports=" + taken.range());
  auto bob = start_node(rt, nodes, "bob", args);
  // The node holds the second port now.
  CHECK_FALSE(taken.listen_on(1, static_cast<uint16_t>(first + 1)));
  // And large tensors come from there, both ways.
  auto x = tensor::full({1024, 1024}, 3.0f, dtype::float32); // 4 MiB
  auto p = x.send(bob);
  CHECK(bob.count() == 1);
  CHECK(p.get().equal(x));
  CHECK(bob.count() == 0);
}
