#pragma once

// The worker protocol: the messages a worker understands, as one typed CAF
// interface, plus the value types that travel in them. Everything here is
// serializable (see type_ids.hpp), so the same protocol runs in one process
// and across nodes.
//
// Design note
// -----------
// Objects. A worker stores objects under caller-chosen, globally unique ids
// (object_id.hpp). An object is a tensor or a *pointer entry*: a remote_ref
// naming an object on another worker (or this one). A chain me -> alice -> bob
// is a client handle naming alice:S, where S is a pointer entry naming bob:T.
//
// References. Every reference to an object is itself named by a globally
// unique id: the id of the client handle or of the pointer entry that holds
// it. The owner of an object keeps the set of these *holder* ids and deletes
// the object when the set becomes empty; deleting a pointer entry releases
// its own reference downstream, so deletion cascades along chains.
// Invariants:
//   R1 A message that creates an object (put, exec, move) names its first
//      holder; no object exists without one.
//   R2 Whoever hands a reference to a third party first registers the new
//      holder at the owner (retain) and only then may drop its own. Both go
//      over the same sender->owner channel, whose order CAF preserves, so the
//      owner never sees an empty holder set while a reference is in flight.
//   R3 retain and release commute: a release that overtakes its retain (or
//      the object's creation) leaves an "early release" record that cancels
//      the retain when it comes. Records expire after a TTL.
//   R4 get (take) removes only the taker's reference. If nobody else holds
//      the object it leaves the worker; otherwise the taker gets a copy and
//      the others keep theirs. move works the same way. So a reference never
//      dangles and an object nobody references never stays.
//
// Lifetime (L). An object is deleted exactly when no reference to it exists
// anywhere: held by a client handle, by a pointer entry on another worker,
// by a search result, by a request the worker accepted and has not answered
// (parked or running), by a move or get in progress, or promised as the
// result of an accepted operation (its holder is granted when it is made).
//   L1 A worker pins every operand id an exec or plan run names, present or
//      still arriving, from the moment it accepts the request until it
//      answers it (object_store::pin). A pin is not a holder: an early
//      release (R3) cancels only the holder it names, never a pin. A take or
//      move of a pinned object leaves a copy for the pinning request.
//   L2 A worker that forwards a request sends it before anything the
//      request unblocks (the releases of its pins, requests parked on its
//      result): on the one channel to the next hop, the next hop sees the
//      request before releases of the objects it names.
//   D1 A value leaves a store only once its delivery is confirmed: a large
//      tensor that another node takes home by get is staged, and the object
//      keeps the taker's reference until the taker has read every byte and
//      releases it. A stalled or stopped transfer loses nothing.
//   M3 Moving an object that is gone (taken, released, cleared, or its
//      operation failed) moves its fate: the source tells the destination
//      (gone), requests for the new id there fail with the original error,
//      and the handle stays where the caller moved it.
//   M4 A move whose source does not answer (stalled past the client's
//      timeout, or dead) is decided by its destination: the client agent
//      sends it gone, which either records the failure -- a put still on
//      its way is then refused, so the data stays at the source -- or finds
//      the object there, and then the move happened and the handle points
//      there. The failure record keeps the handle's holder, which nobody
//      renews, so it lapses with its lease: a source that resumes within
//      the lease finds its put refused and keeps the data. Left open: a
//      source stalled longer than the lease, and a source whose own put
//      request timed out while the destination had stored it (it takes
//      the put back, but the handle points at the destination).
//   F1 Every reference is leased (worker_options::lease, 30 s by default):
//      whoever holds it now renews it every quarter lease -- the client
//      agent for its live handles (also both ends of a move under way), a
//      worker for its pointer entries -- with one `renew` message per
//      worker, naming (id, holder) pairs. A worker starts a new lease
//      period every half lease and drops the references not renewed in the
//      last three, so a holder that died or was stopped loses its
//      references between 1x and 1.5x the lease after its last renewal,
//      and the objects only it referenced go (cascading down chains). A
//      renewal never creates state: it refreshes a reference that exists,
//      so one that crosses a retain, a release or a take changes nothing.
//      Pins (L1) never lapse, nor does data a worker loaded itself
//      (object_store::insert_own): both are the worker's own. A stopped holder
//      that resumes after its lease finds its objects gone (no_such_object).
// The deterministic simulation (tests/sim) checks these rules, and R1-R4,
// against a sequential model over thousands of random programs.
//
// Pipelining. Messages from different senders have no order, so a request can
// name an object whose creating message has not arrived yet (an operation
// through alice creates bob:T, the caller then asks bob for T directly; a move
// lands after the caller already talks to the destination). A worker *parks*
// requests for ids it does not know, up to a deadline (`park_timeout`, or the
// time announced by `expect` for an incoming move, or, for the result of a
// request that waits itself, as long as that request waits: `sum = a + b`
// waiting for a moved `a`, then `sum.get()`), and serves them when the
// object lands.
//   T1 A failed result, or an object clear() deleted while handles still
//      name it, leaves a tombstone listing those holders: requests for it
//      fail at once with the original error, retains and releases count on
//      it, and the last release drops it -- or the last unpin, if accepted
//      requests still name it (L1 holds for tombstones too). An object nobody
//      references leaves nothing (no request can name it any more), so no table
//      grows with the number of objects a worker has seen.
//
// Acknowledgements (read-your-writes). A client sends every state change
// (put, exec, release) with its client agent as the sender, and every worker
// answers it -- ok or the error -- only once its effects are complete: an
// exec after the whole chain ran, a release after the releases it cascaded
// into. The blocking API's listings first wait for these answers, so
// `y = p2x + p2x; bob.objects()` always shows the result, as in the notebook.
//
// Failure. An operation that fails (bad shapes, unknown operand) creates no
// object: the worker records the error under the result id's tombstone, so a
// later get of that result returns the original error, and replies with it.
// Forwarding hops install their pointer entry before forwarding (so requests
// that arrive meanwhile find it) and turn it into a failure tombstone if the
// next hop fails. A move erases the source copy only after the destination
// acknowledged the put; if it fails, the data stays where it was.
//
// Example (me -> alice -> bob, the tutorial's `y = p2x + p2x`):
//   me    -> alice: exec{add, [Q, Q], result S, holder Y}
//   alice:          Q is a pointer entry to bob:X; installs S = ref(bob:T)
//                   held by Y, with T fresh
//   alice -> bob:   exec{add, [X, X], result T, holder S}
//   bob:            computes T = X + X, held by S; replies ok to alice,
//                   alice replies ok to me.
//   me    -> alice: get{S, Y}  => ref(bob:T), holder S (the reference moves
//                   from alice's entry to me's new handle)
//   me    -> bob:   get{T, S}  => the tensor; bob's store is back to {X}.
//
// In-place operations (I1-I4). An exec with `in_place` set modifies its first
// operand instead of creating anything:
//   I1 The first operand is the target (an object, never a literal); the
//      result id is only the request's key (pins, parking, duplicate check)
//      and is never stored, so the object counts of every worker stay as
//      they are. The target keeps its id, holders and owner; its provenance
//      becomes what derive() gives for the operands (access_control.hpp).
//   I2 Besides compute on every operand, the principal must be allowed to
//      modify the target: its owner, or an admin of the worker for the
//      worker's own data (check_owner); else not_permitted.
//   I3 The result must have the target's shape and dtype (check_in_place in
//      op.hpp); a failed in-place exec leaves the target unchanged (no
//      tombstone, at no hop) and replies with the error.
//   I4 Through a chain, each hop checks its pointer entry and forwards the
//      request with the next hop's operand ids and a fresh key; the object
//      at the end of the chain is modified. Pointer entries are unchanged.
// Example (me -> alice -> bob, `p2x += 1` on me's pointer P to alice:Q):
//   me    -> alice: exec{add, [Q, literal 1], result K, in_place}
//   alice -> bob:   exec{add, [X, literal 1], result K', in_place}
//   bob:            X = X + 1 (same id, holders, owner); ok to alice, to me.

#include <string>
#include <utility>
#include <vector>

#include <caf/atom.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/timespan.hpp>
#include <caf/typed_actor.hpp>
#include <caf/variant.hpp>

#include "workers/audit_log.hpp"
#include "workers/data_source.hpp"
#include "workers/leaf_state.hpp"
#include "workers/object_id.hpp"
#include "workers/object_policy.hpp"
#include "workers/op.hpp"
#include "workers/plan.hpp"
#include "workers/staging_area.hpp"
#include "workers/tensor.hpp"
#include "workers/wire_checks.hpp"

namespace workers {

// -- atoms (CAF's predefined get_atom, put_atom, ok_atom, tick_atom too) ------

using retain_atom = caf::atom_constant<caf::atom("retain")>;
using release_atom = caf::atom_constant<caf::atom("release")>;
using exec_atom = caf::atom_constant<caf::atom("exec")>;
using move_atom = caf::atom_constant<caf::atom("move")>;
using list_atom = caf::atom_constant<caf::atom("list")>;
using count_atom = caf::atom_constant<caf::atom("count")>;
using clear_atom = caf::atom_constant<caf::atom("clear")>;
using expect_atom = caf::atom_constant<caf::atom("expect")>;
using stats_atom = caf::atom_constant<caf::atom("stats")>;
using lookup_atom = caf::atom_constant<caf::atom("lookup")>;
using chunk_atom = caf::atom_constant<caf::atom("chunk")>;
using ping_atom = caf::atom_constant<caf::atom("ping")>;
using fetch_atom = caf::atom_constant<caf::atom("fetch")>;
using tag_atom = caf::atom_constant<caf::atom("tag")>;
using search_atom = caf::atom_constant<caf::atom("search")>;
using audit_atom = caf::atom_constant<caf::atom("audit")>;
using define_atom = caf::atom_constant<caf::atom("define")>;
using run_atom = caf::atom_constant<caf::atom("run")>;
using dial_atom = caf::atom_constant<caf::atom("dial")>;
using load_atom = caf::atom_constant<caf::atom("load")>;
using gone_atom = caf::atom_constant<caf::atom("gone")>;
using renew_atom = caf::atom_constant<caf::atom("renew")>;
using permit_atom = caf::atom_constant<caf::atom("permit")>;
using keep_atom = caf::atom_constant<caf::atom("keep")>;
using remote_get_atom = caf::atom_constant<caf::atom("remoteget")>;
using remote_send_atom = caf::atom_constant<caf::atom("remotesend")>;

// -- the worker interface -----------------------------------------------------

struct worker_ref;
struct stored_value;
struct taken_value;
struct op_request;
struct store_listing;
struct worker_stats;
struct plan_run;
struct search_hit;
struct blob_ref;
struct lease_claim;
struct grant;

/// The typed interface of every worker. Who sends what:
/// - put: clients (`tensor::send`, sending a pointer) and workers (moves).
///   Creates `id` held by `holder`. Replies ok, or duplicate_id.
/// - put with a blob_ref: as put, for a large tensor that the receiver reads
///   in chunks from the sender (bulk.hpp); replies once it is stored.
/// - chunk: whoever reads a blob this worker staged (bulk.hpp), presenting
///   the blob's token from its blob_ref; a wrong token is no_such_object.
/// - get: clients (naming themselves, for the audit log). Takes `holder`'s
///   reference to `id` (see R4) and replies
///   with the value and the holder id the taker now owns (a large tensor for
///   another node comes as a staged blob that the client agent reads).
/// - retain: clients and workers, fire-and-forget (R2, R3).
/// - release: clients and workers (R3); replies ok once the release and the
///   releases it cascades into are done.
/// - exec: clients and forwarding workers. Runs or forwards an operation;
///   replies ok or the error (which is also kept as the result's tombstone).
/// - move: the client agent. Moves `holder`'s reference of `id` to `dest` as
///   `new_id`; replies ok once the destination acknowledged.
/// - move with a principal: a worker serving remote_get (data_flow.hpp,
///   G2), acting for that principal (honoured from trusted senders only,
///   access_control.hpp A1); otherwise as move.
/// - remote_get: clients (data_flow.hpp). "Fetch what the pointer entry
///   `id` (held by `holder`) names to this worker, as `new_id` held by
///   `new_holder`, and release `holder`'s reference to the entry." Replies
///   ok once settled, or the error (the entry then stays as it was).
/// - remote_send: clients (data_flow.hpp). "Move `holder`'s share of `id`
///   to `dest` as `dest_id`, and keep a pointer entry `entry` to it held by
///   `new_holder`." Replies ok once settled, or the error (the data then
///   stays here).
/// - expect: clients, before a move: "`id` will arrive within `timeout`".
/// - gone: the source of a move whose object is gone (cleared, or its
///   operation failed): "`id`, held by `holder`, will never arrive;
///   requests for it fail with `why`". The move moved the object's fate
///   (M3): the tombstone and its reference are at the destination now.
///   Also the client agent, when a move failed (the data stayed at the
///   source, which may be dead): the id will not arrive, requests parked on
///   it fail now, and a put that still comes is refused (duplicate_id).
///   Replies ok, or duplicate_id if `id` is here: the put landed, and when
///   the source never answered (stalled or dead) the agent then counts the
///   move as done -- the destination decides (M4).
/// - list/count/clear: clients, for inspection (`bob._objects`) and cleanup.
/// - stats: anyone; message and tensor byte counters (worker_stats).
/// - tag: clients; adds tags to an object (acknowledged like a put).
/// - search: clients; the objects carrying all given tags, each retained
///   for a fresh holder the reply names (the caller's new pointers). With
///   an object id instead of tags: that object, if the asker may find it.
/// - keep: the object's owner; holder `holder`'s reference to `id` never
///   lapses and is never released by the handle (an object meant to
///   outlive its client); it goes with the owner's clear.
/// - audit: anyone; every tensor that left this worker (audit_log.hpp).
/// - define: clients; stores a plan (plan.hpp) under an id, until clear.
/// - run: clients; runs a stored plan on tensors here (like exec); a plan
///   with in-place steps writes the inputs they update (plan.hpp, P4).
/// - load: the worker's own node at start (host_node, for its `[data]
///   datasets`) and admins (e.g. the FL library's place_shard); the worker
///   reads a data_request (data_source.hpp) with the source its spawner
///   gave it, from its node's `[data] dir` (worker_options::data_dir: a
///   request never names a path), and keeps each part as its own object,
///   tagged and guarded as the request says; answers the source's row
///   count. The request must name this worker. The data never travels.
/// - dial: workers on other nodes; "connect your node to mine at host:port"
///   (worker_links.hpp in actors/runtime/src, send_to: of two nodes, only
///   one ever dials).
/// - renew: whoever holds references to objects here (client agents, and
///   workers for their pointer entries), every quarter lease: "these
///   holders still hold these ids" (F1). Fire-and-forget.
///   Without arguments: the worker itself, every quarter lease, to renew
///   the references its pointer entries hold and start lease periods.
/// - permit: an object's owner, or an admin of the worker for its own data
///   (access_control.hpp, A2): grants a right on an object to a principal;
///   an admin's grant of take, move or see on data derived from the
///   worker's private data also releases it. Replies ok or not_permitted.
/// - tick: the worker itself, to expire parked requests and leases.
/// Every request is checked against the object's policy (object_policy.hpp)
/// for the principal the worker resolves its sender to (access_control.hpp);
/// a refusal is errc::not_permitted and changes nothing.
using worker_actor = caf::typed_actor<
  caf::replies_to<caf::put_atom, object_id, stored_value,
                  object_id>::with<caf::ok_atom>,
  caf::replies_to<caf::put_atom, object_id, blob_ref,
                  object_id>::with<caf::ok_atom>,
  caf::replies_to<chunk_atom, object_id, blob_token, uint64_t,
                  uint64_t>::with<std::vector<uint8_t>>,
  caf::replies_to<caf::get_atom, object_id, object_id,
                  std::string>::with<taken_value>,
  caf::reacts_to<retain_atom, object_id, object_id>,
  caf::replies_to<release_atom, object_id, object_id>::with<caf::ok_atom>,
  caf::replies_to<exec_atom, op_request>::with<caf::ok_atom>,
  caf::replies_to<move_atom, object_id, worker_ref, object_id,
                  object_id>::with<caf::ok_atom>,
  caf::replies_to<move_atom, object_id, worker_ref, object_id, object_id,
                  std::string>::with<caf::ok_atom>,
  caf::replies_to<remote_get_atom, object_id, object_id, object_id,
                  object_id>::with<caf::ok_atom>,
  caf::replies_to<remote_send_atom, object_id, object_id, worker_ref, object_id,
                  object_id, object_id>::with<caf::ok_atom>,
  caf::reacts_to<expect_atom, object_id, caf::timespan>,
  caf::replies_to<gone_atom, object_id, object_id,
                  caf::error>::with<caf::ok_atom>,
  caf::replies_to<list_atom>::with<store_listing>,
  caf::replies_to<count_atom>::with<uint64_t>,
  caf::replies_to<clear_atom>::with<caf::ok_atom>,
  caf::replies_to<stats_atom>::with<worker_stats>,
  caf::replies_to<tag_atom, object_id,
                  std::vector<std::string>>::with<caf::ok_atom>,
  caf::replies_to<search_atom,
                  std::vector<std::string>>::with<std::vector<search_hit>>,
  caf::replies_to<search_atom, object_id>::with<std::vector<search_hit>>,
  caf::replies_to<keep_atom, object_id, object_id>::with<caf::ok_atom>,
  caf::replies_to<audit_atom>::with<std::vector<audit_entry>>,
  caf::replies_to<define_atom, object_id, plan>::with<caf::ok_atom>,
  caf::replies_to<run_atom, plan_run>::with<caf::ok_atom>,
  caf::replies_to<dial_atom, std::string, uint16_t>::with<caf::ok_atom>,
  caf::replies_to<load_atom, data_request>::with<uint64_t>,
  caf::reacts_to<renew_atom, std::vector<lease_claim>>,
  caf::reacts_to<renew_atom>,
  caf::replies_to<permit_atom, grant>::with<caf::ok_atom>,
  caf::reacts_to<caf::tick_atom>>;

// -- value types --------------------------------------------------------------

/// A worker as seen by others: its handle, its name ("bob"), and where its
/// node listens (empty/0 for a worker in the same process as whoever made
/// the ref). Workers that receive a ref with an address connect to that node
/// directly, so data moves worker to worker and a dead node is noticed by
/// every worker that points into it.
struct worker_ref {
  worker_actor hdl;
  std::string name;
  std::string node_host;
  uint16_t node_port = 0;

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, worker_ref& x) {
    return f(caf::meta::type_name("workers::worker_ref"), x.hdl, x.name,
             x.node_host, x.node_port);
  }
};

/// Two refs name the same worker if their handles are equal.
bool same_worker(const worker_ref& x, const worker_ref& y);

/// The value of a pointer entry: object `id` on worker `where`.
struct remote_ref {
  worker_ref where;
  object_id id;

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, remote_ref& x) {
    return f(caf::meta::type_name("workers::remote_ref"), x.where, x.id);
  }
};

/// What a worker stores under an id: a tensor or a pointer entry, and who
/// may do what with it (object_policy.hpp), which travels with it. In a
/// move's put, a leaf's autograd state travels beside it (leaf_state.hpp).
struct stored_value {
  caf::variant<tensor, remote_ref> content;
  object_policy policy;
  /// Set only in a move's put of a leaf (LS1); never in a store (LS5).
  leaf_state leaf;

  stored_value() = default;

  stored_value(tensor x, object_policy p = {})
    : content(std::move(x)), policy(std::move(p)) {
    // nop
  }

  stored_value(remote_ref x, object_policy p = {})
    : content(std::move(x)), policy(std::move(p)) {
    // nop
  }

  bool is_tensor() const { return caf::holds_alternative<tensor>(content); }

  bool is_pointer() const {
    return caf::holds_alternative<remote_ref>(content);
  }

  const tensor& as_tensor() const { return caf::get<tensor>(content); }

  const remote_ref& as_pointer() const { return caf::get<remote_ref>(content); }

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f,
                                                 stored_value& x) {
    return f(caf::meta::type_name("workers::stored_value"),
             wire::checked(x.content, "workers::stored_value"), x.policy,
             x.leaf);
  }
};

/// Deep equality of the contents: same tensor bytes, or same worker and id
/// (the policies are not compared).
bool operator==(const stored_value& x, const stored_value& y);

/// How the value stored as `id` on worker `owner` prints in a listing:
/// "tensor([1, 2])" or "[PointerTensor | alice:5@.. -> bob:3@..]".
std::string to_string(const stored_value& x, const std::string& owner,
                      object_id id);

/// "[PointerTensor | owner:id -> target-worker:target-id]", as PySyft prints.
std::string pointer_string(const std::string& owner, object_id id,
                           const remote_ref& target);

/// A large tensor staged by `source` (bulk.hpp): its dtype, shape and size
/// travel in one small message, its bytes over the data plane (a direct TCP
/// stream from `data_host`:`data_port`, presenting `token`) or, failing
/// that, in `chunk` messages to `source`.
struct blob_ref {
  caf::actor source;
  std::string source_name;
  object_id blob;
  dtype dt = dtype::float32;
  shape dims;
  uint64_t nbytes = 0;
  /// Where the source's data plane listens; port 0: chunks only (TLS).
  std::string data_host;
  uint16_t data_port = 0;
  blob_token token;
  /// The policy the tensor is stored with at its destination (a move's
  /// put; object_policy.hpp).
  object_policy policy;
  /// A moved leaf's autograd state, its gradient staged too (leaf_state.hpp,
  /// LS2).
  leaf_state leaf;

  bool valid() const { return static_cast<bool>(source); }

  // A presence flag first: CAF 0.17 cannot load a null actor handle, and
  // most taken_values carry no blob.
  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, blob_ref& x) {
    auto name = caf::meta::type_name("workers::blob_ref");
    if constexpr (std::is_same_v<typename Inspector::result_type, void>) {
      return f(name, x.source_name, x.blob, x.nbytes);
    } else {
      bool present = x.valid();
      if (auto err = f(name, present))
        return err;
      if (!present)
        return caf::error{};
      return f(
        x.source, x.source_name, x.blob, x.dt, x.dims, x.nbytes, x.data_host,
        x.data_port, x.token, x.policy, x.leaf,
        caf::meta::load_callback([&x] { return wire::check_known(x.dt); }));
    }
  }
};

/// Checks that `b` announces a valid dtype and shape whose byte count is
/// `b.nbytes`: bad_argument naming the source otherwise. Called by
/// fetch_blob (bulk.hpp) before it allocates anything for the transfer.
caf::error validate(const blob_ref& b);

/// The answer to get: the value and the holder id the taker now owns (for a
/// pointer entry this is the id that holds the downstream reference). A large
/// tensor for another node comes as `blob` instead of in `value`.
struct taken_value {
  stored_value value;
  object_id holder;
  blob_ref blob;

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, taken_value& x) {
    return f(caf::meta::type_name("workers::taken_value"), x.value, x.holder,
             x.blob);
  }
};

/// One operand of an operation: an object on the worker, or a literal.
struct operand {
  caf::variant<object_id, tensor> content;

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, operand& x) {
    return f(caf::meta::type_name("workers::operand"),
             wire::checked(x.content, "workers::operand"));
  }
};

/// "Compute `op` on `args`, store the result as `result`, held by `holder`."
/// `principal` names whom a forwarding worker acts for (access_control.hpp,
/// A1); it is empty from clients and ignored from untrusted senders. With
/// `in_place`, "replace `args[0]` by the result" instead (I1-I4 above).
struct op_request {
  opcode op = opcode::add;
  std::vector<operand> args;
  op_attrs attrs;
  object_id result;
  object_id holder;
  std::string principal;
  bool in_place = false;

  /// Whether the first operand names an object (an in-place target).
  bool first_is_object() const {
    return !args.empty() && caf::holds_alternative<object_id>(args[0].content);
  }

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, op_request& x) {
    return f(caf::meta::type_name("workers::op_request"), x.op, x.args, x.attrs,
             x.result, x.holder, x.principal, x.in_place,
             caf::meta::load_callback([&x] {
               if (auto err = wire::check_known(x.op))
                 return err;
               return wire::check_in_place(x.in_place, x.first_is_object());
             }));
  }
};

/// How `req` reads in errors: "add(3@.., literal tensor([1])) -> 5@..", or
/// "add_(3@.., ...)" in place. Called by object_store for the worker's
/// errors, and by pointers for the same error found before sending.
std::string describe(const op_request& req);

/// "Run the plan stored as `plan_id` on `inputs` (tensors on this worker),
/// store output k as `outputs[k]`, held by `holders[k]`."
struct plan_run {
  object_id plan_id;
  std::vector<object_id> inputs;
  std::vector<object_id> outputs;
  std::vector<object_id> holders;
  /// The request's key (pins, parking; L1) for a run without outputs (a
  /// plan that only writes its inputs, plan.hpp P4): fresh per run.
  object_id key;

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, plan_run& x) {
    return f(caf::meta::type_name("workers::plan_run"), x.plan_id, x.inputs,
             x.outputs, x.holders, x.key);
  }
};

/// One object found by search: its id, the holder id the worker retained it
/// for (the caller's new reference), its tags, dtype and shape.
struct search_hit {
  object_id id;
  object_id holder;
  std::vector<std::string> tags;
  dtype dt = dtype::float32;
  shape dims;

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, search_hit& x) {
    return f(caf::meta::type_name("workers::search_hit"), x.id, x.holder,
             x.tags, x.dt, x.dims, caf::meta::load_callback([&x] {
               return wire::check_known(x.dt);
             }));
  }
};

/// "Holder `holder` still holds its reference to `id`": one entry of a
/// lease renewal (F1).
struct lease_claim {
  object_id id;
  object_id holder;

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, lease_claim& x) {
    return f(caf::meta::type_name("workers::lease_claim"), x.id, x.holder);
  }
};

/// "Grant `what` on object `id` to `principal`" (the permit message).
struct grant {
  object_id id;
  right what = right::take;
  std::string principal;

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, grant& x) {
    return f(
      caf::meta::type_name("workers::grant"), x.id, x.what, x.principal,
      caf::meta::load_callback([&x] { return wire::check_known(x.what); }));
  }
};

/// Groups claims by the worker they go to (one renew message each), in the
/// order each worker first appears.
std::vector<std::pair<worker_ref, std::vector<lease_claim>>>
group_by_worker(std::vector<std::pair<worker_ref, lease_claim>> claims);

/// A worker's objects in creation order: the equivalent of `bob._objects`.
/// Objects whose values the asker may not see (object_policy.hpp, right
/// see) are in `hidden` instead, with their dtype and shape and why.
struct store_listing {
  std::string worker;
  std::vector<std::pair<object_id, stored_value>> entries;
  std::vector<std::pair<object_id, std::string>> hidden;

  size_t size() const { return entries.size() + hidden.size(); }

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f,
                                                 store_listing& x) {
    return f(caf::meta::type_name("workers::store_listing"), x.worker,
             x.entries, x.hidden);
  }
};

/// Counters of one worker, for tests, benchmarks and operators: how many
/// messages it handled and how many tensor bytes it received and sent (in
/// puts, get replies and moves) -- they prove, e.g., that a move went worker
/// to worker -- and what it holds right now.
struct worker_stats {
  uint64_t messages = 0;
  uint64_t tensor_bytes_in = 0;
  uint64_t tensor_bytes_out = 0;
  /// Objects stored (tensors and pointer entries), and the bytes of the
  /// tensors among them.
  uint64_t objects = 0;
  uint64_t stored_bytes = 0;

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f,
                                                 worker_stats& x) {
    return f(caf::meta::type_name("workers::worker_stats"), x.messages,
             x.tensor_bytes_in, x.tensor_bytes_out, x.objects, x.stored_bytes);
  }
};

/// The directory of a node: finds the node's workers by name. A node
/// publishes its directory on its port; clients connect to the port and look
/// workers up by the names in the cluster config.
/// - lookup: clients. Replies the worker's ref, or no_such_object.
/// - list_atom: clients. Replies the names of all hosted workers.
/// A node's directory: finds its workers by name, lists them, and answers a
/// ping with the tensor it carries (a health check, and the bare-CAF round
/// trip that apps/bench compares the worker protocol against).
using directory_actor =
  caf::typed_actor<caf::replies_to<lookup_atom, std::string>::with<worker_ref>,
                   caf::replies_to<list_atom>::with<std::vector<std::string>>,
                   caf::replies_to<ping_atom, tensor>::with<tensor>>;

/// Renders like a Python dict: "{3@..: tensor([1, 2, 3])}", one entry per
/// line (pprint style) when a single line would exceed 80 characters.
std::string to_string(const store_listing& x);

std::ostream& operator<<(std::ostream& out, const store_listing& x);

} // namespace workers
