#include "workers/bench/config_sweep.hpp"

#include <cmath>
#include <exception>
#include <limits>

#include "workers/bench/config_info.hpp"
#include "workers/bench/environment.hpp"
#include "workers/bench/samplers.hpp"
#include "workers/bench/table_output.hpp"
#include "workers/bench/units.hpp"
#include "workers/error.hpp"

namespace workers::bench {

namespace {

enum metric {
  remote_op,
  remote_caf,
  local_op,
  local_async,
  local_caf_actor,
  metric_count
};

// The medians of one combination, in microseconds.
std::vector<sample_series> measure(const std::string& node_binary,
                                   const std::vector<std::string>& args,
                                   const plan& p, run_config& described) {
  runtime_config cfg;
  if (auto err = parse_config(cfg, args))
    throw std::runtime_error("bad options: " + render(err));
  described = describe_config(cfg, args);
  environment env{cfg, {node_binary, args, true, true, 0}};
  auto& rt = env.rt();
  auto t =
    tensor::full({static_cast<int64_t>(p.small_elements)}, 1.5, dtype::float32);
  auto& local = *env.in_process();
  auto& remote = *env.cross_process();
  auto batch = p.sweep_batch;
  std::vector<sampler> samplers(metric_count);
  samplers[remote_op] = op_sampler(rt, remote, t, batch);
  samplers[remote_caf] = caf_blocking_sampler(rt, remote, t, batch);
  samplers[local_op] = op_sampler(rt, local, t, batch);
  samplers[local_async] = async_op_sampler(rt, local, t, batch);
  samplers[local_caf_actor] = caf_actor_sampler(rt, local, t, batch);
  auto series = repeat_interleaved(p.sweep_reps, samplers);
  for (auto& s : series)
    s = micros(s);
  return series;
}

} // namespace

void run_config_sweep(const std::string& node_binary,
                      const std::vector<std::string>& caf_args, const plan& p,
                      report& out) {
  text_table table;
  table.title = "[configs] medians in us (op: x+y kept remote + barrier; "
                "async: x+y + async::get from an actor)";
  table.headers = {"scheduler.policy",
                   "middleman.workers",
                   "op cross-process",
                   "CAF cross-process",
                   "ratio",
                   "op in-process",
                   "async in-process",
                   "CAF actor in-process",
                   "ratio",
                   "score"};
  table.align_left = {true, false};
  double best_score = std::numeric_limits<double>::infinity();
  std::string best;
  for (auto* policy : {"stealing", "sharing"}) {
    for (auto* workers : {"0", "1", "2"}) {
      auto args =
        override_args(caf_args, {"scheduler.policy", "middleman.workers"},
                      {std::string{"--scheduler.policy="} + policy,
                       std::string{"--middleman.workers="} + workers});
      auto where =
        std::string{"policy="} + policy + " middleman.workers=" + workers;
      run_config described;
      std::vector<sample_series> s;
      try {
        s = measure(node_binary, args, p, described);
      } catch (const std::exception& e) {
        out.add_error("config " + where + ": " + e.what());
        continue;
      }
      auto row = [&](std::string name, std::string site, metric m) {
        return make_result("configs", std::move(name), site + ", " + where,
                           "us", s[m]);
      };
      auto op =
        row("op x+y kept remote (+ barrier)", "cross-process", remote_op);
      compare(
        op, row("CAF request/response, blocking", "cross-process", remote_caf));
      op.goal = at_most(1.2);
      auto async_op =
        row("op x+y + async::get, from an actor", "in-process", local_async);
      compare(async_op, row("CAF request/response, actor to actor",
                            "in-process", local_caf_actor));
      async_op.goal = at_most(3);
      out.add(op);
      out.add(async_op);
      auto med = [&](metric m) { return s[m].summarize().median; };
      auto score = std::cbrt(med(remote_op) * med(local_op) * med(local_async));
      if (score < best_score) {
        best_score = score;
        best = described.brief();
      }
      table.rows.push_back(
        {policy, workers, format_number(med(remote_op)),
         format_number(med(remote_caf)),
         format_number(med(remote_op) / med(remote_caf)) + "x",
         format_number(med(local_op)), format_number(med(local_async)),
         format_number(med(local_caf_actor)),
         format_number(med(local_async) / med(local_caf_actor)) + "x",
         format_number(score)});
    }
  }
  out.add_table(table);
  if (!best.empty())
    out.set_recommendation(
      best +
      " (lowest geometric mean of the op round trips cross-process, "
      "in-process blocking and in-process async: " +
      format_number(best_score) + " us)");
}

} // namespace workers::bench
