#pragma once

// async::connect: runtime::connect for code running inside an event-based
// actor, in the continuation style of libworkers/core/workers/async.hpp.
//
// Design note: making a connection is blocking inside CAF 0.17 (the
// middleman's remote_actor waits for the handshake) and, over TLS, inside
// the gate. So a detached helper actor -- a thread of its own, never one of
// the scheduler's -- runs the blocking runtime::connect, and the caller's
// actor only waits for the helper's answer as a message. Invariants:
//   C1 Exactly one of the callbacks runs, exactly once, on the caller's
//      actor: on_value(worker) or on_error(const caf::error&).
//   C2 The wait is bounded: runtime::connect is bounded by the client's
//      timeout (with its retries, twice that); the caller's request to the
//      helper by that plus a second, after which on_error gets a timeout.
//   C3 The runtime outlives the call (it owns the actor system the caller
//      runs in, or borrows it from whoever does).
//
// Example, inside `behavior f(event_based_actor* self)`:
//   workers::async::connect(self, rt, "bob",
//     [=](workers::worker bob) { auto x = workers::tensor{1}.send(bob); },
//     [=](const caf::error& e) { aout(self) << workers::render(e) << '\n'; });

#include <memory>
#include <string>

#include <caf/event_based_actor.hpp>

#include "workers/actors/runtime.hpp"
#include "workers/error.hpp"

namespace workers::async {

/// Connects to the cluster worker `name` (runtime::connect) without
/// blocking `self`; calls `on_value(worker)` or `on_error(const
/// caf::error&)` (C1), with the errors connect gives (no_such_object,
/// peer_unreachable) or a timeout (C2). Called by actors that embed the
/// runtime.
template <class Self, class OnValue, class OnError>
void connect(Self* self, runtime& rt, std::string name, OnValue on_value,
             OnError on_error) {
  auto result = std::make_shared<caf::expected<worker>>(caf::error{});
  auto helper = self->system().template spawn<caf::detached>(
    [result, &rt, name](caf::event_based_actor* h) -> caf::behavior {
      return {[=, &rt](caf::connect_atom) {
        *result = rt.connect(name);
        h->quit();
        return caf::ok_atom::value;
      }};
    });
  auto bound =
    2 * rt.options().client.request_timeout + std::chrono::seconds(1);
  self->request(helper, bound, caf::connect_atom::value)
    .then(
      [result, on_value, on_error](caf::ok_atom) mutable {
        if (*result)
          on_value(std::move(**result));
        else
          on_error(result->error());
      },
      [name, bound, on_error](caf::error& err) mutable {
        on_error(from_transport(err, "connecting to " + name, bound));
      });
}

} // namespace workers::async
