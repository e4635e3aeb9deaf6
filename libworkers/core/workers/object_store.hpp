#pragma once

// object_store: a worker's objects and the reference bookkeeping around them.
//
// Plain logic, no actors: the worker actor feeds it the messages it receives
// and carries out the `outbound` retains/releases it returns. The rules it
// implements (R1-R4: holder sets, commuting retain/release, copy-on-shared
// take and move, tombstones) are described in protocol.hpp.
//
// An object stays while it has a holder or a pin (protocol.hpp, L1): pins
// are the references of requests the worker accepted but has not answered
// yet, taken on every operand id they name -- present or still arriving.
//
// Tombstones (T1) are references too: a failed result or a cleared object
// leaves one that lists the holders still naming it, so their gets return
// the original error; the last release drops it. Nothing else is kept for
// gone objects, so no table grows with the number of objects a worker ever
// saw, and no cap can turn a late message into a wrong answer.
//
// Example (bob's side of `x_ptr = x.send(bob); p = x_ptr.send(alice)`):
//   store.insert(X, tensor{1,2,3}, P, out);       // holders {P}
//   store.retain(X, Q, now);                      // holders {P, Q}
//   store.release(X, P, now, out);                // holders {Q}
//   store.take(X, Q, ids, out);                   // erased; tombstone "taken"
// and of an operation parked on an operand that is still being moved in:
//   store.pin(R, {X, Y});                         // Y unknown: pinned ahead
//   store.release(Y, H, now, out);                // early release of H
//   store.insert(Y, t, H, out);                   // H cancelled, pin keeps Y
//   store.execute(req, ids, out);                 // computes R from X, Y
//   store.unpin(R, out);                          // Y erased now
//
// Access (access_control.hpp): execute, run, listing and search take the
// requester and decide with the objects' policies; the worker asks
// permits() before a get, move or tag. A refused operation fails like any
// other (its result records the not_permitted error) and changes nothing.

#include <algorithm>
#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "workers/access_control.hpp"
#include "workers/limits.hpp"
#include "workers/object_id.hpp"
#include "workers/plan.hpp"
#include "workers/protocol.hpp"
#include "workers/store_image.hpp"

namespace workers {

/// A reference message the store's owner must send on the store's behalf.
struct outbound {
  enum class kind : uint8_t { retain, release };
  kind what;
  worker_ref target;
  object_id id;
  object_id holder;
};

using outbox = std::vector<outbound>;

/// Why an object left the store (kept in its tombstone).
enum class gone_reason : uint8_t { taken, moved, released, cleared, failed };

const char* to_string(gone_reason x);

/// What `object_store::execute` decided.
struct exec_outcome {
  enum class kind : uint8_t { done, forward, missing, failed };
  kind what = kind::done;
  /// missing: the operand id that is not here (yet).
  object_id missing;
  /// forward: send `forwarded` to `next`; `result` is the local pointer entry.
  worker_ref next;
  op_request forwarded;
  /// failed: the error (also recorded as the result's tombstone).
  caf::error error;
};

class object_store {
 public:
  using clock = std::chrono::steady_clock;
  using time_point = clock::time_point;

  struct limits {
    /// How long an early retain/release waits for its counterpart.
    std::chrono::seconds early_ttl{60};
    /// The largest tensor this store creates or accepts (limits.hpp;
    /// workers.max-tensor-bytes).
    uint64_t max_tensor_bytes = default_max_tensor_bytes;
    /// Most expectations one peer may have pending
    /// (workers.max-expectations-per-peer): announced arrivals cost memory
    /// until they arrive or expire, so a flood of `expect` stays bounded.
    size_t max_expectations_per_peer = 10000;
  };

  enum class presence : uint8_t { here, gone, unknown };

  explicit object_store(std::string owner);

  object_store(std::string owner, limits lim, access_config access = {});

  /// The access rules this store decides with.
  const access_config& access() const noexcept { return access_; }

  // -- queries ----------------------------------------------------------------

  const std::string& owner() const noexcept { return owner_; }

  /// here: stored; gone: tombstoned (its failure or clear() is still
  /// referenced); unknown: never seen, or gone with no reference left.
  presence status(object_id id) const;

  /// The stored value, or nullptr.
  const stored_value* find(object_id id) const;

  /// Whether `holder` holds a reference to the stored object `id`.
  bool holds(object_id id, object_id holder) const;

  /// How many accepted requests pin `id` (present or not).
  size_t pins(object_id id) const;

  /// Sizes of the bookkeeping, for leak checks: requests holding pins,
  /// tombstones, early retain/release records, expectations.
  struct bookkeeping {
    size_t pinning_requests = 0;
    size_t tombstones = 0;
    size_t early_records = 0;
    size_t expectations = 0;
  };

  bookkeeping overhead() const;

  size_t size() const noexcept { return entries_.size(); }

  /// Makes `holder`'s reference to `id` permanent: it never lapses (as the
  /// worker's own data does). Called by workers for `keep`, after
  /// check_owner; no_such_object if `id` is not stored or `holder` holds no
  /// reference to it.
  caf::error keep(object_id id, object_id holder);

  /// `id` if it is stored and `who` may find it (right::search), else
  /// nothing. Called by workers for a search by id.
  std::vector<object_id> search(object_id id, const requester& who) const;

  /// The bytes of every stored tensor (pointer entries count nothing).
  /// Called by workers for `stats`; O(objects).
  uint64_t stored_bytes() const;

  /// All entries in creation order, values included (tests, snapshots).
  store_listing listing() const;

  /// The entries in creation order; those whose values `who` may not see
  /// are listed as hidden, with dtype, shape and why. Called by workers
  /// for `list`.
  store_listing listing(const requester& who) const;

  /// The policy of the stored `id`, or nullptr.
  const object_policy* policy_of(object_id id) const;

  /// Nothing if `id` is not stored or `who` may exercise `r` on it (for
  /// `operation`), otherwise not_permitted (access_control.hpp, A3).
  /// Called by workers before get, move and tag.
  caf::error permits(object_id id, const requester& who, right r,
                     const std::string& operation) const;

  /// permits for a move of `id` (check_move): `to_enforcer` says whether
  /// the destination enforces these rules too (access_control.hpp, A5).
  /// A leaf's gradient moves with it, so its policy must allow the move too
  /// (remote_autograd.hpp, G5). Called by workers serving `move`.
  caf::error permits_move(object_id id, const requester& who, bool to_enforcer,
                          const std::string& operation) const;

  /// The operation that produced the stored `id` ("" if not stored).
  std::string produced_by(object_id id) const;

  /// The tags of the stored `id` (empty if none or not stored).
  std::vector<std::string> tags(object_id id) const;

  /// Ids of the stored objects that carry every tag in `query`, in creation
  /// order (PySyft's worker.search). An empty query matches tagged objects.
  std::vector<object_id> search(const std::vector<std::string>& query) const;

  /// search() restricted to the objects `who` may find. Called by workers.
  std::vector<object_id> search(const std::vector<std::string>& query,
                                const requester& who) const;

  // -- grants -----------------------------------------------------------------

  /// Grants `g.what` on `g.id` to `g.principal`, if `who` may: the owner on
  /// objects that are not private, an admin on the worker's own data and
  /// what is derived from it; an admin's grant of take, move or see on a
  /// derived object also releases it. Fails with not_permitted, or
  /// no_such_object. Called by workers for `permit`.
  caf::error permit(const grant& g, const requester& who);

  // -- tags -------------------------------------------------------------------

  /// Adds `tags` to the stored `id` (duplicates ignored). Fails with
  /// no_such_object (or the tombstone's reason) if `id` is not stored.
  caf::error tag(object_id id, const std::vector<std::string>& tags);

  /// The error for a tombstoned id: the original error for failed results,
  /// object_gone naming the reason otherwise.
  caf::error gone_error(object_id id) const;

  /// no_such_object naming `id` and this worker.
  caf::error unknown_error(object_id id) const;

  /// not_a_holder naming `holder`, `id` and this worker.
  caf::error not_holder_error(object_id id, object_id holder) const;

  /// Checks a `dt` tensor of shape `s` arriving as `id` (`how`: "put",
  /// "literal", "large tensor") against max_tensor_bytes before it is
  /// stored or read (limits.hpp, Z2): capacity_exceeded naming the limit
  /// and its config key, or bad_argument for an invalid layout. Called by
  /// insert, execute, and workers before reading a large tensor.
  caf::error admit(const char* how, object_id id, dtype dt,
                   const shape& s) const;

  // -- object lifecycle -------------------------------------------------------

  /// Creates `id` held by `holder` (R1), applying early records (R3);
  /// `produced_by` names its origin for the audit log ("put", "add", ...).
  /// Fails with duplicate_id if `id` is stored or tombstoned; a tensor above
  /// max_tensor_bytes is refused (admit) and its failure recorded for `id`,
  /// as is a moved leaf whose gradient does not fit it (leaf_state.hpp,
  /// LS4); a moved leaf is stored with its record and gradient (LS5).
  caf::error insert(object_id id, stored_value value, object_id holder,
                    outbox& out, std::string produced_by = "put");

  /// insert() for data this worker owns itself (a shard it loaded): its
  /// reference belongs to the worker, like a pin, and never lapses (F1).
  /// The object stays until its holder is released, it is taken, or clear.
  caf::error insert_own(object_id id, stored_value value, object_id holder,
                        outbox& out, std::string produced_by);

  /// Adds `holder` to `id`'s holders; remembers it if `id` is not here yet.
  void retain(object_id id, object_id holder, time_point now);

  /// Removes `holder`; erases `id` when no holder is left and cascades the
  /// release of a pointer entry's own reference into `out`.
  void release(object_id id, object_id holder, time_point now, outbox& out);

  /// Takes `holder`'s reference (R4). Precondition: holds(id, holder).
  taken_value take(object_id id, object_id holder, id_generator& ids,
                   outbox& out);

  /// Starts moving `holder`'s reference of `id` to a new entry `new_id`
  /// elsewhere: returns the value to put there (forking the downstream
  /// reference of a pointer entry), with a leaf's autograd state
  /// (remote_autograd.hpp, G5). Precondition: holds(id, holder).
  stored_value begin_move(object_id id, object_id holder, object_id new_id,
                          outbox& out);

  /// The destination acknowledged: drops `holder`'s reference here.
  void finish_move(object_id id, object_id holder, const std::string& dest,
                   object_id new_id, time_point now, outbox& out);

  /// The destination failed (or did not answer in time): undoes
  /// begin_move's fork and releases `holder`'s reference to `new_id` at
  /// `dest`, so a put that did land (or lands later) leaves no copy there.
  static void abort_move(const stored_value& sent, const worker_ref& dest,
                         object_id new_id, object_id holder, outbox& out);

  /// Records that creating `id`, held by `holder`, failed with `reason`
  /// (erasing it if here): its tombstone keeps the error for as long as a
  /// reference names it (T1). Early records for `id` apply to the tombstone.
  /// Without a valid `holder` (the key of an in-place request, I1) nothing
  /// was to be created and no tombstone is left.
  void fail(object_id id, object_id holder, caf::error reason, outbox& out);

  /// fail() for each `ids[k]` held by `holders[k]` that is not created yet
  /// (the outputs of a plan run or an exec that failed as a whole).
  void fail_results(const std::vector<object_id>& ids,
                    const std::vector<object_id>& holders,
                    const caf::error& reason, outbox& out);

  /// Records that the stored `id` failed with `reason` after all (a chain
  /// below it failed): erases it, keeping the error for its holders. Does
  /// nothing if `id` is not stored (its holders released it already).
  void fail_stored(object_id id, caf::error reason, outbox& out);

  // -- pins (L1) --------------------------------------------------------------

  /// The request `key` (unique, e.g. its result id) was accepted and names
  /// `ids`: each one stays until unpin(key), even if its holders all go
  /// first and even if it has not arrived yet. Idempotent per key.
  void pin(object_id key, const std::vector<object_id>& ids);

  /// The request `key` was answered: drops its pins and erases the objects
  /// that nothing references any more (cascading into `out`).
  void unpin(object_id key, outbox& out);

  /// Erases everything, cascading releases; tombstones say "cleared".
  void clear(outbox& out);

  /// Erases the objects owned by `principal` (a clear by someone who is not
  /// an admin), like clear().
  void clear_owned(const std::string& principal, outbox& out);

  // -- leases (F1) -----------------------------------------------------------

  /// How many lease periods (expire_leases calls) a reference survives
  /// without a renewal: it lapses at the third, so between two and three
  /// periods after its last renewal or grant.
  static constexpr uint64_t lease_epochs = 3;

  /// `holder` still holds `id` (a renewal from whoever has the reference
  /// now). Ignored if `holder` holds no reference to `id` here: a renewal
  /// never creates state, so one that overtakes a retain or trails a
  /// release changes nothing.
  void renew(object_id id, object_id holder);

  /// Starts a new lease period: drops every reference (of stored objects
  /// and tombstones) not renewed during the last `lease_epochs` periods and
  /// erases what nothing references any more, cascading into `out`. Pins
  /// never lapse: they belong to this worker. Returns how many references
  /// lapsed. Called by the worker every half lease.
  size_t expire_leases(outbox& out);

  /// The references this store's pointer entries hold elsewhere, for the
  /// worker to renew: (target worker, {target id, entry id}).
  std::vector<std::pair<worker_ref, lease_claim>> claims() const;

  /// Points every pointer entry that names `fresh`'s worker (the same name
  /// and node address) at `fresh.hdl`: that worker was found again after
  /// its node restarted from a snapshot (objects and ids unchanged, a new
  /// handle). Returns how many entries changed. Called by the worker
  /// (worker_links.hpp, refind); never fails.
  size_t rebind(const worker_ref& fresh);

  /// The target of the pointer entries that name the worker at `addr` on
  /// another node, if any (name, node address and the old handle). Called
  /// by the worker when that peer goes down; never fails.
  std::optional<worker_ref> target_at(const caf::actor_addr& addr) const;

  // -- snapshots (store_image.hpp) -------------------------------------------

  /// The objects, tombstones and holders of this store as plain data.
  /// Called by workers when they save a snapshot (snapshot.hpp).
  store_image image() const;

  /// Replaces this (empty) store's content by `img`, every reference with a
  /// fresh lease. Called by a worker restored from a snapshot before it
  /// serves anything; bad_argument naming the id if `img` repeats an id or
  /// has an object without holders, and the store stays empty then.
  caf::error restore(const store_image& img);

  /// bad_argument naming the id unless every object and tombstone of `img`
  /// has a valid, unique id, a holder, and (tombstones) a known reason.
  /// Called by restore and by load_snapshot.
  static caf::error check_image(const store_image& img);

  // -- pipelining support -----------------------------------------------------

  /// Called by the worker for `expect` (and for a large put it fetches):
  /// notes that `id` is on its way and may arrive until `until`, announced
  /// by `peer` (the requester's name). Answers false, noting nothing, if
  /// `peer` has max_expectations_per_peer pending already or `id` is known.
  bool expect(object_id id, time_point until, const std::string& peer = {});

  /// How many expectations `peer` has pending.
  size_t expectations_of(const std::string& peer) const;

  /// The announced arrival deadline of `id`, if any.
  std::optional<time_point> expected_until(object_id id) const;

  /// Drops early records and expectations that are past their time.
  void expire(time_point now);

  // -- operations -------------------------------------------------------------

  /// Runs plan `p` on the tensors `run.inputs` stored here and stores its
  /// outputs as `run.outputs` held by `run.holders` (P2: all or none; on
  /// failure every output id records the error). Reports a missing input.
  /// `who` needs compute on every input; the outputs are theirs, derived
  /// from the inputs' policies, and released by `release_rule` if not empty
  /// (an approved plan). Inputs its in-place steps write are replaced once
  /// it succeeded (plan.hpp, P4): `who` must own each (P5, I2, checked
  /// before any step), each keeps its id, holders, owner and leaf record,
  /// and gets the provenance of its new value, never the release rule.
  exec_outcome run(const plan& p, const plan_run& run, outbox& out,
                   const requester& who = {}, std::string release_rule = {});

  /// Runs `req` here (all operands are tensors on this worker), prepares its
  /// forwarding (all are pointer entries to one other worker: installs the
  /// result as a pointer entry first), reports a missing operand, or fails.
  /// `who` needs compute on every operand; the result is theirs, with the
  /// provenance of its operands (object_policy.hpp, P2). A forwarded request
  /// names `who` as its principal (access_control.hpp, A1). An in-place
  /// request replaces its first operand instead (protocol.hpp, I1-I4): `who`
  /// must also be its owner (or an admin, for the worker's data), the result
  /// must keep its shape and dtype, and on failure nothing changes.
  exec_outcome execute(const op_request& req, id_generator& ids, outbox& out,
                       const requester& who = {});

 private:
  struct early {
    object_id holder;
    time_point at;
  };

  /// One reference: its holder id, the lease period it was last granted or
  /// renewed in, and whether it is this worker's own (never lapses).
  struct held {
    object_id holder;
    uint64_t renewed;
    bool own = false;
  };

  using holder_list = std::vector<held>;

  template <class List>
  static auto find_holder(List& holders, object_id holder) {
    return std::find_if(holders.begin(), holders.end(),
                        [holder](const held& h) { return h.holder == holder; });
  }

  struct entry {
    stored_value value;
    holder_list holders;
    uint64_t order;
    std::string produced_by;
    std::vector<std::string> tags;
    /// The policy of the gradient accumulated in this leaf's autograd
    /// record, once a backward reached it (remote_autograd.hpp, G3).
    std::optional<object_policy> grad_policy;
  };

  /// What is left of an object whose references outlive it (T1): its
  /// failure, or that clear() deleted it, with the holders that still name
  /// it. Released, taken and moved objects leave none: nothing names them.
  struct tombstone {
    gone_reason reason;
    caf::error error;
    holder_list holders;
  };

  using entry_map = std::unordered_map<object_id, entry>;

  void add_holder(object_id id, holder_list& holders, object_id holder);

  bool cancel_early(std::unordered_map<object_id, std::vector<early>>& records,
                    object_id id, object_id holder);

  void erase(entry_map::iterator i, tombstone why, bool cascade, outbox& out);

  /// Erases `i` with `why` if it has neither holders nor pins.
  void erase_if_unreferenced(entry_map::iterator i, tombstone why, outbox& out);

  void bury(object_id id, tombstone why);

  /// Removes `holder` from `id`'s tombstone (dropping it when none is left);
  /// false if the tombstone does not list `holder`.
  bool unbury(object_id id, object_id holder);

  std::string describe(const op_request& req) const;

  /// Runs the autograd request `req` (requires_grad, backward, grad,
  /// zero_grad; remote_autograd.hpp) on its one operand, a tensor here
  /// (`inputs`, with `policies` and `names` as execute resolved them), for
  /// `who`. Called by execute once compute (and, in place, ownership) of the
  /// operand is checked; fails as G6 says, changing nothing.
  exec_outcome
  execute_autograd(const op_request& req, const std::vector<op_input>& inputs,
                   const std::vector<const object_policy*>& policies,
                   const std::vector<std::string>& names, const requester& who,
                   outbox& out);

  /// backward from the stored `loss_id` for `who` (G3, G6): checks every
  /// stored leaf it reaches, runs autograd's backward and updates their
  /// gradients' policies. Called by execute_autograd.
  caf::error backward_stored(object_id loss_id, const requester& who);

  /// Replaces the target of the in-place `req` (a tensor here, operands
  /// `inputs`) by `value` under `policy` (keeping id, holders and owner), or
  /// returns bad_argument if `value` has another shape or dtype (I3). Called
  /// by execute once the operation succeeded.
  caf::error replace(const op_request& req, const std::vector<op_input>& inputs,
                     tensor value, object_policy policy);

  /// Replaces the stored tensor `id` by `value` under `policy`, keeping its
  /// id, holders and owner and, for a leaf, its record and gradient (I1,
  /// G4). Called by replace (in-place execs) and run (inputs a plan writes,
  /// plan.hpp P4) once the new value is checked; never fails.
  void write_back(object_id id, tensor value, object_policy policy,
                  std::string produced_by);

  /// The release rule of an aggregate `op` (with `attrs`) computes from
  /// `inputs` with
  /// `policies` (one per operand, null for literals), if any: a sum or mean
  /// over enough rows, or a sum over enough data owners (access_control.hpp,
  /// A6).
  std::string
  aggregate_release(opcode op, const op_attrs& attrs,
                    const std::vector<op_input>& inputs,
                    const std::vector<const object_policy*>& policies) const;

  std::string owner_;
  limits limits_;
  access_config access_;
  uint64_t next_order_ = 0;
  /// The current lease period (expire_leases counts them).
  uint64_t epoch_ = 0;
  entry_map entries_;
  std::unordered_map<object_id, tombstone> tombstones_;
  std::unordered_map<object_id, std::vector<early>> early_retains_;
  std::unordered_map<object_id, std::vector<early>> early_releases_;
  // An announced arrival (expect), and who announced it.
  struct expectation {
    time_point until;
    std::string peer;
  };

  // Drops the expectation of `id`, if any, from the per-peer counts too.
  void forget_expectation(object_id id);

  std::unordered_map<object_id, expectation> expected_;
  std::unordered_map<std::string, size_t> expecting_; // per peer
  /// Pins per pinned id, and the ids each accepted request pinned.
  std::unordered_map<object_id, size_t> pin_counts_;
  std::unordered_map<object_id, std::vector<object_id>> pins_by_key_;
};

} // namespace workers
