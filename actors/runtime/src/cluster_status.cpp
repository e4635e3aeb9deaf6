#include "workers/actors/cluster_status.hpp"

#include <iomanip>
#include <sstream>

#include "workers/cluster.hpp"
#include "workers/error.hpp"
#include "workers/limits.hpp"
#include "workers/worker.hpp"

namespace workers {

namespace {

worker_status status_of(runtime& rt, const std::string& entry, size_t tail) {
  worker_status result;
  auto ep = parse_endpoint(entry);
  if (!ep) {
    result.name = entry;
    result.error = ep.error();
    return result;
  }
  result.name = ep->worker;
  result.address = ep->host + ":" + std::to_string(ep->port);
  auto w = rt.connect(ep->worker, ep->host, ep->port);
  if (!w) {
    result.error = w.error();
    return result;
  }
  try {
    result.stats = w->stats();
    auto log = w->audit();
    result.audit_entries = log.size();
    auto first = log.size() > tail ? log.size() - tail : 0;
    result.audit_tail.assign(log.begin() + static_cast<ptrdiff_t>(first),
                             log.end());
  } catch (const operation_error& e) {
    result.error = e.error();
  }
  return result;
}

std::string describe(const audit_entry& e) {
  std::string result = "#" + std::to_string(e.seq) + " " + e.kind + " -> " +
                       e.to + " " + to_string(e.id) + " " +
                       format_bytes(e.bytes);
  if (!e.produced_by.empty())
    result += " of " + e.produced_by;
  if (!e.note.empty())
    result += " (" + e.note + ")";
  return result;
}

} // namespace

std::vector<worker_status> cluster_status(runtime& rt, size_t tail) {
  std::vector<worker_status> result;
  for (auto& entry : rt.options().cluster)
    result.push_back(status_of(rt, entry, tail));
  return result;
}

std::string render_status(const std::vector<worker_status>& rows) {
  std::ostringstream out;
  auto col = [&](const std::string& x, int width) {
    out << std::left << std::setw(width) << x << ' ';
  };
  col("worker", 14);
  col("address", 21);
  col("objects", 8);
  col("stored", 10);
  col("messages", 9);
  col("bytes in", 10);
  col("bytes out", 10);
  out << "audit\n";
  for (auto& r : rows) {
    col(r.name, 14);
    col(r.address, 21);
    if (r.error) {
      out << "unreachable: " << render(r.error) << '\n';
      continue;
    }
    col(std::to_string(r.stats.objects), 8);
    col(format_bytes(r.stats.stored_bytes), 10);
    col(std::to_string(r.stats.messages), 9);
    col(format_bytes(r.stats.tensor_bytes_in), 10);
    col(format_bytes(r.stats.tensor_bytes_out), 10);
    out << r.audit_entries << '\n';
    for (auto& e : r.audit_tail)
      out << "    " << describe(e) << '\n';
  }
  return out.str();
}

} // namespace workers
