#pragma once

// pointer<T>: a handle to a T that lives on a worker.
//
// A pointer is a worker handle plus an object id, and its type says what it
// points at: pointer<tensor>, or pointer<pointer<tensor>> for a pointer to a
// pointer (me -> alice -> bob). `get()` on a pointer<pointer<tensor>> returns a
// pointer<tensor>, statically.
//
// Design note
// -----------
// - Asynchronous: every operation returns at once. The caller chooses the
//   result ids, sends one fire-and-forget message to the worker that holds
//   the data, and gets a pointer to the result before it exists. Only taking
//   a value home (get, objects) waits, bounded by the client's timeout.
// - Arithmetic runs where the data is; through a chain it is forwarded hop
//   by hop and the result mirrors the chain (protocol.hpp, example).
// - Operands on different workers, or a spent operand, are refused before any
//   message is sent: the result is a *failed* pointer whose get() throws the
//   error (location_mismatch naming both pointers, or already_taken).
// - Lifetime: copies share one reference; when the last copy goes, the
//   reference is released and the worker deletes the object once nobody else
//   holds it, cascading down chains (protocol.hpp, R1-R4).
// - get() takes the reference home: the object leaves the worker unless
//   someone else still references it (then you get a copy). A second get()
//   on the same handle fails with already_taken.
// - move(dest) tells the holder to send the data straight to `dest` (never
//   through the caller). The handle points at `dest` at once; if the move
//   fails it reverts to the source, where the data stayed. Moving to where
//   the data is does nothing; moving to `me` is get(); moving a pointer to a
//   pointer moves the middle pointer, not the data.
//
// Example:
//   auto x_ptr = tensor{1, 2, 3, 4}.send(bob);  // [PointerTensor | me:.. ->
//   bob:..] auto p2x = x_ptr.send(alice);               //
//   pointer<pointer<tensor>> auto y = p2x + p2x;                         // bob
//   computes, alice points tensor t = y.get().get();                   //
//   tensor([2, 4, 6, 8])

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <type_traits>
#include <vector>

#include <caf/expected.hpp>

#include "workers/aout.hpp"
#include "workers/error.hpp"
#include "workers/op_api.hpp"
#include "workers/pointer_state.hpp"
#include "workers/tensor.hpp"
#include "workers/worker.hpp"

namespace workers {

template <class T>
class pointer;

namespace detail {

using state_ptr = std::shared_ptr<pointer_state>;

template <class T>
struct pointer_depth : std::integral_constant<size_t, 0> {};

template <class U>
struct pointer_depth<pointer<U>>
  : std::integral_constant<size_t, 1 + pointer_depth<U>::value> {};

/// Sends `op` on `x` (and `y` or a literal) to where `x` lives; returns the
/// result's state at once, or a failed state if refused locally.
state_ptr remote_op(opcode op, op_attrs attrs, const state_ptr& x,
                    const state_ptr* y, const tensor* literal,
                    bool literal_first);

/// Runs `op` in place on `x`'s object (and `y`'s object or a literal) where
/// it lives, waiting for the answer of the whole chain (protocol.hpp, I1-I4).
/// Returns the error, or a local refusal as remote_op gives it.
caf::error remote_in_place(opcode op, const state_ptr& x, const state_ptr* y,
                           const tensor* literal);

/// The operands of one in-place operation: the target `x`, and `y` or a
/// literal (or neither).
struct in_place_operands {
  state_ptr x;
  const state_ptr* y = nullptr;
  const tensor* literal = nullptr;
};

/// remote_in_place of `op` on each entry of `parts` at once: every request
/// is sent before the first answer is awaited (client::ask_all), all of
/// them through the client of the first target. Returns one error (or
/// none) per entry, in order. Called by remote_in_place and multi_pointer.
std::vector<caf::error>
remote_in_place_all(opcode op, const std::vector<in_place_operands>& parts);

/// Puts a copy of `x` on `dest`, asking for `policy` (the worker decides
/// what it keeps of it: access_control.hpp, admit_policy).
state_ptr send_tensor(const tensor& x, const worker& dest,
                      object_policy policy);

/// Puts a pointer entry naming `x`'s object on `dest` (retaining it first).
state_ptr send_pointer(const state_ptr& x, const worker& dest);

/// Starts moving `x`'s object to `dest` (see design note).
void start_move(const state_ptr& x, const worker& dest);

/// remote_get of `x`'s object (data_flow.hpp): blocking, bounded. Returns
/// the state of the new handle (where `x` pointed, the fetched object);
/// `x` is spent then. On error `x` stays as it was.
/// `chain`: whether the result still points at a pointer (me -> a -> b -> c).
caf::expected<state_ptr> remote_get_blocking(const state_ptr& x, bool chain);

/// remote_send of `x`'s object to `dest` (data_flow.hpp): blocking,
/// bounded. Returns the state of the new handle (where `x` pointed, a
/// pointer entry to `dest`); `x` is spent then. On error (bad_argument for
/// `dest` where the data is, before sending) `x` stays as it was.
caf::expected<state_ptr> remote_send_blocking(const state_ptr& x,
                                              const worker& dest);

/// Posts a tag message for what `x` points at (no-op if not live).
void tag_remote(const state_ptr& x, std::vector<std::string> tags);

/// Takes `x`'s reference home (blocking, bounded).
caf::expected<taken_value> take_blocking(const state_ptr& x);

/// take_blocking for every handle of `xs` at once: each waits for a move
/// under way (bounded), then every get is sent before the first answer is
/// awaited (client::ask_all), all through the client of the first handle.
/// Returns one value or error per handle, in order; each handle is spent,
/// or left as it was, as by take_blocking. Called by take_blocking and
/// multi_pointer::get.
std::vector<caf::expected<taken_value>>
take_all_blocking(const std::vector<state_ptr>& xs);

/// Converts a taken value to what a pointer<T> points at.
template <class T>
struct pointee;

template <>
struct pointee<tensor> {
  static caf::expected<tensor> from(taken_value&& x, const state_ptr& src);
};

template <class U>
struct pointee<pointer<U>> {
  static caf::expected<pointer<U>> from(taken_value&& x, const state_ptr& src) {
    if (!x.value.is_pointer())
      return make_error(errc::wrong_kind, "expected a pointer but " +
                                            src->to_string() +
                                            " points at a tensor");
    auto& ref = x.value.as_pointer();
    auto st = std::make_shared<pointer_state>(src->context(), ref.where, ref.id,
                                              x.holder);
    st->set_meta(src->meta());       // the object at the end of the chain
    if (pointer_depth<U>::value > 0) // still a chain
      st->set_chain_end(src->chain_end());
    return pointer<U>{std::move(st)};
  }
};

} // namespace detail

template <class T>
class pointer : public op_api<pointer<T>> {
 public:
  using value_type = T;

  /// 1 for pointer<tensor>, 2 for pointer<pointer<tensor>>, ...
  static constexpr size_t depth = 1 + detail::pointer_depth<T>::value;

  /// An invalid pointer (every use fails with already_taken).
  pointer() = default;

  explicit pointer(detail::state_ptr st) : st_(std::move(st)) {
    // nop
  }

  // -- taking values home (blocking) ------------------------------------------

  /// Brings the object home and removes this reference remotely. Throws
  /// operation_error (already_taken, no_such_object, object_gone, timeout,
  /// or the error of the operation that should have produced it).
  T get() const {
    auto result = try_get();
    if (!result)
      throw operation_error(result.error());
    return std::move(*result);
  }

  /// As get(), returning the error instead of throwing.
  caf::expected<T> try_get() const {
    auto taken = detail::take_blocking(st_);
    if (!taken)
      return taken.error();
    return detail::pointee<T>::from(std::move(*taken), st_);
  }

  // -- moving references (non-blocking) ---------------------------------------

  /// Stores this pointer on `dest` and returns a pointer to it. The data
  /// stays where it is.
  pointer<pointer<T>> send(const worker& dest) const {
    return pointer<pointer<T>>{detail::send_pointer(st_, dest)};
  }

  /// Moves the object to `dest`, directly from where it is. Returns this
  /// handle, which (like all its copies) now points at `dest`.
  pointer move(const worker& dest) const {
    detail::start_move(st_, dest);
    return *this;
  }

  /// Moving to `me` is get().
  T move(const me_worker&) const { return get(); }

  /// PySyft's remote_get, for a pointer to a pointer (me -> alice -> bob):
  /// alice fetches the data from bob directly (never through the caller)
  /// and the result points at alice's copy: a pointer<tensor> to alice.
  /// This handle is spent then. Blocking, bounded by the client's timeout;
  /// throws operation_error (not_permitted, object_gone, peer_unreachable,
  /// timeout, ...) and then leaves this handle as it was.
  template <class U = T,
            class = std::enable_if_t<(detail::pointer_depth<U>::value > 0)>>
  U remote_get() const {
    constexpr bool chain = detail::pointer_depth<U>::value > 1;
    return U{value_or_throw(detail::remote_get_blocking(st_, chain))};
  }

  /// PySyft's remote_send: the worker holding the object sends it on to
  /// `dest` directly and keeps a pointer to it; the result points at that
  /// pointer (me -> bob -> dest). This handle is spent then. Blocking,
  /// bounded; throws operation_error (bad_argument if the object is on
  /// `dest` already, not_permitted, peer_unreachable, ...) and then leaves
  /// this handle as it was, with the data where it was.
  pointer<pointer<T>> remote_send(const worker& dest) const {
    return pointer<pointer<T>>{
      value_or_throw(detail::remote_send_blocking(st_, dest))};
  }

  /// Adds `tags` to the object where it lives, so that worker.search finds
  /// it (PySyft's `x.tag("#a")`). Returns at once; returns *this.
  const pointer& tag(std::vector<std::string> tags) const {
    detail::tag_remote(st_, std::move(tags));
    return *this;
  }

  /// Keeps the object on its worker after this handle (and every copy of
  /// it) is gone: no release, no lapse (for objects meant to outlive the
  /// client; find them again with worker::find(id) or by tag). Only the
  /// object's owner may; it goes with the owner's clear(). Blocking;
  /// returns the worker's refusal or a timeout. Keep after the last move.
  caf::error keep() const {
    return st_ ? st_->keep()
               : make_error(errc::already_taken, "invalid pointer");
  }

  // -- autograd where the data is (remote_autograd.hpp) -----------------------

  /// Marks the float tensor at the end of the chain as a leaf that requires
  /// grad. Called by users on parameters; blocks for the answer and throws
  /// operation_error (dtype_mismatch for int64, not_permitted for another
  /// owner's object). Returns *this.
  pointer& requires_grad() {
    return apply_in_place(opcode::requires_grad, nullptr, nullptr);
  }

  /// Runs backward from the one-element tensor at the end of the chain, on
  /// its worker: adds d it / d leaf to every leaf's gradient there. Blocks
  /// for the answer; throws operation_error (G6 of remote_autograd.hpp).
  pointer& backward() {
    return apply_in_place(opcode::backward, nullptr, nullptr);
  }

  /// A pointer to a new object on the same worker (through the same chain):
  /// the leaf's accumulated gradient now (a snapshot, not a live view). Never
  /// blocks; its get() fails if there is none or it may not leave (G3).
  pointer grad() const { return apply_unary(opcode::grad, {}); }

  /// Forgets the leaf's accumulated gradient where it lives. Blocks for the
  /// answer; throws operation_error if it is not a leaf.
  pointer& zero_grad() {
    return apply_in_place(opcode::zero_grad, nullptr, nullptr);
  }

  // -- properties -------------------------------------------------------------

  /// True while the handle is usable (not spent by get, not failed).
  bool valid() const {
    return st_ && st_->current() == pointer_state::phase::live;
  }

  /// Why the handle is not valid (or why its last move failed).
  caf::error error() const {
    return st_ ? st_->error()
               : make_error(errc::already_taken, "invalid pointer");
  }

  /// The worker the handle points at now.
  worker_ref location() const {
    return st_ ? st_->snapshot().location : worker_ref{};
  }

  /// The handle's own id (the holder id of its reference).
  object_id id() const { return st_ ? st_->snapshot().id : object_id{}; }

  /// The id of the object on location().
  object_id id_at_location() const {
    return st_ ? st_->snapshot().id_at_location : object_id{};
  }

  std::string to_string() const {
    return st_ ? st_->to_string() : "[PointerTensor | invalid]";
  }

  // -- metadata (no round trip) -----------------------------------------------

  /// The dtype and shape of the object at the end of the chain, as this
  /// handle knows them without asking: from send, inferred for every
  /// operation (op.hpp, infer), carried through chains, moves, in-place
  /// operations, remote_get/remote_send and find. nullopt where unknown
  /// (plan outputs, an invalid handle), never a guess.
  std::optional<tensor_meta> meta() const {
    return st_ ? st_->meta() : std::nullopt;
  }

  /// The object's shape (meta()), or nullopt if unknown.
  std::optional<workers::shape> shape() const {
    if (auto m = meta())
      return m->dims;
    return std::nullopt;
  }

  /// The object's dtype (meta()), or nullopt if unknown.
  std::optional<workers::dtype> dtype() const {
    if (auto m = meta())
      return m->dt;
    return std::nullopt;
  }

  /// The object's element count (meta()), or nullopt if unknown.
  std::optional<int64_t> size() const {
    if (auto m = meta())
      return m->dims.numel();
    return std::nullopt;
  }

  /// The name of the worker this handle points at ("" if invalid).
  std::string worker_name() const { return location().name; }

  const detail::state_ptr& state() const noexcept { return st_; }

  // -- op_api hooks (send the operation; never block) -------------------------

  pointer apply_unary(opcode op, op_attrs attrs) const {
    return pointer{
      detail::remote_op(op, std::move(attrs), st_, nullptr, nullptr, false)};
  }

  pointer apply_binary(opcode op, const pointer& y) const {
    return pointer{detail::remote_op(op, {}, st_, &y.st_, nullptr, false)};
  }

  pointer apply_literal(opcode op, tensor literal, bool literal_first) const {
    return pointer{
      detail::remote_op(op, {}, st_, nullptr, &literal, literal_first)};
  }

  /// Called by op_api's in-place forms (add_, +=, zero_): blocks until the
  /// worker holding the object answered; throws operation_error with its
  /// error (the object is then unchanged). Returns *this.
  pointer& apply_in_place(opcode op, const pointer* y, const tensor* literal) {
    auto err = detail::remote_in_place(op, st_, y ? &y->st_ : nullptr, literal);
    if (err)
      throw operation_error(std::move(err));
    return *this;
  }

 private:
  detail::state_ptr st_;
};

template <class T>
std::ostream& operator<<(std::ostream& out, const pointer<T>& x) {
  return out << x.to_string();
}

/// Called by CAF's deep_to_string (caf::aout, logging) and by programs:
/// renders `x` as pointer::to_string does ("[PointerTensor | me:2@.. ->
/// bob:1@..]"). Never fails.
template <class T>
std::string to_string(const pointer<T>& x) {
  return x.to_string();
}

} // namespace workers
