#include "workers/client_agent.hpp"

#include "workers/pointer_state.hpp"

namespace workers {

client_agent_actor::behavior_type
client_agent(client_agent_actor::pointer self, std::weak_ptr<client> ctx,
             caf::timespan timeout) {
  // Workers answer the client's state changes with ok or an error; both
  // count as the acknowledgement (the error itself is kept by the worker as
  // the result's tombstone, where get() finds it).
  self->set_error_handler([ctx](caf::scheduled_actor*, caf::error&) {
    if (auto c = ctx.lock())
      c->end_op();
  });
  return {
    [ctx](caf::ok_atom) {
      if (auto c = ctx.lock())
        c->end_op();
    },
    [=](move_atom, move_ticket& t) {
      auto st = t.state;
      auto source = t.source;
      auto settle = [st, ctx](const caf::error& err) {
        st->settle_move(err);
        if (auto c = ctx.lock())
          c->end_op();
      };
      self
        ->request(source.hdl, timeout, move_atom::value, t.source_id, t.dest,
                  t.dest_id, t.holder)
        .then([settle](caf::ok_atom) { settle(caf::none); },
              [settle, source, timeout](caf::error& err) {
                settle(from_transport(err, source.name, timeout));
              });
    },
  };
}

} // namespace workers
