#pragma once

// object_policy: who may do what with one object, kept with the object
// wherever it goes (it is part of stored_value, so puts, moves and listings
// carry it).
//
// Design note
// -----------
// Every object has an owner -- a principal (access_control.hpp): the client
// that sent it or computed it, or the worker that loaded it -- and rights
// granted to others, one list per `right`. The worker holding the object
// decides with `allows` before it serves anything (access_control.hpp); the
// holder ids of the reference protocol (protocol.hpp, R1-R4) stay what they
// were, a capability to *name* the object, never a permission to read it.
//
// Private data. Data a worker loads from its own storage is `raw`: its
// owner is the worker, anyone may compute on it and find it, and its values
// never leave. A result computed from raw data (or from other such results)
// records its `sources` -- the private objects it depends on, as
// "worker:id" -- and may leave only once `released` names the rule that
// allowed it (an aggregate over enough rows, the output of an approved
// plan, an explicit permission of the data owner's admin). Provenance
// travels with results through operations, chains, plans and moves.
// Invariants:
//   P1 take, move and see of a raw object, or of a derived object not
//      released, are refused to everyone but the data owner's admins and
//      explicit grants made by them.
//   P2 A result's sources are the union of its operands' sources plus every
//      raw operand; it is released only if every private operand is, or a
//      release rule applies to the operation itself.
//   P3 Only a trusted worker (a cluster member moving an object) may set
//      an object's owner or provenance; a client's put is owned by the
//      client, whatever its policy claims, and carries no provenance.
//
// Example (bob loaded images X; the model owner M computes on them):
//   X.policy = private_data("bob")         // raw, compute/search by anyone
//   Y = X.sum(0) by M (1000 rows, aggregate-min-rows = 100)
//   Y.policy = {owner M, sources ["bob:X"], released "aggregate over 1000
//              rows ..."}                  // M may take Y
//   Z = X * 2 by M: {owner M, sources ["bob:X"], released ""}
//                                          // M's get of Z: not_permitted

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "workers/object_id.hpp"

namespace workers {

/// What a principal may do with an object.
enum class right : uint8_t {
  /// Take it home: get, or move it to a worker of one's own.
  take = 0,
  /// Move it to another worker.
  move,
  /// See its values in a listing (others see id, dtype and shape).
  see,
  /// Use it as an operand of operations and plans.
  compute,
  /// Find it by search.
  search,
};

/// The highest right value this build knows.
constexpr right last_right = right::search;

/// "take", "move", "see", "compute" or "search" ("unknown" above last_right).
const char* to_string(right x);

/// Grants to everyone (in a grant list).
constexpr const char* anyone = "*";

struct object_policy {
  /// The principal the object belongs to; empty only for objects made by
  /// the store's own unit tests (no policy: everything is allowed).
  std::string owner;

  /// Private data a worker loaded: values never leave (P1).
  bool raw = false;

  /// The private objects ("worker:id") this value was computed from (P2).
  std::vector<std::string> sources;

  /// Why a derived value may leave after all; empty: it may not (P1).
  std::string released;

  /// Grants beyond the owner, one list per right (principals, or "*").
  std::vector<std::string> may_take;
  std::vector<std::string> may_move;
  std::vector<std::string> may_see;
  std::vector<std::string> may_compute;
  std::vector<std::string> may_search;

  /// Whether values are private here: raw, or derived and not released.
  bool guarded() const noexcept {
    return raw || (!sources.empty() && released.empty());
  }

  /// The grant list of `x`.
  std::vector<std::string>& grants(right x);
  const std::vector<std::string>& grants(right x) const;

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f,
                                                 object_policy& x) {
    return f(caf::meta::type_name("workers::object_policy"), x.owner, x.raw,
             x.sources, x.released, x.may_take, x.may_move, x.may_see,
             x.may_compute, x.may_search);
  }
};

bool operator==(const object_policy& x, const object_policy& y);

/// A client's own object: owned by `principal`, nothing granted to others.
object_policy owned_by(std::string principal);

/// Data worker `worker` loaded from its own storage: raw, owned by the
/// worker, computable and searchable by anyone (P1).
object_policy private_data(std::string worker);

/// "worker:id", the name of a private source in provenance lists.
std::string source_name(const std::string& worker, object_id id);

/// The policy of a result computed by `owner` from operands with policies
/// `inputs` (some of them may be null: literals); `input_names[k]` is
/// operand k's source name (source_name), used if it is raw. Applies P2;
/// `rule`, if not empty, releases the result (a release rule for this
/// operation applied). Called by object_store::execute and run.
object_policy derive(std::string owner,
                     const std::vector<const object_policy*>& inputs,
                     const std::vector<std::string>& input_names,
                     std::string rule = {});

/// Sources are capped at this many names: longer provenance keeps the
/// first ones and a "... and N more" entry (a result of a whole dataset
/// names its shards, not every batch).
constexpr size_t max_sources = 64;

} // namespace workers
