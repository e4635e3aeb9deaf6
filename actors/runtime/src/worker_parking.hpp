#pragma once

// Waiting for objects that have not arrived yet: messages from different
// senders have no order (protocol.hpp), so a request may meet an id before
// its object. It parks in the worker's parking lot (parking_lot.hpp) and is
// retried when the object arrives, or answered for good at its deadline;
// operands stay pinned while it waits (L1).
//
// Part of the worker actor (worker_actor.hpp): plain functions over the
// worker's state, called by its handlers in worker_actor.cpp and by each
// other. Internal to workers::actors; not installed.

#include <string>
#include <vector>

#include "workers/actors/worker_actor.hpp"
#include "workers/error.hpp"

namespace workers::worker_detail {

// Drops the pins of the request `key` once it is answered.
void unpin(worker_pointer self, object_id key);

// Retries every request parked on `id` (it arrived, or changed).
void wake(worker_pointer self, object_id id);

// Parks `attempt` of `peer` (requester::peer, whom the per-peer quota
// counts) on `id` until it arrives
// or the deadline passes; then `attempt(true)` must answer for good.
// Answers the lot's refusal, if it refused.
caf::error park(worker_pointer self, const std::string& peer, object_id id,
                worker_state::waiter attempt);

// Fails `rp` with `err` if `final`, else parks `attempt` (park) and fails
// `rp` if the lot refuses.
template <class Promise>
void wait_for(worker_pointer self, const std::string& peer, object_id id,
              bool final, caf::error err, Promise rp,
              worker_state::waiter attempt) {
  if (final)
    rp.deliver(std::move(err));
  else if (auto refused = park(self, peer, id, std::move(attempt)))
    rp.deliver(std::move(refused));
}

// Parks the request `key` of `peer` (exec, run), which pinned `operands` and
// creates `results` held by `holders`, until `missing` arrives; if the lot
// refuses, `rp` and the results fail with its error and the pins go.
void park_request(worker_pointer self, const std::string& peer, object_id key,
                  const std::vector<object_id>& operands,
                  const std::vector<object_id>& results,
                  const std::vector<object_id>& holders, object_id missing,
                  caf::typed_response_promise<caf::ok_atom> rp,
                  worker_state::waiter retry);

// Whether `holder`'s reference to `id` can be served now (get, move). If
// not, answers `rp` (gone: the reason) or parks `retry`: the object, the
// retain that makes `holder` a holder, or the answer of the chain below a
// pointer entry may still be on its way.
template <class Promise>
bool held_here(worker_pointer self, const std::string& peer, object_id id,
               object_id holder, bool final, Promise& rp,
               const worker_state::waiter& retry) {
  auto& st = self->state;
  switch (st.store.status(id)) {
  case object_store::presence::gone:
    rp.deliver(st.store.gone_error(id));
    return false;
  case object_store::presence::unknown:
    wait_for(self, peer, id, final, st.store.unknown_error(id), rp, retry);
    return false;
  default:
    break;
  }
  if (!st.store.holds(id, holder)) {
    wait_for(self, peer, id, final, st.store.not_holder_error(id, holder), rp,
             retry);
    return false;
  }
  if (st.forwarding.count(id) > 0) {
    wait_for(self, peer, id, final,
             make_error(errc::timeout, "the chain below " + to_string(id) +
                                         " on " + st.store.owner() +
                                         " did not answer"),
             rp, retry);
    return false;
  }
  return true;
}

} // namespace workers::worker_detail
