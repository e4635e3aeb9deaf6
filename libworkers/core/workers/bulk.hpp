#pragma once

// Bulk transfers: large tensors cross nodes staged, not as one message.
//
// Design note
// -----------
// One CAF message per tensor makes every hop serialize, buffer and copy the
// whole tensor (about 5x its size in resident memory for 256 MiB) and keeps
// the link busy with one message for seconds. Instead, a sender that must
// hand a tensor of at least `bulk_threshold` bytes to another node *stages*
// it (staging_area.hpp, through its process's data_plane) and sends a small
// blob_ref (protocol.hpp): dtype, shape, size, and where to read it. The
// receiver allocates the tensor once and reads it
// - over the data plane (data_plane.hpp): one direct TCP stream, bytes
//   straight from the sender's tensor into the receiver's, on a fetcher
//   thread so no actor blocks; or, if that fails or is off (TLS),
// - with `chunk` requests of `chunk_size` bytes, `chunk_window` of them in
//   flight, copying each into place.
// Memory: the tensor once at each end (plus the chunks in flight). Used for
// a client's put (the client agent stages), a move between workers (the
// source stages; a moved leaf's gradient is staged beside its value,
// leaf_state.hpp LS2), and a get by a client on another node (the worker
// stages, the client agent reads).
// Invariants:
//   B1 A staged blob is read once; the entry is dropped after its last byte
//      is read, or at its deadline (staging_area S1, S2).
//   B2 The receiver stores the object only when every byte has arrived;
//      until then requests for its id wait (parked, as for any object on
//      its way), and a failed read fails the id with the error.
//   B3 Destinations in the same process get the tensor directly (shared,
//      copy-on-write storage): nothing to stage.
//   B4 A read is bounded by the timeout and fails with peer_unreachable as
//      soon as the source's node is known down, on either path.
//
// Example (bob moves 256 MiB to alice):
//   bob:   ref = plane.stage(bob, "bob", t, deadline);
//          put{new_id, ref}                 // ref: blob, token, bob's port
//   alice: fetcher thread: connect, present blob + token, recv 256 MiB into
//          the new tensor; stores new_id; answers ok; bob drops its copy.

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>
#include <caf/expected.hpp>

#include "workers/data_plane.hpp"
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

/// Whether a tensor for `dest` must travel as a staged blob (B3).
template <class Handle>
bool needs_bulk(const tensor& t, const Handle& dest, const caf::node_id& here) {
  return t.nbytes() >= bulk_threshold && dest && dest.node() != here;
}

/// The blob of the gradient staged beside the moved leaf `value` (its
/// leaf.grad_blob, leaf_state.hpp LS2): the same source, dtype, shape and
/// size (A4), its own blob id and token. Called by workers receiving a
/// large moved leaf; never fails (fetch_blob validates it).
inline blob_ref gradient_blob(const blob_ref& value) {
  auto result = value;
  result.blob = value.leaf.grad_blob;
  result.token = value.leaf.grad_token;
  result.policy = value.leaf.grad_policy;
  result.leaf = leaf_state{};
  return result;
}

/// Reads blob `b` into a new tensor with `chunk` requests from inside actor
/// `self` (B2): at most `chunk_window` guarded requests in flight, each
/// bounded by `timeout`. Calls exactly one of `done(tensor)`, `fail(error)`.
template <class Self>
void fetch_chunks(Self* self, peer_watch& watch, const blob_ref& b,
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
        chunk_atom::value, b.blob, b.token, offset, len);
    }
  };
  if (b.nbytes == 0) {
    done(std::move(tr->result));
    return;
  }
  (*pump)();
}

/// Reads blob `b` into a new tensor from inside actor `self`: over the data
/// plane if `b` names one and `plane` can spawn a fetcher, else (or if that
/// fails, D2) in chunks. Calls exactly one of `done(tensor)` and
/// `fail(error)`; a dead source fails the read at once (B4). Called by
/// workers (puts, moves) and the client agent (gets).
template <class Self>
void fetch_blob(Self* self, peer_watch& watch, const data_plane* plane,
                const blob_ref& b, caf::timespan timeout,
                std::function<void(tensor)> done,
                std::function<void(caf::error)> fail) {
  if (auto err = validate(b)) {
    fail(std::move(err));
    return;
  }
  auto fetcher = plane && b.data_port != 0 && plane->may_fetch_from(b)
                   ? plane->spawn_fetcher(self->home_system())
                   : caf::actor{};
  if (!fetcher) {
    fetch_chunks(self, watch, b, timeout, std::move(done), std::move(fail));
    return;
  }
  auto* w = &watch;
  guarded_request_via<tensor>(
    self, watch, b.source, b.source_name, fetcher, timeout,
    [done](tensor& t) { done(std::move(t)); },
    [self, w, b, timeout, done, fail](caf::error err) {
      // The source's node is down: chunks would fail too.
      if (is(err, errc::peer_unreachable) && w->is_down(b.source.address())) {
        fail(std::move(err));
        return;
      }
      fetch_chunks(self, *w, b, timeout, done, fail);
    },
    fetch_atom::value, b, timeout);
}

} // namespace workers
