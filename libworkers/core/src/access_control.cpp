#include "workers/access_control.hpp"

#include <algorithm>
#include <cstring>

#include "workers/error.hpp"

namespace workers {

bool access_config::is_admin(const std::string& name) const {
  return admins.count(name) > 0 || admins.count(anyone) > 0;
}

namespace {

bool listed(const std::vector<std::string>& names, const std::string& name) {
  return std::find_if(names.begin(), names.end(), [&](const std::string& x) {
           return x == name || x == anyone;
         }) != names.end();
}

} // namespace

bool data_of(const std::string& here, const object_policy& policy) {
  if (policy.raw)
    return policy.owner == here;
  if (policy.sources.empty())
    return false;
  auto prefix = here + ":";
  return std::all_of(
    policy.sources.begin(), policy.sources.end(),
    [&](const std::string& s) { return s.rfind(prefix, 0) == 0; });
}

object_policy computed_by(object_policy derived, const requester& who,
                          const std::string& here) {
  if (derived.guarded() && who.admin && data_of(here, derived))
    derived.released = "computed by " + who.name + ", an admin of " + here;
  return derived;
}

namespace {

bool reveals_values(right r) {
  return r == right::take || r == right::move || r == right::see;
}

std::string joined(const std::vector<std::string>& names) {
  std::string result;
  for (auto& n : names) {
    if (!result.empty())
      result += ", ";
    result += n;
  }
  return result.empty() ? "nobody" : result;
}

// The rule that refused `r` to `who`, for the error message (A3).
std::string refusal_rule(const object_policy& policy, right r) {
  if (reveals_values(r) && !policy.raw && policy.guarded())
    return "computed from private data (" + joined(policy.sources) +
           ") and not released (rule: derived results leave only as an "
           "aggregate, the output of an approved plan, or with the data "
           "owner's permission)";
  if (reveals_values(r) && policy.raw)
    return "private data of " + policy.owner +
           " (rule: its values never leave raw; " + to_string(r) +
           " granted to " + joined(policy.grants(r)) + ")";
  return "it belongs to " + policy.owner + " (rule: owner only; " +
         to_string(r) + " granted to " + joined(policy.grants(r)) + ")";
}

} // namespace

bool allows(const access_config& cfg, const std::string& here,
            const requester& who, const object_policy& policy, right r) {
  if (!cfg.enforce || who.local || policy.owner.empty())
    return true;
  if (who.admin && data_of(here, policy))
    return true;
  auto granted = listed(policy.grants(r), who.name);
  if (reveals_values(r) && policy.guarded())
    return granted || (policy.raw && who.name == policy.owner) ||
           (!policy.raw && cfg.release_to.count(who.name) > 0 &&
            data_of(here, policy));
  return granted || who.name == policy.owner;
}

bool allows_move(const access_config& cfg, const std::string& here,
                 const requester& who, const object_policy& policy,
                 bool to_enforcer) {
  if (allows(cfg, here, who, policy, right::move))
    return true;
  return to_enforcer && !policy.raw && who.name == policy.owner;
}

caf::error check(const access_config& cfg, const std::string& here,
                 const requester& who, const object_policy& policy, right r,
                 const std::string& operation, object_id id) {
  if (allows(cfg, here, who, policy, r))
    return caf::error{};
  static constexpr const char* verbs[] = {"take", "move", "see", "compute on",
                                          "find"};
  return make_error(errc::not_permitted,
                    who.name + " may not " + verbs[static_cast<size_t>(r)] +
                      " object " + to_string(id) + " on " + here + " (" +
                      operation + "): " + refusal_rule(policy, r));
}

caf::error check_move(const access_config& cfg, const std::string& here,
                      const requester& who, const object_policy& policy,
                      bool to_enforcer, const std::string& operation,
                      object_id id) {
  if (allows_move(cfg, here, who, policy, to_enforcer))
    return caf::error{};
  return check(cfg, here, who, policy, right::move, operation, id);
}

caf::error check_owner(const access_config& cfg, const std::string& here,
                       const requester& who, const object_policy& policy,
                       const std::string& operation, object_id id) {
  if (!cfg.enforce || who.local || policy.owner.empty() ||
      who.name == policy.owner || (who.admin && data_of(here, policy)))
    return caf::error{};
  return make_error(errc::not_permitted,
                    who.name + " may not " + operation + " object " +
                      to_string(id) + " on " + here + ": it belongs to " +
                      policy.owner + " (rule: only the owner may)");
}

object_policy admit_policy(object_policy claimed, const requester& who,
                           const std::string& here) {
  if (who.trusted && !claimed.owner.empty())
    return claimed;
  if (who.admin && claimed.owner == here) {
    claimed.sources.clear();
    claimed.released.clear();
    return claimed;
  }
  claimed.owner = who.name;
  claimed.sources.clear();
  claimed.released.clear();
  return claimed;
}

caf::error admin_only(const std::string& here, const requester& who,
                      const std::string& operation) {
  return make_error(errc::not_permitted,
                    who.name + " may not " + operation + " on " + here +
                      ": only its admins may (policy.admins)");
}

std::string aggregate_rule(const access_config& cfg, const char* op,
                           uint64_t rows) {
  if (cfg.aggregate_min_rows == 0 || rows < cfg.aggregate_min_rows)
    return {};
  if (std::strcmp(op, "sum") != 0 && std::strcmp(op, "mean") != 0)
    return {};
  return std::string{"aggregate ("} + op + ") over " + std::to_string(rows) +
         " rows, at least policy.aggregate-min-rows = " +
         std::to_string(cfg.aggregate_min_rows);
}

std::vector<std::string> data_owners(const object_policy& policy) {
  std::vector<std::string> result;
  for (auto& s : policy.sources) {
    // "worker:id"; the "... and N more" entry of a capped list has no ':'.
    auto colon = s.find(':');
    if (colon != std::string::npos)
      result.push_back(s.substr(0, colon));
  }
  if (policy.raw)
    result.push_back(policy.owner);
  std::sort(result.begin(), result.end());
  result.erase(std::unique(result.begin(), result.end()), result.end());
  return result;
}

std::string
combination_rule(const access_config& cfg,
                 const std::vector<const object_policy*>& policies) {
  if (cfg.aggregate_min_owners == 0 || policies.size() < 2)
    return {};
  std::vector<std::string> all;
  for (auto p : policies) {
    if (p == nullptr || p->raw || !p->guarded())
      return {};
    auto owners = data_owners(*p);
    if (owners.empty())
      return {};
    for (auto& o : owners) {
      if (std::find(all.begin(), all.end(), o) != all.end())
        return {}; // one owner behind two operands: not independent
      all.push_back(o);
    }
  }
  if (all.size() < cfg.aggregate_min_owners)
    return {};
  std::sort(all.begin(), all.end());
  return "aggregate (add) of the data of " + std::to_string(all.size()) +
         " owners (" + joined(all) +
         "), at least policy.aggregate-min-owners = " +
         std::to_string(cfg.aggregate_min_owners);
}

} // namespace workers
