#include "workers/audit_file.hpp"

#include <fstream>
#include <sstream>

#include "workers/error.hpp"

namespace workers {

caf::expected<std::vector<audit_record>>
read_audit_file(const std::string& path) {
  auto at = [&](size_t line, const std::string& what) {
    return make_error(errc::bad_argument,
                      path + ":" + std::to_string(line) + ": " + what);
  };
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return at(0, "cannot open the file");
  std::vector<audit_record> result;
  std::string line;
  size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (number == 1) {
      if (line != audit_header)
        return at(1, "not an audit file (no '#workers-audit 1' header)");
      continue;
    }
    if (in.eof())
      return at(number, "incomplete last line (no newline)");
    auto rec = parse_audit_line(line);
    if (!rec)
      return at(number, message_of(rec.error()));
    result.push_back(std::move(*rec));
  }
  if (number == 0)
    return at(1, "empty file (no header)");
  return result;
}

caf::expected<std::vector<audit_record>>
read_audit_files(const std::vector<std::string>& paths) {
  std::vector<audit_record> result;
  for (auto& path : paths) {
    auto recs = read_audit_file(path);
    if (!recs)
      return std::move(recs.error());
    result.insert(result.end(), recs->begin(), recs->end());
  }
  return result;
}

bool is_receipt(const std::string& kind) {
  return kind == "get" || kind == "move" || kind == "list";
}

bool is_refusal(const std::string& kind) {
  return kind.compare(0, 8, "refused ") == 0;
}

bool is_aggregate_producer(const std::string& produced_by) {
  return produced_by == "sum" || produced_by == "mean" ||
         (produced_by.size() > 5 && produced_by.compare(0, 5, "plan ") == 0);
}

bool is_aggregate_release(const std::string& note) {
  return note.rfind("released: aggregate", 0) == 0 ||
         note == "released: computed from released values only";
}

std::vector<audit_record> filter_records(const std::vector<audit_record>& xs,
                                         const audit_filter& f) {
  std::vector<audit_record> result;
  for (auto& x : xs)
    if ((f.to.empty() || x.to == f.to) && (f.kind.empty() || x.kind == f.kind))
      result.push_back(x);
  return result;
}

std::map<std::string, principal_summary>
summarize_records(const std::vector<audit_record>& xs) {
  std::map<std::string, principal_summary> result;
  for (auto& x : xs) {
    auto& s = result[x.to];
    ++s.kinds[x.kind];
    if (is_receipt(x.kind)) {
      ++s.received;
      s.bytes += x.bytes;
    } else if (is_refusal(x.kind)) {
      ++s.refusals;
    }
  }
  return result;
}

std::string to_string(const std::map<std::string, principal_summary>& x) {
  std::ostringstream out;
  for (auto& [who, s] : x) {
    out << escape_audit_field(who) << ": " << s.received << " received, "
        << s.bytes << " B (";
    auto first = true;
    for (auto& [kind, n] : s.kinds) {
      out << (first ? "" : ", ") << escape_audit_field(kind) << ' ' << n;
      first = false;
    }
    out << "), " << s.refusals << " refused\n";
  }
  return out.str();
}

std::vector<audit_record>
aggregate_violations(const std::vector<audit_record>& xs,
                     const std::string& principal) {
  std::vector<audit_record> result;
  for (auto& x : xs)
    if (x.to == principal && is_receipt(x.kind) &&
        !is_aggregate_producer(x.produced_by) && !is_aggregate_release(x.note))
      result.push_back(x);
  return result;
}

} // namespace workers
