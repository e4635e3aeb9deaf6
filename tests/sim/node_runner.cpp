#include "sim/node_runner.hpp"

#include <csignal>
#include <stdexcept>
#include <thread>

#include "workers/error.hpp"

namespace workers::sim {

using namespace std::chrono_literals;

node_cluster::node_cluster(const std::string& binary, size_t workers,
                           std::optional<crash_kind> how)
  : how_(how), lease_(how ? 1s : 2s) {
  runtime_options opts;
  // With a crashed node, a hop's first contact to it can take its whole
  // forward timeout (README, Known limits), and a request parked behind that
  // its park timeout too: the client waits longer than both.
  opts.client.request_timeout = how ? 10s : 5s;
  opts.worker.park_timeout = 1s;
  opts.worker.forward_timeout = 3s;
  // Short, so that programs span several lease periods (F1) and a crash's
  // lapses come soon.
  opts.worker.lease = opts.client.lease = lease_;
  // The simulation checks the protocol, not the transport: plaintext (the
  // gate still checks every frame; gate.hpp, G0b).
  opts.gate.insecure = true;
  rt_ = std::make_unique<runtime>(opts);
  for (size_t i = 0; i < workers; ++i) {
    auto name = "w" + std::to_string(i);
    if (binary.empty()) { // threads: every worker in this process
      workers_.push_back(rt_->spawn_worker(name));
      continue;
    }
    nodes_.push_back(std::make_unique<node_process>(
      binary, std::vector<std::string>{name},
      std::vector<std::string>{
        "--cluster.insecure", "--workers.park-timeout=1s",
        "--workers.forward-timeout=3s",
        "--workers.lease=" + std::to_string(lease_.count()) + "ms"}));
    auto w = rt_->connect(name, "127.0.0.1", nodes_.back()->port());
    if (!w)
      throw std::runtime_error("cannot connect to " + name + ": " +
                               render(w.error()));
    workers_.push_back(*w);
  }
}

void node_cluster::crash(size_t w) {
  if (w >= nodes_.size() || !how_)
    throw std::logic_error("crash: no node process w" + std::to_string(w));
  static_cast<void>(rt_->context()->barrier());
  nodes_[w]->kill(*how_ == crash_kind::kill ? SIGKILL : SIGSTOP);
  // References lapse between 1x and 1.5x the lease after the last renewal;
  // then the cascades run.
  std::this_thread::sleep_for(lease_ * 3 / 2 + 1s);
}

node_cluster::~node_cluster() {
  workers_.clear();
  rt_.reset();
  nodes_.clear();
}

namespace {

class node_runner : public driver {
 public:
  node_runner(const program& p, node_cluster& cluster)
    : driver(p), cluster_(cluster) {
    auto& all = cluster.workers();
    workers_.assign(all.begin(),
                    all.begin() + static_cast<ptrdiff_t>(p.workers));
  }

 private:
  template <size_t D>
  void take(size_t index, const slot& s) {
    auto result = typename handle_type<D>::type{s.st}.try_get();
    if (!result) {
      observe(index, error_text(result.error()));
    } else if constexpr (D == 1) {
      observe(index, value_text(*result));
    } else {
      observe(index, "pointer");
      slots_[index] = slot{result->state(), D - 1};
    }
  }

  void get(size_t index, const slot& s) override {
    switch (s.depth) {
    case 1:
      return take<1>(index, s);
    case 2:
      return take<2>(index, s);
    case 3:
      return take<3>(index, s);
    default:
      return take<4>(index, s);
    }
  }

  void search(size_t index, const step& s) override {
    try {
      auto hits = workers_[s.worker].search(
        {"#t" + std::to_string(static_cast<int>(s.literal))});
      observe(index, "hits " + std::to_string(hits.size()));
    } catch (const operation_error& e) {
      observe(index, error_text(e.error()));
    }
  }

  void clear(size_t index, const step& s) override {
    barrier(index);
    try {
      workers_[s.worker].clear();
    } catch (const operation_error& e) {
      result_.problems.push_back("clear failed: " + render(e.error()));
    }
  }

  // Real time, 1 ms a tick, so that a run stays short (a pause lets the
  // messages in flight interleave differently). Far inside the 2 s lease:
  // lapses are the deterministic harness's to check (and those of real
  // processes tests/lease_test.cpp's).
  void idle(size_t ticks) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(1) * ticks);
  }

  void crash(size_t w) override { cluster_.crash(w); }

  void barrier(size_t index) override {
    for (size_t w = 0; w < workers_.size(); ++w) {
      auto listing = workers_[w].try_objects();
      if (listing)
        observe_store(index, w, *listing);
      else
        observe(index, "store w" + std::to_string(w) + ": " +
                         error_text(listing.error()));
    }
  }

  void finish() override {
    barrier(final_step);
    for (auto& w : workers_)
      if (auto listing = w.try_objects(); listing && listing->size() > 0)
        result_.problems.push_back("left: " + to_string(*listing));
  }

  node_cluster& cluster_;
};

} // namespace

run_result run_on_nodes(const program& p, node_cluster& cluster) {
  node_runner r{p, cluster};
  return r.run();
}

} // namespace workers::sim
