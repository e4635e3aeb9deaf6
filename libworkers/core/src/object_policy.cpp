#include "workers/object_policy.hpp"

#include <algorithm>

namespace workers {

const char* to_string(right x) {
  switch (x) {
  case right::take:
    return "take";
  case right::move:
    return "move";
  case right::see:
    return "see";
  case right::compute:
    return "compute";
  case right::search:
    return "search";
  }
  return "unknown";
}

std::vector<std::string>& object_policy::grants(right x) {
  switch (x) {
  case right::take:
    return may_take;
  case right::move:
    return may_move;
  case right::see:
    return may_see;
  case right::compute:
    return may_compute;
  default:
    return may_search;
  }
}

const std::vector<std::string>& object_policy::grants(right x) const {
  return const_cast<object_policy*>(this)->grants(x);
}

bool operator==(const object_policy& x, const object_policy& y) {
  return x.owner == y.owner && x.raw == y.raw && x.sources == y.sources &&
         x.released == y.released && x.may_take == y.may_take &&
         x.may_move == y.may_move && x.may_see == y.may_see &&
         x.may_compute == y.may_compute && x.may_search == y.may_search;
}

object_policy owned_by(std::string principal) {
  object_policy result;
  result.owner = std::move(principal);
  return result;
}

object_policy private_data(std::string worker) {
  auto result = owned_by(std::move(worker));
  result.raw = true;
  result.may_compute = {anyone};
  result.may_search = {anyone};
  return result;
}

std::string source_name(const std::string& worker, object_id id) {
  return worker + ":" + to_string(id);
}

namespace {

// Adds `name` to `sources` unless present; past max_sources, counts it in
// a trailing "... and N more" entry instead.
void add_source(std::vector<std::string>& sources, const std::string& name) {
  if (std::find(sources.begin(), sources.end(), name) != sources.end())
    return;
  constexpr const char* more = "... and ";
  if (sources.size() < max_sources) {
    sources.push_back(name);
    return;
  }
  auto& last = sources.back();
  uint64_t n = 1;
  if (last.rfind(more, 0) == 0)
    n += std::stoull(last.substr(std::char_traits<char>::length(more)));
  else
    sources.emplace_back();
  sources.back() = more + std::to_string(n) + " more";
}

} // namespace

object_policy derive(std::string owner,
                     const std::vector<const object_policy*>& inputs,
                     const std::vector<std::string>& input_names,
                     std::string rule) {
  auto result = owned_by(std::move(owner));
  bool all_released = true;
  for (size_t k = 0; k < inputs.size(); ++k) {
    auto in = inputs[k];
    if (in == nullptr)
      continue;
    if (in->raw)
      add_source(result.sources, input_names[k]);
    for (auto& s : in->sources)
      add_source(result.sources, s);
    if (in->guarded())
      all_released = false;
  }
  if (result.sources.empty())
    return result;
  if (!rule.empty())
    result.released = std::move(rule);
  else if (all_released)
    result.released = "computed from released values only";
  return result;
}

} // namespace workers
