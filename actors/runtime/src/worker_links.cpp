#include "worker_links.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <set>

#include "workers/error.hpp"
#include "workers/log.hpp"

namespace workers::worker_detail {

namespace {} // namespace

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
  auto on_dial_error = [self, addr, release_queue,
                        name = peer.name](const caf::error& err) {
    // Nobody listens at the peer's address: its node is gone (or
    // unreachable from here). Fail what waits for it; the queued sends then
    // fail at once as guarded requests.
    log(log_level::warn, self->state.store.owner(),
        "no link to " + name + ": " + render(err));
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

void defer(worker_pointer self, caf::timespan delay, std::function<void()> f) {
  self->state.deferred.emplace_back(self->clock().now() + delay, std::move(f));
  self->delayed_send(self, delay, caf::tick_atom::value);
}

void watch_target(worker_pointer self, const stored_value& value) {
  if (value.is_pointer())
    send_to(self, value.as_pointer().where, [] {});
}

void flush(worker_pointer self, outbox& out, std::function<void()> done) {
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

worker_ref self_ref(worker_pointer self) {
  worker_ref result{
    caf::actor_cast<worker_actor>(self), self->state.store.owner(), {}, 0};
  if (auto& addr = self->state.opts.self_address; addr && addr->port != 0) {
    result.node_host = addr->host;
    result.node_port = addr->port.load();
  }
  return result;
}

void serve_dial(worker_pointer self,
                caf::typed_response_promise<caf::ok_atom> rp,
                const std::string& host, uint16_t port) {
  auto gate = self->state.opts.gate ? self->state.opts.gate->get() : nullptr;
  if (!gate) {
    rp.deliver(make_error(errc::peer_unreachable, "worker " +
                                                    self->state.store.owner() +
                                                    " is not on the network"));
    return;
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
}

void on_peer_down(worker_pointer self, const caf::actor_addr& addr,
                  const caf::error& reason) {
  log(log_level::info, self->state.store.owner(),
      "peer worker " + caf::to_string(addr) + " is down: " + render(reason));
  for (auto& fail : self->state.watch.down(addr))
    fail();
  // Sends waiting for a link to the dead peer fail now, not when the dial
  // for it times out (send_to).
  release_sends(self, addr);
  if (auto lost = self->state.store.target_at(addr))
    refind(self, std::move(*lost), std::chrono::milliseconds(250),
           self->state.opts.lease);
}

void refind(worker_pointer self, worker_ref lost, caf::timespan delay,
            caf::timespan left) {
  if (left <= caf::timespan{0})
    return;
  defer(self, delay, [self, lost, delay, left] {
    auto gate = self->state.opts.gate ? self->state.opts.gate->get() : nullptr;
    if (!gate)
      return;
    auto again = [self, lost, delay, left] {
      auto next = std::min(caf::timespan{delay * 2},
                           caf::timespan{std::chrono::seconds(5)});
      refind(self, lost, next, left - delay);
    };
    auto timeout = self->state.opts.forward_timeout;
    self
      ->request(gate->dialer(), timeout, caf::connect_atom::value,
                lost.node_host, lost.node_port)
      .then(
        [self, lost, again, timeout](const caf::node_id&,
                                     const caf::strong_actor_ptr& published,
                                     const std::set<std::string>&) {
          auto dir = caf::actor_cast<directory_actor>(published);
          if (!dir) {
            again();
            return;
          }
          self->request(dir, timeout, lookup_atom::value, lost.name)
            .then(
              [self, lost, again](worker_ref fresh) {
                // The same handle: the old node still answers (its workers
                // exit before it does). Ask again once it is back.
                if (fresh.hdl == lost.hdl) {
                  again();
                  return;
                }
                // A directory names its workers; where they are is where
                // it was reached.
                fresh.node_host = lost.node_host;
                fresh.node_port = lost.node_port;
                auto n = self->state.store.rebind(fresh);
                log(log_level::info, self->state.store.owner(),
                    "found " + lost.name + " again at " + lost.node_host + ":" +
                      std::to_string(lost.node_port) +
                      " after its node restarted: " + std::to_string(n) +
                      (n == 1 ? " pointer entry follows"
                              : " pointer entries follow") +
                      " it");
              },
              [again](const caf::error&) { again(); });
        },
        [again](const caf::error&) { again(); });
  });
}

} // namespace workers::worker_detail
