// node: hosts named workers for other processes.
//
//   node --config-file=config/local-cluster.ini --node.workers=[bob]
//   node --node.workers=[bob,carol] --node.port=0     # the OS picks a port
//
// Prints "node: hosting bob on 127.0.0.1:PORT" once it listens, then serves
// until SIGINT or SIGTERM. All options: node --help.
//
//   node --config-file=config/local-cluster.ini --print-cluster
//
// prints the cluster's nodes, one line each (scripts/cluster.sh).

#include <iostream>

#include <caf/actor_system.hpp>

#include "workers/actors/cluster_layout.hpp"
#include "workers/actors/node.hpp"
#include "workers/error.hpp"
#include "workers/fl/fashion_mnist_source.hpp"
#include "workers/actors/node_snapshot.hpp"

int main(int argc, char** argv) {
  workers::block_termination_signals();
  workers::tune_allocator_for_tensors();
  // The formats the node's workers can load: the FL library's.
  workers::node_config cfg{workers::fashion_mnist_sources()};
  if (auto code = cfg.parse_or_exit(argc, argv, "node"))
    return *code;
  if (cfg.print_cluster)
    return workers::print_cluster(cfg, std::cout, std::cerr);
  auto opts = cfg.node_opts();
  if (!opts) {
    std::cerr << "node: bad configuration: "
              << workers::message_of(opts.error()) << '\n';
    return 2;
  }
  cfg.prepare();
  caf::actor_system sys{cfg};
  auto node = workers::host_node(sys, *opts);
  if (!node) {
    std::cerr << "node: " << workers::render(node.error()) << '\n';
    return 1;
  }
  std::string names;
  for (auto& w : node->workers)
    names += (names.empty() ? "" : ",") + w.name;
  std::cout << "node: hosting " << names << " on " << opts->host << ':'
            << node->port << std::endl;
  if (opts->advertised_host != opts->host)
    std::cout << "node: peers reach it at " << opts->advertised_host
              << std::endl;
  auto sig = workers::await_termination_signal();
  std::cout << "node: signal " << sig << ", stopping" << std::endl;
  if (opts->snapshot_dir.empty()) {
    node->stop();
    return 0;
  }
  // Planned restart: every worker saves itself first (node_snapshot.hpp).
  constexpr auto snapshot_timeout = std::chrono::minutes(2);
  if (auto err = workers::stop_with_snapshots(sys, *node, snapshot_timeout)) {
    std::cerr << "node: " << workers::render(err) << '\n';
    return 1;
  }
  std::cout << "node: saved snapshots in " << opts->snapshot_dir << std::endl;
  return 0;
}
