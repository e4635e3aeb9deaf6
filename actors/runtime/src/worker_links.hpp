#pragma once

// Links to other workers: every message to a peer worker goes through
// send_to, which makes sure the two nodes have one direct link first (so
// messages to one peer keep their order), and flush, which sends the
// retains and releases the object store asks for.
//
// Part of the worker actor (worker_actor.hpp): plain functions over the
// worker's state, called by its handlers in worker_actor.cpp and by each
// other. Internal to workers::actors; not installed.

#include "workers/actors/worker_actor.hpp"

namespace workers::worker_detail {

// Runs the sends queued for a link to `addr` (see send_to), if any.
void release_sends(worker_pointer self, const caf::actor_addr& addr);

// Runs `send` once `peer`'s node is directly connected (or the attempt
// failed): the first contact with a peer monitors it and makes sure the two
// nodes have a direct link, and sends to it wait until that settles. CAF
// would otherwise route through whoever introduced the two nodes and switch
// to a direct link later, and messages across such a switch can overtake
// each other -- which would let a release overtake an operation on the
// object.
//
// Of two nodes, only the one with the smaller node id ever dials the other
// (the other asks it to, with `dial`). CAF 0.17 handles two links opened in
// opposite directions badly: each side may pick a different one as its
// route, each link then carries traffic one way only, and the middleman's
// connection timeout closes a link the other side still routes over, which
// kills every proxy of that node (remote_link_unreachable) although both
// processes are alive. One dialing direction leaves at most one link.
void send_to(worker_pointer self, const worker_ref& peer,
             std::function<void()> send);

// Runs `f` on this worker after `delay` (on_tick), without blocking it.
void defer(worker_pointer self, caf::timespan delay, std::function<void()> f);

// Monitors and connects to the worker a pointer entry names, so its death is
// known here at once and data to it goes directly.
void watch_target(worker_pointer self, const stored_value& value);

// Sends the retains/releases the store asked for, fire-and-forget; or, with
// `done`, sends the releases as requests and calls `done` once all of them
// (and, recursively, their own cascades) are answered.
void flush(worker_pointer self, outbox& out,
           std::function<void()> done = nullptr);

// This worker as others reach it: its handle, name and node address (empty
// in a process that is not a node). Called by serve_remote_get for the
// destination of the move it asks for.
worker_ref self_ref(worker_pointer self);

// dial: opens a direct link to the node at host:port, for a worker on a
// node with a larger id that needs one (send_to). The gate dials only hosts
// of the cluster (gate.dial-hosts). Answers ok, or peer_unreachable naming
// the address (also when this worker is not on the network).
void serve_dial(worker_pointer self,
                caf::typed_response_promise<caf::ok_atom> rp,
                const std::string& host, uint16_t port);

// A peer this worker monitors went down (down handler): fails what waits
// for it, and the sends queued for a link to it, at once, and logs `reason`
// (info). If pointer
// entries here name it on another node, looks for it again (refind): a
// node restarted from its snapshot serves the same objects under the same
// ids, from a new handle. Never fails.
void on_peer_down(worker_pointer self, const caf::actor_addr& addr,
                  const caf::error& reason);

// Looks up `lost` (a worker on another node, by name) in the directory at
// its node's address after `delay`, and on success points the entries that
// name it at the new handle (object_store::rebind), logging it. If the
// node does not answer (not back yet), tries again with twice the delay
// (at most 5 s) until `give_up`; then the entries keep failing with
// peer_unreachable, as before. Called by on_peer_down; never fails.
void refind(worker_pointer self, worker_ref lost, caf::timespan delay,
            caf::timespan left);

} // namespace workers::worker_detail
