#pragma once

// Serving data that arrives or leaves: put (small and large tensors), get,
// move (worker to worker, never through the caller), remote_get and
// remote_send (data_flow.hpp), and the fate of an object that failed on
// its way (gone).
//
// Part of the worker actor (worker_actor.hpp): plain functions over the
// worker's state, called by its handlers in worker_actor.cpp and by each
// other. Internal to workers::actors; not installed.

#include "workers/actors/worker_actor.hpp"

namespace workers::worker_detail {

// Stores what a put from `who` brought (R1), owned as admit_policy says,
// and serves the requests waiting for it.
caf::error store_put(worker_pointer self, const requester& who, object_id id,
                     stored_value value, object_id holder);

// get: takes `holder`'s reference to `id` (protocol.hpp, R4).
void serve_take(worker_pointer self,
                caf::typed_response_promise<taken_value> rp, requester who,
                object_id id, object_id holder, std::string taker, bool remote,
                bool final);

// remote_get: fetches what the pointer entry `id` (held by `holder`) names
// to this worker as `new_id`, held by `new_holder` (data_flow.hpp, G1-G4).
// Answers ok once settled; on any failure the entry stays as it was and
// `rp` gets the error naming both workers.
void serve_remote_get(worker_pointer self,
                      caf::typed_response_promise<caf::ok_atom> rp,
                      requester who, object_id id, object_id holder,
                      object_id new_id, object_id new_holder, bool final);

// remote_send: moves `holder`'s share of `id` to `dest` as `dest_id` and
// keeps a pointer entry `entry` to it, held by `new_holder`
// (data_flow.hpp, S1-S3). The move is serve_move's, decided for `who`.
// Answers ok once settled; on failure the data stays here and `rp` gets the
// error.
void serve_remote_send(worker_pointer self,
                       caf::typed_response_promise<caf::ok_atom> rp,
                       requester who, object_id id, object_id holder,
                       worker_ref dest, object_id dest_id, object_id entry,
                       object_id new_holder, bool final);

// put of a large tensor (blob_ref, B2): refuses it before a byte is read if
// above the size limit (limits.hpp, Z2), else reads it in chunks from the
// sender's data plane and stores it when complete (store_put). Answers ok,
// or the error of the limit or of the transfer; either way `id` is failed
// here so that requests waiting for it end.
void serve_put_blob(worker_pointer self,
                    caf::typed_response_promise<caf::ok_atom> rp, requester who,
                    object_id id, blob_ref blob, object_id holder);

// gone: a move's source reports `id` gone, or a client a move that failed,
// so `id` is failed here with `why` -- unless it arrived after all (then
// duplicate_id). Answers ok otherwise.
caf::result<caf::ok_atom> serve_gone(worker_pointer self, object_id id,
                                     object_id holder, caf::error why);

// move: sends `holder`'s share of `id` to `dest` as `new_id`, directly
// from this worker, and drops it here once the destination acknowledged
// (protocol.hpp, M1-M3). Called by the move handlers (a client's, or a
// worker's serving remote_get for a principal). Answers ok, or
// not_permitted (recorded) or the transfer's error, naming both workers;
// on failure the data stays here.
void serve_move(worker_pointer self,
                caf::typed_response_promise<caf::ok_atom> rp, requester who,
                object_id id, worker_ref dest, object_id new_id,
                object_id holder);

} // namespace workers::worker_detail
