#include "workers/bench/json_output.hpp"

#include <fstream>
#include <stdexcept>

#include "workers/bench/json_writer.hpp"

namespace workers::bench {

namespace {

void write_row(json_writer& w, const result& x) {
  w.begin_object();
  w.key("name").value(x.name);
  w.key("where").value(x.where);
  w.key("unit").value(x.unit);
  w.key("median").value(x.value.median);
  w.key("min").value(x.value.min);
  w.key("max").value(x.value.max);
  w.key("count").value(static_cast<uint64_t>(x.value.count));
  w.key("baseline").value(x.baseline);
  w.key("baseline_value").value(x.baseline_value);
  w.key("ratio").value(x.ratio);
  w.key("target");
  if (x.goal) {
    w.begin_object();
    w.key("text").value(x.goal->text);
    w.key("kind").value(
      x.goal->direction == target::kind::at_most ? "at_most" : "at_least");
    w.key("bound").value(x.goal->bound);
    w.end_object();
  } else {
    w.null();
  }
  w.key("met").value(x.met());
  w.key("note").value(x.note);
  w.key("error").value(x.error);
  w.end_object();
}

void write_config(json_writer& w, const run_config& c) {
  w.begin_object();
  w.key("scheduler.policy").value(c.scheduler_policy);
  w.key("scheduler.max-threads")
    .value(static_cast<uint64_t>(c.scheduler_max_threads));
  w.key("middleman.workers").value(static_cast<uint64_t>(c.middleman_workers));
  for (auto& [k, v] : c.extra)
    w.key(k).value(v);
  w.key("args").value(c.args);
  w.end_object();
}

void write_machine(json_writer& w, const machine_info& m) {
  w.begin_object();
  w.key("nproc").value(static_cast<uint64_t>(m.nproc));
  w.key("cpu_model").value(m.cpu_model);
  w.key("mem_total_kib").value(m.mem_total_kib);
  w.key("kernel").value(m.kernel);
  w.key("caf_version").value(m.caf_version);
  w.key("date").value(m.date);
  w.end_object();
}

} // namespace

void write_json(const report& r, std::ostream& out) {
  json_writer w{out};
  w.begin_object();
  w.key("schema").value("libworkers-bench/1");
  w.key("meta").begin_object();
  for (auto& [k, v] : r.meta())
    w.key(k).value(v);
  w.end_object();
  w.key("machine");
  write_machine(w, r.machine());
  w.key("config");
  write_config(w, r.config());
  w.key("sections").begin_object();
  for (auto& section : section_names()) {
    w.key(section).begin_array();
    for (auto& x : r.results())
      if (x.section == section)
        write_row(w, x);
    w.end_array();
  }
  w.end_object();
  w.key("tables").begin_array();
  for (auto& t : r.tables()) {
    w.begin_object();
    w.key("title").value(t.title);
    w.key("headers").value(t.headers);
    w.key("rows").begin_array();
    for (auto& row : t.rows)
      w.value(row);
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.key("recommendation").value(r.recommendation());
  w.key("errors").value(r.errors());
  size_t with_goal = 0;
  for (auto& x : r.results())
    if (x.goal)
      ++with_goal;
  w.key("summary").begin_object();
  w.key("rows").value(static_cast<uint64_t>(r.results().size()));
  w.key("targets").value(static_cast<uint64_t>(with_goal));
  w.key("missed").value(static_cast<uint64_t>(r.missed_targets()));
  w.key("failed").value(static_cast<uint64_t>(r.failed_rows()));
  w.end_object();
  w.end_object();
  out << '\n';
}

void write_json_file(const report& r, const std::string& path) {
  std::ofstream out{path};
  if (!out)
    throw std::runtime_error("cannot open " + path + " for writing");
  write_json(r, out);
  out.flush();
  if (!out)
    throw std::runtime_error("cannot write " + path);
}

} // namespace workers::bench
