#include "workers/bench/window_driver.hpp"

#include <future>
#include <memory>
#include <stdexcept>

#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "workers/bench/stopwatch.hpp"
#include "workers/error.hpp"

namespace workers::bench {

namespace {

struct driver_state {
  static inline const char* name = "workers.bench.window_driver";
  size_t started = 0;
  size_t finished = 0;
  bool over = false;
  stopwatch clock;
  std::function<void()> start_one;
};

caf::behavior window_driver(caf::stateful_actor<driver_state>* self,
                            async_step step, size_t n, size_t window,
                            outcome_promise result) {
  auto finish = [self, result](caf::error err) {
    if (self->state.over)
      return;
    self->state.over = true;
    result->set_value(
      driven_outcome{std::move(err), self->state.clock.seconds()});
    self->quit();
  };
  auto on_done = [self, n, finish](const caf::error& err) {
    if (self->state.over)
      return;
    if (err) {
      finish(err);
      return;
    }
    if (++self->state.finished == n)
      finish(caf::error{});
    else if (self->state.started < n)
      self->state.start_one();
  };
  self->state.start_one = [self, step, on_done] {
    ++self->state.started;
    step(self, on_done);
  };
  self->state.clock.restart();
  if (n == 0)
    finish(caf::error{});
  for (size_t i = 0; i < window && i < n && !self->state.over; ++i)
    self->state.start_one();
  return {[](caf::ok_atom) {}};
}

} // namespace

double await_driven(const std::function<caf::actor(outcome_promise)>& spawn,
                    const std::string& what, caf::timespan bound) {
  auto result = std::make_shared<std::promise<driven_outcome>>();
  auto done = result->get_future();
  auto driver = spawn(result);
  if (done.wait_for(bound) != std::future_status::ready) {
    caf::anon_send_exit(driver, caf::exit_reason::kill);
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(bound);
    throw std::runtime_error(what + " did not finish within " +
                             std::to_string(secs.count()) + " s");
  }
  auto x = done.get();
  if (x.err)
    throw std::runtime_error(what + ": " + render(x.err));
  return x.seconds;
}

double run_window(caf::actor_system& sys, async_step step, size_t n,
                  size_t window, caf::timespan bound) {
  auto spawn = [&](outcome_promise result) -> caf::actor {
    return sys.spawn(window_driver, std::move(step), n,
                     window == 0 ? 1 : window, std::move(result));
  };
  return await_driven(
    spawn, "actor-driven run of " + std::to_string(n) + " operations", bound);
}

} // namespace workers::bench
