#pragma once

// port_range: the ports a server may bind, as an operator writes them
// ("40100-40199", "40100", or empty: the OS chooses).
//
// Design note
// -----------
// Firewalls open fixed ports, so a node's data plane (data_plane.hpp) can be
// given a range instead of a port chosen at random; several processes on one
// machine then share the range, each binding the first free port of it.
// Invariants:
//   P1 A range is either "any" (first == last == 0: the OS chooses) or
//      1 <= first <= last <= 65535; parse_port_range refuses anything else,
//      naming what it got and what it expects.
//   P2 A single port p is the range p-p, so code that takes a range also
//      takes a fixed port.
//
// Example:
//   auto r = parse_port_range("40100-40199"); // r->first 40100, r->last 40199
//   plane.listen("0.0.0.0", *r);              // binds the first free one

#include <cstdint>
#include <string>

#include <caf/expected.hpp>

namespace workers {

struct port_range {
  uint16_t first = 0;
  uint16_t last = 0;

  /// Any port (the OS chooses).
  port_range() = default;

  /// The single port `port` (0: any; P2).
  port_range(uint16_t port) noexcept : first(port), last(port) {
    // nop
  }

  /// The ports `first` to `last`; callers guarantee P1.
  port_range(uint16_t first, uint16_t last) noexcept
    : first(first), last(last) {
    // nop
  }

  /// Whether the OS chooses the port.
  bool any() const noexcept { return first == 0; }

  /// How many ports the range holds (1 for `any`).
  size_t size() const noexcept { return size_t{last} - first + 1; }

  friend bool operator==(port_range x, port_range y) noexcept {
    return x.first == y.first && x.last == y.last;
  }
};

/// Parses "FIRST-LAST", "PORT" or "" (any). Called by the config checks of
/// nodes and clients (`[node] data-ports`, `[workers] data-ports`); fails
/// with bad_argument saying what was expected and what it got (P1).
caf::expected<port_range> parse_port_range(const std::string& text);

/// "40100-40199", "40100", or "0" for any.
std::string to_string(port_range x);

} // namespace workers
