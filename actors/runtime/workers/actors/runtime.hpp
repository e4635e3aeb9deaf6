#pragma once

// runtime: the entry point. Owns (or borrows) a CAF actor system, the caller
// "me" (a client context, a client agent and me's own worker), and the
// workers it spawns.
//
// Example:
//   workers::runtime rt;
//   auto bob = rt.spawn_worker("bob");
//   auto x = workers::tensor{1, 2, 3}.send(bob);
//   std::cout << (x + x).get();              // tensor([2, 4, 6])
//
// Embedding in an existing CAF application: call workers::configure(cfg) on
// the application's actor_system_config, then construct
// `workers::runtime rt{system}`; the runtime spawns its actors in that
// system and stops them (not the system) when destroyed.

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "workers/actors/worker_actor.hpp"
#include "workers/client.hpp"
#include "workers/data_plane.hpp"
#include "workers/pointer.hpp"
#include "workers/worker.hpp"

namespace workers {

struct runtime_options {
  /// Timeouts of the caller's blocking API.
  client_options client;
  /// Defaults for workers spawned by spawn_worker(name).
  worker_options worker;
  /// The caller's name in printed pointers.
  std::string me_name = "me";
  /// Scheduler threads of an owned actor system (0: CAF's default).
  size_t scheduler_threads = 0;
  /// Every worker of the cluster as "name@host:port", for connect(name).
  std::vector<std::string> cluster;
  /// How this process connects to nodes: TLS with its own certificate
  /// unless `gate.insecure` (gate.hpp).
  gate_options gate;
  /// Address the data plane listens on for large tensors other nodes read
  /// from this process (data_plane.hpp), over TLS unless `gate.insecure`.
  std::string data_host = "127.0.0.1";
  /// Its port; 0 lets the OS choose. A fixed port that is taken makes the
  /// runtime's constructor throw operation_error.
  uint16_t data_port = 0;
  /// A range of ports instead (data_plane.hpp, D7): the first free one is
  /// bound; every one taken makes the constructor throw. Set one of
  /// data_port and data_ports.
  port_range data_ports;
};

class runtime_config;

class runtime {
 public:
  /// Creates and owns an actor system configured for libworkers.
  runtime();

  explicit runtime(runtime_options opts);

  /// Creates and owns an actor system from `cfg` (which must outlive the
  /// runtime), with the options it describes.
  explicit runtime(runtime_config& cfg);

  /// Borrows `sys` (configured with workers::configure and, to connect to
  /// other nodes, with CAF's middleman loaded).
  explicit runtime(caf::actor_system& sys, runtime_options opts = {});

  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;

  /// Stops the actors this runtime spawned; pointers that outlive it stop
  /// sending. An owned actor system is shut down.
  ~runtime();

  /// Spawns a worker named `name` in this process, or returns the worker
  /// this runtime already has under that name (one it spawned, or me): a
  /// name means one worker per runtime. Called by programs, from any thread;
  /// throws operation_error (naming path and setting) only if the worker's
  /// audit file (worker_options::audit_dir, audit_writer.hpp) cannot be
  /// opened.
  worker spawn_worker(std::string name);

  /// As spawn_worker(name); `opts` configures a new worker and is ignored if
  /// the runtime already has one named `name`.
  worker spawn_worker(std::string name, worker_options opts);

  /// Connects to the worker `name` listed in the cluster config. Blocking,
  /// bounded by the request timeout. Fails with no_such_object if the
  /// config does not list `name` or its node does not host it, and with
  /// peer_unreachable if the node cannot be reached.
  caf::expected<worker> connect(const std::string& name);

  /// Connects to the worker `name` on the node at host:port.
  caf::expected<worker> connect(const std::string& name,
                                const std::string& host, uint16_t port);

  /// connect(name) if the cluster config lists workers, else
  /// spawn_worker(name): how programs run the same code in-process or
  /// against a cluster. Either way, asking twice for a name gives the same
  /// worker. Fails as connect does (never without a cluster config).
  caf::expected<worker> connect_or_spawn(const std::string& name);

  /// The caller's own worker; moving a pointer here is get().
  const me_worker& me() const noexcept { return me_; }

  caf::actor_system& system() noexcept { return *sys_; }

  const std::shared_ptr<client>& context() const noexcept { return ctx_; }

  const runtime_options& options() const noexcept { return opts_; }

  /// The process's gate (gate.hpp), made on first use with the runtime's
  /// gate options; or the error that prevents it (a missing certificate).
  /// Called by connect, and by code that talks to a node's directory
  /// itself.
  caf::expected<std::shared_ptr<gate>> network();

 private:
  void init();

  std::unique_ptr<runtime_config> cfg_;
  std::unique_ptr<caf::actor_system> own_;
  caf::actor_system* sys_ = nullptr;
  runtime_options opts_;
  std::shared_ptr<data_plane> plane_;
  std::shared_ptr<gate_slot> gate_;
  client_agent_actor agent_;
  std::shared_ptr<client> ctx_;
  me_worker me_;
  /// Guards spawned_, so that a name is looked up and spawned at once.
  std::mutex spawned_mtx_;
  /// The workers this runtime spawned (me among them), by name.
  std::map<std::string, worker_actor> spawned_;
};

} // namespace workers
