#pragma once

// pointer_state: what all copies of one pointer handle share.
//
// A handle is a reference (protocol.hpp, R1-R4): its own id `id` is the
// holder id under which the object `id_at_location` on `location` counts it.
// Copies of a handle share one state and therefore one reference; the last
// copy to go releases it. A state is in one of four phases:
//   live    usable; releases its reference when destroyed
//   taking  a get() is under way
//   spent   get() took the reference home; nothing to release
//   failed  the operation that produced it was refused before sending
//           (location mismatch, spent operand); carries the error
// A move switches `location` to the destination at once (so operations issued
// afterwards go there and wait for the data) and settles when the source
// answers: on failure the state reverts to the source, where the data stayed.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "workers/client.hpp"
#include "workers/protocol.hpp"

namespace workers {

class pointer_state {
 public:
  enum class phase : uint8_t { live, taking, spent, failed };

  /// Where the handle points now.
  struct target {
    worker_ref location;
    object_id id_at_location;
    object_id id;
  };

  /// A live handle.
  pointer_state(std::shared_ptr<client> ctx, worker_ref location,
                object_id id_at_location, object_id id);

  /// A failed handle carrying `err`.
  pointer_state(std::shared_ptr<client> ctx, caf::error err);

  pointer_state(const pointer_state&) = delete;
  pointer_state& operator=(const pointer_state&) = delete;

  /// Releases the reference if still live (fire-and-forget).
  ~pointer_state();

  const std::shared_ptr<client>& context() const noexcept { return ctx_; }

  /// The current target, whatever the phase.
  target snapshot() const;

  /// The current target if live; otherwise the reason it cannot be used
  /// (already_taken, or the failure it carries).
  caf::expected<target> usable() const;

  phase current() const;

  /// The failure (failed phase) or the error of the last failed move.
  caf::error error() const;

  /// live -> taking. With `wait_for_move`, first waits (bounded by the
  /// client's timeout) for a move under way to settle.
  caf::expected<target> begin_take(bool wait_for_move);

  /// taking -> spent on success, back to live on error (the get may be
  /// retried: the object is still there, or its tombstone will say why not).
  void end_take(const caf::error& err);

  /// Points the handle at `dest`:`new_id` now; returns the source to move
  /// from. Fails if not live.
  caf::expected<target> begin_move(const worker_ref& dest, object_id new_id);

  /// Called by the client agent when the source answered the move.
  void settle_move(const caf::error& err);

  /// "[PointerTensor | me:<id> -> bob:<id>]".
  std::string to_string() const;

 private:
  caf::error spent_error() const;

  std::shared_ptr<client> ctx_;
  mutable std::mutex mtx_;
  std::condition_variable settled_;
  worker_ref location_;
  object_id id_at_location_;
  object_id id_;
  phase phase_;
  caf::error error_;
  bool moving_ = false;
  worker_ref source_;
  object_id source_id_;
};

} // namespace workers
