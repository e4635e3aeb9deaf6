#include "workers/protocol.hpp"

#include <ostream>
#include <unordered_map>

#include "workers/error.hpp"
#include "workers/limits.hpp"

namespace workers {

bool same_worker(const worker_ref& x, const worker_ref& y) {
  return x.hdl == y.hdl;
}

std::vector<std::pair<worker_ref, std::vector<lease_claim>>>
group_by_worker(std::vector<std::pair<worker_ref, lease_claim>> claims) {
  std::vector<std::pair<worker_ref, std::vector<lease_claim>>> result;
  std::unordered_map<caf::actor_addr, size_t> index;
  for (auto& [where, claim] : claims) {
    auto [i, added] = index.emplace(where.hdl.address(), result.size());
    if (added)
      result.emplace_back(std::move(where), std::vector<lease_claim>{});
    result[i->second].second.push_back(claim);
  }
  return result;
}

caf::error validate(const blob_ref& b) {
  auto what = "large tensor " + to_string(b.blob) + " from " + b.source_name;
  if (auto err = check_tensor_size(what, b.dt, b.dims, unlimited_tensor_bytes))
    return err;
  uint64_t expected = 0;
  if (__builtin_mul_overflow(static_cast<uint64_t>(b.dims.numel()),
                             size_of(b.dt), &expected) ||
      expected != b.nbytes)
    return make_error(errc::bad_argument,
                      what + ": " + to_string(b.dt) + " " + to_string(b.dims) +
                        " does not take " + std::to_string(b.nbytes) +
                        " bytes");
  return caf::none;
}

bool operator==(const stored_value& x, const stored_value& y) {
  if (x.is_tensor() && y.is_tensor())
    return x.as_tensor().equal(y.as_tensor());
  if (x.is_pointer() && y.is_pointer())
    return same_worker(x.as_pointer().where, y.as_pointer().where) &&
           x.as_pointer().id == y.as_pointer().id;
  return false;
}

std::string pointer_string(const std::string& owner, object_id id,
                           const remote_ref& target) {
  std::string result = "[PointerTensor | ";
  result += owner;
  result += ':';
  result += to_string(id);
  result += " -> ";
  result += target.where.name;
  result += ':';
  result += to_string(target.id);
  result += ']';
  return result;
}

std::string to_string(const stored_value& x, const std::string& owner,
                      object_id id) {
  if (x.is_tensor())
    return to_string(x.as_tensor());
  return pointer_string(owner, id, x.as_pointer());
}

std::string to_string(const store_listing& x) {
  std::vector<std::string> items;
  size_t total = 2;
  for (auto& [id, value] : x.entries) {
    items.push_back(to_string(id) + ": " + to_string(value, x.worker, id));
    total += items.back().size() + 2;
  }
  for (auto& [id, why] : x.hidden) {
    items.push_back(to_string(id) + ": <hidden: " + why + ">");
    total += items.back().size() + 2;
  }
  // Like Python's pprint: one line if it fits in 80 columns, else one entry
  // per line, continuation lines indented by one space.
  bool wrap = total > 80 && items.size() > 1;
  std::string result = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0)
      result += wrap ? ",\n " : ", ";
    result += items[i];
  }
  result += '}';
  return result;
}

std::ostream& operator<<(std::ostream& out, const store_listing& x) {
  return out << to_string(x);
}

std::string describe(const op_request& req) {
  std::string result =
    req.in_place ? in_place_name(req.op) : std::string{to_string(req.op)};
  result += '(';
  for (size_t i = 0; i < req.args.size(); ++i) {
    if (i > 0)
      result += ", ";
    if (auto id = caf::get_if<object_id>(&req.args[i].content))
      result += to_string(*id);
    else
      result += "literal " + to_string(caf::get<tensor>(req.args[i].content));
  }
  result += ')';
  if (!req.in_place) {
    result += " -> ";
    result += to_string(req.result);
  }
  return result;
}

} // namespace workers
