#include "worker_catalog.hpp"

#include "worker_identity.hpp"
#include "worker_links.hpp"
#include "worker_parking.hpp"
#include "workers/actors/plan_hash.hpp"
#include "workers/error.hpp"

namespace workers::worker_detail {

namespace {} // namespace

void serve_tag(worker_pointer self,
               caf::typed_response_promise<caf::ok_atom> rp, requester who,
               object_id id, std::vector<std::string> tags, bool final) {
  auto& store = self->state.store;
  if (store.status(id) == object_store::presence::unknown) {
    wait_for(self, who.peer, id, final, store.unknown_error(id), rp,
             [=](bool f) { serve_tag(self, rp, who, id, tags, f); });
    return;
  }
  if (auto policy = store.policy_of(id))
    if (auto err =
          check_owner(store.access(), store.owner(), who, *policy, "tag", id)) {
      refuse(self, rp, who, "tag", id, std::move(err));
      return;
    }
  if (auto err = store.tag(id, tags))
    rp.deliver(std::move(err));
  else
    rp.deliver(caf::ok_atom::value);
}

std::vector<search_hit> serve_search(worker_pointer self,
                                     const std::vector<object_id>& found) {
  auto& st = self->state;
  std::vector<search_hit> hits;
  for (auto id : found) {
    search_hit hit;
    hit.id = id;
    hit.holder = st.holder_ids.next();
    hit.tags = st.store.tags(id);
    if (auto v = st.store.find(id); v && v->is_tensor()) {
      hit.dt = v->as_tensor().dtype();
      hit.dims = v->as_tensor().shape();
    }
    st.store.retain(id, hit.holder, self->clock().now());
    hits.push_back(std::move(hit));
  }
  return hits;
}

void serve_clear(worker_pointer self,
                 caf::typed_response_promise<caf::ok_atom> rp,
                 const requester& who) {
  auto& st = self->state;
  outbox out;
  if (who.admin || !st.store.access().enforce) {
    st.store.clear(out);
    st.plans.clear();
  } else {
    st.store.clear_owned(who.name, out);
    for (auto i = st.plans.begin(); i != st.plans.end();)
      i = i->second.owner == who.name ? st.plans.erase(i) : std::next(i);
  }
  flush(self, out, [rp]() mutable { rp.deliver(caf::ok_atom::value); });
}

caf::result<caf::ok_atom> serve_keep(worker_pointer self, const requester& who,
                                     object_id id, object_id holder) {
  auto& store = self->state.store;
  caf::error err;
  if (auto policy = store.policy_of(id))
    err = check_owner(store.access(), store.owner(), who, *policy, "keep", id);
  if (!err)
    err = store.keep(id, holder);
  if (err) {
    if (err.code() == static_cast<uint8_t>(errc::not_permitted))
      record_refusal(self, "keep", who, id, err);
    return err;
  }
  return caf::ok_atom::value;
}

caf::result<caf::ok_atom> serve_define(worker_pointer self,
                                       const requester& who, object_id plan_id,
                                       plan p) {
  auto& st = self->state;
  auto& cfg = st.store.access();
  caf::error refusal;
  if (cfg.enforce && cfg.admin_plans && !who.admin)
    refusal = admin_only(st.store.owner(), who, "define plans");
  else if (auto i = st.plans.find(plan_id); cfg.enforce &&
                                            i != st.plans.end() && !who.admin &&
                                            i->second.owner != who.name)
    refusal =
      make_error(errc::not_permitted,
                 who.name + " may not redefine plan " + to_string(plan_id) +
                   " on " + st.store.owner() + ": it belongs to " +
                   i->second.owner + " (rule: only the owner may)");
  if (refusal) {
    record_refusal(self, "define", who, plan_id, refusal);
    return refusal;
  }
  if (auto err = validate(p, st.opts.limits.max_tensor_bytes))
    return with_context(err, "define on " + st.store.owner());
  auto hash = plan_hash(p);
  st.plans[plan_id] =
    worker_state::stored_plan{std::move(p), who.name, std::move(hash)};
  return caf::ok_atom::value;
}

} // namespace workers::worker_detail
