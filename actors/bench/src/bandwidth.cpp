#include "workers/bench/bandwidth.hpp"

#include <array>
#include <exception>

#include "workers/bench/memcpy_baseline.hpp"
#include "workers/bench/samplers.hpp"
#include "workers/bench/stopwatch.hpp"
#include "workers/bench/tcp_baseline.hpp"
#include "workers/bench/units.hpp"
#include "workers/error.hpp"

namespace workers::bench {

namespace {

enum leg { send_leg, move_leg, get_leg };

// One send / move / get round of `t`; returns the seconds of each leg.
std::array<double, 3> round_trip(environment& env, const site& s,
                                 const tensor& t, bool check) {
  std::array<double, 3> secs{};
  stopwatch sw;
  auto p = t.send(s.bob);
  settle(env.rt());
  secs[send_leg] = sw.seconds();
  sw.restart();
  p.move(s.alice);
  settle(env.rt());
  secs[move_leg] = sw.seconds();
  if (!same_worker(p.location(), s.alice.ref()))
    throw std::runtime_error("move to alice failed: " + render(p.error()));
  sw.restart();
  auto back = p.get();
  secs[get_leg] = sw.seconds();
  if (check && !back.equal(t))
    throw std::runtime_error("the tensor came back changed");
  return secs;
}

// The three legs' series for tensors of `bytes` on `s`.
std::array<sample_series, 3> measure_size(environment& env, const site& s,
                                          const plan& p, size_t bytes) {
  std::array<sample_series, 3> result;
  try {
    auto t =
      tensor::full({static_cast<int64_t>(bytes / 4)}, 1.0, dtype::float32);
    auto batch = p.batch_for(bytes);
    if (bytes < 16 * mib) // warm-up; large sizes are too slow for one
      round_trip(env, s, t, true);
    for (size_t rep = 0; rep < p.reps_for(bytes); ++rep) {
      std::array<double, 3> total{};
      for (size_t i = 0; i < batch; ++i) {
        auto secs = round_trip(env, s, t, rep == 0 && i == 0);
        for (size_t k = 0; k < 3; ++k)
          total[k] += secs[k];
      }
      for (size_t k = 0; k < 3; ++k)
        result[k].add(total[k] / static_cast<double>(batch));
    }
  } catch (const std::exception& e) {
    for (auto& x : result)
      x.fail(e.what());
  }
  return result;
}

} // namespace

void run_bandwidth(environment& env, const plan& p, report& out) {
  auto label = size_label(p.baseline_bytes);
  auto tcp = make_result(
    "baselines", "raw TCP transfer " + label, "cross-process", "MiB/s",
    mib_per_second(tcp_transfer_seconds(p.baseline_reps, p.baseline_bytes),
                   p.baseline_bytes));
  tcp.note = "to a forked process, large send() calls, 1-byte ack";
  out.add(tcp);
  sample_series copy;
  try {
    copy = memcpy_seconds(p.baseline_reps, p.baseline_bytes);
  } catch (const std::exception& e) {
    copy.fail(e.what());
  }
  auto mem = make_result("baselines", "memcpy " + label, "in-process", "MiB/s",
                         mib_per_second(copy, p.baseline_bytes));
  out.add(mem);
  static const char* names[] = {"send (put + barrier) ",
                                "move bob->alice (+ barrier) ", "get "};
  for (auto* s : env.sites()) {
    bool remote = s->where == "cross-process";
    for (auto bytes : p.sizes) {
      auto series = measure_size(env, *s, p, bytes);
      for (size_t k = 0; k < 3; ++k) {
        auto r =
          make_result("bandwidth", names[k] + size_label(bytes), s->where,
                      "MiB/s", mib_per_second(series[k], bytes));
        compare(r, remote ? tcp : mem);
        if (remote && bytes == p.target_bytes)
          r.goal = at_least(0.65);
        if (!remote && k == 0 && bytes == p.sizes.front())
          r.note = "in one process tensors are shared (copy-on-write), not "
                   "copied: these rows measure messaging, not copying";
        out.add(r);
      }
    }
  }
}

} // namespace workers::bench
