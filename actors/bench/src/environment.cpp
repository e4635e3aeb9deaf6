#include "workers/bench/environment.hpp"

#include <stdexcept>

#include <caf/io/middleman.hpp>
#include <caf/send.hpp>

#include "workers/error.hpp"

namespace workers::bench {

namespace {

std::string chain_name(size_t i) {
  return "c" + std::to_string(i + 1);
}

worker connect_or_throw(runtime& rt, const std::string& name, uint16_t port) {
  auto w = rt.connect(name, "127.0.0.1", port);
  if (!w)
    throw std::runtime_error("cannot connect to " + name + ": " +
                             render(w.error()));
  return *w;
}

echo_actor remote_directory(runtime& rt, uint16_t port) {
  auto& sys = rt.system();
  auto gate = rt.network();
  if (!gate)
    throw std::runtime_error(render(gate.error()));
  auto dir = (*gate)->remote_actor<directory_actor>(
    "127.0.0.1", port, rt.options().client.request_timeout);
  if (!dir)
    throw std::runtime_error("cannot reach the directory on port " +
                             std::to_string(port) + ": " +
                             sys.render(dir.error()));
  return caf::actor_cast<echo_actor>(*dir);
}

} // namespace

environment::environment(runtime_config& cfg, const environment_options& opts) {
  rt_ = std::make_unique<runtime>(cfg);
  try {
    start(opts);
  } catch (...) {
    shutdown();
    throw;
  }
}

void environment::start(const environment_options& opts) {
  if (opts.in_process) {
    local_ = std::make_unique<site>();
    local_->where = "in-process";
    local_->bob = rt_->spawn_worker("bob");
    local_->alice = rt_->spawn_worker("alice");
    for (size_t i = 0; i < opts.chain_depth; ++i)
      local_->chain.push_back(rt_->spawn_worker(chain_name(i)));
    local_->echo = rt_->system().spawn(echo_impl);
  }
  if (opts.cross_process) {
    // Odd hops on node A (with bob), even hops on node B (with alice).
    std::vector<std::string> a{"bob"};
    std::vector<std::string> b{"alice"};
    for (size_t i = 0; i < opts.chain_depth; ++i)
      (i % 2 == 0 ? a : b).push_back(chain_name(i));
    // The two nodes know no cluster list: each trusts the other's workers
    // to forward the chain's requests on the client's behalf
    // (access_control.hpp, A1).
    auto args = opts.node_args;
    auto all = a;
    all.insert(all.end(), b.begin(), b.end());
    args.push_back(trusted_workers_option(all));
    nodes_.push_back(std::make_unique<node_process>(opts.node_binary, a, args));
    nodes_.push_back(std::make_unique<node_process>(opts.node_binary, b, args));
    auto port_a = nodes_[0]->port();
    auto port_b = nodes_[1]->port();
    remote_ = std::make_unique<site>();
    remote_->where = "cross-process";
    remote_->bob = connect_or_throw(*rt_, "bob", port_a);
    remote_->alice = connect_or_throw(*rt_, "alice", port_b);
    for (size_t i = 0; i < opts.chain_depth; ++i)
      remote_->chain.push_back(
        connect_or_throw(*rt_, chain_name(i), i % 2 == 0 ? port_a : port_b));
    remote_->echo = remote_directory(*rt_, port_a);
  }
}

environment::~environment() {
  shutdown();
}

void environment::shutdown() {
  if (local_ && local_->echo)
    caf::anon_send_exit(local_->echo, caf::exit_reason::user_shutdown);
  local_.reset();
  remote_.reset();
  rt_.reset();
  nodes_.clear();
}

std::vector<site*> environment::sites() {
  std::vector<site*> result;
  if (local_)
    result.push_back(local_.get());
  if (remote_)
    result.push_back(remote_.get());
  return result;
}

} // namespace workers::bench
