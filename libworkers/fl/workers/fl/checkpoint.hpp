#pragma once

// checkpoint: a model's parameters and where training stood, saved to disk
// and read back (fedlearn --checkpoint), with Boost.Serialization -- the
// on-disk format of the project (the wire format is CAF's inspect).
//
// Design note
// -----------
// A file is a text header line "libworkers-checkpoint <version>\n", then
// the payload's size and its FNV-1a 64 checksum (8 bytes each, little
// endian), then the payload: a Boost binary archive of the checkpoint, each
// tensor as dtype, dims and its raw bytes. Invariants:
//   K1 save is atomic: it writes PATH.tmp and renames it over PATH, so a
//      crash leaves the old checkpoint or the new one, never a torn file.
//   K2 load never crashes and never returns a damaged checkpoint: a missing
//      file, another format, an unknown version, a short file, a checksum
//      mismatch, or an archive Boost cannot read is bad_argument naming the
//      path and what is wrong.
//   K3 Versions: this build writes version 1 and reads versions up to it.
//
// Example:
//   checkpoint c{"trusted", 3, params};
//   if (auto err = save_checkpoint("out/model.ckpt", c)) ...
//   auto back = load_checkpoint("out/model.ckpt");   // c, or why not

#include <cstdint>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "workers/tensor.hpp"

namespace workers {

struct checkpoint {
  /// What was trained ("trusted", "centralized", ...); for the reader.
  std::string label;
  /// Rounds completed when it was saved.
  uint32_t round = 0;
  /// The model's parameters, in the model's order (models.hpp).
  std::vector<tensor> params;
};

/// The format version this build writes (K3).
constexpr uint32_t checkpoint_version = 1;

/// Saves `x` to `path` (K1). Called by the FL app after each round; fails
/// with bad_argument naming the path and the system's reason if the file
/// cannot be written.
caf::error save_checkpoint(const std::string& path, const checkpoint& x);

/// Reads the checkpoint at `path`. Called by the FL app to resume; fails as
/// K2 says.
caf::expected<checkpoint> load_checkpoint(const std::string& path);

} // namespace workers
