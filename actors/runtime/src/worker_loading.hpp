#pragma once

// Serving `load`: a dataset read with a source the spawner registered
// (data_source.hpp) in a detached helper, and kept as the worker's own
// objects with their tags and policies.
//
// Part of the worker actor (worker_actor.hpp): plain functions over the
// worker's state, called by its handlers in worker_actor.cpp and by each
// other. Internal to workers::actors; not installed.

#include "workers/actors/worker_actor.hpp"

namespace workers::worker_detail {

// Serves `load`: refuses anyone but an admin, then answers bad_argument if
// the request is not for this worker's sources (admit_load), else reads
// it in a detached helper, so this worker's thread keeps serving meanwhile
// (reading and decompressing takes a second), and keeps the parts
// (keep_parts). Answers the source's row count, or its error naming the
// file.
caf::typed_response_promise<uint64_t> serve_load(worker_pointer self,
                                                 data_request request);

} // namespace workers::worker_detail
