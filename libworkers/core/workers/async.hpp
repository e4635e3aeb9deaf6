#pragma once

// The non-blocking API, for code running inside an event-based CAF actor.
//
// Operations on pointers never block anywhere (they only send), so actors use
// them as they are. What waits for an answer -- taking a value home, listing
// a store -- is offered here in continuation style: the actor's thread is
// never blocked, the answer (or the error) arrives later as a message and is
// passed to one of the two callbacks, exactly one of them, exactly once.
// Every wait is bounded by the client's timeout. Listings see the caller's
// own changes (read-your-writes), as the blocking ones do: they first wait,
// without blocking, for barrier(). Requests to workers in this process go
// straight to them; requests to other nodes go through the client agent,
// which watches the peers, so a dead node fails them at once with
// peer_unreachable (the same path the blocking API takes).
//
// Example, inside `behavior f(event_based_actor* self)`:
//   auto y = x_ptr + x_ptr;                       // returns at once
//   workers::async::get(self, y,
//     [=](workers::tensor t) { aout(self) << t << '\n'; },
//     [=](const caf::error& e) { aout(self) << workers::render(e) << '\n'; });

#include <string>
#include <utility>
#include <vector>

#include "workers/found_object.hpp"
#include "workers/pointer.hpp"
#include "workers/worker.hpp"

namespace workers::async {

namespace detail {

/// Asks `dest` for a `Result` from inside `self`: directly if `dest` lives in
/// this process (nothing to watch, one hop each way), else through the
/// client agent, which fails the request at once if `dest`'s node dies.
/// Calls `on_value(Result&)` or `on_error(caf::error&)` (translated).
template <class Result, class Self, class OnValue, class OnError, class... Ts>
void ask(Self* self, const std::shared_ptr<client>& ctx, const worker_ref& dest,
         OnValue on_value, OnError on_error, Ts&&... xs) {
  auto fail = [ctx, dest, on_error](caf::error& err) mutable {
    on_error(ctx->translate(err, dest));
  };
  if (dest.hdl && dest.hdl.node() == self->node())
    self->request(dest.hdl, ctx->timeout(), std::forward<Ts>(xs)...)
      .then(on_value, fail);
  else
    self
      ->request(ctx->agent(), ctx->ask_timeout(), ask_atom::value,
                ctx->template make_ask<Result>(dest, std::forward<Ts>(xs)...))
      .then(on_value, fail);
}

} // namespace detail

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
  detail::ask<taken_value>(
    self, ctx, where->location,
    [st, on_value, on_error](taken_value& x) mutable {
      st->end_take(caf::none);
      auto result = workers::detail::pointee<T>::from(std::move(x), st);
      if (result)
        on_value(std::move(*result));
      else
        on_error(result.error());
    },
    [st, on_error](const caf::error& err) mutable {
      st->end_take(err);
      on_error(err);
    },
    caf::get_atom::value, where->id_at_location, where->id, ctx->name());
}

/// Calls `on_done()` once every state change `ctx` posted so far (put, exec,
/// release, move; from any thread) is acknowledged, without blocking `self`:
/// the client agent answers when none is left in flight. Calls
/// `on_error(const caf::error&)` instead with errc::timeout, naming how many
/// changes are unacknowledged, after the client's timeout (those changes are
/// then no longer waited for, as with the blocking barrier).
template <class Self, class OnDone, class OnError>
void barrier(Self* self, const std::shared_ptr<client>& ctx, OnDone on_done,
             OnError on_error) {
  auto bound = ctx->ask_timeout();
  auto agent = "the client agent of " + ctx->name();
  self->request(ctx->agent(), bound, barrier_atom::value)
    .then([on_done](caf::ok_atom) mutable { on_done(); },
          [on_error, bound, agent](caf::error& err) mutable {
            on_error(from_transport(err, agent, bound));
          });
}

namespace detail {

/// Asks `w` for a `Result` after barrier() (read-your-writes: the answer
/// reflects every change the client posted before), without blocking;
/// calls `on_value(Result&&)` or `on_error(const caf::error&)`.
template <class Result, class Self, class OnValue, class OnError, class... Ts>
void ask_after_barrier(Self* self, const worker& w, OnValue on_value,
                       OnError on_error, Ts... xs) {
  barrier(
    self, w.context(),
    [self, w, on_value, on_error, xs...]() mutable {
      ask<Result>(
        self, w.context(), w.ref(),
        [on_value](Result& x) mutable { on_value(std::move(x)); },
        [on_error](const caf::error& err) mutable { on_error(err); }, xs...);
    },
    on_error);
}

} // namespace detail

/// Lists `w`'s objects without blocking (worker::objects); calls
/// `on_value(store_listing)` or `on_error(const caf::error&)`.
template <class Self, class OnValue, class OnError>
void objects(Self* self, const worker& w, OnValue on_value, OnError on_error) {
  detail::ask_after_barrier<store_listing>(
    self, w, std::move(on_value), std::move(on_error), list_atom::value);
}

/// Counts `w`'s objects without blocking (worker::count); calls
/// `on_value(uint64_t)` or `on_error(const caf::error&)`.
template <class Self, class OnValue, class OnError>
void count(Self* self, const worker& w, OnValue on_value, OnError on_error) {
  detail::ask_after_barrier<uint64_t>(self, w, std::move(on_value),
                                      std::move(on_error), count_atom::value);
}

/// `w`'s message and byte counters without blocking (worker::stats); calls
/// `on_value(worker_stats)` or `on_error(const caf::error&)`.
template <class Self, class OnValue, class OnError>
void stats(Self* self, const worker& w, OnValue on_value, OnError on_error) {
  detail::ask_after_barrier<worker_stats>(
    self, w, std::move(on_value), std::move(on_error), stats_atom::value);
}

/// `w`'s audit log without blocking (worker::audit); calls
/// `on_value(std::vector<audit_entry>)` or `on_error(const caf::error&)`.
template <class Self, class OnValue, class OnError>
void audit(Self* self, const worker& w, OnValue on_value, OnError on_error) {
  detail::ask_after_barrier<std::vector<audit_entry>>(
    self, w, std::move(on_value), std::move(on_error), audit_atom::value);
}

/// Searches `w` without blocking (worker::find); calls
/// `on_value(std::vector<found_object>)` -- new pointers the caller holds --
/// or `on_error(const caf::error&)`.
template <class Self, class OnValue, class OnError>
void find(Self* self, const worker& w, std::vector<std::string> tags,
          OnValue on_value, OnError on_error) {
  detail::ask_after_barrier<std::vector<search_hit>>(
    self, w,
    [w, on_value](std::vector<search_hit>&& hits) mutable {
      on_value(w.adopt(std::move(hits)));
    },
    std::move(on_error), search_atom::value, std::move(tags));
}

} // namespace workers::async
