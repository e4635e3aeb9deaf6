// workers_sim: deterministic simulation of random client programs against
// the reference model (tests/sim/harness.hpp explains the schedule).
//
//   workers_sim --seeds=10000            programs 1..10000
//   workers_sim --seed=4711 --verbose    one program, its trace and result
//   workers_sim --first=500 --seeds=100  programs 500..599
//   workers_sim --nodes --seeds=100      against node processes (node_runner)
//   workers_sim --threads --seeds=100    in this process, real threads
//   workers_sim --faults=kill --seeds=20 against node processes, one of
//                                        which is killed mid-program (stop:
//                                        stopped); fresh nodes per program
//
// Seed S draws both the program and its schedule, so a failure reproduces
// with --seed=S. A failing program is shrunk to a minimal one that still
// fails (under the same seed), and printed.

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <random>
#include <string>

#include "sim/harness.hpp"
#include "sim/node_runner.hpp"
#include "sim/model.hpp"
#include "sim/program.hpp"

using namespace workers::sim;

namespace {

bool verbose = false;

/// The node processes of --nodes mode (null: the deterministic harness).
std::unique_ptr<node_cluster> cluster;

/// --faults: how crash steps crash, and a fresh cluster for each program.
std::optional<crash_kind> faults;

struct verdict {
  bool ok = true;
  std::string why;
};

verdict check(const program& p, uint64_t seed) {
  auto expected = run_model(p, faults.value_or(crash_kind::kill));
  if (faults) { // a crashed cluster serves one program
    try {
      cluster = std::make_unique<node_cluster>(WORKERS_NODE_BINARY, 5, faults);
    } catch (const std::exception& e) {
      return verdict{false, std::string{"  problem: "} + e.what() + "\n"};
    }
  }
  auto actual = cluster ? run_on_nodes(p, *cluster) : run_harness(p, seed);
  if (faults)
    cluster.reset();
  verdict result;
  if (verbose)
    for (auto& o : actual.observations)
      std::cout << "  " << (o.step == final_step ? std::string{"end"}
                                                  : "#" + std::to_string(o.step))
                << " " << o.what << '\n';
  for (auto& problem : actual.problems) {
    result.ok = false;
    result.why += "  problem: " + problem + "\n";
  }
  auto n = std::max(expected.size(), actual.observations.size());
  for (size_t i = 0; i < n; ++i) {
    auto text = [](const trace& t, size_t k) -> std::string {
      if (k >= t.size())
        return "(nothing)";
      auto step = t[k].step == final_step ? std::string{"end"}
                                          : "#" + std::to_string(t[k].step);
      return step + " " + t[k].what;
    };
    if (i < expected.size() && i < actual.observations.size() &&
        allows(expected[i], actual.observations[i]))
      continue;
    result.ok = false;
    result.why += "  model:   " + text(expected, i) + "\n  runtime: " +
                  text(actual.observations, i) + "\n";
    break;
  }
  return result;
}

program make_program(uint64_t seed, size_t length) {
  std::mt19937_64 rng{seed * 0x9e3779b97f4a7c15ULL + 1};
  return generate(rng, length, faults.has_value());
}

std::string text_arg(int argc, char** argv, const std::string& key) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind(key + "=", 0) == 0)
      return a.substr(key.size() + 1);
  }
  return {};
}

// Removes chunks of steps, then single steps, as long as it still fails.
program shrink(program p, uint64_t seed) {
  for (size_t chunk = p.steps.size() / 2; chunk >= 1; chunk /= 2) {
    bool progress = true;
    while (progress) {
      progress = false;
      for (size_t at = 0; at + chunk <= p.steps.size(); at += chunk) {
        auto q = p;
        q.steps.erase(q.steps.begin() + static_cast<ptrdiff_t>(at),
                      q.steps.begin() + static_cast<ptrdiff_t>(at + chunk));
        if (!check(q, seed).ok) {
          p = std::move(q);
          progress = true;
          break;
        }
      }
    }
  }
  return p;
}

uint64_t arg(int argc, char** argv, const std::string& key, uint64_t dflt) {
  auto text = text_arg(argc, argv, key);
  return text.empty() ? dflt : std::stoull(text);
}

bool flag(int argc, char** argv, const std::string& key) {
  for (int i = 1; i < argc; ++i)
    if (argv[i] == key)
      return true;
  return false;
}

} // namespace

int main(int argc, char** argv) {
  auto first = arg(argc, argv, "--first", 1);
  auto count = arg(argc, argv, "--seeds", 1000);
  if (auto one = arg(argc, argv, "--seed", 0); one != 0) {
    first = one;
    count = 1;
  }
  auto length = arg(argc, argv, "--length", 40);
  auto max_failures = arg(argc, argv, "--max-failures", 3);
  verbose = flag(argc, argv, "--verbose");
  if (auto f = text_arg(argc, argv, "--faults"); f == "kill")
    faults = crash_kind::kill;
  else if (f == "stop")
    faults = crash_kind::stop;
  else if (!f.empty()) {
    std::cerr << "--faults must be kill or stop\n";
    return EXIT_FAILURE;
  }
  if (faults)
    ; // check() starts a cluster per program
  else if (flag(argc, argv, "--nodes"))
    cluster = std::make_unique<node_cluster>(WORKERS_NODE_BINARY, 5);
  else if (flag(argc, argv, "--threads"))
    cluster = std::make_unique<node_cluster>("", 5);
  auto start = std::chrono::steady_clock::now();
  uint64_t passed = 0;
  uint64_t failed = 0;
  for (auto seed = first; seed < first + count; ++seed) {
    auto p = make_program(seed, length);
    if (verbose)
      std::cout << "seed " << seed << ": " << to_string(p);
    auto v = check(p, seed);
    if (v.ok) {
      ++passed;
      continue;
    }
    ++failed;
    std::cout << "FAILED seed " << seed << " (reproduce: workers_sim --seed="
              << seed << ")\n"
              << v.why;
    if (cluster || faults) // real timing: no seed reproduces the schedule
      std::cout << to_string(p) << std::flush;
    else {
      auto small = shrink(p, seed);
      std::cout << "minimized " << to_string(small) << check(small, seed).why
                << std::flush;
    }
    if (failed >= max_failures)
      break;
  }
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                            start)
                .count();
  std::cout << "simulated " << passed + failed << " programs of " << length
            << " steps in " << secs << " s\n"
            << passed << " passed, " << failed << " failed\n";
  cluster.reset();
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
