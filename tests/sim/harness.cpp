#include "sim/harness.hpp"

#include <algorithm>
#include <memory>
#include <optional>
#include <random>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include "sim/driver.hpp"
#include "workers/actors/client_agent.hpp"
#include "workers/actors/worker_actor.hpp"
#include "workers/async.hpp"
#include "workers/configure.hpp"

namespace workers::sim {

namespace {

using namespace std::chrono_literals;

using state_ptr = workers::detail::state_ptr;

// What a get or search answered, filled in by the actor that asked.
struct answer {
  std::optional<std::string> text;
  state_ptr inner; // a get of a pointer to a pointer: the pointer taken home
};

class harness : public driver {
 public:
  harness(const program& p, uint64_t seed) : driver(p), rng_(seed) {
    id_generator::seed_origins(seed);
    configure(cfg_);
    cfg_.set("scheduler.policy", caf::atom("testing"));
    cfg_.set("logger.verbosity", caf::atom("quiet"));
    sys_ = std::make_unique<caf::actor_system>(cfg_);
    sched_ = &dynamic_cast<caf::scheduler::test_coordinator&>(sys_->scheduler());
    // A lease far shorter than the waits of a program (park timeouts), so
    // every program spans many lease periods: a reference that nobody
    // renews (protocol.hpp, F1) lapses and shows as a lost object.
    client_options copts;
    copts.request_timeout = 10s;
    copts.lease = 400ms;
    ctx_ = std::make_shared<client>(*sys_, "me", copts);
    auto plane = std::make_shared<data_plane>();
    agent_ = sys_->spawn(client_agent, std::weak_ptr<client>{ctx_}, 20s, plane);
    ctx_->set_agent(agent_);
    worker_options wopts;
    wopts.plane = plane;
    wopts.lease = copts.lease;
    for (size_t i = 0; i < p.workers; ++i) {
      auto name = "w" + std::to_string(i);
      auto hdl = sys_->spawn(worker_impl, name, wopts);
      workers_.emplace_back(ctx_, worker_ref{hdl, name, {}, 0});
    }
    id_generator::seed_origins(std::nullopt);
  }

  ~harness() override {
    slots_.clear();
    ctx_->shutdown();
    for (auto& w : workers_)
      caf::anon_send_exit(w.handle(), caf::exit_reason::user_shutdown);
    caf::anon_send_exit(agent_, caf::exit_reason::user_shutdown);
    workers_.clear();
    agent_ = nullptr;
    sched_->run();
    sys_->await_actors_before_shutdown(false);
  }

 private:
  // -- scheduling -------------------------------------------------------------

  size_t draw(size_t n) {
    return std::uniform_int_distribution<size_t>{0, n - 1}(rng_);
  }

  // Delivers one pending message, to an actor chosen at random.
  bool step_once() {
    auto& jobs = sched_->jobs;
    if (jobs.empty())
      return false;
    auto i = jobs.begin() + static_cast<ptrdiff_t>(draw(jobs.size()));
    std::rotate(jobs.begin(), i, i + 1);
    sched_->run_once();
    return true;
  }

  void between_steps() override {
    for (auto n = draw(8); n > 0 && step_once(); --n)
      ; // nop
  }

  // Time moves only when nothing else can: 100 ms at a time.
  bool advance() {
    if (!sched_->has_pending_timeout() || simulated_ >= 300s)
      return false;
    simulated_ += 100ms;
    sched_->advance_time(100ms);
    return true;
  }

  template <class Predicate>
  void run_until(Predicate done, const char* what) {
    while (!done())
      if (!step_once() && !advance()) {
        result_.problems.push_back(std::string{"stuck waiting for "} + what);
        return;
      }
  }

  bool anything_waits() {
    for (auto& w : workers_) {
      auto& st = state_of(w);
      if (st.lot.size() > 0 || !st.forwarding.empty())
        return true;
    }
    return ctx_->unacknowledged() > 0;
  }

  // Runs until no message is pending and nothing waits for one.
  void quiesce() {
    for (;;) {
      while (step_once())
        ; // nop
      if (!anything_waits() || !advance())
        break;
    }
    if (anything_waits())
      result_.problems.push_back("never quiet: requests still wait");
  }

  worker_state& state_of(const worker& w) {
    auto ptr = caf::actor_cast<caf::abstract_actor*>(w.handle());
    return dynamic_cast<std::remove_pointer_t<worker_pointer>&>(*ptr).state;
  }

  // -- waiting steps ----------------------------------------------------------

  void stores(size_t index) {
    for (size_t w = 0; w < workers_.size(); ++w)
      observe_store(index, w, state_of(workers_[w]).store.listing());
  }

  // Each tick delivers everything in flight (links are slow, not
  // stalled), then lets 100 ms pass: leases run out unless renewed.
  void idle(size_t ticks) override {
    for (size_t k = 0; k < ticks; ++k) {
      while (step_once())
        ; // nop
      simulated_ += 100ms;
      sched_->advance_time(100ms);
    }
  }

  void crash(size_t) override {
    result_.problems.push_back("crash steps need node processes (--faults)");
  }

  void barrier(size_t index) override {
    quiesce();
    stores(index);
  }

  void finish() override {
    quiesce();
    stores(final_step);
    // Every record that makes releases idempotent is reclaimed by the
    // protocol, not by time: nothing may be left once the system is quiet.
    for (auto& w : workers_) {
      auto& st = state_of(w);
      auto o = st.store.overhead();
      auto say = [&](const std::string& what, size_t n) {
        if (n > 0)
          result_.problems.push_back(w.name() + " keeps " + std::to_string(n) +
                                     " " + what);
      };
      say("pinning requests", o.pinning_requests);
      say("tombstones", o.tombstones);
      say("early records", o.early_records);
      say("expectations", o.expectations);
      say("parked requests", st.lot.size());
      say("forwarding entries", st.forwarding.size());
    }
  }

  template <size_t D>
  void ask_get(caf::event_based_actor* self, const state_ptr& st,
               answer& out) {
    using handle = typename handle_type<D>::type;
    async::get(
      self, handle{st},
      [self, &out](auto value) {
        if constexpr (std::is_same_v<decltype(value), tensor>) {
          out.text = value_text(value);
        } else {
          out.text = "pointer";
          out.inner = value.state();
        }
        self->quit();
      },
      [self, &out](const caf::error& err) {
        out.text = error_text(err);
        self->quit();
      });
  }

  void get(size_t index, const slot& s) override {
    answer out;
    auto st = s.st;
    auto depth = s.depth;
    sys_->spawn([this, st, depth, &out](caf::event_based_actor* self) {
      switch (depth) {
      case 1:
        ask_get<1>(self, st, out);
        break;
      case 2:
        ask_get<2>(self, st, out);
        break;
      case 3:
        ask_get<3>(self, st, out);
        break;
      default:
        ask_get<4>(self, st, out);
      }
    });
    run_until([&] { return out.text.has_value(); }, "a get");
    observe(index, out.text.value_or("error stuck"));
    if (out.inner)
      slots_[index] = slot{out.inner, depth - 1};
  }

  // The blocking API's search and clear first wait until every state
  // change sent before is acknowledged (read-your-writes).
  void settle_posts() {
    run_until([this] { return ctx_->unacknowledged() == 0; },
              "acknowledgements");
  }

  void search(size_t index, const step& s) override {
    settle_posts();
    answer out;
    auto w = workers_[s.worker];
    auto tags = std::vector<std::string>{"#t" + std::to_string(int(s.literal))};
    auto ctx = ctx_;
    sys_->spawn([w, tags, ctx, &out](caf::event_based_actor* self) {
      self->request(w.handle(), 10s, search_atom::value, tags)
        .then(
          [self, w, ctx, &out](std::vector<search_hit>& hits) {
            out.text = "hits " + std::to_string(hits.size());
            for (auto& hit : hits) // dropped at once: releases each
              std::make_shared<pointer_state>(ctx, w.ref(), hit.id, hit.holder);
            self->quit();
          },
          [self, &out](caf::error& err) {
            out.text = error_text(err);
            self->quit();
          });
    });
    run_until([&] { return out.text.has_value(); }, "a search");
    observe(index, out.text.value_or("error stuck"));
  }

  void clear(size_t index, const step& s) override {
    quiesce();
    stores(index);
    bool done = false;
    auto w = workers_[s.worker];
    sys_->spawn([w, &done](caf::event_based_actor* self) {
      self->request(w.handle(), 10s, clear_atom::value)
        .then([self, &done](caf::ok_atom) { done = true; self->quit(); },
              [self, &done](caf::error&) { done = true; self->quit(); });
    });
    run_until([&] { return done; }, "a clear");
    quiesce();
  }

  std::mt19937_64 rng_;
  caf::actor_system_config cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  caf::scheduler::test_coordinator* sched_ = nullptr;
  std::shared_ptr<client> ctx_;
  caf::actor agent_;
  caf::timespan simulated_{0};
};

} // namespace

run_result run_harness(const program& p, uint64_t seed) {
  harness h{p, seed};
  return h.run();
}

} // namespace workers::sim
