#include "workers/node.hpp"

#include <malloc.h>

#include <algorithm>
#include <csignal>

#include <pthread.h>

#include <caf/io/all.hpp>
#include <caf/openssl/publish.hpp>

#include "workers/blob_fetcher.hpp"
#include "workers/cluster.hpp"
#include "workers/error.hpp"

namespace workers {

node_config::node_config() {
  opt_group{custom_options_, "node"}
    .add(node_workers, "workers", "names of the workers this node hosts")
    .add(node_host, "host", "address to bind (default 127.0.0.1)")
    .add(node_port, "port", "port to bind (0: from the cluster list or any)");
}

caf::expected<node_options> node_config::node_opts() const {
  node_options result;
  result.workers = node_workers;
  result.worker = options().worker;
  result.host = node_host;
  result.port = node_port;
  result.tls = tls;
  if (!node_workers.empty() && (node_host.empty() || node_port == 0)) {
    if (auto ep = find_endpoint(cluster_workers, node_workers.front())) {
      if (result.host.empty())
        result.host = ep->host;
      if (result.port == 0)
        result.port = ep->port;
    }
  }
  if (result.host.empty())
    result.host = "127.0.0.1";
  return result;
}

void tune_allocator_for_tensors() {
  // Setting the threshold explicitly also turns off glibc's dynamic
  // adjustment of it.
  mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
}

void block_termination_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int await_termination_signal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

void node::stop() {
  for (auto& w : workers)
    caf::anon_send_exit(w.hdl, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(directory, caf::exit_reason::user_shutdown);
}

directory_actor::behavior_type directory_impl(directory_actor::pointer self,
                                              std::vector<worker_ref> workers) {
  return {
    [=](lookup_atom, const std::string& name) -> caf::result<worker_ref> {
      for (auto& w : workers)
        if (w.name == name)
          return w;
      std::string known;
      for (auto& w : workers)
        known += known.empty() ? w.name : ", " + w.name;
      return make_error(errc::no_such_object,
                        "no worker \"" + name +
                          "\" on this node (it hosts: " + known + ")");
    },
    [=](list_atom) {
      std::vector<std::string> names;
      for (auto& w : workers)
        names.push_back(w.name);
      return names;
    },
    [=](ping_atom, tensor& x) { return std::move(x); },
  };
  static_cast<void>(self);
}

caf::expected<node> host_node(caf::actor_system& sys,
                              const node_options& opts) {
  auto names = opts.workers;
  std::sort(names.begin(), names.end());
  if (names.empty() || names.front().empty() ||
      std::adjacent_find(names.begin(), names.end()) != names.end())
    return make_error(errc::bad_argument,
                      "a node needs one or more distinct, non-empty worker "
                      "names");
  node result;
  result.plane = make_data_plane(opts.host, opts.tls);
  auto wopts = opts.worker;
  if (!wopts.plane)
    wopts.plane = result.plane;
  auto address = std::make_shared<node_address>();
  address->host = opts.host;
  wopts.self_address = address;
  for (auto& name : opts.workers)
    result.workers.push_back(
      worker_ref{sys.spawn(worker_impl, name, wopts), name, {}, 0});
  result.directory = sys.spawn(directory_impl, result.workers);
  auto port = opts.tls ? caf::openssl::publish(result.directory, opts.port,
                                               opts.host.c_str(), true)
                       : caf::io::publish(result.directory, opts.port,
                                          opts.host.c_str(), true);
  if (!port) {
    result.stop();
    return make_error(errc::peer_unreachable,
                      "cannot listen on " + opts.host + ":" +
                        std::to_string(opts.port) + ": " +
                        sys.render(port.error()));
  }
  result.port = *port;
  address->port = *port;
  return result;
}

} // namespace workers
