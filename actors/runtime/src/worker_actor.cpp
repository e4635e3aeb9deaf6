#include "workers/actors/worker_actor.hpp"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <optional>

#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/send.hpp>

#include "workers/actors/plan_hash.hpp"
#include "workers/data_flow.hpp"
#include "workers/error.hpp"
#include "workers/log.hpp"
#include "workers/remote_autograd.hpp"
#include "workers/actors/worker_snapshot.hpp"

namespace workers {

namespace {

using clock = object_store::clock;

constexpr auto housekeeping_interval = std::chrono::seconds(10);

// Counts one handled message and the tensor bytes it brought or took.
void note(worker_pointer self, const stored_value* in = nullptr,
          const stored_value* out = nullptr) {
  auto& st = self->state.stats;
  ++st.messages;
  if (in != nullptr && in->is_tensor())
    st.tensor_bytes_in += in->as_tensor().nbytes();
  if (out != nullptr && out->is_tensor())
    st.tensor_bytes_out += out->as_tensor().nbytes();
}

// Runs the sends queued for a link to `addr` (see send_to), if any.
void release_sends(worker_pointer self, const caf::actor_addr& addr) {
  auto& q = self->state.connecting;
  auto i = q.find(addr);
  if (i == q.end())
    return;
  auto sends = std::move(i->second);
  q.erase(i);
  for (auto& f : sends)
    f();
}

// Runs `send` once `peer`'s node is directly connected (or the attempt
// failed): the first contact with a peer monitors it and makes sure the two
// nodes have a direct link, and sends to it wait until that settles. CAF
// would otherwise route through whoever introduced the two nodes and switch
// to a direct link later, and messages across such a switch can overtake
// each other -- which would let a release overtake an operation on the
// object.
//
// Of two nodes, only the one with the smaller node id ever dials the other
// (the other asks it to, with `dial`). CAF 0.17 handles two links opened in
// opposite directions badly: each side may pick a different one as its
// route, each link then carries traffic one way only, and the middleman's
// connection timeout closes a link the other side still routes over, which
// kills every proxy of that node (remote_link_unreachable) although both
// processes are alive. One dialing direction leaves at most one link.
void send_to(worker_pointer self, const worker_ref& peer,
             std::function<void()> send) {
  auto& st = self->state;
  auto addr = peer.hdl.address();
  // A peer known down gets no link: its guarded requests fail at once,
  // rather than after the dial still under way for it times out.
  if (st.watch.is_down(addr)) {
    send();
    return;
  }
  if (auto i = st.connecting.find(addr); i != st.connecting.end()) {
    i->second.push_back(std::move(send));
    return;
  }
  if (!peer.hdl || !st.watch.watch(addr)) {
    send();
    return;
  }
  self->monitor(peer.hdl);
  auto gate = st.opts.gate ? st.opts.gate->get() : nullptr;
  // A process that never went on the network has no link to make; a peer
  // in this process, or on a node already linked to it, gets the message
  // directly.
  if (peer.node_port == 0 || !gate || peer.hdl.node() == self->node() ||
      gate->peers()->connected(peer.hdl.node())) {
    send();
    return;
  }
  st.connecting[addr].push_back(std::move(send));
  auto release_queue = [self, addr] { release_sends(self, addr); };
  auto timeout = st.opts.forward_timeout;
  auto on_dial_error = [self, addr, release_queue](const caf::error&) {
    // Nobody listens at the peer's address: its node is gone (or
    // unreachable from here). Fail what waits for it; the queued sends then
    // fail at once as guarded requests.
    for (auto& fail : self->state.watch.down(addr))
      fail();
    release_queue();
  };
  auto& me = st.opts.self_address;
  if (!me || me->port == 0 || self->node() < peer.hdl.node()) {
    self
      ->request(gate->dialer(), timeout, caf::connect_atom::value,
                peer.node_host, peer.node_port)
      .then([release_queue](const caf::node_id&, const caf::strong_actor_ptr&,
                            const std::set<std::string>&) { release_queue(); },
            on_dial_error);
    return;
  }
  // The peer's node has the smaller id: it dials us. The request travels
  // through whoever introduced us (the gate lets a `dial` request, and
  // nothing else, be relayed; frame_guard.hpp, G1c); its answer comes over
  // the new link, after the handshake that made it our route.
  self->request(peer.hdl, timeout, dial_atom::value, me->host, me->port.load())
    .then([release_queue](caf::ok_atom) { release_queue(); }, on_dial_error);
}

// Records in the audit log that the tensor `id` leaves for `to` (A1);
// pointer entries carry no data and are not logged.
void audit_tensor(worker_pointer self, const char* kind, const std::string& to,
                  object_id id) {
  auto& st = self->state;
  auto v = st.store.find(id);
  if (!v || !v->is_tensor())
    return;
  // A derived result leaves under a release rule: the log says which.
  std::string note;
  if (!v->policy.released.empty())
    note = "released: " + v->policy.released;
  st.audit.record(kind, to, id, v->as_tensor().nbytes(),
                  st.store.produced_by(id), std::move(note));
}

// Who the audit log names for a party on `node` that calls itself
// `declared` (A1): the principal the gate authenticated for that node, with
// the declared name beside it if the two differ. A party in this process,
// or any party in insecure mode (identities declared, not proven), is
// named as it declares itself.
// The principal the gate proved for a remote `node`, if any (none in this
// process, for unknown nodes, and in insecure mode).
std::optional<std::string> proven_principal(worker_pointer self,
                                            const caf::node_id& node) {
  auto gate = self->state.opts.gate ? self->state.opts.gate->get() : nullptr;
  if (!gate || node == self->node())
    return std::nullopt;
  auto principal = gate->peers()->principal_of(node);
  if (!principal || principal->empty())
    return std::nullopt;
  return principal;
}

std::string audited_name(worker_pointer self, const caf::node_id& node,
                         const std::string& declared) {
  auto principal = proven_principal(self, node);
  if (!principal)
    return declared;
  if (*principal == declared)
    return declared;
  return *principal + " (declared " + declared + ")";
}

// The current sender, named for the audit log (audited_name): a listing
// carries no name, so its sender is "actor <id>@<node>" unless the gate
// knows its principal.
std::string sender_name(worker_pointer self) {
  auto& s = self->current_sender();
  if (!s)
    return "anonymous";
  if (auto principal = proven_principal(self, s->node()))
    return *principal;
  return "actor " + std::to_string(s->id()) + "@" + caf::to_string(s->node());
}

// Whether the worker `dest` enforces the same rules as this one, so that a
// derived result not yet released may move there with its policy
// (access_control.hpp, A5): a worker of this process, a cluster worker
// whose principal the gate proved (policy.trusted), or any peer in
// insecure mode (where every identity is declared and trusted anyway).
// Called by serve_move.
bool enforces_rules(worker_pointer self, const worker_ref& dest) {
  if (!dest.hdl)
    return false;
  if (dest.hdl.node() == self->node())
    return true;
  if (auto principal = proven_principal(self, dest.hdl.node()))
    return self->state.store.access().trusted.count(*principal) > 0;
  auto gate = self->state.opts.gate ? self->state.opts.gate->get() : nullptr;
  return !(gate && gate->tls());
}

// Runs `f` on this worker after `delay` (on_tick), without blocking it.
void defer(worker_pointer self, caf::timespan delay, std::function<void()> f) {
  self->state.deferred.emplace_back(self->clock().now() + delay, std::move(f));
  self->delayed_send(self, delay, caf::tick_atom::value);
}

// Whether `dest` is on another node that the gate has not authenticated
// yet (TLS, no link): enforces_rules cannot tell before send_to links it.
// Called by serve_move.
bool unproven(worker_pointer self, const worker_ref& dest) {
  auto gate = self->state.opts.gate ? self->state.opts.gate->get() : nullptr;
  return dest.hdl && gate && gate->tls() && dest.hdl.node() != self->node() &&
         !proven_principal(self, dest.hdl.node());
}

// The principal behind the current message (access_control.hpp), which
// `on_behalf` names when a forwarding worker acts for someone (A1):
// - this process: trusted and an admin (one trust domain), named as it
//   declares itself, or as the process (access_config::local_principal);
// - a peer the gate authenticated (TLS): its certificate's principal, or
//   whom it acts for if it is one of the cluster's workers;
// - a peer in insecure mode: declared, not proven -- its CAF node id, or
//   whom it says it acts for;
// - a peer without a proven principal under TLS: a stranger.
// Called by every handler that reads, changes or grants anything, before
// make_response_promise() (which takes the sender away).
requester resolve(worker_pointer self, const std::string& on_behalf = {}) {
  auto& cfg = self->state.store.access();
  auto& s = self->current_sender();
  requester who;
  if (!s) {
    who.name = "anonymous";
    return who;
  }
  if (s->node() == self->node()) {
    who.name = on_behalf.empty() ? cfg.local_principal : on_behalf;
    who.admin = true;
    who.trusted = true;
    who.local = true;
    return who;
  }
  if (auto principal = proven_principal(self, s->node())) {
    who.proven = true;
    who.trusted = cfg.trusted.count(*principal) > 0;
    if (who.trusted && !on_behalf.empty()) {
      who.name = on_behalf;
      return who;
    }
    who.name = std::move(*principal);
    who.admin = cfg.is_admin(who.name);
    return who;
  }
  // No proven principal. With TLS that is a node the gate never bound
  // (it relays nothing from such nodes but dial requests and monitor
  // notices): a stranger that may neither claim nor administer anything.
  auto gate = self->state.opts.gate ? self->state.opts.gate->get() : nullptr;
  if (gate && gate->tls()) {
    who.name = "unauthenticated node " + caf::to_string(s->node());
    return who;
  }
  who.name =
    on_behalf.empty() ? "node " + caf::to_string(s->node()) : on_behalf;
  who.trusted = true;
  who.admin = cfg.is_admin(who.name);
  return who;
}

// Records the refusal `err` of `who`'s `operation` on `id` in the audit log
// (access_control.hpp, A3) and logs it (log.hpp, warn).
void record_refusal(worker_pointer self, const std::string& operation,
                    const requester& who, object_id id, const caf::error& err) {
  self->state.audit.refused(operation, who.name, id, err);
  if (log_enabled(log_level::warn))
    log(log_level::warn, self->state.store.owner(),
        "refused " + operation +
          (id.valid() ? " of " + to_string(id) : std::string{}) + " by " +
          who.name + ": " + message_of(err));
}

// Answers `rp` with the refusal `err` of `who`'s `operation` on `id`, after
// recording it (record_refusal).
template <class Promise>
void refuse(worker_pointer self, Promise& rp, const requester& who,
            const std::string& operation, object_id id, caf::error err) {
  record_refusal(self, operation, who, id, err);
  rp.deliver(std::move(err));
}

// Monitors and connects to the worker a pointer entry names, so its death is
// known here at once and data to it goes directly.
void watch_target(worker_pointer self, const stored_value& value) {
  if (value.is_pointer())
    send_to(self, value.as_pointer().where, [] {});
}

// Sends the retains/releases the store asked for, fire-and-forget; or, with
// `done`, sends the releases as requests and calls `done` once all of them
// (and, recursively, their own cascades) are answered.
void flush(worker_pointer self, outbox& out,
           std::function<void()> done = nullptr) {
  auto pending = std::make_shared<size_t>(1);
  auto finish_one = [pending, done] {
    if (--*pending == 0 && done)
      done();
  };
  for (auto& x : out) {
    if (x.what == outbound::kind::retain) {
      send_to(self, x.target, [x] {
        caf::anon_send(x.target.hdl, retain_atom::value, x.id, x.holder);
      });
    } else if (!done) {
      send_to(self, x.target, [x] {
        caf::anon_send(x.target.hdl, release_atom::value, x.id, x.holder);
      });
    } else {
      ++*pending;
      send_to(self, x.target, [self, x, finish_one] {
        guarded_request<caf::ok_atom>(
          self, self->state.watch, x.target.hdl, x.target.name,
          self->state.opts.forward_timeout,
          [finish_one](caf::ok_atom) { finish_one(); },
          [finish_one](caf::error) { finish_one(); }, release_atom::value, x.id,
          x.holder);
      });
    }
  }
  out.clear();
  finish_one();
}

// capacity_exceeded: the parking lot refused (`why`) a request of `peer`,
// naming the bound and its key (parking_lot.hpp, P1 and P2).
caf::error lot_full_error(worker_pointer self, park_result why,
                          const std::string& peer) {
  auto& st = self->state;
  if (why == park_result::peer_full)
    return make_error(errc::capacity_exceeded,
                      st.store.owner() + " has " +
                        std::to_string(st.lot.per_peer()) + " requests of " +
                        peer +
                        " waiting for objects already (workers."
                        "max-parked-per-peer)");
  return make_error(errc::capacity_exceeded,
                    st.store.owner() + " has " +
                      std::to_string(st.lot.capacity()) +
                      " requests waiting for objects already (workers."
                      "max-parked)");
}

// Pins every operand a request names, present or still arriving, from the
// moment the worker accepts it until it is answered (protocol.hpp, L1): the
// caller may drop its handles right after sending, and neither those
// releases nor an early release that meets the operand on arrival may delete
// it before the request ran. `key` (the request's first result id, unique)
// holds the pins until unpin(key).
void pin(worker_pointer self, object_id key,
         const std::vector<object_id>& operands) {
  self->state.store.pin(key, operands);
}

// Drops the pins of the request `key` once it is answered.
void unpin(worker_pointer self, object_id key) {
  outbox out;
  self->state.store.unpin(key, out);
  flush(self, out);
}

// Retries every request parked on `id` (it arrived, or changed).
void wake(worker_pointer self, object_id id) {
  for (auto& w : self->state.lot.unpark(id))
    w(false);
}

// Parks `attempt` of `peer` (the requester's name) on `id` until it arrives
// or the deadline passes; then `attempt(true)` must answer for good.
// Answers the lot's refusal, if it refused.
caf::error park(worker_pointer self, const std::string& peer, object_id id,
                worker_state::waiter attempt) {
  auto& st = self->state;
  auto now = self->clock().now();
  auto deadline = now + st.opts.park_timeout;
  if (auto until = st.store.expected_until(id); until && *until > deadline)
    deadline = *until;
  if (st.forwarding.count(id) > 0)
    deadline = now + st.opts.forward_timeout + st.opts.park_timeout;
  auto parked = st.lot.park(id, deadline, std::move(attempt), peer);
  if (parked != park_result::parked)
    return lot_full_error(self, parked, peer);
  self->delayed_send(self, deadline - now + std::chrono::milliseconds(1),
                     caf::tick_atom::value);
  return caf::none;
}

// Fails `rp` with `err` if `final`, else parks `attempt` (park) and fails
// `rp` if the lot refuses.
template <class Promise>
void wait_for(worker_pointer self, const std::string& peer, object_id id,
              bool final, caf::error err, Promise rp,
              worker_state::waiter attempt) {
  if (final)
    rp.deliver(std::move(err));
  else if (auto refused = park(self, peer, id, std::move(attempt)))
    rp.deliver(std::move(refused));
}

// Parks the request `key` of `peer` (exec, run), which pinned `operands` and
// creates `results` held by `holders`, until `missing` arrives; if the lot
// refuses, `rp` and the results fail with its error and the pins go.
template <class Promise>
void park_request(worker_pointer self, const std::string& peer, object_id key,
                  const std::vector<object_id>& operands,
                  const std::vector<object_id>& results,
                  const std::vector<object_id>& holders, object_id missing,
                  Promise rp, worker_state::waiter retry) {
  auto& st = self->state;
  pin(self, key, operands);
  auto refused = park(self, peer, missing, std::move(retry));
  if (!refused)
    return;
  rp.deliver(refused);
  outbox out;
  st.store.fail_results(results, holders, std::move(refused), out);
  st.store.unpin(key, out);
  flush(self, out);
}

// Whether `holder`'s reference to `id` can be served now (get, move). If
// not, answers `rp` (gone: the reason) or parks `retry`: the object, the
// retain that makes `holder` a holder, or the answer of the chain below a
// pointer entry may still be on its way.
template <class Promise>
bool held_here(worker_pointer self, const std::string& peer, object_id id,
               object_id holder, bool final, Promise& rp,
               const worker_state::waiter& retry) {
  auto& st = self->state;
  switch (st.store.status(id)) {
  case object_store::presence::gone:
    rp.deliver(st.store.gone_error(id));
    return false;
  case object_store::presence::unknown:
    wait_for(self, peer, id, final, st.store.unknown_error(id), rp, retry);
    return false;
  default:
    break;
  }
  if (!st.store.holds(id, holder)) {
    wait_for(self, peer, id, final, st.store.not_holder_error(id, holder), rp,
             retry);
    return false;
  }
  if (st.forwarding.count(id) > 0) {
    wait_for(self, peer, id, final,
             make_error(errc::timeout, "the chain below " + to_string(id) +
                                         " on " + st.store.owner() +
                                         " did not answer"),
             rp, retry);
    return false;
  }
  return true;
}

// Stores what a put from `who` brought (R1), owned as admit_policy says,
// and serves the requests waiting for it.
caf::error store_put(worker_pointer self, const requester& who, object_id id,
                     stored_value value, object_id holder) {
  value = without_graph(std::move(value)); // G1 (remote_autograd.hpp)
  value.policy =
    admit_policy(std::move(value.policy), who, self->state.store.owner());
  note(self, &value);
  watch_target(self, value);
  outbox out;
  auto err = self->state.store.insert(id, std::move(value), holder, out);
  flush(self, out);
  wake(self, id);
  return err;
}

// get: takes `holder`'s reference to `id` (protocol.hpp, R4).
void serve_take(worker_pointer self,
                caf::typed_response_promise<taken_value> rp, requester who,
                object_id id, object_id holder, std::string taker, bool remote,
                bool final) {
  auto& store = self->state.store;
  auto retry = [=](bool f) {
    serve_take(self, rp, who, id, holder, taker, remote, f);
  };
  if (!held_here(self, who.name, id, holder, final, rp, retry))
    return;
  if (auto err = store.permits(id, who, right::take, "get")) {
    refuse(self, rp, who, "get", id, std::move(err));
    return;
  }
  audit_tensor(self, "get", taker, id);
  auto& st = self->state;
  if (auto v = store.find(id);
      remote && v->is_tensor() && v->as_tensor().nbytes() >= bulk_threshold) {
    // Large, for another node: staged for the client agent to read. The
    // object and `holder`'s reference stay until the agent has every byte
    // and releases it (D1): a reader that stalls, or a node stopped in the
    // middle, loses nothing, and the get can be retried.
    note(self, nullptr, v);
    taken_value value{stored_value{}, holder, {}};
    value.blob = st.opts.plane->stage(
      caf::actor_cast<caf::actor>(self), store.owner(), v->as_tensor(),
      self->clock().now() + st.opts.forward_timeout);
    value.blob.policy = v->policy;
    rp.deliver(std::move(value));
    return;
  }
  outbox out;
  auto value = store.take(id, holder, st.holder_ids, out);
  flush(self, out);
  note(self, nullptr, &value.value);
  rp.deliver(std::move(value));
}

std::vector<object_id> operand_ids(const op_request& req) {
  std::vector<object_id> result;
  for (auto& arg : req.args)
    if (auto id = caf::get_if<object_id>(&arg.content))
      result.push_back(*id);
  return result;
}

// Logs (warn) work that kept this worker's thread busy since `started` for
// longer than `[log] slow-op`; `describe` names it (only called then).
template <class Describe>
void note_slow(worker_pointer self,
               std::chrono::steady_clock::time_point started,
               Describe describe) {
  auto limit = self->state.opts.slow_op;
  auto took = std::chrono::steady_clock::now() - started;
  if (limit.count() <= 0 || took <= limit || !log_enabled(log_level::warn))
    return;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(took);
  log(log_level::warn, self->state.store.owner(),
      "slow: " + describe() + " took " + std::to_string(ms.count()) +
        " ms (log.slow-op)");
}

// run: runs a stored plan on tensors here, or parks until its inputs land.
void serve_run(worker_pointer self,
               caf::typed_response_promise<caf::ok_atom> rp, requester who,
               plan_run r, bool final) {
  auto& st = self->state;
  outbox out;
  auto i = st.plans.find(r.plan_id);
  exec_outcome outcome;
  if (i == st.plans.end()) {
    outcome.what = exec_outcome::kind::failed;
    outcome.error = make_error(errc::no_such_object,
                               "no plan " + to_string(r.plan_id) + " on " +
                                 st.store.owner() + " (define it first)");
    st.store.fail_results(r.outputs, r.holders, outcome.error, out);
  } else {
    auto& approved = st.store.access().approved_plans;
    auto rule = approved.count(i->second.hash) > 0
                  ? "output of the approved plan \"" + i->second.steps.name +
                      "\" (" + i->second.hash + ")"
                  : std::string{};
    auto started = std::chrono::steady_clock::now();
    outcome = st.store.run(i->second.steps, r, out, who, std::move(rule));
    note_slow(self, started, [&] {
      return "plan \"" + i->second.steps.name + "\" run by " + who.name;
    });
  }
  if (outcome.what == exec_outcome::kind::missing && final) {
    outcome.what = exec_outcome::kind::failed;
    outcome.error = st.store.unknown_error(outcome.missing);
    st.store.fail_results(r.outputs, r.holders, outcome.error, out);
  }
  flush(self, out);
  auto key = r.outputs.empty() ? r.plan_id : r.outputs.front();
  if (outcome.what == exec_outcome::kind::missing) {
    park_request(self, who.name, key, r.inputs, r.outputs, r.holders,
                 outcome.missing, rp,
                 [=](bool f) { serve_run(self, rp, who, r, f); });
    return;
  }
  unpin(self, key);
  for (auto id : r.outputs)
    wake(self, id);
  if (outcome.what == exec_outcome::kind::failed &&
      outcome.error.code() == static_cast<uint8_t>(errc::not_permitted))
    refuse(self, rp, who, "run", r.plan_id, std::move(outcome.error));
  else if (outcome.what == exec_outcome::kind::failed)
    rp.deliver(std::move(outcome.error));
  else
    rp.deliver(caf::ok_atom::value);
}

// The detached helper behind `load`: reads `request` with `source` from
// `dir`, answers what it read, and quits.
caf::behavior data_loader(caf::event_based_actor* self,
                          std::shared_ptr<const data_sources> sources,
                          std::string dir) {
  return {
    [self, sources, dir](load_atom, const data_request& request)
      -> caf::result<std::vector<std::string>, std::vector<tensor>, uint64_t> {
      self->quit();
      auto data = sources->find(request.format)->load(request.settings, dir);
      if (!data)
        return std::move(data.error());
      std::vector<std::string> names;
      std::vector<tensor> parts;
      for (auto& [name, part] : data->parts) {
        names.push_back(name);
        parts.push_back(std::move(part));
      }
      return {std::move(names), std::move(parts), data->rows};
    },
  };
}

// Keeps the parts of a load as this worker's own objects (held by the
// worker itself until clear), each tagged with the source's and the
// request's tags and "#<part>", guarded by part_policy.
void keep_parts(worker_pointer self, const data_request& request,
                const std::vector<std::string>& source_tags,
                std::vector<std::string> names, std::vector<tensor> parts) {
  auto& st = self->state;
  for (size_t k = 0; k < names.size() && k < parts.size(); ++k) {
    auto id = st.ids.next();
    outbox out;
    // The worker's own data: its holder is the worker's, never leased out.
    st.store.insert_own(
      id,
      stored_value{std::move(parts[k]),
                   part_policy(request, st.store.owner(), names[k])},
      st.holder_ids.next(), out, "loaded");
    auto tags = source_tags;
    tags.insert(tags.end(), request.tags.begin(), request.tags.end());
    tags.push_back("#" + names[k]);
    st.store.tag(id, tags);
    flush(self, out);
  }
}

// `request` with its settings in canonical form, if this worker can load it
// (S2, S4 of data_source.hpp); else bad_argument naming the request and
// why: another worker's request, a format without a source, bad settings.
caf::expected<data_request> admit_load(const worker_options& opts,
                                       const std::string& name,
                                       data_request request) {
  auto fail = [&](const std::string& why) {
    return make_error(errc::bad_argument,
                      "dataset entry \"" + to_string(request) + "\": " + why);
  };
  if (request.worker != name)
    return fail("it names worker " + request.worker + ", not " + name);
  auto source = opts.sources ? opts.sources->find(request.format) : nullptr;
  if (source == nullptr)
    return fail("worker " + name + " has no source for format \"" +
                request.format + "\" (it has: " +
                (opts.sources ? opts.sources->names() : std::string{"none"}) +
                ")");
  auto settings = source->normalize(request.settings);
  if (!settings)
    return fail(message_of(settings.error()));
  request.settings = std::move(*settings);
  return request;
}

// Serves `load`: refuses anyone but an admin, then answers bad_argument if
// the request is not for this worker's sources (admit_load), else reads
// it in a detached helper, so this worker's thread keeps serving meanwhile
// (reading and decompressing takes a second), and keeps the parts
// (keep_parts). Answers the source's row count, or its error naming the
// file.
caf::typed_response_promise<uint64_t> serve_load(worker_pointer self,
                                                 data_request request) {
  auto who = resolve(self);
  auto rp = self->make_response_promise<uint64_t>();
  auto& st = self->state;
  if (st.store.access().enforce && !who.admin) {
    refuse(self, rp, who, "load", object_id{},
           admin_only(st.store.owner(), who, "load data"));
    return rp;
  }
  auto admitted = admit_load(st.opts, st.store.owner(), std::move(request));
  if (!admitted) {
    rp.deliver(std::move(admitted.error()));
    return rp;
  }
  request = std::move(*admitted);
  auto source_tags =
    st.opts.sources->find(request.format)->tags(request.settings);
  auto loader =
    self->spawn<caf::detached>(data_loader, st.opts.sources, st.opts.data_dir);
  self->request(loader, caf::infinite, load_atom::value, request)
    .then(
      [self, rp, request, source_tags](std::vector<std::string>& names,
                                       std::vector<tensor>& parts,
                                       uint64_t rows) mutable {
        keep_parts(self, request, source_tags, std::move(names),
                   std::move(parts));
        rp.deliver(rows);
      },
      [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

// tag: adds `tags` to `id`, waiting for it like an operation would (the
// object may still be on its way: a tag right after a move or an exec).
void serve_tag(worker_pointer self,
               caf::typed_response_promise<caf::ok_atom> rp, requester who,
               object_id id, std::vector<std::string> tags, bool final) {
  auto& store = self->state.store;
  if (store.status(id) == object_store::presence::unknown) {
    wait_for(self, who.name, id, final, store.unknown_error(id), rp,
             [=](bool f) { serve_tag(self, rp, who, id, tags, f); });
    return;
  }
  if (auto policy = store.policy_of(id))
    if (auto err =
          check_owner(store.access(), store.owner(), who, *policy, "tag", id)) {
      refuse(self, rp, who, "tag", id, std::move(err));
      return;
    }
  if (auto err = store.tag(id, tags))
    rp.deliver(std::move(err));
  else
    rp.deliver(caf::ok_atom::value);
}

// search: the ids carrying all of `query`, each retained for a new holder.
// The hits for `found` (ids a search matched), each retained for a fresh
// holder the reply names.
std::vector<search_hit> serve_search(worker_pointer self,
                                     const std::vector<object_id>& found) {
  auto& st = self->state;
  std::vector<search_hit> hits;
  for (auto id : found) {
    search_hit hit;
    hit.id = id;
    hit.holder = st.holder_ids.next();
    hit.tags = st.store.tags(id);
    if (auto v = st.store.find(id); v && v->is_tensor()) {
      hit.dt = v->as_tensor().dtype();
      hit.dims = v->as_tensor().shape();
    }
    st.store.retain(id, hit.holder, self->clock().now());
    hits.push_back(std::move(hit));
  }
  return hits;
}

// exec: runs, forwards, parks or fails an operation.
void serve_exec(worker_pointer self,
                caf::typed_response_promise<caf::ok_atom> rp, requester who,
                op_request req, bool final) {
  auto& st = self->state;
  outbox out;
  auto started = std::chrono::steady_clock::now();
  auto r = st.store.execute(req, st.ids, out, who);
  note_slow(self, started, [&] {
    return std::string{to_string(req.op)} + " into " + to_string(req.result) +
           " for " + who.name;
  });
  if (r.what == exec_outcome::kind::missing && final) {
    r.what = exec_outcome::kind::failed;
    r.error = st.store.unknown_error(r.missing);
    st.store.fail(req.result, req.holder, r.error, out);
  }
  flush(self, out);
  if (r.what == exec_outcome::kind::missing) {
    park_request(self, who.name, req.result, operand_ids(req), {req.result},
                 {req.holder}, r.missing, rp,
                 [=](bool f) { serve_exec(self, rp, who, req, f); });
    return;
  }
  switch (r.what) {
  case exec_outcome::kind::failed:
    unpin(self, req.result);
    wake(self, req.result);
    if (r.error.code() == static_cast<uint8_t>(errc::not_permitted))
      refuse(self, rp, who, to_string(req.op), req.result, std::move(r.error));
    else
      rp.deliver(std::move(r.error));
    return;
  case exec_outcome::kind::done:
    unpin(self, req.result);
    wake(self, req.result);
    rp.deliver(caf::ok_atom::value);
    return;
  default:
    break;
  }
  // Forward along the chain; the local pointer entry is already installed.
  // The forwarded request goes out before anything this one unblocks: the
  // releases of its pins (their cascades name the same objects at `next`)
  // and requests parked on the result must reach `next` after it (L2).
  auto result = req.result;
  auto next = r.next;
  st.forwarding.insert(result);
  auto forwarded = std::move(r.forwarded);
  send_to(self, next, [self, rp, result, next, forwarded]() mutable {
    guarded_request<caf::ok_atom>(
      self, self->state.watch, next.hdl, next.name,
      self->state.opts.forward_timeout,
      [self, rp, result](caf::ok_atom) mutable {
        self->state.forwarding.erase(result);
        wake(self, result);
        rp.deliver(caf::ok_atom::value);
      },
      [self, rp, result](caf::error e) mutable {
        auto& st = self->state;
        outbox out;
        st.store.fail_stored(result, e, out);
        flush(self, out);
        st.forwarding.erase(result);
        wake(self, result);
        rp.deliver(std::move(e));
      },
      exec_atom::value, std::move(forwarded));
  });
  unpin(self, result);
  wake(self, result);
}

// Sends the put of a move to `dest` (`payload` is the value itself, or a
// blob_ref to a staged copy) and settles the move when it answers.
template <class Promise, class Payload>
void send_move_put(worker_pointer self, Promise rp, object_id id,
                   worker_ref dest, object_id new_id, object_id holder,
                   stored_value value, Payload payload) {
  send_to(self, dest, [=]() mutable {
    guarded_request<caf::ok_atom>(
      self, self->state.watch, dest.hdl, dest.name,
      self->state.opts.forward_timeout,
      [=](caf::ok_atom) mutable {
        outbox out;
        self->state.store.finish_move(id, holder, dest.name, new_id,
                                      self->clock().now(), out);
        flush(self, out);
        rp.deliver(caf::ok_atom::value);
      },
      [=](caf::error e) mutable {
        auto& st = self->state;
        outbox out;
        object_store::abort_move(value, dest, new_id, holder, out);
        flush(self, out);
        rp.deliver(make_error(static_cast<errc>(e.code()),
                              "move of " + to_string(id) + " from " +
                                st.store.owner() + " to " + dest.name +
                                " failed, the data stays on " +
                                st.store.owner() + ": " + message_of(e)));
      },
      caf::put_atom::value, new_id, payload, holder);
  });
}

// move: sends `holder`'s share of `id` to `dest` and drops it here once the
// destination acknowledged; on failure the data stays.
// `pass`: how often the move was decided after linking to `dest`, whose
// principal decides whether a derived result may go there (A5).
// `rp`: the move request's promise, or an outcome_promise for a move this
// worker makes itself (remote_send).
template <class Promise>
void serve_move(worker_pointer self, Promise rp, requester who, object_id id,
                worker_ref dest, object_id new_id, object_id holder, bool final,
                int pass = 0) {
  auto& st = self->state;
  auto retry = [=](bool f) {
    serve_move(self, rp, who, id, dest, new_id, holder, f, pass);
  };
  if (st.store.status(id) == object_store::presence::gone) {
    // Nothing to move but the object's fate: the destination records it, so
    // the handle (which points there now) and everything its caller sent
    // there meanwhile get the same error as here (M3).
    auto why = st.store.gone_error(id);
    send_to(self, dest, [=]() mutable {
      guarded_request<caf::ok_atom>(
        self, self->state.watch, dest.hdl, dest.name,
        self->state.opts.forward_timeout,
        [self, rp, id, holder](caf::ok_atom) mutable {
          // The reference now names the destination's tombstone.
          outbox out;
          self->state.store.release(id, holder, self->clock().now(), out);
          flush(self, out);
          rp.deliver(caf::ok_atom::value);
        },
        [rp](caf::error e) mutable { rp.deliver(std::move(e)); },
        gone_atom::value, new_id, holder, why);
    });
    return;
  }
  if (!held_here(self, who.name, id, holder, final, rp, retry))
    return;
  if (auto err = st.store.permits_move(id, who, enforces_rules(self, dest),
                                       "move to " + dest.name)) {
    // The gate proves the destination's principal once linked: decide
    // then (the link is made for the move anyway). When the other node
    // dialed, the gate may bind the principal a moment after the link is
    // up: decide again, 25 ms apart, for at most about half a second.
    constexpr int max_passes = 20;
    if (pass == 0 && unproven(self, dest)) {
      send_to(self, dest, [=] {
        serve_move(self, rp, who, id, dest, new_id, holder, final, 1);
      });
      return;
    }
    if (pass > 0 && pass < max_passes && unproven(self, dest)) {
      defer(self, std::chrono::milliseconds(25), [=] {
        serve_move(self, rp, who, id, dest, new_id, holder, final, pass + 1);
      });
      return;
    }
    refuse(self, rp, who, "move", id, std::move(err));
    return;
  }
  audit_tensor(self, "move", audited_name(self, dest.hdl.node(), dest.name),
               id);
  outbox out;
  auto value = st.store.begin_move(id, holder, new_id, out);
  flush(self, out);
  note(self, nullptr, &value);
  if (value.is_tensor() &&
      needs_bulk(value.as_tensor(), dest.hdl, self->node())) {
    auto ref = st.opts.plane->stage(
      caf::actor_cast<caf::actor>(self), st.store.owner(), value.as_tensor(),
      self->clock().now() + st.opts.forward_timeout);
    ref.policy = value.policy;
    send_move_put(self, rp, id, dest, new_id, holder, value, std::move(ref));
    return;
  }
  send_move_put(self, rp, id, dest, new_id, holder, value, value);
}

// A promise for work this worker starts itself with a handler's logic (the
// move inside a remote_send): hands the outcome to `settle` instead of
// answering a message. Copies share `settle`.
struct outcome_promise {
  std::shared_ptr<std::function<void(caf::error)>> settle;

  void deliver(caf::ok_atom) const { (*settle)(caf::error{}); }

  void deliver(caf::error err) const { (*settle)(std::move(err)); }
};

// This worker as others reach it: its handle, name and node address (empty
// in a process that is not a node). Called by serve_remote_get for the
// destination of the move it asks for.
worker_ref self_ref(worker_pointer self) {
  worker_ref result{
    caf::actor_cast<worker_actor>(self), self->state.store.owner(), {}, 0};
  if (auto& addr = self->state.opts.self_address; addr && addr->port != 0) {
    result.node_host = addr->host;
    result.node_port = addr->port.load();
  }
  return result;
}

// remote_get: fetches what the pointer entry `id` (held by `holder`) names
// to this worker as `new_id`, held by `new_holder` (data_flow.hpp, G1-G4).
// Answers ok once settled; on any failure the entry stays as it was and
// `rp` gets the error naming both workers.
void serve_remote_get(worker_pointer self,
                      caf::typed_response_promise<caf::ok_atom> rp,
                      requester who, object_id id, object_id holder,
                      object_id new_id, object_id new_holder, bool final) {
  auto& st = self->state;
  auto retry = [=](bool f) {
    serve_remote_get(self, rp, who, id, holder, new_id, new_holder, f);
  };
  if (!held_here(self, who.name, id, holder, final, rp, retry))
    return;
  if (auto err = st.store.permits(id, who, right::take, "remote_get")) {
    refuse(self, rp, who, "remote_get", id, std::move(err));
    return;
  }
  auto target = fetch_target(st.store, id, new_id);
  if (!target) {
    rp.deliver(std::move(target.error()));
    return;
  }
  auto src = target->where;
  auto src_id = target->id;
  // G1: the transfer's own reference, registered before the move names it.
  outbox out{{outbound::kind::retain, src, src_id, new_id}};
  flush(self, out);
  auto context = "remote_get of " + to_string(id) + " on " + st.store.owner() +
                 " from " + src.name;
  auto bound = st.opts.forward_timeout + st.opts.park_timeout;
  auto me = self_ref(self);
  send_to(self, src, [=]() mutable {
    guarded_request<caf::ok_atom>(
      self, self->state.watch, src.hdl, src.name, bound,
      [=](caf::ok_atom) mutable {
        outbox out;
        auto err = settle_remote_get(self->state.store, id, holder, new_id,
                                     new_holder, self->clock().now(), out);
        wake(self, new_id);
        // Answered once the releases it cascades into are done, as a
        // release is (read-your-writes): the source's count shows it.
        flush(self, out, [rp, err, context]() mutable {
          if (err)
            rp.deliver(with_context(err, context));
          else
            rp.deliver(caf::ok_atom::value);
        });
      },
      [=](caf::error err) mutable {
        // G4: the data stayed at the source; drop the transfer's reference.
        outbox out{{outbound::kind::release, src, src_id, new_id}};
        flush(self, out);
        rp.deliver(with_context(err, context + " failed, " +
                                       self->state.store.owner() +
                                       " keeps its pointer"));
      },
      move_atom::value, src_id, me, new_id, new_id, who.name);
  });
}

// remote_send: moves `holder`'s share of `id` to `dest` as `dest_id` and
// keeps a pointer entry `entry` to it, held by `new_holder`
// (data_flow.hpp, S1-S3). The move is serve_move's, decided for `who`.
// Answers ok once settled; on failure the data stays here and `rp` gets the
// error.
void serve_remote_send(worker_pointer self,
                       caf::typed_response_promise<caf::ok_atom> rp,
                       requester who, object_id id, object_id holder,
                       worker_ref dest, object_id dest_id, object_id entry,
                       object_id new_holder, bool final) {
  auto& st = self->state;
  auto retry = [=](bool f) {
    serve_remote_send(self, rp, who, id, holder, dest, dest_id, entry,
                      new_holder, f);
  };
  if (!held_here(self, who.name, id, holder, final, rp, retry))
    return;
  if (dest.hdl == caf::actor_cast<worker_actor>(self)) {
    rp.deliver(make_error(errc::bad_argument,
                          "remote_send of " + to_string(id) + " from " +
                            st.store.owner() + " to itself"));
    return;
  }
  if (auto err = check_remote_send(st.store, id, entry)) {
    rp.deliver(std::move(err));
    return;
  }
  // S1: the transfer's own reference (the entry's), forked locally.
  st.store.retain(id, entry, self->clock().now());
  auto policy = admit_policy(object_policy{}, who, st.store.owner());
  auto settle = [=](caf::error err) mutable {
    auto& store = self->state.store;
    outbox out;
    if (err)
      abort_remote_send(store, id, entry, self->clock().now(), out);
    else
      err = settle_remote_send(store, id, holder, entry, new_holder,
                               remote_ref{dest, dest_id}, policy,
                               self->clock().now(), out);
    if (!err)
      if (auto v = store.find(entry))
        watch_target(self, *v);
    wake(self, entry);
    // Answered once the releases it cascades into are done (read your
    // writes, as for a release).
    flush(self, out, [rp, err]() mutable {
      if (err)
        rp.deliver(err);
      else
        rp.deliver(caf::ok_atom::value);
    });
  };
  outcome_promise done{
    std::make_shared<std::function<void(caf::error)>>(std::move(settle))};
  serve_move(self, done, std::move(who), id, std::move(dest), dest_id, entry,
             false);
}

// Notes that `peer` announced `id` to arrive within `within`, cut to
// workers.expect-timeout. Beyond workers.max-expectations-per-peer pending
// from `peer`, drops the announcement (requests for `id` then park for
// park-timeout only) and says so on stderr, at most once a second.
void note_expect(worker_pointer self, const std::string& peer, object_id id,
                 caf::timespan within) {
  auto& st = self->state;
  auto now = self->clock().now();
  within = std::min(within, st.opts.expect_timeout);
  if (st.store.expect(id, now + within, peer) ||
      st.store.status(id) != object_store::presence::unknown ||
      now - st.last_expect_warning < std::chrono::seconds(1))
    return;
  st.last_expect_warning = now;
  log(log_level::warn, st.store.owner(),
      "dropped expectations of " + peer + ": " +
        std::to_string(st.opts.limits.max_expectations_per_peer) +
        " are pending (workers.max-expectations-per-peer)");
}

// Expires parked requests and stale early records; re-arms the periodic
// housekeeping tick when it is due.
void on_tick(worker_pointer self) {
  auto& st = self->state;
  auto now = self->clock().now();
  st.store.expire(now);
  st.opts.plane->staging().expire(now);
  for (auto& w : st.lot.expire(now))
    w(true);
  // Due deferred work; it may defer more, so take the list out first.
  std::vector<std::function<void()>> due;
  auto& later = st.deferred;
  for (auto i = later.begin(); i != later.end();)
    if (i->first <= now) {
      due.push_back(std::move(i->second));
      i = later.erase(i);
    } else {
      ++i;
    }
  for (auto& f : due)
    f();
  if (now >= st.next_housekeeping) {
    st.next_housekeeping = now + housekeeping_interval;
    self->delayed_send(self, housekeeping_interval, caf::tick_atom::value);
  }
}

// Every quarter lease: renews the references this worker's pointer entries
// hold elsewhere, one message per target worker, and every other time starts
// a new lease period, dropping references nobody renewed (F1).
void on_lease_round(worker_pointer self) {
  auto& st = self->state;
  for (auto& [target, claims] : group_by_worker(st.store.claims()))
    send_to(self, target, [target = target, claims = std::move(claims)] {
      caf::anon_send(target.hdl, renew_atom::value, claims);
    });
  if (++st.lease_rounds % 2 == 0) {
    outbox out;
    st.store.expire_leases(out);
    flush(self, out);
  }
  self->delayed_send(self, st.opts.lease / 4, renew_atom::value);
}

} // namespace

worker_actor::behavior_type worker_impl(worker_pointer self, std::string name,
                                        worker_options opts) {
  auto& st = self->state;
  st.opts = opts;
  if (!st.opts.plane)
    st.opts.plane = std::make_shared<data_plane>();
  st.store = object_store{std::move(name), opts.limits, opts.access};
  st.lot = parking_lot<worker_state::waiter>{opts.max_parked,
                                             opts.max_parked_per_peer};
  st.audit.attach(opts.audit_file); // null: in memory only (audit_writer.hpp)
  if (opts.restore_from) { // worker_snapshot.hpp; before anything is served
    if (auto err = restore_worker(st, *opts.restore_from, opts.handles.get()))
      std::cerr << "worker " << st.store.owner() << ": " << render(err) << '\n';
    opts.restore_from.reset(); // the image's memory goes with the caller's
    st.opts.restore_from.reset();
  }
  if (!opts.snapshot_dir.empty())
    save_on_shutdown(self);
  st.next_housekeeping = self->clock().now();
  self->set_down_handler([self](caf::down_msg& msg) {
    for (auto& fail : self->state.watch.down(msg.source))
      fail();
    // Sends waiting for a link to the dead peer fail now, not when the dial
    // for it times out (send_to).
    release_sends(self, msg.source);
  });
  on_tick(self);
  self->delayed_send(self, st.opts.lease / 4, renew_atom::value);
  return {
    [=](caf::put_atom, object_id id, stored_value& value,
        object_id holder) -> caf::result<caf::ok_atom> {
      if (auto err =
            store_put(self, resolve(self), id, std::move(value), holder))
        return err;
      return caf::ok_atom::value;
    },
    [=](caf::get_atom, object_id id, object_id holder, std::string& taker) {
      // Before make_response_promise(), which takes the sender away.
      auto& sender = self->current_sender();
      auto remote = sender && sender->node() != self->node();
      if (sender)
        taker = audited_name(self, sender->node(), taker);
      auto who = resolve(self);
      auto rp = self->make_response_promise<taken_value>();
      serve_take(self, rp, std::move(who), id, holder, std::move(taker), remote,
                 false);
      return rp;
    },
    [=](caf::put_atom, object_id id, blob_ref& blob, object_id holder) {
      // A large tensor: read it in chunks, store it when complete (B2).
      auto who = resolve(self);
      auto rp = self->make_response_promise<caf::ok_atom>();
      auto& st = self->state;
      auto on_error = [self, rp, id, holder](caf::error err) mutable {
        outbox out;
        self->state.store.fail(id, holder, err, out);
        flush(self, out);
        wake(self, id);
        rp.deliver(std::move(err));
      };
      // Refused before a byte is read if above the limit (limits.hpp, Z2).
      if (auto err = st.store.admit("large tensor", id, blob.dt, blob.dims)) {
        on_error(std::move(err));
        return rp;
      }
      st.store.expect(id, self->clock().now() + st.opts.forward_timeout,
                      who.name);
      fetch_blob(
        self, st.watch, st.opts.plane.get(), blob, st.opts.forward_timeout,
        [self, rp, who, id, holder, policy = blob.policy](tensor t) mutable {
          if (auto err = store_put(self, who, id,
                                   stored_value{std::move(t), policy}, holder))
            rp.deliver(std::move(err));
          else
            rp.deliver(caf::ok_atom::value);
        },
        on_error);
      return rp;
    },
    [=](chunk_atom, object_id blob, const blob_token& token, uint64_t offset,
        uint64_t len) -> caf::result<std::vector<uint8_t>> {
      // Bytes are counted once, when the transfer starts (note()). Only the
      // recipient of the blob_ref knows its token (data_plane.hpp, D1).
      return self->state.opts.plane->staging().read(blob, token, offset, len);
    },
    [=](retain_atom, object_id id, object_id holder) {
      note(self); // stats count every request, not only data
      self->state.store.retain(id, holder, self->clock().now());
      wake(self, id);
    },
    [=](release_atom, object_id id, object_id holder) {
      note(self); // stats count every request, not only data
      auto rp = self->make_response_promise<caf::ok_atom>();
      outbox out;
      self->state.store.release(id, holder, self->clock().now(), out);
      flush(self, out, [rp]() mutable { rp.deliver(caf::ok_atom::value); });
      return rp;
    },
    [=](exec_atom, op_request& req) {
      note(self); // stats count every request, not only data
      auto who = resolve(self, req.principal);
      auto rp = self->make_response_promise<caf::ok_atom>();
      serve_exec(self, rp, std::move(who), std::move(req), false);
      return rp;
    },
    [=](move_atom, object_id id, worker_ref& dest, object_id new_id,
        object_id holder) {
      auto who = resolve(self);
      auto rp = self->make_response_promise<caf::ok_atom>();
      serve_move(self, rp, std::move(who), id, std::move(dest), new_id, holder,
                 false);
      return rp;
    },
    [=](move_atom, object_id id, worker_ref& dest, object_id new_id,
        object_id holder, const std::string& principal) {
      // From a worker serving remote_get (data_flow.hpp, G2): a move decided
      // for `principal` if the sender may act for others (A1).
      auto who = resolve(self, principal);
      auto rp = self->make_response_promise<caf::ok_atom>();
      serve_move(self, rp, std::move(who), id, std::move(dest), new_id, holder,
                 false);
      return rp;
    },
    [=](remote_get_atom, object_id id, object_id holder, object_id new_id,
        object_id new_holder) {
      // From a client: fetch the entry's data here (serve_remote_get).
      auto who = resolve(self);
      auto rp = self->make_response_promise<caf::ok_atom>();
      serve_remote_get(self, rp, std::move(who), id, holder, new_id, new_holder,
                       false);
      return rp;
    },
    [=](remote_send_atom, object_id id, object_id holder, worker_ref& dest,
        object_id dest_id, object_id entry, object_id new_holder) {
      // From a client: send the data on, keep a pointer (serve_remote_send).
      auto who = resolve(self);
      auto rp = self->make_response_promise<caf::ok_atom>();
      serve_remote_send(self, rp, std::move(who), id, holder, std::move(dest),
                        dest_id, entry, new_holder, false);
      return rp;
    },
    [=](gone_atom, object_id id, object_id holder,
        caf::error& why) -> caf::result<caf::ok_atom> {
      // A move's source reports the object gone, or the client a move that
      // failed: so is `id` here -- unless it arrived after all.
      auto& store = self->state.store;
      switch (store.status(id)) {
      case object_store::presence::unknown: {
        outbox out;
        store.fail(id, holder, std::move(why), out);
        flush(self, out);
        wake(self, id);
        return caf::ok_atom::value;
      }
      case object_store::presence::here:
        return make_error(errc::duplicate_id, "object " + to_string(id) +
                                                " is on " + store.owner() +
                                                " already");
      default:
        return caf::ok_atom::value;
      }
    },
    [=](expect_atom, object_id id, caf::timespan within) {
      // From a client before a move's put: extends how long requests for
      // `id` park. No answer; beyond a bound it is dropped (note_expect).
      note_expect(self, resolve(self).name, id, within);
    },
    [=](list_atom) {
      // A listing shows the values its asker may see: each tensor in it
      // leaves this worker (A1); the others are listed without values.
      auto listing = self->state.store.listing(resolve(self));
      for (auto& entry : listing.entries)
        audit_tensor(self, "list", sender_name(self), entry.first);
      return listing;
    },
    [=](count_atom) { return static_cast<uint64_t>(self->state.store.size()); },
    [=](clear_atom) {
      // From an admin, objects and plans alike: clear leaves the worker as
      // new. From anyone else: what is theirs.
      auto who = resolve(self);
      auto rp = self->make_response_promise<caf::ok_atom>();
      auto& st = self->state;
      outbox out;
      if (who.admin || !st.store.access().enforce) {
        st.store.clear(out);
        st.plans.clear();
      } else {
        st.store.clear_owned(who.name, out);
        for (auto i = st.plans.begin(); i != st.plans.end();)
          i = i->second.owner == who.name ? st.plans.erase(i) : std::next(i);
      }
      flush(self, out, [rp]() mutable { rp.deliver(caf::ok_atom::value); });
      return rp;
    },
    [=](stats_atom) {
      auto result = self->state.stats;
      result.objects = self->state.store.size();
      result.stored_bytes = self->state.store.stored_bytes();
      return result;
    },
    [=](tag_atom, object_id id, std::vector<std::string>& tags) {
      auto who = resolve(self);
      auto rp = self->make_response_promise<caf::ok_atom>();
      serve_tag(self, rp, std::move(who), id, std::move(tags), false);
      return rp;
    },
    [=](search_atom, const std::vector<std::string>& query) {
      return serve_search(self, self->state.store.search(query, resolve(self)));
    },
    [=](search_atom, object_id id) {
      return serve_search(self, self->state.store.search(id, resolve(self)));
    },
    [=](keep_atom, object_id id,
        object_id holder) -> caf::result<caf::ok_atom> {
      // Only the owner decides that its object outlives its handles.
      auto who = resolve(self);
      auto& store = self->state.store;
      caf::error err;
      if (auto policy = store.policy_of(id))
        err =
          check_owner(store.access(), store.owner(), who, *policy, "keep", id);
      if (!err)
        err = store.keep(id, holder);
      if (err) {
        if (err.code() == static_cast<uint8_t>(errc::not_permitted))
          record_refusal(self, "keep", who, id, err);
        return err;
      }
      return caf::ok_atom::value;
    },
    [=](audit_atom) { return self->state.audit.entries(); },
    [=](define_atom, object_id plan_id, plan& p) -> caf::result<caf::ok_atom> {
      auto& st = self->state;
      auto who = resolve(self);
      auto& cfg = st.store.access();
      caf::error refusal;
      if (cfg.enforce && cfg.admin_plans && !who.admin)
        refusal = admin_only(st.store.owner(), who, "define plans");
      else if (auto i = st.plans.find(plan_id);
               cfg.enforce && i != st.plans.end() && !who.admin &&
               i->second.owner != who.name)
        refusal =
          make_error(errc::not_permitted,
                     who.name + " may not redefine plan " + to_string(plan_id) +
                       " on " + st.store.owner() + ": it belongs to " +
                       i->second.owner + " (rule: only the owner may)");
      if (refusal) {
        record_refusal(self, "define", who, plan_id, refusal);
        return refusal;
      }
      if (auto err = validate(p, st.opts.limits.max_tensor_bytes))
        return with_context(err, "define on " + st.store.owner());
      auto hash = plan_hash(p);
      st.plans[plan_id] =
        worker_state::stored_plan{std::move(p), who.name, std::move(hash)};
      return caf::ok_atom::value;
    },
    [=](load_atom, data_request& request) {
      // From the node at start (host_node, [data] datasets) and admins:
      // loads `request` with its tags and policy; answers the row count,
      // or not_permitted, bad_argument (another worker's request, an
      // unknown format, bad settings), or the source's error naming the
      // file.
      return serve_load(self, std::move(request));
    },
    [=](dial_atom, const std::string& host, uint16_t port) {
      // A worker on a node with a larger id needs a direct link (send_to).
      // The gate dials only hosts of the cluster (gate.dial-hosts).
      auto rp = self->make_response_promise<caf::ok_atom>();
      auto gate =
        self->state.opts.gate ? self->state.opts.gate->get() : nullptr;
      if (!gate) {
        rp.deliver(make_error(errc::peer_unreachable,
                              "worker " + self->state.store.owner() +
                                " is not on the network"));
        return rp;
      }
      self
        ->request(gate->dialer(), self->state.opts.forward_timeout,
                  caf::connect_atom::value, host, port)
        .then(
          [rp](const caf::node_id&, const caf::strong_actor_ptr&,
               const std::set<std::string>&) mutable {
            rp.deliver(caf::ok_atom::value);
          },
          [rp, host, port](const caf::error& err) mutable {
            rp.deliver(make_error(errc::peer_unreachable,
                                  "cannot dial " + host + ":" +
                                    std::to_string(port) + ": " + render(err)));
          });
      return rp;
    },
    [=](run_atom, plan_run& r) {
      note(self); // stats count every request, not only data
      auto who = resolve(self);
      auto rp = self->make_response_promise<caf::ok_atom>();
      serve_run(self, rp, std::move(who), std::move(r), false);
      return rp;
    },
    [=](permit_atom, const grant& g) -> caf::result<caf::ok_atom> {
      auto who = resolve(self);
      auto& st = self->state;
      if (auto err = st.store.permit(g, who)) {
        if (err.code() == static_cast<uint8_t>(errc::not_permitted))
          record_refusal(self, "permit", who, g.id, err);
        return err;
      }
      return caf::ok_atom::value;
    },
    [=](renew_atom, const std::vector<lease_claim>& claims) {
      for (auto& c : claims)
        self->state.store.renew(c.id, c.holder);
    },
    [=](renew_atom) { on_lease_round(self); },
    [=](caf::tick_atom) { on_tick(self); },
  };
}

} // namespace workers
