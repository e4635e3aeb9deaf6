#include "workers/runtime_config.hpp"

#include <fstream>
#include <iostream>

#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>

#include "workers/configure.hpp"
#include "workers/error.hpp"

namespace workers {

runtime_config::runtime_config() {
  runtime_options defaults;
  request_timeout = defaults.client.request_timeout;
  park_timeout = defaults.worker.park_timeout;
  forward_timeout = defaults.worker.forward_timeout;
  lease = defaults.worker.lease;
  data_host = defaults.data_host;
  configure(*this);
  load<caf::io::middleman>();
  load<caf::openssl::manager>();
  // Measured by apps/bench (--only=configs) on 2 cores: work sharing halves
  // the round trip of a remote operation against CAF's default work
  // stealing (125 us vs 360 us). middleman.workers stays at CAF's default
  // (1): 0 was at times slightly faster in absolute terms, but its ratio to
  // a bare CAF request swung between 1.04x and 1.6x across runs, 1's did not.
  set("scheduler.policy", caf::atom("sharing"));
  // Workers link nodes themselves, one dialing direction per pair of nodes
  // (worker_actor.cpp, send_to); CAF's automatic connections would also
  // dial the other way, which CAF 0.17 mishandles.
  set("middleman.enable-automatic-connections", false);
  set("middleman.heartbeat-interval", caf::timespan{std::chrono::seconds(1)});
  set("middleman.connection-timeout", caf::timespan{std::chrono::seconds(5)});
  opt_group{custom_options_, "workers"}
    .add(request_timeout, "request-timeout",
         "bound of every blocking wait of the caller")
    .add(park_timeout, "park-timeout",
         "how long a worker waits for an object that has not arrived")
    .add(forward_timeout, "forward-timeout",
         "bound of a worker's own requests (chains, moves)")
    .add(lease, "lease",
         "references unrenewed this long lapse (dead or stopped holders); "
         "the same on every node and client")
    .add(me_name, "me", "the caller's name in printed pointers")
    .add(data_host, "data-host",
         "address this process serves large tensors on (not with TLS)")
    .add(max_tensor_bytes, "max-tensor-bytes",
         "largest tensor a worker creates or accepts, in bytes "
         "(default 1 GiB)");
  opt_group{custom_options_, "cluster"}
    .add(cluster_workers, "workers",
         "every worker of the cluster as name@host:port")
    .add(tls, "tls", "connect to and accept from nodes over TLS");
}

caf::error runtime_config::parse_args(int argc, char** argv) {
  std::vector<std::string> args;
  std::string file;
  const std::string alias = "--cluster=";
  const std::string caf_option = "--config-file=";
  auto starts_with = [](const std::string& x, const std::string& prefix) {
    return x.compare(0, prefix.size(), prefix) == 0;
  };
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (starts_with(arg, alias)) {
      file = arg.substr(alias.size());
      continue;
    }
    if (starts_with(arg, caf_option))
      file = arg.substr(caf_option.size());
    args.push_back(std::move(arg));
  }
  // CAF 0.17 ignores a config file it cannot open, so a mistyped path would
  // quietly run everything in one process: refuse it instead.
  if (!file.empty() && !std::ifstream{file})
    return make_error(errc::bad_argument,
                      "cannot read the config file " + file);
  return parse(std::move(args), file.empty() ? nullptr : file.c_str());
}

std::optional<int> runtime_config::parse_or_exit(int argc, char** argv,
                                                 const std::string& app) {
  if (auto err = parse_args(argc, argv)) {
    std::cerr << app << ": bad configuration: " << render(err) << '\n';
    return 2;
  }
  if (cli_helptext_printed)
    return 0;
  return std::nullopt;
}

void runtime_config::prepare() {
  set("middleman.enable-automatic-connections", false);
}

runtime_options runtime_config::options() const {
  runtime_options result;
  result.client.request_timeout = request_timeout;
  result.worker.park_timeout = park_timeout;
  result.worker.forward_timeout = forward_timeout;
  result.worker.lease = lease;
  result.client.lease = lease;
  result.me_name = me_name;
  result.data_host = data_host;
  result.cluster = cluster_workers;
  result.tls = tls;
  result.worker.tls = tls;
  result.worker.limits.max_tensor_bytes = max_tensor_bytes;
  return result;
}

} // namespace workers
