#include "workers/bench/result.hpp"

#include <cmath>
#include <cstdio>

namespace workers::bench {

namespace {

std::string bound_text(const char* op, double bound) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%s %gx", op, bound);
  return buf;
}

} // namespace

bool target::met_by(double ratio) const {
  if (std::isnan(ratio))
    return false;
  return direction == kind::at_most ? ratio <= bound : ratio >= bound;
}

target at_most(double bound, std::string text) {
  if (text.empty())
    text = bound_text("<=", bound);
  return target{target::kind::at_most, bound, std::move(text)};
}

target at_least(double bound, std::string text) {
  if (text.empty())
    text = bound_text(">=", bound);
  return target{target::kind::at_least, bound, std::move(text)};
}

std::optional<bool> result::met() const {
  if (!goal)
    return std::nullopt;
  return error.empty() && goal->met_by(ratio);
}

result make_result(std::string section, std::string name, std::string where,
                   std::string unit, const sample_series& s) {
  result r;
  r.section = std::move(section);
  r.name = std::move(name);
  r.where = std::move(where);
  r.unit = std::move(unit);
  r.value = s.summarize();
  r.error = s.error();
  return r;
}

void compare(result& r, std::string name, double value) {
  r.baseline = std::move(name);
  r.baseline_value = value;
  r.ratio = r.value.median / value;
}

void compare(result& r, const result& baseline) {
  auto name = baseline.name;
  if (!baseline.where.empty() && baseline.where != r.where)
    name += " (" + baseline.where + ")";
  compare(r, std::move(name), baseline.value.median);
  if (!baseline.error.empty() && r.error.empty())
    r.error = "baseline failed: " + baseline.error;
}

} // namespace workers::bench
