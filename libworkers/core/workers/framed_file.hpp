#pragma once

// framed_file: the on-disk framing of the project's files (snapshot.hpp;
// and checkpoint.hpp's): a text header line
// "<magic> <version>\n", the body's size and its FNV-1a 64 checksum (8
// bytes each, little endian), then the body (a Boost.Serialization archive).
//
// Invariants:
//   FF1 write is atomic: PATH.tmp is written, flushed and renamed over PATH,
//       so a crash leaves the old file or the new one, never a torn one.
//   FF2 read never crashes and never returns a damaged body: a missing file,
//       another magic, a version above `max_version`, a short or padded
//       file, or a checksum mismatch is bad_argument naming the path and
//       the reason.
//
// Example:
//   write_framed_file("d/bob.snapshot", "libworkers-snapshot", 1, bytes);
//   auto f = read_framed_file("d/bob.snapshot", "libworkers-snapshot", 1,
//                             "snapshot");  // f->version, f->body

#include <cstdint>
#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace workers {

/// A file's verified body and the version its header names.
struct framed_body {
  uint32_t version = 0;
  std::string body;
};

/// Writes `body` framed under `magic` `version` to `path` (FF1). Called by
/// save_snapshot; fails with bad_argument naming the path and the system's
/// reason.
caf::error write_framed_file(const std::string& path, const std::string& magic,
                             uint32_t version, const std::string& body);

/// Reads and verifies the file at `path` (FF2); `what` names the kind of
/// file in errors ("snapshot"). Called by load_snapshot.
caf::expected<framed_body> read_framed_file(const std::string& path,
                                            const std::string& magic,
                                            uint32_t max_version,
                                            const std::string& what);

} // namespace workers
