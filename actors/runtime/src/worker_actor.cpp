#include "workers/actors/worker_actor.hpp"

#include <chrono>
#include <iostream>
#include <memory>

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include "workers/actors/worker_snapshot.hpp"
#include "workers/log.hpp"

#include "worker_catalog.hpp"
#include "worker_compute.hpp"
#include "worker_identity.hpp"
#include "worker_links.hpp"
#include "worker_loading.hpp"
#include "worker_parking.hpp"
#include "worker_transfers.hpp"

// The worker's behaviour: one handler per message of `worker_actor`
// (protocol.hpp), each a few lines that resolve who is asking and hand the
// request to the functions of one concern:
//   worker_identity   who is asking, audit names, refusals, counters
//   worker_links      direct links to peers, retains and releases
//   worker_parking    requests waiting for objects on their way
//   worker_compute    exec and run, through one outcome handler
//   worker_transfers  put, get, move, remote_get, remote_send, gone
//   worker_loading    load
//   worker_catalog    tag, search, keep, define, clear
// Housekeeping (expiry, deferred work, lease rounds) is here.

namespace workers {

using namespace worker_detail;

namespace {

using clock = object_store::clock;

constexpr auto housekeeping_interval = std::chrono::seconds(10);

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
  self->set_down_handler(
    [self](caf::down_msg& msg) { on_peer_down(self, msg.source, msg.reason); });
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
      serve_put_blob(self, rp, std::move(who), id, std::move(blob), holder);
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
      serve_move(self, rp, std::move(who), id, std::move(dest), new_id, holder);
      return rp;
    },
    [=](move_atom, object_id id, worker_ref& dest, object_id new_id,
        object_id holder, const std::string& principal) {
      // From a worker serving remote_get (data_flow.hpp, G2): a move decided
      // for `principal` if the sender may act for others (A1).
      auto who = resolve(self, principal);
      auto rp = self->make_response_promise<caf::ok_atom>();
      serve_move(self, rp, std::move(who), id, std::move(dest), new_id, holder);
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
    [=](gone_atom, object_id id, object_id holder, caf::error& why) {
      // A move's source reports the object gone, or the client a move that
      // failed: so is `id` here -- unless it arrived after all.
      return serve_gone(self, id, holder, std::move(why));
    },
    [=](expect_atom, object_id id, caf::timespan within) {
      // From a client before a move's put: extends how long requests for
      // `id` park. No answer; beyond a bound it is dropped (note_expect).
      note_expect(self, resolve(self).peer, id, within);
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
      serve_clear(self, rp, who);
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
    [=](keep_atom, object_id id, object_id holder) {
      // Only the owner decides that its object outlives its handles.
      return serve_keep(self, resolve(self), id, holder);
    },
    [=](audit_atom) { return self->state.audit.entries(); },
    [=](define_atom, object_id plan_id, plan& p) {
      return serve_define(self, resolve(self), plan_id, std::move(p));
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
      auto rp = self->make_response_promise<caf::ok_atom>();
      serve_dial(self, rp, host, port);
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
