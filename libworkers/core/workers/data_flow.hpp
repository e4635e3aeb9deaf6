#pragma once

// data_flow: worker-side data flow (PySyft's remote_get and remote_send):
// a worker fetches the data its pointer entry names, or sends data it holds
// on to another worker and keeps a pointer to it. The data goes worker to
// worker, never through the caller; both are built on the move of
// protocol.hpp, so the same lifetime, audit, error and permission rules hold.
//
// Design note
// -----------
// remote_get (message `remote_get_atom, S, P, N, H` to alice, from the client
// holding P's reference to alice:S, a pointer entry naming bob:T):
//   G1 alice forks a reference for the transfer (R2): retain(bob:T, holder N)
//      goes to bob before the move that names it, on the same channel.
//   G2 alice asks bob to move N's reference of T to alice as N, on behalf of
//      the client (move with a principal; access_control.hpp, A1): bob checks
//      the move as it checks a client's move (permits_move, A5) and refuses
//      it where it would refuse the client -- or the middle worker, if bob
//      does not trust it to act for others. T leaves bob if nobody else
//      references it (R4), else bob sends a copy.
//   G3 Once bob answered ok, alice swaps the client's reference: N is held by
//      H (the client's new handle) instead of N, and P's reference to S is
//      released (S goes, cascading its own reference to bob:T, unless others
//      hold S). All in one step of alice's actor: no reference is ever
//      missing, none is left over (settle_remote_get).
//   G4 On failure (refused, T gone, bob gone or silent) alice releases N's
//      reference to bob:T, leaves S as it was and answers the error: the
//      client's pointer to a pointer stays valid.
// remote_send (message `remote_send_atom, X, P, dest, Y, E, H` to bob, from
// the client holding P's reference to bob:X):
//   S1 bob forks a reference for the transfer locally (E holds X), then
//      moves E's reference of X to dest as Y, exactly as a client's move
//      (serve_move: permission, audit, bulk transfer, M3, abort on failure).
//   S2 Once dest acknowledged, bob stores the pointer entry E = ref(dest:Y),
//      held by H (the client's new handle), and releases P's reference to X
//      (settle_remote_send). If nobody else holds X, X is gone from bob; its
//      data now lives on dest only.
//   S3 On failure the data stays on bob, E's fork is released, nothing is
//      created and the client's pointer stays valid (abort_remote_send).
// Both are answered only once settled; the client waits (bounded). The
// caller chooses every new id (N, H, Y, E), as for every creating message
// (R1). A worker sending its own data (loaded by it, found by its admin) is
// remote_send on a pointer the admin found: allowed for admins (A2), and
// a copy goes, since the worker's own reference stays (R4).
//
// Example (me -> alice:S -> bob:T, `auto x = p2x.remote_get();`):
//   me    -> alice: remote_get{S, P, N, H}
//   alice -> bob:   retain{T, N}; move{T, alice, N, N, "me"}
//   bob   -> alice: put{N, tensor, N}   (bob's store: {} if S was T's only
//                   holder)
//   alice:          N held by H; S released (cascade: release{T, S} to bob)
//   alice -> me:    ok; x points at alice:N, a tensor.

#include <caf/error.hpp>

#include "workers/object_id.hpp"
#include "workers/object_store.hpp"
#include "workers/protocol.hpp"

namespace workers {

/// What a remote_get fetches: the target of the pointer entry `id` on
/// `store`. Fails with wrong_kind if `id` is a tensor (nothing to fetch),
/// no_such_object if it is not here, and duplicate_id if `new_id` is in use.
/// Called by the worker serving remote_get, after held_here.
caf::expected<remote_ref> fetch_target(const object_store& store, object_id id,
                                       object_id new_id);

/// G3: the fetched value arrived as `new_id` (held by `new_id` itself):
/// hands it to `new_holder` and releases `holder`'s reference to the entry
/// `id` (cascading into `out`). Fails, changing nothing but dropping the
/// arrival, if `new_id` is not a stored object (its fate moved, M3: the
/// original error). Called by the worker serving remote_get.
caf::error settle_remote_get(object_store& store, object_id id,
                             object_id holder, object_id new_id,
                             object_id new_holder, object_store::time_point now,
                             outbox& out);

/// Checks that `entry` can be created for a remote_send of `id` (not in
/// use: else duplicate_id naming it). Called by the worker before it forks.
caf::error check_remote_send(const object_store& store, object_id id,
                             object_id entry);

/// S2: `dest` acknowledged the data as `dest_id`, held by `entry`: stores
/// the pointer entry `entry` = ref(dest:dest_id) held by `new_holder`, owned
/// as `policy` says, and releases `holder`'s reference to `id` (cascading
/// into `out`; the finished move dropped the fork already). Called by the
/// worker serving remote_send.
caf::error settle_remote_send(object_store& store, object_id id,
                              object_id holder, object_id entry,
                              object_id new_holder, remote_ref target,
                              object_policy policy,
                              object_store::time_point now, outbox& out);

/// S3: the move failed and the data stayed: drops the fork (`entry`'s
/// reference to `id`). Called by the worker serving remote_send.
void abort_remote_send(object_store& store, object_id id, object_id entry,
                       object_store::time_point now, outbox& out);

} // namespace workers
