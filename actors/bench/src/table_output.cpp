#include "workers/bench/table_output.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace workers::bench {

std::string format_number(double x) {
  if (std::isnan(x))
    return "-";
  char buf[32];
  auto a = std::fabs(x);
  if (a >= 100)
    std::snprintf(buf, sizeof(buf), "%.0f", x);
  else if (a >= 10)
    std::snprintf(buf, sizeof(buf), "%.1f", x);
  else if (a >= 1)
    std::snprintf(buf, sizeof(buf), "%.2f", x);
  else
    std::snprintf(buf, sizeof(buf), "%.3g", x);
  return buf;
}

void print_text_table(const text_table& t, std::ostream& out) {
  std::vector<size_t> width(t.headers.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < width.size(); ++i)
      width[i] = std::max(width[i], row[i].size());
  };
  measure(t.headers);
  for (auto& row : t.rows)
    measure(row);
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
      auto pad = std::string(width[i] - row[i].size(), ' ');
      auto left = i < t.align_left.size() ? t.align_left[i] : i == 0;
      line += left ? row[i] + pad : pad + row[i];
      line += "  ";
    }
    while (!line.empty() && line.back() == ' ')
      line.pop_back();
    out << "  " << line << '\n';
  };
  if (!t.title.empty())
    out << t.title << '\n';
  print_row(t.headers);
  for (auto& row : t.rows)
    print_row(row);
}

namespace {

std::string met_text(const result& x) {
  auto m = x.met();
  if (!m)
    return "";
  return *m ? "yes" : "NO";
}

std::string ratio_text(double ratio) {
  return std::isnan(ratio) ? "-" : format_number(ratio) + "x";
}

} // namespace

void print_table(const report& r, std::ostream& out) {
  out << "libworkers benchmark";
  for (auto& [k, v] : r.meta())
    out << "  " << k << "=" << v;
  out << '\n';
  auto& m = r.machine();
  out << "machine: " << m.nproc << " cpus (" << m.cpu_model << "), "
      << m.mem_total_kib / 1024 << " MiB, " << m.kernel << ", CAF "
      << m.caf_version << ", " << m.date << '\n';
  out << "config: " << r.config().brief();
  for (auto& [k, v] : r.config().extra)
    out << ' ' << k << '=' << v;
  out << '\n';
  for (auto& section : section_names()) {
    text_table t;
    t.title = "\n[" + section + "]";
    t.headers = {"measurement", "where", "median", "min", "max",
                 "unit",        "ratio", "target", "met", "baseline"};
    t.align_left = {true, true,  false, false, false,
                    true, false, true,  true,  true};
    std::vector<std::string> notes;
    for (auto& x : r.results()) {
      if (x.section != section)
        continue;
      t.rows.push_back({x.name, x.where, format_number(x.value.median),
                        format_number(x.value.min), format_number(x.value.max),
                        x.unit, ratio_text(x.ratio), x.goal ? x.goal->text : "",
                        met_text(x), x.baseline});
      if (!x.error.empty())
        notes.push_back("FAILED " + x.name + " (" + x.where + "): " + x.error);
      else if (!x.note.empty())
        notes.push_back(x.name + " (" + x.where + "): " + x.note);
    }
    if (t.rows.empty())
      continue;
    print_text_table(t, out);
    for (auto& n : notes)
      out << "    note: " << n << '\n';
  }
  for (auto& t : r.tables()) {
    out << '\n';
    print_text_table(t, out);
  }
  if (!r.recommendation().empty())
    out << "\nrecommendation: " << r.recommendation() << '\n';
  for (auto& e : r.errors())
    out << "ERROR: " << e << '\n';
  size_t with_goal = 0;
  for (auto& x : r.results())
    if (x.goal)
      ++with_goal;
  out << "\nsummary: " << r.results().size() << " rows, " << with_goal
      << " with targets, " << with_goal - r.missed_targets() << " met, "
      << r.missed_targets() << " missed, " << r.failed_rows() << " failed, "
      << r.errors().size() << " errors\n";
}

} // namespace workers::bench
