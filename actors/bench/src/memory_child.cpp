#include "workers/bench/memory_child.hpp"

#include <exception>
#include <functional>
#include <iostream>
#include <memory>

#include "workers/actors/node_process.hpp"
#include "workers/actors/runtime.hpp"
#include "workers/bench/proc_memory.hpp"
#include "workers/bench/samplers.hpp"
#include "workers/bench/stopwatch.hpp"
#include "workers/error.hpp"

namespace workers::bench {

namespace {

worker connect_or_throw(runtime& rt, const std::string& name,
                        const node_process& node) {
  auto w = rt.connect(name, "127.0.0.1", node.port());
  if (!w)
    throw std::runtime_error("cannot connect to " + name + ": " +
                             render(w.error()));
  return *w;
}

void peak(runtime_config& cfg, const plan& p, const std::string& node_binary,
          const std::vector<std::string>& node_args) {
  auto args = node_args;
  args.push_back(trusted_workers_option({"bob", "alice"}));
  node_process node_a{node_binary, {"bob"}, args};
  node_process node_b{node_binary, {"alice"}, args};
  runtime rt{cfg};
  auto bob = connect_or_throw(rt, "bob", node_a);
  auto alice = connect_or_throw(rt, "alice", node_b);
  std::vector<std::pair<std::string, pid_t>> procs{
    {"client", 0}, {"bob", node_a.pid()}, {"alice", node_b.pid()}};
  auto& out = std::cout;
  out << "payload_bytes " << p.peak_bytes << '\n';
  auto phase = [&](const std::string& name, const std::function<void()>& f) {
    bool reset = true;
    for (auto& [proc, pid] : procs) {
      reset = reset_peak_rss(pid) && reset;
      out << name << '.' << proc << ".before_kib " << status_kib(pid, "VmRSS")
          << '\n';
    }
    out << name << ".peak_reset " << (reset ? 1 : 0) << '\n';
    stopwatch sw;
    f();
    out << name << ".seconds " << sw.seconds() << '\n';
    for (auto& [proc, pid] : procs)
      out << name << '.' << proc << ".peak_kib " << status_kib(pid, "VmHWM")
          << '\n';
  };
  auto elements = static_cast<int64_t>(p.peak_bytes / 4);
  auto t = tensor::full({elements}, 1.0, dtype::float32);
  pointer<tensor> ptr;
  phase("send", [&] {
    ptr = t.send(bob);
    settle(rt);
  });
  phase("move", [&] {
    ptr.move(alice);
    settle(rt);
    if (!same_worker(ptr.location(), alice.ref()))
      throw std::runtime_error("move to alice failed: " + render(ptr.error()));
  });
  t = tensor{}; // the get is measured without the client's own copy
  tensor back;
  phase("get", [&] { back = ptr.get(); });
  if (!back.equal(tensor::full({elements}, 1.0, dtype::float32)))
    throw std::runtime_error("the tensor came back changed");
}

void cycles(runtime_config& cfg, const plan& p, bool on_node,
            const std::string& node_binary,
            const std::vector<std::string>& node_args) {
  std::unique_ptr<node_process> node;
  if (on_node)
    node = std::make_unique<node_process>(
      node_binary, std::vector<std::string>{"bob"}, node_args);
  runtime rt{cfg};
  auto bob =
    on_node ? connect_or_throw(rt, "bob", *node) : rt.spawn_worker("bob");
  pid_t pid = on_node ? node->pid() : 0;
  auto run = [&](size_t n) {
    for (size_t i = 0; i < n; ++i) {
      {
        auto x = tensor{1.f, 2.f, 3.f, 4.f}.send(bob);
        auto q = x + 1;
      }
      if ((i + 1) % p.cycles_per_barrier == 0)
        settle(rt);
    }
    settle(rt);
  };
  auto& out = std::cout;
  out << "start_kib " << status_kib(pid, "VmRSS") << '\n';
  run(p.cycles_warmup);
  out << "warm_kib " << status_kib(pid, "VmRSS") << '\n';
  stopwatch sw;
  run(p.cycles);
  out << "seconds " << sw.seconds() << '\n';
  out << "end_kib " << status_kib(pid, "VmRSS") << '\n';
  out << "objects_left " << bob.count() << '\n';
}

} // namespace

int run_memory_child(const std::string& which, runtime_config& cfg,
                     const plan& p, const std::string& node_binary,
                     const std::vector<std::string>& node_args) {
  try {
    if (which == "peak")
      peak(cfg, p, node_binary, node_args);
    else
      cycles(cfg, p, which == "cycles-node", node_binary, node_args);
    std::cout.flush();
    return 0;
  } catch (const std::exception& e) {
    std::cout << "error " << e.what() << std::endl;
  }
  return 1;
}

} // namespace workers::bench
