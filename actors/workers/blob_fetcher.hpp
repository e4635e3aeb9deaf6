#pragma once

// Blob fetchers: the actor side of the data plane (libworkers data_plane.hpp).
//
// Reading a blob over the data plane blocks on a socket, which no
// event-based actor may do (CAF 0.17 runs them on a handful of shared
// threads). A fetcher is a detached actor -- a thread of its own -- that
// answers one `fetch_atom, blob_ref, timespan` request with the tensor read
// by fetch_over_tcp (or its error) and quits. fetch_blob (bulk.hpp) spawns
// one per transfer through the data plane's fetcher factory.

#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "workers/data_plane.hpp"

namespace workers {

/// Spawns a fetcher for one transfer. Called by the data plane's factory.
caf::actor spawn_blob_fetcher(caf::actor_system& sys);

/// The data plane of a process hosting workers or a client: it stages blobs
/// for other nodes, serves them over TCP on `host` (port chosen by the OS)
/// unless `tls` (D3), and spawns fetchers to read blobs from other nodes.
/// Called by the runtime and by host_node. If the server cannot listen, the
/// plane still works with chunks only, and the reason goes to stderr.
std::shared_ptr<data_plane> make_data_plane(const std::string& host, bool tls);

} // namespace workers
