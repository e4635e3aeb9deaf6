#include "workers/bench/cli.hpp"

#include <algorithm>
#include <stdexcept>

namespace workers::bench {

namespace {

// The value of "--name=value" if `arg` is that option.
bool value_of(const std::string& arg, const std::string& name,
              std::string& out) {
  auto prefix = "--" + name + "=";
  if (arg.rfind(prefix, 0) != 0)
    return false;
  out = arg.substr(prefix.size());
  return true;
}

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> result;
  size_t begin = 0;
  while (begin <= list.size()) {
    auto end = list.find(',', begin);
    if (end == std::string::npos)
      end = list.size();
    if (end > begin)
      result.push_back(list.substr(begin, end - begin));
    begin = end + 1;
  }
  return result;
}

bool contains(const std::vector<std::string>& xs, const std::string& x) {
  return std::find(xs.begin(), xs.end(), x) != xs.end();
}

} // namespace

const std::vector<std::string>& selectable_sections() {
  static const std::vector<std::string> names{"latency", "throughput",
                                              "bandwidth", "memory", "configs"};
  return names;
}

bool bench_args::selected(const std::string& section) const {
  return only.empty() || contains(only, section);
}

bench_args parse_bench_args(int argc, char** argv) {
  bench_args result;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    if (arg == "--smoke") {
      result.mode = run_mode::smoke;
    } else if (arg == "--quick") {
      result.mode = run_mode::quick;
    } else if (arg == "--full") {
      result.mode = run_mode::full;
    } else if (arg == "--help" || arg == "-h") {
      result.help = true;
      result.caf_args.push_back(arg);
    } else if (value_of(arg, "json", result.json_path)) {
      // stored
    } else if (value_of(arg, "node-binary", result.node_binary)) {
      // stored
    } else if (value_of(arg, "only", value)) {
      for (auto& s : split(value)) {
        if (s == "baselines")
          continue; // baselines always accompany the sections that use them
        if (!contains(selectable_sections(), s))
          throw std::invalid_argument("--only: unknown section \"" + s +
                                      "\" (latency, throughput, bandwidth, "
                                      "memory, configs)");
        result.only.push_back(s);
      }
    } else if (value_of(arg, "child", result.child)) {
      if (result.child != "peak" && result.child != "cycles-inproc" &&
          result.child != "cycles-node")
        throw std::invalid_argument("--child: unknown child \"" + result.child +
                                    "\"");
    } else {
      result.caf_args.push_back(std::move(arg));
    }
  }
  return result;
}

std::string bench_usage() {
  return "bench: libworkers' benchmark (see README.md, \"Benchmarks\")\n"
         "  --smoke | --quick | --full   counts (default --full)\n"
         "  --only=SECTION,...           latency, throughput, bandwidth,\n"
         "                               memory, configs (default: all)\n"
         "  --json=PATH                  also write the report as JSON\n"
         "  --node-binary=PATH           apps/node (default: next to bench)\n"
         "  CAF and libworkers options (also passed to the nodes), e.g.\n"
         "  --scheduler.policy=sharing --middleman.workers=0\n";
}

} // namespace workers::bench
