#include "workers/fl/audit_summary.hpp"

#include <sstream>
#include <tuple>

namespace workers {

std::map<std::string, uint64_t>
audit_marks(const std::vector<worker>& parties) {
  std::map<std::string, uint64_t> result;
  for (auto& w : parties) {
    auto log = w.audit();
    result[w.name()] = log.empty() ? 0 : log.back().seq;
  }
  return result;
}

received_summary received_since(const std::vector<worker>& parties,
                                const std::map<std::string, uint64_t>& marks) {
  using key = std::tuple<std::string, std::string, std::string, std::string>;
  std::map<key, received_item> items;
  for (auto& w : parties) {
    auto mark = marks.count(w.name()) > 0 ? marks.at(w.name()) : 0;
    for (auto& e : w.audit()) {
      if (e.seq <= mark)
        continue;
      auto& item = items[key{e.to, w.name(), e.kind, e.produced_by}];
      item.from = w.name();
      item.kind = e.kind;
      item.produced_by = e.produced_by;
      ++item.count;
      item.bytes += e.bytes;
      item.largest = std::max(item.largest, e.bytes);
    }
  }
  received_summary result;
  for (auto& [k, item] : items)
    result[std::get<0>(k)].push_back(item);
  return result;
}

std::string to_string(const received_summary& x) {
  std::ostringstream out;
  for (auto& [to, items] : x)
    for (auto& i : items)
      out << to << " <- " << i.from << ": " << i.count << " x " << i.kind
          << " of " << i.produced_by << " (" << i.bytes << " B, largest "
          << i.largest << " B)\n";
  return out.str();
}

} // namespace workers
