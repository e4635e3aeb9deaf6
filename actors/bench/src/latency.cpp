#include "workers/bench/latency.hpp"

#include <algorithm>

#include "workers/bench/samplers.hpp"
#include "workers/bench/tcp_baseline.hpp"
#include "workers/bench/units.hpp"

namespace workers::bench {

namespace {

// Samplers of a site, in the order run_latency builds them; the chains
// follow (chain depth d at first_chain + d - 1).
enum index : size_t {
  caf_blocking_i,
  caf_actor_i,
  send_i,
  op_i,
  get_i,
  move_i,
  async_op_i,
  async_get_i,
  first_chain
};

tensor small_tensor(const plan& p) {
  return tensor::full({static_cast<int64_t>(p.small_elements)}, 1.5,
                      dtype::float32);
}

} // namespace

void run_latency(environment& env, const plan& p, report& out) {
  auto tcp =
    micros(tcp_round_trip_seconds(p.latency_reps, p.tcp_rounds, p.tcp_payload));
  auto tcp_row =
    make_result("baselines", "raw TCP ping-pong " + size_label(p.tcp_payload),
                "cross-process", "us", tcp);
  tcp_row.note = "forked peer process, TCP_NODELAY, mean of " +
                 std::to_string(p.tcp_rounds) + " round trips per sample";
  out.add(tcp_row);
  auto t = small_tensor(p);
  for (auto* s : env.sites()) {
    auto& rt = env.rt();
    auto batch = p.latency_batch;
    std::vector<sampler> samplers{
      // in `index` order
      caf_blocking_sampler(rt, *s, t, batch),
      caf_actor_sampler(rt, *s, t, batch),
      send_sampler(rt, *s, t, batch),
      op_sampler(rt, *s, t, batch),
      get_sampler(rt, *s, t, batch),
      move_sampler(rt, *s, t, batch),
      async_op_sampler(rt, *s, t, batch),
      async_send_get_sampler(rt, *s, t, batch),
    };
    // Deeper chains take proportionally longer: fewer ops per sample.
    for (size_t d = 1; d <= p.max_chain_depth; ++d)
      samplers.push_back(
        chain_sampler(rt, *s, t, d, std::max<size_t>(2, batch / d)));
    auto series = repeat_interleaved(p.latency_reps, samplers);
    samplers.clear(); // drops the operands before the next site
    auto row = [&](const char* section, std::string name, size_t i) {
      return make_result(section, std::move(name), s->where, "us",
                         micros(series[i]));
    };
    auto caf_blocking =
      row("baselines", "CAF request/response, blocking", caf_blocking_i);
    caf_blocking.note =
      "scoped_actor request(...).receive(...) to " +
      std::string{s->where == "in-process" ? "an echo actor"
                                           : "node A's directory (ping)"};
    if (s->where == "cross-process")
      compare(caf_blocking, tcp_row);
    auto caf_actor =
      row("baselines", "CAF request/response, actor to actor", caf_actor_i);
    caf_actor.note = "event-based actor, request(...).then(...), next request "
                     "when the answer arrived";
    out.add(caf_blocking);
    out.add(caf_actor);
    auto blocking_row = [&](std::string name, size_t i) {
      auto r = row("latency", std::move(name), i);
      compare(r, caf_blocking);
      return r;
    };
    out.add(blocking_row("send (put + barrier)", send_i));
    auto op = blocking_row("op x+y kept remote (+ barrier)", op_i);
    if (s->where == "cross-process")
      op.goal = at_most(1.2);
    out.add(op);
    out.add(blocking_row("get", get_i));
    out.add(blocking_row("move bob<->alice (+ barrier)", move_i));
    auto async_op =
      row("latency", "op x+y + async::get, from an actor", async_op_i);
    compare(async_op, caf_actor);
    if (s->where == "in-process")
      async_op.goal = at_most(3);
    out.add(async_op);
    auto async_get =
      row("latency", "send + async::get, from an actor", async_get_i);
    compare(async_get, caf_actor);
    out.add(async_get);
    result depth1;
    for (size_t d = 1; d <= p.max_chain_depth; ++d) {
      auto r = row("latency",
                   "chain depth " + std::to_string(d) + ": op x+y (+ barrier)",
                   first_chain + d - 1);
      if (d == 1) {
        depth1 = r;
        compare(r, caf_blocking);
      } else {
        compare(r, depth1);
        r.goal = at_most(1.1 * static_cast<double>(d));
      }
      out.add(r);
    }
  }
}

} // namespace workers::bench
