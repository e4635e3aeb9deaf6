#include "workers/actors/cluster_layout.hpp"

#include <algorithm>
#include <ostream>

#include "workers/actors/node.hpp"
#include "workers/cluster.hpp"
#include "workers/error.hpp"

namespace workers {

caf::expected<std::vector<cluster_node>>
cluster_nodes(const std::vector<std::string>& cluster) {
  std::vector<cluster_node> result;
  for (auto& entry : cluster) {
    auto ep = parse_endpoint(entry);
    if (!ep)
      return ep.error();
    auto same = [&](const cluster_node& n) {
      return n.host == ep->host && n.port == ep->port;
    };
    auto i = std::find_if(result.begin(), result.end(), same);
    if (i == result.end())
      result.push_back(cluster_node{ep->host, ep->port, {ep->worker}});
    else
      i->workers.push_back(ep->worker);
  }
  return result;
}

int print_cluster(const node_config& cfg, std::ostream& out,
                  std::ostream& err) {
  auto nodes = cluster_nodes(cfg.cluster_workers);
  if (!nodes) {
    err << "node: " << cfg.config_source()
        << ": [cluster] workers: " << message_of(nodes.error()) << '\n';
    return 2;
  }
  if (nodes->empty()) {
    err << "node: " << cfg.config_source()
        << ": [cluster] workers is empty or missing: no nodes to print\n";
    return 2;
  }
  for (auto& n : *nodes) {
    std::string names;
    for (auto& w : n.workers)
      names += (names.empty() ? "" : ",") + w;
    out << names << ' ' << n.host << ':' << n.port << '\n';
  }
  out << std::flush;
  return 0;
}

} // namespace workers
