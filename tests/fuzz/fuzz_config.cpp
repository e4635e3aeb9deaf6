// Fuzzes the configuration: a node's INI file parsed by CAF with
// libworkers' option set (runtime_config, node_config), then turned into
// node and worker options and cluster endpoints as a node does at start.

#include <sstream>
#include <string>
#include <vector>

#include <caf/make_config_option.hpp>

#include "fuzz.hpp"
#include "workers/actors/node.hpp"
#include "workers/cluster.hpp"

using namespace workers;

namespace {

// Runs, at static initialization, clang's initializers of CAF's option
// meta states for the option types libworkers declares. These
// function-local statics (make_config_option.hpp) exist once per process,
// and the executable's copy wins: Debian's gcc-built CAF fills only their
// type name at run time and expects the function pointers in place
// statically, while clang's copy gets them at run time. Whoever runs first
// marks the static initialized, so once actor_system_config's constructor
// (gcc) ran, runtime_config's first set() called a null check function.
// Initializing them here, before any config exists, fills every field.
const bool meta_states_ready = [] {
  caf::detail::option_meta_state_instance<bool>();
  caf::detail::option_meta_state_instance<caf::timespan>();
  caf::detail::option_meta_state_instance<std::string>();
  caf::detail::option_meta_state_instance<std::vector<std::string>>();
  caf::detail::option_meta_state_instance<uint64_t>();
  caf::detail::option_meta_state_instance<uint16_t>();
  return true;
}();

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static_cast<void>(meta_states_ready);
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
