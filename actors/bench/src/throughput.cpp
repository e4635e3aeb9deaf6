#include "workers/bench/throughput.hpp"

#include "workers/bench/samplers.hpp"
#include "workers/bench/table_output.hpp"
#include "workers/bench/units.hpp"

namespace workers::bench {

void run_throughput(environment& env, const plan& p, report& out) {
  auto t =
    tensor::full({static_cast<int64_t>(p.small_elements)}, 1.5, dtype::float32);
  auto n = p.pipeline_ops;
  auto count = std::to_string(n) + " in flight";
  for (auto* s : env.sites()) {
    auto& rt = env.rt();
    std::vector<sampler> samplers{
      caf_pipelined_sampler(rt, *s, t, n, echo_mode::bounded_request),
      caf_pipelined_sampler(rt, *s, t, n, echo_mode::unbounded_request),
      caf_pipelined_sampler(rt, *s, t, n, echo_mode::send_reply),
      pipelined_kept_sampler(rt, *s, t, n),
      pipelined_chained_sampler(rt, *s, t, n),
    };
    auto series = repeat_interleaved(p.throughput_reps, samplers);
    samplers.clear();
    auto row = [&](const char* section, std::string name, size_t i) {
      auto r = make_result(section, std::move(name), s->where, "ops/s",
                           per_second(series[i]));
      r.note = count;
      return r;
    };
    auto caf = row("baselines", "CAF pipelined requests", 0);
    caf.note = count + ", request(echo, timeout, ...).then(...) from one "
                       "event-based actor, until all answered";
    auto unbounded = row("baselines", "CAF pipelined requests, no timeout", 1);
    unbounded.note = count + ", as above with caf::infinite (no timers)";
    compare(unbounded, caf);
    auto sends = row("baselines", "CAF pipelined sends", 2);
    sends.note = count + ", send(echo, ...), answers as ordinary messages "
                         "(no request ids, no timers)";
    compare(sends, caf);
    out.add(caf);
    out.add(unbounded);
    out.add(sends);
    auto kept = row("throughput", "pipelined x+y (kept), one get", 3);
    auto chained =
      row("throughput", "pipelined acc=acc+1 (dropped), one get", 4);
    for (auto* r : {&kept, &chained}) {
      compare(*r, caf);
      r->goal = at_least(0.7);
      r->note = count + " from the blocking API, then get + barrier; " +
                format_number(r->value.median / sends.value.median) +
                "x the CAF pipelined sends";
      out.add(*r);
    }
  }
}

} // namespace workers::bench
