#pragma once

// staging_area: large tensors waiting to be read by another node (bulk.hpp).
//
// One per process, shared by its workers, its client agent and its data
// plane's TCP server (data_plane.hpp), so it is thread-safe. A blob is read
// either in `chunk` messages (read) or over the data plane in one piece
// (lease + settle); each blob carries a random 128-bit token that only the
// blob_ref's recipients learn, and the data plane serves a blob only to a
// reader that presents it.
// Invariants:
//   S1 A blob leaves the area after its last byte was read (by chunks), after
//      a successful data-plane transfer (settle), or at its deadline.
//   S2 A failed data-plane transfer leaves the blob staged, so the reader can
//      fall back to chunks.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>

#include "workers/object_id.hpp"
#include "workers/tensor.hpp"

namespace workers {

/// The secret that grants a data-plane read of one blob.
struct blob_token {
  uint64_t hi = 0;
  uint64_t lo = 0;

  friend bool operator==(const blob_token& x, const blob_token& y) {
    return x.hi == y.hi && x.lo == y.lo;
  }

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, blob_token& x) {
    return f(caf::meta::type_name("workers::blob_token"), x.hi, x.lo);
  }
};

class staging_area {
 public:
  using clock = std::chrono::steady_clock;

  struct staged {
    object_id id;
    blob_token token;
  };

  /// Stages `t` until it is read or `deadline` passes. Called by whoever
  /// hands a large tensor to another node; returns its id and token.
  staged stage(tensor t, clock::time_point deadline);

  /// Bytes [offset, offset + len) of blob `id`, for a `chunk` request that
  /// presents the blob's `token` (as the data plane's readers do, D1); drops
  /// the blob once all of its bytes were read (S1). Fails with
  /// no_such_object for an unknown blob or a wrong token (alike: nothing
  /// tells a guesser which blobs exist), bad_argument for a range outside it.
  caf::expected<std::vector<uint8_t>>
  read(object_id id, const blob_token& token, uint64_t offset, uint64_t len);

  /// The whole blob `id` for a data-plane transfer, if `token` matches; the
  /// blob stays staged until settle(id) (S2). Called by the TCP server.
  std::optional<tensor> lease(object_id id, const blob_token& token);

  /// Drops blob `id` after a complete data-plane transfer (S1).
  void settle(object_id id);

  /// Drops blobs whose deadline passed. Called periodically by the actors.
  void expire(clock::time_point now);

  /// Blobs staged right now.
  size_t size() const;

 private:
  struct entry {
    tensor data;
    blob_token token;
    uint64_t served;
    clock::time_point deadline;
  };

  mutable std::mutex mtx_;
  id_generator ids_;
  std::unordered_map<object_id, entry> blobs_;
};

} // namespace workers
