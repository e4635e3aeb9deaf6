#include "workers/client_agent.hpp"

#include <caf/stateful_actor.hpp>

#include "workers/pointer_state.hpp"

namespace workers {

caf::behavior client_agent(caf::stateful_actor<client_agent_state>* self,
                           std::weak_ptr<client> ctx, caf::timespan timeout,
                           std::shared_ptr<data_plane> plane) {
  self->state.plane = std::move(plane);
  auto acknowledge = [self, ctx] {
    if (auto c = ctx.lock())
      c->end_op(caf::actor_cast<caf::actor_addr>(self->current_sender()));
  };
  // Workers answer state changes with ok or an error; both acknowledge (the
  // error itself is kept by the worker as the result's tombstone).
  self->set_error_handler(
    [acknowledge](caf::scheduled_actor*, caf::error&) { acknowledge(); });
  self->set_down_handler([self, ctx](caf::down_msg& msg) {
    for (auto& fail : self->state.watch.down(msg.source))
      fail();
    if (auto c = ctx.lock())
      c->forgive(msg.source);
  });
  return {
    [acknowledge](caf::ok_atom) { acknowledge(); },
    [self](watch_atom, const worker_ref& peer) {
      if (self->state.watch.watch(peer.hdl.address()))
        self->monitor(peer.hdl);
    },
    [self, timeout](stage_atom, tensor& t, const worker_ref& dest, object_id id,
                    object_id holder) {
      auto now = staging_area::clock::now();
      auto& plane = *self->state.plane;
      plane.staging().expire(now);
      auto ref = plane.stage(self, "me", t, now + timeout);
      // The worker's answer (once it read every byte) acknowledges the put.
      self->send(dest.hdl, caf::put_atom::value, id, std::move(ref), holder);
    },
    [self](chunk_atom, object_id blob, uint64_t offset,
           uint64_t len) -> caf::result<std::vector<uint8_t>> {
      return self->state.plane->staging().read(blob, offset, len);
    },
    [self](ask_atom, ask_ticket& t) {
      auto rp = self->make_response_promise();
      t.run(self, self->state.watch, self->state.plane.get(), rp);
      return rp;
    },
    [self, ctx, timeout](move_atom, move_ticket& t) {
      auto st = t.state;
      auto source = t.source;
      auto settle = [st, ctx, source, dest = t.dest, dest_id = t.dest_id,
                     holder = t.holder](const caf::error& err) {
        st->settle_move(err);
        auto c = ctx.lock();
        if (!c)
          return;
        // If the put reached the destination before the source failed (or
        // died), that copy would be an orphan: release it.
        if (err)
          c->post(dest, release_atom::value, dest_id, holder);
        c->end_op(source.hdl.address());
      };
      guarded_request<caf::ok_atom>(
        self, self->state.watch, source.hdl, source.name, timeout,
        [settle](caf::ok_atom) { settle(caf::none); },
        [settle](caf::error err) { settle(err); }, move_atom::value,
        t.source_id, t.dest, t.dest_id, t.holder);
    },
  };
}

} // namespace workers
