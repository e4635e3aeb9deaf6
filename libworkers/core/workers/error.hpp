#pragma once

// Errors of libworkers: one CAF error category (`atom("workers")`) whose codes
// say *what kind* of thing went wrong, and whose context message says *which*
// ids, shapes, dtypes and workers were involved. Errors cross the wire as
// plain `caf::error`s, so a remote failure arrives at the caller unchanged.

#include <stdexcept>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/timespan.hpp>

namespace workers {

/// Error kinds. Values are part of the wire format: append only.
enum class errc : uint8_t {
  none = 0,
  /// No object with this id exists on the worker (nor arrived in time).
  no_such_object = 1,
  /// The object existed but is gone: taken by get, moved, released, failed.
  object_gone = 2,
  /// The requester does not hold a reference to the object it names.
  not_a_holder = 3,
  /// Operands of one operation live on different workers.
  location_mismatch = 4,
  /// Shapes of the operands do not fit the operation.
  shape_mismatch = 5,
  /// Dtypes of the operands do not fit the operation.
  dtype_mismatch = 6,
  /// An axis argument is out of range for the tensor's rank.
  bad_axis = 7,
  /// Any other malformed argument (rank above 4, bad reshape, ...).
  bad_argument = 8,
  /// The object is of another kind than expected (tensor vs. pointer).
  wrong_kind = 9,
  /// The pointer handle was already consumed by get() or is invalid.
  already_taken = 10,
  /// The worker holding the object cannot be reached.
  peer_unreachable = 11,
  /// A bounded wait expired.
  timeout = 12,
  /// A bounded table (parked requests, tombstones) is full.
  capacity_exceeded = 13,
  /// An id that must be fresh is already in use on the worker.
  duplicate_id = 14,
  /// The requester's principal may not do this (policy, or an
  /// unauthenticated peer).
  not_permitted = 15,
};

/// The CAF error category of libworkers errors.
constexpr caf::atom_value error_category = caf::atom("workers");

/// Returns the name of `x`, e.g. "shape_mismatch".
const char* to_string(errc x);

/// Creates an error of kind `code` whose context is the message `what`.
caf::error make_error(errc code, std::string what);

/// Returns whether `err` is a libworkers error of kind `code`.
bool is(const caf::error& err, errc code);

/// The human-readable context of a libworkers error (without the kind), or
/// the rendering of any other error.
std::string message_of(const caf::error& err);

/// `err` with `context + ": "` in front of its message, same kind (a
/// non-libworkers error becomes bad_argument). Used to say where an error
/// happened, e.g. in which step of a plan.
caf::error with_context(const caf::error& err, const std::string& context);

/// Renders any error for humans without an actor system, e.g.
/// "shape_mismatch: add: shapes [3] and [4] differ on bob".
std::string render(const caf::error& err);

/// Maps CAF's transport errors (request_timeout, request_receiver_down, ...)
/// to errc::timeout / errc::peer_unreachable naming `peer`; returns other
/// errors unchanged. `timeout` is the bound that expired, for the message.
caf::error from_transport(const caf::error& err, const std::string& peer,
                          caf::timespan timeout);

/// Exception thrown by the blocking API (`pointer::get`, `worker::objects`,
/// tensor arithmetic) when an operation fails. Carries the original error.
class operation_error : public std::runtime_error {
 public:
  explicit operation_error(caf::error err);

  const caf::error& error() const noexcept { return err_; }

  /// Returns whether this is a libworkers error of kind `code`.
  bool is(errc code) const { return workers::is(err_, code); }

 private:
  caf::error err_;
};

/// The value of `x`, or throws operation_error with its error. Called by the
/// blocking API and by programs that turn expected results into exceptions.
template <class T>
T value_or_throw(caf::expected<T> x) {
  if (!x)
    throw operation_error(x.error());
  return std::move(*x);
}

} // namespace workers
