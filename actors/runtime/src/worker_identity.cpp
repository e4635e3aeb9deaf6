#include "worker_identity.hpp"

#include "workers/log.hpp"
#include <optional>

namespace workers::worker_detail {

namespace {

// The principal the gate proved for a remote `node`, if any (none in this
// process, for unknown nodes, and in insecure mode).
std::optional<std::string> proven_principal(worker_pointer self,
                                            const caf::node_id& node) {
  auto gate = self->state.opts.gate ? self->state.opts.gate->get() : nullptr;
  if (!gate || node == self->node())
    return std::nullopt;
  auto principal = gate->peers()->principal_of(node);
  if (!principal || principal->empty())
    return std::nullopt;
  return principal;
}

// The principal behind the current message (resolve), without `peer`
// unless its name is only declared.
requester identify(worker_pointer self, const std::string& on_behalf) {
  auto& cfg = self->state.store.access();
  auto& s = self->current_sender();
  requester who;
  if (!s) {
    who.name = "anonymous";
    return who;
  }
  if (s->node() == self->node()) {
    who.name = on_behalf.empty() ? cfg.local_principal : on_behalf;
    who.admin = true;
    who.trusted = true;
    who.local = true;
    return who;
  }
  if (auto principal = proven_principal(self, s->node())) {
    who.proven = true;
    who.trusted = cfg.trusted.count(*principal) > 0;
    if (who.trusted && !on_behalf.empty()) {
      who.name = on_behalf;
      return who;
    }
    who.name = std::move(*principal);
    who.admin = cfg.is_admin(who.name);
    return who;
  }
  // No proven principal. With TLS that is a node the gate never bound
  // (it relays nothing from such nodes but dial requests and monitor
  // notices): a stranger that may neither claim nor administer anything.
  auto gate = self->state.opts.gate ? self->state.opts.gate->get() : nullptr;
  if (gate && gate->tls()) {
    who.name = "unauthenticated node " + caf::to_string(s->node());
    return who;
  }
  who.peer = "node " + caf::to_string(s->node());
  who.name = on_behalf.empty() ? who.peer : on_behalf;
  who.trusted = true;
  who.admin = cfg.is_admin(who.name);
  return who;
}

} // namespace

void note(worker_pointer self, const stored_value* in,
          const stored_value* out) {
  auto& st = self->state.stats;
  ++st.messages;
  if (in != nullptr && in->is_tensor())
    st.tensor_bytes_in += in->as_tensor().nbytes();
  if (out != nullptr && out->is_tensor())
    st.tensor_bytes_out += out->as_tensor().nbytes();
}

void audit_tensor(worker_pointer self, const char* kind, const std::string& to,
                  object_id id) {
  auto& st = self->state;
  auto v = st.store.find(id);
  if (!v || !v->is_tensor())
    return;
  // A derived result leaves under a release rule: the log says which.
  std::string note;
  if (!v->policy.released.empty())
    note = "released: " + v->policy.released;
  st.audit.record(kind, to, id, v->as_tensor().nbytes(),
                  st.store.produced_by(id), std::move(note));
}

std::string audited_name(worker_pointer self, const caf::node_id& node,
                         const std::string& declared) {
  auto principal = proven_principal(self, node);
  if (!principal)
    return declared;
  if (*principal == declared)
    return declared;
  return *principal + " (declared " + declared + ")";
}

std::string sender_name(worker_pointer self) {
  auto& s = self->current_sender();
  if (!s)
    return "anonymous";
  if (auto principal = proven_principal(self, s->node()))
    return *principal;
  return "actor " + std::to_string(s->id()) + "@" + caf::to_string(s->node());
}

bool enforces_rules(worker_pointer self, const worker_ref& dest) {
  if (!dest.hdl)
    return false;
  if (dest.hdl.node() == self->node())
    return true;
  if (auto principal = proven_principal(self, dest.hdl.node()))
    return self->state.store.access().trusted.count(*principal) > 0;
  auto gate = self->state.opts.gate ? self->state.opts.gate->get() : nullptr;
  return !(gate && gate->tls());
}

bool unproven(worker_pointer self, const worker_ref& dest) {
  auto gate = self->state.opts.gate ? self->state.opts.gate->get() : nullptr;
  return dest.hdl && gate && gate->tls() && dest.hdl.node() != self->node() &&
         !proven_principal(self, dest.hdl.node());
}

requester resolve(worker_pointer self, const std::string& on_behalf) {
  auto who = identify(self, on_behalf);
  if (who.peer.empty())
    who.peer = who.name;
  return who;
}

void record_refusal(worker_pointer self, const std::string& operation,
                    const requester& who, object_id id, const caf::error& err) {
  self->state.audit.refused(operation, who.name, id, err);
  if (log_enabled(log_level::warn))
    log(log_level::warn, self->state.store.owner(),
        "refused " + operation +
          (id.valid() ? " of " + to_string(id) : std::string{}) + " by " +
          who.name + ": " + message_of(err));
}

} // namespace workers::worker_detail
