#include "workers/object_store.hpp"

#include <algorithm>

#include "workers/error.hpp"
#include "workers/remote_autograd.hpp"

namespace workers {

const char* to_string(gone_reason x) {
  switch (x) {
  case gone_reason::taken:
    return "taken by get()";
  case gone_reason::moved:
    return "moved";
  case gone_reason::released:
    return "deleted (its last reference was released)";
  case gone_reason::cleared:
    return "deleted by clear()";
  default:
    return "never created (its operation failed)";
  }
}

object_store::object_store(std::string owner)
  : object_store(std::move(owner), limits{}) {
  // nop
}

object_store::object_store(std::string owner, limits lim, access_config access)
  : owner_(std::move(owner)), limits_(lim), access_(std::move(access)) {
  // nop
}

// -- queries ------------------------------------------------------------------

object_store::presence object_store::status(object_id id) const {
  if (entries_.count(id) > 0)
    return presence::here;
  if (tombstones_.count(id) > 0)
    return presence::gone;
  return presence::unknown;
}

const stored_value* object_store::find(object_id id) const {
  auto i = entries_.find(id);
  return i != entries_.end() ? &i->second.value : nullptr;
}

bool object_store::holds(object_id id, object_id holder) const {
  auto i = entries_.find(id);
  if (i == entries_.end())
    return false;
  return find_holder(i->second.holders, holder) != i->second.holders.end();
}

size_t object_store::pins(object_id id) const {
  auto i = pin_counts_.find(id);
  return i != pin_counts_.end() ? i->second : 0;
}

object_store::bookkeeping object_store::overhead() const {
  bookkeeping result;
  result.pinning_requests = pins_by_key_.size();
  result.tombstones = tombstones_.size();
  for (auto& kvp : early_retains_)
    result.early_records += kvp.second.size();
  for (auto& kvp : early_releases_)
    result.early_records += kvp.second.size();
  result.expectations = expected_.size();
  return result;
}

store_listing object_store::listing() const {
  std::vector<const std::pair<const object_id, entry>*> sorted;
  sorted.reserve(entries_.size());
  for (auto& kvp : entries_)
    sorted.push_back(&kvp);
  std::sort(sorted.begin(), sorted.end(),
            [](auto* x, auto* y) { return x->second.order < y->second.order; });
  store_listing result;
  result.worker = owner_;
  for (auto* kvp : sorted)
    result.entries.emplace_back(kvp->first, without_graph(kvp->second.value));
  return result;
}

namespace {

// Why `who` may not see a value with `policy`, for a hidden listing entry.
std::string hidden_reason(const object_policy& policy) {
  if (policy.raw)
    return "private data of " + policy.owner;
  if (policy.guarded())
    return "computed from private data, not released";
  return "belongs to " + policy.owner;
}

// "float32 [2, 3]" for a tensor, "pointer" for a pointer entry.
std::string describe_value(const stored_value& v) {
  if (!v.is_tensor())
    return "pointer";
  auto& t = v.as_tensor();
  return std::string{to_string(t.dtype())} + " " + to_string(t.shape());
}

} // namespace

store_listing object_store::listing(const requester& who) const {
  auto all = listing();
  store_listing result;
  result.worker = std::move(all.worker);
  for (auto& [id, value] : all.entries) {
    if (allows(access_, owner_, who, value.policy, right::see))
      result.entries.emplace_back(id, std::move(value));
    else
      result.hidden.emplace_back(id, describe_value(value) + ", " +
                                       hidden_reason(value.policy));
  }
  return result;
}

const object_policy* object_store::policy_of(object_id id) const {
  auto i = entries_.find(id);
  return i != entries_.end() ? &i->second.value.policy : nullptr;
}

caf::error object_store::permits(object_id id, const requester& who, right r,
                                 const std::string& operation) const {
  auto policy = policy_of(id);
  if (policy == nullptr)
    return caf::none;
  return check(access_, owner_, who, *policy, r, operation, id);
}

uint64_t object_store::stored_bytes() const {
  uint64_t result = 0;
  for (auto& [id, e] : entries_)
    if (e.value.is_tensor())
      result += e.value.as_tensor().nbytes();
  return result;
}

caf::error object_store::permits_move(object_id id, const requester& who,
                                      bool to_enforcer,
                                      const std::string& operation) const {
  auto i = entries_.find(id);
  if (i == entries_.end())
    return caf::none;
  auto& e = i->second;
  if (auto err = check_move(access_, owner_, who, e.value.policy, to_enforcer,
                            operation, id))
    return err;
  // A leaf's gradient moves with it (G5): under its own policy (G3).
  if (e.grad_policy && moving_leaf(e.value, e.grad_policy).has_grad())
    return check_move(access_, owner_, who, *e.grad_policy, to_enforcer,
                      operation + " (with its gradient)", id);
  return caf::none;
}

caf::error object_store::permit(const grant& g, const requester& who) {
  auto i = entries_.find(g.id);
  if (i == entries_.end())
    return status(g.id) == presence::gone ? gone_error(g.id)
                                          : unknown_error(g.id);
  auto& policy = i->second.value.policy;
  auto reveals =
    g.what == right::take || g.what == right::move || g.what == right::see;
  // Admins grant on the worker's data (A2); owners on what is theirs and
  // not private.
  auto as_admin = who.admin && allows(access_, owner_, who, policy, g.what) &&
                  (policy.raw || !policy.sources.empty());
  auto as_owner = who.name == policy.owner && !policy.guarded();
  if (access_.enforce && !who.local && !policy.owner.empty() && !as_admin &&
      !as_owner)
    return make_error(errc::not_permitted,
                      who.name + " may not grant " + to_string(g.what) +
                        " on " + to_string(g.id) + " on " + owner_ +
                        ": only its owner (" + policy.owner +
                        ") may, or an admin of " + owner_ +
                        " for its data (policy.admins)");
  auto& list = policy.grants(g.what);
  if (std::find(list.begin(), list.end(), g.principal) == list.end())
    list.push_back(g.principal);
  if (as_admin && reveals && !policy.raw && policy.released.empty())
    policy.released = "released by " + who.name + " (admin of " + owner_ +
                      ") to " + g.principal;
  return caf::none;
}

std::string object_store::produced_by(object_id id) const {
  auto i = entries_.find(id);
  return i != entries_.end() ? i->second.produced_by : std::string{};
}

std::vector<std::string> object_store::tags(object_id id) const {
  auto i = entries_.find(id);
  return i != entries_.end() ? i->second.tags : std::vector<std::string>{};
}

std::vector<object_id>
object_store::search(const std::vector<std::string>& query) const {
  std::vector<std::pair<uint64_t, object_id>> hits;
  for (auto& [id, e] : entries_) {
    if (e.tags.empty())
      continue;
    // Captures the tags, not the binding `e`: clang 14 (C++17) rejects
    // lambdas that capture structured bindings.
    auto& tags = e.tags;
    auto has = [&tags](const std::string& t) {
      return std::find(tags.begin(), tags.end(), t) != tags.end();
    };
    if (std::all_of(query.begin(), query.end(), has))
      hits.emplace_back(e.order, id);
  }
  std::sort(hits.begin(), hits.end());
  std::vector<object_id> result;
  for (auto& h : hits)
    result.push_back(h.second);
  return result;
}

std::vector<object_id>
object_store::search(const std::vector<std::string>& query,
                     const requester& who) const {
  auto hits = search(query);
  hits.erase(std::remove_if(hits.begin(), hits.end(),
                            [&](object_id id) {
                              return !allows(access_, owner_, who,
                                             *policy_of(id), right::search);
                            }),
             hits.end());
  return hits;
}

caf::error object_store::keep(object_id id, object_id holder) {
  auto i = entries_.find(id);
  if (i == entries_.end())
    return status(id) == presence::gone ? gone_error(id) : unknown_error(id);
  auto j = find_holder(i->second.holders, holder);
  if (j == i->second.holders.end())
    return make_error(errc::no_such_object, "keep: " + to_string(holder) +
                                              " holds no reference to " +
                                              to_string(id) + " on " + owner_);
  j->own = true;
  return caf::none;
}

std::vector<object_id> object_store::search(object_id id,
                                            const requester& who) const {
  auto policy = policy_of(id);
  if (policy == nullptr ||
      !allows(access_, owner_, who, *policy, right::search))
    return {};
  return {id};
}

caf::error object_store::tag(object_id id,
                             const std::vector<std::string>& tags) {
  auto i = entries_.find(id);
  if (i == entries_.end())
    return status(id) == presence::gone ? gone_error(id) : unknown_error(id);
  auto& mine = i->second.tags;
  for (auto& t : tags)
    if (std::find(mine.begin(), mine.end(), t) == mine.end())
      mine.push_back(t);
  return caf::none;
}

exec_outcome object_store::run(const plan& p, const plan_run& r, outbox& out,
                               const requester& who, std::string release_rule) {
  exec_outcome result;
  auto fail_all = [&](caf::error err) {
    fail_results(r.outputs, r.holders, err, out);
    result.what = exec_outcome::kind::failed;
    result.error = std::move(err);
    return result;
  };
  auto where = "plan \"" + p.name + "\" on " + owner_;
  if (r.outputs.size() != p.outputs.size() ||
      r.holders.size() != r.outputs.size())
    return fail_all(make_error(
      errc::bad_argument, where + " has " + std::to_string(p.outputs.size()) +
                            " outputs, the call names " +
                            std::to_string(r.outputs.size())));
  std::vector<tensor> inputs;
  std::vector<const object_policy*> policies;
  std::vector<std::string> names;
  for (auto id : r.inputs) {
    switch (status(id)) {
    case presence::gone:
      return fail_all(gone_error(id));
    case presence::unknown:
      result.what = exec_outcome::kind::missing;
      result.missing = id;
      return result;
    default:
      break;
    }
    auto& v = entries_.find(id)->second.value;
    if (!v.is_tensor())
      return fail_all(make_error(errc::location_mismatch,
                                 where + ": input " + to_string(id) +
                                   " points to " + v.as_pointer().where.name +
                                   "; plans run where their inputs are"));
    // allows() first: the message is built for refusals only.
    if (!allows(access_, owner_, who, v.policy, right::compute))
      return fail_all(check(access_, owner_, who, v.policy, right::compute,
                            "plan \"" + p.name + "\"", id));
    inputs.push_back(v.as_tensor());
    policies.push_back(&v.policy);
    // Only raw operands are named in provenance (derive): no formatting
    // on the path of every operation on public data.
    names.push_back(v.policy.raw ? source_name(owner_, id) : std::string{});
  }
  // P5: writing an input needs what an in-place exec needs (I2), checked
  // for each before any step runs; one object is written once.
  auto finals = final_versions(p);
  for (uint32_t i = 0; i < finals.size(); ++i) {
    if (finals[i] == i)
      continue;
    auto id = r.inputs[i];
    if (auto err =
          check_owner(access_, owner_, who, *policies[i],
                      "update in place, as input " + std::to_string(i) +
                        " of plan \"" + p.name + "\",",
                      id))
      return fail_all(std::move(err));
    for (uint32_t j = 0; j < i; ++j)
      if (finals[j] != j && r.inputs[j] == id)
        return fail_all(make_error(errc::bad_argument,
                                   where + ": inputs " + std::to_string(j) +
                                     " and " + std::to_string(i) +
                                     " are both written in place and name one "
                                     "object, " +
                                     to_string(id)));
  }
  // All or nothing (P2): refuse taken output ids before storing any.
  for (auto id : r.outputs)
    if (status(id) != presence::unknown)
      return fail_all(make_error(errc::duplicate_id, where + ": output id " +
                                                       to_string(id) +
                                                       " is already in use"));
  // Provenance through the plan (P2): unless an approved plan releases
  // every output, each step's result is derived from its operands like an
  // operation's, aggregate rules included, so a plan's loss (a mean over
  // its batch) may leave while its parameters stay.
  auto guarded =
    std::any_of(policies.begin(), policies.end(), [](const object_policy* x) {
      return x->guarded() || !x->sources.empty();
    });
  std::vector<object_policy> slots;
  plan_observer follow;
  if (guarded && release_rule.empty()) {
    for (auto x : policies)
      slots.push_back(*x);
    slots.resize(p.inputs + p.steps.size());
    follow = [&](size_t k, const std::vector<op_input>& args) {
      std::vector<const object_policy*> ps;
      std::vector<std::string> ns;
      for (auto& a : p.steps[k].args) {
        ps.push_back(a.is_literal ? nullptr : &slots[a.slot]);
        ns.push_back(!a.is_literal && a.slot < p.inputs ? names[a.slot]
                                                        : std::string{});
      }
      auto rule = aggregate_release(p.steps[k].op, p.steps[k].attrs, args, ps);
      slots[p.inputs + k] = derive(who.name, ps, ns, std::move(rule));
    };
  }
  auto values =
    run_plan_values(p, std::move(inputs), limits_.max_tensor_bytes, follow);
  if (!values)
    return fail_all(with_context(values.error(), "on " + owner_));
  // Every policy first: `policies` point into the entries written below.
  std::vector<object_policy> written_policies;
  for (auto& w : values->written) // never released by the plan's rule
    written_policies.push_back(computed_by(
      follow ? slots[finals[w.first]] : derive(who.name, policies, names), who,
      owner_));
  auto whole = computed_by(
    derive(who.name, policies, names, std::move(release_rule)), who, owner_);
  std::vector<object_policy> output_policies;
  for (auto slot : p.outputs)
    output_policies.push_back(
      !follow ? whole
              : computed_by(slot < p.inputs
                              ? derive(who.name, {&slots[slot]}, {names[slot]})
                              : slots[slot],
                            who, owner_));
  for (size_t k = 0; k < values->written.size(); ++k) { // P4, P5
    auto& [i, value] = values->written[k];
    write_back(r.inputs[i], std::move(value), std::move(written_policies[k]),
               "plan " + p.name + " (in place)");
  }
  for (size_t k = 0; k < r.outputs.size(); ++k)
    insert(r.outputs[k],
           stored_value{std::move(values->outputs[k]),
                        std::move(output_policies[k])},
           r.holders[k], out, "plan " + p.name);
  return result;
}

caf::error object_store::gone_error(object_id id) const {
  auto i = tombstones_.find(id);
  if (i == tombstones_.end())
    return unknown_error(id);
  auto& t = i->second;
  if (t.reason == gone_reason::failed && t.error)
    return t.error;
  return make_error(errc::object_gone, "object " + to_string(id) + " on " +
                                         owner_ + " was " +
                                         to_string(t.reason));
}

caf::error object_store::unknown_error(object_id id) const {
  return make_error(errc::no_such_object,
                    "no object " + to_string(id) + " on " + owner_);
}

caf::error object_store::admit(const char* how, object_id id, dtype dt,
                               const shape& s) const {
  return check_tensor_size(std::string{how} + " of " + to_string(id) + " on " +
                             owner_,
                           dt, s, limits_.max_tensor_bytes);
}

caf::error object_store::not_holder_error(object_id id,
                                          object_id holder) const {
  return make_error(errc::not_a_holder, "pointer " + to_string(holder) +
                                          " holds no reference to object " +
                                          to_string(id) + " on " + owner_);
}

// -- object lifecycle ---------------------------------------------------------

caf::error object_store::insert(object_id id, stored_value value,
                                object_id holder, outbox& out,
                                std::string produced_by) {
  if (!id.valid() || !holder.valid())
    return make_error(errc::bad_argument, "invalid object id " + to_string(id) +
                                            " or holder " + to_string(holder) +
                                            " sent to " + owner_);
  if (status(id) != presence::unknown)
    return make_error(errc::duplicate_id, "object id " + to_string(id) +
                                            " is already in use on " + owner_);
  if (value.is_tensor()) {
    auto& t = value.as_tensor();
    if (auto err = admit(produced_by.c_str(), id, t.dtype(), t.shape())) {
      fail(id, holder, err, out);
      return err;
    }
  }
  std::optional<object_policy> grad_policy;
  if (value.leaf.requires_grad) { // a moved leaf (G5, LS5)
    auto adopted =
      adopt_leaf(value, produced_by + " of " + to_string(id) + " on " + owner_);
    if (!adopted) {
      fail(id, holder, adopted.error(), out);
      return std::move(adopted.error());
    }
    grad_policy = std::move(*adopted);
  }
  forget_expectation(id);
  auto [i, added] = entries_.emplace(id, entry{std::move(value),
                                               {},
                                               next_order_++,
                                               std::move(produced_by),
                                               {},
                                               std::move(grad_policy)});
  static_cast<void>(added);
  auto& holders = i->second.holders;
  add_holder(id, holders, holder);
  if (auto j = early_retains_.find(id); j != early_retains_.end()) {
    auto pending = std::move(j->second);
    early_retains_.erase(j);
    for (auto& e : pending)
      add_holder(id, holders, e.holder);
  }
  erase_if_unreferenced(i, {gone_reason::released, {}, {}}, out);
  return {};
}

caf::error object_store::insert_own(object_id id, stored_value value,
                                    object_id holder, outbox& out,
                                    std::string produced_by) {
  // The worker's own data is private unless its loader said otherwise.
  if (value.policy.owner.empty())
    value.policy = private_data(owner_);
  if (auto err =
        insert(id, std::move(value), holder, out, std::move(produced_by)))
    return err;
  if (auto i = entries_.find(id); i != entries_.end())
    if (auto j = find_holder(i->second.holders, holder);
        j != i->second.holders.end())
      j->own = true;
  return caf::none;
}

void object_store::retain(object_id id, object_id holder, time_point now) {
  if (auto i = entries_.find(id); i != entries_.end()) {
    add_holder(id, i->second.holders, holder);
    return;
  }
  if (auto i = tombstones_.find(id); i != tombstones_.end()) {
    // A reference to a failed or cleared object passed on (R2, T1).
    add_holder(id, i->second.holders, holder);
    return;
  }
  if (!cancel_early(early_releases_, id, holder))
    early_retains_[id].push_back(early{holder, now});
}

void object_store::release(object_id id, object_id holder, time_point now,
                           outbox& out) {
  auto i = entries_.find(id);
  if (i == entries_.end()) {
    if (tombstones_.count(id) > 0) {
      if (!unbury(id, holder))
        early_releases_[id].push_back(early{holder, now}); // retain to come
      return;
    }
    if (!cancel_early(early_retains_, id, holder))
      early_releases_[id].push_back(early{holder, now});
    return;
  }
  auto& hs = i->second.holders;
  auto j = find_holder(hs, holder);
  if (j == hs.end()) {
    // The retain for `holder` is still on its way (R3).
    early_releases_[id].push_back(early{holder, now});
    return;
  }
  hs.erase(j);
  erase_if_unreferenced(i, {gone_reason::released, {}, {}}, out);
}

taken_value object_store::take(object_id id, object_id holder,
                               id_generator& ids, outbox& out) {
  auto i = entries_.find(id);
  auto& e = i->second;
  if (e.holders.size() == 1 && pins(id) == 0) {
    // Sole holder: the object leaves this worker. For a pointer entry, the
    // downstream reference (held under this entry's id) moves to the taker.
    taken_value result{without_graph(std::move(e.value)), id, {}};
    if (result.value.is_tensor())
      result.holder = holder;
    e.holders.clear(); // the taker's reference went with the value
    erase(i, {gone_reason::taken, {}, {}}, false, out);
    return result;
  }
  // Shared (with other holders, or with accepted requests that name it): the
  // taker gets a copy, the others keep the object.
  e.holders.erase(find_holder(e.holders, holder));
  taken_value result{without_graph(e.value), holder, {}};
  if (e.value.is_pointer()) {
    auto& ref = e.value.as_pointer();
    result.holder = ids.next();
    out.push_back({outbound::kind::retain, ref.where, ref.id, result.holder});
  }
  return result;
}

stored_value object_store::begin_move(object_id id, object_id, object_id new_id,
                                      outbox& out) {
  auto& e = entries_.find(id)->second;
  if (e.value.is_pointer()) {
    auto& ref = e.value.as_pointer();
    out.push_back({outbound::kind::retain, ref.where, ref.id, new_id});
  }
  auto result = without_graph(e.value);
  result.leaf = moving_leaf(e.value, e.grad_policy); // G5
  return result;
}

void object_store::finish_move(object_id id, object_id holder,
                               const std::string&, object_id, time_point now,
                               outbox& out) {
  auto i = entries_.find(id);
  if (i == entries_.end())
    return;
  auto& hs = i->second.holders;
  auto j = find_holder(hs, holder);
  if (j == hs.end()) {
    release(id, holder, now, out);
    return;
  }
  hs.erase(j);
  erase_if_unreferenced(i, {gone_reason::moved, {}, {}}, out);
}

void object_store::abort_move(const stored_value& sent, const worker_ref& dest,
                              object_id new_id, object_id holder, outbox& out) {
  out.push_back({outbound::kind::release, dest, new_id, holder});
  if (sent.is_pointer()) {
    auto& ref = sent.as_pointer();
    out.push_back({outbound::kind::release, ref.where, ref.id, new_id});
  }
}

void object_store::fail_results(const std::vector<object_id>& ids,
                                const std::vector<object_id>& holders,
                                const caf::error& reason, outbox& out) {
  for (size_t k = 0; k < ids.size(); ++k)
    if (status(ids[k]) == presence::unknown && k < holders.size())
      fail(ids[k], holders[k], reason, out);
}

void object_store::fail_stored(object_id id, caf::error reason, outbox& out) {
  if (auto i = entries_.find(id); i != entries_.end())
    erase(i, {gone_reason::failed, std::move(reason), {}}, true, out);
}

void object_store::fail(object_id id, object_id holder, caf::error reason,
                        outbox& out) {
  forget_expectation(id);
  if (auto i = entries_.find(id); i != entries_.end()) {
    erase(i, {gone_reason::failed, std::move(reason), {}}, true, out);
    return;
  }
  if (tombstones_.count(id) > 0 || !holder.valid())
    return; // no holder: an in-place request's key, never to exist (I1)
  // Never created: the tombstone takes the references a creation would
  // have had, early ones included.
  tombstone t{gone_reason::failed, std::move(reason), {}};
  add_holder(id, t.holders, holder);
  if (auto j = early_retains_.find(id); j != early_retains_.end()) {
    auto pending = std::move(j->second);
    early_retains_.erase(j);
    for (auto& e : pending)
      add_holder(id, t.holders, e.holder);
  }
  if (!t.holders.empty() || pins(id) > 0)
    bury(id, std::move(t));
}

void object_store::clear(outbox& out) {
  while (!entries_.empty())
    erase(entries_.begin(), {gone_reason::cleared, {}, {}}, true, out);
}

void object_store::clear_owned(const std::string& principal, outbox& out) {
  for (auto i = entries_.begin(); i != entries_.end();) {
    auto next = std::next(i);
    if (i->second.value.policy.owner == principal)
      erase(i, {gone_reason::cleared, {}, {}}, true, out);
    i = next;
  }
}

bool object_store::unbury(object_id id, object_id holder) {
  auto i = tombstones_.find(id);
  if (i == tombstones_.end())
    return false;
  auto& hs = i->second.holders;
  auto j = find_holder(hs, holder);
  if (j == hs.end())
    return false;
  hs.erase(j);
  if (hs.empty() && pins(id) == 0) // a pinning request still names it (L1)
    tombstones_.erase(i);
  return true;
}

// -- pins ---------------------------------------------------------------------

void object_store::pin(object_id key, const std::vector<object_id>& ids) {
  auto [i, added] = pins_by_key_.emplace(key, ids);
  if (!added)
    return;
  for (auto id : ids)
    ++pin_counts_[id];
}

void object_store::unpin(object_id key, outbox& out) {
  auto i = pins_by_key_.find(key);
  if (i == pins_by_key_.end())
    return;
  auto ids = std::move(i->second);
  pins_by_key_.erase(i);
  for (auto id : ids) {
    auto j = pin_counts_.find(id);
    if (--j->second == 0)
      pin_counts_.erase(j);
    if (auto k = entries_.find(id); k != entries_.end())
      erase_if_unreferenced(k, {gone_reason::released, {}, {}}, out);
    else if (auto t = tombstones_.find(id); t != tombstones_.end() &&
                                            t->second.holders.empty() &&
                                            pins(id) == 0)
      tombstones_.erase(t);
  }
}

// -- leases (F1) --------------------------------------------------------------

void object_store::renew(object_id id, object_id holder) {
  holder_list* hs = nullptr;
  if (auto i = entries_.find(id); i != entries_.end())
    hs = &i->second.holders;
  else if (auto j = tombstones_.find(id); j != tombstones_.end())
    hs = &j->second.holders;
  if (hs == nullptr)
    return; // released, or not granted yet: a renewal never creates state
  if (auto k = find_holder(*hs, holder); k != hs->end())
    k->renewed = epoch_;
}

size_t object_store::expire_leases(outbox& out) {
  ++epoch_;
  auto lapsed = [this](const held& h) {
    return !h.own && epoch_ - h.renewed >= lease_epochs;
  };
  auto drop = [&lapsed](holder_list& hs) {
    auto before = hs.size();
    hs.erase(std::remove_if(hs.begin(), hs.end(), lapsed), hs.end());
    return before - hs.size();
  };
  size_t dropped = 0;
  std::vector<object_id> emptied;
  for (auto& [id, e] : entries_)
    if (auto n = drop(e.holders); n > 0) {
      dropped += n;
      if (e.holders.empty())
        emptied.push_back(id);
    }
  for (auto id : emptied)
    if (auto i = entries_.find(id); i != entries_.end())
      erase_if_unreferenced(i, {gone_reason::released, {}, {}}, out);
  for (auto i = tombstones_.begin(); i != tombstones_.end();) {
    dropped += drop(i->second.holders);
    if (i->second.holders.empty() && pins(i->first) == 0)
      i = tombstones_.erase(i);
    else
      ++i;
  }
  return dropped;
}

std::vector<std::pair<worker_ref, lease_claim>> object_store::claims() const {
  std::vector<std::pair<worker_ref, lease_claim>> result;
  for (auto& [id, e] : entries_)
    if (e.value.is_pointer()) {
      auto& ref = e.value.as_pointer();
      result.emplace_back(ref.where, lease_claim{ref.id, id});
    }
  return result;
}

size_t object_store::rebind(const worker_ref& fresh) {
  size_t changed = 0;
  for (auto& [id, e] : entries_)
    if (e.value.is_pointer()) {
      auto& where = caf::get<remote_ref>(e.value.content).where;
      if (where.name == fresh.name && where.node_host == fresh.node_host &&
          where.node_port == fresh.node_port && where.hdl != fresh.hdl) {
        where.hdl = fresh.hdl;
        ++changed;
      }
    }
  return changed;
}

std::optional<worker_ref>
object_store::target_at(const caf::actor_addr& addr) const {
  for (auto& [id, e] : entries_)
    if (e.value.is_pointer()) {
      auto& where = e.value.as_pointer().where;
      if (where.node_port != 0 && where.hdl.address() == addr)
        return where;
    }
  return std::nullopt;
}

// -- pipelining support -------------------------------------------------------

bool object_store::expect(object_id id, time_point until,
                          const std::string& peer) {
  if (status(id) != presence::unknown)
    return false;
  if (auto i = expected_.find(id);
      i != expected_.end() && i->second.peer == peer) {
    i->second.until = until; // a renewal costs nothing new
    return true;
  }
  if (expectations_of(peer) >= limits_.max_expectations_per_peer)
    return false;
  forget_expectation(id);
  expected_.emplace(id, expectation{until, peer});
  ++expecting_[peer];
  return true;
}

size_t object_store::expectations_of(const std::string& peer) const {
  auto i = expecting_.find(peer);
  return i == expecting_.end() ? 0 : i->second;
}

void object_store::forget_expectation(object_id id) {
  auto i = expected_.find(id);
  if (i == expected_.end())
    return;
  if (auto j = expecting_.find(i->second.peer);
      j != expecting_.end() && --j->second == 0)
    expecting_.erase(j);
  expected_.erase(i);
}

std::optional<object_store::time_point>
object_store::expected_until(object_id id) const {
  auto i = expected_.find(id);
  if (i == expected_.end())
    return std::nullopt;
  return i->second.until;
}

void object_store::expire(time_point now) {
  auto prune = [&](std::unordered_map<object_id, std::vector<early>>& xs) {
    for (auto i = xs.begin(); i != xs.end();) {
      auto& v = i->second;
      v.erase(std::remove_if(v.begin(), v.end(),
                             [&](const early& e) {
                               return now - e.at >= limits_.early_ttl;
                             }),
              v.end());
      i = v.empty() ? xs.erase(i) : std::next(i);
    }
  };
  prune(early_retains_);
  prune(early_releases_);
  std::vector<object_id> lapsed;
  for (auto& [id, x] : expected_)
    if (x.until <= now)
      lapsed.push_back(id);
  for (auto id : lapsed)
    forget_expectation(id);
}

// -- operations ---------------------------------------------------------------

exec_outcome object_store::execute(const op_request& req, id_generator& ids,
                                   outbox& out, const requester& who) {
  exec_outcome result;
  auto failed = [&](caf::error err) {
    if (!req.in_place) // an in-place target stays as it was (I3)
      fail(req.result, req.holder, err, out);
    result.what = exec_outcome::kind::failed;
    result.error = std::move(err);
    return result;
  };
  if (status(req.result) != presence::unknown) {
    result.what = exec_outcome::kind::failed;
    result.error = make_error(
      errc::duplicate_id, "result id " + to_string(req.result) + " of " +
                            describe(req) + " is already in use on " + owner_);
    return result;
  }
  if (auto err = wire::check_in_place(req.in_place, req.first_is_object()))
    return failed(std::move(err)); // in-process requests skip decoding
  // Resolve operands: stored tensors, pointer entries, or literals.
  std::vector<op_input> inputs;
  std::vector<const object_policy*> policies;
  std::vector<std::string> names;
  const remote_ref* first_ref = nullptr;
  size_t refs = 0;
  size_t ids_seen = 0;
  for (auto& arg : req.args) {
    if (auto lit = caf::get_if<tensor>(&arg.content)) {
      if (auto err = admit("literal", req.result, lit->dtype(), lit->shape()))
        return failed(std::move(err));
      inputs.push_back(op_input{lit, true});
      policies.push_back(nullptr);
      names.emplace_back();
      continue;
    }
    auto id = caf::get<object_id>(arg.content);
    ++ids_seen;
    switch (status(id)) {
    case presence::unknown:
      result.what = exec_outcome::kind::missing;
      result.missing = id;
      return result;
    case presence::gone:
      return failed(gone_error(id));
    default:
      break;
    }
    auto& value = entries_.find(id)->second.value;
    if (!allows(access_, owner_, who, value.policy, right::compute))
      return failed(check(access_, owner_, who, value.policy, right::compute,
                          to_string(req.op), id));
    if (req.in_place && ids_seen == 1) // the target: may `who` modify it? (I2)
      if (auto err = check_owner(access_, owner_, who, value.policy,
                                 in_place_name(req.op), id))
        return failed(std::move(err));
    policies.push_back(&value.policy);
    names.push_back(value.policy.raw ? source_name(owner_, id) : std::string{});
    if (value.is_tensor()) {
      inputs.push_back(op_input{&value.as_tensor(), false});
      continue;
    }
    auto& ref = value.as_pointer();
    if (first_ref != nullptr && !same_worker(first_ref->where, ref.where))
      return failed(make_error(errc::location_mismatch,
                               describe(req) + ": operands point to " +
                                 first_ref->where.name + " and " +
                                 ref.where.name + " (from " + owner_ +
                                 "); move them to one worker first"));
    if (first_ref == nullptr)
      first_ref = &ref;
    ++refs;
    inputs.push_back(op_input{nullptr, false});
  }
  if (refs > 0 && refs != ids_seen)
    return failed(make_error(errc::location_mismatch,
                             describe(req) + ": some operands are tensors on " +
                               owner_ + ", others point to " +
                               first_ref->where.name +
                               "; move them to one worker first"));
  if (refs == 0 && is_autograd(req.op))
    return execute_autograd(req, inputs, policies, names, who, out);
  if (refs == 0) {
    auto value = evaluate(req.op, inputs, req.attrs, limits_.max_tensor_bytes);
    if (!value)
      return failed(make_error(static_cast<errc>(value.error().code()),
                               describe(req) + " on " + owner_ + ": " +
                                 message_of(value.error())));
    auto rule = aggregate_release(req.op, req.attrs, inputs, policies);
    if (req.in_place) {
      if (auto err = replace(
            req, inputs, std::move(*value),
            computed_by(derive(who.name, policies, names, std::move(rule)), who,
                        owner_)))
        return failed(std::move(err));
      return result;
    }
    record_stored_op(req.op, req.attrs, inputs, *value);
    if (auto err =
          insert(req.result,
                 stored_value{std::move(*value),
                              computed_by(derive(who.name, policies, names,
                                                 std::move(rule)),
                                          who, owner_)},
                 req.holder, out, to_string(req.op)))
      return failed(std::move(err));
    return result;
  }
  // Forward: translate operand ids to the next hop's ids, install the local
  // pointer entry for the result first, then let the caller send.
  result.what = exec_outcome::kind::forward;
  result.next = first_ref->where;
  result.forwarded = req;
  result.forwarded.result = ids.next();
  result.forwarded.holder = req.result;
  result.forwarded.principal = who.name;
  for (auto& arg : result.forwarded.args)
    if (auto id = caf::get_if<object_id>(&arg.content))
      *id = entries_.find(*id)->second.value.as_pointer().id;
  if (req.in_place) { // modifies the end of the chain, nothing here (I4)
    result.forwarded.holder = object_id{};
    return result;
  }
  remote_ref target{result.next, result.forwarded.result};
  if (auto err = insert(req.result,
                        stored_value{target, derive(who.name, policies, names)},
                        req.holder, out))
    return failed(std::move(err));
  return result;
}

// -- private helpers ----------------------------------------------------------

caf::error object_store::replace(const op_request& req,
                                 const std::vector<op_input>& inputs,
                                 tensor value, object_policy policy) {
  auto id = caf::get<object_id>(req.args.front().content);
  auto other = inputs.size() > 1 ? inputs[1].value : nullptr;
  if (auto err = check_in_place(req.op, *inputs.front().value, other, value))
    return make_error(errc::bad_argument,
                      describe(req) + " on " + owner_ + ": " + message_of(err));
  write_back(id, std::move(value), std::move(policy), in_place_name(req.op));
  return caf::none;
}

void object_store::write_back(object_id id, tensor value, object_policy policy,
                              std::string produced_by) {
  auto& target = entries_.find(id)->second;
  policy.owner = target.value.policy.owner; // keeps its owner (I1)
  keep_leaf_record(target.value.as_tensor(), value);
  target.value = stored_value{std::move(value), std::move(policy)};
  target.produced_by = std::move(produced_by);
}

void object_store::add_holder(object_id id, holder_list& holders,
                              object_id holder) {
  if (!cancel_early(early_releases_, id, holder))
    holders.push_back(held{holder, epoch_, false});
}

bool object_store::cancel_early(
  std::unordered_map<object_id, std::vector<early>>& records, object_id id,
  object_id holder) {
  auto i = records.find(id);
  if (i == records.end())
    return false;
  auto& v = i->second;
  auto j = std::find_if(v.begin(), v.end(),
                        [&](const early& e) { return e.holder == holder; });
  if (j == v.end())
    return false;
  v.erase(j);
  if (v.empty())
    records.erase(i);
  return true;
}

void object_store::erase(entry_map::iterator i, tombstone why, bool cascade,
                         outbox& out) {
  auto id = i->first;
  if (cascade && i->second.value.is_pointer()) {
    auto& ref = i->second.value.as_pointer();
    out.push_back({outbound::kind::release, ref.where, ref.id, id});
  }
  why.holders = std::move(i->second.holders);
  entries_.erase(i);
  if (!why.holders.empty() || pins(id) > 0)
    bury(id, std::move(why));
}

void object_store::erase_if_unreferenced(entry_map::iterator i, tombstone why,
                                         outbox& out) {
  if (i->second.holders.empty() && pins(i->first) == 0)
    erase(i, std::move(why), true, out);
}

void object_store::bury(object_id id, tombstone why) {
  tombstones_.emplace(id, std::move(why));
}

std::string object_store::aggregate_release(
  opcode op, const op_attrs& attrs, const std::vector<op_input>& inputs,
  const std::vector<const object_policy*>& policies) const {
  if (op == opcode::add)
    return combination_rule(access_, policies);
  if (policies.empty() || policies.front() == nullptr ||
      !policies.front()->guarded() || inputs.empty() ||
      inputs.front().value == nullptr)
    return {};
  if (op != opcode::sum && op != opcode::mean)
    return {};
  auto& dims = inputs.front().value->shape();
  if (dims.rank() == 0)
    return {};
  // Over the rows: all axes, or axis 0 (also written as -rank).
  auto axis = attrs.axis;
  auto rank = static_cast<int64_t>(dims.rank());
  if (axis != op_attrs::all_axes && axis != 0 && axis != -rank)
    return {};
  return aggregate_rule(access_, to_string(op), static_cast<uint64_t>(dims[0]));
}

std::string object_store::describe(const op_request& req) const {
  return workers::describe(req);
}

} // namespace workers
