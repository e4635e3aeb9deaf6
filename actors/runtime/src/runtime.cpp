#include "workers/actors/runtime.hpp"

#include <chrono>

#include <caf/io/middleman.hpp>
#include <caf/send.hpp>

#include "workers/actors/blob_fetcher.hpp"
#include "workers/actors/client_agent.hpp"
#include "workers/actors/runtime_config.hpp"
#include "workers/actors/tls_stream.hpp"
#include "workers/cluster.hpp"
#include "workers/configure.hpp"

namespace workers {

namespace {

std::unique_ptr<runtime_config> make_config(const runtime_options& opts) {
  auto cfg = std::make_unique<runtime_config>();
  if (opts.scheduler_threads > 0)
    cfg->set("scheduler.max-threads", opts.scheduler_threads);
  return cfg;
}

} // namespace

runtime::runtime() : runtime(runtime_options{}) {
  // nop
}

runtime::runtime(runtime_options opts)
  : cfg_(make_config(opts)), opts_(std::move(opts)) {
  own_ = std::make_unique<caf::actor_system>(*cfg_);
  sys_ = own_.get();
  init();
}

runtime::runtime(runtime_config& cfg) : opts_(cfg.options()) {
  cfg.prepare();
  own_ = std::make_unique<caf::actor_system>(cfg);
  sys_ = own_.get();
  init();
}

runtime::runtime(caf::actor_system& sys, runtime_options opts)
  : sys_(&sys), opts_(std::move(opts)) {
  require_configured(sys.config());
  init();
}

void runtime::init() {
  auto agent_timeout =
    opts_.worker.forward_timeout + opts_.client.request_timeout;
  gate_ = std::make_shared<gate_slot>();
  opts_.worker.gate = gate_;
  auto [ports, key] =
    data_plane_ports("[workers]", opts_.data_port, opts_.data_ports);
  auto plane =
    make_data_plane(opts_.data_host, ports, data_plane_security(opts_.gate),
                    key, opts_.worker.data_plane_max_transfers,
                    opts_.worker.data_plane_max_per_host);
  if (!plane)
    throw operation_error{plane.error()};
  plane_ = std::move(*plane);
  if (!opts_.worker.plane)
    opts_.worker.plane = plane_;
  ctx_ = std::make_shared<client>(*sys_, opts_.me_name, opts_.client);
  agent_ = sys_->spawn(client_agent, std::weak_ptr<client>{ctx_}, agent_timeout,
                       plane_);
  ctx_->set_agent(agent_);
  auto me = spawn_worker(opts_.me_name);
  me_ = me_worker{ctx_, me.ref()};
}

runtime::~runtime() {
  ctx_->shutdown();
  for (auto& kvp : spawned_)
    caf::anon_send_exit(kvp.second, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(agent_, caf::exit_reason::user_shutdown);
  gate_->shutdown();
  own_.reset();
}

worker runtime::spawn_worker(std::string name) {
  return spawn_worker(std::move(name), opts_.worker);
}

worker runtime::spawn_worker(std::string name, worker_options opts) {
  std::lock_guard<std::mutex> guard{spawned_mtx_};
  auto& hdl = spawned_[name];
  if (!hdl) {
    if (!opts.plane)
      opts.plane = plane_;
    auto file = open_audit_writer(opts.audit_dir, name);
    if (!file) {
      spawned_.erase(name);
      throw operation_error{file.error()};
    }
    opts.audit_file = std::move(*file);
    hdl = sys_->spawn(worker_impl, name, std::move(opts));
  }
  return worker{ctx_, worker_ref{hdl, std::move(name), {}, 0}};
}

caf::expected<std::shared_ptr<gate>> runtime::network() {
  return gate_->get_or_make(*sys_, opts_.gate);
}

caf::expected<worker> runtime::connect_or_spawn(const std::string& name) {
  if (opts_.cluster.empty())
    return spawn_worker(name);
  return connect(name);
}

caf::expected<worker> runtime::connect(const std::string& name) {
  auto ep = find_endpoint(opts_.cluster, name);
  if (!ep)
    return ep.error();
  return connect(name, ep->host, ep->port);
}

caf::expected<worker> runtime::connect(const std::string& name,
                                       const std::string& host, uint16_t port) {
  auto where = name + "@" + host + ":" + std::to_string(port);
  if (!sys_->has_middleman())
    return make_error(errc::peer_unreachable,
                      "cannot connect to " + where +
                        ": this actor system has no middleman");
  auto gate = network();
  if (!gate)
    return gate.error();
  auto attempt = [&] {
    return (*gate)->remote_actor<directory_actor>(host, port,
                                                  opts_.client.request_timeout);
  };
  // A node that is busy (or slowed down, e.g. under a sanitizer) may not
  // finish CAF's handshake in time; that is worth two more tries, within
  // the client's timeout. A refused connection fails at once.
  auto deadline =
    std::chrono::steady_clock::now() + opts_.client.request_timeout;
  auto dir = attempt();
  for (int retries = 2;
       !dir && dir.error() == caf::sec::connection_timeout && retries > 0 &&
       std::chrono::steady_clock::now() < deadline;
       --retries)
    dir = attempt();
  if (!dir) {
    // Nobody listening is not a certificate problem: say which it is.
    auto hint = dir.error() == caf::sec::cannot_connect_to_node
                  ? " (is a node listening there?)"
                : (*gate)->tls() ? " (is the node's certificate from our CA, "
                                   "and ours from its?)"
                                 : " (does the node expect TLS?)";
    return make_error(errc::peer_unreachable,
                      "cannot connect to " + where +
                        ((*gate)->tls() ? " over TLS: " : ": ") +
                        sys_->render(dir.error()) + hint);
  }
  caf::expected<worker> result{
    make_error(errc::peer_unreachable, "no usable answer from " + where)};
  caf::scoped_actor self{*sys_};
  self->request(*dir, opts_.client.request_timeout, lookup_atom::value, name)
    .receive(
      [&](worker_ref& ref) {
        ref.node_host = host;
        ref.node_port = port;
        ctx_->rebind(ref); // handles from before a restart (snapshot.hpp)
        result = worker{ctx_, std::move(ref)};
      },
      [&](caf::error& err) {
        if (err)
          result = from_transport(err, where, opts_.client.request_timeout);
      });
  return result;
}

} // namespace workers
