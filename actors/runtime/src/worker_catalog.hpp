#pragma once

// Serving what describes objects rather than computing on them: tags,
// search (by tags or by id), keep, plan definitions and clear.
//
// Part of the worker actor (worker_actor.hpp): plain functions over the
// worker's state, called by its handlers in worker_actor.cpp and by each
// other. Internal to workers::actors; not installed.

#include "workers/actors/worker_actor.hpp"

namespace workers::worker_detail {

// tag: adds `tags` to `id`, waiting for it like an operation would (the
// object may still be on its way: a tag right after a move or an exec).
void serve_tag(worker_pointer self,
               caf::typed_response_promise<caf::ok_atom> rp, requester who,
               object_id id, std::vector<std::string> tags, bool final);

// search: the hits for `found` (the ids a search by tags or by id matched
// for the asker), each retained for a fresh holder the reply names, with
// its tags, dtype and shape. Called by the two search handlers; never fails.
std::vector<search_hit> serve_search(worker_pointer self,
                                     const std::vector<object_id>& found);

// clear: from an admin (or with rules off), drops every object and plan,
// leaving the worker as new; from anyone else, what is theirs. Answers ok
// once the releases it cascades into are answered.
void serve_clear(worker_pointer self,
                 caf::typed_response_promise<caf::ok_atom> rp,
                 const requester& who);

// keep: `holder`'s object `id` outlives its handles (no collection). Only
// the owner may; answers ok, not_permitted (recorded) or the store's error.
caf::result<caf::ok_atom> serve_keep(worker_pointer self, const requester& who,
                                     object_id id, object_id holder);

// define: stores plan `p` as `plan_id` for `who`, after the access rules
// (admin-plans; only the owner redefines) and validation (plan.hpp).
// Answers ok, not_permitted (recorded) or the validation error.
caf::result<caf::ok_atom> serve_define(worker_pointer self,
                                       const requester& who, object_id plan_id,
                                       plan p);

} // namespace workers::worker_detail
