#include "workers/actors/node.hpp"

#include <malloc.h>

#include <algorithm>
#include <csignal>

#include <pthread.h>

#include <caf/io/all.hpp>

#include "workers/actors/blob_fetcher.hpp"
#include "workers/actors/config_check.hpp"
#include "workers/actors/tls_stream.hpp"
#include "workers/cluster.hpp"
#include "workers/error.hpp"
#include "workers/log.hpp"
#include "workers/actors/node_snapshot.hpp"

namespace workers {

node_config::node_config(std::shared_ptr<const data_sources> given) {
  sources = given ? std::move(given) : std::make_shared<const data_sources>();
  log_level_name = "info"; // a node says what it does (log.hpp)
  strict_sections_.push_back("node");
  strict_sections_.push_back("data");
  opt_group{custom_options_, "global"}.add(
    print_cluster, "print-cluster",
    "print the nodes of [cluster] workers, one per line: NAME[,NAME...] "
    "HOST:PORT, and exit");
  opt_group{custom_options_, "node"}
    .add(node_workers, "workers", "names of the workers this node hosts")
    .add(node_host, "host",
         "address to bind (default: the cluster list's, or 127.0.0.1)")
    .add(node_advertised_host, "advertised-host",
         "address peers reach this node at (default: the cluster list's, "
         "or node.host); needed when node.host is 0.0.0.0")
    .add(node_port, "port", "port to bind (0: from the cluster list or any)")
    .add(node_data_port, "data-port",
         "port of the data plane for large tensors (0: the OS chooses)")
    .add(node_data_ports, "data-ports",
         "or a range of ports, FIRST-LAST: the first free one is bound "
         "(instead of data-port)")
    .add(node_snapshot_dir, "snapshot-dir",
         "on SIGTERM, each worker saves its objects, ids, plans and audit log "
         "to DIR/<worker>.snapshot before the node exits")
    .add(node_restore, "restore",
         "start from the snapshots in node.snapshot-dir (then renamed to "
         "*.restored); fails naming the file if one is missing or damaged");
  opt_group{custom_options_, "data"}
    .add(data_dir, "dir",
         "directory of this node's dataset files (default: each format's "
         "own)")
    .add(data_datasets, "datasets",
         "datasets the hosted workers load at start, one entry each: "
         "\"worker=bob format=NAME KEY=VALUE ...\" (formats: " +
           sources->names() + ")")
    .add(data_load_timeout, "load-timeout",
         "bound of loading the datasets at start");
}

namespace {

// Whether `host` binds every address (so no peer can dial it as such).
bool is_wildcard(const std::string& host) {
  return host == "0.0.0.0" || host == "::" || host == "[::]";
}

} // namespace

caf::expected<node_options> node_config::node_opts() const {
  auto problems =
    check_node_workers(node_workers, cluster_workers, config_source());
  auto bad_data = check_data_entries(data_datasets, *sources, cluster_workers,
                                     config_source());
  problems.insert(problems.end(), bad_data.begin(), bad_data.end());
  auto bad_ports = check_data_ports("[node]", node_data_port, node_data_ports,
                                    config_source());
  problems.insert(problems.end(), bad_ports.begin(), bad_ports.end());
  if (auto err = to_error(problems))
    return err;
  node_options result;
  result.workers = node_workers;
  result.worker = options().worker;
  result.worker.data_dir = data_dir;
  for (auto& text : data_datasets) // checked above
    result.datasets.push_back(*parse_data_request(text, *sources));
  result.load_timeout = data_load_timeout;
  result.snapshot_dir = node_snapshot_dir;
  result.restore = node_restore;
  result.host = node_host;
  result.port = node_port;
  result.data_port = node_data_port;
  if (auto range = parse_port_range(node_data_ports))
    result.data_ports = *range; // checked above
  result.gate = options().gate;
  if (!node_workers.empty()) {
    result.gate.files = identity_files(node_workers.front());
    result.worker.access.local_principal = node_workers.front();
  }
  result.address_source = "set by node.port";
  if (!node_workers.empty() && (node_host.empty() || node_port == 0)) {
    if (auto ep = find_endpoint(cluster_workers, node_workers.front())) {
      if (result.host.empty())
        result.host = ep->host;
      if (result.port == 0) {
        result.port = ep->port;
        result.address_source = "from the [cluster] workers entry " +
                                to_string(*ep) + " in " + config_source() +
                                "; --node.port overrides it";
      }
    }
  }
  if (result.host.empty())
    result.host = "127.0.0.1";
  // Peers must be told an address they can dial: the one given, the one
  // the cluster list names for this node, or the bound one.
  result.advertised_host = node_advertised_host;
  if (result.advertised_host.empty() && !node_workers.empty())
    if (auto ep = find_endpoint(cluster_workers, node_workers.front()))
      result.advertised_host = ep->host;
  if (result.advertised_host.empty())
    result.advertised_host = result.host;
  if (is_wildcard(result.advertised_host))
    return make_error(errc::bad_argument,
                      config_source() + ": node.host=" + result.host +
                        " binds every address, but peers need one they can "
                        "reach: set node.advertised-host (or list this "
                        "node's address in [cluster] workers)");
  // A node dials the hosts of its cluster and its own, no others (unless
  // the config adds some): nobody can use it to probe other machines.
  auto& hosts = result.gate.dial_hosts;
  for (auto& entry : cluster_workers)
    if (auto ep = parse_endpoint(entry))
      hosts.push_back(ep->host);
  hosts.push_back(result.host);
  hosts.push_back(result.advertised_host);
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
  if (!workers.empty() && log_enabled(log_level::info))
    log(log_level::info, "node",
        "stopping " + std::to_string(workers.size()) + " workers");
  for (auto& w : workers)
    caf::anon_send_exit(w.hdl, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(directory, caf::exit_reason::user_shutdown);
  if (gate)
    gate->shutdown();
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

namespace {

// Has each of `workers` load its entries of `datasets` (the others belong
// to other nodes), all at once, and waits for every answer within
// `timeout`; returns the first failure, naming the entry, the worker and
// the directory.
caf::error load_datasets(caf::actor_system& sys,
                         const std::vector<worker_ref>& workers,
                         const std::vector<data_request>& datasets,
                         caf::timespan timeout, const std::string& dir) {
  caf::scoped_actor self{sys};
  using handle = decltype(self->request(worker_actor{}, timeout,
                                        load_atom::value, data_request{}));
  std::vector<std::pair<const data_request*, handle>> pending;
  for (auto& entry : datasets)
    for (auto& w : workers)
      if (w.name == entry.worker)
        pending.emplace_back(
          &entry, self->request(w.hdl, timeout, load_atom::value, entry));
  caf::error first;
  for (auto& [entry, h] : pending)
    h.receive(
      [entry = entry](uint64_t rows) {
        log(log_level::info, entry->worker,
            "loaded " + std::to_string(rows) + " rows: " + to_string(*entry));
      },
      [&, entry = entry](caf::error& err) {
        if (!first)
          first = with_context(
            from_transport(err, entry->worker, timeout),
            "[data] datasets: cannot load \"" + to_string(*entry) + "\" on " +
              entry->worker + " from " +
              (dir.empty() ? "its format's default directory" : dir));
      });
  return first;
}

// Starts the restored (lazily spawned) `workers` with one count request
// each, bounded by `timeout`: each restores before it answers. Returns the
// first failure.
caf::error start_restored(caf::actor_system& sys,
                          const std::vector<worker_ref>& workers,
                          caf::timespan timeout) {
  caf::scoped_actor self{sys};
  caf::error first;
  for (auto& w : workers)
    self->request(w.hdl, timeout, count_atom::value)
      .receive([](uint64_t) {},
               [&, name = w.name](caf::error& err) {
                 if (!first)
                   first = with_context(from_transport(err, name, timeout),
                                        "restoring " + name);
               });
  return first;
}

} // namespace

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
  result.gate = std::make_shared<gate_slot>();
  auto gate = result.gate->get_or_make(sys, opts.gate);
  if (!gate)
    return gate.error();
  auto [ports, key] =
    data_plane_ports("[node]", opts.data_port, opts.data_ports);
  auto plane = make_data_plane(opts.host, ports, data_plane_security(opts.gate),
                               key, opts.worker.data_plane_max_transfers,
                               opts.worker.data_plane_max_per_host);
  if (!plane) {
    result.stop();
    return plane.error();
  }
  result.plane = std::move(*plane);
  auto advertised =
    opts.advertised_host.empty() ? opts.host : opts.advertised_host;
  result.plane->advertise(advertised);
  // A blob_ref's data host is a request's word: read over TCP only from
  // hosts the gate may dial (data_plane.hpp, D8).
  result.plane->restrict_fetches_to(
    opts.gate.dial_hosts, [peers = (*gate)->peers()](const caf::node_id& node,
                                                     const std::string& host) {
      return peers->reached_from(node, host);
    });
  auto wopts = opts.worker;
  wopts.gate = result.gate;
  if (!wopts.plane)
    wopts.plane = result.plane;
  // The node's own workers act for each other (moves between them, chains
  // through them); a node's local principal is its first worker (its
  // certificate's name).
  wopts.access.trusted.insert(opts.workers.begin(), opts.workers.end());
  if (wopts.access.local_principal.empty())
    wopts.access.local_principal = opts.workers.front();
  auto address = std::make_shared<node_address>();
  address->host = advertised;
  wopts.self_address = address;
  wopts.snapshot_dir = opts.snapshot_dir;
  // A restored worker starts at its first message (lazy), once `handles`
  // names every worker its pointer entries may point to.
  std::vector<std::shared_ptr<const worker_image>> images;
  auto handles = std::make_shared<handle_table>();
  if (opts.restore) {
    auto loaded = load_worker_images(opts.snapshot_dir, opts.workers);
    if (!loaded) {
      result.stop();
      return loaded.error();
    }
    images = std::move(*loaded);
    find_handles(sys, **gate, images, wopts.forward_timeout, *handles);
    wopts.handles = handles;
  }
  for (auto& name : opts.workers) {
    auto file = open_audit_writer(wopts.audit_dir, name);
    if (!file) {
      result.stop();
      return file.error();
    }
    wopts.audit_file = std::move(*file);
    if (opts.restore) {
      wopts.restore_from = images[result.workers.size()];
      result.workers.push_back(worker_ref{
        sys.spawn<caf::lazy_init>(worker_impl, name, wopts), name, {}, 0});
    } else {
      result.workers.push_back(
        worker_ref{sys.spawn(worker_impl, name, wopts), name, {}, 0});
    }
  }
  if (opts.restore) {
    for (auto& w : result.workers)
      handles->by_name[w.name] = w.hdl;
    if (auto err = start_restored(sys, result.workers, opts.load_timeout)) {
      result.stop();
      return err;
    }
  } else if (auto err = load_datasets(sys, result.workers, opts.datasets,
                                      opts.load_timeout, wopts.data_dir)) {
    result.stop();
    return err;
  }
  result.directory = sys.spawn(directory_impl, result.workers);
  auto port = (*gate)->publish(result.directory, opts.port, opts.host);
  if (!port) {
    result.stop();
    if (opts.address_source.empty())
      return port.error();
    auto& err = port.error();
    auto code = err.category() == error_category ? static_cast<errc>(err.code())
                                                 : errc::peer_unreachable;
    return make_error(code, message_of(err) + " (" + opts.address_source + ")");
  }
  result.port = *port;
  address->port = *port;
  // Only a node that runs consumes its snapshots: one that could not listen
  // (port in use) can be started again with the same flags.
  if (opts.restore)
    consume_snapshots(opts.snapshot_dir, opts.workers);
  if (log_enabled(log_level::info)) {
    std::string names;
    for (auto& w : result.workers)
      names += (names.empty() ? "" : ",") + w.name;
    log(log_level::info, "node",
        "hosting " + names + " on " + opts.host + ":" + std::to_string(*port) +
          (opts.gate.insecure ? " (insecure)" : " (TLS)") +
          ", data plane on port " + std::to_string(result.plane->port()));
  }
  return result;
}

} // namespace workers
