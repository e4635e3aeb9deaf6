// status: what a running cluster holds, for its operator -- each worker's
// address, object count, stored bytes, message and byte counters, and the
// tail of its audit log (actors/runtime/workers/actors/cluster_status.hpp).
//
//   status --config-file=config/local-cluster.ini
//   status --config-file=config/fl-cluster.ini --tail=5   # over TLS
//
// Connects as the config's client ([workers] me; under TLS with its own
// certificate). Exit 0 if every worker answered, 1 if one did not (its row
// says why), 2 on a bad configuration or an empty cluster list.

#include <iostream>

#include "workers/actors/cluster_status.hpp"
#include "workers/actors/runtime_config.hpp"

namespace {

struct status_config : workers::runtime_config {
  size_t tail = 3;

  status_config() {
    opt_group{custom_options_, "global"}.add(
      tail, "tail", "audit entries shown per worker (the newest)");
  }
};

} // namespace

int main(int argc, char** argv) {
  status_config cfg;
  if (auto code = cfg.parse_or_exit(argc, argv, "status"))
    return *code;
  workers::runtime rt{cfg};
  if (rt.options().cluster.empty()) {
    std::cerr << "status: no cluster list ([cluster] workers): give "
                 "--config-file=FILE\n";
    return 2;
  }
  auto rows = workers::cluster_status(rt, cfg.tail);
  std::cout << workers::render_status(rows);
  for (auto& r : rows)
    if (r.error)
      return 1;
  return 0;
}
