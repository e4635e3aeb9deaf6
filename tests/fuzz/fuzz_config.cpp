// Fuzzes the configuration: a node's INI file parsed by CAF with
// libworkers' option set (runtime_config, node_config), then turned into
// node and worker options and cluster endpoints as a node does at start.

#include <sstream>
#include <string>
#include <vector>

#include "fuzz.hpp"
#include "workers/actors/node.hpp"
#include "workers/cluster.hpp"

using namespace workers;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  node_config cfg;
  std::istringstream ini{
    std::string{reinterpret_cast<const char*>(data), size}};
  if (cfg.parse(caf::actor_system_config::string_list{}, ini))
    return 0;
  static_cast<void>(cfg.node_opts());
  for (auto& entry : cfg.cluster_workers)
    static_cast<void>(parse_endpoint(entry));
  return 0;
}
