#pragma once

// multi_pointer: one handle over several pointers, each part where its data
// lives -- PySyft's MultiPointerTensor (`x.send(bob, alice)`).
//
// Design note
// -----------
//   MP1 A multi_pointer is an ordered list of parts, each a pointer<tensor>.
//       A part is a position, not a worker: parts may share a worker
//       (combine_pointers(p, p.copy()) has two parts on bob), and
//       workers() then repeats the name. All parts belong to one client
//       (one runtime); mixing clients is refused.
//   MP2 Operations fan out: every op_api operation (x + y, x.sum(1), x[0],
//       ...) runs on each part where that part lives and gives a
//       multi_pointer of the results, in the same order. Every part's
//       request is sent before anything is awaited: operations never wait
//       (as on a pointer); the in-place forms (x += 1) send every part's
//       request, then wait for all answers together, within one timeout.
//   MP3 Binary operations pair parts by position. Two multi_pointers of
//       different lengths are refused before any message: the result is a
//       failed multi_pointer whose get() throws bad_argument naming both
//       lengths and workers. A number, or a tensor, travels with every
//       part's request as a literal (op.hpp: its dtype adapts as a
//       number's does).
//   MP4 Parts are independent: a part refused before sending (its shape,
//       dtype or location; pointer.hpp) or failing on its worker does not
//       stop the others. Errors say which part failed: its kind is kept,
//       its message starts with "part k (worker)".
//   MP5 get() takes every part home at once: all gets are sent before the
//       first answer is awaited (bounded by one timeout), values come back
//       in order. If a part is already known bad (failed, spent), get()
//       takes nothing and says which. If a part fails on its worker, get()
//       fails with that part's error (and how many failed), and the other
//       parts are taken all the same and their values dropped: never a
//       partial result, and nothing stays behind on any worker.
//   MP6 Lifetime: copies of a multi_pointer share its parts, which are
//       pointers (their copies share one reference): when the last handle
//       of a part goes, its reference is released (protocol.hpp, R1-R4).
//       operator[](k) hands out part k as a pointer of its own (shared).
//   MP7 send_all, send_each and combine_pointers check their arguments
//       before sending anything and throw operation_error: bad_argument for
//       an empty list, a length mismatch, or parts of different clients;
//       the part's own error (already_taken, ...) naming its position for
//       an unusable pointer.
//
// Example:
//   auto x = send_all(tensor{1, 2, 3}, {bob, alice}); // bob: 1, alice: 1
//   auto y = (x + 1) * x;                            // both compute, at once
//   auto v = y.get();               // {[2, 6, 12], [2, 6, 12]}, y released
//   auto z = combine_pointers(tensor{1.0f}.send(bob),
//   tensor{2.0f}.send(carol)); z.workers();                    // {"bob",
//   "carol"} z[1].get();                     // tensor([2.0]): part 1 alone

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "workers/op_api.hpp"
#include "workers/pointer.hpp"
#include "workers/tensor.hpp"
#include "workers/worker.hpp"

namespace workers {

class multi_pointer : public op_api<multi_pointer> {
 public:
  /// No parts: every use fails with bad_argument (MP7).
  multi_pointer() = default;

  // -- parts
  // --------------------------------------------------------------------

  /// The number of parts (0 if failed or empty).
  size_t size() const noexcept { return parts_.size(); }

  /// Part `k` as a pointer of its own, sharing the reference (MP6). Called
  /// by users; throws operation_error (bad_argument naming k and size())
  /// if there is no part `k`. Hides op_api's x[i] (select: use
  /// `x.select(0, i)` to fan out).
  const pointer<tensor>& operator[](size_t k) const;

  /// Every part, in order.
  const std::vector<pointer<tensor>>& parts() const noexcept { return parts_; }

  /// The name of the worker each part points at now, in order (names repeat
  /// if parts share a worker, MP1); for a part refused before sending, the
  /// worker it was meant for. Never fails.
  std::vector<std::string> workers() const;

  /// True while the multi_pointer has parts and no operation building it
  /// was refused (MP3); says nothing of each part (see parts()).
  bool valid() const noexcept { return !error_ && !parts_.empty(); }

  /// Why it is not valid: the refusal of MP3, or bad_argument if empty.
  caf::error error() const;

  /// "[MultiPointer | bob: <pointer>, alice: <pointer>]".
  std::string to_string() const;

  // -- taking values home (blocking)
  // --------------------------------------------

  /// Every part's value, in order, each part taken home as pointer::get
  /// does (MP5). Called by users; throws operation_error with the first
  /// failing part's error (kind kept, "part k (worker): ..." in front).
  std::vector<tensor> get() const;

  /// As get(), returning the error instead of throwing.
  caf::expected<std::vector<tensor>> try_get() const;

  // -- op_api hooks (MP2, MP3)
  // ----------------------------------------------------

  /// Called by op_api's operations: sends `op` to every part; never blocks.
  multi_pointer apply_unary(opcode op, op_attrs attrs) const;

  /// Called by op_api's binary operations: part k with y's part k; a
  /// length mismatch gives a failed multi_pointer (MP3). Never blocks.
  multi_pointer apply_binary(opcode op, const multi_pointer& y) const;

  /// Called by op_api for numbers and by the tensor operators below: the
  /// literal travels with every part's request. Never blocks.
  multi_pointer apply_literal(opcode op, tensor literal,
                              bool literal_first) const;

  /// Called by op_api's in-place forms (x += y, zero_): sends every part's
  /// request, then waits for all answers (MP2). Throws operation_error with
  /// the first failing part's error (MP4; the other parts changed), or
  /// bad_argument for a length mismatch before anything is sent.
  multi_pointer& apply_in_place(opcode op, const multi_pointer* y,
                                const tensor* literal);

  // -- a tensor as the other operand (MP3)
  // ----------------------------------------

  // x + t, t + x and x += t for a tensor t (and -, *, /): as with a number.
#define WORKERS_MULTI_TENSOR_OPERATOR(sym, assign, op)                         \
  friend multi_pointer operator sym(const multi_pointer& x, const tensor& y) { \
    return x.apply_literal(op, y, false);                                      \
  }                                                                            \
  friend multi_pointer operator sym(const tensor& x, const multi_pointer& y) { \
    return y.apply_literal(op, x, true);                                       \
  }                                                                            \
  friend multi_pointer& operator assign(multi_pointer& x, const tensor& y) {   \
    return x.apply_in_place(op, nullptr, &y);                                  \
  }

  WORKERS_MULTI_TENSOR_OPERATOR(+, +=, opcode::add)
  WORKERS_MULTI_TENSOR_OPERATOR(-, -=, opcode::sub)
  WORKERS_MULTI_TENSOR_OPERATOR(*, *=, opcode::mul)
  WORKERS_MULTI_TENSOR_OPERATOR(/, /=, opcode::div)

#undef WORKERS_MULTI_TENSOR_OPERATOR

  // -- construction (MP7)
  // ---------------------------------------------------------

  friend multi_pointer send_all(const tensor& x,
                                const std::vector<worker>& dests);

  friend multi_pointer send_each(const std::vector<tensor>& xs,
                                 const std::vector<worker>& dests);

  friend multi_pointer combine_pointers(std::vector<pointer<tensor>> parts);

 private:
  explicit multi_pointer(std::vector<pointer<tensor>> parts,
                         std::vector<std::string> names = {})
    : parts_(std::move(parts)), names_(std::move(names)) {
    // nop
  }

  explicit multi_pointer(caf::error err) : error_(std::move(err)) {
    // nop
  }

  /// Applies `f(part k, k)` to every part (MP2), or passes on the failure.
  template <class F>
  multi_pointer fan_out(F f) const;

  std::vector<pointer<tensor>> parts_;
  /// Where each part was computed (MP4): workers() falls back to it for a
  /// part that has no location (refused before sending).
  std::vector<std::string> names_;
  caf::error error_;
};

/// Sends `x` to every worker of `dests` (PySyft's `x.send(bob, alice)`);
/// part k is on dests[k]. Called by users; returns at once; throws
/// operation_error (bad_argument) if `dests` is empty or its workers belong
/// to different clients, before anything is sent (MP7).
multi_pointer send_all(const tensor& x, const std::vector<worker>& dests);

/// Sends xs[k] to dests[k]. Called by users; returns at once; throws
/// operation_error (bad_argument naming both lengths) if the lengths
/// differ, or as send_all does (MP7).
multi_pointer send_each(const std::vector<tensor>& xs,
                        const std::vector<worker>& dests);

/// A multi_pointer over existing pointers, in order, sharing their
/// references (MP6); parts may be on the same worker (MP1). Called by
/// users; throws operation_error (bad_argument for an empty list or mixed
/// clients; an unusable pointer's own error naming its position) (MP7).
multi_pointer combine_pointers(std::vector<pointer<tensor>> parts);

/// combine_pointers({p, ps...}).
template <class... Ts>
multi_pointer combine_pointers(const pointer<tensor>& p, const Ts&... ps) {
  return combine_pointers(std::vector<pointer<tensor>>{p, ps...});
}

std::ostream& operator<<(std::ostream& out, const multi_pointer& x);

} // namespace workers
