#pragma once

// Bulk transfers: large tensors cross nodes in chunks, not as one message.
//
// Design note
// -----------
// One CAF message per tensor makes every hop serialize, buffer and copy the
// whole tensor (about 5x its size in resident memory for 256 MiB) and keeps
// the link busy with one message for seconds. Instead, a sender that must
// hand a tensor of at least `bulk_threshold` bytes to another node *stages*
// it (staging_area) and sends a small blob_ref (protocol.hpp): dtype, shape,
// size, and where to read it. The receiver allocates the tensor once and
// reads it with `chunk` requests of `chunk_size` bytes, `window` of them in
// flight, copying each into place. Memory: the tensor once at each end plus
// the chunks in flight. Used for a client's put (the client agent stages),
// a move between workers (the source stages), and a get by a client on
// another node (the worker stages, the client agent reads).
// Invariants:
//   B1 A staged blob is read once: each byte range exactly once; the entry
//      is dropped after its last byte is read, or at its deadline.
//   B2 The receiver stores the object only when every chunk has arrived;
//      until then requests for its id wait (parked, as for any object on
//      its way), and a failed read fails the id with the error.
//   B3 Destinations in the same process get the tensor directly (shared,
//      copy-on-write storage): nothing to chunk.
//
// Example (bob moves 256 MiB to alice):
//   bob:   blob = staging.stage(t, deadline);
//          put{new_id, blob_ref{bob, blob, float32, [8192, 8192], 256 MiB}}
//   alice: allocates 256 MiB; chunk{blob, 0, 4 MiB}, chunk{blob, 4 MiB, ...},
//          ... (4 in flight); stores new_id; answers ok; bob drops its copy.

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>
#include <caf/expected.hpp>

#include "workers/error.hpp"
#include "workers/peer_watch.hpp"
#include "workers/protocol.hpp"

namespace workers {

/// Tensors at least this large cross nodes in chunks.
constexpr uint64_t bulk_threshold = uint64_t{8} << 20;

/// Bytes per chunk request.
constexpr uint64_t chunk_size = uint64_t{4} << 20;

/// Chunk requests in flight per transfer.
constexpr size_t chunk_window = 4;

/// Tensors staged for reading in chunks (B1). Plain logic: the owning actor
/// serves `chunk` requests with read() and calls expire() now and then.
class staging_area {
 public:
  using clock = std::chrono::steady_clock;

  /// Stages `t` until it is read or `deadline` passes; returns its blob id.
  object_id stage(tensor t, clock::time_point deadline) {
    auto id = ids_.next();
    blobs_.emplace(id, entry{std::move(t), 0, deadline});
    return id;
  }

  /// Bytes [offset, offset + len) of blob `id`; drops the blob once all of
  /// its bytes were read. Fails with no_such_object for an unknown blob and
  /// bad_argument for a range outside it.
  caf::expected<std::vector<uint8_t>> read(object_id id, uint64_t offset,
                                           uint64_t len) {
    auto i = blobs_.find(id);
    if (i == blobs_.end())
      return make_error(errc::no_such_object, "no staged blob " +
                                                to_string(id) +
                                                " (read already, or expired)");
    auto& e = i->second;
    auto size = static_cast<uint64_t>(e.data.nbytes());
    if (offset > size || len > size - offset)
      return make_error(errc::bad_argument,
                        "chunk [" + std::to_string(offset) + ", " +
                          std::to_string(offset + len) + ") is outside blob " +
                          to_string(id) + " of " + std::to_string(size) +
                          " bytes");
    auto first = e.data.bytes() + offset;
    std::vector<uint8_t> result(first, first + len);
    e.served += len;
    if (e.served >= size)
      blobs_.erase(i);
    return result;
  }

  /// Drops blobs whose deadline passed.
  void expire(clock::time_point now) {
    for (auto i = blobs_.begin(); i != blobs_.end();)
      i = i->second.deadline <= now ? blobs_.erase(i) : std::next(i);
  }

  size_t size() const noexcept { return blobs_.size(); }

 private:
  struct entry {
    tensor data;
    uint64_t served;
    clock::time_point deadline;
  };

  id_generator ids_;
  std::unordered_map<object_id, entry> blobs_;
};

/// Whether a tensor for `dest` must travel as a staged blob (B3).
template <class Handle>
bool needs_bulk(const tensor& t, const Handle& dest, const caf::node_id& here) {
  return t.nbytes() >= bulk_threshold && dest && dest.node() != here;
}

/// Makes the blob_ref for a tensor staged as `blob` by `source`.
template <class Handle>
blob_ref make_blob_ref(const Handle& source, std::string source_name,
                       object_id blob, const tensor& t) {
  return blob_ref{caf::actor_cast<caf::actor>(source),
                  std::move(source_name),
                  blob,
                  t.dtype(),
                  t.shape(),
                  t.nbytes()};
}

/// Reads blob `b` into a new tensor from inside actor `self` (B2): at most
/// `chunk_window` guarded chunk requests in flight, each bounded by
/// `timeout`. Calls exactly one of `done(tensor)` and `fail(error)`.
template <class Self>
void fetch_blob(Self* self, peer_watch& watch, const blob_ref& b,
                caf::timespan timeout, std::function<void(tensor)> done,
                std::function<void(caf::error)> fail) {
  struct transfer {
    tensor result;
    uint8_t* data = nullptr;
    uint64_t next = 0;
    uint64_t received = 0;
    uint64_t total = 0;
    bool over = false;
  };
  auto tr = std::make_shared<transfer>();
  try {
    tr->result = tensor::from_bytes(b.dt, b.dims, tensor::storage(b.nbytes));
  } catch (const operation_error& e) {
    fail(e.error());
    return;
  } catch (const std::bad_alloc&) {
    fail(make_error(errc::capacity_exceeded, "no memory for a tensor of " +
                                               std::to_string(b.nbytes) +
                                               " bytes from " + b.source_name));
    return;
  }
  tr->data = tr->result.mutable_bytes();
  tr->total = b.nbytes;
  auto* w = &watch;
  // In-flight replies hold the pump strongly, the pump itself weakly: it
  // lives exactly as long as a chunk request is pending.
  auto pump = std::make_shared<std::function<void()>>();
  std::weak_ptr<std::function<void()>> weak = pump;
  *pump = [self, w, b, timeout, done, fail, tr, weak] {
    auto strong = weak.lock();
    while (strong && !tr->over && tr->next < b.nbytes &&
           tr->next - tr->received < chunk_window * chunk_size) {
      auto offset = tr->next;
      auto len = std::min(chunk_size, b.nbytes - offset);
      tr->next += len;
      guarded_request<std::vector<uint8_t>>(
        self, *w, b.source, b.source_name, timeout,
        [tr, offset, len, done, fail, strong](std::vector<uint8_t>& bytes) {
          if (tr->over)
            return;
          if (bytes.size() != len) {
            tr->over = true;
            fail(make_error(errc::bad_argument,
                            "a chunk of " + std::to_string(bytes.size()) +
                              " bytes where " + std::to_string(len) +
                              " were asked for"));
            return;
          }
          std::memcpy(tr->data + offset, bytes.data(), len);
          tr->received += len;
          if (tr->received == tr->total) {
            tr->over = true;
            done(std::move(tr->result));
            return;
          }
          (*strong)();
        },
        [tr, fail](caf::error err) {
          if (tr->over)
            return;
          tr->over = true;
          fail(std::move(err));
        },
        chunk_atom::value, b.blob, offset, len);
    }
  };
  if (b.nbytes == 0) {
    done(std::move(tr->result));
    return;
  }
  (*pump)();
}

} // namespace workers
