#pragma once

// Serving computation: `exec` (one operation, run here or forwarded down a
// chain) and `run` (a stored plan). The object store computes; both
// requests then end in one outcome handler (settle_outcome):
//   missing  an operand has not arrived: park the request, operands pinned
//            (worker_parking.hpp); at its deadline it fails as unknown;
//   failed   its results fail with the error (so requests waiting for them
//            end); not_permitted is recorded as a refusal (A3);
//   done     its results are here: wake what waits for them, answer ok;
//   forward  (exec only) the operand is a pointer entry: the request goes
//            down the chain first, then the pins go (L2).
//
// Part of the worker actor (worker_actor.hpp): plain functions over the
// worker's state, called by its handlers in worker_actor.cpp. Internal to
// workers::actors; not installed.

#include "workers/actors/worker_actor.hpp"

namespace workers::worker_detail {

// exec: runs `req` for `who`, forwards it along a chain, parks it until its
// operands arrive, or fails it. Called by the exec handler (final = false)
// and by the parking lot's retry (final at the deadline). Answers ok once
// done (for a forwarded request: once the chain answered), or the error.
void serve_exec(worker_pointer self,
                caf::typed_response_promise<caf::ok_atom> rp, requester who,
                op_request req, bool final);

// run: runs the stored plan `r.plan_id` on tensors here for `who`, or parks
// until its inputs land. Called by the run handler and the parking lot's
// retry. Answers ok, or no_such_object (no such plan), not_permitted, or the
// failing step's error; on failure every output fails with it.
void serve_run(worker_pointer self,
               caf::typed_response_promise<caf::ok_atom> rp, requester who,
               plan_run r, bool final);

} // namespace workers::worker_detail
