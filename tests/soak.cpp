// soak: a long mixed workload against three node processes (workers bob,
// alice and carol, each in its own apps/node process on 127.0.0.1) that
// checks every value it gets back and samples each node's resident memory,
// to show that nodes do not grow over time.
//   build/tests/soak [--minutes=60] [--sample=30] [--csv=PATH] [--seed=1]
//                    [--large-every=2000]
//   scripts/soak.sh [minutes]    (builds, runs, plots build/soak.png)
//
// Each iteration is one random operation (seeded RNG) on a small pool of
// live handles: send, unary and binary ops, moves (also back and forth, and
// ops pipelined right after a move), copies, drops and gets of handles,
// chains (a pointer sent to another worker, an op through it), a get via
// move to me, float ops; now and then tag + search, and a 9 MiB tensor (over
// the 8 MiB bulk path) sent, moved, computed on and taken home. Every value
// taken home is compared with the same op evaluated locally. Every 1000
// iterations and before each sample, the pool is taken home and every store
// must be empty again (objects(), count()).
//
// Every --sample seconds prints one CSV line (also written to --csv):
//   elapsed_s,iterations,errors,wrong_values,bob_rss_kb,alice_rss_kb,carol_rss_kb
// RSS is VmRSS of /proc/<pid>/status. At the end prints totals and each
// node's RSS growth over the last half of the run (last sample against the
// sample nearest half time), then `soak: PASS` (exit 0) if there were no
// errors, no wrong values and every node grew by less than 5 %, else
// `soak: FAIL (reasons)` (exit 1). Every wait is bounded by the client's
// request timeout; the nodes are killed on exit.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "workers/actors/node_process.hpp"
#include "workers/actors/runtime.hpp"
#include "workers/error.hpp"

#ifndef WORKERS_NODE_BINARY
#error "WORKERS_NODE_BINARY must name the apps/node executable"
#endif

using namespace workers;
using namespace std::chrono_literals;

namespace {

using clock_type = std::chrono::steady_clock;

/// Largest RSS growth (percent) over the last half of the run that passes.
constexpr double max_growth_percent = 5.0;

/// Iterations between two checks that every store is empty.
constexpr uint64_t verify_interval = 1000;

/// Live handles kept across iterations at most.
constexpr size_t pool_capacity = 16;

/// Error messages printed in full (then every 100th).
constexpr uint64_t error_print_limit = 20;

struct options {
  double minutes = 60;
  double sample_seconds = 30;
  std::string csv;
  uint64_t seed = 1;
  uint64_t large_every = 2000;
};

void usage(std::ostream& out) {
  out << "usage: soak [--minutes=60] [--sample=30] [--csv=PATH] [--seed=1]\n"
         "            [--large-every=2000]\n"
         "  --minutes  how long to run (may be fractional)\n"
         "  --sample   seconds between two RSS samples (CSV lines)\n"
         "  --csv      also write the samples to PATH\n"
         "  --seed     seed of the operation mix\n"
         "  --large-every  one 9 MiB tensor per this many iterations on "
         "average (0: none)\n";
}

bool starts_with(const std::string& x, const std::string& prefix) {
  return x.compare(0, prefix.size(), prefix) == 0;
}

/// Parses the command line; exits with 2 on a bad argument.
options parse(int argc, char** argv) {
  options opts;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = arg.substr(arg.find('=') + 1);
    try {
      if (starts_with(arg, "--minutes="))
        opts.minutes = std::stod(value);
      else if (starts_with(arg, "--sample="))
        opts.sample_seconds = std::stod(value);
      else if (starts_with(arg, "--csv="))
        opts.csv = value;
      else if (starts_with(arg, "--seed="))
        opts.seed = std::stoull(value);
      else if (starts_with(arg, "--large-every="))
        opts.large_every = std::stoull(value);
      else if (arg == "--help" || arg == "-h") {
        usage(std::cout);
        std::exit(0);
      } else
        throw std::invalid_argument("unknown option");
    } catch (const std::exception&) {
      std::cerr << "soak: bad argument: " << arg << '\n';
      usage(std::cerr);
      std::exit(2);
    }
  }
  if (!(opts.minutes >= 0) || !(opts.sample_seconds > 0)) {
    std::cerr << "soak: --minutes must be >= 0 and --sample > 0\n";
    std::exit(2);
  }
  return opts;
}

/// VmRSS of `pid` in kB, or -1 if the process is gone (or a zombie).
int64_t rss_kb(pid_t pid) {
  std::ifstream status{"/proc/" + std::to_string(pid) + "/status"};
  std::string key;
  while (status >> key) {
    int64_t kb = 0;
    if (key == "VmRSS:" && status >> kb)
      return kb;
  }
  return -1;
}

template <class T>
std::string str(const T& x) {
  std::ostringstream out;
  out << x;
  return out.str();
}

/// A handle in the pool and the value it must hold.
struct entry {
  pointer<tensor> ptr;
  tensor expected;
};

/// One RSS sample.
struct sample {
  double elapsed_s = 0;
  uint64_t iterations = 0;
  uint64_t errors = 0;
  uint64_t wrong = 0;
  std::vector<int64_t> rss_kb;
};

/// The workload: a pool of live handles and the counters.
class workload {
 public:
  workload(runtime& rt, std::vector<worker> workers, uint64_t seed,
           uint64_t large_every)
    : rt_(rt), workers_(std::move(workers)), rng_(seed),
      large_every_(large_every) {
    // nop
  }

  uint64_t iterations() const noexcept { return iterations_; }

  uint64_t errors() const noexcept { return errors_; }

  uint64_t wrong() const noexcept { return wrong_; }

  /// Runs one random operation.
  void step() {
    ++iterations_;
    if (large_every_ > 0 && one_in(large_every_))
      guarded("large", [this] { large(); });
    if (one_in(50))
      guarded("tag", [this] { tag_and_search(); });
    // Weights: send 4, unary 3, binary 3, move 3, copy 2, get 3, drop 2,
    // chain 2, float 1, me 1.
    static constexpr int weights[] = {4, 3, 3, 3, 2, 3, 2, 2, 1, 1};
    int total = 0;
    for (auto w : weights)
      total += w;
    auto roll = static_cast<int>(below(static_cast<size_t>(total)));
    int kind = 0;
    while (roll >= weights[kind])
      roll -= weights[kind++];
    switch (kind) {
    case 0:
      guarded("send", [this] { send(); });
      break;
    case 1:
      guarded("unary", [this] { unary(); });
      break;
    case 2:
      guarded("binary", [this] { binary(); });
      break;
    case 3:
      guarded("move", [this] { move(); });
      break;
    case 4:
      guarded("copy", [this] { copy(); });
      break;
    case 5:
      guarded("get", [this] { get(); });
      break;
    case 6:
      guarded("drop", [this] { drop(); });
      break;
    case 7:
      guarded("chain", [this] { chain(); });
      break;
    case 8:
      guarded("float", [this] { float_ops(); });
      break;
    default:
      guarded("me", [this] { move_to_me(); });
    }
    if (iterations_ % verify_interval == 0)
      verify();
  }

  /// Takes every pooled handle home (checking it), then checks that every
  /// store is empty again. An object left behind counts as a wrong value
  /// (and is cleared, so that later checks stay meaningful).
  void verify() {
    while (!pool_.empty())
      guarded("verify get", [this] { take(0, "verify get"); });
    std::vector<worker> all = workers_;
    all.push_back(rt_.me());
    for (auto& w : all)
      guarded("verify store", [&] { check_empty(w); });
  }

 private:
  // -- randomness -------------------------------------------------------------

  size_t below(size_t n) {
    return static_cast<size_t>(
      std::uniform_int_distribution<uint64_t>{0, n - 1}(rng_));
  }

  bool one_in(size_t n) { return below(n) == 0; }

  int64_t between(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>{lo, hi}(rng_);
  }

  const worker& any_worker() { return workers_[below(workers_.size())]; }

  /// A worker other than `w`.
  const worker& other_than(const worker& w) {
    for (;;) {
      auto& x = any_worker();
      if (x != w)
        return x;
    }
  }

  /// The worker a handle points at now.
  const worker& where(const pointer<tensor>& p) {
    auto name = p.location().name;
    for (auto& w : workers_)
      if (w.name() == name)
        return w;
    return workers_.front();
  }

  tensor small_tensor() {
    std::vector<int64_t> xs(8);
    for (auto& x : xs)
      x = between(-1000, 1000);
    return tensor::from_vector(std::move(xs));
  }

  // -- bookkeeping ------------------------------------------------------------

  template <class F>
  void guarded(const char* what, F f) {
    try {
      f();
    } catch (const operation_error& e) {
      error(what, render(e.error()));
    } catch (const std::exception& e) {
      error(what, e.what());
    }
  }

  void error(const char* what, const std::string& msg) {
    ++errors_;
    if (errors_ <= error_print_limit || errors_ % 100 == 0)
      std::cerr << "soak: error #" << errors_ << " at iteration " << iterations_
                << " (" << what << "): " << msg << std::endl;
  }

  void check(const char* what, const tensor& got, const tensor& expected,
             bool exact = true) {
    if (exact ? got.equal(expected) : got.allclose(expected, 1e-5, 1e-6))
      return;
    ++wrong_;
    if (wrong_ <= error_print_limit || wrong_ % 100 == 0)
      std::cerr << "soak: wrong value #" << wrong_ << " at iteration "
                << iterations_ << " (" << what << "): got " << got
                << ", expected " << expected << std::endl;
  }

  void wrong(const char* what, const std::string& msg) {
    ++wrong_;
    if (wrong_ <= error_print_limit || wrong_ % 100 == 0)
      std::cerr << "soak: wrong value #" << wrong_ << " at iteration "
                << iterations_ << " (" << what << "): " << msg << std::endl;
  }

  void push(pointer<tensor> ptr, tensor expected) {
    if (pool_.size() >= pool_capacity)
      pool_.erase(pool_.begin() + static_cast<ptrdiff_t>(below(pool_.size())));
    pool_.push_back(entry{std::move(ptr), std::move(expected)});
  }

  /// Removes the pooled handles that share the state of `st` (copies).
  void forget(const std::shared_ptr<pointer_state>& st) {
    pool_.erase(
      std::remove_if(pool_.begin(), pool_.end(),
                     [&](const entry& e) { return e.ptr.state() == st; }),
      pool_.end());
  }

  /// Gets pool_[i] home, checks it and forgets it with its copies.
  void take(size_t i, const char* what) {
    auto e = pool_[i];
    forget(e.ptr.state());
    check(what, e.ptr.get(), e.expected);
  }

  /// Waits (bounded) until `w` stores nothing, then checks objects().
  void check_empty(const worker& w) {
    auto deadline = clock_type::now() + 5s;
    auto n = w.count();
    // Releases cascade across nodes (a chain's middle pointer releases the
    // object downstream): give them a moment before calling it a leak.
    while (n != 0 && clock_type::now() < deadline) {
      std::this_thread::sleep_for(20ms);
      n = w.count();
    }
    auto listing = w.objects();
    if (n == 0 && listing.size() == 0)
      return;
    wrong("store not empty",
          w.name() + " keeps " + std::to_string(n) +
            " objects after every handle was dropped: " + str(listing));
    w.clear();
  }

  // -- operations -------------------------------------------------------------

  /// A new small tensor on a random worker.
  void send() {
    auto x = small_tensor();
    push(x.send(any_worker()), x);
  }

  /// A unary op (or one with a literal) on a pooled handle.
  void unary() {
    if (pool_.empty())
      return send();
    auto e = pool_[below(pool_.size())];
    auto c = between(-3, 3);
    switch (below(5)) {
    case 0:
      push(-e.ptr, -e.expected);
      break;
    case 1:
      push(e.ptr.abs(), e.expected.abs());
      break;
    case 2:
      push(e.ptr + c, e.expected + c);
      break;
    case 3:
      push(e.ptr * c, e.expected * c);
      break;
    default:
      push(c - e.ptr, c - e.expected);
    }
  }

  /// A binary op on two pooled handles; the second moves to the first
  /// first if they live apart.
  void binary() {
    if (pool_.size() < 2)
      return send();
    auto x = pool_[below(pool_.size())];
    auto y = pool_[below(pool_.size())];
    auto& at = where(x.ptr);
    if (where(y.ptr) != at)
      y.ptr.move(at);
    switch (below(3)) {
    case 0:
      push(x.ptr + y.ptr, x.expected + y.expected);
      break;
    case 1:
      push(x.ptr - y.ptr, x.expected - y.expected);
      break;
    default:
      push(x.ptr * y.ptr, x.expected * y.expected);
    }
  }

  /// Moves a pooled handle (sometimes back again), sometimes followed at
  /// once by a pipelined temporary `(x + 1) * 2` at the destination.
  void move() {
    if (pool_.empty())
      return send();
    auto e = pool_[below(pool_.size())];
    auto& src = where(e.ptr);
    e.ptr.move(other_than(src));
    if (one_in(3))
      e.ptr.move(src);
    if (one_in(2))
      push((e.ptr + 1) * 2, (e.expected + 1) * 2);
  }

  /// A copy of a pooled handle (one shared reference).
  void copy() {
    if (pool_.empty())
      return send();
    auto e = pool_[below(pool_.size())];
    push(e.ptr, e.expected);
  }

  void get() {
    if (pool_.empty())
      return send();
    take(below(pool_.size()), "get");
  }

  void drop() {
    if (!pool_.empty())
      pool_.erase(pool_.begin() + static_cast<ptrdiff_t>(below(pool_.size())));
  }

  /// A pointer to a pooled handle sent to another worker, an op through the
  /// chain (the result mirrors it), sometimes after moving the middle
  /// pointer to the third worker.
  void chain() {
    if (pool_.empty())
      return send();
    auto e = pool_[below(pool_.size())];
    auto& data_at = where(e.ptr);
    auto& mid = other_than(data_at);
    auto p2x = e.ptr.send(mid);
    if (one_in(3)) {
      for (auto& w : workers_)
        if (w != data_at && w != mid)
          p2x.move(w);
    }
    switch (below(4)) {
    case 0:
      check("chain op", (p2x * 3 + 1).get().get(), e.expected * 3 + 1);
      break;
    case 1:
      check("chain op", (p2x + p2x).get().get(), e.expected + e.expected);
      break;
    case 2:
      check("chain op", (-p2x).get().get(), -e.expected);
      break;
    default:
      // Takes the middle pointer home; the inner get copies the shared
      // object, which the pool still holds.
      check("chain get", p2x.get().get(), e.expected);
    }
  }

  /// Float ops (results compared with a tolerance).
  void float_ops() {
    std::vector<float> xs(32);
    for (auto& x : xs)
      x = static_cast<float>(between(-2000, 2000)) / 1000.0f;
    auto x = tensor::from_vector(std::move(xs), workers::shape{4, 8});
    auto p = x.send(any_worker());
    switch (below(4)) {
    case 0:
      check("softmax", p.softmax(1).get(), x.softmax(1), false);
      break;
    case 1:
      check("exp", p.exp().get(), x.exp(), false);
      break;
    case 2:
      check("mean", p.mean(0).get(), x.mean(0), false);
      break;
    default:
      check("matmul", p.matmul(p.transpose()).get(), x.matmul(x.transpose()),
            false);
    }
  }

  /// Moving to me is get().
  void move_to_me() {
    if (pool_.empty())
      return send();
    auto e = pool_[below(pool_.size())];
    forget(e.ptr.state());
    check("move to me", e.ptr.move(rt_.me()), e.expected);
  }

  /// Tags a pooled object and searches for it; hits are taken home or
  /// dropped unread.
  void tag_and_search() {
    if (pool_.empty())
      return send();
    auto e = pool_[below(pool_.size())];
    auto tag = "#soak-" + std::to_string(iterations_);
    e.ptr.tag({tag});
    auto hits = where(e.ptr).search({tag});
    if (hits.size() != 1)
      return wrong("search", "found " + std::to_string(hits.size()) +
                               " objects tagged " + tag + ", expected 1");
    if (one_in(2))
      check("search hit", hits[0].get(), e.expected);
  }

  /// A 9 MiB float32 tensor (over the 8 MiB bulk threshold): send, maybe a
  /// node-to-node move, an op, get; sometimes the source is taken home too.
  void large() {
    auto value = static_cast<double>(between(0, 99));
    auto big = tensor::full({9 * 256, 1024}, value, dtype::float32);
    auto& first = any_worker();
    auto x = big.send(first);
    if (one_in(2))
      x.move(other_than(first));
    auto y = x + 1.0f;
    check("large op", y.get(), big + 1.0f);
    if (one_in(2))
      check("large get", x.get(), big);
  }

  runtime& rt_;
  std::vector<worker> workers_;
  std::mt19937_64 rng_;
  uint64_t large_every_;
  std::vector<entry> pool_;
  uint64_t iterations_ = 0;
  uint64_t errors_ = 0;
  uint64_t wrong_ = 0;
};

const char* node_names[] = {"bob", "alice", "carol"};

std::string csv_header() {
  std::string result = "elapsed_s,iterations,errors,wrong_values";
  for (auto name : node_names)
    result += std::string{","} + name + "_rss_kb";
  return result;
}

std::string csv_line(const sample& s) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << s.elapsed_s << ','
      << s.iterations << ',' << s.errors << ',' << s.wrong;
  for (auto kb : s.rss_kb)
    out << ',' << kb;
  return out.str();
}

} // namespace

int main(int argc, char** argv) {
  auto opts = parse(argc, argv);
  std::vector<std::unique_ptr<node_process>> nodes;
  std::vector<worker> workers;
  runtime_options rt_opts;
  rt_opts.client.request_timeout = 10s;
  runtime rt{rt_opts};
  // The same bounds as the tests' node processes (tests/fixture.hpp).
  std::vector<std::string> node_args{"--workers.park-timeout=1s",
                                     "--workers.forward-timeout=3s"};
  for (auto name : node_names) {
    nodes.push_back(std::make_unique<node_process>(
      WORKERS_NODE_BINARY, std::vector<std::string>{name}, node_args));
    auto w = rt.connect(name, "127.0.0.1", nodes.back()->port());
    if (!w) {
      std::cerr << "soak: cannot connect to " << name << ": "
                << render(w.error()) << '\n';
      return 1;
    }
    workers.push_back(*w);
    std::cout << "soak: " << name << " on 127.0.0.1:" << nodes.back()->port()
              << " (pid " << nodes.back()->pid() << ")\n";
  }
  std::cout << "soak: " << opts.minutes << " min, a sample every "
            << opts.sample_seconds << " s, seed " << opts.seed << ", "
            << (opts.large_every > 0
                  ? "a 9 MiB tensor every ~" +
                      std::to_string(opts.large_every) + " iterations"
                  : std::string{"no 9 MiB tensors"})
            << std::endl;
  std::ofstream csv;
  if (!opts.csv.empty()) {
    csv.open(opts.csv);
    if (!csv) {
      std::cerr << "soak: cannot write " << opts.csv << '\n';
      return 1;
    }
    csv << csv_header() << std::endl;
  }
  std::cout << csv_header() << std::endl;
  workload load{rt, workers, opts.seed, opts.large_every};
  std::vector<sample> samples;
  std::string died; // the first node found gone
  auto t0 = clock_type::now();
  auto take_sample = [&] {
    load.verify(); // every store empty: RSS measured at rest
    sample s;
    s.elapsed_s = std::chrono::duration<double>(clock_type::now() - t0).count();
    s.iterations = load.iterations();
    s.errors = load.errors();
    s.wrong = load.wrong();
    for (size_t i = 0; i < nodes.size(); ++i) {
      auto kb = rss_kb(nodes[i]->pid());
      if (kb < 0 && died.empty())
        died = node_names[i];
      s.rss_kb.push_back(kb);
    }
    auto line = csv_line(s);
    std::cout << line << std::endl;
    if (csv.is_open())
      csv << line << std::endl;
    samples.push_back(std::move(s));
  };
  auto run_for = std::chrono::duration_cast<clock_type::duration>(
    std::chrono::duration<double>(opts.minutes * 60));
  auto every = std::chrono::duration_cast<clock_type::duration>(
    std::chrono::duration<double>(opts.sample_seconds));
  auto end = t0 + run_for;
  take_sample();
  auto next_sample = t0 + every;
  for (auto now = clock_type::now(); now < end && died.empty();
       now = clock_type::now()) {
    if (now >= next_sample) {
      take_sample();
      while (next_sample <= now)
        next_sample += every;
      continue;
    }
    load.step();
  }
  if (died.empty())
    take_sample();
  // -- summary ----------------------------------------------------------------
  auto& last = samples.back();
  std::cout << std::fixed << std::setprecision(1) << "soak: " << last.iterations
            << " iterations in " << last.elapsed_s << " s, " << last.errors
            << " errors, " << last.wrong << " wrong values" << std::endl;
  std::vector<std::string> reasons;
  if (!died.empty())
    reasons.push_back("node " + died + " exited");
  if (last.errors > 0)
    reasons.push_back(std::to_string(last.errors) + " errors");
  if (last.wrong > 0)
    reasons.push_back(std::to_string(last.wrong) + " wrong values");
  // The sample nearest half time.
  auto half_time = last.elapsed_s / 2;
  auto half = std::min_element(samples.begin(), samples.end(),
                               [&](const sample& x, const sample& y) {
                                 return std::abs(x.elapsed_s - half_time) <
                                        std::abs(y.elapsed_s - half_time);
                               });
  if (&*half == &last)
    std::cout << "soak: too few samples to judge growth over the last half "
                 "(run longer or sample more often)"
              << std::endl;
  for (size_t i = 0; i < nodes.size() && died.empty(); ++i) {
    auto from = half->rss_kb[i];
    auto to = last.rss_kb[i];
    auto peak = from;
    for (auto& s : samples)
      peak = std::max(peak, s.rss_kb[i]);
    auto growth = from > 0 ? 100.0 * static_cast<double>(to - from) /
                               static_cast<double>(from)
                           : 0.0;
    std::cout << std::setprecision(2) << "soak: " << node_names[i] << " rss "
              << samples.front().rss_kb[i] << " kB at start, " << from
              << " kB at " << std::setprecision(1) << half->elapsed_s << " s, "
              << to << " kB at " << last.elapsed_s << " s (peak " << peak
              << " kB): " << std::showpos << std::setprecision(2) << growth
              << std::noshowpos << " % over the last half" << std::endl;
    if (growth >= max_growth_percent) {
      std::ostringstream reason;
      reason << std::fixed << std::setprecision(2) << node_names[i] << " grew "
             << growth << " %";
      reasons.push_back(reason.str());
    }
  }
  if (reasons.empty()) {
    std::cout << "soak: PASS" << std::endl;
    return 0;
  }
  std::string joined;
  for (auto& r : reasons)
    joined += (joined.empty() ? "" : "; ") + r;
  std::cout << "soak: FAIL (" << joined << ")" << std::endl;
  return 1;
}
