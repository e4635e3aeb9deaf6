#pragma once

// The client agent: one small actor per client, the part of "me" that has a
// mailbox. The blocking API has none (it runs on the caller's thread), so
// everything that must be followed up asynchronously goes through here:
// - ask tickets: the blocking API's requests (get, listings), run as guarded
//   requests, so they fail with peer_unreachable as soon as the peer's node
//   is down instead of after their full timeout;
// - move tickets: a pointer's move() returns at once; the agent asks the
//   source to move and settles the pointer (reverting it on failure);
// - acknowledgements: workers answer the client's state changes here
//   (protocol.hpp, "Acknowledgements"); the agent watches every peer the
//   client posts to and forgives the acknowledgements of a peer that died;
// - barriers: it answers a barrier request once the client has no
//   unacknowledged state change left, so that an actor lists a store after
//   its own changes without blocking its thread (workers::async::barrier).

#include <cstdint>
#include <memory>
#include <unordered_map>

#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/timespan.hpp>

#include <caf/stateful_actor.hpp>

#include "workers/bulk.hpp"
#include "workers/client.hpp"

namespace workers {

struct client_agent_state {
  static inline const char* name = "workers.client_agent";
  /// Peers with requests from this agent in flight.
  peer_watch watch;
  /// The process's data plane: stages the client's large tensors for workers
  /// on other nodes, and reads large tensors they send back (bulk.hpp).
  std::shared_ptr<data_plane> plane;
  /// Barrier requests waiting for the client's unacknowledged state changes,
  /// by the id of their timeout message.
  std::unordered_map<uint64_t, caf::response_promise> barriers;
  /// The id of the latest barrier request.
  uint64_t last_barrier = 0;
};

/// Spawned by the runtime for the client `ctx`. `timeout` bounds each move
/// request; it should exceed the workers' forward_timeout so their own error
/// arrives first. `plane` is the process's data plane. Barrier requests are
/// bounded by the client's own timeout.
caf::behavior client_agent(caf::stateful_actor<client_agent_state>* self,
                           std::weak_ptr<client> ctx, caf::timespan timeout,
                           std::shared_ptr<data_plane> plane);

} // namespace workers
