#pragma once

// The client agent: one small actor per client that follows moves to their
// end. A pointer's move() returns at once; the agent asks the source worker
// to move and, when the answer comes, settles the pointer's state (reverting
// it to the source if the move failed). Blocking-API callers have no mailbox
// of their own, so this is where those answers arrive -- and where the
// workers' acknowledgements of the client's state changes arrive (see
// protocol.hpp, "Acknowledgements").

#include <memory>

#include <caf/timespan.hpp>

#include <caf/typed_event_based_actor.hpp>

#include "workers/client.hpp"

namespace workers {

/// Spawned by the runtime for the client `ctx`. `timeout` bounds each move
/// request; it should exceed the workers' forward_timeout so their own error
/// arrives first.
client_agent_actor::behavior_type
client_agent(client_agent_actor::pointer self, std::weak_ptr<client> ctx,
             caf::timespan timeout);

} // namespace workers
