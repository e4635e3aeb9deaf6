#pragma once

// access_control: who is asking, and whether a worker lets them.
//
// Design note
// -----------
// A *principal* is a party that acts on objects: a client or a worker,
// named by the subject (CN) of its certificate when the cluster runs TLS
// (actors/runtime/workers/actors/gate.hpp proves it per connection).
// In-process, and in insecure mode, principals are declared, not proven. The
// worker that holds an object resolves the sender of each request into a
// `requester` (actors/runtime/src/worker_identity.hpp, resolve) and asks
// `check` before it serves it; the decision uses only the object's policy
// (object_policy.hpp) and the worker's own `access_config`, never anything the
// request claims about its sender's rights. Invariants:
//   A1 A worker acts on behalf of another principal only when it forwards
//      that principal's request along a chain; only `trusted` senders (the
//      cluster's workers, this process) may name the principal they act
//      for. Anyone else acts as themselves.
//   A2 Admins (access_config::admins) act as the worker itself: they may do
//      anything with the worker's own data and what is derived from it only
//      (sources all on this worker), load data, clear everything, define
//      plans when only admins may, and grant rights on the worker's data.
//   A3 A refusal is errc::not_permitted naming the principal, the
//      operation, the object, the worker and the rule; the object stays
//      where it was, unchanged, and the worker logs the refusal.
//   A4 Within one process there is one party: the actors of a worker's own
//      process (its client, the node's other workers) are never refused.
//      Permissions separate processes, which the gate authenticates.
//   A5 A derived result not yet released moves only to a worker that
//      enforces the same rules (a cluster member, proven by the gate): the
//      policy travels with it, so the move reveals nothing to anyone.
//   A6 Aggregates leave; single contributions do not. A sum or mean over
//      at least aggregate_min_rows rows, or a sum of results from at least
//      aggregate_min_owners distinct data owners (no owner behind two
//      operands), is released to whoever computed it. A sum with a
//      released operand is no aggregate, so a released partial sum is never
//      extended; set aggregate_min_owners to the cohort's size so that no
//      partial sum is released and differenced against the full one.
//      These rules describe computations of honest-but-curious parties:
//      they cannot tell a masked single value (x_bob + 0 * x_alice) from a
//      true aggregate.
//      Against a principal that computes arbitrary functions, grant compute
//      only to principals you trust and release through approved plans.
//      A data owner may also release whatever is derived from its data
//      alone to named principals (release_to), never its raw data.
//
// Example (bob, admins ["alice_admin"], a request from "intruder"):
//   requester who{"intruder"};
//   check(bob_cfg, "bob", who, x_policy, right::take, "get", x_id)
//     -> not_permitted: "intruder may not take object 3@9f.. on bob (get):
//        it belongs to me (rule: owner only; take granted to nobody)"

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include <caf/error.hpp>

#include "workers/object_id.hpp"
#include "workers/object_policy.hpp"

namespace workers {

/// The principal behind one request, as the receiving worker resolved it.
struct requester {
  /// The principal's name ("me", "model_owner", "bob").
  std::string name;
  /// Whom per-peer quotas count the request against (parked requests,
  /// pending expectations): `name` where it is proven or local; for a peer
  /// whose names are only declared (insecure mode) its node ("node <id>"),
  /// whatever principal it claims to act for, so that claiming many names
  /// does not multiply its quota.
  std::string peer;
  /// An admin of this worker (A2).
  bool admin = false;
  /// May act on behalf of others and set an object's owner and provenance
  /// (A1, object_policy.hpp P3): this process, the cluster's workers, and
  /// anyone in insecure mode (identities there are declared anyway).
  bool trusted = false;
  /// Whether the name was proven (TLS certificate) or only declared
  /// (in-process, insecure mode); for error messages and the audit log.
  bool proven = false;
  /// An actor of the worker's own process, which shares its memory: one
  /// party with the worker, so nothing is enforced against it (A4).
  bool local = false;
};

/// A worker's access rules, from the `[policy]` config section.
struct access_config {
  /// Checks on (the default). Off only to measure their cost (apps/bench).
  bool enforce = true;
  /// Principals that act as the worker (A2); "*" makes everyone an admin
  /// (local development only).
  std::unordered_set<std::string> admins;
  /// Principals that may act on behalf of others (A1): the cluster's
  /// workers. This process is always trusted.
  std::unordered_set<std::string> trusted;
  /// Only admins may define plans.
  bool admin_plans = false;
  /// A sum or mean over the rows (axis 0, or all axes) of private data with
  /// at least this many rows is released to whoever computed it; 0: never.
  uint64_t aggregate_min_rows = 16;
  /// The sum (add) of results computed from the private data of distinct
  /// data owners, together at least this many, is released to whoever
  /// computed it (federated averaging, secure aggregation); 0: never.
  uint64_t aggregate_min_owners = 2;
  /// Principals to whom results derived from this worker's data alone are
  /// released (plain FedAvg, which hands each owner's model to the model
  /// owner); raw data still never leaves. Empty by default.
  std::unordered_set<std::string> release_to;
  /// Hashes (plan_hash) of plans whose outputs are released to whoever ran
  /// them.
  std::unordered_set<std::string> approved_plans;
  /// The principal of senders in this process that declare none: the
  /// process's own (the client's name, or the node's first worker).
  std::string local_principal;

  /// Whether `name` is an admin here.
  bool is_admin(const std::string& name) const;
};

/// Whether `who` may exercise `r` on an object with `policy` on the worker
/// named `here`. Applies P1 (object_policy.hpp) and A2. Called by check.
bool allows(const access_config& cfg, const std::string& here,
            const requester& who, const object_policy& policy, right r);

/// Whether `who` may move an object with `policy` from worker `here` to a
/// worker that enforces these rules too (`to_enforcer`: a cluster worker,
/// whose principal the gate proved, or a worker of this process): allows()
/// for right::move, and also a derived result that is its owner's but not
/// released, because its policy travels with it (P2) and the destination
/// refuses what `here` would (A5). Raw data never moves that way. Called by
/// workers serving `move`.
bool allows_move(const access_config& cfg, const std::string& here,
                 const requester& who, const object_policy& policy,
                 bool to_enforcer);

/// Whether an object with `policy` is worker `here`'s own data, or derived
/// from it only: what admins of `here` act on (A2).
bool data_of(const std::string& here, const object_policy& policy);

/// The policy of a result `who` computed on worker `here`, given what
/// derive() made of it: an admin of `here` computing from the worker's own
/// data makes the worker's own result, released (A2). Called by
/// object_store::execute and run.
object_policy computed_by(object_policy derived, const requester& who,
                          const std::string& here);

/// Nothing if `who` may exercise `r` on `id` (for `operation`, the request
/// that needs it: "get", "move to alice", "add", ...), otherwise
/// not_permitted naming principal,
/// operation, object, worker and rule (A3). Called by workers and the
/// object store before serving a request.
caf::error check(const access_config& cfg, const std::string& here,
                 const requester& who, const object_policy& policy, right r,
                 const std::string& operation, object_id id);

/// check for a move (allows_move): nothing, or not_permitted as check says.
/// Called by object_store::permits_move.
caf::error check_move(const access_config& cfg, const std::string& here,
                      const requester& who, const object_policy& policy,
                      bool to_enforcer, const std::string& operation,
                      object_id id);

/// Nothing if `who` may manage `id` (tag it, for `operation`): its owner,
/// or an admin of `here` for the worker's data (A2); not_permitted
/// otherwise. Called by workers.
caf::error check_owner(const access_config& cfg, const std::string& here,
                       const requester& who, const object_policy& policy,
                       const std::string& operation, object_id id);

/// The policy an object `who` puts on worker `here` is stored with
/// (object_policy.hpp, P3): what it claims if `who` is trusted and it names
/// an owner, or if `who` is an admin of `here` and it names `here` (the
/// worker's own data, A2); else owned by `who`, with the grants (and raw
/// flag) it asked for but no provenance. Called by workers for every put.
object_policy admit_policy(object_policy claimed, const requester& who,
                           const std::string& here);

/// not_permitted for an operation that needs an admin of `here` (clear of
/// everything, load, define when plans are admin-only, grants on the
/// worker's data). Called by workers.
caf::error admin_only(const std::string& here, const requester& who,
                      const std::string& operation);

/// The rule that releases the result of `op` (an opcode name) reducing
/// `rows` rows of private data over its rows, or "" if none does
/// (access_config::aggregate_min_rows). Called by object_store::execute.
std::string aggregate_rule(const access_config& cfg, const char* op,
                           uint64_t rows);

/// The data owners (worker names) `policy`'s provenance names, sorted and
/// distinct ("bob:3@ab.." -> "bob"). Called by combination_rule and tests.
std::vector<std::string> data_owners(const object_policy& policy);

/// The rule that releases the sum (`add`) of operands with `policies`, or
/// "" if none does: every operand computed from private data, no data owner
/// behind two operands, and at least access_config::aggregate_min_owners
/// owners in all (A6). Called by object_store::execute.
std::string combination_rule(const access_config& cfg,
                             const std::vector<const object_policy*>& policies);

} // namespace workers
