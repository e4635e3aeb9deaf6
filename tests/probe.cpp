// probe: prints the numbers quoted in the README and closing notes, measured
// against real node processes on 127.0.0.1 (ports chosen by the OS):
// - how fast requests into a killed (SIGKILL) or silent (SIGSTOP) node fail;
// - how long a 256 MiB send / move / get takes and each node's peak memory.
//   build/tests/probe
// Not a test: it asserts nothing and prints what it measures.

#include <csignal>
#include <fstream>
#include <future>
#include <iostream>

#include "workers/actors/node_process.hpp"
#include "workers/actors/runtime.hpp"

#ifndef WORKERS_NODE_BINARY
#error "WORKERS_NODE_BINARY must name the apps/node executable"
#endif

using namespace workers;
using namespace std::chrono_literals;

namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(
           std::chrono::steady_clock::now() - t0)
    .count();
}

uint64_t peak_mib(pid_t pid) {
  std::ifstream status{"/proc/" + std::to_string(pid) + "/status"};
  std::string key;
  while (status >> key) {
    uint64_t kib = 0;
    if (key == "VmHWM:" && status >> kib)
      return kib / 1024;
  }
  return 0;
}

template <class T>
std::string outcome(const caf::expected<T>& x) {
  return x ? "succeeded (unexpected)" : render(x.error());
}

// A get parked on bob (its object never comes), then `sig` to bob's node.
void failure_bound(runtime& rt, int sig, const char* what) {
  node_process node{
    WORKERS_NODE_BINARY, {"bob"}, {"--workers.park-timeout=60s"}};
  auto bob = value_or_throw(rt.connect("bob", "127.0.0.1", node.port()));
  auto ctx = rt.context();
  pointer<tensor> pending{std::make_shared<pointer_state>(
    ctx, bob.ref(), object_id{0xabc, 1}, ctx->next_id())};
  auto result =
    std::async(std::launch::async, [&] { return pending.try_get(); });
  std::this_thread::sleep_for(300ms);
  auto t0 = std::chrono::steady_clock::now();
  ::kill(node.pid(), sig);
  auto first = result.get();
  auto t_first = ms_since(t0);
  auto t1 = std::chrono::steady_clock::now();
  auto later = tensor{1}.send(bob).try_get();
  auto t_later = ms_since(t1);
  std::cout << what << ": pending get failed after " << t_first << " ms ("
            << outcome(first) << "); a later get after " << t_later << " ms\n";
  node.kill(SIGKILL);
}

void large_transfer(runtime& rt) {
  std::vector<std::string> args{trusted_workers_option({"bob", "alice"})};
  node_process bob_node{WORKERS_NODE_BINARY, {"bob"}, args};
  node_process alice_node{WORKERS_NODE_BINARY, {"alice"}, args};
  auto bob = value_or_throw(rt.connect("bob", "127.0.0.1", bob_node.port()));
  auto alice =
    value_or_throw(rt.connect("alice", "127.0.0.1", alice_node.port()));
  auto big = tensor::full({16384, 4096}, 1.0, dtype::float32); // 256 MiB
  auto t0 = std::chrono::steady_clock::now();
  auto p = big.send(bob);
  bob.count(); // read-your-writes: waits until bob stored it
  auto t_send = ms_since(t0);
  auto t1 = std::chrono::steady_clock::now();
  p.move(alice);
  alice.count();
  auto t_move = ms_since(t1);
  auto t2 = std::chrono::steady_clock::now();
  auto back = p.get();
  auto t_get = ms_since(t2);
  std::cout << "256 MiB: send " << t_send << " ms, move " << t_move
            << " ms, get " << t_get << " ms; peak memory: bob "
            << peak_mib(bob_node.pid()) << " MiB, alice "
            << peak_mib(alice_node.pid())
            << " MiB; equal: " << (back.equal(big) ? "yes" : "NO") << '\n';
}

} // namespace

int main() {
  runtime rt;
  failure_bound(rt, SIGKILL, "SIGKILL");
  failure_bound(rt, SIGSTOP, "SIGSTOP (silent node)");
  large_transfer(rt);
}
