#include "sim/harness.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <random>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include "workers/async.hpp"
#include "workers/client_agent.hpp"
#include "workers/configure.hpp"
#include "workers/pointer.hpp"
#include "workers/worker_actor.hpp"

namespace workers::sim {

namespace {

using namespace std::chrono_literals;

using state_ptr = workers::detail::state_ptr;

// The pointer type of a handle of depth D: pointer<tensor> for 1.
template <size_t D>
struct handle_type {
  using type = pointer<typename handle_type<D - 1>::type>;
};

template <>
struct handle_type<1> {
  using type = pointer<tensor>;
};

std::string error_text(const caf::error& err) {
  if (err.category() == error_category)
    return std::string{"error "} + to_string(static_cast<errc>(err.code()));
  return "error caf:" + caf::to_string(err);
}

// What a get or search answered, filled in by the actor that asked.
struct answer {
  std::optional<std::string> text;
  state_ptr inner; // a get of a pointer to a pointer: the pointer taken home
};

struct slot {
  state_ptr st;
  size_t depth;
};

class harness {
 public:
  harness(const program& p, uint64_t seed) : p_(p), rng_(seed) {
    id_generator::seed_origins(seed);
    configure(cfg_);
    cfg_.set("scheduler.policy", caf::atom("testing"));
    cfg_.set("logger.verbosity", caf::atom("quiet"));
    sys_ = std::make_unique<caf::actor_system>(cfg_);
    sched_ = &dynamic_cast<caf::scheduler::test_coordinator&>(sys_->scheduler());
    client_options copts;
    copts.request_timeout = 10s;
    ctx_ = std::make_shared<client>(*sys_, "me", copts);
    auto plane = std::make_shared<data_plane>();
    agent_ = sys_->spawn(client_agent, std::weak_ptr<client>{ctx_}, 20s, plane);
    ctx_->set_agent(agent_);
    worker_options wopts;
    wopts.plane = plane;
    for (size_t i = 0; i < p.workers; ++i) {
      auto name = "w" + std::to_string(i);
      auto hdl = sys_->spawn(worker_impl, name, wopts);
      workers_.emplace_back(ctx_, worker_ref{hdl, name, {}, 0});
    }
    id_generator::seed_origins(std::nullopt);
  }

  ~harness() {
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

  run_result run() {
    for (size_t i = 0; i < p_.steps.size(); ++i) {
      apply(i, p_.steps[i]);
      run_some();
    }
    slots_.clear();
    quiesce();
    stores(final_step);
    check_bookkeeping();
    return std::move(result_);
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

  void run_some() {
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

  // -- observations -----------------------------------------------------------

  void observe(size_t step, std::string what) {
    result_.observations.push_back({step, std::move(what)});
  }

  void stores(size_t index) {
    for (size_t w = 0; w < workers_.size(); ++w) {
      auto listing = state_of(workers_[w]).store.listing();
      std::vector<std::string> tensors;
      size_t ptrs = 0;
      for (auto& [id, value] : listing.entries) {
        if (value.is_pointer())
          ++ptrs;
        else
          tensors.push_back(format_values(value.as_tensor().to_vector<double>()));
      }
      observe(index, format_store(w, std::move(tensors), ptrs));
    }
  }

  void check_bookkeeping() {
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

  // -- steps ------------------------------------------------------------------

  slot* find(size_t index) {
    auto i = slots_.find(index);
    return i == slots_.end() ? nullptr : &i->second;
  }

  static opcode op_of(step_kind k) {
    switch (k) {
    case step_kind::neg:
      return opcode::neg;
    case step_kind::add:
    case step_kind::add_lit:
      return opcode::add;
    case step_kind::sub:
      return opcode::sub;
    default:
      return opcode::mul;
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
          out.text = "value " + format_values(value.template to_vector<double>());
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

  void get(size_t index, const slot& s) {
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

  void search(size_t index, const step& s) {
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

  void clear(size_t index, const step& s) {
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

  void apply(size_t index, const step& s) {
    switch (s.kind) {
    case step_kind::send: {
      auto t = tensor::from_vector(s.values);
      slots_[index] =
        slot{workers::detail::send_tensor(t, workers_[s.worker]), 1};
      return;
    }
    case step_kind::neg:
    case step_kind::add_lit:
    case step_kind::mul_lit: {
      auto x = find(s.slot);
      if (x == nullptr)
        return;
      if (s.kind == step_kind::neg) {
        slots_[index] = slot{workers::detail::remote_op(op_of(s.kind), {}, x->st,
                                                        nullptr, nullptr, false),
                             x->depth};
        return;
      }
      auto lit = tensor::scalar(s.literal);
      slots_[index] = slot{workers::detail::remote_op(op_of(s.kind), {}, x->st,
                                                      nullptr, &lit, false),
                           x->depth};
      return;
    }
    case step_kind::add:
    case step_kind::sub:
    case step_kind::mul: {
      auto x = find(s.slot);
      auto y = find(s.other);
      if (x == nullptr || y == nullptr)
        return;
      auto yst = y->st;
      slots_[index] = slot{workers::detail::remote_op(op_of(s.kind), {}, x->st,
                                                      &yst, nullptr, false),
                           x->depth};
      return;
    }
    case step_kind::send_ptr: {
      auto x = find(s.slot);
      if (x == nullptr)
        return;
      slots_[index] =
        slot{workers::detail::send_pointer(x->st, workers_[s.worker]),
             x->depth + 1};
      return;
    }
    case step_kind::move: {
      if (auto x = find(s.slot))
        workers::detail::start_move(x->st, workers_[s.worker]);
      return;
    }
    case step_kind::get: {
      if (auto x = find(s.slot)) {
        auto copy = *x;
        get(index, copy);
      }
      return;
    }
    case step_kind::copy:
      if (auto x = find(s.slot)) {
        auto copy = *x;
        slots_[index] = copy;
      }
      return;
    case step_kind::drop:
      slots_.erase(s.slot);
      return;
    case step_kind::tag:
      if (auto x = find(s.slot))
        workers::detail::tag_remote(
          x->st, {"#t" + std::to_string(static_cast<int>(s.literal))});
      return;
    case step_kind::search:
      return search(index, s);
    case step_kind::clear:
      return clear(index, s);
    case step_kind::barrier:
      quiesce();
      return stores(index);
    }
  }

  const program& p_;
  std::mt19937_64 rng_;
  caf::actor_system_config cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  caf::scheduler::test_coordinator* sched_ = nullptr;
  std::shared_ptr<client> ctx_;
  caf::actor agent_;
  std::vector<worker> workers_;
  std::map<size_t, slot> slots_;
  caf::timespan simulated_{0};
  run_result result_;
};

} // namespace

run_result run_harness(const program& p, uint64_t seed) {
  harness h{p, seed};
  return h.run();
}

} // namespace workers::sim
