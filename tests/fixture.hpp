#pragma once

// Shared test helpers: a runtime with short bounds (so error paths that wait
// for a deadline stay fast) and small assertions on stores and errors.
//
// Tests tagged [nodes] run twice (see tests/CMakeLists.txt): with workers in
// this process, and with each worker in its own node process on 127.0.0.1
// (WORKERS_TEST_NODES=1), with the same assertions.

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "pki.hpp"
#include "workers/actors/node_process.hpp"
#include "workers/actors/runtime.hpp"
#include "workers/actors/runtime_config.hpp"
#include "workers/error.hpp"
#include "workers/fl/fashion_mnist_source.hpp"
#include "workers/fl/idx.hpp"
#include "workers/protocol.hpp"

#ifndef WORKERS_NODE_BINARY
#error "WORKERS_NODE_BINARY must name the apps/node executable"
#endif

namespace workers::test {

using namespace std::chrono_literals;

/// The errc of `err` (workers/error.hpp). Called by tests asserting an
/// error's kind; never fails.
inline errc kind_of(const caf::error& err) {
  return static_cast<errc>(err.code());
}

/// An exec of `op` on `args` (ids or literals) with fresh result and holder
/// ids from `ids`; in place (protocol.hpp, I1) if `in_place`. Called by
/// tests that drive an object_store directly; never fails.
inline op_request exec_request(opcode op, id_generator& ids,
                               std::vector<operand> args,
                               bool in_place = false) {
  op_request req;
  req.op = op;
  req.args = std::move(args);
  req.result = ids.next();
  req.holder = in_place ? object_id{} : ids.next();
  req.in_place = in_place;
  return req;
}

/// The build's timeout factor (tests/CMakeLists.txt: 5 under ASan, 20
/// under TSan, else 1). Defined in main.cpp, the one file that changes when
/// the factor does.
double default_timeout_scale();

/// The factor for every timeout and time bound of the tests, since sanitized
/// code runs several times slower: the environment variable
/// WORKERS_TIMEOUT_SCALE (a positive number) if set, else the build's.
inline double timeout_scale() {
  static const double scale = [] {
    if (auto v = std::getenv("WORKERS_TIMEOUT_SCALE")) {
      char* end = nullptr;
      auto x = std::strtod(v, &end);
      if (end != v && *end == '\0' && x > 0)
        return x;
    }
    return default_timeout_scale();
  }();
  return scale;
}

/// `d` times timeout_scale(), in milliseconds.
template <class Rep, class Period>
std::chrono::milliseconds scaled(std::chrono::duration<Rep, Period> d) {
  auto ms = std::chrono::duration<double, std::milli>(d).count();
  return std::chrono::milliseconds{
    static_cast<std::chrono::milliseconds::rep>(ms * timeout_scale())};
}

/// A CAF timespan option value ("1500ms") for `d` times timeout_scale().
template <class Rep, class Period>
std::string scaled_option(std::chrono::duration<Rep, Period> d) {
  return std::to_string(scaled(d).count()) + "ms";
}

/// The runtime's default bounds, scaled: for tests that keep the defaults.
inline runtime_options scaled_defaults() {
  runtime_options opts;
  opts.client.request_timeout = scaled(opts.client.request_timeout);
  opts.worker.park_timeout = scaled(opts.worker.park_timeout);
  opts.worker.forward_timeout = scaled(opts.worker.forward_timeout);
  opts.worker.sources = fashion_mnist_sources();
  return opts;
}

/// Short bounds, so that error paths that wait for a deadline stay fast.
/// Short bounds for tests, and TLS with the test PKI's certificate for the
/// principal `me` (as a real cluster has by default).
inline runtime_options fast_options(const std::string& principal = "me") {
  runtime_options opts;
  opts.client.request_timeout = scaled(5s);
  opts.worker.park_timeout = scaled(200ms);
  opts.worker.forward_timeout = scaled(3s);
  opts.gate.files = test_pki::get().files_for(principal);
  // Workers load Fashion-MNIST as apps/node's do.
  opts.worker.sources = fashion_mnist_sources();
  return opts;
}

/// `opts` with a request timeout for loading Fashion-MNIST, which inflates
/// 26 MB bit by bit: about a second on a normal build, but 30 s or more
/// under TSan, which slows this far more than other work.
inline runtime_options data_options(runtime_options opts = fast_options()) {
  opts.client.request_timeout = scaled(60s);
  return opts;
}

/// Whether workers run in node processes (WORKERS_TEST_NODES=1).
inline bool nodes_mode() {
  auto v = std::getenv("WORKERS_TEST_NODES");
  return v != nullptr && std::string{v} == "1";
}

/// The apps/node executable of this build.
inline std::string node_binary() {
  return WORKERS_NODE_BINARY;
}

/// Under sanitizers, CAF's heartbeat settings as shipped (runtime_config:
/// a beat every second, links silent for 5 s dropped), scaled: a process
/// busy with a large tensor under TSan stays silent longer than that. Every
/// process of a test gets the same (fast_node_args, client_config), or one
/// side would drop links the other side keeps quiet.
inline std::vector<std::pair<std::string, caf::timespan>> scaled_heartbeats() {
  if (timeout_scale() == 1.0)
    return {};
  return {{"middleman.heartbeat-interval", caf::timespan{scaled(1s)}},
          {"middleman.connection-timeout", caf::timespan{scaled(5s)}}};
}

/// `cfg` with the bounds of `opts` and scaled_heartbeats(), for a runtime
/// of this process that talks to node processes: `runtime rt{client_config(
/// cfg, fast_options())}` (cfg must outlive rt).
inline runtime_config& client_config(runtime_config& cfg,
                                     const runtime_options& opts) {
  cfg.request_timeout = opts.client.request_timeout;
  cfg.sources = opts.worker.sources;
  cfg.park_timeout = opts.worker.park_timeout;
  cfg.forward_timeout = opts.worker.forward_timeout;
  cfg.lease = opts.client.lease;
  cfg.insecure = opts.gate.insecure;
  cfg.openssl_certificate = opts.gate.files.certificate;
  cfg.openssl_key = opts.gate.files.key;
  cfg.openssl_cafile = opts.gate.files.cafile;
  for (auto& [key, value] : scaled_heartbeats())
    cfg.set(key, value);
  return cfg;
}

/// The same bounds for workers in node processes, which run over TLS with
/// the test PKI's certificate for `principal`.
inline std::vector<std::string>
fast_node_args(const std::string& principal = "node") {
  // Heartbeats as shipped (config/local-cluster.ini), scaled under
  // sanitizers as in this process (scaled_heartbeats): shorter connection
  // timeouts drop links that carry large messages under load.
  // The nodes tests start know no cluster list: they trust the workers
  // tests name (and "node", the principal of nodes with other names) to act
  // for others (chains; access_control.hpp, A1), and the tests' client "me"
  // administers them (load, clear).
  std::vector<std::string> args{
    "--workers.park-timeout=" + scaled_option(1s),
    "--workers.forward-timeout=" + scaled_option(3s),
    trusted_workers_option(
      {"bob", "alice", "carol", "far", "secure_worker", "node"}),
    R"(--policy.admins=["me"])",
    // Node processes share the test's stderr: only warnings and errors
    // (log.hpp), so a failing test's output stays readable.
    "--log.level=warn"};
  for (auto& arg : test_pki::get().args_for(principal))
    args.push_back(arg);
  for (auto& [key, value] : scaled_heartbeats())
    args.push_back(
      "--" + key + "=" +
      std::to_string(
        std::chrono::duration_cast<std::chrono::milliseconds>(value).count()) +
      "ms");
  return args;
}

/// The exit status (as waitpid reports it) and the output, stderr included,
/// of the shell command `cmd`, killed after `limit` (coreutils' timeout).
inline std::pair<int, std::string>
run_and_capture(const std::string& cmd, std::chrono::milliseconds limit) {
  auto full = "timeout -s KILL " +
              std::to_string((limit.count() + 999) / 1000) + " " + cmd +
              " 2>&1";
  auto out = popen(full.c_str(), "r");
  if (out == nullptr)
    return {-1, "popen failed"};
  std::string text;
  char buf[512];
  while (auto n = fread(buf, 1, sizeof(buf), out))
    text.append(buf, n);
  return {pclose(out), std::move(text)};
}

/// rt.connect(name, "127.0.0.1", port), tried up to 3 times while it fails
/// with CAF's connection_timeout. Under TSan about one node start in three
/// failed so, within a second or two, long before any timeout (5 s): CAF
/// 0.17's BASP broker drops, at each heartbeat tick, connections not heard
/// from within the connection timeout, and the client side of a new
/// connection apparently has no last-seen time until the server's handshake
/// arrives, so a tick during the handshake drops it. Sanitized handshakes
/// are slow enough to meet a tick often; normal ones almost never.
inline caf::expected<worker> connect_to(runtime& rt, const std::string& name,
                                        uint16_t port) {
  auto w = rt.connect(name, "127.0.0.1", port);
  for (int i = 1; i < 3 && !w; ++i) {
    if (render(w.error()).find("connection_timeout") == std::string::npos)
      break;
    w = rt.connect(name, "127.0.0.1", port);
  }
  return w;
}

using node_map = std::map<std::string, std::unique_ptr<node_process>>;

/// Starts a node process hosting worker `name` and connects `rt` to it. The
/// node's identity is `name`'s certificate unless `args` say otherwise.
inline worker start_node(runtime& rt, node_map& nodes, const std::string& name,
                         std::vector<std::string> args = {}) {
  if (args.empty())
    args = fast_node_args(name);
  auto& node = nodes[name];
  node = std::make_unique<node_process>(node_binary(),
                                        std::vector<std::string>{name},
                                        std::move(args), scaled(10s));
  auto w = connect_to(rt, name, node->port());
  if (!w)
    throw std::runtime_error("cannot connect to " + name + ": " +
                             render(w.error()));
  return *w;
}

/// A runtime with bob and alice, as in the tutorial.
struct two_workers {
  runtime_config cfg;
  runtime rt;
  node_map nodes;
  worker bob = spawn("bob");
  worker alice = spawn("alice");

  explicit two_workers(const runtime_options& opts = fast_options())
    : rt(client_config(cfg, opts)) {
    // nop
  }

  /// A new worker: in this process, or in a new node process.
  worker spawn(const std::string& name) {
    if (!nodes_mode())
      return rt.spawn_worker(name);
    return start_node(rt, nodes, name);
  }

  /// Kills a worker abruptly (SIGKILL of its node process).
  void kill(const worker& w) {
    if (!nodes_mode()) {
      caf::anon_send_exit(w.handle(), caf::exit_reason::kill);
      return;
    }
    nodes.at(w.name())->kill(SIGKILL);
  }

  /// Object counts on bob, alice and me (read-your-writes).
  std::vector<uint64_t> counts() const {
    return {bob.count(), alice.count(), rt.me().count()};
  }
};

/// Polls `done` every 50 ms until it holds or `bound` passed; returns the
/// time it took, or nullopt.
template <class Predicate>
std::optional<std::chrono::milliseconds>
time_until(Predicate done, std::chrono::milliseconds bound) {
  auto t0 = std::chrono::steady_clock::now();
  for (;;) {
    auto t = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - t0);
    if (done())
      return t;
    if (t > bound)
      return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

/// The error thrown by `f` (an empty error if it did not throw).
inline caf::error error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const operation_error& e) {
    return e.error();
  }
  return caf::error{};
}

/// The tensor stored under `id` in `listing` (REQUIREs that it is there).
inline tensor tensor_in(const store_listing& listing, object_id id) {
  for (auto& [key, value] : listing.entries)
    if (key == id) {
      REQUIRE(value.is_tensor());
      return value.as_tensor();
    }
  FAIL("object " << to_string(id) << " not in " << to_string(listing));
  return {};
}

/// Checks that the insecure node at `port` still serves a new client:
/// connects to its worker bob and takes a tensor there and back. Called by
/// attack tests after each attack.
inline void check_bob_serves(uint16_t port) {
  auto opts = fast_options();
  opts.gate.insecure = true;
  runtime_config cfg;
  runtime rt{client_config(cfg, opts)};
  auto bob = connect_to(rt, "bob", port);
  REQUIRE(bob);
  CHECK(tensor{7, 8}.send(*bob).get().equal(tensor{7, 8}));
}

/// Whether Fashion-MNIST is installed (dataset_dir()); warns that the test
/// is skipped if not. Called first by tests that read it.
inline bool have_fashion_mnist() {
  if (std::filesystem::exists(dataset_dir()))
    return true;
  WARN("Fashion-MNIST is not installed in " << dataset_dir() << ": skipped");
  return false;
}

} // namespace workers::test
