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
// Moves never block the caller: a move issued while another is under way is
// queued and sent, from wherever the data then is, once the first settles.

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "workers/protocol.hpp"

namespace workers {

class client;

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

  /// Makes the reference this handle holds permanent on its worker (the
  /// `keep` message) and stops the handle from releasing it when it is
  /// destroyed. Called by pointer::keep; blocking; returns the worker's
  /// refusal (not_permitted for another's object, no_such_object) or a
  /// timeout, and the handle then stays as it was.
  caf::error keep();

  /// The failure (failed phase) or the error of the last failed move.
  caf::error error() const;

  /// live -> taking. With `wait_for_move`, first waits (bounded by the
  /// client's timeout) for a move under way to settle.
  caf::expected<target> begin_take(bool wait_for_move);

  /// taking -> spent on success, back to live on error (the get may be
  /// retried: the object is still there, or its tombstone will say why not).
  void end_take(const caf::error& err);

  /// One hop of the data: from `source` to `dest` as `dest_id`.
  struct move_leg {
    target source;
    worker_ref dest;
    object_id dest_id;
  };

  /// Points the handle at `dest`:`new_id` now. Returns the leg to send now,
  /// or nullopt if it is queued behind a move under way (settle_move hands
  /// it out later). Fails if not live. Never blocks.
  caf::expected<std::optional<move_leg>> begin_move(const worker_ref& dest,
                                                    object_id new_id);

  /// Called by the client agent when the source answered a leg (`err` set:
  /// the data stayed where it was). Returns the next queued leg to send,
  /// starting where the data is now; once none is left, a failed last leg
  /// points the handle back at the data.
  std::optional<move_leg> settle_move(const caf::error& err);

  /// Appends the references this handle holds, by worker, for the client
  /// agent to renew (protocol.hpp, F1): where it points, and while a move is
  /// under way also the leg's source and destination. Nothing once spent or
  /// failed.
  void claims(std::vector<std::pair<worker_ref, lease_claim>>& out) const;

  /// "[PointerTensor | me:<id> -> bob:<id>]".
  std::string to_string() const;

  /// The dtype and shape of the object at the end of the chain, as the
  /// handle knows them without asking (pointer.hpp), or nullopt if unknown.
  /// Moves and in-place operations keep them (I3), so they never change.
  const std::optional<tensor_meta>& meta() const noexcept { return meta_; }

  /// Sets meta(). Called only by whoever creates the state, before it
  /// shares it (no lock: the metadata is read-only afterwards).
  void set_meta(std::optional<tensor_meta> m) { meta_ = std::move(m); }

  /// For a pointer to a pointer: the worker at the end of the chain, which
  /// holds the data and computes every operation on it (entries never
  /// change their target, so neither does this); "" for a pointer to a
  /// tensor, whose data is at its location. Set once by the creator, like
  /// meta(). Errors found before sending name this worker.
  const std::string& chain_end() const noexcept { return chain_end_; }

  /// Sets chain_end(); same rules as set_meta.
  void set_chain_end(std::string name) { chain_end_ = std::move(name); }

 private:
  caf::error spent_error() const;

  /// `x` with the handle the client now knows for its worker (a node that
  /// restarted from a snapshot has new handles: snapshot.hpp, S4).
  worker_ref current(const worker_ref& x) const;

  std::shared_ptr<client> ctx_;
  mutable std::mutex mtx_;
  std::condition_variable settled_;
  worker_ref location_;
  object_id id_at_location_;
  object_id id_;
  phase phase_;
  caf::error error_;
  bool moving_ = false;
  /// keep() succeeded: the destructor releases nothing.
  bool kept_ = false;
  /// Where the data is while moving_ (the source of the leg under way).
  worker_ref data_at_;
  object_id data_id_;
  /// The leg under way, and the legs queued behind it.
  worker_ref leg_dest_;
  object_id leg_dest_id_;
  std::deque<std::pair<worker_ref, object_id>> queued_;
  /// See meta().
  std::optional<tensor_meta> meta_;
  /// See chain_end().
  std::string chain_end_;
};

} // namespace workers
