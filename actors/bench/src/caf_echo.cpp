#include "workers/bench/caf_echo.hpp"

#include <stdexcept>

#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "workers/bench/stopwatch.hpp"
#include "workers/error.hpp"

namespace workers::bench {

echo_actor::behavior_type echo_impl() {
  return {
    [](ping_atom, tensor& x) { return std::move(x); },
  };
}

double echo_blocking(caf::scoped_actor& self, const echo_actor& echo,
                     const tensor& payload, caf::timespan timeout, size_t n) {
  stopwatch sw;
  for (size_t i = 0; i < n; ++i) {
    caf::error err;
    bool same = true;
    self->request(echo, timeout, ping_atom::value, payload)
      .receive([&](tensor& x) { same = x.nbytes() == payload.nbytes(); },
               [&](caf::error& e) { err = std::move(e); });
    if (err)
      throw std::runtime_error("bare CAF request failed: " + render(err));
    if (!same)
      throw std::runtime_error("bare CAF echo returned another tensor");
  }
  return sw.seconds();
}

async_step echo_step(echo_actor echo, tensor payload, caf::timespan timeout,
                     bool bounded) {
  auto d = bounded ? caf::duration{timeout} : caf::duration{caf::infinite};
  return [echo, payload, d](caf::event_based_actor* self, step_done done) {
    auto n = payload.nbytes();
    self->request(echo, d, ping_atom::value, payload)
      .then(
        [done, n](tensor& x) {
          done(x.nbytes() == n ? caf::error{}
                               : make_error(errc::bad_argument,
                                            "echo returned another tensor"));
        },
        [done](caf::error& err) { done(err); });
  };
}

namespace {

struct burst_state {
  static inline const char* name = "workers.bench.echo_burst";
  size_t answers = 0;
  stopwatch clock;
};

caf::behavior echo_burst(caf::stateful_actor<burst_state>* self,
                         echo_actor echo, tensor payload, size_t n,
                         outcome_promise result) {
  self->state.clock.restart();
  for (size_t i = 0; i < n; ++i)
    self->send(echo, ping_atom::value, payload);
  return {
    [self, n, result](tensor&) {
      if (++self->state.answers == n) {
        result->set_value(driven_outcome{{}, self->state.clock.seconds()});
        self->quit();
      }
    },
  };
}

} // namespace

double echo_send_burst(caf::actor_system& sys, const echo_actor& echo,
                       const tensor& payload, size_t n, caf::timespan bound) {
  auto spawn = [&](outcome_promise result) -> caf::actor {
    return sys.spawn(echo_burst, echo, payload, n, std::move(result));
  };
  return await_driven(spawn, std::to_string(n) + " pings sent at once", bound);
}

} // namespace workers::bench
