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
#include <memory>
#include <mutex>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/expected.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/sec.hpp>
#include <caf/timespan.hpp>

#include "workers/error.hpp"
#include "workers/object_id.hpp"
#include "workers/protocol.hpp"

namespace workers {

class pointer_state;

/// "Move holder's reference of source:source_id to dest as dest_id, and
/// update `state` when it is done." Local only: sent by pointers to the
/// client agent of their own process.
struct move_ticket {
  std::shared_ptr<pointer_state> state;
  worker_ref source;
  object_id source_id;
  worker_ref dest;
  object_id dest_id;
  object_id holder;
};

} // namespace workers

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(workers::move_ticket)

namespace workers {

/// The client agent: an actor (actors/client_agent.hpp) that issues move
/// requests on behalf of pointers and settles them when the answer comes, and
/// that receives the workers' acknowledgements of the client's state changes.
using client_agent_actor =
  caf::typed_actor<caf::reacts_to<move_atom, move_ticket>,
                   caf::reacts_to<caf::ok_atom>>;

struct client_options {
  /// Bound of every wait of the blocking API (get, objects, ...).
  caf::timespan request_timeout = std::chrono::seconds(10);
};

class client {
public:
  client(caf::actor_system& sys, std::string name, client_options opts);

  /// Installs the agent (the runtime spawns it right after the client).
  void set_agent(client_agent_actor agent) {
    agent_ = std::move(agent);
  }

  caf::actor_system& system() const noexcept {
    return *sys_;
  }

  /// The caller's name in printed pointers ("me").
  const std::string& name() const noexcept {
    return name_;
  }

  object_id next_id() noexcept {
    return ids_.next();
  }

  caf::timespan timeout() const noexcept {
    return opts_.request_timeout;
  }

  const client_agent_actor& agent() const noexcept {
    return agent_;
  }

  /// False once the runtime shut down: handles then stop sending.
  bool alive() const noexcept {
    return alive_.load();
  }

  void shutdown() noexcept {
    alive_ = false;
  }

  /// Sends a state change (put, exec, release) to `dest` without waiting;
  /// the worker's acknowledgement goes to the agent, which calls end_op().
  /// Called by pointers and their destructors, from any thread.
  template <class... Ts>
  void post(const worker_actor& dest, Ts&&... xs) {
    begin_op();
    caf::send_as(agent_, dest, std::forward<Ts>(xs)...);
  }

  /// Counts one more unacknowledged state change.
  void begin_op();

  /// Called by the agent for each acknowledgement (ok or error).
  void end_op();

  /// Waits until every state change posted so far is acknowledged, bounded
  /// by timeout(). Called by the blocking listings (read-your-writes). On
  /// timeout (a worker died with changes in flight) it forgets them and
  /// returns errc::timeout.
  caf::error barrier();

  /// Blocking request to `dest`, bounded by timeout(). Called by the blocking
  /// API from non-actor threads (never from inside an actor). Turns CAF's
  /// timeouts and dead receivers into errc::timeout / errc::peer_unreachable
  /// naming the worker.
  template <class Result, class... Ts>
  caf::expected<Result> ask(const worker_ref& dest, Ts&&... xs) const {
    if (!alive())
      return make_error(errc::peer_unreachable,
                        "the runtime of " + name_ + " has shut down");
    caf::expected<Result> result{caf::error{}};
    caf::scoped_actor self{*sys_};
    self->request(dest.hdl, timeout(), std::forward<Ts>(xs)...)
      .receive([&](Result& x) { result = std::move(x); },
               [&](caf::error& err) { result = translate(err, dest); });
    return result;
  }

  /// Maps CAF's transport errors to libworkers errors naming `dest`.
  caf::error translate(const caf::error& err, const worker_ref& dest) const;

private:
  caf::actor_system* sys_;
  std::string name_;
  client_agent_actor agent_;
  client_options opts_;
  id_generator ids_;
  std::atomic<bool> alive_{true};
  std::mutex ops_mtx_;
  std::condition_variable ops_done_;
  size_t ops_in_flight_ = 0;
};

} // namespace workers
