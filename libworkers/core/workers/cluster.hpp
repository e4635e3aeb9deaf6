#pragma once

// Cluster descriptions: where each worker lives.
//
// A cluster config lists every worker as "name@host:port" (CAF INI, section
// [cluster], key `workers`); several workers may share one node (same
// host:port). A node publishes a directory actor on its port; a client
// connects to host:port and asks the directory for the worker by name.
//
// Example:
//   [cluster]
//   workers=["bob@127.0.0.1:47001", "alice@127.0.0.1:47002"]

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

namespace workers {

/// Where one worker lives.
struct endpoint {
  std::string worker;
  std::string host;
  uint16_t port = 0;
};

/// Parses "name@host:port". Fails with bad_argument naming the entry.
caf::expected<endpoint> parse_endpoint(std::string_view entry);

/// Finds `worker` in a cluster list. Fails with bad_argument for a malformed
/// entry, no_such_object if no entry names `worker` (listing the names).
caf::expected<endpoint> find_endpoint(const std::vector<std::string>& cluster,
                                      std::string_view worker);

/// "name@host:port".
std::string to_string(const endpoint& x);

} // namespace workers
