#pragma once

// client: the caller's side of the protocol, "me" in the printed pointers.
//
// Holds what every pointer handle needs: the actor system (for blocking
// waits), a generator for the ids the caller chooses, the timeout that bounds
// every wait, and the client agent (actors/) that follows moves to their end.
// Pointers share the client through a shared_ptr; after `shutdown()` (the
// runtime going away) their destructors stop sending releases.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/expected.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/sec.hpp>
#include <caf/send.hpp>
#include <caf/timespan.hpp>

#include <caf/event_based_actor.hpp>

#include "workers/bulk.hpp"
#include "workers/error.hpp"
#include "workers/object_id.hpp"
#include "workers/peer_watch.hpp"
#include "workers/pointer_state.hpp"
#include "workers/protocol.hpp"

namespace workers {

/// "Move the reference of `state` along `leg` (from where its data is to
/// leg.dest as leg.dest_id), and update `state` when it is done." Local
/// only: sent by pointers to the client agent of their own process.
struct move_ticket {
  std::shared_ptr<pointer_state> state;
  pointer_state::move_leg leg;
};

/// "Run this request to a worker and answer with its reply." Local only:
/// both APIs hand their requests to the client agent, which runs them as
/// guarded requests (peer_watch.hpp) so a dead node fails them at once, and
/// answers through `rp`.
struct ask_ticket {
  std::function<void(caf::event_based_actor*, peer_watch&, const data_plane*,
                     caf::response_promise&)>
    run;
};

using ask_atom = caf::atom_constant<caf::atom("ask")>;
using barrier_atom = caf::atom_constant<caf::atom("barrier")>;
using stage_atom = caf::atom_constant<caf::atom("stage")>;
using watch_atom = caf::atom_constant<caf::atom("watch")>;

} // namespace workers

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(workers::move_ticket)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(workers::ask_ticket)

namespace workers {

/// The client agent (actors/client_agent.hpp), a local actor that
/// - runs the blocking API's requests (ask_ticket) and move requests
///   (move_ticket), failing them at once when a peer's node goes down;
/// - receives the workers' acknowledgements of the client's state changes
///   (ok_atom or an error) and watches the peers they come from (watch_atom);
/// - answers barrier requests (barrier_atom) with ok once every state change
///   is acknowledged: the non-blocking barrier() of workers::async.
/// Dynamically typed: it only ever talks to its own process.
using client_agent_actor = caf::actor;

struct client_options {
  /// Bound of every wait of the blocking API (get, objects, ...).
  caf::timespan request_timeout = std::chrono::seconds(10);
  /// The workers' lease (worker_options::lease): the agent renews the
  /// references of every live handle every quarter of it.
  caf::timespan lease = std::chrono::seconds(30);
};

class client {
 public:
  client(caf::actor_system& sys, std::string name, client_options opts);

  /// Installs the agent (the runtime spawns it right after the client).
  void set_agent(client_agent_actor agent) { agent_ = std::move(agent); }

  caf::actor_system& system() const noexcept { return *sys_; }

  /// The caller's name in printed pointers ("me").
  const std::string& name() const noexcept { return name_; }

  /// A fresh object id. Called by whatever creates objects.
  object_id next_id() noexcept { return ids_.next(); }

  /// A fresh holder id (a handle's reference): from an origin of its own,
  /// which no object id shows, so nobody who sees this client's object ids
  /// can derive its references (protocol.hpp).
  object_id next_holder() noexcept { return holder_ids_.next(); }

  caf::timespan timeout() const noexcept { return opts_.request_timeout; }

  caf::timespan lease() const noexcept { return opts_.lease; }

  /// Registers a live handle's state (its constructor): the agent renews
  /// its references until untrack (its destructor). Thread-safe.
  void track(const pointer_state* st);

  void untrack(const pointer_state* st);

  /// The references of every tracked handle, grouped by worker: what the
  /// agent sends in one renew message per worker (protocol.hpp, F1).
  std::vector<std::pair<worker_ref, std::vector<lease_claim>>> claims() const;

  const client_agent_actor& agent() const noexcept { return agent_; }

  /// False once the runtime shut down: handles then stop sending.
  bool alive() const noexcept { return alive_.load(); }

  void shutdown() noexcept { alive_ = false; }

  /// Sends a state change (put, exec, release) to `dest` without waiting;
  /// the worker's acknowledgement goes to the agent, which calls end_op().
  /// Called by pointers and their destructors, from any thread.
  template <class... Ts>
  void post(const worker_ref& dest, Ts&&... xs) {
    begin_op(dest);
    caf::send_as(agent_, dest.hdl, std::forward<Ts>(xs)...);
  }

  /// Counts one more unacknowledged state change to `dest` (and has the
  /// agent watch `dest` the first time).
  void begin_op(const worker_ref& dest);

  /// Called by the agent for each acknowledgement (ok or error) from `peer`.
  void end_op(const caf::actor_addr& peer);

  /// Called by the agent when `peer` is down: its acknowledgements will
  /// never come (neither for what was posted before nor after).
  void forgive(const caf::actor_addr& peer);

  /// Waits until every state change posted so far is acknowledged, bounded
  /// by timeout(). Called by the blocking listings (read-your-writes). On
  /// timeout (a worker died with changes in flight) it forgets them and
  /// returns errc::timeout.
  caf::error barrier();

  /// How many posted state changes are not acknowledged yet (the count
  /// barrier() waits on). Never blocks; for tests, the simulation and the
  /// agent, which answers barrier requests when it reaches zero.
  size_t unacknowledged() const;

  /// Forgets every unacknowledged state change (their acknowledgements are
  /// no longer waited for) and returns errc::timeout naming how many there
  /// were, or no error if there were none. Called when a barrier times out:
  /// by barrier() and by the agent.
  caf::error abandon_unacknowledged();

  /// A ticket that has the agent send `xs...` to `dest` and answer with the
  /// worker's `Result` (or the error). Used by ask() and by workers::async.
  template <class Result, class... Ts>
  ask_ticket make_ask(const worker_ref& dest, Ts&&... xs) const {
    auto args = std::make_tuple(std::forward<Ts>(xs)...);
    auto bound = timeout();
    return ask_ticket{
      [args, dest, bound](caf::event_based_actor* self, peer_watch& watch,
                          const data_plane* plane, caf::response_promise& rp) {
        auto* w = &watch;
        // [=]: only the taken_value branch uses self, w, plane, bound and
        // args (explicit captures would be unused for other results).
        auto on_value = [=](Result& x) mutable {
          if constexpr (std::is_same_v<Result, taken_value>) {
            if (x.blob.valid()) {
              // A large tensor from another node: read it first, then
              // confirm delivery by releasing the reference the worker
              // kept for it (protocol.hpp, D1).
              auto blob = x.blob;
              auto id = std::get<1>(args);
              fetch_blob(
                self, *w, plane, blob, bound,
                [rp, x, dest, id](tensor t) mutable {
                  x.value = stored_value{std::move(t)};
                  x.blob = blob_ref{};
                  caf::anon_send(dest.hdl, release_atom::value, id, x.holder);
                  rp.deliver(std::move(x));
                },
                [rp](caf::error err) mutable { rp.deliver(std::move(err)); });
              return;
            }
          }
          rp.deliver(std::move(x));
        };
        std::apply(
          [&](const auto&... ys) {
            guarded_request<Result>(
              self, watch, dest.hdl, dest.name, bound, on_value,
              [rp](caf::error err) mutable { rp.deliver(std::move(err)); },
              ys...);
          },
          args);
      }};
  }

  /// How long to wait for the agent's answer to an ask: its own bound plus a
  /// margin, so the worker's error (not a local timeout) arrives first.
  caf::timespan ask_timeout() const noexcept {
    return timeout() + std::chrono::seconds(1);
  }

  /// Blocking request to `dest`, bounded by timeout(). Called by the blocking
  /// API from non-actor threads (never from inside an actor). The agent runs
  /// it, so it fails with errc::peer_unreachable as soon as `dest`'s node is
  /// known down, and with errc::timeout naming the worker otherwise.
  template <class Result, class... Ts>
  caf::expected<Result> ask(const worker_ref& dest, Ts&&... xs) const {
    std::vector<std::pair<worker_ref, ask_ticket>> one;
    one.emplace_back(dest, make_ask<Result>(dest, std::forward<Ts>(xs)...));
    return std::move(ask_all<Result>(std::move(one)).front());
  }

  /// Several blocking requests at once, each a worker and a ticket from
  /// make_ask<Result> for it: all are sent before the first answer is
  /// awaited, so they wait side by side, together bounded by one
  /// ask_timeout(). Returns one answer or error per request, in order,
  /// failing each as ask() does. Called by ask() and by multi_pointer
  /// (take_all_blocking, in-place fan-out) from non-actor threads.
  template <class Result>
  std::vector<caf::expected<Result>>
  ask_all(std::vector<std::pair<worker_ref, ask_ticket>> asks) const {
    std::vector<caf::expected<Result>> results;
    results.reserve(asks.size());
    for (auto& ask : asks)
      results.emplace_back(
        alive() ? make_error(errc::timeout, "no usable answer "
                                            "from " +
                                              ask.first.name)
                : make_error(errc::peer_unreachable,
                             "the runtime of " + name_ + " has shut down"));
    if (!alive())
      return results;
    caf::scoped_actor self{*sys_};
    using handle = decltype(self->request(agent_, ask_timeout(),
                                          ask_atom::value, ask_ticket{}));
    std::vector<handle> pending;
    pending.reserve(asks.size());
    for (auto& ask : asks)
      pending.push_back(self->request(agent_, ask_timeout(), ask_atom::value,
                                      std::move(ask.second)));
    // Never an expected with an empty error: if an answer is neither a
    // Result nor an error (or an empty error), its entry says so.
    for (size_t i = 0; i < pending.size(); ++i) {
      auto& result = results[i];
      auto& dest = asks[i].first;
      pending[i].receive([&](Result& x) { result = std::move(x); },
                         [&](caf::error& err) {
                           if (err)
                             result = translate(err, dest);
                         });
    }
    return results;
  }

  /// Records `ref` (from a directory lookup at its node's address) as the
  /// current handle of the worker with its name at that address: handles
  /// that name the same worker and address with another (dead) handle --
  /// the worker's node restarted from a snapshot -- are sent to `ref.hdl`
  /// from now on (snapshot.hpp, S4). Called by runtime::connect; refs
  /// without a node address are ignored. Thread-safe.
  void rebind(const worker_ref& ref);

  /// `x` with the handle rebind() recorded for its name and address, or
  /// `x` itself. Called by pointer states whenever they hand out their
  /// target. Thread-safe; its lock is taken last (under a state's own).
  worker_ref current(const worker_ref& x) const;

  /// Maps CAF's transport errors to libworkers errors naming `dest`.
  caf::error translate(const caf::error& err, const worker_ref& dest) const;

 private:
  /// abandon_unacknowledged() with ops_mtx_ held.
  caf::error abandon_locked();

  caf::actor_system* sys_;
  std::string name_;
  client_agent_actor agent_;
  client_options opts_;
  id_generator ids_;
  id_generator holder_ids_;
  std::atomic<bool> alive_{true};
  mutable std::mutex ops_mtx_;
  std::condition_variable ops_done_;
  size_t ops_in_flight_ = 0;
  std::unordered_map<caf::actor_addr, size_t> ops_by_peer_;
  /// Peers reported down: their acknowledgements will never come, so state
  /// changes posted to them later are not counted.
  std::unordered_set<caf::actor_addr> down_peers_;
  /// Live handle states (track/untrack). Lock order: tracked_mtx_, then a
  /// state's own mutex (claims); a state never calls in with its own held.
  mutable std::mutex tracked_mtx_;
  std::unordered_set<const pointer_state*> tracked_;
  /// rebind(): the current handle per (name, host, port).
  mutable std::mutex rebind_mtx_;
  std::map<std::tuple<std::string, std::string, uint16_t>, worker_actor>
    rebound_;
  std::atomic<bool> any_rebound_{false};
};

} // namespace workers
