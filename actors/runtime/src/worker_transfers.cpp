#include "worker_transfers.hpp"

#include <chrono>
#include <functional>
#include <memory>

#include "workers/data_flow.hpp"
#include "workers/remote_autograd.hpp"

#include "worker_identity.hpp"
#include "worker_links.hpp"
#include "worker_parking.hpp"

namespace workers::worker_detail {

namespace {

// Sends the put of a move to `dest` (`payload` is the value itself, or a
// blob_ref to a staged copy) and settles the move when it answers.
template <class Promise, class Payload>
void send_move_put(worker_pointer self, Promise rp, object_id id,
                   worker_ref dest, object_id new_id, object_id holder,
                   stored_value value, Payload payload) {
  send_to(self, dest, [=]() mutable {
    guarded_request<caf::ok_atom>(
      self, self->state.watch, dest.hdl, dest.name,
      self->state.opts.forward_timeout,
      [=](caf::ok_atom) mutable {
        outbox out;
        self->state.store.finish_move(id, holder, dest.name, new_id,
                                      self->clock().now(), out);
        flush(self, out);
        rp.deliver(caf::ok_atom::value);
      },
      [=](caf::error e) mutable {
        auto& st = self->state;
        outbox out;
        object_store::abort_move(value, dest, new_id, holder, out);
        flush(self, out);
        rp.deliver(make_error(static_cast<errc>(e.code()),
                              "move of " + to_string(id) + " from " +
                                st.store.owner() + " to " + dest.name +
                                " failed, the data stays on " +
                                st.store.owner() + ": " + message_of(e)));
      },
      caf::put_atom::value, new_id, payload, holder);
  });
}

// Carries out a move (serve_move): sends `holder`'s share of `id` to `dest` and
// drops it here once the destination acknowledged; on failure the data stays.
// `pass`: how often the move was decided after linking to `dest`, whose
// principal decides whether a derived result may go there (A5).
// `rp`: the move request's promise, or an outcome_promise for a move this
// worker makes itself (remote_send).
template <class Promise>
void move_object(worker_pointer self, Promise rp, requester who, object_id id,
                 worker_ref dest, object_id new_id, object_id holder,
                 bool final, int pass = 0) {
  auto& st = self->state;
  auto retry = [=](bool f) {
    move_object(self, rp, who, id, dest, new_id, holder, f, pass);
  };
  if (st.store.status(id) == object_store::presence::gone) {
    // Nothing to move but the object's fate: the destination records it, so
    // the handle (which points there now) and everything its caller sent
    // there meanwhile get the same error as here (M3).
    auto why = st.store.gone_error(id);
    send_to(self, dest, [=]() mutable {
      guarded_request<caf::ok_atom>(
        self, self->state.watch, dest.hdl, dest.name,
        self->state.opts.forward_timeout,
        [self, rp, id, holder](caf::ok_atom) mutable {
          // The reference now names the destination's tombstone.
          outbox out;
          self->state.store.release(id, holder, self->clock().now(), out);
          flush(self, out);
          rp.deliver(caf::ok_atom::value);
        },
        [rp](caf::error e) mutable { rp.deliver(std::move(e)); },
        gone_atom::value, new_id, holder, why);
    });
    return;
  }
  if (!held_here(self, who.peer, id, holder, final, rp, retry))
    return;
  if (auto err = st.store.permits_move(id, who, enforces_rules(self, dest),
                                       "move to " + dest.name)) {
    // The gate proves the destination's principal once linked: decide
    // then (the link is made for the move anyway). When the other node
    // dialed, the gate may bind the principal a moment after the link is
    // up: decide again, 25 ms apart, for at most 2 s (a loaded machine).
    constexpr int max_passes = 80;
    if (pass == 0 && unproven(self, dest)) {
      send_to(self, dest, [=] {
        move_object(self, rp, who, id, dest, new_id, holder, final, 1);
      });
      return;
    }
    if (pass > 0 && pass < max_passes && unproven(self, dest)) {
      defer(self, std::chrono::milliseconds(25), [=] {
        move_object(self, rp, who, id, dest, new_id, holder, final, pass + 1);
      });
      return;
    }
    refuse(self, rp, who, "move", id, std::move(err));
    return;
  }
  auto to = audited_name(self, dest.hdl.node(), dest.name);
  audit_tensor(self, "move", to, id);
  outbox out;
  auto value = st.store.begin_move(id, holder, new_id, out);
  flush(self, out);
  note(self, nullptr, &value);
  if (!value.leaf.grad.empty()) // G5: the gradient leaves too
    st.audit.record("move", to, id, value.leaf.grad[0].nbytes(), "grad",
                    "the gradient of the moved leaf");
  if (value.is_tensor() &&
      needs_bulk(value.as_tensor(), dest.hdl, self->node())) {
    auto stage = [&](const tensor& t) {
      return st.opts.plane->stage(
        caf::actor_cast<caf::actor>(self), st.store.owner(), t,
        self->clock().now() + st.opts.forward_timeout);
    };
    auto ref = stage(value.as_tensor());
    ref.policy = value.policy;
    ref.leaf = value.leaf;
    if (!ref.leaf.grad.empty()) { // staged beside the value (LS2)
      auto g = stage(ref.leaf.grad[0]);
      ref.leaf.grad.clear();
      ref.leaf.grad_blob = g.blob;
      ref.leaf.grad_token = g.token;
    }
    send_move_put(self, rp, id, dest, new_id, holder, value, std::move(ref));
    return;
  }
  send_move_put(self, rp, id, dest, new_id, holder, value, value);
}

// A promise for work this worker starts itself with a handler's logic (the
// move inside a remote_send): hands the outcome to `settle` instead of
// answering a message. Copies share `settle`.
struct outcome_promise {
  std::shared_ptr<std::function<void(caf::error)>> settle;

  void deliver(caf::ok_atom) const { (*settle)(caf::error{}); }

  void deliver(caf::error err) const { (*settle)(std::move(err)); }
};

} // namespace

caf::error store_put(worker_pointer self, const requester& who, object_id id,
                     stored_value value, object_id holder) {
  value = without_graph(std::move(value)); // G1 (remote_autograd.hpp)
  auto& here = self->state.store.owner();
  value.policy = admit_policy(std::move(value.policy), who, here);
  if (value.leaf.requires_grad) // LS3: the gradient's policy, as the value's
    value.leaf.grad_policy =
      admit_policy(std::move(value.leaf.grad_policy), who, here);
  note(self, &value);
  watch_target(self, value);
  outbox out;
  auto err = self->state.store.insert(id, std::move(value), holder, out);
  flush(self, out);
  wake(self, id);
  return err;
}

void serve_take(worker_pointer self,
                caf::typed_response_promise<taken_value> rp, requester who,
                object_id id, object_id holder, std::string taker, bool remote,
                bool final) {
  auto& store = self->state.store;
  auto retry = [=](bool f) {
    serve_take(self, rp, who, id, holder, taker, remote, f);
  };
  if (!held_here(self, who.peer, id, holder, final, rp, retry))
    return;
  if (auto err = store.permits(id, who, right::take, "get")) {
    refuse(self, rp, who, "get", id, std::move(err));
    return;
  }
  audit_tensor(self, "get", taker, id);
  auto& st = self->state;
  if (auto v = store.find(id);
      remote && v->is_tensor() && v->as_tensor().nbytes() >= bulk_threshold) {
    // Large, for another node: staged for the client agent to read. The
    // object and `holder`'s reference stay until the agent has every byte
    // and releases it (D1): a reader that stalls, or a node stopped in the
    // middle, loses nothing, and the get can be retried.
    note(self, nullptr, v);
    taken_value value{stored_value{}, holder, {}};
    value.blob = st.opts.plane->stage(
      caf::actor_cast<caf::actor>(self), store.owner(), v->as_tensor(),
      self->clock().now() + st.opts.forward_timeout);
    value.blob.policy = v->policy;
    rp.deliver(std::move(value));
    return;
  }
  outbox out;
  auto value = store.take(id, holder, st.holder_ids, out);
  flush(self, out);
  note(self, nullptr, &value.value);
  rp.deliver(std::move(value));
}

void serve_remote_get(worker_pointer self,
                      caf::typed_response_promise<caf::ok_atom> rp,
                      requester who, object_id id, object_id holder,
                      object_id new_id, object_id new_holder, bool final) {
  auto& st = self->state;
  auto retry = [=](bool f) {
    serve_remote_get(self, rp, who, id, holder, new_id, new_holder, f);
  };
  if (!held_here(self, who.peer, id, holder, final, rp, retry))
    return;
  if (auto err = st.store.permits(id, who, right::take, "remote_get")) {
    refuse(self, rp, who, "remote_get", id, std::move(err));
    return;
  }
  auto target = fetch_target(st.store, id, new_id);
  if (!target) {
    rp.deliver(std::move(target.error()));
    return;
  }
  auto src = target->where;
  auto src_id = target->id;
  // G1: the transfer's own reference, registered before the move names it.
  outbox out{{outbound::kind::retain, src, src_id, new_id}};
  flush(self, out);
  auto context = "remote_get of " + to_string(id) + " on " + st.store.owner() +
                 " from " + src.name;
  auto bound = st.opts.forward_timeout + st.opts.park_timeout;
  auto me = self_ref(self);
  send_to(self, src, [=]() mutable {
    guarded_request<caf::ok_atom>(
      self, self->state.watch, src.hdl, src.name, bound,
      [=](caf::ok_atom) mutable {
        outbox out;
        auto err = settle_remote_get(self->state.store, id, holder, new_id,
                                     new_holder, self->clock().now(), out);
        wake(self, new_id);
        // Answered once the releases it cascades into are done, as a
        // release is (read-your-writes): the source's count shows it.
        flush(self, out, [rp, err, context]() mutable {
          if (err)
            rp.deliver(with_context(err, context));
          else
            rp.deliver(caf::ok_atom::value);
        });
      },
      [=](caf::error err) mutable {
        // G4: the data stayed at the source; drop the transfer's reference.
        outbox out{{outbound::kind::release, src, src_id, new_id}};
        flush(self, out);
        rp.deliver(with_context(err, context + " failed, " +
                                       self->state.store.owner() +
                                       " keeps its pointer"));
      },
      move_atom::value, src_id, me, new_id, new_id, who.name);
  });
}

void serve_remote_send(worker_pointer self,
                       caf::typed_response_promise<caf::ok_atom> rp,
                       requester who, object_id id, object_id holder,
                       worker_ref dest, object_id dest_id, object_id entry,
                       object_id new_holder, bool final) {
  auto& st = self->state;
  auto retry = [=](bool f) {
    serve_remote_send(self, rp, who, id, holder, dest, dest_id, entry,
                      new_holder, f);
  };
  if (!held_here(self, who.peer, id, holder, final, rp, retry))
    return;
  if (dest.hdl == caf::actor_cast<worker_actor>(self)) {
    rp.deliver(make_error(errc::bad_argument,
                          "remote_send of " + to_string(id) + " from " +
                            st.store.owner() + " to itself"));
    return;
  }
  if (auto err = check_remote_send(st.store, id, entry)) {
    rp.deliver(std::move(err));
    return;
  }
  // S1: the transfer's own reference (the entry's), forked locally.
  st.store.retain(id, entry, self->clock().now());
  auto policy = admit_policy(object_policy{}, who, st.store.owner());
  auto settle = [=](caf::error err) mutable {
    auto& store = self->state.store;
    outbox out;
    if (err)
      abort_remote_send(store, id, entry, self->clock().now(), out);
    else
      err = settle_remote_send(store, id, holder, entry, new_holder,
                               remote_ref{dest, dest_id}, policy,
                               self->clock().now(), out);
    if (!err)
      if (auto v = store.find(entry))
        watch_target(self, *v);
    wake(self, entry);
    // Answered once the releases it cascades into are done (read your
    // writes, as for a release).
    flush(self, out, [rp, err]() mutable {
      if (err)
        rp.deliver(err);
      else
        rp.deliver(caf::ok_atom::value);
    });
  };
  outcome_promise done{
    std::make_shared<std::function<void(caf::error)>>(std::move(settle))};
  move_object(self, done, std::move(who), id, std::move(dest), dest_id, entry,
              false);
}

void serve_put_blob(worker_pointer self,
                    caf::typed_response_promise<caf::ok_atom> rp, requester who,
                    object_id id, blob_ref blob, object_id holder) {
  auto& st = self->state;
  auto on_error = [self, rp, id, holder](caf::error err) mutable {
    outbox out;
    self->state.store.fail(id, holder, err, out);
    flush(self, out);
    wake(self, id);
    rp.deliver(std::move(err));
  };
  if (auto err = st.store.admit("large tensor", id, blob.dt, blob.dims)) {
    on_error(std::move(err));
    return;
  }
  st.store.expect(id, self->clock().now() + st.opts.forward_timeout, who.name);
  auto store = [self, rp, who, id, holder](stored_value v) mutable {
    if (auto err = store_put(self, who, id, std::move(v), holder))
      rp.deliver(std::move(err));
    else
      rp.deliver(caf::ok_atom::value);
  };
  auto timeout = st.opts.forward_timeout;
  fetch_blob(
    self, st.watch, st.opts.plane.get(), blob, timeout,
    [self, blob, timeout, store, on_error](tensor t) mutable {
      stored_value v{std::move(t), blob.policy};
      v.leaf = blob.leaf;
      if (!blob.leaf.grad_blob.valid()) {
        store(std::move(v));
        return;
      }
      // A moved leaf's gradient, staged beside it (leaf_state.hpp, LS2):
      // the object is stored once both are here (B2).
      v.leaf.grad_blob = object_id{};
      fetch_blob(
        self, self->state.watch, self->state.opts.plane.get(),
        gradient_blob(blob), timeout,
        [store, v](tensor g) mutable {
          v.leaf.grad.push_back(std::move(g));
          store(std::move(v));
        },
        on_error);
    },
    on_error);
}

caf::result<caf::ok_atom> serve_gone(worker_pointer self, object_id id,
                                     object_id holder, caf::error why) {
  auto& store = self->state.store;
  switch (store.status(id)) {
  case object_store::presence::unknown: {
    outbox out;
    store.fail(id, holder, std::move(why), out);
    flush(self, out);
    wake(self, id);
    return caf::ok_atom::value;
  }
  case object_store::presence::here:
    return make_error(errc::duplicate_id, "object " + to_string(id) +
                                            " is on " + store.owner() +
                                            " already");
  default:
    return caf::ok_atom::value;
  }
}

void serve_move(worker_pointer self,
                caf::typed_response_promise<caf::ok_atom> rp, requester who,
                object_id id, worker_ref dest, object_id new_id,
                object_id holder) {
  move_object(self, rp, std::move(who), id, std::move(dest), new_id, holder,
              false);
}

} // namespace workers::worker_detail
