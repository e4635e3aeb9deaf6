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
#include <utility>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "workers/data_plane.hpp"

namespace workers {

/// Spawns a fetcher for one transfer that reads over streams secured by
/// `security`. Called by the data plane's factory; never fails.
caf::actor spawn_blob_fetcher(caf::actor_system& sys,
                              std::shared_ptr<const stream_security> security);

/// The data plane of a process hosting workers or a client: it stages blobs
/// for other nodes, serves them on `host` and the first free port of
/// `ports` (any: the OS chooses; D7) over streams secured by `security`
/// (data_plane_security, tls_stream.hpp; D3), serving at most
/// `max_transfers` at once (data_plane.hpp, D5) and `max_per_host` of them
/// to one remote address (D6), and spawns fetchers to read blobs from other
/// nodes. Called by the runtime and by host_node. If a fixed port or range
/// cannot be had, fails naming the address and `port_key`, the option that
/// asked for it; with any port, a plane that cannot listen still works with
/// chunks only, and the reason goes to stderr.
caf::expected<std::shared_ptr<data_plane>>
make_data_plane(const std::string& host, port_range ports,
                std::shared_ptr<const stream_security> security,
                const std::string& port_key, size_t max_transfers,
                size_t max_per_host = data_plane::default_max_per_host);

/// The ports a data plane binds, and the key that set them, as a node or
/// client configured them: `range` if it is set (`<section> data-ports`),
/// else the single `port` (`<section> data-port`; 0: any). Called by the
/// runtime and host_node before make_data_plane; never fails (the config
/// checks refuse setting both).
std::pair<port_range, std::string>
data_plane_ports(const std::string& section, uint16_t port, port_range range);

} // namespace workers
