#include "workers/actors/client_agent.hpp"

#include <caf/stateful_actor.hpp>

#include "workers/pointer_state.hpp"

namespace workers {

namespace {

using agent_pointer = caf::stateful_actor<client_agent_state>*;

// "Barrier request `id` is due": sent by the agent to itself.
using deadline_atom = caf::atom_constant<caf::atom("deadline")>;

// Answers every waiting barrier request: with ok once `c` has no
// unacknowledged state change left; at a barrier's `deadline`, with the
// timeout error of abandoning the changes still in flight (every waiting
// barrier waits for them). Called by the agent after each acknowledgement,
// settled move, forgiven peer and barrier deadline.
void check_barriers(agent_pointer self, client& c, bool deadline = false) {
  auto& waiting = self->state.barriers;
  if (waiting.empty() || (!deadline && c.unacknowledged() > 0))
    return;
  auto err = deadline ? c.abandon_unacknowledged() : caf::error{};
  for (auto& kvp : waiting)
    if (err)
      kvp.second.deliver(err);
    else
      kvp.second.deliver(caf::ok_atom::value);
  waiting.clear();
}

// Asks the source of `t.leg` to move the data to its destination; once the
// source answered, settles the handle and sends the next queued leg, if any.
void run_leg(caf::stateful_actor<client_agent_state>* self,
             std::weak_ptr<client> ctx, caf::timespan timeout, move_ticket t) {
  // Both response handlers share the ticket, so that settling can let go of
  // the handle's state before the move stops counting as unacknowledged.
  auto ticket = std::make_shared<move_ticket>(std::move(t));
  // `told` says whether the destination already knows of a failure (gone).
  auto settle = [self, ctx, timeout, ticket](const caf::error& err, bool told) {
    auto state = std::move(ticket->state);
    auto& leg = ticket->leg;
    auto next = state->settle_move(err);
    auto c = ctx.lock();
    if (!c)
      return;
    // The data stays at the source. If the source said so, it also undid
    // its put; tell the destination that the new id will not arrive, so
    // requests sent there meanwhile fail now with the move's error instead
    // of waiting out the move's expectation, and drop that record again.
    // If the destination was told because the source did not answer, its
    // record stays: it refuses the put of a source that resumes, and
    // lapses with its lease (F1), since this handle no longer renews it.
    if (err && !told) {
      c->post(leg.dest, gone_atom::value, leg.dest_id, leg.source.id, err);
      c->post(leg.dest, release_atom::value, leg.dest_id, leg.source.id);
    }
    if (next)
      run_leg(self, ctx, timeout, move_ticket{state, std::move(*next)});
    // If the caller dropped the handle during the move, this is its last
    // copy: its release is posted (and counted) now, before the move's own
    // count goes, so a barrier never sees neither (read-your-writes).
    state.reset();
    c->end_op(leg.dest.hdl.address());
    check_barriers(self, *c);
  };
  // The source did not answer (stalled past the timeout, or died): the put
  // may have reached the destination all the same, and then that copy is
  // the data. The destination decides: gone either records the failure
  // there (and refuses a put still to come) or reports the object there.
  auto undecided = [self, timeout, ticket, settle](caf::error err) {
    auto& leg = ticket->leg;
    guarded_request<caf::ok_atom>(
      self, self->state.watch, leg.dest.hdl, leg.dest.name, timeout,
      [settle, err](caf::ok_atom) { settle(err, true); },
      [settle, err](const caf::error& answer) {
        if (is(answer, errc::duplicate_id))
          settle(caf::none, false); // it landed: the move happened
        else
          settle(err, false);
      },
      gone_atom::value, leg.dest_id, leg.source.id, err);
  };
  auto& src = ticket->leg.source;
  // Whether `err` says the source itself did not answer -- it died, or this
  // request timed out here -- rather than the source answering with an
  // error (then it also undid its put, and the failure is definite).
  auto silent = [self, timeout, src](const caf::error& err) {
    if (self->state.watch.is_down(src.location.hdl.address()))
      return true;
    auto local = from_transport(caf::make_error(caf::sec::request_timeout),
                                src.location.name, timeout);
    return is(err, errc::timeout) && message_of(err) == message_of(local);
  };
  guarded_request<caf::ok_atom>(
    self, self->state.watch, src.location.hdl, src.location.name, timeout,
    [settle](caf::ok_atom) { settle(caf::none, false); },
    [settle, undecided, silent](caf::error err) {
      if (silent(err))
        undecided(std::move(err));
      else
        settle(err, false);
    },
    move_atom::value, src.id_at_location, ticket->leg.dest, ticket->leg.dest_id,
    src.id);
}

} // namespace

caf::behavior client_agent(caf::stateful_actor<client_agent_state>* self,
                           std::weak_ptr<client> ctx, caf::timespan timeout,
                           std::shared_ptr<data_plane> plane) {
  self->state.plane = std::move(plane);
  auto acknowledge = [self, ctx] {
    if (auto c = ctx.lock()) {
      c->end_op(caf::actor_cast<caf::actor_addr>(self->current_sender()));
      check_barriers(self, *c);
    }
  };
  // Workers answer state changes with ok or an error; both acknowledge (the
  // error itself is kept by the worker as the result's tombstone).
  self->set_error_handler(
    [acknowledge](caf::scheduled_actor*, caf::error&) { acknowledge(); });
  self->set_down_handler([self, ctx](caf::down_msg& msg) {
    for (auto& fail : self->state.watch.down(msg.source))
      fail();
    if (auto c = ctx.lock()) {
      c->forgive(msg.source);
      check_barriers(self, *c);
    }
  });
  if (auto c = ctx.lock())
    self->delayed_send(self, c->lease() / 4, renew_atom::value);
  return {
    [acknowledge](caf::ok_atom) { acknowledge(); },
    // Every quarter lease: renews the references of every live handle, one
    // message per worker (protocol.hpp, F1). Sent by the agent to itself;
    // stops once the client is gone.
    [self, ctx](renew_atom) {
      auto c = ctx.lock();
      if (!c)
        return;
      for (auto& [where, claims] : c->claims())
        self->send(where.hdl, renew_atom::value, std::move(claims));
      self->delayed_send(self, c->lease() / 4, renew_atom::value);
    },
    [self](watch_atom, const worker_ref& peer) {
      if (self->state.watch.watch(peer.hdl.address()))
        self->monitor(peer.hdl);
    },
    [self, timeout](stage_atom, tensor& t, const worker_ref& dest, object_id id,
                    object_id holder, object_policy& policy) {
      auto now = staging_area::clock::now();
      auto& plane = *self->state.plane;
      plane.staging().expire(now);
      auto ref = plane.stage(self, "me", t, now + timeout);
      ref.policy = std::move(policy);
      // The worker's answer (once it read every byte) acknowledges the put.
      self->send(dest.hdl, caf::put_atom::value, id, std::move(ref), holder);
    },
    // Answers ok once every state change the client posted is acknowledged,
    // or errc::timeout after the client's timeout. Asked by async::barrier.
    [self, ctx](barrier_atom) -> caf::result<caf::ok_atom> {
      auto c = ctx.lock();
      if (!c)
        return make_error(errc::peer_unreachable, "the runtime has shut down");
      if (c->unacknowledged() == 0)
        return caf::ok_atom::value;
      auto id = ++self->state.last_barrier;
      auto rp = self->make_response_promise();
      self->state.barriers.emplace(id, rp);
      self->delayed_send(self, c->timeout(), deadline_atom::value, id);
      return rp;
    },
    // Barrier request `id` is due: if it still waits, it and every other
    // waiting barrier fail with errc::timeout. Sent by the agent to itself.
    [self, ctx](deadline_atom, uint64_t id) {
      auto c = ctx.lock();
      if (c && self->state.barriers.count(id) > 0)
        check_barriers(self, *c, true);
    },
    [self](chunk_atom, object_id blob, const blob_token& token, uint64_t offset,
           uint64_t len) -> caf::result<std::vector<uint8_t>> {
      return self->state.plane->staging().read(blob, token, offset, len);
    },
    [self](ask_atom, ask_ticket& t) {
      auto rp = self->make_response_promise();
      t.run(self, self->state.watch, self->state.plane.get(), rp);
      return rp;
    },
    [self, ctx, timeout](move_atom, move_ticket& t) {
      run_leg(self, ctx, timeout, std::move(t));
    },
  };
}

} // namespace workers
