#include "workers/bench/runner.hpp"

#include <exception>
#include <functional>
#include <iostream>
#include <optional>

#include "workers/bench/bandwidth.hpp"
#include "workers/bench/config_info.hpp"
#include "workers/bench/config_sweep.hpp"
#include "workers/bench/environment.hpp"
#include "workers/bench/json_output.hpp"
#include "workers/bench/latency.hpp"
#include "workers/bench/machine.hpp"
#include "workers/bench/memory.hpp"
#include "workers/bench/stopwatch.hpp"
#include "workers/bench/subprocess.hpp"
#include "workers/bench/table_output.hpp"
#include "workers/bench/throughput.hpp"

namespace workers::bench {

namespace {

// Runs `f` as section `name`, with progress on stderr; an exception becomes
// an error of the report.
void section(const std::string& name, report& out,
             const std::function<void()>& f) {
  std::cerr << "bench: " << name << " ..." << std::flush;
  stopwatch sw;
  try {
    f();
  } catch (const std::exception& e) {
    out.add_error(name + ": " + e.what());
  }
  std::cerr << " " << format_number(sw.seconds()) << " s" << std::endl;
}

} // namespace

int run_bench(const bench_args& args, runtime_config& cfg,
              const std::string& node_binary) {
  stopwatch total;
  auto p = make_plan(args.mode);
  report out;
  out.set("mode", to_string(args.mode));
  out.set("plan", describe(p));
  out.set_machine(collect_machine_info());
  out.set_config(describe_config(cfg, args.caf_args));
  out.set("node_binary", node_binary);
  bool in_env = args.selected("latency") || args.selected("throughput") ||
                args.selected("bandwidth");
  if (in_env) {
    std::optional<environment> env;
    section("starting runtime and 2 nodes", out, [&] {
      env.emplace(cfg, environment_options{node_binary, args.caf_args, true,
                                           true, p.max_chain_depth});
    });
    if (env) {
      if (args.selected("latency"))
        section("latency", out, [&] { run_latency(*env, p, out); });
      if (args.selected("throughput"))
        section("throughput", out, [&] { run_throughput(*env, p, out); });
      if (args.selected("bandwidth"))
        section("bandwidth", out, [&] { run_bandwidth(*env, p, out); });
    }
  }
  if (args.selected("memory"))
    section("memory (child processes)", out, [&] {
      child_launch how{self_executable(), "--" + to_string(args.mode),
                       node_binary, args.caf_args};
      run_memory(how, p, out);
    });
  if (args.selected("configs"))
    section("configs (6 combinations)", out,
            [&] { run_config_sweep(node_binary, args.caf_args, p, out); });
  out.set("seconds", format_number(total.seconds()));
  print_table(out, std::cout);
  std::cout.flush();
  int status = out.failed_rows() > 0 || !out.errors().empty() ? 1 : 0;
  if (!args.json_path.empty()) {
    try {
      write_json_file(out, args.json_path);
    } catch (const std::exception& e) {
      std::cerr << "bench: " << e.what() << std::endl;
      status = 1;
    }
  }
  return status;
}

} // namespace workers::bench
