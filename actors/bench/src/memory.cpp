#include "workers/bench/memory.hpp"

#include <cstdio>
#include <exception>
#include <map>

#include "workers/bench/subprocess.hpp"
#include "workers/bench/table_output.hpp"
#include "workers/bench/units.hpp"

namespace workers::bench {

namespace {

using key_values = std::map<std::string, double>;

// Runs child `which` `reps` times; one key/value map per run, or the error.
std::vector<key_values> run_child(const child_launch& how, const plan& p,
                                  const std::string& which, size_t reps,
                                  std::string& error) {
  std::vector<std::string> argv{how.executable, "--child=" + which,
                                how.mode_flag,
                                "--node-binary=" + how.node_binary};
  argv.insert(argv.end(), how.caf_args.begin(), how.caf_args.end());
  std::vector<key_values> result;
  try {
    for (size_t i = 0; i < reps; ++i)
      result.push_back(parse_key_values(run_captured(
        argv, std::chrono::duration_cast<std::chrono::milliseconds>(
                p.child_timeout))));
  } catch (const std::exception& e) {
    error = which + " child: " + e.what();
  }
  return result;
}

// The series of `key` over `runs`, in MiB if `kib`; fails if a run lacks it.
sample_series series_of(const std::vector<key_values>& runs,
                        const std::string& key, const std::string& error,
                        bool kib = true) {
  sample_series s;
  for (auto& run : runs) {
    auto i = run.find(key);
    if (i == run.end()) {
      s.fail("child reported no " + key);
      return s;
    }
    s.add(kib ? kib_to_mib(static_cast<uint64_t>(i->second)) : i->second);
  }
  if (!error.empty())
    s.fail(error);
  else if (runs.empty())
    s.fail("no run");
  return s;
}

void peak_rows(const child_launch& how, const plan& p, report& out) {
  std::string error;
  auto runs = run_child(how, p, "peak", p.memory_reps, error);
  auto payload = static_cast<double>(p.peak_bytes) / mib;
  auto label = size_label(p.peak_bytes);
  struct end {
    const char* phase;
    const char* proc;
    const char* role;
  };
  static const end ends[] = {
    {"send", "client", "sender"}, {"send", "bob", "receiver"},
    {"move", "bob", "sender"},    {"move", "alice", "receiver"},
    {"get", "alice", "sender"},   {"get", "client", "receiver"},
  };
  for (auto& e : ends) {
    auto key = std::string{e.phase} + "." + e.proc;
    auto r =
      make_result("memory", std::string{"peak RSS, "} + label + " " + e.phase,
                  std::string{e.proc} + " (" + e.role + ")", "MiB",
                  series_of(runs, key + ".peak_kib", error));
    compare(r, "payload " + label, payload);
    r.goal = at_most(2.5);
    auto before = series_of(runs, key + ".before_kib", error).summarize();
    auto secs = series_of(runs, std::string{e.phase} + ".seconds", error, false)
                  .summarize();
    auto reset =
      series_of(runs, std::string{e.phase} + ".peak_reset", error, false)
        .summarize();
    r.note = "RSS before the phase " + format_number(before.median) +
             " MiB; phase took " + format_number(secs.median) + " s";
    if (reset.min < 1)
      r.note += "; peak NOT reset before the phase (clear_refs refused)";
    out.add(r);
  }
}

void cycle_rows(const child_launch& how, const plan& p, report& out,
                const std::string& which, const std::string& where) {
  std::string error;
  auto runs = run_child(how, p, which, 1, error);
  auto start = make_result("memory",
                           "RSS after " + std::to_string(p.cycles_warmup) +
                             " warm-up cycles",
                           where, "MiB", series_of(runs, "warm_kib", error));
  compare(start, "RSS at start",
          series_of(runs, "start_kib", error).summarize().median);
  start.note = "warm-up fills bounded tables (tombstones); not a target";
  auto end = make_result("memory",
                         "RSS after " + std::to_string(p.cycles) +
                           " create/op/drop cycles",
                         where, "MiB", series_of(runs, "end_kib", error));
  compare(end, start);
  end.goal = at_most(1.05, "< 5% growth");
  auto secs = series_of(runs, "seconds", error, false).summarize().median;
  auto left = series_of(runs, "objects_left", error, false).summarize().median;
  end.note = format_number(static_cast<double>(p.cycles) / secs) +
             " cycles/s; objects left on bob: " + format_number(left);
  if (left > 0 && end.error.empty())
    end.error = "objects leaked: " + format_number(left) + " left on bob";
  out.add(start);
  out.add(end);
}

} // namespace

void run_memory(const child_launch& how, const plan& p, report& out) {
  peak_rows(how, p, out);
  cycle_rows(how, p, out, "cycles-inproc", "in-process");
  cycle_rows(how, p, out, "cycles-node", "node process");
}

} // namespace workers::bench
