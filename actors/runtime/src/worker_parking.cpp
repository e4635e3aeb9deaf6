#include "worker_parking.hpp"

#include "worker_links.hpp"
#include <chrono>

namespace workers::worker_detail {

namespace {

// capacity_exceeded: the parking lot refused (`why`) a request of `peer`,
// naming the bound and its key (parking_lot.hpp, P1 and P2).
caf::error lot_full_error(worker_pointer self, park_result why,
                          const std::string& peer) {
  auto& st = self->state;
  if (why == park_result::peer_full)
    return make_error(errc::capacity_exceeded,
                      st.store.owner() + " has " +
                        std::to_string(st.lot.per_peer()) + " requests of " +
                        peer +
                        " waiting for objects already (workers."
                        "max-parked-per-peer)");
  return make_error(errc::capacity_exceeded,
                    st.store.owner() + " has " +
                      std::to_string(st.lot.capacity()) +
                      " requests waiting for objects already (workers."
                      "max-parked)");
}

// Pins every operand a request names, present or still arriving, from the
// moment the worker accepts it until it is answered (protocol.hpp, L1): the
// caller may drop its handles right after sending, and neither those
// releases nor an early release that meets the operand on arrival may delete
// it before the request ran. `key` (the request's first result id, unique)
// holds the pins until unpin(key).
void pin(worker_pointer self, object_id key,
         const std::vector<object_id>& operands) {
  self->state.store.pin(key, operands);
}

} // namespace

void unpin(worker_pointer self, object_id key) {
  outbox out;
  self->state.store.unpin(key, out);
  flush(self, out);
}

void wake(worker_pointer self, object_id id) {
  for (auto& w : self->state.lot.unpark(id))
    w(false);
}

namespace {

// Parks `attempt` until `id` arrives; answers the deadline, or the lot's
// refusal. Called by park and park_request.
caf::expected<object_store::time_point>
park_until(worker_pointer self, const std::string& peer, object_id id,
           worker_state::waiter attempt) {
  auto& st = self->state;
  auto now = self->clock().now();
  auto deadline = now + st.opts.park_timeout;
  if (auto until = st.store.expected_until(id); until && *until > deadline)
    deadline = *until;
  if (st.forwarding.count(id) > 0)
    deadline = now + st.opts.forward_timeout + st.opts.park_timeout;
  auto parked = st.lot.park(id, deadline, std::move(attempt), peer);
  if (parked != park_result::parked)
    return lot_full_error(self, parked, peer);
  self->delayed_send(self, deadline - now + std::chrono::milliseconds(1),
                     caf::tick_atom::value);
  return deadline;
}

} // namespace

caf::error park(worker_pointer self, const std::string& peer, object_id id,
                worker_state::waiter attempt) {
  auto parked = park_until(self, peer, id, std::move(attempt));
  return parked ? caf::error{} : std::move(parked.error());
}

void park_request(worker_pointer self, const std::string& peer, object_id key,
                  const std::vector<object_id>& operands,
                  const std::vector<object_id>& results,
                  const std::vector<object_id>& holders, object_id missing,
                  caf::typed_response_promise<caf::ok_atom> rp,
                  worker_state::waiter retry) {
  auto& st = self->state;
  pin(self, key, operands);
  auto parked = park_until(self, peer, missing, std::move(retry));
  if (parked) {
    // Its results are announced for as long as it waits (pipelining): a get
    // or an operation naming one parks until then, not for park_timeout
    // only, as it would for an id nobody announced.
    for (size_t k = 0; k < results.size(); ++k)
      if (k < holders.size() && holders[k].valid())
        st.store.expect(results[k], *parked, peer);
    return;
  }
  auto refused = std::move(parked.error());
  rp.deliver(refused);
  outbox out;
  st.store.fail_results(results, holders, std::move(refused), out);
  st.store.unpin(key, out);
  flush(self, out);
}

} // namespace workers::worker_detail
