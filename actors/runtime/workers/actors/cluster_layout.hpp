#pragma once

// cluster_layout: the node processes a cluster list describes. Workers at
// the same host:port share one node; nodes come in the order of their first
// worker in the list. scripts/cluster.sh starts one node per line of
// `node --config-file=FILE --print-cluster`, so the list is read by CAF's
// own parser (every valid INI list syntax, one line or many).
//
//   [cluster]
//   workers=["bob@127.0.0.1:27101", "carol@127.0.0.1:27101",
//            "alice@127.0.0.1:27102"]
//   -> bob,carol 127.0.0.1:27101
//      alice 127.0.0.1:27102

#include <iosfwd>
#include <string>
#include <vector>

#include <caf/expected.hpp>

namespace workers {

class node_config;

/// One node of a cluster: its address and the workers it hosts.
struct cluster_node {
  std::string host;
  uint16_t port = 0;
  std::vector<std::string> workers;
};

/// Groups a cluster list by address. Called by print_cluster and tests;
/// fails with bad_argument on a malformed entry.
caf::expected<std::vector<cluster_node>>
cluster_nodes(const std::vector<std::string>& cluster);

/// Prints `cfg`'s nodes to `out`, one line each ("bob,carol
/// 127.0.0.1:27101"), and returns main's exit code: 0, or 2 after saying on
/// `err` that the list is empty or malformed. Called by apps/node for
/// `--print-cluster`.
int print_cluster(const node_config& cfg, std::ostream& out, std::ostream& err);

} // namespace workers
