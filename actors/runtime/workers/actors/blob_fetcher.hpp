#pragma once

// Blob fetchers: the actor side of the data plane (libworkers data_plane.hpp).
//
// Reading a blob over the data plane blocks on a socket, which no
// event-based actor may do (CAF 0.17 runs them on a handful of shared
// threads). A fetcher is a detached actor -- a thread of its own -- that
// answers one `fetch_atom, blob_ref, timespan` request with the tensor read
// by fetch_over_tcp (or its error) and quits. fetch_blob (bulk.hpp) spawns
// one per transfer through the data plane's fetcher factory. A fetcher
// reads with its plane's stream_security: TLS when the cluster runs TLS
// (data_plane.hpp, D3).

#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "workers/data_plane.hpp"

namespace workers {

/// Spawns a fetcher for one transfer that reads over streams secured by
/// `security`. Called by the data plane's factory; never fails.
caf::actor spawn_blob_fetcher(caf::actor_system& sys,
                              std::shared_ptr<const stream_security> security);

/// The data plane of a process hosting workers or a client: it stages blobs
/// for other nodes, serves them on `host:port` (0: the OS chooses) over
/// streams secured by `security` (data_plane_security, tls_stream.hpp; D3),
/// serving at most `max_transfers` at once (data_plane.hpp, D5), and
/// spawns fetchers to read blobs from other nodes. Called by the
/// runtime and by host_node. If a fixed `port` cannot be had, fails naming
/// the address and `port_key`, the option that asked for it; with port 0,
/// a plane that cannot listen still works with chunks only, and the reason
/// goes to stderr.
caf::expected<std::shared_ptr<data_plane>>
make_data_plane(const std::string& host, uint16_t port,
                std::shared_ptr<const stream_security> security,
                const std::string& port_key, size_t max_transfers);

} // namespace workers
