#include "workers/actors/runtime_config.hpp"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <limits>

#include <caf/io/middleman.hpp>

#include "workers/actors/config_check.hpp"
#include "workers/actors/ini_writer.hpp"
#include "workers/cluster.hpp"
#include "workers/configure.hpp"
#include "workers/error.hpp"
#include "workers/log.hpp"

namespace workers {

namespace {

std::string to_std(caf::string_view x) {
  return std::string{x.begin(), x.end()};
}

} // namespace

runtime_config::runtime_config() : strict_sections_(project_sections()) {
  runtime_options defaults;
  request_timeout = defaults.client.request_timeout;
  park_timeout = defaults.worker.park_timeout;
  forward_timeout = defaults.worker.forward_timeout;
  lease = defaults.worker.lease;
  data_host = defaults.data_host;
  max_message_bytes = defaults.gate.max_message_bytes;
  max_connections = defaults.gate.max_connections;
  handshake_timeout = defaults.gate.handshake_timeout;
  max_connections_per_host = defaults.gate.max_connections_per_host;
  frame_timeout = defaults.gate.frame_timeout;
  max_parked = defaults.worker.max_parked;
  max_parked_per_peer = defaults.worker.max_parked_per_peer;
  expect_timeout = defaults.worker.expect_timeout;
  max_expectations_per_peer = defaults.worker.limits.max_expectations_per_peer;
  data_plane_max_transfers = defaults.worker.data_plane_max_transfers;
  data_plane_max_per_host = defaults.worker.data_plane_max_per_host;
  configure(*this);
  // The gate (gate.hpp) replaces CAF's TLS module: it runs TLS itself and
  // checks every frame before CAF's parser sees it.
  load<caf::io::middleman>();
  // Measured by apps/bench (--only=configs) on 2 cores: work sharing halves
  // the round trip of a remote operation against CAF's default work
  // stealing (125 us vs 360 us). middleman.workers stays at CAF's default
  // (1): 0 was at times slightly faster in absolute terms, but its ratio to
  // a bare CAF request swung between 1.04x and 1.6x across runs, 1's did not.
  set("scheduler.policy", caf::atom("sharing"));
  // Workers link nodes themselves, one dialing direction per pair of nodes
  // (worker_links.hpp, send_to); CAF's automatic connections would also
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
    .add(data_host, "data-host", "address this process serves large tensors on")
    .add(data_port, "data-port",
         "port this process serves large tensors on (0: the OS chooses)")
    .add(data_ports, "data-ports",
         "or a range of them, FIRST-LAST: the first free one is bound "
         "(instead of data-port)")
    .add(max_tensor_bytes, "max-tensor-bytes",
         "largest tensor a worker creates or accepts, in bytes "
         "(default 1 GiB)")
    .add(max_parked, "max-parked",
         "requests a worker keeps waiting for objects at once")
    .add(max_parked_per_peer, "max-parked-per-peer",
         "... of them from one peer (its principal)")
    .add(expect_timeout, "expect-timeout",
         "longest arrival a peer's expect may announce (longer is cut)")
    .add(max_expectations_per_peer, "max-expectations-per-peer",
         "announced arrivals (expect) a worker keeps pending per peer")
    .add(data_plane_max_transfers, "data-plane-max-transfers",
         "large-tensor transfers the data plane serves at once (more are "
         "closed at once; readers fall back to chunks)")
    .add(data_plane_max_per_host, "data-plane-max-transfers-per-host",
         "... of them to one remote address at once (more are closed at "
         "once; other hosts are still served)");
  opt_group{custom_options_, "cluster"}
    .add(cluster_workers, "workers",
         "every worker of the cluster as name@host:port")
    .add(certificates, "certificates",
         "directory of ca.pem and NAME.pem/NAME.key per principal")
    .add(insecure, "insecure",
         "plaintext between processes, identities declared, not proven "
         "(local development only)");
  opt_group{custom_options_, "gate"}
    .add(max_message_bytes, "max-message-bytes",
         "largest message a peer may announce (bytes)")
    .add(max_connections, "max-connections", "connections open at once")
    .add(max_connections_per_host, "max-connections-per-host",
         "connections accepted from one remote address at once")
    .add(handshake_timeout, "handshake-timeout",
         "a new connection must authenticate within this")
    .add(frame_timeout, "frame-timeout",
         "a message whose first byte arrived must arrive in full within "
         "this, or its connection is closed")
    .add(dial_hosts, "dial-hosts",
         "hosts a node may dial besides those of its cluster");
  opt_group{custom_options_, "policy"}
    .add(admins, "admins",
         "principals that act as this process's workers: load, clear all, "
         "grant on their data (\"*\": everyone, local development only)")
    .add(trusted, "trusted",
         "principals that may act for others, forwarding their requests "
         "(default: the workers of [cluster] workers)")
    .add(admin_plans, "admin-plans", "only admins may define plans")
    .add(aggregate_min_rows, "aggregate-min-rows",
         "a sum or mean over at least this many rows of private data may "
         "leave (0: never)")
    .add(aggregate_min_owners, "aggregate-min-owners",
         "a sum of results computed from the data of at least this many "
         "distinct data owners may leave (0: never)")
    .add(release_to, "release-to",
         "principals that may take results derived from this node's data "
         "alone, never the raw data (plain FedAvg needs the model owner here)")
    .add(approved_plans, "approved-plans",
         "hashes of plans whose outputs may leave (plan_hash)")
    .add(disable_checks, "disable-checks",
         "serve every request without permission checks (to measure their "
         "cost only)")
    .add(audit_dir, "audit-dir",
         "directory where each worker appends its audit log to "
         "<worker>.audit (empty: kept in memory only)");
  opt_group{custom_options_, "log"}
    .add(log_level_name, "level",
         "what this process logs: off, error, warn, info or debug")
    .add(log_file, "file", "append the log to this file (empty: stderr)")
    .add(slow_op, "slow-op",
         "log (warn) every operation a worker takes longer than this");
}

caf::error runtime_config::parse_args(int argc, char** argv) {
  std::vector<std::string> args;
  std::string file;
  bool help = false;
  bool dump = false;
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
    if (arg == "--cluster" || arg == "--config-file")
      return make_error(errc::bad_argument,
                        arg + " takes its file after '=': " + arg + "=FILE");
    if (arg == "--help" || arg == "-h" || arg == "-?") {
      help = true; // CAF's --help would list its own options only
      continue;
    }
    if (arg == "--dump-config") {
      dump = true; // CAF's dump would not read back as a config file
      continue;
    }
    if (starts_with(arg, caf_option))
      file = arg.substr(caf_option.size());
    args.push_back(std::move(arg));
  }
  // CAF 0.17 ignores a config file it cannot open, so a mistyped path would
  // quietly run everything in one process: refuse it instead. CAF also
  // keeps unknown keys and drops values of the wrong type without a word:
  // check the file against the declared options first.
  auto ini = file.empty() ? config_file_path : file;
  if (!file.empty() || std::ifstream{ini}) {
    auto raw = read_raw_ini(ini);
    if (!raw)
      return std::move(raw.error());
    if (auto err = to_error(
          check_ini_settings(*raw, custom_options_, strict_sections_, ini)))
      return err;
    config_file_ = ini;
  }
  if (auto err =
        parse(std::move(args), file.empty() ? nullptr : file.c_str())) {
    auto arg = parser_error_detail(err, "argument");
    if (err.category() == caf::atom("parser") && !arg.empty())
      return make_error(errc::bad_argument,
                        describe_bad_argument(custom_options_, arg));
    return err;
  }
  if (!remainder.empty())
    return make_error(errc::bad_argument,
                      describe_bad_argument(custom_options_, remainder[0]));
  if (auto err = to_error(check_cluster_list(cluster_workers, config_source())))
    return err;
  if (auto err = to_error(
        check_data_ports("[workers]", data_port, data_ports, config_source())))
    return err;
  if (auto err = apply_log_settings())
    return err;
  if (help && !cli_helptext_printed) {
    std::cout << help_text() << std::flush;
    cli_helptext_printed = true;
  } else if (dump && !cli_helptext_printed) {
    std::cout << to_ini(dump_content()) << std::flush;
    cli_helptext_printed = true;
  }
  return caf::none;
}

std::optional<int> runtime_config::parse_or_exit(int argc, char** argv,
                                                 const std::string& app) {
  if (auto err = parse_args(argc, argv)) {
    std::cerr << app << ": bad configuration: " << message_of(err) << '\n';
    return 2;
  }
  if (cli_helptext_printed)
    return 0;
  return std::nullopt;
}

std::string runtime_config::config_source() const {
  return config_file_.empty() ? std::string{"the command line"} : config_file_;
}

std::string runtime_config::help_text() const {
  caf::config_option_set own;
  for (auto& opt : custom_options_) {
    auto category = to_std(opt.category());
    if (category == "global" ||
        std::find(strict_sections_.begin(), strict_sections_.end(), category) !=
          strict_sections_.end())
      own.add(opt);
  }
  return own.help_text(false) +
         "\nCAF's own options ([middleman], [scheduler], [logger], "
         "[openssl], ...): --long-help\n";
}

caf::settings runtime_config::dump_content() const {
  auto result = actor_system_config::dump_content();
  result.container().erase("config-file"); // where it came from, not a value
  for (auto& opt : custom_options_) {
    auto category = to_std(opt.category());
    auto name = to_std(opt.long_name());
    if (name == "config-file")
      continue;
    auto& dst =
      category == "global" ? result : result[category].as_dictionary();
    if (auto value = opt.get(); value && dst.count(name) == 0)
      dst.emplace(name, std::move(*value));
    // CAF 0.17 dumps scheduler.max-throughput's default (unlimited) as -1,
    // which its own parser refuses: leave out what would not read back.
    if (dst.count(name) != 0 && opt.check(dst[name]))
      dst.container().erase(name);
  }
  return result;
}

caf::error runtime_config::apply_log_settings() const {
  auto level = parse_log_level(log_level_name);
  if (!level)
    return make_error(errc::bad_argument, config_source() + ": log.level: " +
                                            message_of(level.error()));
  if (auto err = configure_log(*level, log_file))
    return make_error(errc::bad_argument,
                      config_source() + ": log.file: " + message_of(err));
  return caf::none;
}

void runtime_config::prepare() {
  set("middleman.enable-automatic-connections", false);
}

tls_files runtime_config::identity_files(const std::string& principal) const {
  auto in_dir = [&](const std::string& file) {
    return certificates.empty() ? std::string{} : certificates + "/" + file;
  };
  auto pick = [](const std::string& explicit_value, std::string fallback) {
    return explicit_value.empty() ? fallback : explicit_value;
  };
  return tls_files{pick(openssl_certificate, in_dir(principal + ".pem")),
                   pick(openssl_key, in_dir(principal + ".key")),
                   pick(openssl_cafile, in_dir("ca.pem")), openssl_passphrase};
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
  result.data_port = data_port;
  if (auto range = parse_port_range(data_ports))
    result.data_ports = *range; // parse_args refused a malformed one
  result.cluster = cluster_workers;
  result.worker.limits.max_tensor_bytes = max_tensor_bytes;
  result.worker.max_parked = max_parked;
  result.worker.max_parked_per_peer = max_parked_per_peer;
  result.worker.expect_timeout = expect_timeout;
  result.worker.limits.max_expectations_per_peer = max_expectations_per_peer;
  result.worker.data_plane_max_transfers = data_plane_max_transfers;
  result.worker.data_plane_max_per_host = data_plane_max_per_host;
  result.worker.audit_dir = audit_dir;
  result.worker.slow_op = slow_op;
  result.worker.sources = sources;
  auto& g = result.gate;
  g.insecure = insecure;
  g.files = identity_files(me_name);
  g.max_message_bytes = static_cast<uint32_t>(
    std::min<size_t>(max_message_bytes, std::numeric_limits<uint32_t>::max()));
  g.max_connections = max_connections;
  g.handshake_timeout = handshake_timeout;
  g.max_connections_per_host = max_connections_per_host;
  g.frame_timeout = frame_timeout;
  g.dial_hosts = dial_hosts;
  auto& access = result.worker.access;
  access.enforce = !disable_checks;
  access.admins.insert(admins.begin(), admins.end());
  access.admin_plans = admin_plans;
  access.aggregate_min_rows = aggregate_min_rows;
  access.aggregate_min_owners = aggregate_min_owners;
  access.release_to.insert(release_to.begin(), release_to.end());
  access.approved_plans.insert(approved_plans.begin(), approved_plans.end());
  access.local_principal = me_name;
  // The cluster's workers forward requests on behalf of others (A1).
  access.trusted.insert(trusted.begin(), trusted.end());
  for (auto& entry : cluster_workers)
    if (auto ep = parse_endpoint(entry))
      access.trusted.insert(ep->worker);
  return result;
}

} // namespace workers
