#pragma once

// The non-blocking API, for code running inside an event-based CAF actor.
//
// Operations on pointers never block anywhere (they only send), so actors use
// them as they are. What waits for an answer -- taking a value home, listing
// a store -- is offered here in continuation style: the actor's thread is
// never blocked, the answer (or the error) arrives later as a message and is
// passed to one of the two callbacks, exactly one of them, exactly once.
// Every wait is bounded by the client's timeout, and a dead node fails it at
// once with peer_unreachable: the request goes through the client agent,
// which watches the peers (the same path the blocking API takes).
//
// Example, inside `behavior f(event_based_actor* self)`:
//   auto y = x_ptr + x_ptr;                       // returns at once
//   workers::async::get(self, y,
//     [=](workers::tensor t) { aout(self) << t << '\n'; },
//     [=](const caf::error& e) { aout(self) << workers::render(e) << '\n'; });

#include <utility>

#include "workers/pointer.hpp"

namespace workers::async {

/// Takes `p` home without blocking; calls `on_value(T)` or
/// `on_error(const caf::error&)`. Unlike the blocking get(), it does not wait
/// for a move under way on `p` (the destination holds the request until the
/// data arrives).
template <class Self, class T, class OnValue, class OnError>
void get(Self* self, const pointer<T>& p, OnValue on_value, OnError on_error) {
  auto st = p.state();
  if (!st) {
    on_error(make_error(errc::already_taken, "invalid pointer"));
    return;
  }
  auto where = st->begin_take(false);
  if (!where) {
    on_error(where.error());
    return;
  }
  auto ctx = st->context();
  auto dest = where->location;
  self
    ->request(ctx->agent(), ctx->ask_timeout(), ask_atom::value,
              ctx->template make_ask<taken_value>(dest, caf::get_atom::value,
                                                  where->id_at_location,
                                                  where->id, ctx->name()))
    .then(
      [st, on_value, on_error](taken_value& x) mutable {
        st->end_take(caf::none);
        auto result = detail::pointee<T>::from(std::move(x), st);
        if (result)
          on_value(std::move(*result));
        else
          on_error(result.error());
      },
      [st, ctx, dest, on_error](caf::error& err) mutable {
        auto translated = ctx->translate(err, dest);
        st->end_take(translated);
        on_error(translated);
      });
}

/// Lists `w`'s objects without blocking; calls `on_value(store_listing)` or
/// `on_error(const caf::error&)`.
template <class Self, class OnValue, class OnError>
void objects(Self* self, const worker& w, OnValue on_value, OnError on_error) {
  auto ctx = w.context();
  auto dest = w.ref();
  self
    ->request(ctx->agent(), ctx->ask_timeout(), ask_atom::value,
              ctx->template make_ask<store_listing>(dest, list_atom::value))
    .then([on_value](store_listing& x) mutable { on_value(std::move(x)); },
          [ctx, dest, on_error](caf::error& err) mutable {
            on_error(ctx->translate(err, dest));
          });
}

} // namespace workers::async
