#include "workers/bench/plan.hpp"

namespace workers::bench {

std::string to_string(run_mode x) {
  switch (x) {
  case run_mode::smoke:
    return "smoke";
  case run_mode::quick:
    return "quick";
  default:
    return "full";
  }
}

size_t plan::reps_for(size_t bytes) const {
  auto base = latency_reps;
  if (bytes >= 256 * mib)
    return mode == run_mode::full ? 3 : 1;
  if (bytes >= 16 * mib)
    return mode == run_mode::full ? 7 : (mode == run_mode::quick ? 3 : 1);
  return base;
}

size_t plan::batch_for(size_t bytes) const {
  if (bytes >= 16 * mib)
    return 1;
  if (bytes >= mib)
    return mode == run_mode::smoke ? 2 : 5;
  return latency_batch;
}

std::string describe(const plan& p) {
  auto n = [](size_t x) { return std::to_string(x); };
  std::string sizes;
  for (auto b : p.sizes)
    sizes += (sizes.empty() ? "" : "/") + n(b >= mib ? b / mib : b / kib) +
             (b >= mib ? "MiB" : "KiB");
  return "latency " + n(p.latency_reps) + " reps x " + n(p.latency_batch) +
         " ops; throughput " + n(p.throughput_reps) + " reps x " +
         n(p.pipeline_ops) + " in flight; bandwidth " + sizes + "; peak " +
         n(p.peak_bytes / mib) + " MiB x " + n(p.memory_reps) + "; cycles " +
         n(p.cycles) + " after " + n(p.cycles_warmup) + " warm-up; configs " +
         n(p.sweep_reps) + " reps x " + n(p.sweep_batch) + " ops";
}

plan make_plan(run_mode m) {
  plan p;
  p.mode = m;
  switch (m) {
  case run_mode::smoke:
    p.latency_reps = 2;
    p.latency_batch = 10;
    p.tcp_rounds = 100;
    p.throughput_reps = 2;
    p.pipeline_ops = 200;
    p.sizes = {kib, mib, 16 * mib};
    p.target_bytes = 16 * mib;
    p.baseline_bytes = 16 * mib;
    p.baseline_reps = 2;
    p.peak_bytes = 16 * mib;
    p.cycles = 2000;
    p.cycles_warmup = 500;
    p.child_timeout = std::chrono::seconds(60);
    p.sweep_reps = 1;
    p.sweep_batch = 10;
    break;
  case run_mode::quick:
    p.latency_reps = 5;
    p.latency_batch = 100;
    p.tcp_rounds = 1000;
    p.throughput_reps = 3;
    p.pipeline_ops = 1000;
    p.sizes = {kib, mib, 64 * mib, 256 * mib};
    p.baseline_reps = 5;
    p.cycles = 50000;
    p.cycles_warmup = 40000;
    p.child_timeout = std::chrono::seconds(120);
    p.sweep_reps = 3;
    p.sweep_batch = 100;
    break;
  default:
    p.latency_reps = 11;
    p.latency_batch = 300;
    p.tcp_rounds = 5000;
    p.throughput_reps = 11;
    p.pipeline_ops = 1000;
    p.sizes = {kib, mib, 64 * mib, 256 * mib};
    p.baseline_reps = 11;
    p.memory_reps = 3;
    p.cycles = 1000000;
    p.cycles_warmup = 100000;
    p.child_timeout = std::chrono::seconds(900);
    p.sweep_reps = 7;
    p.sweep_batch = 300;
  }
  return p;
}

} // namespace workers::bench
