// bench: measures libworkers against bare CAF, raw TCP and memcpy in the
// same run, in-process and across two node processes on 127.0.0.1.
//
//   bench --quick                  # under a minute
//   bench --full --json=bench.json # the counts, plus JSON
//   bench --only=latency --scheduler.policy=sharing --middleman.workers=0
//
// Wiring only: options here, everything else in workers::bench
// (actors/bench/).
// README.md, "Benchmarks", says what each section measures.

#include <iostream>
#include <stdexcept>

#include "workers/bench/cli.hpp"
#include "workers/bench/config_info.hpp"
#include "workers/bench/memory_child.hpp"
#include "workers/bench/runner.hpp"
#include "workers/bench/subprocess.hpp"
#include "workers/error.hpp"

#ifndef WORKERS_NODE_BINARY
#define WORKERS_NODE_BINARY ""
#endif

int main(int argc, char** argv) {
  using namespace workers::bench;
  bench_args args;
  try {
    args = parse_bench_args(argc, argv);
  } catch (const std::invalid_argument& e) {
    std::cerr << "bench: " << e.what() << '\n' << bench_usage();
    return 2;
  }
  if (args.help)
    std::cout << bench_usage() << '\n';
  workers::runtime_config cfg;
  if (auto err = parse_config(cfg, args.caf_args)) {
    std::cerr << "bench: bad option: " << workers::render(err) << '\n';
    return 2;
  }
  if (cfg.cli_helptext_printed)
    return 0;
  auto node = find_executable(args.node_binary, "node", WORKERS_NODE_BINARY);
  if (node.empty()) {
    std::cerr << "bench: cannot find apps/node; use --node-binary=PATH\n";
    return 2;
  }
  if (!args.child.empty())
    return run_memory_child(args.child, cfg, make_plan(args.mode), node,
                            args.caf_args);
  return run_bench(args, cfg, node);
}
