#include "workers/bench/samplers.hpp"

#include <memory>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include <caf/scoped_actor.hpp>

#include "workers/async.hpp"
#include "workers/bench/caf_echo.hpp"
#include "workers/bench/stopwatch.hpp"
#include "workers/bench/window_driver.hpp"
#include "workers/error.hpp"

namespace workers::bench {

namespace {

constexpr size_t max_depth = 8;

/// Bound of an actor-driven run of `n` operations.
caf::timespan window_bound(size_t n) {
  return std::chrono::seconds(60) + std::chrono::milliseconds(10 * n);
}

/// Runs `check` (untimed) on the first call only, then `body` every time.
sampler validated(std::function<void()> check, sampler body) {
  auto checked = std::make_shared<bool>(false);
  return [checked, check = std::move(check), body = std::move(body)] {
    if (!*checked) {
      check();
      *checked = true;
    }
    return body();
  };
}

/// Takes a pointer home, through every level of a chain.
template <class T>
tensor fetch(const pointer<T>& p) {
  if constexpr (std::is_same_v<T, tensor>)
    return p.get();
  else
    return fetch(p.get());
}

template <size_t Depth>
struct chain_of {
  using type = pointer<typename chain_of<Depth - 1>::type>;
};

template <>
struct chain_of<1> {
  using type = pointer<tensor>;
};

/// `t` on hops[0], a pointer to it on hops[1], ... (Depth hops).
template <size_t Depth>
typename chain_of<Depth>::type build_chain(const tensor& t,
                                           const std::vector<worker>& hops) {
  if constexpr (Depth == 1)
    return t.send(hops[0]);
  else
    return build_chain<Depth - 1>(t, hops).send(hops[Depth - 1]);
}

/// x + y kept remote, + barrier; the result checked once through `fetch`.
template <class P>
sampler op_round_trip(runtime& rt, P x, P y, tensor want, size_t batch,
                      std::string what) {
  auto* r = &rt;
  auto check = [x, y, want, what] { expect_equal(fetch(x + y), want, what); };
  return validated(check, [r, x, y, batch] {
    return mean_of(batch, [&] {
      stopwatch sw;
      auto z = x + y;
      settle(*r);
      auto secs = sw.seconds();
      z = P{};
      settle(*r);
      return secs;
    });
  });
}

template <size_t Depth>
sampler chain_at(runtime& rt, const site& s, const tensor& t, size_t batch) {
  auto x = build_chain<Depth>(t, s.chain);
  auto y = build_chain<Depth>(t, s.chain);
  return op_round_trip(rt, x, y, t + t, batch,
                       "x + y through a chain of depth " +
                         std::to_string(Depth));
}

/// `batch` times, sequentially from inside an event-based actor:
/// async::get(self, make()), checking the value against `want`.
sampler async_get_loop(runtime& rt, size_t batch,
                       std::function<pointer<tensor>()> make, tensor want,
                       std::string what) {
  async_step step = [make, want, what](caf::event_based_actor* self,
                                       step_done done) {
    async::get(
      self, make(),
      [done, want, what](tensor v) {
        done(v.allclose(want) ? caf::error{}
                              : make_error(errc::bad_argument,
                                           what + " gave " + to_string(v)));
      },
      [done](const caf::error& err) { done(err); });
  };
  auto* sys = &rt.system();
  return [sys, step, batch] {
    return run_window(*sys, step, batch, 1, window_bound(batch)) /
           static_cast<double>(batch);
  };
}

template <size_t... Is>
sampler chain_dispatch(runtime& rt, const site& s, const tensor& t,
                       size_t depth, size_t batch, std::index_sequence<Is...>) {
  sampler result;
  ((depth == Is + 1 ? (result = chain_at<Is + 1>(rt, s, t, batch), 0) : 0),
   ...);
  return result;
}

} // namespace

void expect_equal(const tensor& got, const tensor& want,
                  const std::string& what) {
  if (!got.allclose(want))
    throw std::runtime_error(what + " gave " + to_string(got) + ", expected " +
                             to_string(want));
}

void settle(runtime& rt) {
  if (auto err = rt.context()->barrier())
    throw std::runtime_error("barrier: " + render(err));
}

sampler caf_blocking_sampler(runtime& rt, const site& s, tensor t,
                             size_t batch) {
  auto self = std::make_shared<caf::scoped_actor>(rt.system());
  auto timeout = rt.context()->timeout();
  auto echo = s.echo;
  return [self, echo, t, timeout, batch] {
    return echo_blocking(*self, echo, t, timeout, batch) /
           static_cast<double>(batch);
  };
}

sampler caf_actor_sampler(runtime& rt, const site& s, tensor t, size_t batch) {
  auto* sys = &rt.system();
  auto step = echo_step(s.echo, t, rt.context()->timeout());
  return [sys, step, batch] {
    return run_window(*sys, step, batch, 1, window_bound(batch)) /
           static_cast<double>(batch);
  };
}

sampler caf_pipelined_sampler(runtime& rt, const site& s, tensor t, size_t n,
                              echo_mode mode) {
  auto* sys = &rt.system();
  auto echo = s.echo;
  auto per_op = [n](double secs) { return secs / static_cast<double>(n); };
  if (mode == echo_mode::send_reply)
    return [sys, echo, t, n, per_op] {
      return per_op(echo_send_burst(*sys, echo, t, n, window_bound(n)));
    };
  auto step = echo_step(echo, t, rt.context()->timeout(),
                        mode == echo_mode::bounded_request);
  return [sys, step, n, per_op] {
    return per_op(run_window(*sys, step, n, n, window_bound(n)));
  };
}

sampler send_sampler(runtime& rt, const site& s, tensor t, size_t batch) {
  auto* r = &rt;
  auto bob = s.bob;
  auto check = [t, bob] { expect_equal(t.send(bob).get(), t, "send + get"); };
  return validated(check, [r, t, bob, batch] {
    return mean_of(batch, [&] {
      stopwatch sw;
      auto p = t.send(bob);
      settle(*r);
      auto secs = sw.seconds();
      p = pointer<tensor>{};
      settle(*r);
      return secs;
    });
  });
}

sampler op_sampler(runtime& rt, const site& s, tensor t, size_t batch) {
  return op_round_trip(rt, t.send(s.bob), t.send(s.bob), t + t, batch,
                       "x + y on " + s.bob.name());
}

sampler get_sampler(runtime& rt, const site& s, tensor t, size_t batch) {
  auto* r = &rt;
  auto bob = s.bob;
  return [r, t, bob, batch] {
    return mean_of(batch, [&] {
      auto p = t.send(bob);
      settle(*r);
      stopwatch sw;
      auto x = p.get();
      auto secs = sw.seconds();
      expect_equal(x, t, "get");
      return secs;
    });
  };
}

sampler move_sampler(runtime& rt, const site& s, tensor t, size_t batch) {
  struct state {
    pointer<tensor> p;
    bool at_bob = true;
  };
  auto st = std::make_shared<state>();
  st->p = t.send(s.bob);
  auto* r = &rt;
  auto bob = s.bob;
  auto alice = s.alice;
  auto check = [t, bob, alice] {
    auto p = t.send(bob);
    p.move(alice);
    expect_equal(p.get(), t, "send + move + get");
  };
  return validated(check, [r, st, bob, alice, batch] {
    return mean_of(batch, [&] {
      auto& dest = st->at_bob ? alice : bob;
      stopwatch sw;
      st->p.move(dest);
      settle(*r);
      auto secs = sw.seconds();
      if (!same_worker(st->p.location(), dest.ref()))
        throw std::runtime_error("move to " + dest.name() +
                                 " failed: " + render(st->p.error()));
      st->at_bob = !st->at_bob;
      return secs;
    });
  });
}

sampler async_op_sampler(runtime& rt, const site& s, tensor t, size_t batch) {
  auto x = t.send(s.bob);
  auto y = t.send(s.bob);
  return async_get_loop(
    rt, batch, [x, y] { return x + y; }, t + t, "async::get(x + y)");
}

sampler async_send_get_sampler(runtime& rt, const site& s, tensor t,
                               size_t batch) {
  auto bob = s.bob;
  return async_get_loop(
    rt, batch, [t, bob] { return t.send(bob); }, t, "async::get(send)");
}

sampler chain_sampler(runtime& rt, const site& s, tensor t, size_t depth,
                      size_t batch) {
  if (depth < 1 || depth > max_depth || s.chain.size() < depth) {
    auto why = "no chain of depth " + std::to_string(depth) + " on " + s.where +
               " (" + std::to_string(s.chain.size()) + " chain workers)";
    return [why]() -> double { throw std::runtime_error(why); };
  }
  return chain_dispatch(rt, s, t, depth, batch,
                        std::make_index_sequence<max_depth>{});
}

sampler pipelined_kept_sampler(runtime& rt, const site& s, tensor t, size_t n) {
  auto* r = &rt;
  auto x = t.send(s.bob);
  auto y = t.send(s.bob);
  auto want = t + t;
  return [r, x, y, want, n] {
    std::vector<pointer<tensor>> keep;
    keep.reserve(n);
    stopwatch sw;
    for (size_t i = 0; i < n; ++i)
      keep.push_back(x + y);
    auto v = keep.back().get();
    settle(*r);
    auto secs = sw.seconds();
    expect_equal(v, want, "pipelined x + y");
    keep.clear();
    settle(*r);
    return secs / static_cast<double>(n);
  };
}

sampler pipelined_chained_sampler(runtime& rt, const site& s, tensor t,
                                  size_t n) {
  auto* r = &rt;
  auto x = t.send(s.bob);
  auto want = t + static_cast<double>(n);
  return [r, x, want, n] {
    stopwatch sw;
    auto acc = x + 1;
    for (size_t i = 1; i < n; ++i)
      acc = acc + 1;
    auto v = acc.get();
    settle(*r);
    auto secs = sw.seconds();
    expect_equal(v, want, "pipelined acc = acc + 1");
    return secs / static_cast<double>(n);
  };
}

} // namespace workers::bench
